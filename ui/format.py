"""Text helpers for pages: escaping data for Markdown, labels, numbers."""

from __future__ import annotations

import re

import pandas as pd

from kpi.charts import format_value
from kpi.status import COMPARATOR_WORDS, DIRECTION_WORDS, badge_text

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&@])")
# Streamlit's Markdown (remark-gfm) turns bare URLs, `www.` names and e-mail addresses into
# links after the escapes are resolved, so escaping alone leaves them clickable (seen in
# Chromium). An invisible WORD JOINER inside `://` and `www.` and after `@` breaks those patterns.
_WORD_JOINER = "\u2060"
_AUTOLINK_BREAK = re.compile(r"(?<=\\:)(?=/)|(?<=\\@)|(?i:(?<=www)(?=\\\.))")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def md(text: object) -> str:
    """Every text from a user, a file or a URL goes through this before Streamlit renders it
    as Markdown (st.markdown, captions, alerts, headers, labels, metrics): it is shown as
    text, never as markup, a link or an image. Control characters are dropped."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    escaped = _MD_SPECIAL.sub(r"\\\1", _CONTROL.sub("", str(text)))
    return _AUTOLINK_BREAK.sub(_WORD_JOINER, escaped).replace("\n", "  \n")


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
