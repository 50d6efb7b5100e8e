"""画面修正 (issue #13): values corrected in a table on the upload page become a small yearly
workbook, so that they pass through the same reader, validation and preview as a file and are
committed as an upload of kind `correction`, which history lists and rollback undoes."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from openpyxl import Workbook

from etl.actuals_table import COL_KPI, COL_NOTE, COL_PLAN, COL_VALUE, COL_YEAR, SHEET
from etl.excel_safe import set_value
from kpi.fiscal import fy_column

HEADERS = [COL_KPI, "指標名", COL_YEAR, COL_VALUE, COL_NOTE, COL_PLAN]


def value_text(v: object) -> str:
    """A current value as the correction table shows it, so that sent back unchanged it reads
    as the same number: plain digits, never an exponent (the reader refuses `1e3`)."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return np.format_float_positional(float(v), trim="-")  # type: ignore[arg-type]


def _cell(v: object) -> object:
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, str):
        return v.strip() or None
    return v


def correction_workbook(plan_id: str, fy: int, edits: pd.DataFrame) -> bytes:
    """`edits` has kpi_id, kpi_name (optional), value (a number or text as typed) and note:
    one row per corrected KPI of the year. Text is written as text: the reader reads it as it
    reads a clerk's cell (「1,200」「25%」 included), and never as a formula."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for c, h in enumerate(HEADERS, start=1):
        set_value(ws.cell(row=1, column=c), h)
    for r, rec in enumerate(edits.to_dict("records"), start=2):
        values = [
            rec["kpi_id"],
            _cell(rec.get("kpi_name")),
            fy_column(fy),
            _cell(rec.get("value")),
            _cell(rec.get("note")),
            plan_id,
        ]
        for c, v in enumerate(values, start=1):
            set_value(ws.cell(row=r, column=c), v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
