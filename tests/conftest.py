"""Shared fixtures: real DuckDB databases (in memory or in tmp_path), never mocks."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from etl.plan_loader import load_plan
from kpi import repository
from kpi.config import ROOT, Settings, load_settings

PLAN_XLSX = ROOT / "data" / "plan.xlsx"
SEED_DIR = ROOT.parent / "shared" / "seed"
TODAY = dt.date(2026, 11, 25)  # every fiscal year of the seed plan has ended


@pytest.fixture(scope="session")
def plan_bytes() -> bytes:
    return PLAN_XLSX.read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(load_settings(), db_path=tmp_path / "kpi.duckdb", today_override=TODAY)


@pytest.fixture
def con(settings: Settings):
    """An in-memory database with the schema and nothing else."""
    c = repository.connect(":memory:")
    repository.init_schema(c, settings.grading)
    yield c
    c.close()


@pytest.fixture(scope="session")
def seed_file(tmp_path_factory, plan_bytes) -> Path:
    """The seed plan loaded once per run (~0.4 s); tests get copies of the file."""
    base = tmp_path_factory.mktemp("seed")
    settings = load_settings().with_db(base / "seed.duckdb")
    with repository.open_db(settings.db_path) as c:
        repository.init_schema(c, settings.grading)
        load_plan(c, plan_bytes, "plan.xlsx", by="test", settings=settings)
    return settings.db_path


@pytest.fixture
def seed_db(seed_file: Path, settings: Settings) -> Settings:
    """A database file holding the seed plan; returns the settings that point at it."""
    shutil.copyfile(seed_file, settings.db_path)
    return settings


@pytest.fixture
def plan_con(seed_db: Settings):
    """A connection to a private copy of the seed plan database."""
    c = repository.connect(seed_db.db_path)
    yield c
    c.close()


def edit_workbook(data: bytes, edit: Callable[[openpyxl.Workbook], None]) -> bytes:
    """A copy of a workbook changed by `edit` (what a clerk might do in Excel)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def find_row(ws, column: int, value: str) -> int:
    """1-based row whose cell in `column` (1-based) equals value."""
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=column).value == value:
            return r
    raise KeyError(value)
