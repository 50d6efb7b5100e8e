"""見込み (issue #15): the least-squares outlook in SQL (kpi_outlook_of / kpi_outlook), on
hand-worked cases and against a Python reference on a generated plan."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from etl import cli
from etl.actuals_loader import rollback_uploads
from kpi import outlook, repository
from kpi.config import Grading
from tests import db_helpers
from tests.test_status import PLAN, make_plan

BANDS = Grading()


def add_upload(con, actuals: list[tuple], kind: str = "actuals") -> int:
    """A further upload of (kpi, fy, value): it supersedes the values it holds."""
    with repository.transaction(con):
        uid = db_helpers.insert_upload(
            con,
            kind=kind,
            plan_id=PLAN,
            filename=f"{kind}.xlsx",
            sha256=kind,
            uploaded_at=dt.datetime(2026, 6, 1),
            uploaded_by="t",
        )
        repository.insert_actuals(
            con,
            pd.DataFrame(
                [
                    dict(
                        plan_id=PLAN,
                        kpi_id=k,
                        fiscal_year=fy,
                        actual_value=v,
                        note=None,
                        upload_id=uid,
                        recorded_at=dt.datetime(2026, 6, 1),
                        source_cell="",
                    )
                    for k, fy, v in actuals
                ],
                columns=repository.ACTUAL_COLUMNS,
            ),
        )
    return uid


def row(con, kpi: str, as_of: int, grading: Grading = BANDS) -> dict:
    o = repository.outlook(con, PLAN, grading)
    return o[(o["kpi_id"] == kpi) & (o["as_of_year"] == as_of)].iloc[0].to_dict()


def numeric(kpi: str, final: float, comparator: str = ">=", final_year: int = 2025) -> list:
    """Targets of every year up to the final one (the earlier ones do not matter)."""
    return [(kpi, fy, final, comparator, f"{final:g}") for fy in range(2021, final_year + 1)]


# ------------------------------------------------------------------- hand-worked cases
# Bands 80 / 50. Each case states the points, the line and the grade worked out by hand.


CASES = [
    # id, kpi fields, final target, comparator, actuals (fy, value), as_of,
    # points, slope, projected, grade
    # rising: 40, 60, 80 -> slope 20, line at 2025 = 80 + 2 x 20 = 120 >= 100 -> A
    ("rising", {}, 100, ">=", [(2021, 40), (2022, 60), (2023, 80)], 2023, 3, 20, 120, "A"),
    # two points: 40, 60 -> the same line -> A
    ("two-points", {}, 100, ">=", [(2021, 40), (2022, 60), (2023, 80)], 2022, 2, 20, 120, "A"),
    # two points with a gap: 10 (2021), 20 (2023) -> slope 5, 20 + 2 x 5 = 30 vs 40: 75 % -> C
    ("two-points-gap", {}, 40, ">=", [(2021, 10), (2023, 20)], 2024, 2, 5, 30, "C"),
    # falling: 95, 85, 75 -> slope -10, 75 - 20 = 55 vs 100: rate 55 -> C
    ("falling", {}, 100, ">=", [(2021, 95), (2022, 85), (2023, 75)], 2023, 3, -10, 55, "C"),
    # falling below zero: 30, 20, 10 -> -10 at 2025, floored at 0 -> rate 0 -> D
    ("falling-floor", {}, 100, ">=", [(2021, 30), (2022, 20), (2023, 10)], 2023, 3, -10, 0, "D"),
    # lower is better: 10, 8, 7 -> slope -1.5, mean 25/3 at 2022, 25/3 - 4.5 = 23/6 (3.83)
    # vs at most 2: rate 2 / (23/6) = 52.2 -> C
    (
        "lower",
        {"direction": "lower"},
        2,
        "<=",
        [(2021, 10), (2022, 8), (2023, 7)],
        2023,
        3,
        -1.5,
        23 / 6,
        "C",
    ),
    # lower is better reaching zero: 3, 2, 1 -> -1 floored to 0 <= 0 -> A (a zero target)
    (
        "lower-zero-target",
        {"direction": "lower"},
        0,
        "<=",
        [(2021, 3), (2022, 2), (2023, 1)],
        2023,
        3,
        -1,
        0,
        "A",
    ),
    # lower, zero target not reached: 3, 3, 3 -> 3 > 0: rate 0 / 3 = 0 -> D
    (
        "lower-zero-missed",
        {"direction": "lower"},
        0,
        "<=",
        [(2021, 3), (2022, 3), (2023, 3)],
        2023,
        3,
        0,
        3,
        "D",
    ),
    # zero target, higher is better: anything >= 0 is met -> A
    ("zero-target", {}, 0, ">=", [(2021, 5), (2022, 3)], 2022, 2, -2, 0, "A"),
    # cumulative, fitted on the values as reported: 100, 300, 500 -> 900 vs 1000: 90 -> B
    (
        "cumulative",
        {"cumulative": True},
        1000,
        ">=",
        [(2021, 100), (2022, 300), (2023, 500)],
        2023,
        3,
        200,
        900,
        "B",
    ),
    # frequency target (=): 10, 11, 12 -> 14 >= 12 counts as met -> A
    (
        "frequency",
        {"direction": "maintain"},
        12,
        "=",
        [(2021, 10), (2022, 11), (2023, 12)],
        2023,
        3,
        1,
        14,
        "A",
    ),
    # as of a year after the last actual: the line through the points it has: mean 170/3 at
    # 2022, slope 15 -> 170/3 + 3 x 15 = 305/3 (101.7) -> A
    (
        "after-last-actual",
        {},
        100,
        ">=",
        [(2021, 40), (2022, 60), (2023, 70)],
        2025,
        3,
        15,
        305 / 3,
        "A",
    ),
]


@pytest.mark.parametrize(
    ("fields", "target", "comparator", "actuals", "as_of", "points", "slope", "projected", "grade"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_hand_worked_cases(
    con, fields, target, comparator, actuals, as_of, points, slope, projected, grade
):
    make_plan(
        con,
        [{"id": "k", **fields}],
        numeric("k", target, comparator),
        [("k", fy, v) for fy, v in actuals],
    )
    r = row(con, "k", as_of)
    assert r["points"] == points
    assert r["slope"] == pytest.approx(slope, abs=1e-9)
    assert r["projected_value"] == pytest.approx(projected, abs=1e-9)
    assert r["final_year"] == 2025
    assert r["final_target_value"] == target
    assert r["outlook_grade"] == grade
    assert r["basis"] == "trend"
    assert not r["is_sample"]


def test_one_point_or_none_cannot_be_projected(con):
    make_plan(con, [{"id": "k"}], numeric("k", 100), [("k", 2022, 50)])
    one = row(con, "k", 2022)
    assert (one["points"], one["outlook_grade"]) == (1, outlook.CANNOT)
    assert pd.isna(one["slope"]) and pd.isna(one["projected_value"])
    none = row(con, "k", 2021)  # 2022's value is not known as of 2021
    assert (none["points"], none["outlook_grade"]) == (0, outlook.CANNOT)


def test_text_target_is_not_graded(con):
    make_plan(
        con,
        [{"id": "t"}],
        [("t", fy, None, None, "検討を踏まえ設定") for fy in range(2021, 2026)],
        [("t", 2021, 5), ("t", 2022, 6), ("t", 2023, 7)],
    )
    r = row(con, "t", 2023)
    assert r["outlook_grade"] == outlook.NOT_GRADED == "評価対象外"
    assert pd.isna(r["final_year"]) and pd.isna(r["projected_value"])
    assert r["points"] == 3  # the values are there; there is nothing numeric to reach


def test_final_year_is_the_last_with_a_numeric_target(con):
    targets = [*numeric("k", 100, final_year=2024), ("k", 2025, None, None, "次期計画で検討")]
    make_plan(con, [{"id": "k"}], targets, [("k", 2021, 40), ("k", 2022, 60)])
    r = row(con, "k", 2022)
    # 60 + 2 x 20 = 100 at 2024 -> met
    assert (r["final_year"], r["projected_value"], r["outlook_grade"]) == (2024, 100, "A")


def test_at_the_final_year_the_outlook_is_its_own_grade(con):
    # The trend says 120 (A) but the final year's actual is 70: C, and no longer a forecast.
    make_plan(
        con,
        [{"id": "k"}],
        numeric("k", 100),
        [("k", 2021, 40), ("k", 2022, 60), ("k", 2023, 80), ("k", 2025, 70)],
    )
    r = row(con, "k", 2025)
    assert (r["basis"], r["projected_value"], r["outlook_grade"]) == ("actual", 70, "C")
    before = row(con, "k", 2024)
    assert (before["basis"], before["outlook_grade"]) == ("trend", "A")
    assert not outlook.is_forecast(pd.DataFrame([r]))
    assert outlook.is_forecast(pd.DataFrame([before]))
    # said as the year's grade, not as a forecast
    assert outlook.heading(r) == "最終年度の評価　△ C 一部達成"
    assert "見込みではなく" in outlook.describe(r, "件")
    assert outlook.heading(before) == "見込み　◎ A 達成見込み"


def test_band_edges_are_parameters(con):
    make_plan(con, [{"id": "k"}], numeric("k", 100), [("k", 2021, 95), ("k", 2022, 85)])
    assert row(con, "k", 2022)["outlook_grade"] == "C"  # 55 %
    assert row(con, "k", 2022, Grading(90, 60))["outlook_grade"] == "D"
    assert row(con, "k", 2022, Grading(50, 40))["outlook_grade"] == "B"


def test_view_for_analysts_has_the_contract_columns(con):
    make_plan(con, [{"id": "k"}], numeric("k", 100), [("k", 2021, 40), ("k", 2022, 60)])
    view = con.execute("SELECT * FROM kpi_outlook WHERE as_of_year = 2022").df()
    for column in [
        "plan_id",
        "kpi_id",
        "as_of_year",
        "points",
        "slope",
        "projected_value",
        "final_year",
        "final_target_value",
        "outlook_grade",
        "is_sample",
    ]:
        assert column in view.columns
    assert list(view["outlook_grade"]) == ["A"]
    # one row per KPI and year of the plan
    assert con.execute("SELECT count(*) FROM kpi_outlook").fetchone() == (5,)


def test_corrections_and_rollbacks_change_the_points(con):
    make_plan(con, [{"id": "k"}], numeric("k", 100), [("k", 2021, 40), ("k", 2022, 60)])
    assert row(con, "k", 2022)["projected_value"] == pytest.approx(120)
    fix = add_upload(con, [("k", 2022, 45)])  # a correction: 40, 45 -> 45 + 3 x 5 = 60
    r = row(con, "k", 2022)
    assert (r["projected_value"], r["outlook_grade"]) == (pytest.approx(60), "C")
    rollback_uploads(con, [fix], by="t")
    assert row(con, "k", 2022)["projected_value"] == pytest.approx(120)


def test_sample_points_mark_the_outlook_fictional(con):
    make_plan(con, [{"id": "k"}], numeric("k", 100), [("k", 2021, 40)])
    sample = add_upload(con, [("k", 2022, 60)], kind="sample")
    assert row(con, "k", 2022)["is_sample"]
    assert not row(con, "k", 2021)["is_sample"]  # only real points as of 2021
    rollback_uploads(con, [sample], by="t")
    r = row(con, "k", 2022)
    assert (r["is_sample"], r["outlook_grade"]) == (False, outlook.CANNOT)


def test_the_grading_of_kpi_status_is_unchanged_by_the_shared_macros(con):
    # The macros now used by both: a regression guard on the edges of DESIGN 6.
    make_plan(
        con,
        [{"id": "h"}, {"id": "l", "direction": "lower"}],
        numeric("h", 100) + numeric("l", 5, "<="),
        [("h", 2021, 80), ("h", 2022, 50), ("h", 2023, 49.9), ("l", 2021, 0), ("l", 2022, 10)],
    )
    s = repository.status(con, PLAN, dt.date(2026, 11, 25), BANDS)
    grades = {(r.kpi_id, r.fiscal_year): r.grade for r in s.itertuples()}
    assert grades[("h", 2021)] == "B" and grades[("h", 2022)] == "C"
    assert grades[("h", 2023)] == "D" and grades[("l", 2021)] == "A"
    assert grades[("l", 2022)] == "C"  # 5 / 10 = 50 %


# ------------------------------------------------------------------- Python reference


def reference_grade(direction: str, comparator: str, target: float, value: float) -> str:
    """DESIGN 6, written again in Python for the comparison."""
    met = value <= target if comparator == "<=" else value >= target
    if direction == "lower":
        rate = 100.0 if value == 0 else target / value * 100
    else:
        rate = 100.0 if target == 0 else value / target * 100
    if met:
        return "A"
    return "B" if rate >= BANDS.grade_b_min else "C" if rate >= BANDS.grade_c_min else "D"


def reference_outlook(kpi: dict, targets: dict, actuals: dict, as_of: int) -> dict:
    numeric_years = [fy for fy, (v, _c) in targets.items() if v is not None]
    pts = sorted((fy, v) for fy, v in actuals.items() if fy <= as_of)
    n = len(pts)
    slope = None
    if n >= 2:
        mx = sum(x for x, _ in pts) / n
        my = sum(y for _, y in pts) / n
        sxx = sum((x - mx) ** 2 for x, _ in pts)
        slope = sum((x - mx) * (y - my) for x, y in pts) / sxx
    if not numeric_years:
        return {"points": n, "slope": slope, "projected": None, "grade": "評価対象外"}
    final = max(numeric_years)
    target, comparator = targets[final]
    if as_of >= final and final in actuals:
        projected = actuals[final]
    elif slope is not None:
        projected = max(0.0, my + slope * (final - mx))
    else:
        return {"points": n, "slope": slope, "projected": None, "grade": "見込み算出不可"}
    grade = reference_grade(kpi["direction"], comparator, target, projected)
    return {"points": n, "slope": slope, "projected": projected, "grade": grade}


def generated_plan(seed: int, count: int = 60) -> tuple[list[dict], list[tuple], list[tuple]]:
    rng = random.Random(seed)
    kpis: list[dict] = []
    targets: list[tuple[str, int, float | None, str | None, str]] = []
    actuals: list[tuple] = []
    for i in range(count):
        direction = rng.choice(["higher", "lower", "maintain"])
        kid = f"g{i}"
        kpis.append({"id": kid, "direction": direction, "cumulative": rng.random() < 0.2})
        comparator = {"higher": ">=", "lower": "<=", "maintain": "="}[direction]
        last_numeric = rng.choice([2023, 2024, 2025, 2025, None])
        for fy in range(2021, 2026):
            if last_numeric is None or fy > last_numeric:
                targets.append((kid, fy, None, None, "検討を踏まえ設定"))
            else:
                t = rng.choice([0.0, round(rng.uniform(1, 500), 1)])
                targets.append((kid, fy, t, comparator, f"{t:g}"))
        base, step = rng.uniform(0, 300), rng.uniform(-40, 40)
        for fy in range(2021, 2026):
            if rng.random() < 0.7:
                value = max(0.0, round(base + step * (fy - 2021) + rng.uniform(-20, 20), 2))
                actuals.append((kid, fy, value))
    return kpis, targets, actuals


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_agrees_with_a_python_reference_on_a_generated_plan(con, seed):
    kpis, targets, actuals = generated_plan(seed)
    make_plan(con, kpis, targets, actuals)
    sql = repository.outlook(con, PLAN, BANDS).set_index(["kpi_id", "as_of_year"])
    assert len(sql) == len(kpis) * 5
    grades_seen = set()
    for k in kpis:
        t = {fy: (v, c) for kid, fy, v, c, _ in targets if kid == k["id"]}
        a = {fy: v for kid, fy, v in actuals if kid == k["id"]}
        for as_of in range(2021, 2026):
            ref = reference_outlook(k, t, a, as_of)
            got = sql.loc[(k["id"], as_of)]
            where = (k["id"], as_of)
            assert got["points"] == ref["points"], where
            assert got["outlook_grade"] == ref["grade"], where
            if ref["slope"] is None:
                assert pd.isna(got["slope"]), where
            else:
                assert got["slope"] == pytest.approx(ref["slope"], rel=1e-9, abs=1e-9), where
            if ref["projected"] is None:
                assert pd.isna(got["projected_value"]), where
            else:
                assert got["projected_value"] == pytest.approx(
                    ref["projected"], rel=1e-9, abs=1e-9
                ), where
            grades_seen.add(ref["grade"])
    # the generated plan exercises every outcome, so the comparison means something
    assert grades_seen == set(outlook.OUTLOOK_GRADES)


# ------------------------------------------------------------------- core helpers


def test_words_counts_and_attention(con):
    make_plan(
        con,
        [{"id": "up"}, {"id": "down"}, {"id": "one"}, {"id": "text"}],
        numeric("up", 100)
        + numeric("down", 100)
        + numeric("one", 100)
        + [("text", fy, None, None, "検討") for fy in range(2021, 2026)],
        [
            ("up", 2021, 40),
            ("up", 2022, 60),
            ("down", 2021, 30),
            ("down", 2022, 20),
            ("one", 2022, 50),
        ],
    )
    rows = outlook.of_year(
        repository.outlook(con, PLAN, BANDS), 2022, ["text", "up", "down", "one"]
    )
    assert list(rows["kpi_id"]) == ["text", "up", "down", "one"]
    counts = outlook.counts(rows)
    assert counts == {"A": 1, "B": 0, "C": 0, "D": 1, "見込み算出不可": 1, "評価対象外": 1}
    need = outlook.attention(rows)
    assert list(need["kpi_id"]) == ["down"]
    assert "D" in need["理由"].iloc[0] and "見込み" in need["理由"].iloc[0]
    assert outlook.badge("A") == "◎ A 達成見込み"
    assert outlook.badge("D") == "× D 未達成見込み"
    sentence = outlook.describe(rows.iloc[1].to_dict(), "件")
    assert "見込み 120 件" in sentence and "予測" in sentence and "A 達成見込み" in sentence
    assert "算出できません" in outlook.describe(rows.iloc[3].to_dict(), "件")
    assert "評価対象外" in outlook.describe(rows.iloc[0].to_dict(), "件")


def test_backtest_counts_agreement_per_year_ahead():
    rows = pd.DataFrame(
        [
            # kpi a: outlook A one year ahead (final A: agrees), B two years ahead (disagrees)
            ("p", "a", 2024, 2025, 3, "A", 110.0, 105.0, "A", False),
            ("p", "a", 2023, 2025, 2, "B", 90.0, 105.0, "A", False),
            ("p", "a", 2022, 2025, 1, outlook.CANNOT, None, 105.0, "A", False),
            # kpi b: D one year ahead, final C: the grade differs, "not met" agrees
            ("p", "b", 2024, 2025, 3, "D", 10.0, 60.0, "C", False),
        ],
        columns=[
            "plan_id",
            "kpi_id",
            "as_of_year",
            "final_year",
            "points",
            "outlook_grade",
            "projected_value",
            "final_actual",
            "final_grade",
            "is_sample",
        ],
    )
    table, matrix = outlook.backtest(rows)
    by = table.set_index("見込みの時点")
    assert by.loc["最終年度の1年前", "比較数"] == 2
    assert by.loc["最終年度の1年前", "評価が一致"] == 1
    assert by.loc["最終年度の1年前", "達成・未達が一致"] == 2
    assert by.loc["最終年度の2年前", "一致率(%)"] == 0
    assert by.loc["最終年度の3年前", "見込み算出不可"] == 1
    assert by.loc["計", "比較数"] == 3 and by.loc["計", "評価が一致"] == 1
    assert matrix.loc["見込み D", "実際 C"] == 1 and matrix.loc["見込み A", "実際 A"] == 1
    assert int(matrix.to_numpy().sum()) == 3


# ------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> str:
    db = tmp_path_factory.mktemp("outlook") / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0
    return str(db)


def test_backtest_command_prints_the_agreement_table(sample_db, capsys):
    capsys.readouterr()
    assert cli.main(["outlook-backtest", "--db", sample_db, "--plan-id", "hadano-r3-r7"]) == 0
    out = capsys.readouterr().out
    with repository.open_db(sample_db) as c:
        table, matrix = outlook.backtest(repository.outlook_backtest_rows(c, BANDS))
    assert "架空" in out  # the sample values are fictional, and the output says so
    total = table.set_index("見込みの時点").loc["計"]
    assert total["比較数"] > 0
    line = next(x for x in out.splitlines() if x.startswith("計 "))
    assert line.split()[1:6] == [
        str(int(total["指標数"])),
        str(int(total["見込み算出不可"])),
        str(int(total["比較数"])),
        str(int(total["評価が一致"])),
        f"{float(total['一致率(%)'])}",
    ]
    assert "実際 A" in out
    for grade in "ABCD":
        printed = next(x for x in out.splitlines() if x.startswith(f"見込み {grade}"))
        assert printed.split()[2:] == [str(n) for n in matrix.loc[f"見込み {grade}"]]
    assert "nan" not in out


def test_backtest_command_rejects_an_unknown_plan(sample_db, capsys):
    assert cli.main(["outlook-backtest", "--db", sample_db, "--plan-id", "nope"]) == 1
    assert "nope" in capsys.readouterr().err


def test_backtest_command_without_graded_final_years(seed_db, capsys):
    assert cli.main(["outlook-backtest", "--db", str(seed_db.db_path)]) == 0
    assert "検証できません" in capsys.readouterr().out


def test_docs_record_the_backtest_of_the_sample_as_the_command_prints_it(sample_db, capsys):
    """docs/outlook.md quotes the command's tables for the fictional sample: they must still be
    what it prints (after a change to the sample or the method, rerun it and paste)."""
    from kpi.config import ROOT

    doc = (ROOT / "docs" / "outlook.md").read_text(encoding="utf-8")
    quoted = doc.split("```\n見込みの時点")[1].split("```")[0]
    capsys.readouterr()
    assert cli.main(["outlook-backtest", "--db", sample_db]) == 0
    out = capsys.readouterr().out
    assert "見込みの時点" + quoted.rstrip("\n") in out
    assert "架空" in doc.split("## Is it any good?")[1]


def test_one_plans_outlook_reads_only_that_plans_rows(plan_con, settings):
    """kpi_outlook_of(plan_filter) filters every table where it is read, as kpi_status_at
    does (a national database holds 1,741 plans)."""
    from tests.test_scale import PLAN_ID, copies_of_the_seed, rows_read

    ids = copies_of_the_seed(plan_con, 20)
    for pid in (PLAN_ID, *ids):
        with repository.transaction(plan_con):
            uid = db_helpers.insert_upload(
                plan_con,
                kind="actuals",
                plan_id=pid,
                filename="a.xlsx",
                sha256=pid,
                uploaded_at=dt.datetime(2026, 5, 1),
                uploaded_by="t",
            )
            repository.insert_actuals(
                plan_con,
                pd.DataFrame(
                    [
                        dict(
                            plan_id=pid,
                            kpi_id="1-2-1-1",
                            fiscal_year=fy,
                            actual_value=7000.0 + fy,
                            note=None,
                            upload_id=uid,
                            recorded_at=dt.datetime(2026, 5, 1),
                            source_cell="",
                        )
                        for fy in (2021, 2022)
                    ],
                    columns=repository.ACTUAL_COLUMNS,
                ),
            )
    one = repository.outlook(plan_con, PLAN_ID, BANDS)
    every = plan_con.execute("SELECT * FROM kpi_outlook_of(80, 50)").df()
    mine = every[every["plan_id"] == PLAN_ID].sort_values(["kpi_id", "as_of_year"])
    pd.testing.assert_frame_equal(one.reset_index(drop=True), mine.reset_index(drop=True))
    read = rows_read(plan_con, f"SELECT * FROM kpi_outlook_of(80, 50, plan_filter := '{PLAN_ID}')")
    assert read["kpis"] == one["kpi_id"].nunique()
    assert read["plans"] == 1
    assert read["kpi_actuals"] == 2  # of the 42 stored
