"""確定 (lock) and 確定解除 (unlock) of a fiscal year (issue #13).

A locked year refuses files and on-screen corrections with the blocking problem YEAR_LOCKED on
every cell that would change it, until it is unlocked with a reason. Locks are events in
`year_locks`: nothing is deleted, and the history lists them beside the uploads.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from etl.problems import Problem, problem
from kpi import repository
from kpi.errors import KpiError
from kpi.fiscal import fy_label

LOCK, UNLOCK = "lock", "unlock"
ACTION_WORDS = {LOCK: "確定", UNLOCK: "確定解除"}


class LockRefused(KpiError):
    """Locking a locked year, unlocking an open one, or no reason given."""


def locked(con: duckdb.DuckDBPyConnection, plan_ids: list[str]) -> set[tuple[str, int]]:
    """(plan_id, fiscal_year) of the locked years of these plans."""
    df = repository.locked_years(con, plan_ids)
    return {(str(p), int(y)) for p, y in zip(df["plan_id"], df["fiscal_year"], strict=True)}


def set_lock(
    con: duckdb.DuckDBPyConnection,
    plan_id: str,
    fiscal_year: int,
    *,
    action: str,
    reason: str,
    by: str,
    now: dt.datetime | None = None,
) -> int:
    """Lock or unlock a year; returns the event's id. A reason is required both ways."""
    if action not in (LOCK, UNLOCK):
        raise ValueError(f"action must be lock or unlock: {action!r}")
    reason = reason.strip()
    if not reason:
        raise LockRefused(f"{ACTION_WORDS[action]}の理由を入力してください。")
    plan = repository.plan_info(con, plan_id)  # NotFound
    if not int(plan["start_fy"]) <= fiscal_year <= int(plan["end_fy"]):
        raise LockRefused(f"{fy_label(fiscal_year)} は計画「{plan['name']}」の期間の外です。")
    with repository.transaction(con):
        is_locked = (plan_id, fiscal_year) in locked(con, [plan_id])
        if action == LOCK and is_locked:
            raise LockRefused(f"{fy_label(fiscal_year)} は既に確定しています。")
        if action == UNLOCK and not is_locked:
            raise LockRefused(f"{fy_label(fiscal_year)} は確定していません。")
        return repository.insert_year_lock(
            con,
            plan_id=plan_id,
            fiscal_year=fiscal_year,
            action=action,
            reason=reason,
            by=by,
            at=now or dt.datetime.now(),
        )


def _split(source_cell: str) -> tuple[str, str]:
    sheet, _, cell = source_cell.rpartition("!")
    return sheet, cell


def locked_problems(
    locks: set[tuple[str, int]], frames: list[pd.DataFrame], filename: str
) -> list[Problem]:
    """YEAR_LOCKED on every row (value or evaluation) of a locked plan and year; frames have
    plan_id, fiscal_year and source_cell ('sheet!cell')."""
    found: list[Problem] = []
    if not locks:
        return found
    for frame in frames:
        for pid, fy, source in zip(
            frame["plan_id"].tolist(),
            frame["fiscal_year"].tolist(),
            frame["source_cell"].tolist(),
            strict=True,
        ):
            if (pid, int(fy)) in locks:
                sheet, cell = _split(str(source))
                found.append(
                    problem(
                        "YEAR_LOCKED",
                        sheet=sheet,
                        cell=cell,
                        value=fy_label(int(fy)),
                        detail=fy_label(int(fy)),
                        file=filename,
                    )
                )
    return found
