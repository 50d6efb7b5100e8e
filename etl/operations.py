"""Database-opening wrappers for the upload page and the CLI: one short connection each.

Pages call these instead of holding a connection, so the CLI can use the file between
clicks, and a busy database becomes a clear DatabaseBusy message.
"""

from __future__ import annotations

import pandas as pd

from etl.actuals_loader import (
    CommitResult,
    Preview,
    RollbackEffect,
    commit_actuals,
    preview_actuals,
    rollback_preview,
    rollback_uploads,
)
from etl.template import TemplateSource, read_template_source
from kpi import repository
from kpi.config import Settings


def template_source(settings: Settings, plan_id: str, fy: int) -> TemplateSource:
    """Read in the page (its errors are shown there); etl.template.write_template makes the
    file on click without the database."""
    with repository.open_db(settings.db_path) as con:
        return read_template_source(con, plan_id, fy)


def preview(settings: Settings, data: bytes, filename: str, plan_id: str | None) -> Preview:
    with repository.open_db(settings.db_path) as con:
        return preview_actuals(con, data, filename, plan_id=plan_id, settings=settings)


def commit(
    settings: Settings, data: bytes, filename: str, *, by: str, plan_id: str | None
) -> CommitResult:
    with repository.open_db(settings.db_path) as con:
        return commit_actuals(con, data, filename, by=by, settings=settings, plan_id=plan_id)


def rollback_effect(settings: Settings, upload_id: int) -> RollbackEffect:
    with repository.open_db(settings.db_path) as con:
        return rollback_preview(con, [upload_id])


def rollback(settings: Settings, upload_id: int, *, by: str) -> RollbackEffect:
    with repository.open_db(settings.db_path) as con:
        return rollback_uploads(con, [upload_id], by=by)


def history(settings: Settings, plan_id: str | None = None) -> pd.DataFrame:
    with repository.open_db(settings.db_path) as con:
        return repository.list_uploads(con, plan_id)
