"""The comments (備考) of a yearly actuals workbook (issue #10 items 3, 5 and 6).

* where they are: the 備考 column, and the columns its header cell is merged across
  (a clerk who merges the header over two columns types under either of them);
* what is stored: the text cleaned and bounded by etl.notes (control characters removed,
  too long refused);
* the comment of a row whose 実績値 is blank or 「－」 ("集計中（5月末確定予定）") is kept:
  `unreported_notes` returns it, for kpi_unreported_notes (it tells the ICT division why a
  value is missing; it is never a value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from etl.notes import clean_note, note_problems, note_text
from etl.plan_format import header_key, normalize_id
from etl.problems import Problem, cell_name
from etl.sheet_table import Table, cell_text
from etl.xlsx import Sheet
from kpi.fiscal import parse_fiscal_year
from kpi.numbers import NOT_REPORTED, normalize

COL_NOTE = "備考"
NOTE_DTYPES = {
    "plan_id": object,
    "kpi_id": object,
    "fiscal_year": "int64",
    "note": object,
    "source_cell": object,
}


def empty_notes() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in NOTE_DTYPES.items()})


def note_columns(table: Table) -> list[int]:
    """Real columns of the comments: 備考 and those its merged header cell covers."""
    if not table.has(COL_NOTE):
        return []
    first = table.col(COL_NOTE)
    return [first, *table.spans.get(header_key(COL_NOTE), [])]


@dataclass
class Notes:
    """Read the comment of a row (a row of the narrow sheet the reader holds)."""

    columns: list[int]  # real columns, 備考 first
    positions: list[int]  # where they sit in a row

    @classmethod
    def of(cls, sheet: Sheet, table: Table) -> Notes:
        columns = [c for c in note_columns(table) if sheet.columns is None or c in sheet.columns]
        return cls(columns, [sheet.position(c) for c in columns])

    def raw(self, row: Sequence[object]) -> object:
        """The comment as typed: the 備考 cell, or the cells under its merged header joined
        by a line break (each kept once)."""
        if len(self.positions) == 1:
            i = self.positions[0]
            return row[i] if i < len(row) else None
        parts = [note_text(row[i]).strip() for i in self.positions if i < len(row)]
        parts = list(dict.fromkeys(p for p in parts if p))
        return "\n".join(parts) or None

    def cleaned(self, rows: Sequence[Sequence[object]], which: Sequence[int]) -> list[str | None]:
        return [clean_note(self.raw(rows[r])) for r in which]

    def problems(
        self,
        rows: Sequence[Sequence[object]],
        which: Sequence[int],
        *,
        sheet: str,
        filename: str,
        max_chars: int,
    ) -> list[Problem]:
        """NOTE_TOO_LONG / NOTE_CONTROL_CHARACTERS of the rows `which`, at the comment's
        first column."""
        if not self.positions:
            return []
        which = [r for r in which if self.raw(rows[r]) is not None]
        raws = [self.raw(rows[r]) for r in which]
        return note_problems(
            raws, which, self.columns[0], sheet=sheet, filename=filename, max_chars=max_chars
        )


def _not_reported(v: object) -> bool:
    if isinstance(v, str):
        return not v.strip() or normalize(v) in NOT_REPORTED
    return v is None


def unreported_notes(
    *,
    sheet: Sheet,
    rows: Sequence[Sequence[object]],
    header_row: int,
    notes: Notes,
    positions: dict[str, int | None],
    value_column: int,
    unreadable: set[int],
    periods: dict[str, tuple[int, int]],
    kpis: set[tuple[str, str]] | dict,
    default_plan: str | None,
    valued: set[tuple[str, str, int]],
) -> pd.DataFrame:
    """Comments of rows not reported (実績値 blank or a dash), for a known KPI and a year of
    its plan, that no row of the file gives a value (`valued`); the first one per KPI and year.

    `positions` holds the row positions of 指標ID, 年度, 実績値 and 計画ID (None when absent);
    `unreadable` the rows whose cells the reader refused (formula without a value, error,
    merged 実績値): their comment is not kept, the file is refused anyway."""
    if not notes.positions:
        return empty_notes()
    i_kpi, i_year, i_value = positions["kpi"], positions["year"], positions["value"]
    i_plan = positions.get("plan")
    assert i_kpi is not None and i_year is not None and i_value is not None
    found: dict[tuple[str, str, int], tuple[str, str]] = {}
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        raw = notes.raw(row)
        if raw is None or r in unreadable:
            continue
        value = row[i_value] if i_value < len(row) else None
        if not _not_reported(value):
            continue
        note = clean_note(raw)
        if note is None:
            continue
        plan = cell_text(row[i_plan]) if i_plan is not None and i_plan < len(row) else ""
        pid = plan or default_plan
        kid = normalize_id(row[i_kpi] if i_kpi < len(row) else None)
        fy = parse_fiscal_year(row[i_year] if i_year < len(row) else None)
        if pid is None or not kid or fy is None or (pid, kid) not in kpis:
            continue
        start, end = periods.get(pid, (0, -1))
        key = (pid, kid, fy)
        if not start <= fy <= end or key in valued or key in found:
            continue
        found[key] = (note, f"{sheet.name}!{cell_name(r, value_column)}")
    if not found:
        return empty_notes()
    return pd.DataFrame(
        {
            "plan_id": pd.Series([k[0] for k in found], dtype=object),
            "kpi_id": pd.Series([k[1] for k in found], dtype=object),
            "fiscal_year": pd.Series([k[2] for k in found], dtype="int64"),
            "note": pd.Series([v[0] for v in found.values()], dtype=object),
            "source_cell": pd.Series([v[1] for v in found.values()], dtype=object),
        }
    )
