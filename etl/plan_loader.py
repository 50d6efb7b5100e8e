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
from etl.plan_reader import read_plan
from etl.problems import InputRejected, Problem
from kpi import repository
from kpi.config import Settings


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


def _records(frame: pd.DataFrame) -> list[tuple]:
    clean = frame.astype(object).where(frame.notna(), None)
    rows = [tuple(_plain(v) for v in row) for row in clean.itertuples(index=False)]
    return sorted(rows, key=repr)


def _plain(v: object) -> object:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _kpi_signatures(tables: dict[str, pd.DataFrame]) -> dict[str, tuple]:
    """KPI id -> its definition and targets, to count new/changed/unchanged KPIs."""
    kpis = tables["kpis"].drop(columns=["seq"])
    targets = {kid: tuple(_records(g)) for kid, g in tables["kpi_targets"].groupby("kpi_id")}
    return {row[1]: (row, targets.get(row[1], ())) for row in _records(kpis)}


def _compare(
    plan_id: str, old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]
) -> PlanChange:
    change = PlanChange(plan_id)
    before, after = _kpi_signatures(old), _kpi_signatures(new)
    for kid, sig in after.items():
        if kid not in before:
            change.kpis_new.append(kid)
        elif before[kid] != sig:
            change.kpis_changed.append(kid)
        else:
            change.kpis_unchanged.append(kid)
    change.kpis_removed = [k for k in before if k not in after]
    change.structure_changed = any(
        _records(old[t]) != _records(new[t]) for t in repository.PLAN_TABLES
    )
    return change


def load_plan(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    filename: str,
    *,
    by: str,
    settings: Settings,
    now: dt.datetime | None = None,
) -> PlanLoadResult:
    """Validate and load; raises InputRejected (database untouched) on any blocking problem."""
    read = read_plan(data, filename, settings.limits)
    if not read.ok:
        raise InputRejected(read.problems)
    now = now or dt.datetime.now()
    sha = sha256_of(data)
    empty = {t: f.iloc[0:0] for t, f in read.tables.items()}
    by_plan = {t: dict(tuple(f.groupby("plan_id"))) for t, f in read.tables.items()}
    incoming = {
        pid: {t: by_plan[t].get(pid, empty[t]) for t in read.tables} for pid in read.plan_ids
    }
    changes = [
        _compare(pid, repository.plan_content(con, pid), incoming[pid]) for pid in read.plan_ids
    ]
    upload_ids: list[int] = []
    if not any(c.changed for c in changes):
        return PlanLoadResult(changes, upload_ids, read.problems)
    archive(data, settings.uploads_dir)
    changed = [c for c in changes if c.changed]
    ids = {c.plan_id for c in changed}
    with repository.transaction(con):
        repository.replace_plan(con, {t: f[f["plan_id"].isin(ids)] for t, f in read.tables.items()})
        for change in changed:
            pid = change.plan_id
            upload_ids.append(
                repository.insert_upload(
                    con,
                    kind="plan",
                    plan_id=pid,
                    filename=filename,
                    sha256=sha,
                    uploaded_at=now,
                    uploaded_by=by,
                    rows_new=len(change.kpis_new),
                    rows_changed=len(change.kpis_changed),
                    rows_unchanged=len(change.kpis_unchanged),
                )
            )
    for uid in upload_ids:  # never infer success from COMMIT alone
        repository.upload(con, uid)
    return PlanLoadResult(changes, upload_ids, read.problems)
