"""The yearly actuals template (DESIGN 4.2): one row per KPI, ready to fill and upload as is.

A title and an instructions row sit above the header (the reader finds the header anyway).
Reference columns are shaded and the sheet is protected without a password, so only 実績値
and 備考 take input while a clerk can still unprotect it. Every text goes through
`excel_safe.set_value`: names from the plan never become live formulas.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from etl.actuals_table import COL_NOTE, COL_PLAN, COL_VALUE, SHEET
from etl.excel_safe import set_value
from kpi import repository
from kpi.errors import KpiError
from kpi.fiscal import fy_column

EXPLANATION_SHEET = "説明"
HEADERS = [
    "指標ID",
    "事業番号",
    "事業名",
    "指標名",
    "単位",
    "年度",
    "目標値",
    COL_VALUE,
    COL_NOTE,
    "担当課",
]
INPUT_COLUMNS = (COL_VALUE, COL_NOTE)
HEADER_ROW = 4  # 1-based: title, instructions, a blank row, then the header
WIDTHS = {"事業名": 34, "指標名": 34, "目標値": 22, COL_NOTE: 36, "担当課": 22, COL_VALUE: 14}
NO_TARGET = "（目標なし）"

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
REFERENCE_FILL = PatternFill("solid", fgColor="EDEDED")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

VALUE_PROMPT = (
    "数値だけを入力してください（単位は「単位」列のとおり）。"
    "％の指標は 25% なら 25。未集計は空欄のまま（または「－」）。"
)
VALUE_ERROR = (
    "0 以上の数値を入力してください。未集計なら空欄または「－」で構いません"
    "（「はい」でそのまま入力できます）。"
)


def explanation_lines(subject: str) -> list[str]:
    """The 説明 sheet: how to fill the template (DESIGN 4.2, 4.3)."""
    return [
        "実績値の入力方法",
        "",
        f"このファイルは {subject} の実績値を報告するためのものです。",
        "1. 入力するのは「実績値」と「備考」の列（黄色のセル）だけです。ほかの列は参考のため保護しています"
        "（パスワードはありません。「校閲」→「シート保護の解除」で解除できます）。",
        "2. 実績値は数値で入力してください。単位は「単位」列のとおりです（例: 単位が「件」なら 1200）。"
        "「1,200」「780万」「1,200件」のような書き方も読み取れます。",
        "3. 単位が「%」の指標は、25% なら 25 と入力してください（「25%」と入力しても読み取れます）。"
        "0.25 のような小数は確認のため警告になります。",
        "4. まだ集計できていない指標は、実績値を空欄のままにするか「－」または「未集計」と入力してください。"
        "「未報告」として扱い、取込時に件数を表示します。",
        "5. 累積の指標は、計画開始からの合計値を入力してください（前年度より減ると警告になります）。",
        "6. 備考には、数値の補足（集計方法の変更、目標に届かなかった理由など）を書いてください。"
        "ダッシュボードに表示されます。",
        "7. 見出し行（指標ID・年度・実績値）は消さないでください。行の並べ替えや、見出しより上の行の追加は"
        "問題ありません。同じ指標・年度を2行に書き、値が異なるとエラーになります。",
        "8. 数式を使った場合は、Excel で保存してから取り込んでください（計算結果が保存されていないとエラーになります）。",
        "9. 保存は「Excel ブック (*.xlsx)」形式で。パスワードやマクロ付きのファイルは取り込めません。",
    ]


def _text(v: object) -> object:
    """None for missing values (NaN from pandas), the value otherwise."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    return v


def write_sheet_head(
    ws: Worksheet,
    title: str,
    instructions: str,
    headers: list[str],
    widths: dict[str, int],
    header_row: int = HEADER_ROW,
) -> None:
    """The top of every sheet a department fills in: title, instructions in red, and the
    header row (the readers find it by its names, not its position)."""
    set_value(ws.cell(row=1, column=1), title)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    set_value(ws.cell(row=2, column=1), instructions)
    ws.cell(row=2, column=1).font = Font(color="C00000")
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=header_row, column=c)
        set_value(cell, h)
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = widths.get(h, 12)


def write_actuals_workbook(
    rows: pd.DataFrame,
    *,
    title: str,
    instructions: str,
    explanation: list[str],
    with_plan_id: str | None = None,
    extra_sheets: Callable[[Workbook], None] | None = None,
) -> bytes:
    """Write the template shape: sheet 実績 (title, instructions, header, rows) and 説明.

    `rows` has the columns of `repository.template_rows`, plus optional `actual` and `note`
    (prefilled values, for the sample). `with_plan_id` adds a trailing 計画ID column.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    headers = [*HEADERS, COL_PLAN] if with_plan_id else list(HEADERS)
    write_sheet_head(ws, title, instructions, headers, WIDTHS)

    r = HEADER_ROW
    for r, rec in enumerate(rows.to_dict("records"), start=HEADER_ROW + 1):
        target = _text(rec.get("target_text"))
        values = [
            rec["kpi_id"],
            rec["project_id"],
            rec["project_name"],
            rec["kpi_name"],
            _text(rec.get("unit")) or None,
            fy_column(int(rec["fiscal_year"])),
            target if target is not None else NO_TARGET,
            _text(rec.get("actual")),
            _text(rec.get("note")),
            _text(rec.get("lead_departments")),
        ]
        if with_plan_id:
            values.append(with_plan_id)
        for c, (h, v) in enumerate(zip(headers, values, strict=True), start=1):
            cell = ws.cell(row=r, column=c)
            set_value(cell, v)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=h not in INPUT_COLUMNS)
            if h in INPUT_COLUMNS:
                cell.fill = INPUT_FILL
                cell.protection = Protection(locked=False)
                # A plain number even for % KPIs: typing 25 must stay 25 (the 単位 column says %).
                cell.number_format = "General"
            else:
                cell.fill = REFERENCE_FILL
    last = r
    value_col = get_column_letter(headers.index(COL_VALUE) + 1)
    if last > HEADER_ROW:
        _validate_values(ws, f"{value_col}{HEADER_ROW + 1}:{value_col}{last}")
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{max(last, HEADER_ROW)}"
    # No password: protection guards against slips, and a clerk can still lift it.
    ws.protection = SheetProtection(
        sheet=True, formatColumns=False, formatRows=False, autoFilter=False, sort=False
    )
    if extra_sheets is not None:  # e.g. 事業評価 (etl/evaluation_sheet.py)
        extra_sheets(wb)
    _write_explanation(wb.create_sheet(EXPLANATION_SHEET), explanation)
    wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _validate_values(ws: Worksheet, ref: str) -> None:
    # errorStyle "warning": a clerk may still type － or 未集計 (not reported) after confirming.
    dv = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        errorStyle="warning",
        promptTitle="実績値の入力",
        prompt=VALUE_PROMPT,
        errorTitle="実績値の確認",
        error=VALUE_ERROR,
    )
    dv.add(ref)
    ws.add_data_validation(dv)


def _write_explanation(ws: Worksheet, lines: list[str]) -> None:
    ws.column_dimensions["A"].width = 120
    for r, line in enumerate(lines, start=1):
        cell = ws.cell(row=r, column=1)
        set_value(cell, line or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)


@dataclass(frozen=True)
class TemplateSource:
    """What the yearly template of one plan and year is written from, read in one go: the
    file is then written without the database (a deferred download runs outside the page,
    where a busy database could only say "Failed to generate file")."""

    plan_id: str
    plan_name: str
    fy: int
    rows: pd.DataFrame  # repository.template_rows
    projects: pd.DataFrame  # repository.evaluation_rows


def read_template_source(con: duckdb.DuckDBPyConnection, plan_id: str, fy: int) -> TemplateSource:
    plan = repository.plan_info(con, plan_id)  # NotFound for an unknown plan
    check_year_in_plan(plan, fy)
    return TemplateSource(
        plan_id=plan_id,
        plan_name=str(plan["name"]),
        fy=fy,
        rows=repository.template_rows(con, plan_id, [fy]),
        projects=repository.evaluation_rows(con, plan_id),
    )


def check_year_in_plan(plan: dict, fy: int) -> None:
    start, end = int(plan["start_fy"]), int(plan["end_fy"])
    if not start <= fy <= end:
        raise KpiError(
            f"{fy_column(fy)}（{fy}）は計画「{plan['name']}」の期間"
            f"（{fy_column(start)}〜{fy_column(end)}）の外です。"
        )


def build_template(
    con: duckdb.DuckDBPyConnection, plan_id: str, fy: int, *, today: dt.date | None = None
) -> bytes:
    """The template of one plan and fiscal year: one row per KPI, 年度 prefilled; and the
    事業評価 sheet, one row per project."""
    return write_template(read_template_source(con, plan_id, fy), today=today)


def write_template(source: TemplateSource, *, today: dt.date | None = None) -> bytes:
    # Here, not at the top: the evaluation sheet borrows this module's styles.
    from etl.evaluation_sheet import EXPLANATION as EVALUATION_EXPLANATION
    from etl.evaluation_sheet import write_evaluation_sheet

    plan_id, fy = source.plan_id, source.fy
    today = today or dt.date.today()
    subject = f"{source.plan_name} {fy_column(fy)}"
    return write_actuals_workbook(
        source.rows,
        title=f"{subject} 実績値入力シート",
        instructions=(
            f"作成日 {today.isoformat()}（計画ID {plan_id}）。黄色の「実績値」「備考」だけを入力してください。"
            "未集計は空欄のまま（または「－」）。入力方法は「説明」シートを参照。"
        ),
        explanation=[*explanation_lines(subject), *EVALUATION_EXPLANATION],
        # The plan travels with the file: it still loads into the right plan after the next
        # plan period has been added to the database.
        with_plan_id=plan_id,
        extra_sheets=lambda wb: write_evaluation_sheet(wb, source.projects, fy=fy, plan_id=plan_id),
    )
