"""Issue #10 item 1: a sheet that reaches too far is refused before any reader sees it.

A 20 KB workbook with one stray cell at XFD1048576 (or XFD400000) made python-calamine try
to allocate hundreds of GB and abort the process with SIGABRT. Every end-to-end check runs
in a child process, so that a regression aborts the child, not pytest.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import textwrap
import zipfile

import openpyxl
import pytest

from etl import guard
from etl.guard import check_workbook_bytes
from etl.sheet_bounds import SheetReach, column_letters, parse_ref
from kpi.config import ROOT, Limits
from tests.conftest import edit_workbook
from tests.test_guard import SHEET, members_of, rezip

SHEET_OPEN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def workbook(far: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "実績"
    ws.append(["指標ID", "年度", "実績値"])
    ws.append(["1-2-1-1", 2025, 8300])
    if far:
        ws[far] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_sheet_xml(xml: bytes) -> bytes:
    return rezip(workbook(), {SHEET: xml})


def sheet_xml(data: bytes, dimension: str | None = None) -> bytes:
    xml = members_of(workbook())[SHEET]
    xml = xml.replace(b"<sheetData>", b"<sheetData>" + data, 1) if data else xml
    if dimension:
        xml = re.sub(
            rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>'.encode(), xml
        )
    return xml


def guard_codes(data: bytes, limits: Limits | None = None) -> list[tuple[str, str, str]]:
    return [(p.code, p.sheet, p.cell) for p in check_workbook_bytes(data, "t.xlsx", limits)]


def run_child(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter (cwd = project root); an abort kills only the child."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --- end to end, in a child process -------------------------------------------------


@pytest.mark.parametrize("far", ["XFD1048576", "XFD400000"])
@pytest.mark.parametrize("deferred", [False, True], ids=["guard", "large-part"])
def test_stray_far_cell_is_refused_without_killing_the_process(tmp_path, far, deferred):
    """Through read_actuals and read_plan (the two readers of uploads). `large-part` makes
    the guard treat the sheet as a part over DEFER_SHEET_BYTES, which etl.xlsx measures."""
    path = tmp_path / "far.xlsx"
    path.write_bytes(workbook(far))
    plan = tmp_path / "plan.xlsx"

    def stray(wb: openpyxl.Workbook) -> None:
        wb["評価指標"][far] = "x"

    plan.write_bytes(edit_workbook((ROOT / "data" / "plan.xlsx").read_bytes(), stray))
    result = run_child(
        f"""
        from pathlib import Path
        from etl import guard
        from etl.actuals_reader import KpiCatalog, read_actuals
        from etl.plan_reader import read_plan
        from kpi.config import Limits
        if {deferred}:
            guard.DEFER_SHEET_BYTES = 1
        data = Path({str(path)!r}).read_bytes()
        got = read_actuals(data, "far.xlsx", KpiCatalog(), plan_id="p", limits=Limits())
        print("actuals", [(p.code, p.sheet, p.cell) for p in got.problems])
        plan = read_plan(Path({str(plan)!r}).read_bytes(), "plan.xlsx", Limits())
        print("plan", [(p.code, p.sheet, p.cell) for p in plan.problems])
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"actuals {[('FILE_SHEET_TOO_LARGE', '実績', far)]}" in result.stdout
    assert f"plan {[('FILE_SHEET_TOO_LARGE', '評価指標', far)]}" in result.stdout


def test_cli_refuses_the_far_cell_in_one_line(tmp_path):
    path = tmp_path / "far.xlsx"
    path.write_bytes(workbook("XFD400000"))
    db = tmp_path / "kpi.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "etl", "load-actuals", str(path), "--dry-run", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (1, 2), result.stderr[-2000:]
    assert result.returncode != -6  # SIGABRT
    assert "Traceback" not in result.stderr


# --- the guard ----------------------------------------------------------------------


def test_an_ordinary_workbook_passes():
    assert guard_codes(workbook()) == []
    assert guard_codes(workbook("K200")) == []


def test_far_cell_is_named_with_its_sheet():
    assert guard_codes(workbook("XFD400000")) == [("FILE_SHEET_TOO_LARGE", "実績", "XFD400000")]


def test_limit_comes_from_config():
    data = workbook("J100")  # 100 rows x 10 columns = 1,000 cells
    assert guard_codes(data, Limits(max_sheet_cells=1_000)) == []
    assert guard_codes(data, Limits(max_sheet_cells=999)) == [
        ("FILE_SHEET_TOO_LARGE", "実績", "J100")
    ]


def test_a_lying_dimension_alone_is_refused():
    data = with_sheet_xml(sheet_xml(b"", dimension="A1:XFD400000"))
    assert guard_codes(data) == [("FILE_SHEET_TOO_LARGE", "実績", "XFD400000")]


def test_a_small_dimension_does_not_hide_a_far_cell():
    far = b'<row r="400000"><c r="XFD400000" t="inlineStr"><is><t>x</t></is></c></row>'
    xml = sheet_xml(b"", dimension="A1:C2").replace(b"</sheetData>", far + b"</sheetData>")
    assert guard_codes(with_sheet_xml(xml)) == [("FILE_SHEET_TOO_LARGE", "実績", "XFD400000")]


@pytest.mark.parametrize(
    "markup",
    [
        # references left out: calamine puts each cell after the previous one
        b'<row r="400000"><c r="XFC400000"/><c><v>1</v></c></row>',
        b"<row r='400000'><c r='XFD400000'><v>1</v></c></row>",  # single quotes
        b'<row r = "400000"><c r = "XFD400000"><v>1</v></c></row>',  # spaces around =
        b'<row r="400000"><c\nr="XFD400000"><v>1</v></c></row>',  # newline before r
        b'<row r="400000"><c s="1" foo="a>b" r="XFD400000"><v>1</v></c></row>',  # '>' in a value
        b'<x:row r="400000"><x:c r="XFD400000"><x:v>1</x:v></x:c></x:row>',  # prefixed tags
    ],
)
def test_unusual_markup_does_not_hide_a_far_cell(markup):
    xml = sheet_xml(b"").replace(b"</sheetData>", markup + b"</sheetData>")
    assert guard_codes(with_sheet_xml(xml)) == [("FILE_SHEET_TOO_LARGE", "実績", "XFD400000")]


def test_rows_without_references_count_down_the_sheet():
    rows = b"<row><c><v>1</v></c></row>" * 50
    reach = SheetReach()
    reach.feed(b"<sheetData>" + rows + b'<row><c/><c/><c r="E60"/><c/></row></sheetData>')
    reach.finish()
    assert (reach.present.rows, reach.present.columns) == (60, 6)


def test_a_sheet_part_outside_xl_worksheets_is_measured():
    """calamine follows the workbook's relationships, so the guard does too."""
    parts = members_of(workbook("XFD400000"))
    sheet = parts.pop(SHEET)
    parts["xl/elsewhere/data.xml"] = sheet
    rels = (
        parts["xl/_rels/workbook.xml.rels"]
        .replace(b"/xl/worksheets/sheet1.xml", b"/xl/elsewhere/data.xml")
        .replace(b'"worksheets/sheet1.xml"', b'"elsewhere/data.xml"')
    )
    parts["xl/_rels/workbook.xml.rels"] = rels
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in parts.items():
            z.writestr(name, payload)
    assert b"elsewhere/data.xml" in rels
    assert guard_codes(buf.getvalue()) == [("FILE_SHEET_TOO_LARGE", "実績", "XFD400000")]


def test_large_parts_are_left_to_the_reader(monkeypatch):
    """The guard does not inflate a part over DEFER_SHEET_BYTES; etl.xlsx measures it (the
    end-to-end test above proves it refuses the file)."""
    monkeypatch.setattr(guard, "DEFER_SHEET_BYTES", 1)
    assert guard_codes(workbook("XFD400000")) == []


# --- the scanner: the fast path equals the exact one, at every chunk size ------------


def _random_sheet(rng: random.Random) -> bytes:
    rows = []
    r = 0
    for _ in range(rng.randint(1, 30)):
        r += rng.randint(1, 3)
        cells, c = [], 0
        for _ in range(rng.randint(0, 6)):
            c += rng.randint(1, 40)
            cells.append(f'<c r="{column_letters(c)}{r}" t="n"><v>{rng.random()}</v></c>')
        rows.append(f'<row r="{r}" spans="1:5">{"".join(cells)}</row>')
    return f'<dimension ref="A1:B2"/><sheetData>{"".join(rows)}</sheetData>'.encode()


def _reach(xml: bytes, chunk: int, exact: bool) -> tuple[int, int, int, int]:
    reach = SheetReach()
    if exact:
        reach._fast = lambda xml: False  # type: ignore[method-assign]
    for i in range(0, len(xml), chunk):
        reach.feed(xml[i : i + chunk])
    reach.finish()
    return reach.present.rows, reach.present.columns, reach.declared.rows, reach.declared.columns


def test_fast_path_equals_exact_path():
    rng = random.Random(10)
    for _ in range(60):
        xml = _random_sheet(rng)
        chunk = rng.choice([1, 2, 7, 64, 1 << 20])
        assert _reach(xml, chunk, exact=False) == _reach(xml, chunk, exact=True)


def test_parse_ref():
    assert parse_ref(b"XFD1048576") == (1048576, 16384)
    assert parse_ref(b"A1") == (1, 1)
    assert parse_ref(b"12") == (12, 0)
    assert parse_ref(b"") is None
    assert column_letters(16384) == "XFD"
