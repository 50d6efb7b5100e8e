"""The round's database-opening wrappers for the upload page and the CLI (issue #13): one
short connection each, like etl/operations.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from etl.actuals_loader import CommitResult, Preview, commit_actuals, preview_actuals
from etl.correction import correction_workbook
from etl.export import to_excel_bytes
from etl.round import FileCheck, RoundCheck, check_round, commit_round
from etl.round_templates import (
    RoundSource,
    read_round_source,
    write_department_workbooks,
    zip_workbooks,
)
from etl.year_locks import set_lock
from kpi import repository, round_status
from kpi.config import Settings


def round_source(settings: Settings, plan_id: str, fy: int) -> RoundSource:
    """Read in the page (its errors are shown there); templates_zip writes on click."""
    with repository.open_db(settings.db_path) as con:
        return read_round_source(con, plan_id, fy)


def templates_zip(source: RoundSource, deadline: dt.date | None, today: dt.date) -> bytes:
    """The department workbooks as one zip, written without the database."""
    return zip_workbooks(write_department_workbooks(source, deadline=deadline, today=today))


def check(settings: Settings, files: list[tuple[str, bytes]], plan_id: str | None) -> RoundCheck:
    with repository.open_db(settings.db_path) as con:
        return check_round(con, files, plan_id=plan_id, settings=settings)


def commit_passed(
    settings: Settings, files: list[tuple[str, bytes]], plan_id: str | None, *, by: str
) -> list[tuple[FileCheck, CommitResult]]:
    """Check again (the database may have changed) and write the files that pass."""
    with repository.open_db(settings.db_path) as con:
        result = check_round(con, files, plan_id=plan_id, settings=settings)
        return commit_round(con, result, by=by, settings=settings)


def round_items(settings: Settings, plan_id: str, fy: int) -> pd.DataFrame:
    with repository.open_db(settings.db_path) as con:
        return repository.round_items(con, plan_id, fy)


def unreported_excel(items: pd.DataFrame, fy: int) -> bytes:
    """The list to chase, one sheet for all and one per department."""
    table = round_status.unreported(items)
    sheets = {"未報告一覧": table}
    for department, group in table.groupby("部署", sort=False):
        sheets[str(department)] = group
    return to_excel_bytes(sheets, title=f"{fy}年度 未報告一覧")


def lock_state(settings: Settings, plan_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The locked years and every lock / unlock event of a plan."""
    with repository.open_db(settings.db_path) as con:
        return repository.locked_years(con, [plan_id]), repository.year_lock_events(con, plan_id)


def lock(settings: Settings, plan_id: str, fy: int, *, action: str, reason: str, by: str) -> int:
    with repository.open_db(settings.db_path) as con:
        return set_lock(con, plan_id, fy, action=action, reason=reason, by=by)


def correction_preview(
    settings: Settings, plan_id: str, fy: int, edits: pd.DataFrame
) -> tuple[bytes, Preview]:
    with repository.open_db(settings.db_path) as con:
        data = correction_workbook(plan_id, fy, edits)
        return data, preview_actuals(
            con, data, CORRECTION_NAME, plan_id=plan_id, settings=settings, kind="correction"
        )


CORRECTION_NAME = "画面修正.xlsx"


def correction_commit(settings: Settings, plan_id: str, data: bytes, *, by: str) -> CommitResult:
    with repository.open_db(settings.db_path) as con:
        return commit_actuals(
            con, data, CORRECTION_NAME, by=by, settings=settings, plan_id=plan_id, kind="correction"
        )
