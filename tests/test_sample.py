"""The fictional sample actuals (DESIGN 8): reproducible, labelled, loads cleanly, every grade."""

from __future__ import annotations

import io

import openpyxl
import pytest

from etl import cli
from etl.actuals_loader import commit_actuals
from etl.sample import FICTIONAL, INCIDENTS, SAMPLE_FILE, build_sample
from kpi import repository
from tests.conftest import TODAY

PLAN_ID = "hadano-r3-r7"


def cell_values(data: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


@pytest.fixture(scope="module")
def generated() -> bytes:
    return build_sample()


def test_committed_file_is_what_the_generator_writes(generated):
    assert cell_values(SAMPLE_FILE.read_bytes()) == cell_values(generated)
    assert cell_values(build_sample()) == cell_values(generated)  # deterministic


def test_cli_regenerates_it(tmp_path, generated, capsys):
    out = tmp_path / "s.xlsx"
    assert cli.main(["sample-workbook", "--out", str(out)]) == 0
    assert cell_values(out.read_bytes()) == cell_values(generated)


def test_labelled_as_fictional():
    values = cell_values(SAMPLE_FILE.read_bytes())
    assert FICTIONAL in values["実績"][0][0]
    assert any(FICTIONAL in (row[0] or "") for row in values["説明"])


@pytest.fixture
def loaded(plan_con, settings):
    result = commit_actuals(
        plan_con,
        SAMPLE_FILE.read_bytes(),
        SAMPLE_FILE.name,
        by="t",
        settings=settings,
        kind="sample",
    )
    return plan_con, result


def test_loads_without_problems_covering_every_year(loaded):
    con, result = loaded
    assert result.written and result.preview.warnings == []
    assert repository.upload(con, result.upload_ids[0])["kind"] == "sample"
    years = con.execute("SELECT DISTINCT fiscal_year FROM kpi_actuals ORDER BY 1").fetchall()
    assert [y for (y,) in years] == [2021, 2022, 2023, 2024, 2025]
    assert result.preview.skipped > 0


def test_every_grade_appears(loaded, settings):
    con, _ = loaded
    status = repository.status(con, PLAN_ID, TODAY, settings.grading)
    grades = set(status["grade"])
    assert {"A", "B", "C", "D", "未報告", "評価対象外", "目標なし"} <= grades
    graded = status[status["grade"].isin(["A", "B", "C", "D"])]
    assert graded.groupby("fiscal_year")["grade"].nunique().min() >= 3  # a mix every year
    # A few text-target KPIs carry a value (shown, not graded).
    assert len(status[(status["grade"] == "評価対象外") & status["actual_value"].notna()]) >= 3


def test_values_are_plausible(loaded):
    con, _ = loaded
    now = repository.current_actuals_of(con, [PLAN_ID])
    cumulative = con.execute("SELECT kpi_id FROM kpis WHERE cumulative").fetchall()
    for (kid,) in cumulative:
        series = now[now["kpi_id"] == kid].sort_values("fiscal_year")["actual_value"].tolist()
        assert len(series) >= 3 and series == sorted(series), kid
    incidents = now[now["kpi_id"] == INCIDENTS]["actual_value"]
    assert len(incidents) == 5 and incidents.between(0, 10).all()
    assert incidents.apply(float.is_integer).all()
    assert now["note"].notna().sum() >= 3
    percent = con.execute("SELECT kpi_id FROM kpis WHERE unit = '%'").fetchall()
    values = now[now["kpi_id"].isin([k for (k,) in percent])]["actual_value"]
    assert values.between(1.5, 100).all()
