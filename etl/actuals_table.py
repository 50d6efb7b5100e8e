"""Where the table of a yearly actuals workbook is (DESIGN 4.2): which sheet, which header
row, which columns; refused when it cannot be told (no header, a column headed twice, a
sheet far longer than the row limit).

Hand-made files put a title above the table, start at B2 or name the sheet otherwise: the
sheet 実績 is tried first, then every sheet, looking for the header in the first 20 rows.
"""

from __future__ import annotations

import re
import unicodedata

from etl.plan_format import header_key
from etl.problems import InputRejected, Problem, cell_name, problem
from etl.sheet_table import Table, cell_text, find_header
from etl.xlsx import Sheet, Workbook
from kpi.config import Limits

SHEET = "実績"
COL_KPI, COL_YEAR, COL_VALUE, COL_NOTE, COL_PLAN = "指標ID", "年度", "実績値", "備考", "計画ID"
REQUIRED_HEADERS = [COL_KPI, COL_YEAR, COL_VALUE]
READ_HEADERS = [COL_KPI, COL_YEAR, COL_VALUE, COL_PLAN, COL_NOTE]  # the columns the rules read
HEADER_SEARCH_ROWS = 20
_COPY_SUFFIX = re.compile(r"\(\d+\)$")


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
        book = Workbook(data, filename, limits)
        names = list(book.sheet_names)
        # 実績 and its copies (実績 (2), 「実績 」...): two of them with a table is ambiguous.
        like = sorted((n for n in names if sheet_key(n) == SHEET), key=lambda n: n != SHEET)
        found: list[tuple[str, Sheet, Table]] = []
        for name in [*like, *(n for n in names if n not in like)]:
            if found and name not in like:
                break
            head = book.head(name, HEADER_SEARCH_ROWS)
            _fill_merged_headers(head)
            table = find_header(head, REQUIRED_HEADERS, search_rows=HEADER_SEARCH_ROWS)
            if table is None:
                book.forget(name)
                continue
            found.append((name, head, table))
            if name not in like:
                break  # no 実績: the first sheet whose header is found
        if len(found) > 1:
            return None, None, [_ambiguous([f[0] for f in found], filename)]
        if found:
            name, head, table = found[0]
            _merged_spans(head, table)
            too_many = _too_many_rows(name, book.height(name), limits, filename)
            if too_many is not None:
                return None, None, [too_many]
            if doubled := _duplicate_columns(head, table, filename):
                return None, None, doubled
            # Only the columns the rules read become Python objects (a national file
            # has 11 columns, 5 of them read).
            columns = [table.col(h) for h in READ_HEADERS if table.has(h)]
            extra = [c for h in READ_HEADERS for c in table.spans.get(header_key(h), [])]
            sheet = book.narrow(name, [*columns, *(c for c in extra if c not in columns)])
            table.sheet = sheet  # header row and columns as found; rows from here on
            if split := _values_under_merged_headers(sheet, table, filename):
                return None, None, split
            return sheet, table, []
    except InputRejected as e:
        return None, None, e.problems
    sheet_name = SHEET if SHEET in book.sheet_names else ""
    return None, None, [problem("HEADER_NOT_FOUND", sheet=sheet_name, file=filename)]


def sheet_key(name: str) -> str:
    """A sheet name as compared with 実績: NFKC, no spaces or underscores, without the copy
    suffix Excel adds (「実績 (2)」): a clerk who copied the sheet has two 実績 in effect."""
    key = re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", name))
    return _COPY_SUFFIX.sub("", key)


def _ambiguous(names: list[str], filename: str) -> Problem:
    listed = "、".join(f"「{n}」" for n in names)
    return problem("SHEET_AMBIGUOUS", sheet=names[1], value=names[1], detail=listed, file=filename)


def _fill_merged_headers(head: Sheet) -> None:
    """A header merged down over two header rows (「備考」 over rows 3:4 while 指標ID... sit
    in row 4) is the header of the lower row too: the value goes down its first column."""
    wanted = {header_key(h) for h in READ_HEADERS}
    rows = head.rows
    for (r0, c0), (r1, _c1) in head.merged:
        if r1 <= r0 or r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if value in (None, "") or header_key(value) not in wanted:
            continue
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c0:
                row.extend([""] * (c0 + 1 - len(row)))
            if row[c0] in (None, ""):
                row[c0] = value


def _merged_spans(head: Sheet, table: Table) -> None:
    """The columns a header cell of the table is merged across (「備考」 over J:K): what is
    typed under any of them belongs to that header (issue #10)."""
    r = table.header_row
    for (r0, c0), (r1, c1) in head.merged:
        if c1 <= c0 or not r0 <= r <= r1:
            continue
        for key, c in table.columns.items():
            if c == c0:
                table.spans[key] = list(range(c0 + 1, c1 + 1))


def _values_under_merged_headers(sheet: Sheet, table: Table, filename: str) -> list[Problem]:
    """A key header (指標ID, 年度, 実績値, 計画ID) merged across columns with data typed under a
    column other than its first: which column holds the row's value cannot be told, and only
    the first would be read (the others silently dropped). 備考 is joined instead
    (etl.actuals_notes)."""
    found = []
    r0 = table.header_row
    for h in READ_HEADERS:
        key = header_key(h)
        if key == header_key(COL_NOTE):
            continue
        for c in table.spans.get(key, []):
            i = sheet.position(c)
            for r in range(r0 + 1, len(sheet.rows)):
                row = sheet.rows[r]
                if i < len(row) and cell_text(row[i]):
                    span = f"{cell_name(r0, table.col(h))}:{cell_name(r0, c)}"
                    found.append(
                        problem(
                            "MERGED_HEADER",
                            sheet=sheet.name,
                            cell=cell_name(r, c),
                            value=cell_text(row[i]),
                            detail=f"{h}: {span}",
                            file=filename,
                        )
                    )
                    break
    return found


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
                    value=cell_text(head.get(r, c)),
                    detail=f"{cell_name(r, table.col(h))} と {cell_name(r, c)}",
                    file=filename,
                )
            )
    return found
