"""Writing cells so that text never becomes a live formula (DESIGN 4.4).

openpyxl and pandas write a string that starts with '=' as a formula. Text that came from
uploads or from the plan goes through these helpers: in .xlsx it is stored as a text cell
with Excel's quote prefix (shown as typed, never evaluated); in CSV, which has no types,
it gets a leading apostrophe (the usual CSV-injection defence).
"""

from __future__ import annotations

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def is_risky(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def set_value(cell: Cell, value: object) -> None:
    """Assign a value; risky text is forced to a text cell with the quote prefix."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        # Control characters openpyxl refuses (IllegalCharacterError): a comment stored
        # before they were removed at read time (issue #10) must not break every export.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value == "" or (isinstance(value, float) and value != value):
        cell.value = None
        return
    cell.value = value
    if is_risky(value):
        cell.data_type = "s"
        cell.quotePrefix = True


def csv_safe(value: object) -> object:
    return "'" + str(value) if is_risky(value) else value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as formulas when the CSV is opened in Excel."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_safe)
    out.columns = [csv_safe(c) for c in out.columns]
    return out
