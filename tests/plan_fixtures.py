"""A complete plan of a fictional municipality (架空市), typed into the blank plan template as
a clerk would: from `build_plan_template`, cell by cell with openpyxl. Shared by the tests
of #14 (template, load, two plans side by side, .ods)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import openpyxl

from etl.plan_template import build_plan_template

NEXT_PLAN = "kaku-r8-r12"
SEED_PLAN = "hadano-r3-r7"

PLAN = [NEXT_PLAN, "第2次 架空市情報化推進計画", "架空市", "令和8年度", "令和12年度"]
POLICIES = [[NEXT_PLAN, 1, "市民サービスのデジタル化"], [NEXT_PLAN, 2, "行政運営の効率化"]]
MEASURES = [
    [NEXT_PLAN, "1-1", 1, "オンライン手続の拡充"],
    [NEXT_PLAN, "2-1", 2, "業務の電子化"],
    [NEXT_PLAN, "2-2", 2, "情報セキュリティの確保"],
]
PROJECTS = [
    [
        NEXT_PLAN,
        "1-1-1",
        "1-1",
        "電子申請の拡大",
        "デジタル推進課",
        "市民課、税務課",
        "申請手続をオンライン化する。",
        "来庁不要の手続を増やす。",
        None,
    ],
    [NEXT_PLAN, "2-1-1", "2-1", "文書の電子化", "総務課", None, "紙の文書を減らす。", None, None],
    [NEXT_PLAN, "2-2-1", "2-2", "セキュリティ対策", "デジタル推進課", "全課", None, None, None],
    [
        NEXT_PLAN,
        "2-1-2",
        "2-1",
        "電子申請の拡大（再掲）",
        "デジタル推進課",
        None,
        None,
        None,
        "1-1-1",
    ],
]
ACTIVITIES = [
    [NEXT_PLAN, "1-1-1", 1, "対象手続の拡大", "検討", "実施", "実施", "実施", "実施"],
    [NEXT_PLAN, "2-1-1", 1, "電子決裁の全庁展開", None, None, None, None, None],
]
# 指標ID, 事業番号, 指標名, 単位, 方向, 累積, 考え方, R8..R12, 再掲先, 前計画指標ID
KPIS: list[list[object]] = [
    [
        NEXT_PLAN,
        "1-1-1-1",
        "1-1-1",
        "電子申請の利用件数",
        "件",
        "高いほど良い",
        None,
        "年間の利用件数",
        "８，０００件",
        "9,000件以上",
        "１万件以上",
        "1.1万件以上",
        "12000",
        "2-1-2",
        f"{SEED_PLAN}:2-1-1-2",
    ],
    [
        NEXT_PLAN,
        "1-1-1-2",
        "1-1-1",
        "オンライン化率",
        "%",
        "高いほど良い",
        None,
        None,
        "５０％以上",
        "60%以上",
        "70%以上",
        "80%以上",
        0.9,
        None,
        None,
    ],
    [
        NEXT_PLAN,
        "2-1-1-1",
        "2-1-1",
        "電子決裁率",
        "%",
        "高いほど良い",
        "○",
        None,
        "検討を踏まえ設定",
        None,
        None,
        None,
        None,
        None,
        None,
    ],
    [
        NEXT_PLAN,
        "2-2-1-1",
        "2-2-1",
        "重大インシデントの件数",
        "件",
        "低いほど良い",
        None,
        None,
        "0件以下",
        "0件以下",
        "0件以下",
        "0件以下",
        "0件以下",
        None,
        None,
    ],
    [
        NEXT_PLAN,
        "2-2-1-2",
        "2-2-1",
        "研修の開催",
        "回",
        "維持",
        None,
        None,
        "年３回以上",
        "年３回以上",
        "年３回以上",
        "年３回以上",
        "年３回以上",
        None,
        None,
    ],
]
SHEETS: dict[str, Sequence[Sequence[object]]] = {
    "計画": [PLAN],
    "基本方針": POLICIES,
    "事業推進計画": MEASURES,
    "個別事業": PROJECTS,
    "取組": ACTIVITIES,
    "評価指標": KPIS,
}


def typed_plan(edit=None) -> bytes:
    """The blank template for 2026-2030 with the fictional plan typed in (row 2 onwards).
    `edit(workbook)` may change it further before it is saved."""
    wb = openpyxl.load_workbook(io.BytesIO(build_plan_template(2026, 2030)))
    for sheet, rows in SHEETS.items():
        ws = wb[sheet]
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                ws.cell(row=r, column=c, value=value)
    # 電子決裁率: a text target merged over R8-R9, as the printed plan does.
    wb["評価指標"].merge_cells("I4:J4")
    # オンライン化率 R12: a number shown as 90% (percent format), meaning 90 for a % KPI.
    wb["評価指標"]["M3"].number_format = "0%"
    if edit is not None:
        edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
