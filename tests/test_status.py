"""Grading rules of DESIGN 6, run through the real kpi_status SQL on an in-memory DuckDB."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kpi import repository
from kpi.config import Grading
from kpi.dashboard import Filters, PlanData, by_policy, headline, select
from kpi.status import badge_text, summarise
from tests import db_helpers

PLAN = "p"
ENDED = dt.date(2026, 11, 25)  # FY2021..2025 all ended
DURING_2025 = dt.date(2025, 12, 1)  # FY2025 not ended yet


def make_plan(con, kpis: list[dict], targets: list[tuple], actuals: list[tuple]) -> None:
    """kpis: dicts with id/direction/unit/cumulative; targets: (kpi, fy, value, comparator,
    text); actuals: (kpi, fy, value)."""
    frames = {
        "plans": [dict(plan_id=PLAN, name="計画", organization="市", start_fy=2021, end_fy=2025)],
        "policies": [
            dict(plan_id=PLAN, policy_no=1, name="方針1"),
            dict(plan_id=PLAN, policy_no=2, name="方針2"),
        ],
        "measures": [
            dict(plan_id=PLAN, measure_id="1-1", policy_no=1, name="施策", seq=1),
            dict(plan_id=PLAN, measure_id="2-1", policy_no=2, name="施策2", seq=2),
        ],
        "projects": [
            dict(
                plan_id=PLAN,
                project_id="1-1-1",
                measure_id="1-1",
                name="事業",
                overview=None,
                aims=None,
                relisted_from=None,
                seq=1,
            ),
            dict(
                plan_id=PLAN,
                project_id="2-1-1",
                measure_id="2-1",
                name="再掲事業",
                overview=None,
                aims=None,
                relisted_from="1-1-1",
                seq=2,
            ),
        ],
        "project_departments": [
            dict(plan_id=PLAN, project_id="1-1-1", department="情報システム課", role="lead", seq=1)
        ],
        "activities": [],
        "kpis": [
            dict(
                plan_id=PLAN,
                kpi_id=k["id"],
                project_id="1-1-1",
                name=k["id"],
                unit=k.get("unit", "件"),
                direction=k.get("direction", "higher"),
                cumulative=k.get("cumulative", False),
                rationale=None,
                seq=i,
            )
            for i, k in enumerate(kpis)
        ],
        "project_kpis": [
            dict(plan_id=PLAN, project_id=p, kpi_id=k["id"], relisted=p != "1-1-1")
            for k in kpis
            for p in ("1-1-1", "2-1-1")
        ],
        "kpi_targets": [
            dict(
                plan_id=PLAN, kpi_id=k, fiscal_year=fy, target_value=v, comparator=c, target_text=t
            )
            for k, fy, v, c, t in targets
        ],
    }
    tables = {
        t: pd.DataFrame(frames.get(t, []), columns=cols)
        for t, cols in repository.PLAN_TABLES.items()
    }
    with repository.transaction(con):
        repository.replace_plan(con, tables)
        uid = db_helpers.insert_upload(
            con,
            kind="actuals",
            plan_id=PLAN,
            filename="a.xlsx",
            sha256="s",
            uploaded_at=dt.datetime(2026, 5, 1),
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
                        recorded_at=dt.datetime(2026, 5, 1),
                        source_cell="",
                    )
                    for k, fy, v in actuals
                ],
                columns=repository.ACTUAL_COLUMNS,
            ),
        )


DEFAULT_BANDS = Grading()


def grade_of(con, kpi, fy, as_of=ENDED, grading=DEFAULT_BANDS):
    s = repository.status(con, PLAN, as_of, grading)
    row = s[(s["kpi_id"] == kpi) & (s["fiscal_year"] == fy)].iloc[0]
    rate = None if pd.isna(row["achievement_rate"]) else round(float(row["achievement_rate"]), 1)
    return row["grade"], rate


@pytest.mark.parametrize(
    ("direction", "comparator", "target", "actual", "grade", "rate"),
    [
        ("higher", ">=", 100, 120, "A", 120.0),
        ("higher", ">=", 100, 100, "A", 100.0),
        ("higher", ">=", 100, 85, "B", 85.0),
        ("higher", ">=", 100, 80, "B", 80.0),  # band edge is inclusive
        ("higher", ">=", 100, 79.9, "C", 79.9),
        ("higher", ">=", 100, 50, "C", 50.0),
        ("higher", ">=", 100, 30, "D", 30.0),
        ("lower", "<=", 5, 3, "A", 166.7),  # incidents: fewer is better, rate = T / A
        ("lower", "<=", 5, 5, "A", 100.0),
        ("lower", "<=", 5, 6, "B", 83.3),
        ("lower", "<=", 5, 10, "C", 50.0),
        ("lower", "<=", 1, 4, "D", 25.0),
        ("lower", "<=", 5, 0, "A", 100.0),  # zero incidents is met
        ("lower", "<=", 0, 0, "A", 100.0),
        ("lower", "<=", 0, 2, "D", 0.0),
        ("maintain", "=", 2, 2, "A", 100.0),  # 月２回
        ("maintain", "=", 2, 3, "A", 150.0),  # more often than planned is fine
        ("maintain", "=", 2, 1, "C", 50.0),
        ("higher", ">=", 0, 0, "A", 100.0),  # zero target: met when A >= 0
        ("higher", ">=", 0, 5, "A", 100.0),
        ("higher", ">=", 3, 0, "D", 0.0),  # zero actual
    ],
)
def test_numeric_rules(con, direction, comparator, target, actual, grade, rate):
    make_plan(
        con,
        [dict(id="k", direction=direction)],
        [("k", 2025, target, comparator, str(target))],
        [("k", 2025, actual)],
    )
    assert grade_of(con, "k", 2025) == (grade, rate)


def test_cumulative_kpis_grade_their_running_total(con):
    make_plan(
        con,
        [dict(id="k", cumulative=True, unit="時間")],
        [("k", 2024, 5250, ">=", "５，２５０時間"), ("k", 2025, 7350, ">=", "７，３５０時間")],
        [("k", 2024, 5300), ("k", 2025, 7000)],
    )
    assert grade_of(con, "k", 2024) == ("A", 101.0)
    assert grade_of(con, "k", 2025) == ("B", 95.2)


def test_ungraded_statuses(con):
    make_plan(
        con,
        [dict(id="t"), dict(id="n")],
        [
            ("t", 2025, None, None, "検討を踏まえ設定"),
            ("n", 2024, 10, ">=", "10"),
            ("n", 2025, 10, ">=", "10"),
        ],
        [("t", 2025, 3), ("n", 2021, 4)],
    )
    assert grade_of(con, "t", 2025) == ("評価対象外", None)  # text target, even with an actual
    assert grade_of(con, "n", 2021) == ("目標なし", None)  # an actual but no target that year
    assert grade_of(con, "n", 2023) == ("目標なし", None)
    assert grade_of(con, "n", 2024) == ("未報告", None)  # year ended, nothing reported
    assert grade_of(con, "n", 2025, as_of=DURING_2025) == ("対象年度前", None)
    assert grade_of(con, "n", 2025, as_of=dt.date(2026, 3, 31)) == ("対象年度前", None)
    assert grade_of(con, "n", 2025, as_of=dt.date(2026, 4, 1)) == ("未報告", None)


def test_an_actual_in_a_running_year_is_graded(con):
    make_plan(con, [dict(id="k")], [("k", 2025, 10, ">=", "10")], [("k", 2025, 12)])
    assert grade_of(con, "k", 2025, as_of=DURING_2025) == ("A", 120.0)


def test_band_edges_come_from_config(con):
    make_plan(con, [dict(id="k")], [("k", 2025, 100, ">=", "100")], [("k", 2025, 85)])
    assert grade_of(con, "k", 2025, grading=Grading(grade_b_min=90, grade_c_min=60))[0] == "C"
    assert grade_of(con, "k", 2025, grading=Grading(grade_b_min=80, grade_c_min=50))[0] == "B"


def test_view_for_analysts_uses_today_and_config(con):
    make_plan(con, [dict(id="k")], [("k", 2021, 100, ">=", "100")], [("k", 2021, 85)])
    rows = con.execute(
        "SELECT grade, achievement_rate FROM kpi_status WHERE kpi_id = 'k' AND fiscal_year = 2021"
    ).fetchall()
    assert rows == [("B", 85.0)]


def plan_data(con, as_of=ENDED) -> PlanData:
    return PlanData(
        plan=repository.plan_info(con, PLAN),
        status=repository.status(con, PLAN, as_of, Grading()),
        listings=repository.listings(con, PLAN),
        projects=repository.projects(con, PLAN),
        departments=repository.departments(con, PLAN),
        activities=repository.activities(con, PLAN),
    )


def test_summaries_count_each_kpi_once_even_when_relisted(con):
    make_plan(
        con,
        [dict(id="a"), dict(id="b"), dict(id="c")],
        [("a", 2025, 10, ">=", "10"), ("b", 2025, 10, ">=", "10"), ("c", 2025, 10, ">=", "10")],
        [("a", 2025, 12), ("b", 2025, 3)],
    )
    data = plan_data(con)
    sel = select(data, Filters(fiscal_year=2025))
    assert len(data.listings) == 6  # every KPI printed under two projects
    h = headline(sel)
    assert (h.kpis, h.graded, h.met, h.share_met) == (3, 2, 1, 50.0)
    assert h.counts["D"] == 1 and h.counts["未報告"] == 1
    policy = by_policy(data, sel).set_index("policy_no")
    assert list(policy["指標数"]) == [3, 3]  # shown under both policies, once in each


def test_grade_filter_and_default_year(con):
    make_plan(
        con,
        [dict(id="a"), dict(id="b")],
        [("a", 2024, 10, ">=", "10"), ("b", 2024, 10, ">=", "10")],
        [("a", 2024, 12), ("b", 2024, 1)],
    )
    data = plan_data(con)
    assert data.latest_year_with_actuals() == 2024
    sel = select(data, Filters(grades=("D",)))
    assert sel.fiscal_year == 2024 and sel.kpi_ids == ["b"]
    assert set(sel.year_status["grade"]) == {"D"}


def test_summarise_and_badges_do_not_rely_on_colour():
    s = summarise(pd.DataFrame({"kpi_id": ["x", "x", "y"], "grade": ["A", "A", "D"]}))
    assert (s.kpis, s.met, s.share_met) == (2, 1, 50.0)
    assert badge_text("A") == "◎ A 達成" and badge_text("D") == "× D 未達成"
    assert badge_text("未報告") == "－ 未報告"


def test_a_failed_statement_rolls_the_whole_transaction_back(con):
    import duckdb

    before = db_helpers.snapshot(con)
    with pytest.raises(duckdb.Error), repository.transaction(con):
        con.execute("INSERT INTO plans VALUES ('x', 'n', 'o', 2021, 2025)")
        con.execute("INSERT INTO plans VALUES ('x', 'n', 'o', 2021, 2025)")  # duplicate key
    assert db_helpers.snapshot(con) == before  # the first insert is gone too
