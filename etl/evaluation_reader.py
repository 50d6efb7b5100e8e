"""Read the 事業評価 sheet (issue #13): how each project went in a year, bytes in, rows and
problems out. Nothing is written here.

The sheet is optional: a file without it has no evaluations (an ordinary actuals file). A
row whose five evaluation fields are all blank is not an evaluation (the department has not
written it yet) and is counted as skipped. 進捗 and 今後の方向性 must be one of their choices;
a 再掲 project's number is read as its original's (the evaluation is stored once).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from etl.plan_format import normalize_id
from etl.problems import InputRejected, Problem, has_blocking, problem
from etl.sheet_table import Table, cell_text, find_header
from etl.xlsx import Workbook
from kpi import repository
from kpi.fiscal import fy_column, parse_fiscal_year

SHEET = "事業評価"
COL_PROJECT, COL_NAME, COL_YEAR, COL_PLAN = "事業番号", "事業名", "年度", "計画ID"
# header -> column of project_evaluations
FIELDS = {
    "進捗": "progress",
    "取組実績": "activities",
    "評価の理由": "reason",
    "課題": "issues",
    "今後の方向性": "direction",
}
HEADERS = [COL_PROJECT, COL_NAME, COL_YEAR, *FIELDS, COL_PLAN]
PROGRESS_CHOICES = ("順調", "概ね順調", "遅れ", "未着手", "完了", "中止")
DIRECTION_CHOICES = ("拡充", "継続", "改善", "縮小", "廃止", "完了")
CHOICES = {"進捗": PROGRESS_CHOICES, "今後の方向性": DIRECTION_CHOICES}
HEADER_SEARCH_ROWS = 20
ROW_DTYPES = {
    "plan_id": object,
    "project_id": object,
    "fiscal_year": "int64",
    **dict.fromkeys(FIELDS.values(), object),
    "source_cell": object,
}


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in ROW_DTYPES.items()})


@dataclass
class EvaluationCatalog:
    """What validating evaluations needs: plan periods, and each project's stored number."""

    periods: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (plan_id, project_id as written) -> the number it is stored under (a 再掲's original)
    projects: dict[tuple[str, str], str] = field(default_factory=dict)


def load_evaluation_catalog(
    con: duckdb.DuckDBPyConnection, plan_ids: list[str]
) -> EvaluationCatalog:
    periods = repository.plan_periods(con, plan_ids)
    catalog = EvaluationCatalog(
        periods={
            str(r["plan_id"]): (int(r["start_fy"]), int(r["end_fy"]))
            for r in periods.to_dict("records")
        }
    )
    for pid in catalog.periods:
        for r in repository.projects(con, pid).to_dict("records"):
            original = r["relisted_from"] if isinstance(r["relisted_from"], str) else None
            catalog.projects[(pid, str(r["project_id"]))] = original or str(r["project_id"])
    return catalog


@dataclass
class EvaluationRead:
    rows: pd.DataFrame = field(default_factory=empty_rows)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0  # rows with a project but nothing written yet
    found: bool = False  # the workbook has the sheet

    @property
    def ok(self) -> bool:
        return not has_blocking(self.problems)

    @property
    def plan_ids(self) -> list[str]:
        return list(dict.fromkeys(self.rows["plan_id"].tolist()))


def _choice(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "")


def read_evaluations(
    data: bytes, filename: str, catalog: EvaluationCatalog, *, plan_id: str | None
) -> EvaluationRead:
    """The 事業評価 sheet of a workbook already checked by the guard (read_actuals did)."""
    try:
        book = Workbook(data, filename)
        if SHEET not in book.sheet_names:
            return EvaluationRead()
        sheet = book.sheet(SHEET, fill_merged=True)
    except InputRejected as e:
        return EvaluationRead(problems=e.problems, found=True)
    table = find_header(sheet, [COL_PROJECT, COL_YEAR], search_rows=HEADER_SEARCH_ROWS)
    if table is None:
        return EvaluationRead(
            problems=[
                problem("COLUMN_MISSING", sheet=SHEET, detail="事業番号・年度", file=filename)
            ],
            found=True,
        )
    return _Reader(table, filename, catalog, plan_id).read()


class _Reader:
    def __init__(
        self, table: Table, filename: str, catalog: EvaluationCatalog, plan_id: str | None
    ):
        self.table = table
        self.filename = filename
        self.catalog = catalog
        self.default_plan = plan_id
        self.problems: list[Problem] = []

    def error(self, code: str, r: int, header: str, value: object = "", **kw: object) -> None:
        self.problems.append(
            problem(
                code,
                sheet=SHEET,
                cell=self.table.ref(r, header),
                value=cell_text(value),
                file=self.filename,
                **kw,  # type: ignore[arg-type]
            )
        )

    def read(self) -> EvaluationRead:
        t = self.table
        fields = [h for h in FIELDS if t.has(h)]
        records: list[dict[str, object]] = []
        seen: dict[tuple[str, str, int], tuple[dict[str, object], int]] = {}
        skipped = 0
        for r in t.data_rows():
            values = {h: t.text(r, h) for h in fields}
            written = any(values.values())
            raw_id = t.value(r, COL_PROJECT)
            if not written:
                skipped += 1 if cell_text(raw_id) else 0
                continue
            pid = t.text(r, COL_PLAN) or self.default_plan or ""
            if pid not in self.catalog.periods:
                if t.has(COL_PLAN):
                    self.error("UNKNOWN_PLAN", r, COL_PLAN, pid)
                else:
                    self.error("UNKNOWN_PLAN", r, COL_PROJECT, pid)
                continue
            project = normalize_id(raw_id)
            ok = True
            if not project:
                self.error("REQUIRED", r, COL_PROJECT)
                ok = False
            elif (pid, project) not in self.catalog.projects:
                self.error("UNKNOWN_REFERENCE", r, COL_PROJECT, raw_id, detail="この計画の事業")
                ok = False
            raw_year = t.value(r, COL_YEAR)
            fy = parse_fiscal_year(raw_year)
            start, end = self.catalog.periods[pid]
            if cell_text(raw_year) == "":
                self.error("REQUIRED", r, COL_YEAR)
                ok = False
            elif fy is None:
                self.error("BAD_YEAR", r, COL_YEAR, raw_year)
                ok = False
            elif not start <= fy <= end:
                self.error(
                    "YEAR_OUT_OF_PLAN",
                    r,
                    COL_YEAR,
                    raw_year,
                    detail=f"{fy_column(start)}〜{fy_column(end)}",
                )
                ok = False
            for h, choices in CHOICES.items():
                if values.get(h):
                    chosen = _choice(values[h])
                    if chosen not in choices:
                        self.error("BAD_CHOICE", r, h, values[h], detail="・".join(choices))
                        ok = False
                    else:
                        values[h] = chosen
            if not ok or fy is None:
                continue
            stored = self.catalog.projects[(pid, project)]
            record: dict[str, object] = {
                "plan_id": pid,
                "project_id": stored,
                "fiscal_year": fy,
                **{col: (values.get(h) or None) for h, col in FIELDS.items()},
                "source_cell": f"{SHEET}!{t.ref(r, COL_PROJECT)}",
            }
            key = (pid, stored, fy)
            if key in seen:
                first, first_row = seen[key]
                if all(first[c] == record[c] for c in FIELDS.values()):
                    continue  # the same evaluation twice (a 再掲 row copied): once is enough
                self.error(
                    "CONFLICT",
                    r,
                    COL_PROJECT,
                    raw_id,
                    detail=f"{t.ref(first_row, COL_PROJECT)} と {t.ref(r, COL_PROJECT)}",
                )
                continue
            seen[key] = (record, r)
            records.append(record)
        rows = (
            pd.DataFrame(records).astype({"fiscal_year": "int64"})[list(ROW_DTYPES)]
            if records
            else empty_rows()
        )
        result = EvaluationRead(rows=rows, problems=self.problems, skipped=skipped, found=True)
        if not result.ok:
            result.rows = empty_rows()
        return result
