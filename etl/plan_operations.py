"""Database-opening wrappers for the plan tab of the upload page (#14): one short connection
each, as etl.operations does for actuals."""

from __future__ import annotations

import pandas as pd

from etl.plan_loader import PlanLoadResult
from etl.plan_versions import (
    PlanPreview,
    PlanRollbackEffect,
    commit_plan,
    plan_rollback_preview,
    preview_plan,
    rollback_plan_uploads,
)
from kpi import repository
from kpi.config import Settings


def preview(settings: Settings, data: bytes, filename: str) -> PlanPreview:
    with repository.open_db(settings.db_path) as con:
        return preview_plan(con, data, filename, settings=settings)


def commit(
    settings: Settings, data: bytes, filename: str, *, by: str, reason: str | None
) -> PlanLoadResult:
    with repository.open_db(settings.db_path) as con:
        return commit_plan(con, data, filename, by=by, settings=settings, reason=reason)


def versions(settings: Settings) -> pd.DataFrame:
    """Every active plan version, newest first (view plan_versions)."""
    with repository.open_db(settings.db_path) as con:
        return repository.plan_versions(con)


def rollback_effect(settings: Settings, upload_id: int) -> PlanRollbackEffect:
    with repository.open_db(settings.db_path) as con:
        return plan_rollback_preview(con, [upload_id])


def rollback(settings: Settings, upload_id: int, *, by: str) -> PlanRollbackEffect:
    with repository.open_db(settings.db_path) as con:
        return rollback_plan_uploads(con, [upload_id], by=by)
