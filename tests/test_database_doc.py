"""The SQL examples of docs/database.md run on a real database and answer what they say."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from etl.actuals_loader import commit_actuals
from kpi.config import ROOT

DOC = ROOT / "docs" / "database.md"
SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"


def examples() -> list[str]:
    """Each example is a paragraph of SQL (one or more statements) under its comment."""
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [p.strip() for block in blocks for p in re.split(r"\n\s*\n", block) if p.strip()]


@pytest.fixture
def sampled(plan_con, settings):
    # Loaded before the moment the "as known at" example asks about.
    commit_actuals(
        plan_con,
        SAMPLE.read_bytes(),
        SAMPLE.name,
        by="t",
        settings=settings,
        now=dt.datetime(2026, 5, 1, 9, 0),
    )
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
