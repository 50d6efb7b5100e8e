"""What a printed or exported file says about itself: where its values come from, when it
was made, and whether fictional sample values are among them (DESIGN 7)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.dashboard import PlanData
from kpi.status import UPLOAD_KIND_WORDS

SAMPLE_WARNING = "この報告書には架空のサンプルデータが含まれています"


def source_lines(uploads: pd.DataFrame, data: PlanData) -> list[str]:
    """「実績: actuals_2025.xlsx（#3, 2026-05-01, 情報政策課）」 for each upload that the
    report's values come from: the newest active plan workbook and every upload that
    supplies a current actual."""
    if uploads.empty:
        return []
    active = uploads[uploads["status"] == "active"]
    used = set(data.status["upload_id"].dropna().astype(int))
    plan_rows = active[active["kind"] == "plan"].sort_values("upload_id").tail(1)
    value_rows = active[active["upload_id"].astype(int).isin(used)].sort_values("upload_id")
    lines = []
    for row in pd.concat([plan_rows, value_rows]).itertuples(index=False):
        when = pd.Timestamp(row.uploaded_at).strftime("%Y-%m-%d")
        kind = UPLOAD_KIND_WORDS.get(str(row.kind), str(row.kind))
        lines.append(f"{kind}: {row.filename}（#{int(row.upload_id)}, {when}, {row.uploaded_by}）")
    return lines


def date_words(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
