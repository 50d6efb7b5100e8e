"""What calamine does not tell about an OpenDocument spreadsheet (.ods, LibreOffice): which
cells are percentages, formulas without a value, error cells and merged ranges (#14).

calamine reads an .ods's values as it reads an .xlsx's; the cell attributes live in
content.xml (and the number styles in content.xml / styles.xml), parsed here once per
workbook, streamed with defusedxml's iterparse (entity declarations refused; etl.guard has
already refused a DTD and checked the sizes), each row cleared once read.

A cell is a percentage when LibreOffice wrote `office:value-type="percentage"`, or when its
style (the cell's, else its column's default cell style) shows numbers with a percentage
data style (`number:percentage-style`).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


TABLE, ROW, CELL, COVERED, COLUMN = (
    _q("table", "table"),
    _q("table", "table-row"),
    _q("table", "table-cell"),
    _q("table", "covered-table-cell"),
    _q("table", "table-column"),
)
STYLE, PERCENT_STYLE = _q("style", "style"), _q("number", "percentage-style")
A_NAME, A_STYLE_NAME = _q("style", "name"), _q("style", "data-style-name")
A_TABLE_NAME, A_CELL_STYLE = _q("table", "name"), _q("table", "style-name")
A_ROWS_REP, A_COLS_REP = _q("table", "number-rows-repeated"), _q("table", "number-columns-repeated")
A_COLS_SPAN, A_ROWS_SPAN = _q("table", "number-columns-spanned"), _q("table", "number-rows-spanned")
A_DEFAULT_STYLE = _q("table", "default-cell-style-name")
A_VALUE_TYPE, A_CALC_TYPE = _q("office", "value-type"), _q("calcext", "value-type")
A_FORMULA = _q("table", "formula")
_VALUE_ATTRS = (
    _q("office", "value"),
    _q("office", "string-value"),
    _q("office", "date-value"),
    _q("office", "time-value"),
    _q("office", "boolean-value"),
)

Cell = tuple[int, int]


def is_ods(z: zipfile.ZipFile) -> bool:
    try:
        return z.read("mimetype").strip() == ODS_MIMETYPE.encode()
    except KeyError:
        return False


@dataclass
class OdsSheet:
    percent_cells: set[Cell] = field(default_factory=set)
    formula_without_value: set[Cell] = field(default_factory=set)
    error_cells: dict[Cell, str] = field(default_factory=dict)
    merged: list[tuple[Cell, Cell]] = field(default_factory=list)
    # The furthest row and column (1-based) holding a value: what calamine will materialise
    rows: int = 0
    columns: int = 0


def _percent_styles(z: zipfile.ZipFile, parts: list[str]) -> set[str]:
    """Names of cell styles whose data style is a percentage, from styles.xml and content.xml."""
    percent_data: set[str] = set()
    data_style_of: dict[str, str] = {}
    for part in parts:
        try:
            raw = z.read(part)
        except KeyError:
            continue
        root = SafeET.fromstring(raw) if part == "styles.xml" else None
        elements = root.iter() if root is not None else _style_elements(z, part)
        for el in elements:
            if el.tag == PERCENT_STYLE:
                percent_data.add(el.get(A_NAME, ""))
            elif el.tag == STYLE and el.get(A_STYLE_NAME):
                data_style_of[el.get(A_NAME, "")] = el.get(A_STYLE_NAME, "")
    return {name for name, data in data_style_of.items() if data in percent_data}


def _style_elements(z: zipfile.ZipFile, part: str):
    """The style elements of content.xml's automatic styles, stopping at the body (the
    sheets, which can be large, are read once, in `scan_ods`)."""
    body = _q("office", "body")
    with z.open(part) as f:
        for event, el in SafeET.iterparse(f, events=("start", "end")):
            if event == "start" and el.tag == body:
                return
            if event == "end" and el.tag in (PERCENT_STYLE, STYLE):
                yield el


def _text_of(el) -> str:
    return "".join(el.itertext()).strip()


def scan_ods(z: zipfile.ZipFile) -> dict[str, OdsSheet]:
    """Per sheet name, the cells calamine cannot describe. Coordinates are 0-based, with
    repeated rows and columns expanded as LibreOffice's writer compresses them."""
    percent_styles = _percent_styles(z, ["styles.xml", "content.xml"])
    sheets: dict[str, OdsSheet] = {}
    current: OdsSheet | None = None
    column_styles: list[tuple[int, str]] = []  # (first column, default style) runs
    row = col = 0
    with z.open("content.xml") as f:
        for event, el in SafeET.iterparse(f, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == TABLE:
                    current = sheets.setdefault(el.get(A_TABLE_NAME, ""), OdsSheet())
                    row, column_styles = 0, []
                elif tag == ROW:
                    col = 0
                continue
            if current is None:
                continue
            if tag == COLUMN:
                start = column_styles[-1][0] + 1 if column_styles else 0
                for _ in range(min(int(el.get(A_COLS_REP, "1")), 1024)):
                    column_styles.append((start, el.get(A_DEFAULT_STYLE, "")))
                    start += 1
            elif tag in (CELL, COVERED):
                repeat = int(el.get(A_COLS_REP, "1"))
                if tag == CELL and len(el.attrib):
                    _cell(el, current, row, col, repeat, percent_styles, column_styles)
                col += repeat
                el.clear()
            elif tag == ROW:
                row += int(el.get(A_ROWS_REP, "1"))
                el.clear()
            elif tag == TABLE:
                current = None
                el.clear()
    return sheets


def _cell(
    el,
    sheet: OdsSheet,
    row: int,
    col: int,
    repeat: int,
    percent_styles: set[str],
    column_styles: list[tuple[int, str]],
) -> None:
    span_c, span_r = int(el.get(A_COLS_SPAN, "1")), int(el.get(A_ROWS_SPAN, "1"))
    if span_c > 1 or span_r > 1:
        sheet.merged.append(((row, col), (row + span_r - 1, col + span_c - 1)))
    value_type = el.get(A_VALUE_TYPE)
    if value_type is not None or el.get(A_FORMULA) is not None:
        sheet.rows = max(sheet.rows, row + 1)
        sheet.columns = max(sheet.columns, col + repeat)
    style = el.get(A_CELL_STYLE) or (column_styles[col][1] if col < len(column_styles) else "")
    percent = value_type == "percentage" or (
        value_type in ("float", "percentage") and style in percent_styles
    )
    if el.get(A_CALC_TYPE) == "error":
        sheet.error_cells[(row, col)] = _text_of(el) or "#N/A"
    elif (
        el.get(A_FORMULA) is not None
        and not any(el.get(a) is not None for a in _VALUE_ATTRS)
        and not _text_of(el)
    ):
        sheet.formula_without_value.add((row, col))
    if percent:
        for c in range(col, col + min(repeat, 16384)):
            sheet.percent_cells.add((row, c))
