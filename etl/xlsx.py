"""Read .xlsx bytes into plain rows, fast, without losing what calamine hides.

Values come from python-calamine (fast, Rust). calamine shows a cached error (#DIV/0!) and a
formula without a saved result as '' (DESIGN 4.4), and it does not expose number formats, so
a targeted scan of the sheet XML finds formula cells without a value, error cells and cells
formatted as a percentage. The scan only runs the expensive pattern when the cheap byte
search says such cells can exist.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from posixpath import join, normpath

import python_calamine
from defusedxml import ElementTree as SafeET

from etl.problems import InputRejected, problem

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_PERCENT_BUILTIN = {9, 10}
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_QUOTED = re.compile(r'"[^"]*"|\\.')

Cell = tuple[int, int]  # 0-based (row, column)


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]  # A1-anchored; empty cells are None
    percent_cells: set[Cell] = field(default_factory=set)
    formula_without_value: set[Cell] = field(default_factory=set)
    error_cells: dict[Cell, str] = field(default_factory=dict)


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _ref(attrs: bytes) -> Cell | None:
    m = _CELL_REF.search(attrs)
    if not m:
        return None
    return int(m.group(2)) - 1, _col_index(m.group(1))


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the zip."""
    wb = SafeET.fromstring(z.read("xl/workbook.xml"))
    rels = SafeET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    paths = {}
    for s in wb.findall("m:sheets/m:sheet", _NS):
        target = targets.get(s.get(f"{{{_NS['r']}}}id"), "")
        path = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        paths[s.get("name", "")] = path
    return paths


def _percent_styles(z: zipfile.ZipFile) -> set[int]:
    """Indexes of cellXfs whose number format shows a percentage."""
    try:
        root = SafeET.fromstring(z.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {}
    for nf in root.findall("m:numFmts/m:numFmt", _NS):
        code = _QUOTED.sub("", nf.get("formatCode", ""))
        custom[int(nf.get("numFmtId", "0"))] = "%" in code
    result = set()
    for i, xf in enumerate(root.findall("m:cellXfs/m:xf", _NS)):
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in _PERCENT_BUILTIN or custom.get(fmt, False):
            result.add(i)
    return result


def _scan(xml: bytes, percent_styles: set[int], sheet: Sheet) -> None:
    if percent_styles:
        alternatives = b"|".join(str(i).encode() for i in sorted(percent_styles))
        pattern = re.compile(rb'<c\b[^>]*?\bs="(?:' + alternatives + rb')"[^>]*>')
        for m in pattern.finditer(xml):
            if (cell := _ref(m.group(0))) is not None:
                sheet.percent_cells.add(cell)
    if b"<f" not in xml and b't="e"' not in xml:
        return
    for m in _CELL.finditer(xml):
        attrs, body = m.group(1), m.group(2) or b""
        is_error = b't="e"' in attrs
        has_formula = b"<f" in body
        if not (is_error or has_formula):
            continue
        cell = _ref(attrs)
        if cell is None:
            continue
        value = re.search(rb"<v>([^<]*)</v>", body)
        if is_error:
            sheet.error_cells[cell] = value.group(1).decode() if value else "#N/A"
        elif not value or not value.group(1):
            sheet.formula_without_value.add(cell)


def _fill_merged(rows: list[list[object]], ranges: list) -> None:
    """Write a merged cell's value into every cell it spans (a text target over several years)."""
    for (r0, c0), (r1, c1) in ranges or []:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, r1 + 1):
            while len(rows) <= r:
                rows.append([])
            row = rows[r]
            row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def read_sheets(
    data: bytes,
    wanted: list[str] | None = None,
    *,
    filename: str = "",
    fill_merged: bool = False,
) -> list[Sheet]:
    """All sheets (or the wanted ones that exist) of a workbook already checked by etl.guard."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        z = zipfile.ZipFile(io.BytesIO(data))
        paths = _sheet_paths(z)
        percent_styles = _percent_styles(z)
        sheets = []
        for name in book.sheet_names:
            if wanted is not None and name not in wanted:
                continue
            calamine_sheet = book.get_sheet_by_name(name)
            raw = calamine_sheet.to_python(skip_empty_area=False)
            rows = [[None if v == "" else v for v in row] for row in raw]
            if fill_merged:
                _fill_merged(rows, calamine_sheet.merged_cell_ranges)
            sheet = Sheet(name, rows)
            if name in paths:
                _scan(z.read(paths[name]), percent_styles, sheet)
            sheets.append(sheet)
        return sheets
    except (python_calamine.CalamineError, zipfile.BadZipFile, KeyError, SafeET.ParseError) as e:
        raise InputRejected(
            [problem("FILE_CORRUPT", value=type(e).__name__, detail=str(e)[:200], file=filename)]
        ) from e


def sheet_heights(data: bytes) -> dict[str, int]:
    """Rows per sheet as declared, without converting cells (for the row limit)."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).total_height for name in book.sheet_names}
