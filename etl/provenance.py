"""What a printed or exported file says about itself: where its values come from, when it
was made, and whether fictional sample values are among them (DESIGN 7)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.dashboard import PlanData
from kpi.status import UPLOAD_KIND_WORDS

SAMPLE_WARNING = "この報告書には架空のサンプルデータが含まれています"


def source_lines(uploads: pd.DataFrame, data: PlanData) -> list[str]:
    """「実績: actuals_2025.xlsx（取込番号 3、令和8年5月1日、情報政策課）」 for each upload that the
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
        when = date_words(pd.Timestamp(row.uploaded_at).date())
        kind = UPLOAD_KIND_WORDS.get(str(row.kind), str(row.kind))
        parts = [f"取込番号 {int(row.upload_id)}", when]
        if isinstance(row.uploaded_by, str) and row.uploaded_by.strip():
            parts.append(row.uploaded_by.strip())
        lines.append(f"{kind}: {row.filename}（{'、'.join(parts)}）")
    return lines


def date_words(day: dt.date) -> str:
    """「令和8年5月1日」: dates in a city's documents are written in the Japanese era."""
    if day >= dt.date(2019, 5, 1):
        era, year = "令和", day.year - 2018
    elif day >= dt.date(1989, 1, 8):
        era, year = "平成", day.year - 1988
    else:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
