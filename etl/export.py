"""Tables out: CSV and Excel downloads that are safe to open (DESIGN 4.4, 7).

Text cells that begin with = + - @ are neutralised (etl.excel_safe), because values can come
from uploaded files. CSV is written as UTF-8 with a BOM so that Excel opens Japanese text
correctly by double-click.
"""

from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from etl.excel_safe import csv_safe_frame, set_value
from etl.text_table import display_width

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return csv_safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def sheet_title(name: str) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet name."""
    return _BAD_SHEET_CHARS.sub("_", name)[:31] or "Sheet"


def to_excel_bytes(sheets: dict[str, pd.DataFrame], *, title: str | None = None) -> bytes:
    """One sheet per table: styled header row, frozen, filterable, readable widths."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(sheet_title(name))
        top = 1
        if title:
            set_value(ws.cell(row=1, column=1), title)
            ws.cell(row=1, column=1).font = Font(bold=True, size=12)
            top = 3
        for c, header in enumerate(frame.columns, start=1):
            cell = ws.cell(row=top, column=c)
            set_value(cell, str(header))
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for r, row in enumerate(frame.itertuples(index=False), start=top + 1):
            for c, value in enumerate(row, start=1):
                set_value(ws.cell(row=r, column=c), _plain(value))
        for c, header in enumerate(frame.columns, start=1):
            sample = [str(header), *(str(v) for v in frame.iloc[:200, c - 1])]
            width = min(60, max(8, max(display_width(s) for s in sample) + 2))
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = ws.cell(row=top + 1, column=1)
        if len(frame.columns):
            ws.auto_filter.ref = (
                f"A{top}:{get_column_letter(len(frame.columns))}{top + max(len(frame), 1)}"
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _plain(value: object) -> object:
    """numpy/pandas scalars and missing values -> what openpyxl writes."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
