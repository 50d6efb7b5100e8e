"""要対応, per-policy rates and 前年度比 (issue 12): the core on a graded database with
department comments, and 概況 / 庁議モード through AppTest."""

from __future__ import annotations

import duckdb
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from etl import cli
from etl.template import HEADER_ROW, HEADERS
from kpi import service
from kpi.attention import (
    DOWN,
    NEW,
    SAME,
    UP,
    attention_table,
    change_counts,
    grade_changes,
    grade_reasons,
    needs_attention,
    policy_rates,
)
from kpi.config import ROOT, load_settings
from kpi.dashboard import Filters, council_screens, select

PLAN = "hadano-r3-r7"
TODAY = "2026-11-25"
MADE_D = "1-1-2-1"  # 利用率: graded A in the sample; the file below makes it D


@pytest.fixture(scope="module")
def graded_db(tmp_path_factory) -> str:
    """The sample database, then a 令和7年度 file that comments every C / D KPI (same values)
    and pushes one A KPI down to D with a comment."""
    base = tmp_path_factory.mktemp("attention")
    db = str(base / "kpi.duckdb")
    assert cli.main(["build", "--sample", "--db", db]) == 0
    with duckdb.connect(db, read_only=True) as con:
        year = con.execute(
            "SELECT kpi_id, grade, actual_value, target_value FROM kpi_status"
            " WHERE plan_id = ? AND fiscal_year = 2025",
            [PLAN],
        ).df()
    graded = year[year["grade"].isin(["C", "D"])].set_index("kpi_id")["actual_value"]
    target = float(year.set_index("kpi_id").loc[MADE_D, "target_value"])
    values = {**graded.to_dict(), MADE_D: round(target * 0.2, 1)}
    path = base / "実績_2025.xlsx"
    assert cli.main(["template", "--fy", "2025", "--out", str(path), "--db", db]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["実績"]
    col = {h: HEADERS.index(h) + 1 for h in ("指標ID", "実績値", "備考")}
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        kpi_id = ws.cell(row=r, column=col["指標ID"]).value
        if kpi_id in values:
            ws.cell(row=r, column=col["実績値"], value=values[kpi_id])
            ws.cell(row=r, column=col["備考"], value=comment(kpi_id))
    wb.save(path)
    assert cli.main(["load-actuals", str(path), "--db", db, "--by", "test"]) == 0
    return db


def comment(kpi_id: str) -> str:
    # long enough to need wrapping at 1366 px
    return f"{kpi_id} の所管課コメント：" + "目標に届かなかった理由と来年度の対策を記載。" * 4


@pytest.fixture
def env(graded_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", graded_db)
    monkeypatch.setenv("KPI_TODAY", TODAY)
    monkeypatch.delenv("KPI_UPLOAD_PASSWORD_HASH", raising=False)
    load_settings.cache_clear()
    yield load_settings()
    load_settings.cache_clear()


def db_grades(db: str, fy: int) -> pd.DataFrame:
    """The grades as analysts read them from the kpi_status view (not through kpi.attention)."""
    with duckdb.connect(db, read_only=True) as con:
        return con.execute(
            "SELECT kpi_id, grade, note FROM kpi_status WHERE plan_id = ? AND fiscal_year = ?",
            [PLAN, fy],
        ).df()


def expected_attention(db: str) -> dict[str, str]:
    year = db_grades(db, 2025)
    rows = year[year["grade"].isin(["C", "D", "未報告"])]
    return dict(zip(rows["kpi_id"], rows["note"].fillna(""), strict=True))


# ------------------------------------------------------------------ core


def test_needs_attention_holds_every_c_d_and_unreported_kpi_with_its_comment(env, graded_db):
    data = service.plan_data(env, PLAN)
    attention = needs_attention(data, select(data, Filters(fiscal_year=2025)))
    expected = expected_attention(graded_db)
    assert MADE_D in expected and any(expected.values())
    assert dict(zip(attention["kpi_id"], attention["note"], strict=True)) == expected
    # worst first: every D before every C before every 未報告
    order = {"D": 0, "C": 1, "未報告": 2}
    ranks = [order[g] for g in attention["grade"]]
    assert ranks == sorted(ranks)
    assert attention.loc[attention["kpi_id"] == MADE_D, "lead"].iloc[0] != ""


def test_needs_attention_follows_the_filters_and_says_nothing_when_none(env, graded_db):
    data = service.plan_data(env, PLAN)
    only_a = needs_attention(data, select(data, Filters(grades=("A",), fiscal_year=2025)))
    assert only_a.empty
    policy3 = select(data, Filters(policies=(3,), fiscal_year=2025))
    attention = needs_attention(data, policy3)
    assert set(attention["kpi_id"]) == set(expected_attention(graded_db)) & set(policy3.kpi_ids)


def test_another_reason_is_one_more_input_and_joins_in_the_reason_column(env):
    data = service.plan_data(env, PLAN)
    sel = select(data, Filters(fiscal_year=2025))
    a_kpi = sel.year_status.loc[sel.year_status["grade"] == "A", "kpi_id"].iloc[0]
    outlook = pd.DataFrame(
        {"kpi_id": [a_kpi, MADE_D], "reason": ["見込みD", "見込みD"], "rank": [15, 15]}
    )
    attention = needs_attention(data, sel, [grade_reasons(sel.year_status), outlook])
    reasons = dict(zip(attention["kpi_id"], attention["reason"], strict=True))
    assert reasons[a_kpi] == "見込みD"
    assert "見込みD" in reasons[MADE_D] and "D" in reasons[MADE_D].replace("見込みD", "")
    assert list(attention_table(attention).columns)[-1] == "理由"


def test_policy_rates_are_the_share_at_a_of_evaluated_kpis(env):
    data = service.plan_data(env, PLAN)
    sel = select(data, Filters(fiscal_year=2025))
    rates = policy_rates(data, sel)
    year = sel.year_status.merge(
        data.listings[["kpi_id", "policy_no"]].drop_duplicates(), on="kpi_id"
    )
    for _, row in rates.iterrows():
        n = int(row["基本方針"].split()[0])
        mine = year[year["policy_no"] == n].drop_duplicates("kpi_id")
        graded = mine[mine["grade"].isin(["A", "B", "C", "D"])]
        assert row["評価済"] == len(graded)
        assert row["達成率"] == f"{(graded['grade'] == 'A').mean() * 100:.1f}%"


def test_grade_changes_compare_with_the_previous_year(env, graded_db):
    data = service.plan_data(env, PLAN)
    changes = grade_changes(data, select(data, Filters(fiscal_year=2025)))
    now = db_grades(graded_db, 2025).set_index("kpi_id")["grade"]
    before = db_grades(graded_db, 2024).set_index("kpi_id")["grade"]
    rank = {"A": 0, "B": 1, "C": 2, "D": 3}
    for kpi_id, movement in zip(changes["kpi_id"], changes["movement"], strict=True):
        p, c = before.get(kpi_id), now[kpi_id]
        if p not in rank:
            assert movement == NEW
        else:
            assert movement == (UP if rank[c] < rank[p] else DOWN if rank[c] > rank[p] else SAME)
    assert set(changes["kpi_id"]) == set(now[now.isin(list(rank))].index)
    assert changes.loc[changes["kpi_id"] == MADE_D, "movement"].iloc[0] == DOWN
    # worsened first
    assert (
        list(changes["movement"])[: change_counts(changes)[DOWN]]
        == [DOWN] * change_counts(changes)[DOWN]
    )


def test_council_screens_put_attention_first_a_few_per_screen(env):
    data = service.plan_data(env, PLAN)
    sel = select(data, Filters(fiscal_year=2025))
    ids = list(needs_attention(data, sel)["kpi_id"])
    screens = council_screens(data, sel, per_screen=3, attention=ids, attention_per_screen=4)
    kinds = [s.kind for s in screens]
    n = -(-len(ids) // 4)
    assert kinds[: n + 2] == ["summary", *["attention"] * n, "changes"]
    assert [k for s in screens[1 : n + 1] for k in s.kpi_ids] == ids
    relisted = {k for s in screens for k in s.relisted}
    assert relisted == {"2-4-3-1", "2-4-3-2"}  # printed again under 3-2-1 (再掲)


# ------------------------------------------------------------------ pages


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def attention_on(at: AppTest) -> pd.DataFrame:
    tables = [t.value for t in at.table if "所管課のコメント" in t.value.columns]
    assert len(tables) == 1
    return tables[0]


def test_overview_lists_exactly_the_c_d_unreported_kpis_with_their_comments(env, graded_db):
    at = open_page("views/overview.py")
    shown = attention_on(at)
    expected = expected_attention(graded_db)
    assert dict(zip(shown.index, shown["所管課のコメント"], strict=True)) == expected
    assert comment(MADE_D) in set(shown["所管課のコメント"])  # the full text, not cut
    assert {"実績", "目標", "達成率", "主管課", "理由"} <= set(shown.columns)


def test_council_second_screen_is_attention_with_comments(env, graded_db):
    at = open_page("views/council.py")
    next(b for b in at.button if b.key == "council_next").click().run()
    assert at.title[0].value.startswith("要対応の指標")
    first = attention_on(at)
    data = service.plan_data(env, PLAN)
    worst_first = list(needs_attention(data, select(data, Filters(fiscal_year=2025)))["kpi_id"])
    assert set(worst_first) == set(expected_attention(graded_db))
    assert list(first.index) == worst_first[: len(first)]
    assert first.loc[MADE_D, "所管課のコメント"] == comment(MADE_D)
