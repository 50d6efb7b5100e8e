"""Database reads and writes that only tests need: to set up a case or to prove what a load
did. The app's own SQL stays in kpi/repository.py; these never serve a user."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi import repository
from kpi.repository import ALL_TABLES, PLAN_TABLES


def insert_upload(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    plan_id: str | None,
    filename: str,
    sha256: str,
    uploaded_at: dt.datetime,
    uploaded_by: str,
    rows_new: int = 0,
    rows_changed: int = 0,
    rows_unchanged: int = 0,
    rows_skipped: int = 0,
) -> int:
    """One active upload row, as the loaders write it; its upload_id."""
    frame = pd.DataFrame(
        [
            {
                "kind": kind,
                "plan_id": plan_id,
                "filename": filename,
                "sha256": sha256,
                "uploaded_at": uploaded_at,
                "uploaded_by": uploaded_by,
                "rows_new": rows_new,
                "rows_changed": rows_changed,
                "rows_unchanged": rows_unchanged,
                "rows_skipped": rows_skipped,
            }
        ],
        dtype=object,
    )
    (upload_id,) = repository.insert_uploads(con, frame).values()
    return upload_id


def plans_content(con: duckdb.DuckDBPyConnection, plan_ids: list[str]) -> dict[str, pd.DataFrame]:
    """The structure tables of many plans at once (one query per table, not per plan)."""
    ids = pd.DataFrame({"plan_id": pd.Series(list(plan_ids), dtype=object)})
    con.register("_content_ids", ids)
    try:
        return {
            table: con.execute(
                f"SELECT {', '.join(columns)} FROM {table} "
                "WHERE plan_id IN (SELECT plan_id FROM _content_ids)"
            ).df()
            for table, columns in PLAN_TABLES.items()
        }
    finally:
        con.unregister("_content_ids")


def upload_actuals(con: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """The values one upload stored, with the cell each came from."""
    return con.execute(
        "SELECT plan_id, kpi_id, fiscal_year, actual_value, note, source_cell FROM kpi_actuals "
        "WHERE upload_id = ? ORDER BY plan_id, kpi_id, fiscal_year",
        [upload_id],
    ).df()


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: to prove that a rejected load changed nothing."""
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ALL_TABLES}


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for t in ALL_TABLES:
        row = con.execute(f"SELECT count(*) FROM {t}").fetchone()
        counts[t] = int(row[0]) if row else 0
    return counts
