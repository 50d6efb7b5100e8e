""".ods saved by LibreOffice (#14): the same rules, problem codes and guard as .xlsx.

The fixtures are .xlsx files and the .ods LibreOffice Calc saved from each
(tests/fixtures/make_ods.py, run once where LibreOffice is installed)."""

from __future__ import annotations

import io
import zipfile

import pytest

from etl.actuals_loader import commit_actuals, preview_actuals
from etl.guard import check_workbook_bytes
from etl.plan_reader import read_plan
from etl.plan_versions import commit_plan
from etl.problems import InputRejected
from etl.xlsx import Workbook
from kpi import repository
from kpi.config import ROOT, Limits
from tests.plan_fixtures import NEXT_PLAN

FIXTURES = ROOT / "tests" / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_fixtures_were_saved_by_libreoffice():
    z = zipfile.ZipFile(io.BytesIO(fixture("actuals_2025.ods")))
    assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    assert b"LibreOffice" in z.read("meta.xml")


def test_ods_actuals_read_like_the_xlsx_with_percent_cells(plan_con, seed_db):
    rows = {}
    for name in ("actuals_2025.xlsx", "actuals_2025.ods"):
        preview = preview_actuals(plan_con, fixture(name), name, plan_id=None, settings=seed_db)
        rows[name] = {
            (r["kpi_id"], int(r["fiscal_year"])): float(r["actual_value"])
            for r in preview.rows.to_dict("records")
        }
    assert rows["actuals_2025.ods"] == rows["actuals_2025.xlsx"]
    # 利用率 typed as 0.23 with a percent format: 23 %, in both formats
    assert rows["actuals_2025.ods"][("1-1-2-1", 2025)] == 23.0
    assert rows["actuals_2025.ods"][("2-1-1-2", 2025)] == 7400.0


def test_ods_actuals_load_and_archive_as_ods(plan_con, seed_db):
    result = commit_actuals(
        plan_con, fixture("actuals_2025.ods"), "実績.ods", by="t", settings=seed_db
    )
    assert result.written
    assert repository.upload(plan_con, result.upload_ids[0])["filename"] == "実績.ods"


def test_ods_problems_have_the_same_codes_and_cells(plan_con, seed_db):
    found = {}
    for name in ("actuals_bad.xlsx", "actuals_bad.ods"):
        with pytest.raises(InputRejected) as e:
            preview_actuals(plan_con, fixture(name), name, plan_id=None, settings=seed_db)
        found[name] = {(p.sheet, p.cell, p.code) for p in e.value.problems}
    # openpyxl saved =1/0 without a result; LibreOffice computed it: an error cell
    formula = {f for f in found["actuals_bad.xlsx"] if f[2] == "FORMULA_NO_VALUE"}
    assert len(formula) == 1
    ((sheet, cell, _),) = formula
    assert (sheet, cell, "CELL_ERROR") in found["actuals_bad.ods"]
    rest = found["actuals_bad.xlsx"] - formula
    assert {"BAD_NUMBER", "NEGATIVE"} <= {c for _, _, c in rest}
    assert found["actuals_bad.ods"] - {(sheet, cell, "CELL_ERROR")} == rest


def test_ods_plan_typed_in_the_template_reads_like_the_xlsx():
    xlsx = read_plan(fixture("kaku_plan.xlsx"), "kaku_plan.xlsx")
    ods = read_plan(fixture("kaku_plan.ods"), "kaku_plan.ods")
    assert xlsx.ok and ods.ok, [p.code for p in ods.problems]
    for table, frame in xlsx.tables.items():
        cols = list(frame.columns)
        a = frame.sort_values(cols).reset_index(drop=True)
        b = ods.tables[table].sort_values(cols).reset_index(drop=True)
        assert a.astype(str).equals(b.astype(str)), table
    targets = ods.tables["kpi_targets"]
    percent = targets[(targets["kpi_id"] == "1-1-1-2") & (targets["fiscal_year"] == 2030)]
    assert float(percent["target_value"].iloc[0]) == 90.0  # 0.9 shown as 90%
    merged = targets[targets["kpi_id"] == "2-1-1-1"]
    assert sorted(merged["fiscal_year"]) == [2026, 2027]  # a merged text target, both years


def test_ods_plan_loads_as_a_user(plan_con, seed_db):
    result = commit_plan(plan_con, fixture("kaku_plan.ods"), "kaku.ods", by="t", settings=seed_db)
    assert result.upload_ids
    assert plan_con.execute(
        "SELECT count(*) FROM kpis WHERE plan_id = ?", [NEXT_PLAN]
    ).fetchone() == (5,)
    assert (
        seed_db.uploads_dir / f"{repository.upload(plan_con, result.upload_ids[0])['sha256']}.ods"
    ).exists()


# ---------------------------------------------------------------- hostile .ods


def rezip(
    data: bytes, add: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None
) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = (replace or {}).get(info.filename, src.read(info.filename))
            z.writestr(info.filename, body)
        for name, body in (add or {}).items():
            z.writestr(name, body)
    return out.getvalue()


def codes(data: bytes, limits: Limits | None = None) -> list[str]:
    return [p.code for p in check_workbook_bytes(data, "x.ods", limits)]


def test_guard_accepts_the_libreoffice_files():
    for name in ("actuals_2025.ods", "actuals_bad.ods", "kaku_plan.ods"):
        assert codes(fixture(name)) == []


def test_guard_refuses_an_ods_zip_bomb():
    bomb = rezip(
        fixture("kaku_plan.ods"), add={"Pictures/x.xml": b"<a>" + b" " * 60_000_000 + b"</a>"}
    )
    assert codes(bomb) == ["FILE_TOO_LARGE_UNCOMPRESSED"]
    assert codes(fixture("kaku_plan.ods"), Limits(max_uncompressed_bytes=10_000)) == [
        "FILE_TOO_LARGE_UNCOMPRESSED"
    ]


def test_guard_refuses_ods_macros_encryption_entities_and_other_documents():
    base = fixture("kaku_plan.ods")
    assert codes(rezip(base, add={"Basic/Standard/Module1.xml": b"<x/>"})) == ["FILE_MACRO"]
    manifest = zipfile.ZipFile(io.BytesIO(base)).read("META-INF/manifest.xml")
    locked = manifest.replace(
        b"</manifest:manifest>",
        b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        b"<manifest:encryption-data/></manifest:file-entry></manifest:manifest>",
    )
    assert locked != manifest
    assert codes(rezip(base, replace={"META-INF/manifest.xml": locked})) == ["FILE_ENCRYPTED"]
    content = zipfile.ZipFile(io.BytesIO(base)).read("content.xml")
    evil = content.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "e">]>', 1)
    assert codes(rezip(base, replace={"content.xml": evil})) == ["FILE_XML_ENTITY"]
    odt = rezip(base, replace={"mimetype": b"application/vnd.oasis.opendocument.text"})
    assert codes(odt) == ["FILE_NOT_XLSX"]


def test_ods_scan_finds_percent_error_and_merged_cells():
    book = Workbook(fixture("kaku_plan.ods"), "kaku_plan.ods")
    assert book.is_ods
    sheet = book.sheet("評価指標", fill_merged=True)
    assert (2, 12) in sheet.percent_cells  # M3
    assert ((3, 8), (3, 9)) in sheet.merged  # I4:J4
    bad = Workbook(fixture("actuals_bad.ods")).sheet("実績")
    assert list(bad.error_cells.values()) == ["#DIV/0!"]


def test_ods_sheet_reach_is_limited_before_calamine_parses_it():
    """A far cell makes a huge rectangle: refused as for .xlsx, from content.xml first."""
    book = Workbook(fixture("kaku_plan.ods"), "kaku_plan.ods", limits=Limits(max_sheet_cells=20))
    with pytest.raises(InputRejected) as e:
        book.sheet("評価指標")
    assert [p.code for p in e.value.problems] == ["FILE_SHEET_TOO_LARGE"]
    assert Workbook(fixture("kaku_plan.ods")).sheet("評価指標").rows  # default limits: read
