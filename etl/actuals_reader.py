"""Read a yearly actuals workbook (DESIGN 4.2, 4.3): bytes in, rows and problems out.

The same rules serve the generated template and files people make by hand. Every problem is
collected with its sheet and cell; nothing is written here. Built for a national file
(350,000 rows, 1,741 plans): one plain loop over the rows, dict lookups, and `read_number`
only for cells that are not already plain numbers.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import python_calamine

from etl.guard import check_workbook_bytes
from etl.plan_format import normalize_id
from etl.problems import WARNING, InputRejected, Problem, cell_name, has_blocking, problem
from etl.sheet_table import Table, find_header
from etl.xlsx import Sheet, read_sheets, sheet_heights
from kpi import repository
from kpi.config import Limits
from kpi.fiscal import fy_column, parse_fiscal_year
from kpi.numbers import NOT_REPORTED, NumberFormatError, normalize, read_number

SHEET = "実績"
COL_KPI, COL_YEAR, COL_VALUE, COL_NOTE, COL_PLAN = "指標ID", "年度", "実績値", "備考", "計画ID"
REQUIRED_HEADERS = [COL_KPI, COL_YEAR, COL_VALUE]
HEADER_SEARCH_ROWS = 20
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

Key = tuple[str, str, int]  # (plan_id, kpi_id, fiscal_year)


@dataclass(frozen=True)
class KpiInfo:
    unit: str
    cumulative: bool
    direction: str


@dataclass
class KpiCatalog:
    """What validating actuals needs about the plans in the database, as dicts."""

    periods: dict[str, tuple[int, int]] = field(default_factory=dict)  # plan -> (start, end)
    kpis: dict[tuple[str, str], KpiInfo] = field(default_factory=dict)
    targets: dict[Key, float] = field(default_factory=dict)  # numeric targets only
    current: dict[Key, float] = field(default_factory=dict)  # current values, cumulative KPIs


def load_catalog(con: duckdb.DuckDBPyConnection, plan_ids: list[str] | None = None) -> KpiCatalog:
    """Catalog of the given plans (every plan when None: a file may name its plans itself)."""
    periods = repository.plan_periods(con, plan_ids)
    kpis = repository.catalog_kpis(con, plan_ids)
    targets = repository.numeric_targets(con, plan_ids)
    current = repository.current_actuals_of(con, plan_ids, cumulative_only=True)
    # zip over plain lists: building dicts of 300,000 entries row by row through pandas is slow.
    return KpiCatalog(
        periods={
            p: (int(s), int(e))
            for p, s, e in zip(
                periods["plan_id"].tolist(),
                periods["start_fy"].tolist(),
                periods["end_fy"].tolist(),
                strict=True,
            )
        },
        kpis={
            (p, k): KpiInfo(u or "", bool(c), d)
            for p, k, u, c, d in zip(
                kpis["plan_id"].tolist(),
                kpis["kpi_id"].tolist(),
                kpis["unit"].tolist(),
                kpis["cumulative"].tolist(),
                kpis["direction"].tolist(),
                strict=True,
            )
        },
        targets=_value_dict(targets, "target_value"),
        current=_value_dict(current, "actual_value"),
    )


def _value_dict(frame: pd.DataFrame, column: str) -> dict[Key, float]:
    return {
        (p, k, int(y)): float(v)
        for p, k, y, v in zip(
            frame["plan_id"].tolist(),
            frame["kpi_id"].tolist(),
            frame["fiscal_year"].tolist(),
            frame[column].tolist(),
            strict=True,
        )
    }


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


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _fmt(v: float) -> str:
    return f"{v:,.10g}" if abs(v) < 1e15 else str(v)


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

    def report(self, code: str, r: int, c: int, value: object = "", detail: object = "") -> None:
        self.problems.append(
            problem(
                code,
                sheet=self.sheet.name,
                cell=cell_name(r, c),
                value=_text(value),
                detail=detail,
                file=self.filename,
            )
        )

    def warn(self, code: str, r: int, c: int, value: object, detail: object = "") -> None:
        self.problems.append(
            problem(
                code,
                sheet=self.sheet.name,
                cell=cell_name(r, c),
                value=value,
                detail=detail,
                severity=WARNING,
                file=self.filename,
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

    def read(self) -> tuple[pd.DataFrame, dict[str, int]]:
        sheet, catalog = self.sheet, self.catalog
        c_kpi, c_year, c_value, c_note, c_plan = (
            self.c_kpi,
            self.c_year,
            self.c_value,
            self.c_note,
            self.c_plan,
        )
        cols = [c for c in (c_kpi, c_year, c_value, c_plan) if c is not None]
        check_cells = bool(sheet.formula_without_value or sheet.error_cells)
        percent_cells = sheet.percent_cells
        width = max([*cols, c_note if c_note is not None else 0]) + 1
        out: dict[str, list] = {name: [] for name in ROW_COLUMNS}
        seen: dict[Key, tuple[float, int]] = {}  # key -> (value, row) of its first occurrence
        skipped: dict[str, int] = {}
        # A national file repeats the same few ids, years and value texts hundreds of thousands
        # of times: parse each distinct cell content once. Keys carry the type (True == 1).
        ids: dict[tuple[type, object], str] = {}
        years: dict[tuple[type, object], int | None] = {}
        texts_not_reported: dict[str, bool] = {}
        numbers: dict[tuple[type, object, str, bool], float | str | None] = {}

        for r in range(self.header_row + 1, len(sheet.rows)):
            row = sheet.rows[r]
            if len(row) < width:
                row = row + [None] * (width - len(row))
            raw_kpi, raw_year, raw_value = row[c_kpi], row[c_year], row[c_value]
            raw_plan = row[c_plan] if c_plan is not None else None
            if check_cells and self.unreadable_cells(r, cols):
                continue
            if _blank(raw_kpi) and _blank(raw_year) and _blank(raw_value) and _blank(raw_plan):
                continue  # an empty row, or a remark written below the table
            plan_text = _text(raw_plan)
            pid = plan_text or self.default_plan
            if isinstance(raw_value, str):
                if (not_reported := texts_not_reported.get(raw_value)) is None:
                    not_reported = texts_not_reported[raw_value] = (
                        not raw_value.strip() or normalize(raw_value) in NOT_REPORTED
                    )
            else:
                not_reported = raw_value is None
            if not_reported:
                # Not reported: counted, never validated (a blank row of an old template is fine).
                # Without a KPI and a year it is a remark or a label, not a KPI row: ignored.
                if not _blank(raw_kpi) and not _blank(raw_year):
                    self.skipped += 1
                    if pid in catalog.periods:
                        skipped[pid] = skipped.get(pid, 0) + 1
                continue

            ok = True
            period = None
            if pid is None:
                self.report("REQUIRED", r, c_plan if c_plan is not None else c_kpi, "", COL_PLAN)
                ok = False
            elif (period := catalog.periods.get(pid)) is None:
                self.report("UNKNOWN_PLAN", r, c_plan if plan_text else c_kpi, pid)
                ok = False

            kpi = None
            if (kid := ids.get((type(raw_kpi), raw_kpi))) is None:
                kid = ids[(type(raw_kpi), raw_kpi)] = normalize_id(raw_kpi)
            if not kid:
                self.report("REQUIRED", r, c_kpi, "", COL_KPI)
                ok = False
            elif period is not None and (kpi := catalog.kpis.get((pid, kid))) is None:
                self.report("UNKNOWN_KPI", r, c_kpi, raw_kpi)
                ok = False

            year_key = (type(raw_year), raw_year)
            if (fy := years.get(year_key, -1)) == -1:
                fy = years[year_key] = parse_fiscal_year(raw_year)
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
                    fy,
                    f"{fy_column(period[0])}〜{fy_column(period[1])}",
                )
                ok = False

            if kpi is None:
                continue  # the unit is unknown, so the value cannot be judged
            unit = kpi.unit
            percent = (r, c_value) in percent_cells if percent_cells else False
            # Plain numbers need no parsing; read_number handles text and percent formats.
            if type(raw_value) in (int, float) and not percent:
                value = float(raw_value)
                if value < 0:
                    self.report("NEGATIVE", r, c_value, raw_value)
                    continue
            else:
                number_key = (type(raw_value), raw_value, unit, percent)
                if number_key not in numbers:
                    try:
                        numbers[number_key] = read_number(
                            raw_value, unit, percent_format=percent
                        ).value
                    except NumberFormatError as e:
                        numbers[number_key] = e.code
                got = numbers[number_key]
                if isinstance(got, str):  # the code of the problem
                    self.report(got, r, c_value, raw_value)
                    continue
                value = got
            if not ok or value is None or fy is None:
                continue
            assert pid is not None

            key = (pid, kid, fy)
            if (first := seen.get(key)) is not None:
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
                continue
            seen[key] = (value, r)

            if unit == "%":
                target = catalog.targets.get(key)
                # 0 is a plausible 0%; 0 < value <= 1 looks like a fraction typed for a percent.
                if 0 < value <= 1 and target is not None and target > 1:
                    self.warn("PERCENT_FRACTION", r, c_value, _fmt(value), _fmt(value * 100))
                if value > 100:
                    self.warn("PERCENT_OVER_100", r, c_value, _fmt(value))
            out["plan_id"].append(pid)
            out["kpi_id"].append(kid)
            out["fiscal_year"].append(fy)
            out["actual_value"].append(value)
            note = _text(row[c_note]) if c_note is not None else ""
            out["note"].append(note or None)
            out["source_cell"].append(f"{sheet.name}!{self.value_letters}{r + 1}")

        self.check_cumulative(seen)
        frame = _frame(out)
        return frame, skipped

    def check_cumulative(self, seen: dict[Key, tuple[float, int]]) -> None:
        """A cumulative KPI must not go down: against last year in the file, else the database."""
        for (pid, kid, fy), (value, r) in seen.items():
            kpi = self.catalog.kpis.get((pid, kid))
            if kpi is None or not kpi.cumulative:
                continue
            before = (pid, kid, fy - 1)
            previous = seen[before][0] if before in seen else self.catalog.current.get(before)
            if previous is not None and value < previous:
                self.warn(
                    "CUMULATIVE_DECREASE",
                    r,
                    self.c_value,
                    _fmt(value),
                    f"{fy_column(fy - 1)} {_fmt(previous)}",
                )


def _too_many_rows(name: str, height: int, limits: Limits, filename: str) -> Problem | None:
    # sheet_heights gives calamine's total_height: the 0-based index of the last row, that is
    # the number of rows below row 1 (the data rows when the header is in row 1).
    rows = max(height, 0)
    if rows <= limits.max_data_rows:
        return None
    return problem(
        "FILE_TOO_MANY_ROWS",
        sheet=name,
        value=f"{rows:,}",
        detail=f"{rows:,} 行、上限 {limits.max_data_rows:,} 行",
        file=filename,
    )


def _find_table(
    data: bytes, filename: str, limits: Limits
) -> tuple[Sheet | None, Table | None, list[Problem]]:
    """Sheet 実績, else the first sheet whose header is found; row limit checked before converting."""
    try:
        heights = sheet_heights(data)
    except (python_calamine.CalamineError, zipfile.BadZipFile, KeyError, ValueError) as e:
        return (
            None,
            None,
            [problem("FILE_CORRUPT", value=type(e).__name__, detail=str(e)[:200], file=filename)],
        )
    order = [SHEET] if SHEET in heights else list(heights)
    for name in order:
        if (too_many := _too_many_rows(name, heights[name], limits, filename)) is not None:
            return None, None, [too_many]
        try:
            sheets = read_sheets(data, [name], filename=filename)
        except InputRejected as e:
            return None, None, e.problems
        if not sheets:
            continue
        table = find_header(sheets[0], REQUIRED_HEADERS, search_rows=HEADER_SEARCH_ROWS)
        if table is not None:
            return sheets[0], table, []
    sheet_name = SHEET if SHEET in heights else ""
    return None, None, [problem("HEADER_NOT_FOUND", sheet=sheet_name, file=filename)]


def read_actuals(
    data: bytes,
    filename: str,
    catalog: KpiCatalog,
    *,
    plan_id: str | None,
    limits: Limits,
) -> ActualsRead:
    """Validate a yearly actuals workbook.

    `plan_id` is the plan of rows without a 計画ID (the caller resolves it: the chosen plan,
    else the only one, else the newest). Rows come back only when nothing blocks.
    """
    problems = check_workbook_bytes(data, filename, limits)
    if problems:
        return ActualsRead(problems=problems)
    sheet, table, problems = _find_table(data, filename, limits)
    if sheet is None or table is None:
        return ActualsRead(problems=problems)
    reader = _Reader(sheet, table, filename, catalog, plan_id)
    rows, skipped = reader.read()
    result = ActualsRead(
        rows=rows,
        skipped=reader.skipped,
        problems=reader.problems,
        skipped_by_plan=skipped,
        sheet=sheet.name,
    )
    if not result.ok:
        result.rows = rows.iloc[0:0]
    return result
