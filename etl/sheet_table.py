"""A sheet seen as a table: find the header row, then address cells by header name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from etl.plan_format import header_key
from etl.problems import cell_name
from etl.xlsx import Sheet
from kpi.fiscal import parse_fiscal_year


@dataclass
class Table:
    sheet: Sheet
    header_row: int  # 0-based
    columns: dict[str, int]  # normalised header -> 0-based column
    year_columns: dict[int, int] = field(default_factory=dict)  # fiscal year -> column
    # normalised header -> its other columns, left to right (`columns` holds the first)
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    # normalised header -> the further columns its merged header cell covers (left to right)
    spans: dict[str, list[int]] = field(default_factory=dict)

    def data_rows(self) -> Iterator[int]:
        """0-based indexes of the rows below the header that hold anything."""
        for r in range(self.header_row + 1, len(self.sheet.rows)):
            if any(v is not None and str(v).strip() != "" for v in self.sheet.rows[r]):
                yield r

    def has(self, header: str) -> bool:
        return header_key(header) in self.columns

    def col(self, header: str) -> int:
        return self.columns[header_key(header)]

    def value(self, r: int, header: str) -> object:
        return self.value_at(r, self.col(header))

    def value_at(self, r: int, c: int) -> object:
        row = self.sheet.rows[r]
        return row[c] if c < len(row) else None

    def text(self, r: int, header: str) -> str:
        if not self.has(header):
            return ""
        v = self.value(r, header)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    def ref(self, r: int, header: str) -> str:
        return cell_name(r, self.col(header))


def find_header(sheet: Sheet, required: list[str], search_rows: int = 1) -> Table | None:
    """The first of the first `search_rows` rows that holds every required header."""
    wanted = {header_key(h) for h in required}
    for r, row in enumerate(sheet.rows[:search_rows]):
        keys: dict[str, int] = {}
        years: dict[int, int] = {}
        duplicates: dict[str, list[int]] = {}
        for c, v in enumerate(row):
            if v is None:
                continue
            k = header_key(v)
            if k in keys:
                duplicates.setdefault(k, []).append(c)
            keys.setdefault(k, c)
            if (fy := parse_fiscal_year(v)) is not None and not isinstance(v, int | float):
                years.setdefault(fy, c)
        if wanted <= keys.keys():
            return Table(sheet, r, keys, years, duplicates)
    return None


def missing_headers(sheet: Sheet, required: list[str]) -> list[str]:
    """Which required headers row 1 lacks (for the problem report)."""
    row = sheet.rows[0] if sheet.rows else []
    present = {header_key(v) for v in row if v is not None}
    return [h for h in required if header_key(h) not in present]


def cell_text(v: object) -> str:
    """A cell read as text: 2.0 from Excel reads "2", surrounding spaces dropped."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()
