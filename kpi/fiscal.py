"""Japanese fiscal years (April-March). In code and in the database a fiscal year is the
Western year in which it starts: 令和N年度 = 2018 + N (DESIGN 1)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

REIWA_OFFSET = 2018
HEISEI_OFFSET = 1988

_WESTERN = re.compile(r"^(?:FY)?(\d{4})(?:年度?)?$")
_ERA = re.compile(r"^(令和|R|平成|H)(\d{1,2}|元)(?:年度?)?$")
# The UI's own label, '令和7年度 (2025)': both parts must name the same year.
_LABELLED = re.compile(r"^(.+)\((\d{4})\)$")


def parse_fiscal_year(raw: object) -> int | None:
    """Read `2025`, `2025年度`, `FY2025`, `令和7年度`, `令和７年度`, `R7`, `R7年度`, `令和元年度`,
    and `令和7年度 (2025)` as the app shows years.

    Returns None when the value cannot be read as a fiscal year, or when the two parts of a
    `令和7年度 (2025)` form disagree.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 1900 <= raw <= 2999 else None
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() and 1900 <= raw <= 2999 else None
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(raw))).upper()
    if m := _LABELLED.match(text):
        fy = _parse_text(m.group(1))
        return fy if fy == int(m.group(2)) else None
    return _parse_text(text)


def _parse_text(text: str) -> int | None:
    """A normalised year text without the parenthesised Western year."""
    if m := _WESTERN.match(text):
        year = int(m.group(1))
        return year if 1900 <= year <= 2999 else None
    if m := _ERA.match(text):
        era, num = m.groups()
        n = 1 if num == "元" else int(num)
        if n < 1:
            return None
        return (REIWA_OFFSET if era in ("令和", "R") else HEISEI_OFFSET) + n
    return None


def era_name(fy: int) -> str:
    """2025 -> '令和7年度', 2019 -> '令和元年度', 2018 -> '平成30年度'."""
    if fy >= 2019:
        n = fy - REIWA_OFFSET
        return f"令和{'元' if n == 1 else n}年度"
    n = fy - HEISEI_OFFSET
    return f"平成{'元' if n == 1 else n}年度"


def fy_label(fy: int) -> str:
    """The form shown in the UI: '令和7年度 (2025)'."""
    return f"{era_name(fy)} ({fy})"


def fy_column(fy: int) -> str:
    """Workbook column header for a fiscal year: '令和3年度' (DESIGN 4.1)."""
    return era_name(fy)


def fy_end(fy: int) -> dt.date:
    """A fiscal year ends on 31 March of the next calendar year."""
    return dt.date(fy + 1, 3, 31)


def fy_ended(fy: int, today: dt.date) -> bool:
    return today > fy_end(fy)


def fy_of(day: dt.date) -> int:
    """The fiscal year a date falls in."""
    return day.year if day.month >= 4 else day.year - 1


def fy_long_label(fy: int) -> str:
    """The form of public documents: '令和7年度（2025年度）'."""
    return f"{era_name(fy)}（{fy}年度）"
