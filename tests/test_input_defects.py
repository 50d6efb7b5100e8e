"""Issue #10, input read wrongly: numbers (item 2), plan formulas (item 7) and friends.

Each test failed before its fix. Workbooks are built with openpyxl, then their XML is
patched where openpyxl cannot write what a hostile or odd file holds (NaN, a formula
without a saved result).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from etl.actuals_loader import load_catalog
from etl.actuals_reader import _Reader, read_actuals
from etl.actuals_table import find_table
from etl.plan_reader import read_plan
from etl.problems import WARNING
from kpi.config import ROOT, Limits
from kpi.numbers import NumberFormatError, read_number, read_numbers, read_target
from tests.conftest import edit_workbook
from tests.test_actuals_reader import PLAN_ID, book

PLAN_XLSX = ROOT / "data" / "plan.xlsx"


def patch_sheet(data: bytes, sheet_part: str, cells: dict[str, str]) -> bytes:
    """Replace cells (by reference) in one worksheet part's XML."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == sheet_part:
                text = body.decode()
                for ref, xml in cells.items():
                    text, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, text)
                    assert n == 1, ref
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()


def sheet_part(data: bytes, name: str) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return f"xl/worksheets/sheet{wb.sheetnames.index(name) + 1}.xml"


@pytest.fixture
def catalog(plan_con):
    return load_catalog(plan_con)


def read_both(data: bytes, catalog) -> list[tuple[str, str, str, str]]:
    """Problems of the column-wise reader; asserts the scalar reader finds the same."""
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    got = [(p.cell, p.code, p.severity, p.message) for p in result.problems]
    sheet, table, _ = find_table(data, "t.xlsx", Limits())
    assert sheet is not None and table is not None
    reader = _Reader(sheet, table, "t.xlsx", catalog, PLAN_ID)
    reader.read_scalar()
    assert [(p.cell, p.code, p.severity, p.message) for p in reader.problems] == got
    return got


# --- item 2: non-finite and absurd numbers ---------------------------------------------


@pytest.mark.parametrize("raw", ["NaN", "nan", "inf", "-inf", "1e400", "-1e400", "Infinity"])
def test_non_finite_numeric_cell_is_bad_number(catalog, raw):
    data = book([["1-2-1-1", 2024, 0], ["1-2-1-2", 2024, 5]])
    data = patch_sheet(data, "xl/worksheets/sheet1.xml", {"C2": f'<c r="C2"><v>{raw}</v></c>'})
    got = read_both(data, catalog)
    assert [(cell, code) for cell, code, *_ in got] == [("C2", "BAD_NUMBER")]


def test_absurd_magnitudes(catalog):
    data = book(
        [
            ["1-2-1-1", 2024, 1e308],
            ["1-2-1-2", 2024, "1234567890123456789012345678901234567890"],
            ["1-2-1-3", 2024, 2e9],  # accepted, with a warning naming the unit
            ["1-2-1-1", 2023, 999_999_999],
        ]
    )
    got = read_both(data, catalog)
    assert [(cell, code, severity) for cell, code, severity, _ in got] == [
        ("C2", "NUMBER_TOO_LARGE", "error"),
        ("C3", "NUMBER_TOO_LARGE", "error"),
        ("C4", "LARGE_VALUE", WARNING),
    ]
    unit = catalog.kpis[(PLAN_ID, "1-2-1-3")].unit
    assert unit and unit in got[2][3]


def test_nan_never_reaches_the_database(seed_db, tmp_path):
    """It passed --dry-run, then failed at commit with a DuckDB traceback."""
    import subprocess
    import sys

    data = book([["1-2-1-1", 2024, 0]])
    path = tmp_path / "nan.xlsx"
    path.write_bytes(
        patch_sheet(data, "xl/worksheets/sheet1.xml", {"C2": '<c r="C2"><v>NaN</v></c>'})
    )
    for extra in (["--dry-run"], []):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "etl",
                "load-actuals",
                str(path),
                "--db",
                str(seed_db.db_path),
                *extra,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "BAD_NUMBER" in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    assert not list((Path(seed_db.db_path).parent / "uploads").glob("*"))


def test_number_rule_is_shared_by_every_reader():
    for raw in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(NumberFormatError) as e:
            read_number(raw, "件")
        assert e.value.code == "BAD_NUMBER"
    with pytest.raises(NumberFormatError) as e:
        read_number(1e308, "件")
    assert e.value.code == "NUMBER_TOO_LARGE"
    with pytest.raises(NumberFormatError) as e:
        read_number("1" + "0" * 39, "件")
    assert e.value.code == "NUMBER_TOO_LARGE"
    assert read_numbers([float("nan"), 1e308, 5.0, "1e400"], ["件"] * 4) == [
        "BAD_NUMBER",
        "NUMBER_TOO_LARGE",
        5.0,
        "BAD_NUMBER",
    ]
    for raw in (float("inf"), 1e308):
        with pytest.raises(NumberFormatError):
            read_target(raw, "件", "higher")


def test_plan_targets_non_finite_refused_and_large_warned():
    data = PLAN_XLSX.read_bytes()
    part = sheet_part(data, "評価指標")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["評価指標"]
    header = [c.value for c in ws[1]]
    col = header.index("令和4年度") + 1
    letter = openpyxl.utils.get_column_letter(col)

    def set_large(wb: openpyxl.Workbook) -> None:
        wb["評価指標"][f"{letter}3"] = 5e9

    data = edit_workbook(data, set_large)
    data = patch_sheet(data, part, {f"{letter}2": f'<c r="{letter}2"><v>inf</v></c>'})
    result = read_plan(data, "plan.xlsx", Limits())
    got = {(p.sheet, p.cell, p.code, p.severity) for p in result.problems}
    assert ("評価指標", f"{letter}2", "BAD_TARGET", "error") in got
    assert ("評価指標", f"{letter}3", "LARGE_VALUE", WARNING) in got


# --- item 7: a formula without a value in the plan ---------------------------------


def test_plan_formula_without_value_is_said_so_not_required():
    data = PLAN_XLSX.read_bytes()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    header = [c.value for c in wb["個別事業"][1]]
    letter = openpyxl.utils.get_column_letter(header.index("主管課等") + 1)
    part = sheet_part(data, "個別事業")
    data = patch_sheet(
        data,
        part,
        {
            f"{letter}2": f'<c r="{letter}2"><f>VLOOKUP(A2,X:Y,2,0)</f></c>',
            f"{letter}3": f'<c r="{letter}3" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        },
    )
    result = read_plan(data, "plan.xlsx", Limits())
    got = {(p.sheet, p.cell, p.code) for p in result.problems}
    assert ("個別事業", f"{letter}2", "FORMULA_NO_VALUE") in got
    assert ("個別事業", f"{letter}3", "CELL_ERROR") in got
    assert not any(p.code == "REQUIRED" for p in result.problems)
    assert not result.ok


# --- item 6: Strict OOXML ------------------------------------------------------------

STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
        b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
}


def to_strict(data: bytes) -> bytes:
    """A transitional workbook rewritten as Strict OOXML (what Excel's "Strict Open XML
    Spreadsheet" saves): the same parts under the purl.oclc.org namespaces."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            for old, new in STRICT.items():
                body = body.replace(old, new)
            if name == "xl/workbook.xml":
                body = body.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
            dst.writestr(name, body)
    return out.getvalue()


def test_strict_workbook_refuses_errors_and_formulas_and_reads_percent(catalog):
    def percent(ws) -> None:
        ws["C4"].number_format = "0%"

    data = book([["1-2-1-1", 2024, 0], ["1-2-1-2", 2024, 0], ["1-1-2-1", 2024, 0.3]], edit=percent)
    data = patch_sheet(
        data,
        "xl/worksheets/sheet1.xml",
        {
            "C2": '<c r="C2"><f>SUM(X1:X9)</f></c>',
            "C3": '<c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        },
    )
    strict = to_strict(data)
    assert b"purl.oclc.org/ooxml/spreadsheetml/main" in zipfile.ZipFile(io.BytesIO(strict)).read(
        "xl/worksheets/sheet1.xml"
    )
    result = read_actuals(strict, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert {(p.cell, p.code) for p in result.problems} == {
        ("C2", "FORMULA_NO_VALUE"),
        ("C3", "CELL_ERROR"),
    }
    fixed = to_strict(book([["1-1-2-1", 2024, 0.3]], edit=lambda ws: percent_c2(ws)))
    result = read_actuals(fixed, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert result.ok, result.problems
    assert result.rows["actual_value"].tolist() == [30.0]


def percent_c2(ws) -> None:
    ws["C2"].number_format = "0%"


# --- item 3: comments bounded and cleaned ---------------------------------------------


def test_long_comment_is_refused_with_its_cell(catalog):
    data = book([["1-2-1-1", 2024, 5, "あ" * 1_001], ["1-2-1-2", 2024, 5, "い" * 1_000]])
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert [(p.cell, p.code) for p in result.problems] == [("D2", "NOTE_TOO_LONG")]
    assert len(result.problems[0].value) < 100  # a 1 MB comment is not echoed whole
    limits = Limits(max_note_chars=2_000)
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=limits)
    assert result.ok


def test_control_characters_are_removed_with_a_warning(catalog):
    data = book([["1-2-1-1", 2024, 5, "x"], ["1-2-1-2", 2024, 5, "行1\r\n行2"]])
    # Excel escapes control characters as _xHHHH_; calamine turns them back into characters.
    text = "確定_x0007_値_x001B_[31m_x0000_"
    cell = f'<c r="D2" t="inlineStr"><is><t>{text}</t></is></c>'
    data = patch_sheet(data, "xl/worksheets/sheet1.xml", {"D2": cell})
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert result.ok
    assert [(p.cell, p.code, p.severity) for p in result.problems] == [
        ("D2", "NOTE_CONTROL_CHARACTERS", WARNING)
    ]
    notes = dict(zip(result.rows["kpi_id"], result.rows["note"], strict=True))
    assert notes == {"1-2-1-1": "確定値[31m", "1-2-1-2": "行1\n行2"}


def test_excel_export_survives_control_characters_already_stored():
    from etl.export import to_excel_bytes

    frame = pd.DataFrame({"備考": ["NUL\x00BEL\x07ESC\x1b", "=1+1", "ok"]})
    data = to_excel_bytes({"評価": frame}, title="t")
    ws = openpyxl.load_workbook(io.BytesIO(data))["評価"]
    assert [ws.cell(row=r, column=1).value for r in (4, 5, 6)] == ["NULBELESC", "=1+1", "ok"]
    assert ws.cell(row=5, column=1).data_type == "s"


# --- item 5: a comment on a row left blank is kept -------------------------------------


def test_comment_of_a_row_not_reported_is_kept_not_graded(seed_db):
    from etl.actuals_loader import commit_actuals, preview_actuals, rollback_upload
    from kpi import repository

    note = "集計中（5月末確定予定）"
    con = repository.connect(seed_db.db_path)
    try:
        first = book([["1-2-1-1", 2024, 8000, "確定"]])
        commit_actuals(con, first, "a.xlsx", by="t", settings=seed_db)
        data = book(
            [
                ["1-2-1-1", 2024, "－", note],  # a value exists: it stays current
                ["1-2-1-2", 2024, None, note],
                ["1-2-1-3", 2023, "未集計", "来月"],
                ["9-9-9-9", 2024, None, "unknown KPI: ignored"],
            ]
        )
        preview = preview_actuals(con, data, "b.xlsx", plan_id=None, settings=seed_db)
        kept = preview.unreported_notes
        assert sorted(zip(kept["kpi_id"], kept["fiscal_year"], kept["note"], strict=True)) == [
            ("1-2-1-1", 2024, note),
            ("1-2-1-2", 2024, note),
            ("1-2-1-3", 2023, "来月"),
        ]
        result = commit_actuals(con, data, "b.xlsx", by="t", settings=seed_db)
        status = con.execute(
            "SELECT kpi_id, fiscal_year, actual_value, grade, note FROM kpi_status "
            "WHERE kpi_id IN ('1-2-1-1', '1-2-1-2') AND fiscal_year = 2024 ORDER BY kpi_id"
        ).fetchall()
        assert status[0][2] == 8000 and status[0][4] == "確定"  # the value is not superseded
        assert status[1][2] is None and status[1][3] == "未報告" and status[1][4] == note
        current = con.execute(
            "SELECT kpi_id FROM kpi_unreported_notes_current ORDER BY kpi_id"
        ).fetchall()
        # 1-2-1-1: its value is older than the comment, which stays listed for analysts
        assert [k for (k,) in current] == ["1-2-1-1", "1-2-1-2", "1-2-1-3"]
        assert con.execute(
            "SELECT count(*) FROM kpi_actuals_current WHERE kpi_id = '1-2-1-2'"
        ).fetchone() == (0,)
        status_of_pages = repository.status(con, PLAN_ID, seed_db.today(), seed_db.grading)
        shown = status_of_pages[
            (status_of_pages["kpi_id"] == "1-2-1-2") & (status_of_pages["fiscal_year"] == 2024)
        ]
        assert shown["note"].tolist() == [note]  # what every page and the PDF read
        rollback_upload(con, result.upload_ids[0], by="t")
        after = con.execute(
            "SELECT note FROM kpi_status WHERE kpi_id = '1-2-1-2' AND fiscal_year = 2024"
        ).fetchone()
        assert after == (None,)
    finally:
        con.close()


# --- item 6: two 実績 sheets, a merged 備考 header -----------------------------------


@pytest.mark.parametrize("second", ["実績 (2)", "実績（2）", " 実績"])
def test_two_jitsuseki_sheets_are_ambiguous(catalog, second):
    def copy(ws) -> None:
        other = ws.parent.create_sheet(second)
        for row in ws.iter_rows(values_only=True):
            other.append(row)

    data = book([["1-2-1-1", 2024, 5]], edit=copy)
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert [(p.sheet, p.code) for p in result.problems] == [(second, "SHEET_AMBIGUOUS")]


def test_a_copy_without_a_table_is_not_ambiguous(catalog):
    def copy(ws) -> None:
        ws.parent.create_sheet("実績 (2)").append(["メモ"])

    data = book([["1-2-1-1", 2024, 5]], edit=copy)
    assert read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits()).ok


def test_comment_under_a_merged_header_is_read(catalog):
    def merge_across(ws) -> None:
        ws.merge_cells("D1:E1")
        ws["E2"] = "右の列に書いた備考"

    data = book([["1-2-1-1", 2024, 5, None], ["1-2-1-2", 2024, 6, "左"]], edit=merge_across)
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert result.ok, result.problems
    notes = dict(zip(result.rows["kpi_id"], result.rows["note"], strict=True))
    assert notes == {"1-2-1-1": "右の列に書いた備考", "1-2-1-2": "左"}


def test_comment_header_merged_down_over_two_header_rows_is_read(catalog):
    def two_rows(ws) -> None:
        ws.insert_rows(1)
        ws["A1"] = "区分"
        ws["D1"] = "備考"
        ws["D2"] = None
        ws.merge_cells("D1:D2")

    data = book([["1-2-1-1", 2024, 5, "下の行の備考"]], edit=two_rows)
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert result.ok, result.problems
    assert result.rows["note"].tolist() == ["下の行の備考"]


def test_upload_page_and_cli_show_the_comment_of_a_row_not_reported(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from etl import cli
    from kpi.config import load_settings
    from tests.test_upload_page import XLSX, login

    path = tmp_path / "kpi.duckdb"
    assert cli.main(["build", "--db", str(path)]) == 0
    note = "集計中（5月末確定予定）"
    data = book([["1-2-1-2", 2025, "－", note], ["1-2-1-1", 2025, 8000, None]])
    file = tmp_path / "n.xlsx"
    file.write_bytes(data)
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["load-actuals", str(file), "--dry-run", "--db", str(path)])
    assert code == 0
    assert note in out.getvalue()

    from kpi.auth import hash_password

    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    monkeypatch.setenv("KPI_UPLOAD_PASSWORD_HASH", hash_password("pw", iterations=1_000))
    load_settings.cache_clear()
    import streamlit as st

    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        at.switch_page("views/upload.py")
        at.run()
        at = login(at, "pw")
        at.file_uploader(key="actuals_file").upload("n.xlsx", data, XLSX).run()
        assert not at.exception, [e.value for e in at.exception]
        shown = next(d.value for d in at.dataframe if "備考" in d.value.columns)
        assert shown["指標ID"].tolist() == ["1-2-1-2"] and shown["備考"].tolist() == [note]
    finally:
        load_settings.cache_clear()


def test_plan_number_too_large_for_the_database_is_bad_id():
    from etl.plan_reader import _int

    assert _int(3) == 3 and _int("３") == 3 and _int(2.0) == 2
    assert _int(1e308) is None and _int(float("nan")) is None and _int("9" * 40) is None


def test_a_value_under_a_merged_value_header_is_not_dropped(catalog):
    def merge_value_header(ws) -> None:
        ws.merge_cells("C1:D1")  # 実績値 over C:D, the 備考 header moves to E
        ws["E1"] = "備考"
        ws["D2"], ws["C2"] = 8300, None

    data = book([["1-2-1-1", 2024, 5, None]], edit=merge_value_header)
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert [(p.cell, p.code) for p in result.problems] == [("D2", "MERGED_HEADER")]
