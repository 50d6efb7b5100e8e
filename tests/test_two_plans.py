"""Two plans side by side (#14): the next plan beside the seed plan, 前計画指標ID charts, the
plan selector opening on the plan that covers today, original targets drawn faintly."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from etl.actuals_loader import commit_actuals
from etl.plan_versions import commit_plan
from kpi import charts, service
from kpi.config import ROOT, load_settings
from kpi.dashboard import kpi_history
from tests.conftest import edit_workbook, find_row
from tests.plan_fixtures import NEXT_PLAN, SEED_PLAN, typed_plan

SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"


@pytest.fixture
def two_plans(plan_con, seed_db):
    commit_actuals(
        plan_con, SAMPLE.read_bytes(), SAMPLE.name, by="t", settings=seed_db, kind="sample"
    )
    commit_plan(plan_con, typed_plan(), "架空市.xlsx", by="t", settings=seed_db)
    seed_actuals = plan_con.execute(
        "SELECT fiscal_year, actual_value FROM kpi_actuals_current "
        "WHERE plan_id = ? AND kpi_id = '2-1-1-2' ORDER BY 1",
        [SEED_PLAN],
    ).fetchall()
    plan_con.close()
    return seed_db, seed_actuals


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_next_plan_charts_show_previous_plan_actuals_greyed(two_plans):
    settings, seed_actuals = two_plans
    assert seed_actuals  # the sample has values for the previous KPI
    data = service.plan_data(settings, NEXT_PLAN)
    prev = data.predecessor_actuals
    assert list(zip(prev["fiscal_year"], prev["actual_value"], strict=True)) == seed_actuals
    assert set(prev["kpi_id"]) == {"1-1-1-1"}
    fig = charts.kpi_figure(kpi_history(data, "1-1-1-1"), previous=prev)
    bars = trace(fig, "前計画の実績")
    assert list(bars.y) == [v for _, v in seed_actuals]
    assert bars.marker.color == charts.PREVIOUS_PLAN_COLOUR
    assert all("架空" in t for t in bars.text)  # the sample is fictional wherever it shows
    order = list(fig.layout.xaxis.categoryarray)
    assert order[: len(seed_actuals)] == [charts.short_year(y) for y, _ in seed_actuals]
    assert order[len(seed_actuals) :] == [charts.short_year(y) for y in range(2026, 2031)]
    # a KPI without 前計画指標ID has no such bars
    other = charts.kpi_figure(kpi_history(data, "1-1-1-2"), previous=prev[prev["kpi_id"] == "x"])
    assert all(t.name != "前計画の実績" for t in other.data)


def test_revised_target_drawn_faintly_beside_the_one_in_force(plan_con, seed_db, plan_bytes):
    def edit(wb):
        ws = wb["評価指標"]
        header = [c.value for c in ws[1]]
        ws.cell(
            row=find_row(ws, 2, "1-3-1-1"), column=header.index("令和6年度") + 1, value="900万件"
        )

    commit_plan(
        plan_con,
        edit_workbook(plan_bytes, edit),
        "v2.xlsx",
        by="t",
        settings=seed_db,
        reason="見直し",
    )
    plan_con.close()
    data = service.plan_data(seed_db, SEED_PLAN)
    original = data.original_targets[data.original_targets["kpi_id"] == "1-3-1-1"]
    fig = charts.kpi_figure(kpi_history(data, "1-3-1-1"), original=original)
    faint = trace(fig, "当初の目標（見直し前）")
    assert list(faint.x) == [charts.short_year(2024)] and list(faint.y) == [8_280_000.0]
    assert faint.opacity < 1
    assert len(data.revisions) == 1 and data.revisions["reason"].iloc[0] == "見直し"


@pytest.mark.parametrize(
    ("today", "expected"), [("2026-11-25", NEXT_PLAN), ("2025-06-01", SEED_PLAN)]
)
def test_plan_selector_opens_on_the_plan_covering_today(two_plans, monkeypatch, today, expected):
    settings, _ = two_plans
    monkeypatch.setenv("KPI_DB", str(settings.db_path))
    monkeypatch.setenv("KPI_TODAY", today)
    load_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.sidebar.selectbox(key="plan").value == expected
    finally:
        load_settings.cache_clear()
