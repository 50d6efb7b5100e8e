"""The number reader of DESIGN 4.3, shared by plan targets and yearly actuals.

Order of the rules: NFKC, strip spaces, take a frequency prefix (年/月) off the front and
以上/以下 off the end, strip a trailing unit, apply 万/億, allow a trailing % for % KPIs, then
strip thousands separators (they must group by three). A numeric Excel cell formatted as a
percentage holds a fraction (0.25 shown as 25%) and means 25 for a % KPI.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

PLAN_UNITS = ("人", "件", "時間", "業務", "回", "箇所", "種類", "データ", "枚")
# A blank or one of these means "not reported" (DESIGN 4.2). NFKC leaves ー ― — as they are.
NOT_REPORTED = frozenset({"－", "ー", "-", "―", "—", "‐", "−", "未集計"})
_MINUS_SIGNS = ("△", "▲", "−", "‐", "-")
_MULTIPLIERS = (("億", 100_000_000), ("万", 10_000))
# ASCII digits only: NFKC leaves other scripts' digits (١٢) alone and float() would accept them.
_DECIMAL = re.compile(r"^[0-9]+(?:\.[0-9]+)?$|^\.[0-9]+$")
# Thousands separators must group by three ("7,000"); "1,2,3" or "12,5" is a typo or a decimal comma.
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
_HAS_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")

# Magnitudes (issue #10): from MAX_VALUE on, a value is refused (NUMBER_TOO_LARGE): doubles
# stop holding every integer at 2**53 ~ 9e15, and an achievement rate of 1e308 overflows to
# inf (graded A, shown "inf%", breaking the PDF). From LARGE_VALUE on it is accepted with a
# warning naming the unit (LARGE_VALUE): no city's KPI counts billions of anything, so the
# digits or the unit are probably wrong.
MAX_VALUE = 1e15
LARGE_VALUE = 1e9

BLANK = "blank"
NOT_REPORTED_KIND = "not_reported"
NUMBER = "number"
TEXT = "text"


class NumberFormatError(ValueError):
    """A value that is not a number after the rules; `code` is a problems.CATALOGUE code."""

    def __init__(self, code: str, raw: object):
        self.code = code
        self.raw = raw
        super().__init__(f"{code}: {raw!r}")


@dataclass(frozen=True)
class Reading:
    kind: str  # blank | not_reported | number | text
    value: float | None = None
    comparator: str | None = None  # '>=' / '<=' when printed as 以上 / 以下
    frequency: str | None = None  # '年' / '月' when printed as a frequency
    text: str = ""  # the value as found, trimmed


def normalize(raw: str) -> str:
    """NFKC and no whitespace at all: '７，0００ 時間' -> '7,000時間'."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw))


@lru_cache(maxsize=256)
def _unit_candidates(unit: str) -> tuple[str, ...]:
    """The units that may trail a number of this KPI, longest first."""
    return tuple(sorted({u for u in (unit, *PLAN_UNITS) if u and u != "%"}, key=len, reverse=True))


def _strip_unit(s: str, unit: str) -> str:
    for u in _unit_candidates(unit):
        if s.endswith(u) and len(s) > len(u):
            return s[: -len(u)]
    return s


def value_problem(value: float) -> str | None:
    """The rule every number read passes, whatever its source (a plain cell, a parsed text,
    a whole column): the code of its problem, or None. NaN, inf and -inf (a cell holding
    `NaN`, `1e400`) are BAD_NUMBER; below 0 NEGATIVE; from MAX_VALUE on NUMBER_TOO_LARGE."""
    if not math.isfinite(value):
        return "BAD_NUMBER"
    if value < 0:
        return "NEGATIVE"
    if value >= MAX_VALUE:
        return "NUMBER_TOO_LARGE"
    return None


def read_number(raw: object, unit: str = "", *, percent_format: bool = False) -> Reading:
    """Read one cell. Raises NumberFormatError(BAD_NUMBER / NEGATIVE) when it is not a number."""
    if raw is None:
        return Reading(BLANK)
    if isinstance(raw, bool):
        raise NumberFormatError("BAD_NUMBER", raw)
    if isinstance(raw, int | float):
        value = float(raw)
        if percent_format and unit == "%" and math.isfinite(value):
            value = round(value * 100, 10)
        if (code := value_problem(value)) is not None:
            raise NumberFormatError(code, raw)
        return Reading(NUMBER, value, text=str(raw))
    text = str(raw).strip()
    if not text:
        return Reading(BLANK, text=text)
    if text.isascii():  # NFKC changes no ASCII character, and none is a "No" digit
        s = _SPACES.sub("", text)
    else:
        # NFKC would turn ① into 1: a circled or superscript digit is not a number here.
        if any(unicodedata.category(ch) == "No" for ch in text):
            raise NumberFormatError("BAD_NUMBER", raw)
        s = normalize(text)
    if s in NOT_REPORTED:
        return Reading(NOT_REPORTED_KIND, text=text)
    negative = False
    if s.startswith(_MINUS_SIGNS):
        negative, s = True, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    frequency = None
    if s[:1] in ("年", "月"):
        frequency, s = s[0], s[1:]
    comparator = None
    if s.endswith("以上"):
        comparator, s = ">=", s[:-2]
    elif s.endswith("以下"):
        comparator, s = "<=", s[:-2]
    s = _strip_unit(s, unit)
    factor = 1
    for suffix, mult in _MULTIPLIERS:
        if s.endswith(suffix):
            factor, s = mult, s[: -len(suffix)]
            break
    if s.endswith("%"):
        if unit != "%":
            raise NumberFormatError("BAD_NUMBER", raw)
        s = s[:-1]
    if "," in s:
        if not _GROUPED.match(s):
            raise NumberFormatError("BAD_NUMBER", raw)
        s = s.replace(",", "")
    if not _DECIMAL.match(s):
        raise NumberFormatError("BAD_NUMBER", raw)
    value = float(s) * factor
    if negative and value != 0 and math.isfinite(value):
        raise NumberFormatError("NEGATIVE", raw)
    # '9' * 400 reads as inf: no KPI value, and it would grade A
    if (code := value_problem(value)) is not None:
        raise NumberFormatError(code, raw)
    return Reading(NUMBER, value, comparator, frequency, text)


def read_numbers(
    raws: Sequence[object], units: Sequence[str], percent_formats: Sequence[bool] | None = None
) -> list[float | str | None]:
    """`read_number` over a whole column: per cell, the value (None for blank or not reported)
    or the code of its problem (BAD_NUMBER, NEGATIVE).

    Exactly `read_number`, cell by cell, but fast on a column of 350,000 cells: plain numbers
    are checked as one array, and every other distinct (value, unit, format) is read once
    (a national file repeats the same few hundred texts)."""
    n = len(raws)
    formats = [False] * n if percent_formats is None else list(percent_formats)
    out: list[float | str | None] = [None] * n
    plain = [
        i
        for i, (raw, percent) in enumerate(zip(raws, formats, strict=True))
        if (raw.__class__ is float or raw.__class__ is int) and not percent
    ]
    if plain:
        values = np.array([raws[i] for i in plain], dtype=np.float64)
        codes = value_problems(values)
        for i, value, code in zip(plain, values.tolist(), codes.tolist(), strict=True):
            out[i] = code or value
    rest = sorted(set(range(n)) - set(plain)) if plain else range(n)
    keys = [(raws[i].__class__, raws[i], units[i], formats[i]) for i in rest]
    results: dict[tuple, float | str | None] = {}
    for key in dict.fromkeys(keys):
        try:
            results[key] = read_number(key[1], key[2], percent_format=key[3]).value
        except NumberFormatError as e:
            results[key] = e.code
    for i, key in zip(rest, keys, strict=True):
        out[i] = results[key]
    return out


def value_problems(values: np.ndarray) -> np.ndarray:
    """`value_problem` over an array: the code per value, '' where there is none."""
    with np.errstate(invalid="ignore"):
        return np.where(
            ~np.isfinite(values),
            "BAD_NUMBER",
            np.where(values < 0, "NEGATIVE", np.where(values >= MAX_VALUE, "NUMBER_TOO_LARGE", "")),
        )


def read_target(raw: object, unit: str, direction: str, *, percent_format: bool = False) -> Reading:
    """A plan target as printed: a number with a comparator, or a text target.

    Text without any digit (`検討を踏まえ設定`) is a text target. A number printed without
    以上/以下 takes its comparator from the KPI: frequencies (`月２回`) and `maintain` KPIs use
    '=', higher-is-better '>=', lower-is-better '<=' (DESIGN 6 grades by comparator).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Reading(BLANK)
    if isinstance(raw, str) and not _HAS_DIGIT.search(normalize(raw)):
        return Reading(TEXT, text=raw.strip())
    try:
        reading = read_number(raw, unit, percent_format=percent_format)
    except NumberFormatError as e:
        raise NumberFormatError("BAD_TARGET", raw) from e
    if reading.kind != NUMBER:
        raise NumberFormatError("BAD_TARGET", raw)
    comparator = reading.comparator
    if comparator is None:
        if reading.frequency or direction == "maintain":
            comparator = "="
        else:
            comparator = "<=" if direction == "lower" else ">="
    text = reading.text
    if not isinstance(raw, str):  # a number typed into Excel: keep a readable printed form
        text = f"{reading.value:g}%" if unit == "%" else f"{reading.value:g}"
    return Reading(NUMBER, reading.value, comparator, reading.frequency, text)


def is_missing(value: object) -> bool:
    """None, pandas' NA or NaN: a cell with nothing to show."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def text_or_blank(value: object) -> str:
    """A value for a text field of an output: "" when it is missing, never "nan" or "None"."""
    return "" if is_missing(value) else str(value)
