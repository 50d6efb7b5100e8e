"""The plan workbook's shape (DESIGN 4.1): sheet names, headers and vocabularies."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SHEET_PLAN = "計画"
SHEET_POLICIES = "基本方針"
SHEET_MEASURES = "事業推進計画"
SHEET_PROJECTS = "個別事業"
SHEET_ACTIVITIES = "取組"
SHEET_KPIS = "評価指標"

# Required headers per sheet, in the order written. Year columns follow on 取組 and 評価指標.
COLUMNS: dict[str, list[str]] = {
    SHEET_PLAN: ["計画ID", "計画名", "団体名", "開始年度", "終了年度"],
    SHEET_POLICIES: ["計画ID", "基本方針番号", "基本方針名"],
    SHEET_MEASURES: ["計画ID", "事業推進計画番号", "基本方針番号", "事業推進計画名"],
    SHEET_PROJECTS: [
        "計画ID",
        "事業番号",
        "事業推進計画番号",
        "事業名",
        "主管課等",
        "関係課等",
        "概要",
        "目指すもの",
        "再掲元",
    ],
    SHEET_ACTIVITIES: ["計画ID", "事業番号", "順", "取組内容"],
    SHEET_KPIS: ["計画ID", "指標ID", "事業番号", "指標名", "単位", "方向", "累積", "指標の考え方"],
}
# Optional trailing column of 評価指標: projects that print this KPI again (再掲).
COL_RELISTED_IN = "再掲先事業番号"
# Optional column of 評価指標: the KPI of the previous plan this one continues, `計画ID:指標ID`.
COL_PREVIOUS_KPI = "前計画指標ID"

DIRECTION_LABELS = {"higher": "高いほど良い", "lower": "低いほど良い", "maintain": "維持"}
DIRECTION_FROM_LABEL = {v: k for k, v in DIRECTION_LABELS.items()} | {
    k: k for k in DIRECTION_LABELS
}
CUMULATIVE_MARK = "○"
CUMULATIVE_TRUE = {"○", "〇", "◯", "●", "1", "TRUE", "はい", "累積"}

_DEPT_SPLIT = re.compile(r"[、,，]")
_ID_DASHES = re.compile(r"[‐‑‒–—―−ーｰ]")


@lru_cache(maxsize=4096, typed=True)
def header_key(text: object) -> str:
    """Headers compare after NFKC and without spaces (DESIGN 4.2).

    Cached: readers look columns up by header name for every cell they read."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(text or "")))


def normalize_id(raw: object) -> str:
    """'１－２－（４）' / '1-2-4' / 1.0 -> '1-2-4'; '1-2' stays '1-2'."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    text = _ID_DASHES.sub("-", text)
    return re.sub(r"[\s()（）<>＜＞]", "", text)


def split_departments(raw: object) -> list[str]:
    return [d.strip() for d in _DEPT_SPLIT.split(str(raw or "")) if d.strip()]
