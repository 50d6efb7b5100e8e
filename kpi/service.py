"""Read-side entry points for the UI and the CLI: open the database briefly, ask, close.

DuckDB lets one process hold the file; short-lived connections let the CLI work while the
app is serving. Results are plain DataFrames, cached by the UI per database version.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpi import repository
from kpi.config import Settings
from kpi.dashboard import PlanData
from kpi.errors import DatabaseFull, DatabaseReadOnly


def db_version(db_path: Path) -> tuple[int, int]:
    """Changes whenever the database file changes: the cache key after an upload."""
    parts = [db_path, db_path.with_name(db_path.name + ".wal")]
    stats = [p.stat() for p in parts if p.exists()]
    return (sum(s.st_mtime_ns for s in stats), sum(s.st_size for s in stats))


def database_exists(settings: Settings) -> bool:
    return settings.db_path.exists()


def ensure_schema(settings: Settings) -> None:
    """Bring an existing database's views and macros up to this version (idempotent): a file
    built by an older release gains new columns such as kpi_status.is_sample, and kpi_status
    takes the configured grade bands."""
    if not database_exists(settings):
        return
    try:
        with repository.open_db(settings.db_path) as con:
            if repository.schema_ready(con):  # an empty file stays empty: the page says "build"
                repository.init_schema(con, settings.grading)
    except (DatabaseReadOnly, DatabaseFull):
        # A file that cannot be written keeps the views it has: reads are still served, and
        # the upload page says why it cannot write when asked to.
        return


def plans(settings: Settings) -> pd.DataFrame:
    with repository.open_db(settings.db_path) as con:
        if not repository.schema_ready(con):
            return pd.DataFrame(columns=["plan_id", "name", "organization", "start_fy", "end_fy"])
        return repository.list_plans(con)


def plan_data(settings: Settings, plan_id: str) -> PlanData:
    """Everything the pages need about one plan, read in one short connection."""
    with repository.open_db(settings.db_path) as con:
        return PlanData(
            plan=repository.plan_info(con, plan_id),
            status=repository.status(con, plan_id, settings.today(), settings.grading),
            listings=repository.listings(con, plan_id),
            projects=repository.projects(con, plan_id),
            departments=repository.departments(con, plan_id),
            activities=repository.activities(con, plan_id),
            sample_current=repository.sample_is_current(con, plan_id),
            outlook=repository.outlook(con, plan_id, settings.grading),
        )


def upload_history(settings: Settings, plan_id: str) -> pd.DataFrame:
    """The uploads of one plan, newest first: where a report's or an export's values come from."""
    with repository.open_db(settings.db_path) as con:
        return repository.list_uploads(con, plan_id)
