"""Load a plan workbook into the database in one transaction (DESIGN 4.1, 5).

A plan loaded again replaces the plan's structure and keeps every actual; KPIs that the new
plan no longer has keep their actuals, which then show up in `orphaned_actuals`. Loading the
same content again writes nothing, so `build` twice gives the same database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from etl.archive import archive, sha256_of
from etl.plan_reader import PlanRead, read_plan
from etl.problems import InputRejected, Problem, problem
from kpi import repository
from kpi.config import Settings
from kpi.errors import DatabaseError


def workbook_suffix(filename: str) -> str:
    """The archive keeps an .ods as .ods (it is opened with the program that wrote it)."""
    return ".ods" if filename.lower().endswith(".ods") else ".xlsx"


def unknown_predecessors(
    con: duckdb.DuckDBPyConnection, read: PlanRead, filename: str
) -> list[Problem]:
    """前計画指標ID naming a KPI that neither the database nor the workbook holds."""
    frame = read.tables.get("kpi_predecessors")
    if frame is None or frame.empty:
        return []
    known = repository.kpi_ids_of_plans(con) | set(
        zip(read.tables["kpis"]["plan_id"], read.tables["kpis"]["kpi_id"], strict=True)
    )
    found = []
    for pid, kid, prev_plan, prev_kpi in frame[
        ["plan_id", "kpi_id", "previous_plan_id", "previous_kpi_id"]
    ].itertuples(index=False, name=None):
        if (prev_plan, prev_kpi) not in known:
            sheet, cell = read.predecessor_cells.get((pid, kid), ("", ""))
            found.append(
                problem(
                    "UNKNOWN_REFERENCE",
                    sheet=sheet,
                    cell=cell,
                    value=f"{prev_plan}:{prev_kpi}",
                    detail="データベースの計画",
                    file=filename,
                )
            )
    return found


@dataclass
class PlanChange:
    plan_id: str
    kpis_new: list[str] = field(default_factory=list)
    kpis_changed: list[str] = field(default_factory=list)
    kpis_unchanged: list[str] = field(default_factory=list)
    kpis_removed: list[str] = field(default_factory=list)
    structure_changed: bool = False

    @property
    def changed(self) -> bool:
        return self.structure_changed


@dataclass
class PlanLoadResult:
    changes: list[PlanChange]
    upload_ids: list[int]
    warnings: list[Problem]

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.changes)


def _changes(plan_ids: list[str], changed: set[str], states: pd.DataFrame) -> list[PlanChange]:
    """PlanChange per plan from `repository.compare_plans` (KPI ids in id order)."""
    lists: dict[str, dict[str, list[str]]] = {pid: {} for pid in plan_ids}
    for pid, kid, state in states.itertuples(index=False, name=None):
        if pid in lists:
            lists[pid].setdefault(state, []).append(kid)
    return [
        PlanChange(
            pid,
            kpis_new=lists[pid].get("new", []),
            kpis_changed=lists[pid].get("changed", []),
            kpis_unchanged=lists[pid].get("unchanged", []),
            kpis_removed=lists[pid].get("removed", []),
            structure_changed=pid in changed,
        )
        for pid in plan_ids
    ]


def load_plan(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    filename: str,
    *,
    by: str,
    settings: Settings,
    now: dt.datetime | None = None,
    reason: str | None = None,
) -> PlanLoadResult:
    """Validate and load; raises InputRejected (database untouched) on any blocking problem.

    Every load that changes a plan is a new version of it (an upload of kind `plan`, with
    its rows kept in the version tables), so it can be rolled back (etl.plan_versions)."""
    read = read_plan(data, filename, settings.limits)
    if not read.ok:
        raise InputRejected(read.problems)
    if missing := unknown_predecessors(con, read, filename):
        raise InputRejected(missing)
    now = now or dt.datetime.now()
    sha = sha256_of(data)
    # Every plan at once, in SQL: per-plan queries and Python copies of a national workbook's
    # million rows took 11 minutes and 2 GB (docs/benchmarks.md).
    changes = _changes(read.plan_ids, *repository.compare_plans(con, read.tables))
    upload_ids: list[int] = []
    if not any(c.changed for c in changes):
        return PlanLoadResult(changes, upload_ids, read.problems)
    archive(data, settings.uploads_dir, suffix=workbook_suffix(filename))
    changed = [c for c in changes if c.changed]
    ids = {c.plan_id for c in changed}
    uploads = pd.DataFrame(
        {
            "kind": "plan",
            "plan_id": [c.plan_id for c in changed],
            "filename": filename,
            "sha256": sha,
            "uploaded_at": now,
            "uploaded_by": by,
            "rows_new": [len(c.kpis_new) for c in changed],
            "rows_changed": [len(c.kpis_changed) for c in changed],
            "rows_unchanged": [len(c.kpis_unchanged) for c in changed],
            "rows_skipped": 0,
        }
    )
    with repository.transaction(con):
        # A database from before versions were kept: its current plan becomes a version first.
        repository.backfill_plan_versions(con, sorted(ids))
        repository.replace_plan(con, {t: f[f["plan_id"].isin(ids)] for t, f in read.tables.items()})
        upload_of = repository.insert_uploads(con, uploads)
        repository.save_plan_versions(con, upload_of)
        if reason:
            repository.set_upload_reason(con, list(upload_of.values()), reason)
    upload_ids = [upload_of[c.plan_id] for c in changed]
    # Never infer success from COMMIT alone: every upload row must be there.
    if set(repository.upload_value_counts(con, upload_ids)) != set(upload_ids):
        raise DatabaseError("計画の保存を確認できませんでした。取込履歴を確認してください。")
    return PlanLoadResult(changes, upload_ids, read.problems)
