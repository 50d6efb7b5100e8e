"""The yearly template (DESIGN 4.2): rows, protection, validation, and a filled one loads as is."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from etl.actuals_loader import commit_actuals, preview_actuals
from etl.plan_loader import load_plan
from etl.template import HEADER_ROW, HEADERS, build_template
from etl.xlsx import read_sheets
from kpi import repository
from kpi.config import ROOT, Grading
from kpi.errors import KpiError, NotFound

PLAN_ID = "hadano-r3-r7"
FIRST = HEADER_ROW + 1  # first data row (1-based)


@pytest.fixture
def template(plan_con) -> bytes:
    return build_template(plan_con, PLAN_ID, 2025, today=dt.date(2026, 4, 1))


def sheet(data: bytes, name: str = "実績"):
    return openpyxl.load_workbook(io.BytesIO(data))[name]


def col(header: str) -> int:
    return HEADERS.index(header) + 1


def data_rows(ws):
    return range(FIRST, ws.max_row + 1)


def test_one_row_per_kpi_stored_once_year_prefilled(plan_con, template):
    ws = sheet(template)
    assert [c.value for c in ws[HEADER_ROW]] == [*HEADERS, "計画ID"]  # the plan travels along
    assert "令和7年度" in ws["A1"].value and "2026-04-01" in ws["A2"].value
    ids = [ws.cell(r, col("指標ID")).value for r in data_rows(ws)]
    status = repository.status(plan_con, PLAN_ID, dt.date(2026, 11, 25), Grading())
    expected = list(dict.fromkeys(status["kpi_id"]))  # printed order
    assert ids == expected and len(ids) == 35  # 3-2-1 shows 2-4-3's KPIs: not repeated
    assert {ws.cell(r, col("年度")).value for r in data_rows(ws)} == {"令和7年度"}
    by_id = {ws.cell(r, 1).value: r for r in data_rows(ws)}
    r = by_id["2-5-3-3"]
    assert ws.cell(r, col("目標値")).value == "１件以下"  # printed text
    assert ws.cell(r, col("単位")).value == "件"
    assert ws.cell(r, col("担当課")).value == "情報システム課"
    assert ws.cell(by_id["1-3-3-1"], col("目標値")).value == "（目標なし）"  # 2023 only
    assert ws.cell(by_id["1-2-4-1"], col("事業番号")).value == "1-2-4"
    assert all(ws.cell(r, col("実績値")).value is None for r in data_rows(ws))
    assert "説明" in openpyxl.load_workbook(io.BytesIO(template)).sheetnames


def test_only_value_and_note_unlocked(template):
    ws = sheet(template)
    assert ws.protection.sheet is True and not ws.protection.password
    for r in data_rows(ws):
        for c, header in enumerate(HEADERS, start=1):
            cell = ws.cell(r, c)
            assert cell.protection.locked is (header not in ("実績値", "備考")), (header, r)
    assert ws.cell(HEADER_ROW, 1).font.bold
    shaded = ws.cell(FIRST, col("事業名")).fill.fgColor.rgb
    assert shaded != ws.cell(FIRST, col("実績値")).fill.fgColor.rgb


def test_value_validation_and_plain_number_format(template):
    ws = sheet(template)
    [dv] = ws.data_validations.dataValidation
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert str(dv.sqref) == f"H{FIRST}:H{ws.max_row}"
    assert dv.showInputMessage and dv.prompt and dv.allow_blank
    percent_rows = [r for r in data_rows(ws) if ws.cell(r, col("単位")).value == "%"]
    assert percent_rows
    assert all(ws.cell(r, col("実績値")).number_format == "General" for r in percent_rows)


def test_a_filled_template_loads_without_any_edit(plan_con, settings, template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["実績"]
    expected = {}
    for i, r in enumerate(data_rows(ws)):
        kid = ws.cell(r, col("指標ID")).value
        if i % 7 == 3:
            continue  # left blank: not reported
        value = 10 + i
        ws.cell(r, col("実績値")).value = value
        expected[kid] = float(value)
    ws.cell(FIRST, col("備考")).value = "速報値"
    buf = io.BytesIO()
    wb.save(buf)
    preview = preview_actuals(
        plan_con, buf.getvalue(), "filled.xlsx", plan_id=None, settings=settings
    )
    assert preview.warnings == []
    assert preview.counts == {"new": 30, "changed": 0, "unchanged": 0, "skipped": 5}
    commit_actuals(plan_con, buf.getvalue(), "filled.xlsx", by="t", settings=settings)
    now = repository.current_actuals_of(plan_con, [PLAN_ID])
    assert dict(zip(now["kpi_id"], now["actual_value"], strict=True)) == expected
    assert set(now["fiscal_year"]) == {2025}
    assert now.set_index("kpi_id").loc["1-1-1-1", "note"] == "速報値"


def test_text_starting_with_equals_is_stored_as_text(plan_con):
    plan_con.execute(
        "UPDATE kpis SET name = '=HYPERLINK(\"http://x\",\"y\")' WHERE kpi_id = '1-1-2-1'"
    )
    data = build_template(plan_con, PLAN_ID, 2025)
    ws = sheet(data)
    r = next(r for r in data_rows(ws) if ws.cell(r, 1).value == "1-1-2-1")
    cell = ws.cell(r, col("指標名"))
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml
    [read] = read_sheets(data, ["実績"])
    assert read.rows[r - 1][col("指標名") - 1] == '=HYPERLINK("http://x","y")'
    assert not read.formula_without_value


def test_year_outside_the_plan_and_unknown_plan(plan_con):
    with pytest.raises(KpiError):
        build_template(plan_con, PLAN_ID, 2030)
    with pytest.raises(NotFound):
        build_template(plan_con, "nowhere", 2025)


def test_a_template_keeps_its_plan_when_a_newer_plan_exists(plan_con, seed_db, template):
    import copy

    from etl.actuals_loader import resolve_plan_id
    from etl.plan_source import build_workbook, load_source

    source = copy.deepcopy(load_source(ROOT / "data" / "source" / "plan.toml"))
    source["plan"].update(plan_id="next-plan", start_fy=2026, end_fy=2030)
    for p in source["projects"]:
        for k in p.get("kpis", []):
            if "targets" in k:
                k["targets"] = {str(int(y) + 5): t for y, t in k["targets"].items()}
        for a in p.get("activities", []):
            if "years" in a:
                a["years"] = {str(int(y) + 5): t for y, t in a["years"].items()}
    load_plan(plan_con, build_workbook(source), "next.xlsx", by="t", settings=seed_db)
    assert resolve_plan_id(plan_con) == "next-plan"  # the newest plan is the default

    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["実績"]
    ws.cell(FIRST, col("実績値"), value=3)
    buf = io.BytesIO()
    wb.save(buf)
    result = commit_actuals(plan_con, buf.getvalue(), "t.xlsx", by="t", settings=seed_db)
    assert result.preview.plan_ids == [PLAN_ID]  # the 計画ID column kept it in its plan


def test_downloads_are_written_without_the_database_once_read(seed_db):
    """The page reads what a template needs; the file is written on click, when Streamlit runs
    the download outside the page (an error there could only say "Failed to generate file")."""
    import zipfile

    from etl import operations, round_ops
    from etl.template import write_template

    source = operations.template_source(seed_db, "hadano-r3-r7", 2025)
    round_source = round_ops.round_source(seed_db, "hadano-r3-r7", 2025)
    with repository.open_db(seed_db.db_path) as con:
        expected = build_template(con, "hadano-r3-r7", 2025, today=seed_db.today())
    seed_db.db_path.unlink()  # nothing is read any more

    data = write_template(source, today=seed_db.today())
    for name in ("実績", "事業評価"):
        written = openpyxl.load_workbook(io.BytesIO(data))[name]
        built = openpyxl.load_workbook(io.BytesIO(expected))[name]
        assert [list(r) for r in written.values] == [list(r) for r in built.values]
    names = zipfile.ZipFile(
        io.BytesIO(round_ops.templates_zip(round_source, None, seed_db.today()))
    ).namelist()
    assert names and all(n.startswith("2025_") and n.endswith(".xlsx") for n in names)
