"""Write the 事業評価 sheet (issue #13): one row per project, dropdowns for 進捗 and
今後の方向性, free text for the rest. Read back by etl/evaluation_reader.py."""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from etl.evaluation_reader import (
    CHOICES,
    COL_NAME,
    COL_PLAN,
    COL_PROJECT,
    COL_YEAR,
    FIELDS,
    HEADERS,
    SHEET,
)
from etl.excel_safe import set_value
from etl.template import (
    BORDER,
    INPUT_FILL,
    REFERENCE_FILL,
    write_sheet_head,
)
from kpi.fiscal import fy_column

HEADER_ROW = 3  # 1-based: a title, a note, then the header
WIDTHS = {
    COL_NAME: 34,
    "取組実績": 40,
    "評価の理由": 40,
    "課題": 36,
    "今後の方向性": 14,
    "進捗": 12,
}
EXPLANATION = [
    "",
    "事業評価（シート「事業評価」）",
    "10. 事業ごとに、その年度の進み具合を書いてください。「進捗」と「今後の方向性」は"
    "一覧から選びます（進捗: "
    + "・".join(CHOICES["進捗"])
    + "、今後の方向性: "
    + "・".join(CHOICES["今後の方向性"])
    + "）。",
    "11. 「取組実績」には実施した内容、「評価の理由」には進捗をそう判断した理由、「課題」には"
    "残っている課題を書いてください。評価指標のない事業も、ここで進み具合を報告します。",
    "12. 再掲の事業は元の事業番号で 1 行だけ載せています。まだ書けない事業は空欄のままで構いません"
    "（未提出として集計されます）。",
]


def write_evaluation_sheet(
    wb: Workbook, projects: pd.DataFrame, *, fy: int, plan_id: str, title: str = ""
) -> None:
    """Add the sheet to `wb`: `projects` has project_id and project_name, in printed order."""
    ws = wb.create_sheet(SHEET)
    write_sheet_head(
        ws,
        title or f"{fy_column(fy)} 事業評価",
        "黄色の欄を入力してください。進捗と今後の方向性は一覧から選びます。入力方法は「説明」シート。",
        HEADERS,
        WIDTHS,
        HEADER_ROW,
    )
    inputs = set(FIELDS)
    r = HEADER_ROW
    for r, rec in enumerate(projects.to_dict("records"), start=HEADER_ROW + 1):
        fixed = {
            COL_PROJECT: rec["project_id"],
            COL_NAME: rec["project_name"],
            COL_YEAR: fy_column(fy),
            COL_PLAN: plan_id,
        }
        for c, h in enumerate(HEADERS, start=1):
            cell = ws.cell(row=r, column=c)
            set_value(cell, fixed.get(h))
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if h in inputs:
                cell.fill = INPUT_FILL
                cell.protection = Protection(locked=False)
            else:
                cell.fill = REFERENCE_FILL
    if r > HEADER_ROW:
        for h, choices in CHOICES.items():
            letter = get_column_letter(HEADERS.index(h) + 1)
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=h,
                error=f"{h}は一覧から選んでください（{'・'.join(choices)}）。",
            )
            dv.add(f"{letter}{HEADER_ROW + 1}:{letter}{r}")
            ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
