"""The blank plan workbook (#14): what the ICT division fills in to bring in a new plan.

Same six sheets and headers as data/plan.xlsx (DESIGN 4.1), one year column per fiscal year
of the period, dropdowns for 方向 and 累積, an input prompt on every column, and a 説明 sheet
that explains every column with an example. Reading it back is etl.plan_reader's job.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from etl.plan_format import (
    COL_PREVIOUS_KPI,
    COL_RELISTED_IN,
    COLUMNS,
    CUMULATIVE_MARK,
    DIRECTION_LABELS,
    SHEET_ACTIVITIES,
    SHEET_KPIS,
    SHEET_MEASURES,
    SHEET_PLAN,
    SHEET_POLICIES,
    SHEET_PROJECTS,
)

__all__ = ["SHEET_HELP", "build_plan_template"]
from kpi.errors import KpiError
from kpi.fiscal import fy_column, fy_label

SHEET_HELP = "説明"
ROWS = 500  # rows that carry the dropdowns (a plan has tens of projects, a hundred KPIs)
MAX_YEARS = 10
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
YEAR = "（年度）"  # stands for every year column in the explanations

# Column -> (what it holds, example). The example plan is fictional.
HELP: dict[str, dict[str, tuple[str, str]]] = {
    SHEET_PLAN: {
        "計画ID": (
            "計画を区別する半角の記号。他の全シートの 計画ID と同じにします。",
            "sample-r8-r12",
        ),
        "計画名": ("計画の正式名称。", "第2次 情報化推進計画"),
        "団体名": ("自治体名。", "架空市"),
        "開始年度": ("計画期間の最初の年度（西暦・和暦どちらでも可）。", "2026 または 令和8年度"),
        "終了年度": ("計画期間の最後の年度。", "2030 または 令和12年度"),
    },
    SHEET_POLICIES: {
        "計画ID": ("計画シートの 計画ID。", "sample-r8-r12"),
        "基本方針番号": ("1 から始まる整数。", "1"),
        "基本方針名": ("基本方針の名称。", "市民サービスのデジタル化"),
    },
    SHEET_MEASURES: {
        "計画ID": ("計画シートの 計画ID。", "sample-r8-r12"),
        "事業推進計画番号": ("基本方針番号-番号。＜２＞なら 2。", "1-2"),
        "基本方針番号": ("この事業推進計画が属する基本方針の番号。", "1"),
        "事業推進計画名": ("事業推進計画の名称。", "オンライン手続の拡充"),
    },
    SHEET_PROJECTS: {
        "計画ID": ("計画シートの 計画ID。", "sample-r8-r12"),
        "事業番号": ("事業推進計画番号-番号。１－２－（４）なら 1-2-4。", "1-2-4"),
        "事業推進計画番号": ("この事業が属する事業推進計画。", "1-2"),
        "事業名": ("個別事業の名称。", "電子申請システムの導入"),
        "主管課等": ("主管課。複数は「、」で区切ります。必須。", "情報政策課"),
        "関係課等": ("関係課。複数は「、」で区切ります。", "市民課、税務課"),
        "概要": ("事業の概要。", "申請手続をオンライン化する。"),
        "目指すもの": ("事業が目指すもの。", "来庁不要の手続を増やす。"),
        "再掲元": ("再掲の事業なら元の事業番号。再掲でなければ空欄。", "2-2-2"),
    },
    SHEET_ACTIVITIES: {
        "計画ID": ("計画シートの 計画ID。", "sample-r8-r12"),
        "事業番号": ("個別事業シートの事業番号。", "1-2-4"),
        "順": ("事業の中での取組の順番（整数）。", "1"),
        "取組内容": ("年度ごとの取組の名称。", "電子申請の対象手続の拡大"),
        YEAR: ("その年度に行う内容。行わない年度や不明な年度は空欄。", "実施"),
    },
    SHEET_KPIS: {
        "計画ID": ("計画シートの 計画ID。", "sample-r8-r12"),
        "指標ID": ("事業番号-番号。事業の中で 1 から順に。", "1-2-4-1"),
        "事業番号": ("指標を記載する個別事業。", "1-2-4"),
        "指標名": ("評価指標の名称。", "電子申請の利用件数"),
        "単位": ("件、％、回、人 など。目標値・実績値の単位。", "件"),
        "方向": ("選択: " + " / ".join(DIRECTION_LABELS.values()), "高いほど良い"),
        "累積": (
            f"計画開始からの累積値なら {CUMULATIVE_MARK}、そうでなければ空欄。",
            CUMULATIVE_MARK,
        ),
        "指標の考え方": ("指標を選んだ理由や算出方法。", "電子申請システムの年間利用件数"),
        YEAR: (
            "その年度の目標値を計画書の表記のまま（70%以上、780万件、年3回以上、検討を踏まえ設定）。"
            "目標のない年度は空欄。",
            "12,000件以上",
        ),
        COL_RELISTED_IN: (
            "この指標を再掲する事業の事業番号（「、」区切り）。なければ空欄。",
            "3-2-1",
        ),
        COL_PREVIOUS_KPI: (
            "前の計画の同じ指標を引き継ぐ場合に 計画ID:指標ID。グラフに前計画の実績が灰色で表示されます。",
            "hadano-r3-r7:2-1-1-2",
        ),
    },
}


def _headers(sheet: str, years: list[int]) -> list[str]:
    head = list(COLUMNS[sheet])
    if sheet == SHEET_ACTIVITIES:
        return head + [fy_column(y) for y in years]
    if sheet == SHEET_KPIS:
        return head + [fy_column(y) for y in years] + [COL_RELISTED_IN, COL_PREVIOUS_KPI]
    return head


def _prompt(dv_title: str, text: str) -> DataValidation:
    """An input message shown when a cell of the column is selected (Excel and LibreOffice)."""
    dv = DataValidation(allow_blank=True, showInputMessage=True)
    dv.promptTitle = dv_title[:32]
    dv.prompt = text[:255]
    return dv


def _sheet(wb: Workbook, sheet: str, years: list[int]) -> Worksheet:
    ws = wb.create_sheet(sheet)
    headers = _headers(sheet, years)
    ws.append(headers)
    ws.freeze_panes = "A2"
    for i, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(i)
        wide = h in ("概要", "目指すもの", "指標の考え方", "取組内容", "事業名", "指標名")
        ws.column_dimensions[letter].width = 40 if wide else 16
        rng = f"{letter}2:{letter}{ROWS + 1}"
        if h == "方向":
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(DIRECTION_LABELS.values()) + '"',
                allow_blank=True,
                showErrorMessage=True,
                showInputMessage=True,
            )
            dv.error, dv.errorTitle = "一覧から選んでください。", "方向"
            dv.promptTitle, dv.prompt = "方向", "高いほど良い / 低いほど良い / 維持 から選びます。"
        elif h == "累積":
            dv = DataValidation(
                type="list",
                formula1=f'"{CUMULATIVE_MARK}"',
                allow_blank=True,
                showErrorMessage=True,
                showInputMessage=True,
            )
            dv.error, dv.errorTitle = f"{CUMULATIVE_MARK} か空欄にしてください。", "累積"
            dv.promptTitle, dv.prompt = (
                "累積",
                f"累積指標なら {CUMULATIVE_MARK}、そうでなければ空欄。",
            )
        else:
            help_key = h if h in HELP[sheet] else YEAR
            what, example = HELP[sheet][help_key]
            dv = _prompt(h, f"{what} 例: {example}")
        ws.add_data_validation(dv)
        dv.add(rng)
    return ws


def _help_sheet(wb: Workbook, years: list[int]) -> None:
    ws = wb.create_sheet(SHEET_HELP, 0)
    ws.append(["この計画ワークブックの書き方"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"計画期間: {fy_label(years[0])}〜{fy_label(years[-1])}。1 行目の見出しは変えずに、"
            "2 行目から入力します。上のシートから順に（計画 → 基本方針 → 事業推進計画 → 個別事業 → "
            "取組 → 評価指標）番号がつながるように書きます。"
        ]
    )
    ws.append(
        [
            "読み込み: 実績の取込 ページの「計画」タブ、または python -m etl load-plan ファイル名。"
            "問題はシートとセルを示して一覧で表示され、1 件でもエラーがあれば何も変わりません。"
        ]
    )
    ws.append([])
    ws.append(["シート", "列", "内容", "記入例"])
    for c in ws[5]:
        c.fill, c.font = HEADER_FILL, HEADER_FONT
    for sheet, columns in HELP.items():
        for column, (what, example) in columns.items():
            label = (
                f"{fy_column(years[0])}〜{fy_column(years[-1])}（年度ごとに 1 列）"
                if column == YEAR
                else column
            )
            ws.append([sheet, label, what, example])
    for letter, width in zip("ABCD", (16, 30, 80, 30), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")


def build_plan_template(start_fy: int, end_fy: int) -> bytes:
    """The empty plan workbook for fiscal years start_fy..end_fy (Western years)."""
    if end_fy < start_fy:
        raise KpiError(f"終了年度（{end_fy}）が開始年度（{start_fy}）より前です。")
    if end_fy - start_fy + 1 > MAX_YEARS:
        raise KpiError(f"計画期間は {MAX_YEARS} 年度までにしてください。")
    years = list(range(start_fy, end_fy + 1))
    wb = Workbook()
    wb.remove(wb.active)
    _help_sheet(wb, years)
    for sheet in COLUMNS:
        ws = _sheet(wb, sheet, years)
        if sheet == SHEET_PLAN:  # the period is known: write it, the rest is for the user
            ws["D2"], ws["E2"] = start_fy, end_fy
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
