"""The SQL examples of docs/database.md run on a real database and answer what they say."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from etl.actuals_loader import commit_actuals
from etl.plan_versions import commit_plan
from kpi.config import ROOT
from tests.conftest import edit_workbook, find_row
from tests.plan_fixtures import typed_plan

DOC = ROOT / "docs" / "database.md"
SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"
REVISION_REASON = "中間見直し"


def revised_plan(plan_bytes: bytes) -> bytes:
    """The seed plan with one target revised: 1-3-1-1 in FY2024."""

    def edit(wb):
        ws = wb["評価指標"]
        header = [c.value for c in ws[1]]
        ws.cell(
            row=find_row(ws, 2, "1-3-1-1"), column=header.index("令和6年度") + 1, value="900万件"
        )

    return edit_workbook(plan_bytes, edit)


def examples() -> list[str]:
    """Each example is a paragraph of SQL (one or more statements) under its comment."""
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [p.strip() for block in blocks for p in re.split(r"\n\s*\n", block) if p.strip()]


@pytest.fixture
def sampled(plan_con, settings, plan_bytes):
    # Loaded before the moment the "as known at" example asks about.
    commit_actuals(
        plan_con,
        SAMPLE.read_bytes(),
        SAMPLE.name,
        by="t",
        settings=settings,
        now=dt.datetime(2026, 5, 1, 9, 0),
    )
    # #14: a revised target (with its reason) and the next plan, for the version examples
    commit_plan(
        plan_con,
        revised_plan(plan_bytes),
        "plan_v2.xlsx",
        by="t",
        settings=settings,
        reason=REVISION_REASON,
        now=dt.datetime(2026, 6, 1, 9, 0),
    )
    commit_plan(plan_con, typed_plan(), "架空市.xlsx", by="t", settings=settings)
    return plan_con


def test_there_are_examples():
    assert len(examples()) >= 5


@pytest.mark.parametrize("sql", examples(), ids=lambda s: s.splitlines()[0][:60])
def test_every_example_runs_and_returns_rows(sampled, sql):
    assert sampled.execute(sql).fetchall()  # the last statement's rows


def test_department_example_lists_each_kpi_once(sampled):
    (sql,) = [s for s in examples() if "'情報システム課'" in s]
    ids = [row[0] for row in sampled.execute(sql).fetchall()]
    assert len(ids) == len(set(ids)) >= 10


def test_revision_example_lists_the_revision_with_its_reason(sampled):
    (sql,) = [s for s in examples() if "FROM kpi_target_revisions" in s]
    rows = sampled.execute(sql).fetchall()
    assert [(r[0], r[1], r[3], r[6]) for r in rows] == [
        ("1-3-1-1", 2024, "900万件", REVISION_REASON)
    ]
