"""Text helpers for pages: escaping data for Markdown, labels, numbers."""

from __future__ import annotations

import re

import pandas as pd

from kpi.charts import format_value
from kpi.status import COMPARATOR_WORDS, DIRECTION_WORDS, badge_text

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Data shown through st.markdown is escaped: an uploaded comment is text, never markup."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def target_words(text: object, value: object, comparator: object, unit: str) -> str:
    if value is None or pd.isna(value):
        return "" if text is None or pd.isna(text) else str(text)
    words = COMPARATOR_WORDS.get(str(comparator), "")
    return f"{format_value(float(value), unit)}{(' ' + words) if words else ''}"  # type: ignore[arg-type]


def percent_text(value: object) -> str:
    """A rate for a table cell: `59.1%`, or `―` when there is none (Streamlit would print None)."""
    return "―" if value is None or pd.isna(value) else f"{float(value):.1f}%"  # type: ignore[arg-type]


def kpi_flags(direction: str, cumulative: bool) -> str:
    flags = [DIRECTION_WORDS.get(direction, direction)]
    if cumulative:
        flags.append("累積値")
    return "・".join(flags)


__all__ = ["badge_text", "format_value", "kpi_flags", "md", "percent_text", "target_words"]
