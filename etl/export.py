"""The export files: the status tables as CSV and Excel, safe to open (DESIGN 4.4, 7).

`export_bytes` assembles what an export holds (one sheet per view of the status table plus
its conditions); `to_csv_bytes` and `to_excel_bytes` write any tables.

Text cells that begin with = + - @ are neutralised (etl.excel_safe), because values can come
from uploaded files. CSV is written as UTF-8 with a BOM so that Excel opens Japanese text
correctly by double-click.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from etl.excel_safe import csv_safe_frame, set_value
from etl.provenance import SAMPLE_WARNING, date_words
from etl.text_table import display_width
from kpi.dashboard import Filters, PlanData, by_department, by_policy, select, status_table
from kpi.evaluations import evaluation_sheet
from kpi.final_review import revision_table
from kpi.fiscal import fy_label
from kpi.round_status import year_state
from kpi.status import ALL_GRADES, GRADED, STYLES

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
        _print_setup(ws, top)
        if len(frame.columns):
            ws.auto_filter.ref = (
                f"A{top}:{get_column_letter(len(frame.columns))}{top + max(len(frame), 1)}"
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _print_setup(ws: Worksheet, header_row: int) -> None:
    """Printed as the ICT division hands it round: A4 landscape, every column on the page's
    width (as many pages down as needed), the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{header_row}:{header_row}"


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


# ---------------------------------------------------------------- what an export holds

GROUP_HEADERS = {
    "policy_no": "基本方針",
    "policy_name": "基本方針名",
    "department": "部署",
    "指標数": "指標数",
    "評価済": "評価済（A〜D）",
    # letters and words without the symbols: analysts sort and filter by these headers
    **{g: f"{g} {STYLES[g].label}" if g in GRADED else STYLES[g].label for g in ALL_GRADES},
    "達成率(A)": "達成割合(%)",
}


def _readable(table: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("policy_no", "policy_name", "department") if c in table.columns]
    order = [*keys, "指標数", "評価済", *ALL_GRADES, "達成率(A)"]
    return table[order].rename(columns=GROUP_HEADERS).reset_index(drop=True)


def export_sheets(data: PlanData, filters: Filters) -> dict[str, pd.DataFrame]:
    """The views of the status table, one sheet each, with Japanese headers."""
    sel = select(data, filters)
    sheets = {
        "評価一覧": status_table(data, sel, all_years=False),
        "全年度": status_table(data, sel),
        "基本方針別": _readable(by_policy(data, sel)),
        "部署別": _readable(by_department(data, sel)),
        "事業評価": evaluation_sheet(data, list(sel.project_ids)),  # #13
    }
    revisions = data.revisions
    if len(revisions):  # targets revised mid-plan, before and after, with the reason (#14)
        sheets["目標値の見直し"] = revision_table(revisions[revisions["kpi_id"].isin(sel.kpi_ids)])
    return sheets


def export_conditions(
    data: PlanData, filters: Filters, *, as_of: dt.date, sources: Sequence[str]
) -> pd.DataFrame:
    """What an exported file contains: a reader of the file alone can tell."""
    sel = select(data, filters)
    rows = [
        ("計画", str(data.plan["name"])),
        ("団体", str(data.plan["organization"])),
        ("対象年度（評価一覧）", fy_label(sel.fiscal_year)),
        ("値の状態", year_state(data.locked_years, sel.fiscal_year)),  # 速報 / 確定 (#13)
        ("絞り込み", filters.describe()),
        ("作成日", date_words(as_of)),
        *(("データの出典", s) for s in sources),
    ]
    if data.sample_current:
        rows.append(("注意", SAMPLE_WARNING.replace("報告書", "ファイル")))
    return pd.DataFrame(rows, columns=["項目", "内容"])


def export_bytes(
    data: PlanData,
    filters: Filters,
    fmt: str,
    *,
    as_of: dt.date,
    sources: Sequence[str] = (),
) -> bytes:
    """`xlsx`: one sheet per view plus 出力条件; `csv`: the all-years status table.
    Both neutralise text that Excel would run as a formula (etl.export)."""
    if fmt == "csv":
        return to_csv_bytes(status_table(data, select(data, filters)))
    if fmt == "xlsx":
        sheets = export_sheets(data, filters)
        sheets["出力条件"] = export_conditions(data, filters, as_of=as_of, sources=sources)
        return to_excel_bytes(sheets)
    raise ValueError(fmt)
