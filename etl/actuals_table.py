"""Where the table of a yearly actuals workbook is (DESIGN 4.2): which sheet, which header
row, which columns; refused when it cannot be told (no header, a column headed twice, a
sheet far longer than the row limit).

Hand-made files put a title above the table, start at B2 or name the sheet otherwise: the
sheet 実績 is tried first, then every sheet, looking for the header in the first 20 rows.
"""

from __future__ import annotations

from etl.plan_format import header_key
from etl.problems import InputRejected, Problem, cell_name, problem
from etl.sheet_table import Table, find_header
from etl.xlsx import Sheet, Workbook
from kpi.config import Limits

SHEET = "実績"
COL_KPI, COL_YEAR, COL_VALUE, COL_NOTE, COL_PLAN = "指標ID", "年度", "実績値", "備考", "計画ID"
REQUIRED_HEADERS = [COL_KPI, COL_YEAR, COL_VALUE]
READ_HEADERS = [COL_KPI, COL_YEAR, COL_VALUE, COL_PLAN, COL_NOTE]  # the columns the rules read
HEADER_SEARCH_ROWS = 20


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _too_many_rows(name: str, height: int, limits: Limits, filename: str) -> Problem | None:
    # Workbook.height gives calamine's total_height: the 0-based index of the last row, that is
    # the number of rows below row 1 (the data rows when the header is in row 1).
    rows = max(height, 0)
    if rows <= limits.max_data_rows:
        return None
    # Usually a stray space or format far below the table: name the row so it can be found.
    last = rows + 1
    return problem(
        "FILE_TOO_MANY_ROWS",
        sheet=name,
        cell=f"{last}:{last}",
        value=f"{last:,} 行目",
        detail=f"最後に使われている行は {last:,} 行目、データ行の上限は {limits.max_data_rows:,} 行",
        file=filename,
    )


def find_table(
    data: bytes, filename: str, limits: Limits
) -> tuple[Sheet | None, Table | None, list[Problem]]:
    """Sheet 実績, else the first sheet whose header is found (also when 実績 has none). The
    row limit is checked on the chosen sheet's calamine parse before its cells become Python
    objects (a stray cell far down another sheet does not refuse the file), and that parse
    is reused."""
    try:
        book = Workbook(data, filename)
        names = list(book.sheet_names)
        order = [SHEET, *(n for n in names if n != SHEET)] if SHEET in names else names
        for name in order:
            head = book.head(name, HEADER_SEARCH_ROWS)
            table = find_header(head, REQUIRED_HEADERS, search_rows=HEADER_SEARCH_ROWS)
            if table is None:
                book.forget(name)
                continue
            too_many = _too_many_rows(name, book.height(name), limits, filename)
            if too_many is not None:
                return None, None, [too_many]
            if doubled := _duplicate_columns(head, table, filename):
                return None, None, doubled
            # Only the columns the rules read become Python objects (a national file
            # has 11 columns, 5 of them read).
            sheet = book.narrow(name, [table.col(h) for h in READ_HEADERS if table.has(h)])
            table.sheet = sheet  # header row and columns as found; rows from here on
            return sheet, table, []
    except InputRejected as e:
        return None, None, e.problems
    sheet_name = SHEET if SHEET in book.sheet_names else ""
    return None, None, [problem("HEADER_NOT_FOUND", sheet=sheet_name, file=filename)]


def _duplicate_columns(head: Sheet, table: Table, filename: str) -> list[Problem]:
    """A column the rules read, headed twice: which one is meant cannot be told, so the file
    is refused at the second header cell rather than one of them silently read."""
    found = []
    r = table.header_row
    for h in READ_HEADERS:
        for c in table.duplicates.get(header_key(h), []):
            found.append(
                problem(
                    "DUPLICATE_COLUMN",
                    sheet=head.name,
                    cell=cell_name(r, c),
                    value=_text(head.get(r, c)),
                    detail=f"{cell_name(r, table.col(h))} と {cell_name(r, c)}",
                    file=filename,
                )
            )
    return found
