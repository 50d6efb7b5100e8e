"""Read and validate the plan workbook (DESIGN 4.1) into the plan tables of DESIGN 5.

Bytes in; every problem collected with sheet and cell; tables out only when nothing blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from etl.guard import check_workbook_bytes
from etl.plan_format import (
    COL_PREVIOUS_KPI,
    COL_RELISTED_IN,
    COLUMNS,
    CUMULATIVE_TRUE,
    DIRECTION_FROM_LABEL,
    DIRECTION_LABELS,
    SHEET_ACTIVITIES,
    SHEET_KPIS,
    SHEET_MEASURES,
    SHEET_PLAN,
    SHEET_POLICIES,
    SHEET_PROJECTS,
    header_key,
    normalize_id,
    split_departments,
)
from etl.problems import InputRejected, Problem, cell_name, has_blocking, problem
from etl.sheet_table import Table, find_header, missing_headers
from etl.xlsx import Workbook
from kpi.config import Limits
from kpi.fiscal import parse_fiscal_year
from kpi.numbers import LARGE_VALUE, NUMBER, TEXT, NumberFormatError, Reading, read_target
from kpi.repository import PLAN_TABLES

_MEASURE_ID = re.compile(r"^\d+-\d+$")
_PROJECT_ID = re.compile(r"^\d+-\d+-\d+$")


@dataclass
class PlanRead:
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # (plan_id, kpi_id) -> (sheet, cell) of its 前計画指標ID, to name it when that KPI is unknown
    predecessor_cells: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_blocking(self.problems)

    @property
    def plan_ids(self) -> list[str]:
        return list(self.tables["plans"]["plan_id"]) if self.tables else []


# Numbers (基本方針番号) are stored as INTEGER: a larger one (1e308 is an "integer" float)
# would fail inside the load instead of being reported at its cell (issue #10).
_MAX_INT = 2**31 - 1


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and normalize_id(value).isdigit():
        number = int(normalize_id(value))
    return number if number is not None and abs(number) <= _MAX_INT else None


class _Reader:
    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []
        self.rows: dict[str, list[dict]] = {t: [] for t in PLAN_TABLES}
        self.frozen: dict[str, list[pd.DataFrame]] = {t: [] for t in PLAN_TABLES}
        self.periods: dict[str, tuple[int, int]] = {}
        # Ids present in the workbook whose own row has a problem: rows that refer to them are
        # skipped quietly, so that one bad cell gives one message, not a cascade.
        self.broken: set[tuple] = set()
        self.targets: dict[tuple, Reading | None] = {}
        self.predecessor_cells: dict[tuple[str, str], tuple[str, str]] = {}
        # (sheet, cell) of unreadable cells already reported: no second problem there
        self.unreadable_cells: set[tuple[str, str]] = set()

    def report(
        self,
        code: str,
        t: Table | None,
        r: int | None = None,
        header: str = "",
        value: object = "",
        detail: object = "",
    ) -> None:
        sheet = t.sheet.name if t else ""
        cell = t.ref(r, header) if t and r is not None and header and t.has(header) else ""
        if (sheet, cell) in self.unreadable_cells:
            return  # FORMULA_NO_VALUE / CELL_ERROR already says what is wrong with it
        self.problems.append(
            problem(code, sheet=sheet, cell=cell, value=value, detail=detail, file=self.filename)
        )

    def unreadable(self, t: Table) -> None:
        """Formula cells saved without a result and error cells in the columns read: calamine
        shows both as blank, so a formula in 主管課等 read as "empty" (REQUIRED) and an error
        in a year column as "no target". Each is reported once, as what it is (issue #10)."""
        sheet = t.sheet
        columns = set(t.columns.values()) | set(t.year_columns.values())
        found = [(r, c, "FORMULA_NO_VALUE", "") for r, c in sheet.formula_without_value]
        found += [(r, c, "CELL_ERROR", v) for (r, c), v in sheet.error_cells.items()]
        for r, c, code, value in sorted(found):
            if r <= t.header_row or c not in columns:
                continue
            cell = cell_name(r, c)
            self.unreadable_cells.add((sheet.name, cell))
            self.problems.append(
                problem(code, sheet=sheet.name, cell=cell, value=value, file=self.filename)
            )

    def required(self, t: Table, r: int, header: str) -> str:
        text = t.text(r, header)
        if not text:
            self.report("REQUIRED", t, r, header, detail=header)
        return text

    def plan_of(self, t: Table, r: int) -> str | None:
        pid = self.required(t, r, "計画ID")
        if pid and pid not in self.periods:
            if ("plan", pid) not in self.broken:
                self.report("UNKNOWN_REFERENCE", t, r, "計画ID", pid, "シート「計画」")
            return None
        return pid or None

    def refers(
        self, known: set, key: tuple, kind: str, t: Table, r: int, header: str, sheet: str
    ) -> bool:
        """Is `key` a valid row of another sheet? Reports it unless that row is itself broken."""
        if key in known:
            return True
        if (kind, *key) not in self.broken:
            self.report("UNKNOWN_REFERENCE", t, r, header, key[-1], f"シート「{sheet}」")
        return False

    def unique(self, seen: set, key: tuple, t: Table, r: int, header: str) -> bool:
        if key in seen:
            self.report("DUPLICATE_ID", t, r, header, key[-1])
            return False
        seen.add(key)
        return True

    # -- sheets, in dependency order --

    def plans(self, t: Table) -> None:
        seen: set = set()
        for r in t.data_rows():
            pid = self.required(t, r, "計画ID")
            name = self.required(t, r, "計画名")
            org = self.required(t, r, "団体名")
            years = []
            for h in ("開始年度", "終了年度"):
                fy = parse_fiscal_year(t.value(r, h))
                if fy is None:
                    self.report("BAD_YEAR", t, r, h, t.text(r, h))
                years.append(fy)
            start, end = years
            if start and end and start > end:
                self.report("YEAR_OUT_OF_PLAN", t, r, "終了年度", end, f"開始 {start} 以降")
                start = None
            if pid and not (name and org and start and end):
                self.broken.add(("plan", pid))
                continue
            # (start and end: always set here, since a plan without them was skipped above)
            if pid and start and end and self.unique(seen, (pid,), t, r, "計画ID"):
                self.periods[pid] = (start, end)
                self.rows["plans"].append(
                    dict(plan_id=pid, name=name, organization=org, start_fy=start, end_fy=end)
                )

    def policies(self, t: Table) -> set[tuple[str, int]]:
        seen: set = set()
        for r in t.data_rows():
            pid = self.plan_of(t, r)
            no = _int(t.value(r, "基本方針番号"))
            if no is None:
                self.report("BAD_ID", t, r, "基本方針番号", t.text(r, "基本方針番号"), "整数")
            name = self.required(t, r, "基本方針名")
            if pid and (no is None or not name):
                self.broken.add(("policy", pid, no))
            elif pid and self.unique(seen, (pid, no), t, r, "基本方針番号"):
                self.rows["policies"].append(dict(plan_id=pid, policy_no=no, name=name))
        return seen

    def measures(self, t: Table, policies: set) -> set[tuple[str, str]]:
        seen: set = set()
        for seq, r in enumerate(t.data_rows(), start=1):
            pid = self.plan_of(t, r)
            mid = normalize_id(t.value(r, "事業推進計画番号"))
            no = _int(t.value(r, "基本方針番号"))
            name = self.required(t, r, "事業推進計画名")
            if not _MEASURE_ID.match(mid) or (no is not None and mid.split("-")[0] != str(no)):
                self.report("BAD_ID", t, r, "事業推進計画番号", mid, "基本方針番号-番号 (例: 1-2)")
                self.broken.add(("measure", pid, mid))
                continue
            if pid and not self.refers(
                policies, (pid, no), "policy", t, r, "基本方針番号", "基本方針"
            ):
                self.broken.add(("measure", pid, mid))
                continue
            if pid and self.unique(seen, (pid, mid), t, r, "事業推進計画番号"):
                self.rows["measures"].append(
                    dict(plan_id=pid, measure_id=mid, policy_no=no, name=name, seq=seq)
                )
        return seen

    def projects(self, t: Table, measures: set) -> set[tuple[str, str]]:
        seen: set = set()
        relisted: list[tuple[int, str, str, str]] = []
        for seq, r in enumerate(t.data_rows(), start=1):
            pid = self.plan_of(t, r)
            prj = normalize_id(t.value(r, "事業番号"))
            mid = normalize_id(t.value(r, "事業推進計画番号"))
            name = self.required(t, r, "事業名")
            if not _PROJECT_ID.match(prj) or prj.rsplit("-", 1)[0] != mid:
                self.report("BAD_ID", t, r, "事業番号", prj, "事業推進計画番号-番号 (例: 1-2-4)")
                self.broken.add(("project", pid, prj))
                continue
            if pid and not self.refers(
                measures, (pid, mid), "measure", t, r, "事業推進計画番号", "事業推進計画"
            ):
                self.broken.add(("project", pid, prj))
                continue
            lead = split_departments(t.value(r, "主管課等"))
            if not lead:
                self.report("REQUIRED", t, r, "主管課等", detail="主管課等")
            origin = normalize_id(t.value(r, "再掲元")) or None
            if not pid or not self.unique(seen, (pid, prj), t, r, "事業番号"):
                continue
            if origin:
                relisted.append((r, pid, prj, origin))
            self.rows["projects"].append(
                dict(
                    plan_id=pid,
                    project_id=prj,
                    measure_id=mid,
                    name=name,
                    overview=t.text(r, "概要") or None,
                    aims=t.text(r, "目指すもの") or None,
                    relisted_from=origin,
                    seq=seq,
                )
            )
            for role, depts in (
                ("lead", lead),
                ("related", split_departments(t.value(r, "関係課等"))),
            ):
                for i, d in enumerate(depts, start=1):
                    self.rows["project_departments"].append(
                        dict(plan_id=pid, project_id=prj, department=d, role=role, seq=i)
                    )
        for r, pid, prj, origin in relisted:
            if origin == prj:
                self.report("UNKNOWN_REFERENCE", t, r, "再掲元", origin, "シート「個別事業」")
            else:
                self.refers(seen, (pid, origin), "project", t, r, "再掲元", "個別事業")
        return seen

    def _year_cells(self, t: Table, r: int, pid: str) -> dict[int, tuple[object, int]]:
        """Non-blank year cells of a row: fiscal year -> (value, column)."""
        start, end = self.periods[pid]
        out = {}
        for fy, c in t.year_columns.items():
            v = t.value_at(r, c)
            if v is None or str(v).strip() == "":
                continue
            if not start <= fy <= end:
                self.problems.append(
                    problem(
                        "YEAR_OUT_OF_PLAN",
                        sheet=t.sheet.name,
                        cell=cell_name(r, c),
                        value=fy,
                        detail=f"{start}〜{end}",
                        file=self.filename,
                    )
                )
                continue
            out[fy] = (v, c)
        return out

    def activities(self, t: Table, projects: set) -> None:
        for r in t.data_rows():
            pid = self.plan_of(t, r)
            prj = normalize_id(t.value(r, "事業番号"))
            seq = _int(t.value(r, "順"))
            label = self.required(t, r, "取組内容")
            if seq is None:
                self.report("BAD_ID", t, r, "順", t.text(r, "順"), "整数")
            if pid and not self.refers(
                projects, (pid, prj), "project", t, r, "事業番号", "個別事業"
            ):
                continue
            if not pid or seq is None:
                continue
            cells = self._year_cells(t, r, pid)
            base = dict(plan_id=pid, project_id=prj, seq=seq, label=label)
            if not cells:
                self.rows["activities"].append(base | dict(fiscal_year=None, note=None))
            for fy, (v, _c) in sorted(cells.items()):
                self.rows["activities"].append(base | dict(fiscal_year=fy, note=str(v).strip()))

    def kpis(self, t: Table, projects: set) -> None:
        seen: set = set()
        for seq, r in enumerate(t.data_rows(), start=1):
            pid = self.plan_of(t, r)
            kid = normalize_id(t.value(r, "指標ID"))
            prj = normalize_id(t.value(r, "事業番号"))
            name = self.required(t, r, "指標名")
            unit = t.text(r, "単位")
            unit = "%" if unit in ("％", "%") else unit
            direction_label = header_key(t.value(r, "方向"))
            direction = DIRECTION_FROM_LABEL.get(direction_label)
            if direction is None:
                self.report(
                    "BAD_CHOICE",
                    t,
                    r,
                    "方向",
                    t.text(r, "方向"),
                    " / ".join(DIRECTION_LABELS.values()),
                )
            mark = header_key(t.value(r, "累積")).upper()
            if mark and mark not in CUMULATIVE_TRUE:
                self.report("BAD_CHOICE", t, r, "累積", t.text(r, "累積"), "○ または空欄")
            if not re.match(rf"^{re.escape(prj)}-\d+$", kid) or not _PROJECT_ID.match(prj):
                self.report("BAD_ID", t, r, "指標ID", kid, "事業番号-番号 (例: 2-1-1-2)")
                continue
            if pid and not self.refers(
                projects, (pid, prj), "project", t, r, "事業番号", "個別事業"
            ):
                continue
            if not pid or not self.unique(seen, (pid, kid), t, r, "指標ID"):
                continue
            targets = []
            for fy, (v, c) in sorted(self._year_cells(t, r, pid).items()):
                reading = self.target(
                    v, unit, direction or "higher", (r, c) in t.sheet.percent_cells
                )
                if reading is None:
                    self.problems.append(
                        problem(
                            "BAD_TARGET",
                            sheet=t.sheet.name,
                            cell=cell_name(r, c),
                            value=v,
                            file=self.filename,
                        )
                    )
                    continue
                if reading.kind == NUMBER and (reading.value or 0) >= LARGE_VALUE:
                    self.problems.append(
                        problem(
                            "LARGE_VALUE",
                            sheet=t.sheet.name,
                            cell=cell_name(r, c),
                            value=v,
                            detail=unit or "単位なし",
                            file=self.filename,
                        )
                    )
                if reading.kind in (NUMBER, TEXT):
                    targets.append(
                        dict(
                            plan_id=pid,
                            kpi_id=kid,
                            fiscal_year=fy,
                            target_value=reading.value,
                            comparator=reading.comparator,
                            target_text=reading.text,
                        )
                    )
            if direction is None:
                continue
            self.rows["kpi_targets"].extend(targets)
            self.rows["kpis"].append(
                dict(
                    plan_id=pid,
                    kpi_id=kid,
                    project_id=prj,
                    name=name,
                    unit=unit,
                    direction=direction,
                    cumulative=bool(mark),
                    rationale=t.text(r, "指標の考え方") or None,
                    seq=seq,
                )
            )
            self.rows["project_kpis"].append(
                dict(plan_id=pid, project_id=prj, kpi_id=kid, relisted=False)
            )
            for other in split_departments(
                t.value(r, COL_RELISTED_IN) if t.has(COL_RELISTED_IN) else ""
            ):
                other = normalize_id(other)
                if not self.refers(
                    projects, (pid, other), "project", t, r, COL_RELISTED_IN, "個別事業"
                ):
                    continue
                self.rows["project_kpis"].append(
                    dict(plan_id=pid, project_id=other, kpi_id=kid, relisted=True)
                )
            self.predecessor(t, r, pid, kid)

    def predecessor(self, t: Table, r: int, pid: str, kid: str) -> None:
        """前計画指標ID `計画ID:指標ID`: whether that KPI exists is checked against the
        database when loading (the previous plan is usually loaded already)."""
        raw = t.text(r, COL_PREVIOUS_KPI) if t.has(COL_PREVIOUS_KPI) else ""
        if not raw:
            return
        prev_plan, sep, prev_kpi = raw.replace("：", ":").partition(":")
        prev_plan, prev_kpi = prev_plan.strip(), normalize_id(prev_kpi)
        if not sep or not prev_plan or not re.match(r"^\d+-\d+-\d+-\d+$", prev_kpi):
            self.report(
                "BAD_ID", t, r, COL_PREVIOUS_KPI, raw, "計画ID:指標ID (例: hadano-r3-r7:2-1-1-2)"
            )
            return
        if prev_plan == pid:
            self.report("UNKNOWN_REFERENCE", t, r, COL_PREVIOUS_KPI, raw, "前の計画")
            return
        self.predecessor_cells[(pid, kid)] = (t.sheet.name, t.ref(r, COL_PREVIOUS_KPI))
        self.rows["kpi_predecessors"].append(
            dict(plan_id=pid, kpi_id=kid, previous_plan_id=prev_plan, previous_kpi_id=prev_kpi)
        )

    def target(self, v: object, unit: str, direction: str, percent: bool) -> Reading | None:
        """read_target, once per distinct (value, unit, direction, format): a workbook of many
        plans prints the same few targets over and over. None when it is not a target."""
        key = (type(v), v, unit, direction, percent)
        if key not in self.targets:
            try:
                self.targets[key] = read_target(v, unit, direction, percent_format=percent)
            except NumberFormatError:
                self.targets[key] = None
        return self.targets[key]

    def freeze(self) -> None:
        """Turn the rows collected so far into DataFrames (a dict per row costs more memory
        than the row's values)."""
        for t, cols in PLAN_TABLES.items():
            if self.rows[t]:
                self.frozen[t].append(pd.DataFrame(self.rows[t], columns=cols))
                self.rows[t] = []

    def frames(self) -> dict[str, pd.DataFrame]:
        self.freeze()
        return {
            t: pd.concat(self.frozen[t], ignore_index=True)
            if self.frozen[t]
            else pd.DataFrame(columns=cols)
            for t, cols in PLAN_TABLES.items()
        }


def read_plan(data: bytes, filename: str = "plan.xlsx", limits: Limits | None = None) -> PlanRead:
    """Validate a plan workbook; tables are filled only when no problem blocks."""
    problems = check_workbook_bytes(data, filename, limits)
    if problems:
        return PlanRead(problems=problems)
    try:
        book = Workbook(data, filename, limits)
        return _read_book(book, filename)
    except InputRejected as e:  # a sheet that reaches too far (etl.xlsx measures large ones)
        return PlanRead(problems=e.problems)


def _read_book(book: Workbook, filename: str) -> PlanRead:
    reader = _Reader(filename)
    # Structure first, from the header rows only: a missing sheet or column stops here.
    for name, required in COLUMNS.items():
        if name not in book.sheet_names:
            reader.problems.append(problem("SHEET_MISSING", sheet=name, detail=name, file=filename))
        elif find_header(book.head(name, 1), required, search_rows=1) is None:
            for h in missing_headers(book.head(name, 1), required):
                reader.problems.append(
                    problem("COLUMN_MISSING", sheet=name, cell="1:1", detail=h, file=filename)
                )
    if reader.problems:
        return PlanRead(problems=reader.problems)

    # Then one sheet at a time, in dependency order, each released once read: a national
    # workbook (1,741 plans) never holds all its sheets as Python objects at once.
    def table(name: str) -> Table:
        found = find_header(book.sheet(name, fill_merged=True), COLUMNS[name], search_rows=1)
        assert found is not None  # the structure was checked above
        reader.unreadable(found)
        return found

    def release(name: str) -> None:
        book.forget(name)
        reader.freeze()

    plan_table = table(SHEET_PLAN)
    reader.plans(plan_table)
    if not reader.rows["plans"] and not reader.problems:
        reader.report("REQUIRED", plan_table, None, "", detail="計画")
    release(SHEET_PLAN)
    policies = reader.policies(table(SHEET_POLICIES))
    release(SHEET_POLICIES)
    measures = reader.measures(table(SHEET_MEASURES), policies)
    release(SHEET_MEASURES)
    projects = reader.projects(table(SHEET_PROJECTS), measures)
    release(SHEET_PROJECTS)
    reader.activities(table(SHEET_ACTIVITIES), projects)
    release(SHEET_ACTIVITIES)
    reader.kpis(table(SHEET_KPIS), projects)
    release(SHEET_KPIS)
    if has_blocking(reader.problems):
        return PlanRead(problems=reader.problems)
    return PlanRead(
        tables=reader.frames(),
        problems=reader.problems,
        predecessor_cells=reader.predecessor_cells,
    )
