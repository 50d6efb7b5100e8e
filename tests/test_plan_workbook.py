"""data/plan.xlsx is generated from data/source/plan.toml: the two must agree cell by cell."""

import io

import openpyxl

from etl.plan_source import build_workbook, expand, load_source
from kpi.config import ROOT

SOURCE = ROOT / "data" / "source" / "plan.toml"


def cell_values(data: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def test_committed_workbook_matches_the_source():
    generated = cell_values(build_workbook(load_source(SOURCE)))
    committed = cell_values((ROOT / "data" / "plan.xlsx").read_bytes())
    assert committed == generated, "run `make plan-workbook` after editing plan.toml"


def test_relisted_projects_inherit_and_same_as_kpis_are_not_duplicated():
    data = expand(load_source(SOURCE))
    projects = {p["id"]: p for p in data["projects"]}
    assert projects["3-2-1"]["overview"] == projects["2-4-3"]["overview"]
    assert projects["2-3-2"]["activities"] == projects["2-2-2"]["activities"]
    kpis = {k["id"]: k for k in data["kpis"]}
    assert "3-2-1-1" not in kpis and kpis["2-4-3-1"]["relisted_in"] == ["3-2-1"]
    assert kpis["2-2-2-2"]["relisted_in"] == ["2-3-2"] and "2-3-2-1" in kpis
