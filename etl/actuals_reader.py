"""Read a yearly actuals workbook (DESIGN 4.2, 4.3): bytes in, rows and problems out.

The same rules serve the generated template and files people make by hand. Every problem is
collected with its sheet and cell; nothing is written here, and the database is never opened:
what the rules need to know about the plans comes in as a `KpiCatalog`
(etl/actuals_catalog.py, loaded by etl/actuals_loader.py). Finding the table in the workbook
is etl/actuals_table.py; the codes, wording and severity of problems are etl/problems.py.

THE RULE OF THIS MODULE: a value rule lives in one place, and both paths use it.
There are two paths over the rows: the scalar `_Reader._row` (one row at a time, every rule
in order: the reference) and the column-wise `_Reader.read` (a national file: 350,000 rows).
The column-wise path only *accepts* rows that are plainly correct; every row with anything
to say (a problem or a warning) goes through `_row`, so each problem is worded, ordered and
placed in exactly one place. A value is read by one function for both (`read_number` /
`read_numbers` in kpi/numbers.py, one per-value function over distinct values); ids and years
by `normalize_id` and `parse_fiscal_year`. A new rule goes into `_row`, and `read` must send
it every row that the rule could speak about. tests/test_column_reader.py checks that both
paths give the same rows and problems, and that its generated sheets raise every code that
the catalogue says this reader raises (`codes_raised_by(ACTUALS_ROWS)`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter

import numpy as np
import pandas as pd

from etl.actuals_catalog import Key, KpiCatalog
from etl.actuals_notes import Notes, empty_notes, unreported_notes
from etl.actuals_table import COL_KPI, COL_NOTE, COL_PLAN, COL_VALUE, COL_YEAR, find_table
from etl.guard import check_workbook_bytes
from etl.notes import clean_note
from etl.plan_format import normalize_id
from etl.problems import Problem, cell_name, has_blocking, problem
from etl.sheet_table import Table, cell_text
from etl.xlsx import Sheet
from kpi.config import Limits
from kpi.fiscal import fy_column, fy_label, parse_fiscal_year
from kpi.numbers import (
    LARGE_VALUE,
    NOT_REPORTED,
    NumberFormatError,
    normalize,
    read_number,
    read_numbers,
    value_problem,
    value_problems,
)

# The fix of YEAR_OUT_OF_PLAN: a year of the next plan is the usual cause.
OTHER_PLAN_HINT = (
    "別の計画の年度であれば、その計画を選んでから読み込むか（画面の計画の選択、コマンドでは "
    "--plan-id）、計画ID 列を設けて行ごとに計画を指定してください。"
)
# object, not pandas' string dtype, for text: a missing note must stay None (NULL), not NaN.
ROW_DTYPES = {
    "plan_id": object,
    "kpi_id": object,
    "fiscal_year": "int64",
    "actual_value": "float64",
    "note": object,
    "source_cell": object,
}
ROW_COLUMNS = list(ROW_DTYPES)


def _frame(columns: dict[str, list]) -> pd.DataFrame:
    """Typed even when empty, so that merges with database frames never meet float64 keys."""
    return pd.DataFrame({c: pd.Series(columns[c], dtype=t) for c, t in ROW_DTYPES.items()})


@dataclass
class ActualsRead:
    rows: pd.DataFrame = field(default_factory=lambda: _frame({c: [] for c in ROW_COLUMNS}))
    skipped: int = 0  # rows not reported (blank, dashes, 未集計)
    problems: list[Problem] = field(default_factory=list)
    skipped_by_plan: dict[str, int] = field(default_factory=dict)  # known plans only
    sheet: str = ""
    # Comments of rows not reported (etl.actuals_notes): plan_id, kpi_id, fiscal_year, note,
    # source_cell. Stored apart from the values (kpi_unreported_notes), never graded.
    unreported_notes: pd.DataFrame = field(default_factory=empty_notes)
    # The rows read even when something blocks (`rows` is then empty): never loaded, only
    # for problems that name more cells at once (YEAR_LOCKED beside a typo, etl.year_locks).
    rows_read: pd.DataFrame = field(default_factory=lambda: _frame({c: [] for c in ROW_COLUMNS}))

    @property
    def ok(self) -> bool:
        return not has_blocking(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]

    @property
    def plan_ids(self) -> list[str]:
        """Plans the file covers: those with a value read, and those with only skipped rows."""
        found = dict.fromkeys(self.rows["plan_id"].tolist())
        found.update(dict.fromkeys(self.skipped_by_plan))
        return list(found)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _fmt(v: float) -> str:
    return f"{v:,.10g}" if abs(v) < 1e15 else str(v)


def _note(v: object) -> str | None:
    return clean_note(v)


def _typed_percent(raw: object, percent_format: bool) -> bool:
    """The clerk wrote a percentage explicitly: a % sign, or a cell formatted as a percentage.
    Only a plain number at most 1 may be a fraction meant as a percentage."""
    return percent_format or (isinstance(raw, str) and "%" in normalize(raw))


def _number_examples(unit: str) -> str:
    """Examples for BAD_NUMBER's fix, in the KPI's unit: `25%` only where % is allowed."""
    if unit == "%":
        return "25、25%、25.5%"
    return f"1200、1,200{unit}、780万" if unit else "1200、1,200、780万"


def _not_reported(v: object) -> bool:
    """Blank, or one of the dashes and 未集計 (DESIGN 4.2)."""
    if isinstance(v, str):
        return not v.strip() or normalize(v) in NOT_REPORTED
    return v is None


# Kinds of value cells, from their Python type (calamine gives float, int, str, bool, dates).
_PLAIN, _NONE, _STR, _OTHER = 0, 1, 2, 3
_KINDS = {float: _PLAIN, int: _PLAIN, type(None): _NONE, str: _STR}

# Values repeat: each distinct cell content is parsed once per file. Keys carry the type,
# because True == 1 == 1.0 would otherwise share an entry ('True' is no KPI id, 1 is).
_MISSING = object()


class _Column:
    """A column's values, keyed so that equal keys mean the same cell content.

    Values are their own keys unless the column mixes bool with numbers (True == 1 == 1.0
    would share an entry, and 'True' is no KPI id while 1 is); then keys carry the type."""

    def __init__(self, values: list[object]):
        kinds = set(map(type, values))
        if bool in kinds and (int in kinds or float in kinds):
            self.keys: list[object] = [(v.__class__, v) for v in values]
            self.value = lambda key: key[1]
        else:
            self.keys = values
            self.value = lambda key: key
        self.distinct = list(dict.fromkeys(self.keys))

    def map(self, fn) -> list:
        """fn of every value, computed once per distinct value."""
        value = self.value
        results = {key: fn(value(key)) for key in self.distinct}
        return list(map(results.__getitem__, self.keys))

    def map_distinct(self, fn) -> list:
        value = self.value
        return [fn(value(key)) for key in self.distinct]


def _read_value(raw: object, unit: str, percent: bool) -> float | str | None:
    """An actual in the KPI's unit, or the code of its problem (BAD_NUMBER, NEGATIVE).
    Plain numbers need no parsing; read_number handles text and percent formats."""
    if type(raw) in (int, float) and not percent:
        value = float(raw)  # type: ignore[arg-type]
        return value_problem(value) or value
    try:
        return read_number(raw, unit, percent_format=percent).value
    except NumberFormatError as e:
        return e.code


@dataclass
class _State:
    """What reading the rows accumulates (the scalar path's part of it)."""

    cols: list[int]
    width: int
    check_cells: bool
    seen: dict[Key, tuple[float, int]] = field(default_factory=dict)  # first value and row
    skipped: dict[str, int] = field(default_factory=dict)  # known plans only
    rows: list[int] = field(default_factory=list)
    pids: list[str] = field(default_factory=list)
    kids: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def accept(self, r: int, pid: str, kid: str, fy: int, value: float) -> None:
        self.rows.append(r)
        self.pids.append(pid)
        self.kids.append(kid)
        self.years.append(fy)
        self.values.append(value)


class _Reader:
    def __init__(
        self, sheet: Sheet, table: Table, filename: str, catalog: KpiCatalog, plan_id: str | None
    ):
        self.sheet = sheet
        self.filename = filename
        self.catalog = catalog
        self.default_plan = plan_id
        self.problems: list[Problem] = []
        self.skipped = 0
        self.header_row = table.header_row
        self.c_kpi = table.col(COL_KPI)
        self.c_year = table.col(COL_YEAR)
        self.c_value = table.col(COL_VALUE)
        self.c_note = table.col(COL_NOTE) if table.has(COL_NOTE) else None
        self.c_plan = table.col(COL_PLAN) if table.has(COL_PLAN) else None
        self.value_letters = cell_name(0, self.c_value)[:-1]
        # Where each column sits in a row (a narrow sheet holds only the columns it needs).
        at = sheet.position
        self.i_kpi, self.i_year, self.i_value = at(self.c_kpi), at(self.c_year), at(self.c_value)
        self.i_note = at(self.c_note) if self.c_note is not None else None
        self.i_plan = at(self.c_plan) if self.c_plan is not None else None
        self.notes = Notes.of(sheet, table)  # 備考 and the columns its merged header covers
        self.cache: dict[tuple, object] = {}  # (what, type, value, ...) -> parsed, per file
        self.rows = sheet.rows  # the sheet's rows, merged key cells filled in
        # Rows under a merged 実績値 cell: the first holds the problem, the others None.
        self.merged_value: dict[int, Problem | None] = {}
        if sheet.merged:
            self._merges(sheet.merged)

    def _merges(self, ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        """A key cell (計画ID, 指標ID, 年度) merged down a column means its value on every row of
        the range (clerks merge a year over a block). A merged 実績値 cannot be given to one
        row: the rows it covers are reported (MERGED_VALUE) and not read. Both readers see
        the result, so it is done once, here."""
        first, last = self.header_row + 1, len(self.rows) - 1
        keys = [c for c in (self.c_plan, self.c_kpi, self.c_year) if c is not None]
        rows: list | None = None
        for (r0, c0), (r1, c1) in ranges:
            if r1 < first or r0 > last:
                continue
            if c0 <= self.c_value <= c1 and (r1 > r0 or c0 != self.c_value):
                name = f"{cell_name(r0, c0)}:{cell_name(r1, c1)}"
                start = max(r0, first)
                self.merged_value[start] = problem(
                    "MERGED_VALUE",
                    sheet=self.sheet.name,
                    cell=name,
                    value=cell_text(self.sheet.get(r0, c0)),
                    detail=name,
                    file=self.filename,
                )
                self.merged_value.update(dict.fromkeys(range(start + 1, min(r1, last) + 1)))
            elif c0 in keys and r0 >= first and r1 > r0:
                if rows is None:
                    rows = list(self.rows)  # the caller's sheet stays as read
                i = self.sheet.position(c0)
                top = self.sheet.get(r0, c0)
                for r in range(r0 + 1, min(r1, last) + 1):
                    row = list(rows[r])
                    row.extend([None] * (i + 1 - len(row)))
                    row[i] = top
                    rows[r] = row
        if rows is not None:
            self.rows = rows

    def cached(self, fn, *key: object):
        """fn(*key[1:]) once per distinct key; key[0] is the value's type."""
        full = (fn, *key)
        got = self.cache.get(full, _MISSING)
        if got is _MISSING:
            got = self.cache[full] = fn(*key[1:])
        return got

    def number(self, raw: object, unit: str, percent: bool) -> float | str | None:
        return self.cached(_read_value, raw.__class__, raw, unit, percent)

    def report(
        self, code: str, r: int, c: int, value: object = "", detail: object = "", hint: str = ""
    ) -> None:
        self.problems.append(
            problem(
                code,
                sheet=self.sheet.name,
                cell=cell_name(r, c),
                value=cell_text(value),
                detail=detail,
                file=self.filename,
                hint=hint,
                kpi_id=self.kpi_at(r),
            )
        )

    def kpi_at(self, r: int) -> str:
        """The 指標ID written in row `r`, for the problem table (blank when there is none)."""
        if r <= self.header_row or r >= len(self.rows) or self.i_kpi >= len(self.rows[r]):
            return ""
        raw = self.rows[r][self.i_kpi]
        return str(normalize_id(raw) or "") if not _blank(raw) else ""

    def warn(self, code: str, r: int, c: int, value: object, detail: object = "") -> None:
        self.problems.append(
            problem(
                code,
                sheet=self.sheet.name,
                cell=cell_name(r, c),
                value=value,
                detail=detail,
                file=self.filename,
                kpi_id=self.kpi_at(r),
            )
        )

    def unreadable_cells(self, r: int, cols: list[int]) -> bool:
        """Formula cells saved without a result, and error cells: calamine shows both as blank."""
        sheet, bad = self.sheet, False
        for c in cols:
            if (r, c) in sheet.formula_without_value:
                self.report("FORMULA_NO_VALUE", r, c)
                bad = True
            elif (r, c) in sheet.error_cells:
                self.report("CELL_ERROR", r, c, sheet.error_cells[(r, c)])
                bad = True
        return bad

    # -- the scalar reader: one row at a time, every rule in order ---------------------

    def _row(self, r: int, row: list, st: _State) -> None:
        """Read row `r`: report its problems, count it as skipped, or store its value.

        The reference implementation of the rules. `read` runs it only for the rows that the
        column-wise pass did not accept outright (anything with a problem or a warning), so
        every problem is worded, ordered and placed exactly as here."""
        catalog = self.catalog
        c_kpi, c_year, c_value, c_plan = self.c_kpi, self.c_year, self.c_value, self.c_plan
        if len(row) < st.width:
            row = list(row) + [None] * (st.width - len(row))
        raw_kpi, raw_year, raw_value = row[self.i_kpi], row[self.i_year], row[self.i_value]
        raw_plan = row[self.i_plan] if self.i_plan is not None else None
        if r in self.merged_value:
            if (merged := self.merged_value[r]) is not None:
                self.problems.append(merged)
            return
        if st.check_cells and self.unreadable_cells(r, st.cols):
            return
        if _blank(raw_kpi) and _blank(raw_year) and _blank(raw_value) and _blank(raw_plan):
            return  # an empty row, or a remark written below the table
        plan_text = cell_text(raw_plan)
        pid = plan_text or self.default_plan
        if _not_reported(raw_value):
            # Not reported: counted, never validated (a blank row of an old template is fine).
            # Without a KPI and a year it is a remark or a label, not a KPI row: ignored.
            if not _blank(raw_kpi) and not _blank(raw_year):
                self.skipped += 1
                if pid in catalog.periods:
                    st.skipped[pid] = st.skipped.get(pid, 0) + 1
            return

        ok = True
        period = None
        if pid is None:
            self.report("REQUIRED", r, c_plan if c_plan is not None else c_kpi, "", COL_PLAN)
            ok = False
        elif (period := catalog.periods.get(pid)) is None:
            self.report(
                "UNKNOWN_PLAN", r, c_plan if plan_text and c_plan is not None else c_kpi, pid
            )
            ok = False

        kpi = None
        kid = self.cached(normalize_id, raw_kpi.__class__, raw_kpi)
        if not kid:
            self.report("REQUIRED", r, c_kpi, "", COL_KPI)
            ok = False
        elif period is not None and pid and (kpi := catalog.kpis.get((pid, kid))) is None:
            self.report("UNKNOWN_KPI", r, c_kpi, raw_kpi)
            ok = False

        fy = self.cached(parse_fiscal_year, raw_year.__class__, raw_year)
        if _blank(raw_year):
            self.report("REQUIRED", r, c_year, "", COL_YEAR)
            ok = False
        elif fy is None:
            self.report("BAD_YEAR", r, c_year, raw_year)
            ok = False
        elif period is not None and not period[0] <= fy <= period[1]:
            self.report(
                "YEAR_OUT_OF_PLAN",
                r,
                c_year,
                raw_year,  # as typed: R8, not 2026
                f"{pid}: {fy_label(period[0])}〜{fy_label(period[1])}",
                hint=OTHER_PLAN_HINT,
            )
            ok = False

        if kpi is None:
            return  # the unit is unknown, so the value cannot be judged
        unit = kpi.unit
        percent = (r, c_value) in self.sheet.percent_cells
        got = self.number(raw_value, unit, percent)
        if isinstance(got, str):  # the code of the problem
            self.report(got, r, c_value, raw_value, hint=_number_examples(unit))
            return
        value = got
        if not ok or value is None or fy is None:
            return
        assert pid is not None

        key = (pid, kid, fy)
        if (first := st.seen.get(key)) is not None:
            first_value, first_row = first
            if first_value == value:
                self.warn("DUPLICATE_ROW", r, c_value, _fmt(value))
            else:
                self.report(
                    "CONFLICT",
                    r,
                    c_value,
                    raw_value,
                    f"{cell_name(first_row, c_value)} の値 {_fmt(first_value)}",
                )
            return
        st.seen[key] = (value, r)

        if value >= LARGE_VALUE:
            self.warn("LARGE_VALUE", r, c_value, raw_value, unit or "単位なし")
        if unit == "%":
            target = catalog.targets.get(key)
            # 0 is a plausible 0%; 0 < value <= 1 looks like a fraction typed for a percent.
            if (
                0 < value <= 1
                and target is not None
                and target > 1
                and not _typed_percent(raw_value, percent)
            ):
                self.warn("PERCENT_FRACTION", r, c_value, _fmt(value), _fmt(value * 100))
            if value > 100:
                self.warn("PERCENT_OVER_100", r, c_value, _fmt(value))
        st.accept(r, pid, kid, fy, value)

    def _state(self) -> _State:
        cols = [c for c in (self.c_kpi, self.c_year, self.c_value, self.c_plan) if c is not None]
        positions = (self.i_kpi, self.i_year, self.i_value, self.i_plan, self.i_note)
        width = max(i for i in positions if i is not None) + 1
        check = bool(self.sheet.formula_without_value or self.sheet.error_cells)
        return _State(cols=cols, width=width, check_cells=check)

    def read_scalar(self) -> tuple[pd.DataFrame, dict[str, int]]:
        """Every row through `_row`: the reference that `read` must equal (tests compare)."""
        st = self._state()
        for r in range(self.header_row + 1, len(self.rows)):
            self._row(r, self.rows[r], st)
        self.check_cumulative(st.seen)
        return self._frame(st.rows, st.pids, st.kids, st.years, st.values), st.skipped

    # -- the column-wise reader ---------------------------------------------------------

    def read(self) -> tuple[pd.DataFrame, dict[str, int]]:
        """Read a whole column at a time; hand every row with anything to say to `_row`.

        A national file has 350,000 rows that repeat a few thousand ids, years and value
        texts. Ids, years and texts are parsed once per distinct value; the checks that
        accept a plain, correct row (known plan and KPI, year in the plan, a non-negative
        number, no warning, its key once) run as array operations. Every other row (any
        problem or warning, and every row sharing its key with another) goes through the
        scalar `_row`, in row order, so the problems are exactly those of `read_scalar`."""
        sheet, catalog = self.sheet, self.catalog
        first = self.header_row + 1
        data = self.rows[first:]
        st = self._state()
        if data and min(map(len, data)) < st.width:
            data = [list(row) + [None] * (st.width - len(row)) for row in data]
        n = len(data)
        column = self._column(data)
        kpis_in, years_in = _Column(column(self.i_kpi)), _Column(column(self.i_year))
        kid = kpis_in.map(normalize_id)
        kpi_blank = np.array(kpis_in.map(_blank), dtype=bool)
        fy = years_in.map(parse_fiscal_year)
        year_blank = np.array(years_in.map(_blank), dtype=bool)
        if self.i_plan is not None:
            default = self.default_plan
            pids = _Column(column(self.i_plan)).map(lambda v: cell_text(v) or default)
        else:
            pids = [self.default_plan] * n

        # Values: plain numbers, blanks, texts (parsed per distinct text), anything else.
        value_col = column(self.i_value)
        kinds = np.fromiter(map(_KINDS.get, map(type, value_col), repeat(_OTHER)), np.int8, n)
        not_reported = kinds == _NONE
        texts = np.flatnonzero(kinds == _STR)
        if len(texts):
            text_nr = _Column([value_col[i] for i in texts.tolist()]).map(_not_reported)
            not_reported[texts] = text_nr

        # Rows that only `_row` may judge: unreadable cells (formulas without a result, errors).
        flagged = np.zeros(n, dtype=bool)
        for r in self.merged_value:  # under a merged 実績値
            flagged[r - first] = True
        if st.check_cells:
            cols = set(st.cols)
            for r, c in (*sheet.formula_without_value, *sheet.error_cells):
                if c in cols and r >= first:
                    flagged[r - first] = True
        # Not reported: counted when the row has a KPI and a year, never validated.
        counted = not_reported & ~flagged & ~kpi_blank & ~year_blank
        if counted.any():
            for pid, times in Counter(pids[i] for i in np.flatnonzero(counted).tolist()).items():
                self.skipped += times
                if pid in catalog.periods:
                    st.skipped[pid] = st.skipped.get(pid, 0) + times

        index = catalog.index
        position = np.fromiter(
            map(index.position.get, zip(pids, kid, strict=True), repeat(-1)), np.int64, n
        )
        known = position >= 0
        at = np.where(known, position, 0)
        year = np.array(fy, dtype=np.float64)  # None -> NaN, which fails every comparison
        candidate = ~not_reported & ~flagged
        good = candidate & known & (year >= index.start[at]) & (year <= index.end[at])
        good &= kinds != _OTHER  # bool, dates...: `_row` says what is wrong

        values = np.full(n, np.nan)
        percent_rows = np.zeros(n, dtype=bool)
        for r, c in sheet.percent_cells:
            if c == self.c_value and r >= first:
                percent_rows[r - first] = True
        plain = good & (kinds == _PLAIN) & ~percent_rows
        if plain.any():
            values[plain] = np.array(value_col, dtype=object)[plain].astype(np.float64)
            good &= ~(plain & (value_problems(values) != ""))
        # Text, or a number formatted as a percentage: parsed once per (value, unit, format).
        parsed = np.flatnonzero(good & ~plain)
        if len(parsed):
            got = read_numbers(
                [value_col[i] for i in parsed.tolist()],
                list(map(index.units.__getitem__, at[parsed].tolist())),
                percent_rows[parsed].tolist(),
            )
            number = np.fromiter((g.__class__ is float for g in got), bool, len(got))
            good[parsed[~number]] = False
            values[parsed[number]] = [g for g in got if g.__class__ is float]
        # Large values (a warning naming the unit): `_row` says it.
        with np.errstate(invalid="ignore"):
            good &= ~(good & (values >= LARGE_VALUE))
        # A key twice (a duplicate or a conflict): every row of it goes to `_row`, so that
        # `_row` sees the first one. `good` is here every row that reaches that check.
        reach = np.flatnonzero(good)
        keys = pd.DataFrame({"kpi": position[reach], "year": year[reach]})
        good[reach[keys.duplicated(keep=False).to_numpy()]] = False
        # Warnings of % KPIs: over 100, or a fraction where the target is over 1.
        percent_kpi = good & index.percent[at]
        if percent_kpi.any():
            good &= ~(percent_kpi & (values > 100))
            fraction = percent_kpi & (values > 0) & (values <= 1) & ~percent_rows
            for i in np.flatnonzero(fraction).tolist():
                target = catalog.targets.get((pids[i], kid[i], fy[i]))
                if target is not None and target > 1 and not _typed_percent(value_col[i], False):
                    good[i] = False
        accepted = np.flatnonzero(good)
        flagged |= candidate & ~good

        for i in np.flatnonzero(flagged).tolist():
            self._row(first + i, data[i], st)

        rows = (accepted + first).tolist()
        pids_out = [pids[i] for i in accepted]
        kids_out = [kid[i] for i in accepted]
        years_out = year[accepted].astype(np.int64).tolist()
        values_out = values[accepted].tolist()
        # Cumulative KPIs must not go down: checked on the accepted rows, in row order.
        cumulative = accepted[index.cumulative[at[accepted]]].tolist()
        seen_rows = [
            (first + i, pids[i], kid[i], fy[i], v)
            for i, v in zip(cumulative, values[cumulative].tolist(), strict=True)
        ]
        if st.rows:  # merge the rows `_row` accepted, in row order
            scalar = list(zip(st.rows, st.pids, st.kids, st.years, st.values, strict=True))
            seen_rows = sorted(
                seen_rows
                + [
                    row
                    for row in scalar
                    if (info := catalog.kpis.get((row[1], row[2]))) is not None and info.cumulative
                ]
            )
            fast = zip(rows, pids_out, kids_out, years_out, values_out, strict=True)
            merged = sorted([*fast, *scalar])
            rows, pids_out, kids_out, years_out, values_out = (
                list(c) for c in zip(*merged, strict=True)
            )
        self.check_cumulative({(p, k, y): (v, r) for r, p, k, y, v in seen_rows})
        return self._frame(rows, pids_out, kids_out, years_out, values_out), st.skipped

    @staticmethod
    def _column(data: list[list]):
        def column(c: int) -> list:
            return list(map(itemgetter(c), data))

        return column

    def _frame(
        self,
        rows: list[int],
        pids: list[str],
        kids: list[str],
        years: list[int],
        values: list[float],
    ) -> pd.DataFrame:
        if self.notes.positions:
            cells, raw = self.rows, self.notes.raw
            notes = _Column([raw(cells[r]) for r in rows]).map(_note)
        else:
            notes = [None] * len(rows)
        prefix = f"{self.sheet.name}!{self.value_letters}"
        cell_names = list(map(prefix.__add__, map(str, (r + 1 for r in rows))))
        return _frame(
            {
                "plan_id": pids,
                "kpi_id": kids,
                "fiscal_year": years,
                "actual_value": values,
                "note": notes,
                "source_cell": cell_names,
            }
        )

    def check_cumulative(self, seen: dict[Key, tuple[float, int]]) -> None:
        """A cumulative KPI must not go down from a year to the next, the file's values taken
        over the database's: each value of the file against the year before and the year
        after. A pair of years both in the file is reported once, at the later year; the
        warning always sits on a cell of the file."""
        current = self.catalog.current
        for (pid, kid, fy), (value, r) in seen.items():
            kpi = self.catalog.kpis.get((pid, kid))
            if kpi is None or not kpi.cumulative:
                continue
            before = (pid, kid, fy - 1)
            previous: float | None
            if before in seen:
                previous, where = seen[before][0], ""
            else:
                previous, where = current.get(before), "登録済みの"
            if previous is not None and value < previous:
                self.warn(
                    "CUMULATIVE_DECREASE",
                    r,
                    self.c_value,
                    _fmt(value),
                    f"{where}{fy_column(fy - 1)} {_fmt(previous)} → {fy_column(fy)} {_fmt(value)}",
                )
            after = (pid, kid, fy + 1)
            following = None if after in seen else current.get(after)
            if following is not None and value > following:
                self.warn(
                    "CUMULATIVE_DECREASE",
                    r,
                    self.c_value,
                    _fmt(value),
                    f"{fy_column(fy)} {_fmt(value)} → 登録済みの{fy_column(fy + 1)} {_fmt(following)}",
                )


def _plans_named(sheet: Sheet, table: Table, default: str | None) -> list[str]:
    """The plans a file can refer to: those in its 計画ID column, and the default plan."""
    found = dict.fromkeys([default] if default else [])
    if table.has(COL_PLAN):
        c = sheet.position(table.col(COL_PLAN))
        column = [row[c] if c < len(row) else None for row in sheet.rows[table.header_row + 1 :]]
        found.update(dict.fromkeys(t for t in _Column(column).map_distinct(cell_text) if t))
    return list(found)


def read_actuals(
    data: bytes,
    filename: str,
    catalog: KpiCatalog | Callable[[list[str]], KpiCatalog],
    *,
    plan_id: str | None,
    limits: Limits,
) -> ActualsRead:
    """Validate a yearly actuals workbook.

    `plan_id` is the plan of rows without a 計画ID (the caller resolves it: the chosen plan,
    else the only one, else the newest). `catalog` may be a function of the plan ids the file
    names: then only those plans are loaded (a city's file in a national database does not
    need 1,741 plans' KPIs). Rows come back only when nothing blocks.
    """
    problems = check_workbook_bytes(data, filename, limits)
    if problems:
        return ActualsRead(problems=problems)
    sheet, table, problems = find_table(data, filename, limits)
    if sheet is None or table is None:
        return ActualsRead(problems=problems)
    if not isinstance(catalog, KpiCatalog):
        catalog = catalog(_plans_named(sheet, table, plan_id))
    reader = _Reader(sheet, table, filename, catalog, plan_id)
    rows, skipped = reader.read()
    notes, unreported = _notes(reader, catalog, rows, limits)
    result = ActualsRead(
        rows=rows,
        skipped=reader.skipped,
        problems=reader.problems + notes,
        skipped_by_plan=skipped,
        sheet=sheet.name,
        unreported_notes=unreported,
        rows_read=rows,
    )
    if not result.ok:
        result.rows = rows.iloc[0:0]
        result.unreported_notes = unreported.iloc[0:0]
    return result


def _notes(
    reader: _Reader, catalog: KpiCatalog, rows: pd.DataFrame, limits: Limits
) -> tuple[list[Problem], pd.DataFrame]:
    """The comments' problems (too long, control characters) on the rows that name a KPI,
    and the comments of rows not reported (etl.actuals_notes, issue #10)."""
    if not reader.notes.positions:
        return [], empty_notes()
    cells, first, i_kpi = reader.rows, reader.header_row + 1, reader.i_kpi
    kpi_rows = [
        r for r in range(first, len(cells)) if i_kpi < len(cells[r]) and not _blank(cells[r][i_kpi])
    ]
    problems = reader.notes.problems(
        cells,
        kpi_rows,
        sheet=reader.sheet.name,
        filename=reader.filename,
        max_chars=limits.max_note_chars,
    )
    sheet = reader.sheet
    key_columns = {c for c in (reader.c_kpi, reader.c_year, reader.c_value, reader.c_plan)}
    unreadable = {
        r for r, c in (*sheet.formula_without_value, *sheet.error_cells) if c in key_columns
    } | set(reader.merged_value)
    valued = set(
        zip(
            rows["plan_id"].tolist(),
            rows["kpi_id"].tolist(),
            rows["fiscal_year"].tolist(),
            strict=True,
        )
    )
    unreported = unreported_notes(
        sheet=sheet,
        rows=cells,
        header_row=reader.header_row,
        notes=reader.notes,
        positions={
            "kpi": reader.i_kpi,
            "year": reader.i_year,
            "value": reader.i_value,
            "plan": reader.i_plan,
        },
        value_column=reader.c_value,
        unreadable=unreadable,
        periods=catalog.periods,
        kpis=catalog.kpis,
        default_plan=reader.default_plan,
        valued=valued,
    )
    return problems, unreported
