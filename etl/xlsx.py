"""Read .xlsx bytes into plain rows, fast, without losing what calamine hides.

Values come from python-calamine (fast, Rust; the fastest reliable reader measured in
docs/benchmarks.md: ~20x openpyxl). calamine shows a cached error (#DIV/0!) and a formula
without a saved result as '' (DESIGN 4.4), and it does not expose number formats, so a scan
of the sheet XML finds formula cells without a value, error cells and cells formatted as a
percentage. The scan searches literal byte strings (memchr speed) and only runs the full cell
pattern when a formula or an error cell can exist.

A `Workbook` parses each sheet once: the row limit is checked on the parsed sheet before its
cells become Python objects, and the same parse is then converted (reading a national file
twice cost 5 s). Every third-party error is wrapped here, once, as FILE_CORRUPT.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from operator import itemgetter
from posixpath import join, normpath

import python_calamine
from defusedxml import ElementTree as SafeET

from etl import guard
from etl.ods import OdsSheet, is_ods, scan_ods
from etl.problems import InputRejected, problem
from etl.sheet_bounds import Reach, SheetReach, reach_problem
from kpi.config import Limits

_PERCENT_BUILTIN = {9, 10}
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_QUOTED = re.compile(r'"[^"]*"|\\.')
SCAN_CHUNK = 8 << 20  # inflate the sheet XML 8 MB at a time
_TAG_END = (b" ", b"\t", b"\r", b"\n", b"/", b">")
_SPACE = (b" ", b"\t", b"\r", b"\n")
# Errors of the libraries underneath that mean "this file is broken".
_BROKEN = (
    python_calamine.CalamineError,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    EOFError,
    zlib.error,
    SafeET.ParseError,
)

Cell = tuple[int, int]  # 0-based (row, column)


@dataclass
class Sheet:
    name: str
    # A1-anchored; empty cells are None (or '' as calamine gives them, with raw=True)
    rows: list
    percent_cells: set[Cell] = field(default_factory=set)
    formula_without_value: set[Cell] = field(default_factory=set)
    error_cells: dict[Cell, str] = field(default_factory=dict)
    # When set (a narrow sheet, `Workbook.narrow`), each row holds only these columns, in
    # this order; cells above (percent_cells...) keep their real column indexes.
    columns: list[int] | None = None
    # Merged ranges as ((first row, first column), (last row, last column)), 0-based, real
    # column indexes; calamine reads them with the sheet, so they cost nothing more.
    merged: list[tuple[Cell, Cell]] = field(default_factory=list)

    def position(self, column: int) -> int:
        """Where a real 0-based column sits in a row of this sheet."""
        return column if self.columns is None else self.columns.index(column)

    def get(self, r: int, column: int) -> object:
        """The value at a real (row, column), None when the sheet does not hold it."""
        if not 0 <= r < len(self.rows) or (self.columns is not None and column not in self.columns):
            return None
        row, i = self.rows[r], self.position(column)
        return row[i] if i < len(row) else None


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
    """Sheet name -> path of its XML part inside the zip.

    Elements are matched by local name (`{*}`): a Strict OOXML workbook (namespace
    http://purl.oclc.org/ooxml/spreadsheetml/main) names the same parts, and without its
    paths no formula, error cell or percent format was seen (issue #10)."""
    wb = SafeET.fromstring(z.read("xl/workbook.xml"))
    rels = SafeET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("{*}Relationship")}
    paths = {}
    for s in wb.findall("{*}sheets/{*}sheet"):
        rid = next((v for k, v in s.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid, "")
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
    for nf in root.findall("{*}numFmts/{*}numFmt"):
        code = _QUOTED.sub("", nf.get("formatCode", ""))
        custom[int(nf.get("numFmtId", "0"))] = "%" in code
    result = set()
    for i, xf in enumerate(root.findall("{*}cellXfs/{*}xf")):
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in _PERCENT_BUILTIN or custom.get(fmt, False):
            result.add(i)
    return result


def _percent_cells(xml: bytes, percent_styles: set[int]) -> set[Cell]:
    """Cells whose style is a percentage: search the attribute ` s="N"` as a literal (fast),
    then look back to the start of its tag and keep it only when that tag is a cell `<c>`.
    An attribute value cannot hold '<', so the nearest '<' before the match starts the tag."""
    found: set[Cell] = set()
    if not percent_styles:
        return found
    alternatives = b"|".join(str(i).encode() for i in sorted(percent_styles))
    # A literal first byte lets the regex engine skip ahead; a class like [ \t] would not.
    for m in re.finditer(rb's="(?:' + alternatives + rb')"', xml):
        if xml[m.start() - 1 : m.start()] not in _SPACE:
            continue  # ts="1", cs="1": another attribute
        start = xml.rfind(b"<", 0, m.start())
        if start < 0 or xml[start + 1 : start + 2] != b"c":
            continue
        if xml[start + 2 : start + 3] not in _TAG_END:
            continue  # <col ...>, <cfRule ...>: not a cell
        end = xml.find(b">", m.end())
        if (cell := _ref(xml[start : end if end >= 0 else None])) is not None:
            found.add(cell)
    return found


def _scan(xml: bytes, percent_styles: set[int], sheet: Sheet) -> None:
    sheet.percent_cells |= _percent_cells(xml, percent_styles)
    if xml.find(b"<f") < 0 and xml.find(b't="e"') < 0:
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


def _scan_member(
    z: zipfile.ZipFile,
    name: str,
    percent_styles: set[int],
    sheet: Sheet,
    reach: SheetReach | None = None,
) -> None:
    """Scan a sheet part inflated a few MB at a time (a national sheet is 200 MB of XML), cut
    after a complete row so that no cell is split. Refuses a part that inflates past its
    declared size or fails its CRC: etl.guard leaves these checks on large sheet parts to this
    function, and asking for one byte more than declared shows a part that runs past its
    header (zipfile would otherwise cut it silently)."""
    info = z.getinfo(name)
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1
    got = 0
    pending = b""
    with z.open(probe) as member:
        while chunk := member.read(SCAN_CHUNK):
            got += len(chunk)
            if got > info.file_size:
                raise zipfile.BadZipFile(f"{name}: 展開後のサイズが宣言と異なります")
            if reach is not None:
                reach.feed(chunk)
            pending += chunk
            cut = pending.rfind(b"</row>")
            if cut >= 0:
                cut += len(b"</row>")
                _scan(pending[:cut], percent_styles, sheet)
                pending = pending[cut:]
    if got != info.file_size:
        raise zipfile.BadZipFile(f"{name}: 展開後のサイズが宣言と異なります")
    _scan(pending, percent_styles, sheet)
    if reach is not None:
        reach.finish()


class Workbook:
    """A workbook already checked by etl.guard; each sheet is parsed by calamine once."""

    def __init__(self, data: bytes, filename: str = "", limits: Limits | None = None):
        self.filename = filename
        self.limits = limits or Limits()
        with self._wrapped():
            self._book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            self.sheet_names: list[str] = list(self._book.sheet_names)
            # An OpenDocument spreadsheet (LibreOffice): same values, its own cell attributes.
            self.is_ods = is_ods(self._zip)
        self._parsed: dict[str, python_calamine.CalamineSheet] = {}
        self._paths: dict[str, str] | None = None
        self._percent: set[int] | None = None
        self._ods: dict[str, OdsSheet] | None = None
        # Large parts scanned before calamine parsed them (see `_measured`).
        self._prescanned: dict[str, Sheet] = {}

    def _ods_sheet(self, name: str) -> OdsSheet:
        """content.xml scanned once per workbook (etl.ods)."""
        if self._ods is None:
            with self._wrapped():
                self._ods = scan_ods(self._zip)
        return self._ods.get(name, OdsSheet())

    def _merged(self, calamine_sheet: python_calamine.CalamineSheet, name: str) -> list:
        """Merged ranges: calamine's for an .xlsx; calamine gives none for an .ods."""
        if self.is_ods:
            return list(self._ods_sheet(name).merged)
        return list(calamine_sheet.merged_cell_ranges or [])

    def _wrapped(self):
        return _Wrap(self.filename)

    def _calamine(self, name: str) -> python_calamine.CalamineSheet:
        if name not in self._parsed:
            self._measured(name)
            with self._wrapped():
                self._parsed[name] = self._book.get_sheet_by_name(name)
        return self._parsed[name]

    def _measured(self, name: str) -> None:
        """etl.guard measures how far each worksheet reaches (a stray cell at XFD400000 makes
        calamine abort the process) except a part over guard.DEFER_SHEET_BYTES, which it
        does not inflate: that part is measured here, before calamine parses it, in the same
        pass that checks its CRC and finds formulas, errors and percent cells (kept for
        `_scanned`, so the part is still inflated once)."""
        if name in self._prescanned:
            return
        if self.is_ods:  # how far an .ods sheet reaches, from content.xml (etl.ods)
            info = self._ods_sheet(name)
            reach = SheetReach()
            reach.present = Reach(info.rows, info.columns)
            if (far := reach_problem(reach, name, self.limits, self.filename)) is not None:
                raise InputRejected([far])
            return
        self._load_index()
        path = (self._paths or {}).get(name)
        with self._wrapped():
            if path is None or self._zip.getinfo(path).file_size < guard.DEFER_SHEET_BYTES:
                return
            holder, reach = Sheet(name, []), SheetReach()
            _scan_member(self._zip, path, self._percent or set(), holder, reach)
        far = reach_problem(reach, name, self.limits, self.filename)
        if far is not None:
            raise InputRejected([far])
        self._prescanned[name] = holder

    def _load_index(self) -> None:
        if self._paths is None:
            with self._wrapped():
                self._paths = _sheet_paths(self._zip)
                self._percent = _percent_styles(self._zip)

    def forget(self, name: str) -> None:
        """Release calamine's copy of a sheet that has been read."""
        self._parsed.pop(name, None)

    def height(self, name: str) -> int:
        """calamine's total_height: the 0-based index of the last row, that is the number of
        rows below row 1. Parses the sheet (kept for `sheet`), converts no cell."""
        with self._wrapped():
            return int(self._calamine(name).total_height)

    def sheet(self, name: str, *, fill_merged: bool = False, raw: bool = False) -> Sheet:
        """The sheet's values with what calamine hides (formulas, errors, percent formats).

        `raw=True` keeps calamine's '' for empty cells instead of None (a reader that treats
        both as blank saves a pass over every cell)."""
        with self._wrapped():
            calamine_sheet = self._calamine(name)
            rows: list[list[object]] = calamine_sheet.to_python(skip_empty_area=False)  # type: ignore[assignment]
            if not raw:  # row by row, so that two copies of a large sheet never coexist
                for k, row in enumerate(rows):
                    rows[k] = [None if v == "" else v for v in row]
            merged = self._merged(calamine_sheet, name)
            if fill_merged:
                _fill_merged(rows, merged)
            del calamine_sheet
            return self._scanned(Sheet(name, rows, merged=merged))

    def head(self, name: str, n: int) -> Sheet:
        """The first `n` rows, A1-anchored, '' for empty cells: enough to find a header."""
        with self._wrapped():
            calamine_sheet = self._calamine(name)
            offset = calamine_sheet.start[1] if calamine_sheet.start else 0
            rows: list[list[object]] = []
            for row in calamine_sheet.iter_rows():
                if len(rows) == n:
                    break
                rows.append([""] * offset + list(row))
            merged = self._merged(calamine_sheet, name)
            return Sheet(name, rows, merged=merged)

    def narrow(self, name: str, columns: list[int]) -> Sheet:
        """Every row, but only the cells of `columns` (real 0-based indexes), as a tuple per
        row in that order; '' for empty cells. A reader that needs 5 columns of a national
        file's 11 gets them in half the time and a third of the memory of `sheet`."""
        with self._wrapped():
            calamine_sheet = self._calamine(name)
            # iter_rows starts at row 1 but at the first used column.
            offset = calamine_sheet.start[1] if calamine_sheet.start else 0
            width = calamine_sheet.width
            local = [c - offset for c in columns]
            if len(local) > 1 and all(0 <= c < width for c in local):
                rows = list(map(itemgetter(*local), calamine_sheet.iter_rows()))
            else:
                rows = [
                    tuple(row[c] if 0 <= c < len(row) else "" for c in local)
                    for row in calamine_sheet.iter_rows()
                ]
            merged = self._merged(calamine_sheet, name)
            del calamine_sheet
            return self._scanned(Sheet(name, rows, columns=list(columns), merged=merged))

    def _scanned(self, sheet: Sheet) -> Sheet:
        """Add what calamine hides; calamine's copy of the sheet is let go first."""
        self._parsed.pop(sheet.name, None)
        if self.is_ods:
            info = self._ods_sheet(sheet.name)
            sheet.percent_cells |= info.percent_cells
            sheet.formula_without_value |= info.formula_without_value
            sheet.error_cells.update(info.error_cells)
            return sheet
        self._load_index()
        assert self._paths is not None
        if (done := self._prescanned.pop(sheet.name, None)) is not None:
            sheet.percent_cells |= done.percent_cells
            sheet.formula_without_value |= done.formula_without_value
            sheet.error_cells.update(done.error_cells)
        elif sheet.name in self._paths:
            _scan_member(self._zip, self._paths[sheet.name], self._percent or set(), sheet)
        return sheet


class _Wrap:
    """Turn the libraries' errors into one FILE_CORRUPT problem (the file as a whole)."""

    def __init__(self, filename: str):
        self.filename = filename

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:
        if exc is not None and isinstance(exc, _BROKEN) and not isinstance(exc, InputRejected):
            raise InputRejected(
                [
                    problem(
                        "FILE_CORRUPT",
                        value=type(exc).__name__,
                        detail=str(exc)[:200],
                        file=self.filename,
                    )
                ]
            ) from exc


def read_sheets(
    data: bytes,
    wanted: list[str] | None = None,
    *,
    filename: str = "",
    fill_merged: bool = False,
    limits: Limits | None = None,
) -> list[Sheet]:
    """All sheets (or the wanted ones that exist) of a workbook already checked by etl.guard."""
    book = Workbook(data, filename, limits)
    return [
        book.sheet(name, fill_merged=fill_merged)
        for name in book.sheet_names
        if wanted is None or name in wanted
    ]
