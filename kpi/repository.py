"""The only module that writes SQL. Everything else talks to DuckDB through these functions.

Connections are short-lived: DuckDB lets one process hold the file, so the app and the CLI
each open, work and close. Writes go through `transaction()`, which rolls back explicitly on
any error: after a failed statement DuckDB's COMMIT can return without error and save nothing
(DESIGN 4.4), so success is never inferred from COMMIT alone.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from kpi.config import Grading
from kpi.errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseError,
    DatabaseFull,
    DatabaseReadOnly,
    KpiError,
    NotFound,
)

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
# No network: never try to download an extension (DESIGN 4.4).
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

# Column order of the tables that a plan load replaces (DESIGN 5).
PLAN_TABLES: dict[str, list[str]] = {
    "plans": ["plan_id", "name", "organization", "start_fy", "end_fy"],
    "policies": ["plan_id", "policy_no", "name"],
    "measures": ["plan_id", "measure_id", "policy_no", "name", "seq"],
    "projects": [
        "plan_id",
        "project_id",
        "measure_id",
        "name",
        "overview",
        "aims",
        "relisted_from",
        "seq",
    ],
    "project_departments": ["plan_id", "project_id", "department", "role", "seq"],
    "activities": ["plan_id", "project_id", "seq", "label", "fiscal_year", "note"],
    "kpis": [
        "plan_id",
        "kpi_id",
        "project_id",
        "name",
        "unit",
        "direction",
        "cumulative",
        "rationale",
        "seq",
    ],
    "project_kpis": ["plan_id", "project_id", "kpi_id", "relisted"],
    "kpi_targets": [
        "plan_id",
        "kpi_id",
        "fiscal_year",
        "target_value",
        "comparator",
        "target_text",
    ],
    # 前計画指標ID: the KPI of an earlier plan this one continues (#14)
    "kpi_predecessors": ["plan_id", "kpi_id", "previous_plan_id", "previous_kpi_id"],
}
ACTUAL_COLUMNS = [
    "plan_id",
    "kpi_id",
    "fiscal_year",
    "actual_value",
    "note",
    "upload_id",
    "recorded_at",
    "source_cell",
]
# Every version of each plan, keyed by the plan upload that brought it (#14).
VERSION_TABLES = {t: f"{t}_versions" for t in PLAN_TABLES}
ALL_TABLES = [
    *PLAN_TABLES,
    "uploads",
    "kpi_actuals",
    "project_evaluations",
    "year_locks",
    *VERSION_TABLES.values(),
]


def plan_frame(tables: dict[str, pd.DataFrame], table: str) -> pd.DataFrame:
    """A plan table from `tables`, empty when the caller did not give it (a table added later)."""
    frame = tables.get(table)
    return (
        frame[PLAN_TABLES[table]] if frame is not None else pd.DataFrame(columns=PLAN_TABLES[table])
    )


# One writer at a time inside this process (Streamlit serves sessions on threads).
_write_lock = threading.RLock()


def _is_lock_error(e: Exception) -> bool:
    text = str(e).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


# What DuckDB says (its messages are English and have no codes) -> the domain error.
_CORRUPT = ("not a valid duckdb database", "could not read enough bytes", "corrupt", "checksum")
_READ_ONLY = ("permission denied", "read-only", "read only", "readonly")
_FULL = ("no space left", "file too large", "disk full", "disk quota")


def database_error(e: Exception, path: str | Path | None = None) -> KpiError:
    """A DuckDB error as the domain error a user can act on: one Japanese line saying what to
    do. Every connection is wrapped by it (`connect`, `open_db`), so nothing else needs to."""
    text = str(e).lower()
    where = "" if path is None else f"（{path}）"
    if _is_lock_error(e):
        return DatabaseBusy(
            f"データベース{where}は別のプロセス（ダッシュボードまたは別のコマンド）が"
            "使用中です。しばらく待ってからやり直してください。"
        )
    if any(w in text for w in _CORRUPT):
        return DatabaseCorrupt(
            f"データベースのファイル{where}が壊れているか、途中までしかありません。"
            "バックアップから戻すか、計画ワークブックと取込済みのファイルから作り直してください"
            "（python -m etl build）。"
        )
    if any(w in text for w in _FULL):
        return DatabaseFull(
            f"ディスクの空き容量が足りないため、データベース{where}に書き込めません。"
            "表示はできますが、取込と取消はできません。空き容量を確保してからやり直してください。"
        )
    if any(w in text for w in _READ_ONLY):
        return DatabaseReadOnly(
            f"データベース{where}は読み取り専用のため、書き込めません。表示はできますが、"
            "取込と取消はできません。ファイルとフォルダーの書き込み権限を確認してください。"
        )
    first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return DatabaseError(f"データベース{where}の処理に失敗しました: {first_line}")


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for another process that holds the database file: DuckDB lets one
    process open it, and the app and the CLI each hold it only for a moment."""

    tries: int
    first_pause_s: float = 0.2  # then 0.4 s, 0.6 s, ...

    def pauses(self) -> list[float]:
        return [self.first_pause_s * (n + 1) for n in range(self.tries - 1)]


# The one policy for every file connection (app, uploads, CLI): 7 tries, 4.2 s of waiting in
# all, long enough for the other side's short connection, short enough to say so soon.
WHILE_BUSY = RetryPolicy(tries=7)


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database, waiting (`WHILE_BUSY`) while another process holds the file. A file
    that may not be written is opened read-only: reads are served, a write says why not."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    pauses = WHILE_BUSY.pauses()
    for attempt in range(len(pauses) + 1):
        try:
            return duckdb.connect(str(path), read_only=read_only, config=DUCKDB_CONFIG)
        except duckdb.Error as e:
            error = database_error(e, path)
            if isinstance(error, DatabaseReadOnly) and not read_only:
                return connect(path, read_only=True)
            if not isinstance(error, DatabaseBusy) or attempt == len(pauses):
                raise error from e
            time.sleep(pauses[attempt])
    raise AssertionError("unreachable")


@contextmanager
def open_db(path: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short connection; a DuckDB error inside the block becomes a domain error."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    except duckdb.Error as e:
        raise database_error(e, path) from e
    finally:
        con.close()


def init_schema(con: duckdb.DuckDBPyConnection, grading: Grading) -> None:
    """Create tables, views and macros if missing; bake the configured grade bands into
    kpi_status and kpi_outlook."""
    with _write_lock:
        _widen_upload_kinds(con)
        con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
        con.execute(
            "CREATE OR REPLACE VIEW kpi_status AS "
            f"SELECT * FROM kpi_status_at(current_date, {float(grading.grade_b_min)}, "
            f"{float(grading.grade_c_min)})"
        )
        con.execute(
            "CREATE OR REPLACE VIEW kpi_outlook AS "
            f"SELECT * FROM kpi_outlook_of({float(grading.grade_b_min)}, "
            f"{float(grading.grade_c_min)})"
        )


def schema_ready(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'kpi_actuals'"
    ).fetchone()
    return bool(row and row[0])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction; explicit ROLLBACK on any error, so a failure never half-applies."""
    with _write_lock:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException as e:
            _rollback(con, e)
            raise
        try:
            con.execute("COMMIT")
        except duckdb.Error as e:
            _rollback(con, e)
            error = database_error(e)
            if type(error) is DatabaseError:  # nothing more specific to say
                error = DatabaseError(f"保存に失敗しました（変更は取り消されました）: {e}")
            raise error from e


def _rollback(con: duckdb.DuckDBPyConnection, cause: BaseException) -> None:
    """Roll back; if that fails too (a broken connection), keep the original error in front
    and record the second one on it."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as e:
        cause.add_note(f"ROLLBACK も失敗しました: {e}")


# ---------------------------------------------------------------- plan structure


def replace_plan(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    """Replace the structure of the plans in `tables` (call inside `transaction`).

    Actuals are never touched. Works for one plan or for thousands in one statement per table.
    """
    con.register("_plan_ids", tables["plans"][["plan_id"]])
    try:
        for table, columns in PLAN_TABLES.items():
            con.execute(f"DELETE FROM {table} WHERE plan_id IN (SELECT plan_id FROM _plan_ids)")
            frame = plan_frame(tables, table)
            if len(frame):
                con.register("_incoming", frame)
                try:
                    con.execute(
                        f"INSERT INTO {table} ({', '.join(columns)}) "
                        f"SELECT {', '.join(columns)} FROM _incoming"
                    )
                finally:
                    con.unregister("_incoming")
    finally:
        con.unregister("_plan_ids")


def compare_plans(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]
) -> tuple[set[str], pd.DataFrame]:
    """Compare incoming plan tables (the shape `replace_plan` takes) with the stored plans, in
    SQL: a national workbook holds 1,741 plans and a million rows, which as Python tuples
    took 2 GB. Returns the plans whose rows differ in any table, and one row per KPI of
    either side: plan_id, kpi_id, state ('new' / 'changed' / 'unchanged' / 'removed'; a
    KPI changes when its definition or any of its targets does). NULLs compare equal."""
    ids = tables["plans"][["plan_id"]]
    con.register("_cmp_ids", ids)
    registered = ["_cmp_ids"]
    try:
        changed: set[str] = set()
        for table, columns in PLAN_TABLES.items():
            name = f"_cmp_{table}"
            con.register(name, plan_frame(tables, table))
            registered.append(name)
            cols = ", ".join(columns)
            stored = f"SELECT {cols} FROM {table} WHERE plan_id IN (SELECT plan_id FROM _cmp_ids)"
            rows = con.execute(
                f"SELECT DISTINCT plan_id FROM ((SELECT {cols} FROM {name} EXCEPT ALL {stored}) "
                f"UNION ALL ({stored} EXCEPT ALL SELECT {cols} FROM {name}))"
            ).fetchall()
            changed |= {str(r[0]) for r in rows}
        kpi_cols = ", ".join(c for c in PLAN_TABLES["kpis"] if c != "seq")
        target_cols = ", ".join(PLAN_TABLES["kpi_targets"])
        states = con.execute(
            f"""
            WITH old AS (
                SELECT plan_id, kpi_id FROM kpis WHERE plan_id IN (SELECT plan_id FROM _cmp_ids)
            ), new AS (SELECT plan_id, kpi_id FROM _cmp_kpis),
            stored_kpis AS (
                SELECT {kpi_cols} FROM kpis WHERE plan_id IN (SELECT plan_id FROM _cmp_ids)
            ), stored_targets AS (
                SELECT {target_cols} FROM kpi_targets
                WHERE plan_id IN (SELECT plan_id FROM _cmp_ids)
            ), differ AS (
                SELECT plan_id, kpi_id FROM (
                    (SELECT {kpi_cols} FROM _cmp_kpis EXCEPT ALL SELECT * FROM stored_kpis)
                    UNION ALL (SELECT * FROM stored_kpis EXCEPT ALL SELECT {kpi_cols} FROM _cmp_kpis)
                )
                UNION
                SELECT plan_id, kpi_id FROM (
                    (SELECT {target_cols} FROM _cmp_kpi_targets EXCEPT ALL SELECT * FROM stored_targets)
                    UNION ALL
                    (SELECT * FROM stored_targets EXCEPT ALL SELECT {target_cols} FROM _cmp_kpi_targets)
                )
            )
            SELECT coalesce(n.plan_id, o.plan_id) AS plan_id, coalesce(n.kpi_id, o.kpi_id) AS kpi_id,
                   CASE WHEN o.kpi_id IS NULL THEN 'new'
                        WHEN n.kpi_id IS NULL THEN 'removed'
                        WHEN d.kpi_id IS NOT NULL THEN 'changed'
                        ELSE 'unchanged' END AS state
            FROM new n
            FULL JOIN old o ON o.plan_id = n.plan_id AND o.kpi_id = n.kpi_id
            LEFT JOIN (SELECT DISTINCT plan_id, kpi_id FROM differ) d
                ON d.plan_id = coalesce(n.plan_id, o.plan_id)
               AND d.kpi_id = coalesce(n.kpi_id, o.kpi_id)
            ORDER BY 1, 2
            """
        ).df()
        return changed, states
    finally:
        for name in registered:
            con.unregister(name)


def list_plans(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT plan_id, name, organization, start_fy, end_fy FROM plans "
        "ORDER BY end_fy DESC, start_fy DESC, plan_id"
    ).df()


def plan_info(con: duckdb.DuckDBPyConnection, plan_id: str) -> dict:
    df = con.execute("SELECT * FROM plans WHERE plan_id = ?", [plan_id]).df()
    if df.empty:
        raise NotFound(f"計画「{plan_id}」はありません。")
    return df.iloc[0].to_dict()


# ---------------------------------------------------------------- uploads and actuals


UPLOAD_COLUMNS = [
    "kind",
    "plan_id",
    "filename",
    "sha256",
    "uploaded_at",
    "uploaded_by",
    "rows_new",
    "rows_changed",
    "rows_unchanged",
    "rows_skipped",
]


def insert_uploads(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> dict[str, int]:
    """One upload row per row of `frame` (columns UPLOAD_COLUMNS, one row per plan) in a
    single statement; returns plan_id -> upload_id. Ids follow the frame's order."""
    if frame.empty:
        return {}
    ordered = frame[UPLOAD_COLUMNS].reset_index(drop=True)
    con.register("_uploads", ordered.assign(_ord=range(len(ordered))))
    try:
        rows = con.execute(
            f"INSERT INTO uploads ({', '.join(UPLOAD_COLUMNS)}, status) "
            f"SELECT {', '.join(UPLOAD_COLUMNS)}, 'active' FROM _uploads ORDER BY _ord "
            "RETURNING plan_id, upload_id"
        ).fetchall()
    finally:
        con.unregister("_uploads")
    return {str(pid): int(uid) for pid, uid in rows}


def insert_actuals(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("_actuals", frame[ACTUAL_COLUMNS])
    try:
        con.execute(
            f"INSERT INTO kpi_actuals ({', '.join(ACTUAL_COLUMNS)}) "
            f"SELECT {', '.join(ACTUAL_COLUMNS)} FROM _actuals"
        )
    finally:
        con.unregister("_actuals")


def upload(con: duckdb.DuckDBPyConnection, upload_id: int) -> dict:
    return uploads_by_id(con, [upload_id])[0]


def uploads_by_id(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> list[dict]:
    """The uploads' rows in the order asked (one query: a national file has 1,741 uploads);
    NotFound names the first unknown id."""
    ids = [int(i) for i in upload_ids]
    df = con.execute(
        "SELECT * FROM uploads WHERE list_contains($ids::INTEGER[], upload_id)", {"ids": ids}
    ).df()
    found = {int(r["upload_id"]): r for r in df.to_dict("records")}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"取込番号 {missing[0]} はありません。")
    return [found[i] for i in ids]


def set_upload_status(
    con: duckdb.DuckDBPyConnection, upload_ids: list[int], *, by: str, at: dt.datetime
) -> None:
    con.execute(
        "UPDATE uploads SET status = 'rolled_back', rolled_back_at = $at, rolled_back_by = $by "
        "WHERE list_contains($ids::INTEGER[], upload_id)",
        {"at": at, "by": by, "ids": [int(i) for i in upload_ids]},
    )


def rollback_effect(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> pd.DataFrame:
    """Every (plan, KPI, year) the uploads wrote: its current value and the value that would be
    current without them (NULL: none). A newer active upload may hold the current value."""
    return con.execute(
        """
        WITH touched AS (
            SELECT DISTINCT plan_id, kpi_id, fiscal_year FROM kpi_actuals
            WHERE list_contains($ids::INTEGER[], upload_id)
        )
        SELECT t.plan_id, t.kpi_id, t.fiscal_year,
               cur.actual_value AS current_value, cur.note AS current_note,
               cur.upload_id AS current_upload_id,
               after.actual_value AS after_value, after.note AS after_note,
               after.upload_id AS after_upload_id, after.is_sample AS after_is_sample
        FROM touched t
        LEFT JOIN kpi_actuals_current cur USING (plan_id, kpi_id, fiscal_year)
        LEFT JOIN kpi_actuals_current_of(without := $ids::INTEGER[]) after
            USING (plan_id, kpi_id, fiscal_year)
        ORDER BY t.plan_id, t.kpi_id, t.fiscal_year
        """,
        {"ids": [int(i) for i in upload_ids]},
    ).df()


def list_uploads(con: duckdb.DuckDBPyConnection, plan_id: str | None = None) -> pd.DataFrame:
    return con.execute(
        "SELECT * FROM uploads WHERE ? IS NULL OR plan_id = ? ORDER BY upload_id DESC",
        [plan_id, plan_id],
    ).df()


def orphaned_actuals(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    return con.execute(
        "SELECT * FROM orphaned_actuals WHERE plan_id = ? ORDER BY kpi_id, fiscal_year",
        [plan_id],
    ).df()


# ---------------------------------------------------------------- dashboard reads


def status(
    con: duckdb.DuckDBPyConnection, plan_id: str, as_of: dt.date, grading: Grading
) -> pd.DataFrame:
    """kpi_status for one plan, with what the pages show next to it."""
    return con.execute(
        """
        SELECT s.kpi_id, s.fiscal_year, s.target_value, s.comparator, s.target_text,
               s.actual_value, s.achievement_rate, s.grade, s.met, s.note, s.upload_id,
               s.direction, s.cumulative, k.name AS kpi_name, k.unit, k.rationale,
               k.project_id AS home_project_id, k.seq AS kpi_seq,
               u.kind AS upload_kind, u.uploaded_at
        FROM kpi_status_at(?, ?, ?, plan_filter := ?) s
        JOIN kpis k ON k.plan_id = s.plan_id AND k.kpi_id = s.kpi_id
        LEFT JOIN uploads u ON u.upload_id = s.upload_id
        ORDER BY k.seq, s.fiscal_year
        """,
        [as_of, grading.grade_b_min, grading.grade_c_min, plan_id],
    ).df()


def listings(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """Every (KPI, project it is printed under) with the project's measure and policy."""
    return con.execute(
        """
        SELECT pk.kpi_id, pk.project_id, pk.relisted, p.name AS project_name, p.seq AS project_seq,
               m.measure_id, m.name AS measure_name, pol.policy_no, pol.name AS policy_name
        FROM project_kpis pk
        JOIN projects p ON p.plan_id = pk.plan_id AND p.project_id = pk.project_id
        JOIN measures m ON m.plan_id = p.plan_id AND m.measure_id = p.measure_id
        JOIN policies pol ON pol.plan_id = m.plan_id AND pol.policy_no = m.policy_no
        JOIN kpis k ON k.plan_id = pk.plan_id AND k.kpi_id = pk.kpi_id
        WHERE pk.plan_id = ?
        ORDER BY pol.policy_no, m.seq, p.seq, k.seq
        """,
        [plan_id],
    ).df()


def projects(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    return con.execute(
        """
        SELECT p.project_id, p.name AS project_name, p.overview, p.aims, p.relisted_from,
               p.seq AS project_seq, m.measure_id, m.name AS measure_name,
               pol.policy_no, pol.name AS policy_name
        FROM projects p
        JOIN measures m ON m.plan_id = p.plan_id AND m.measure_id = p.measure_id
        JOIN policies pol ON pol.plan_id = m.plan_id AND pol.policy_no = m.policy_no
        WHERE p.plan_id = ?
        ORDER BY pol.policy_no, m.seq, p.seq
        """,
        [plan_id],
    ).df()


def departments(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    return con.execute(
        "SELECT project_id, department, role, seq FROM project_departments WHERE plan_id = ? "
        "ORDER BY project_id, role, seq",
        [plan_id],
    ).df()


def activities(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    return con.execute(
        "SELECT project_id, seq, label, fiscal_year, note FROM activities WHERE plan_id = ? "
        "ORDER BY project_id, seq, fiscal_year",
        [plan_id],
    ).df()


def sample_is_current(con: duckdb.DuckDBPyConnection, plan_id: str) -> bool:
    """True while any current actual of the plan comes from a sample upload (DESIGN 8)."""
    row = con.execute(
        "SELECT count(*) FROM kpi_actuals_current_of(plan_filter := ?) WHERE is_sample",
        [plan_id],
    ).fetchone()
    return bool(row and row[0])


# ---------------------------------------------------------------- actuals (added for the yearly upload)
# `plan_ids=None` means every plan: a national file names its plans only inside the file.

_PLAN_FILTER = "($plan_ids::VARCHAR[] IS NULL OR plan_id IN (SELECT unnest($plan_ids::VARCHAR[])))"


def _plan_ids_param(plan_ids: list[str] | None) -> dict[str, list[str] | None]:
    return {"plan_ids": None if plan_ids is None else list(plan_ids)}


def plan_periods(con: duckdb.DuckDBPyConnection, plan_ids: list[str] | None = None) -> pd.DataFrame:
    return con.execute(
        f"SELECT plan_id, start_fy, end_fy FROM plans WHERE {_PLAN_FILTER}",
        _plan_ids_param(plan_ids),
    ).df()


def catalog_kpis(con: duckdb.DuckDBPyConnection, plan_ids: list[str] | None = None) -> pd.DataFrame:
    """What reading an actual needs about each KPI: unit, direction, cumulative."""
    return con.execute(
        f"SELECT plan_id, kpi_id, unit, direction, cumulative FROM kpis WHERE {_PLAN_FILTER}",
        _plan_ids_param(plan_ids),
    ).df()


def numeric_targets(
    con: duckdb.DuckDBPyConnection,
    plan_ids: list[str] | None = None,
    *,
    percent_only: bool = False,
) -> pd.DataFrame:
    """Numeric targets; `percent_only` keeps those of % KPIs (all a fraction warning needs)."""
    only = (
        "AND (plan_id, kpi_id) IN (SELECT (plan_id, kpi_id) FROM kpis WHERE unit = '%')"
        if percent_only
        else ""
    )
    return con.execute(
        "SELECT plan_id, kpi_id, fiscal_year, target_value FROM kpi_targets "
        f"WHERE target_value IS NOT NULL AND {_PLAN_FILTER} {only}",
        _plan_ids_param(plan_ids),
    ).df()


def current_actuals_of(
    con: duckdb.DuckDBPyConnection,
    plan_ids: list[str] | None = None,
    *,
    cumulative_only: bool = False,
) -> pd.DataFrame:
    """Current values of several plans at once (the diff of an upload, cumulative checks)."""
    only = (
        "AND (plan_id, kpi_id) IN (SELECT (plan_id, kpi_id) FROM kpis WHERE cumulative)"
        if cumulative_only
        else ""
    )
    return con.execute(
        "SELECT plan_id, kpi_id, fiscal_year, actual_value, note, upload_id, is_sample "
        f"FROM kpi_actuals_current WHERE {_PLAN_FILTER} {only}",
        _plan_ids_param(plan_ids),
    ).df()


def template_rows(
    con: duckdb.DuckDBPyConnection, plan_id: str, fiscal_years: list[int]
) -> pd.DataFrame:
    """One row per KPI (stored once, under its own project) and fiscal year, in printed order."""
    return con.execute(
        """
        SELECT k.kpi_id, k.project_id, p.name AS project_name, k.name AS kpi_name, k.unit,
               k.direction, k.cumulative, y.fiscal_year, t.target_value, t.target_text,
               (SELECT string_agg(d.department, '、' ORDER BY d.seq) FROM project_departments d
                 WHERE d.plan_id = k.plan_id AND d.project_id = k.project_id
                   AND d.role = 'lead') AS lead_departments
        FROM kpis k
        JOIN projects p ON p.plan_id = k.plan_id AND p.project_id = k.project_id
        CROSS JOIN (SELECT unnest($years::INTEGER[]) AS fiscal_year) y
        LEFT JOIN kpi_targets t
            ON t.plan_id = k.plan_id AND t.kpi_id = k.kpi_id AND t.fiscal_year = y.fiscal_year
        WHERE k.plan_id = $plan_id
        ORDER BY k.seq, y.fiscal_year
        """,
        {"plan_id": plan_id, "years": list(fiscal_years)},
    ).df()


def upload_value_counts(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> dict[int, int]:
    """upload_id -> rows it stored, for the uploads that exist (to verify a commit)."""
    rows = con.execute(
        "SELECT u.upload_id, count(a.upload_id) FROM uploads u "
        "LEFT JOIN kpi_actuals a ON a.upload_id = u.upload_id "
        "WHERE u.upload_id IN (SELECT unnest($ids::INTEGER[])) GROUP BY u.upload_id",
        {"ids": [int(i) for i in upload_ids]},
    ).fetchall()
    return {int(uid): int(n) for uid, n in rows}


def active_uploads_with_sha(
    con: duckdb.DuckDBPyConnection, sha256: str, kind: str
) -> dict[str, int]:
    """plan_id -> newest active upload of this kind holding exactly these bytes."""
    rows = con.execute(
        "SELECT plan_id, max(upload_id) FROM uploads WHERE sha256 = ? AND kind = ? "
        "AND status = 'active' AND plan_id IS NOT NULL GROUP BY plan_id",
        [sha256, kind],
    ).fetchall()
    return {str(pid): int(uid) for pid, uid in rows}


# ---------------------------------------------------------------- plan versions (#14)
# The structure tables hold the current version of each plan; `<table>_versions` hold every
# version, keyed by the plan upload that brought it. See docs/database.md.


def save_plan_versions(con: duckdb.DuckDBPyConnection, upload_of: dict[str, int]) -> None:
    """Copy the current rows of these plans into the version tables under their upload (call
    inside `transaction`, after `replace_plan`)."""
    if not upload_of:
        return
    ids = pd.DataFrame({"plan_id": list(upload_of), "upload_id": list(upload_of.values())})
    con.register("_versions", ids)
    try:
        for table, columns in PLAN_TABLES.items():
            cols = ", ".join(columns)
            con.execute(
                f"INSERT INTO {VERSION_TABLES[table]} (upload_id, {cols}) "
                f"SELECT v.upload_id, {', '.join('t.' + c for c in columns)} "
                f"FROM {table} t JOIN _versions v ON v.plan_id = t.plan_id"
            )
    finally:
        con.unregister("_versions")


def backfill_plan_versions(con: duckdb.DuckDBPyConnection, plan_ids: list[str]) -> None:
    """A database made before versions were kept: record the current rows of each of these
    plans as the version of its newest active plan upload, so that a later version can be
    rolled back to it. Plans that already have versions are left alone."""
    rows = con.execute(
        """
        SELECT p.plan_id, max(u.upload_id) FROM plans p
        JOIN uploads u ON u.plan_id = p.plan_id AND u.kind = 'plan' AND u.status = 'active'
        WHERE list_contains($ids::VARCHAR[], p.plan_id)
          AND p.plan_id NOT IN (SELECT plan_id FROM plans_versions)
        GROUP BY p.plan_id
        """,
        {"ids": list(plan_ids)},
    ).fetchall()
    save_plan_versions(con, {str(pid): int(uid) for pid, uid in rows})


def plan_version_in_force(
    con: duckdb.DuckDBPyConnection, plan_id: str, without: list[int] | None = None
) -> int | None:
    """The newest active plan upload of the plan that has a stored version, ignoring `without`."""
    row = con.execute(
        "SELECT max(upload_id) FROM plan_versions WHERE plan_id = $pid "
        "AND NOT list_contains($without::INTEGER[], upload_id)",
        {"pid": plan_id, "without": [int(i) for i in without or []]},
    ).fetchall()  # fetchone would leave the window view's result open on the connection
    return int(row[0][0]) if row and row[0][0] is not None else None


def plan_version_tables(con: duckdb.DuckDBPyConnection, upload_id: int) -> dict[str, pd.DataFrame]:
    """The rows of one stored plan version, in the shape `replace_plan` takes."""
    return {
        table: con.execute(
            f"SELECT {', '.join(columns)} FROM {VERSION_TABLES[table]} WHERE upload_id = ?",
            [upload_id],
        ).df()
        for table, columns in PLAN_TABLES.items()
    }


def plan_has_actuals(con: duckdb.DuckDBPyConnection, plan_id: str) -> bool:
    """Any actual ever loaded for the plan, rolled back or not."""
    rows = con.execute("SELECT count(*) FROM kpi_actuals WHERE plan_id = ?", [plan_id]).fetchall()
    return bool(rows and rows[0][0])


def remove_plan(con: duckdb.DuckDBPyConnection, plan_id: str) -> None:
    """Take a plan out of the current structure tables (its first version rolled back).
    Versions, uploads and actuals stay."""
    for table in PLAN_TABLES:
        con.execute(f"DELETE FROM {table} WHERE plan_id = ?", [plan_id])


def set_upload_reason(con: duckdb.DuckDBPyConnection, upload_ids: list[int], reason: str) -> None:
    con.execute(
        "UPDATE uploads SET reason = $reason WHERE list_contains($ids::INTEGER[], upload_id)",
        {"reason": reason, "ids": [int(i) for i in upload_ids]},
    )


def target_revisions(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """Every revised target of the plan (view kpi_target_revisions), oldest first."""
    return con.execute(
        "SELECT * FROM kpi_target_revisions WHERE plan_id = ? "
        "ORDER BY upload_id, kpi_id, fiscal_year",
        [plan_id],
    ).df()


def original_targets(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """Targets of the plan's first active version that differ from the target in force:
    kpi_id, fiscal_year, original_target_value, original_target_text."""
    return con.execute(
        """
        WITH first AS (SELECT min(upload_id) AS upload_id FROM plan_versions WHERE plan_id = $pid)
        SELECT o.kpi_id, o.fiscal_year, o.target_value AS original_target_value,
               o.target_text AS original_target_text
        FROM kpi_targets_versions o
        JOIN first f ON f.upload_id = o.upload_id
        LEFT JOIN kpi_targets t
            ON t.plan_id = o.plan_id AND t.kpi_id = o.kpi_id AND t.fiscal_year = o.fiscal_year
        WHERE o.plan_id = $pid
          AND (t.target_text IS DISTINCT FROM o.target_text
               OR t.target_value IS DISTINCT FROM o.target_value)
        ORDER BY o.kpi_id, o.fiscal_year
        """,
        {"pid": plan_id},
    ).df()


def predecessor_actuals(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """Current actuals of the earlier plans' KPIs that this plan's KPIs continue (前計画指標ID),
    for the years before this plan starts: kpi_id, fiscal_year, actual_value, is_sample,
    previous_plan_id, previous_kpi_id."""
    return con.execute(
        """
        SELECT p.kpi_id, a.fiscal_year, a.actual_value, a.is_sample,
               p.previous_plan_id, p.previous_kpi_id
        FROM kpi_predecessors p
        JOIN plans n ON n.plan_id = p.plan_id
        JOIN kpi_actuals_current a
            ON a.plan_id = p.previous_plan_id AND a.kpi_id = p.previous_kpi_id
        WHERE p.plan_id = ? AND a.fiscal_year < n.start_fy
        ORDER BY p.kpi_id, a.fiscal_year
        """,
        [plan_id],
    ).df()


def kpi_ids_of_plans(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(plan_id, kpi_id) of every KPI currently in the database."""
    return {(str(p), str(k)) for p, k in con.execute("SELECT plan_id, kpi_id FROM kpis").fetchall()}


def project_directions(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """The last 今後の方向性 recorded per project (view project_evaluations_current, issue
    #13): project_id, fiscal_year, direction."""
    return con.execute(
        """
        SELECT project_id, fiscal_year, direction FROM project_evaluations_current
        WHERE plan_id = ? AND direction IS NOT NULL AND trim(direction) <> ''
        QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY fiscal_year DESC) = 1
        ORDER BY project_id
        """,
        [plan_id],
    ).df()


def current_plan_tables(
    con: duckdb.DuckDBPyConnection, plan_ids: list[str]
) -> dict[str, pd.DataFrame]:
    """The current rows of these plans, table by table (the shape `replace_plan` takes): what
    a new version or a rollback is compared with (#14)."""
    ids = pd.DataFrame({"plan_id": pd.Series(list(plan_ids), dtype=object)})
    con.register("_current_ids", ids)
    try:
        return {
            table: con.execute(
                f"SELECT {', '.join(columns)} FROM {table} "
                "WHERE plan_id IN (SELECT plan_id FROM _current_ids)"
            ).df()
            for table, columns in PLAN_TABLES.items()
        }
    finally:
        con.unregister("_current_ids")


def uploads_with_plan_version(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> set[int]:
    """Which of these uploads have a stored plan version (plan loads since #14)."""
    rows = con.execute(
        "SELECT DISTINCT upload_id FROM plans_versions WHERE list_contains($ids::INTEGER[], upload_id)",
        {"ids": [int(i) for i in upload_ids]},
    ).fetchall()
    return {int(r[0]) for r in rows}


def plan_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every active plan version of every plan, newest first (view plan_versions)."""
    return con.execute("SELECT * FROM plan_versions ORDER BY upload_id DESC").df()


# --- comments on rows left blank (issue #10) -----------------------------------------

UNREPORTED_NOTE_COLUMNS = [
    "plan_id",
    "kpi_id",
    "fiscal_year",
    "note",
    "upload_id",
    "recorded_at",
    "source_cell",
]


def insert_unreported_notes(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Comments of rows whose 実績値 was blank or 「－」: kept apart from the values."""
    if frame.empty:
        return
    con.register("_unreported_notes", frame[UNREPORTED_NOTE_COLUMNS])
    try:
        con.execute(
            f"INSERT INTO kpi_unreported_notes ({', '.join(UNREPORTED_NOTE_COLUMNS)}) "
            f"SELECT {', '.join(UNREPORTED_NOTE_COLUMNS)} FROM _unreported_notes"
        )
    finally:
        con.unregister("_unreported_notes")


def upload_note_counts(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> dict[int, int]:
    """upload_id -> comments on blank rows it stored (to verify a commit)."""
    rows = con.execute(
        "SELECT upload_id, count(*) FROM kpi_unreported_notes "
        "WHERE upload_id IN (SELECT unnest($ids::INTEGER[])) GROUP BY upload_id",
        {"ids": [int(i) for i in upload_ids]},
    ).fetchall()
    return {int(uid): int(n) for uid, n in rows}


# ---------------------------------------------------------------- the yearly round (issue #13)

EVALUATION_COLUMNS = [
    "plan_id",
    "project_id",
    "fiscal_year",
    "progress",
    "activities",
    "reason",
    "issues",
    "direction",
    "upload_id",
    "recorded_at",
    "source_cell",
]


def _widen_upload_kinds(con: duckdb.DuckDBPyConnection) -> None:
    """A file made before kind 'correction' (画面修正) existed has the old CHECK on
    uploads.kind, which DuckDB cannot alter: the table is rebuilt once, rows and ids kept
    (the sequence is separate), in one transaction."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE constraint_type = 'CHECK' "
        "AND constraint_text LIKE '%kind%' AND constraint_text NOT LIKE '%correction%') "
        "FROM duckdb_constraints() WHERE table_name = 'uploads' AND schema_name = 'main'"
    ).fetchone()
    if not row or not row[0]:
        return
    statements = SCHEMA_FILE.read_text(encoding="utf-8")
    start = statements.index("CREATE TABLE IF NOT EXISTS uploads")
    create = statements[start : statements.index(");", start) + 2]
    with transaction(con):
        con.execute("ALTER TABLE uploads RENAME TO uploads_before_correction")
        con.execute(create)
        # by name: columns added later (ALTER ... ADD COLUMN in schema.sql) come back with it
        old = _columns(con, "uploads_before_correction")
        for name, kind in old.items():
            if name not in _columns(con, "uploads"):
                con.execute(f'ALTER TABLE uploads ADD COLUMN "{name}" {kind}')
        names = ", ".join(f'"{n}"' for n in old)
        con.execute(f"INSERT INTO uploads ({names}) SELECT {names} FROM uploads_before_correction")
        con.execute("DROP TABLE uploads_before_correction")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return {str(n): str(t) for n, t in rows}


def insert_evaluations(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("_evaluations", frame[EVALUATION_COLUMNS])
    try:
        con.execute(
            f"INSERT INTO project_evaluations ({', '.join(EVALUATION_COLUMNS)}) "
            f"SELECT {', '.join(EVALUATION_COLUMNS)} FROM _evaluations"
        )
    finally:
        con.unregister("_evaluations")


def current_evaluations(
    con: duckdb.DuckDBPyConnection, plan_ids: list[str] | None = None
) -> pd.DataFrame:
    """project_evaluations_current of some plans (every plan when None)."""
    return con.execute(
        f"SELECT * FROM project_evaluations_current WHERE {_PLAN_FILTER} "
        "ORDER BY plan_id, project_id, fiscal_year",
        _plan_ids_param(plan_ids),
    ).df()


def upload_evaluation_counts(
    con: duckdb.DuckDBPyConnection, upload_ids: list[int]
) -> dict[int, int]:
    """upload_id -> evaluations it stored (to verify a commit)."""
    rows = con.execute(
        "SELECT upload_id, count(*) FROM project_evaluations "
        "WHERE upload_id IN (SELECT unnest($ids::INTEGER[])) GROUP BY upload_id",
        {"ids": [int(i) for i in upload_ids]},
    ).fetchall()
    return {int(uid): int(n) for uid, n in rows}


def lead_projects(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """(department, project) for every project a department leads: a 再掲 project once,
    under its original number (project_id), in printed order."""
    return con.execute(
        """
        SELECT DISTINCT d.department, coalesce(p.relisted_from, p.project_id) AS project_id,
               o.name AS project_name, pol.policy_no, m.seq AS measure_seq, o.seq AS project_seq
        FROM project_departments d
        JOIN projects p ON p.plan_id = d.plan_id AND p.project_id = d.project_id
        JOIN projects o ON o.plan_id = p.plan_id
                       AND o.project_id = coalesce(p.relisted_from, p.project_id)
        JOIN measures m ON m.plan_id = o.plan_id AND m.measure_id = o.measure_id
        JOIN policies pol ON pol.plan_id = m.plan_id AND pol.policy_no = m.policy_no
        WHERE d.plan_id = ? AND d.role = 'lead'
        ORDER BY d.department, pol.policy_no, m.seq, o.seq
        """,
        [plan_id],
    ).df()


def lead_kpis(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """(department, kpi_id) for every KPI of a project the department leads (the project the
    KPI is stored under, as the template's 担当課 column says)."""
    return con.execute(
        """
        SELECT DISTINCT d.department, k.kpi_id, k.seq AS kpi_seq
        FROM kpis k
        JOIN project_departments d
          ON d.plan_id = k.plan_id AND d.project_id = k.project_id AND d.role = 'lead'
        WHERE k.plan_id = ?
        ORDER BY d.department, k.seq
        """,
        [plan_id],
    ).df()


def round_items(con: duckdb.DuckDBPyConnection, plan_id: str, fy: int) -> pd.DataFrame:
    """What each department owes in a year's round, one row per (department, item):
    kind ('kpi' / 'evaluation'), item_id, name, expected (a KPI with a target that year; every
    evaluation), answered (a current value or evaluation that is not fictional sample data),
    note (why a KPI's value is missing, when the department wrote it on a blank row), and the
    upload that holds the answer or the note (upload_id, uploaded_at, filename)."""
    return con.execute(
        """
        WITH dk AS (
            SELECT DISTINCT d.department, k.kpi_id, k.name, k.project_id, k.seq
            FROM kpis k
            JOIN project_departments d
              ON d.plan_id = k.plan_id AND d.project_id = k.project_id AND d.role = 'lead'
            WHERE k.plan_id = $plan
        ), kpi_items AS (
            SELECT dk.department, 'kpi' AS kind, dk.kpi_id AS item_id, dk.name,
                   dk.project_id, t.target_text IS NOT NULL AS expected,
                   coalesce(a.actual_value IS NOT NULL AND NOT a.is_sample, false) AS answered,
                   -- why a value is missing, as the department wrote it (a reply too)
                   CASE WHEN a.actual_value IS NULL OR a.is_sample THEN n.note END AS note,
                   CASE WHEN NOT a.is_sample THEN a.upload_id ELSE n.upload_id END AS upload_id,
                   dk.seq
            FROM dk
            LEFT JOIN kpi_targets t
              ON t.plan_id = $plan AND t.kpi_id = dk.kpi_id AND t.fiscal_year = $fy
            LEFT JOIN kpi_actuals_current_of(plan_filter := $plan) a
              ON a.kpi_id = dk.kpi_id AND a.fiscal_year = $fy
            LEFT JOIN (
                SELECT n.kpi_id, n.note, n.upload_id
                FROM kpi_unreported_notes_newest_of(plan_filter := $plan) n
                JOIN uploads nu ON nu.upload_id = n.upload_id
                WHERE n.fiscal_year = $fy AND nu.kind <> 'sample'
            ) n ON n.kpi_id = dk.kpi_id
        ), dp AS (
            SELECT DISTINCT d.department, coalesce(p.relisted_from, p.project_id) AS project_id
            FROM project_departments d
            JOIN projects p ON p.plan_id = d.plan_id AND p.project_id = d.project_id
            WHERE d.plan_id = $plan AND d.role = 'lead'
        ), evaluation_items AS (
            SELECT dp.department, 'evaluation' AS kind, dp.project_id AS item_id, p.name,
                   dp.project_id, true AS expected,
                   e.project_id IS NOT NULL AND (e.progress IS NOT NULL OR e.activities IS NOT NULL
                       OR e.reason IS NOT NULL OR e.issues IS NOT NULL
                       OR e.direction IS NOT NULL) AS answered,
                   NULL::VARCHAR AS note, e.upload_id, p.seq
            FROM dp
            JOIN projects p ON p.plan_id = $plan AND p.project_id = dp.project_id
            LEFT JOIN project_evaluations_current e
              ON e.plan_id = $plan AND e.project_id = dp.project_id AND e.fiscal_year = $fy
        ), items AS (
            SELECT * FROM kpi_items UNION ALL SELECT * FROM evaluation_items
        )
        SELECT i.department, i.kind, i.item_id, i.name, i.project_id, i.expected, i.answered,
               i.note, i.upload_id, u.uploaded_at, u.filename
        FROM items i
        LEFT JOIN uploads u ON u.upload_id = i.upload_id
        ORDER BY i.department, i.kind DESC, i.seq, i.item_id
        """,
        {"plan": plan_id, "fy": int(fy)},
    ).df()


def insert_year_lock(
    con: duckdb.DuckDBPyConnection,
    *,
    plan_id: str,
    fiscal_year: int,
    action: str,
    reason: str,
    by: str,
    at: dt.datetime,
) -> int:
    row = con.execute(
        "INSERT INTO year_locks (plan_id, fiscal_year, action, reason, done_by, done_at) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING event_id",
        [plan_id, int(fiscal_year), action, reason, by, at],
    ).fetchone()
    assert row is not None
    return int(row[0])


def locked_years(con: duckdb.DuckDBPyConnection, plan_ids: list[str] | None = None) -> pd.DataFrame:
    """The (plan, year)s locked now, with the lock's reason, who and when."""
    return con.execute(
        f"SELECT plan_id, fiscal_year, reason, done_by, done_at FROM year_lock_state "
        f"WHERE locked AND {_PLAN_FILTER} ORDER BY plan_id, fiscal_year",
        _plan_ids_param(plan_ids),
    ).df()


def year_lock_events(con: duckdb.DuckDBPyConnection, plan_id: str | None = None) -> pd.DataFrame:
    """Every lock and unlock, newest first (they belong to the history)."""
    return con.execute(
        "SELECT event_id, plan_id, fiscal_year, action, reason, done_by, done_at FROM year_locks "
        "WHERE ? IS NULL OR plan_id = ? ORDER BY event_id DESC",
        [plan_id, plan_id],
    ).df()


def evaluation_rows(con: duckdb.DuckDBPyConnection, plan_id: str) -> pd.DataFrame:
    """Every project that is evaluated (再掲 entries are evaluated under their original), in
    printed order: the 事業評価 sheet of the yearly template."""
    return con.execute(
        """
        SELECT p.project_id, p.name AS project_name
        FROM projects p
        JOIN measures m ON m.plan_id = p.plan_id AND m.measure_id = p.measure_id
        WHERE p.plan_id = ? AND p.relisted_from IS NULL
        ORDER BY m.policy_no, m.seq, p.seq
        """,
        [plan_id],
    ).df()


# ---------------------------------------------------------------- outlook (見込み, issue #15)


def outlook(con: duckdb.DuckDBPyConnection, plan_id: str, grading: Grading) -> pd.DataFrame:
    """kpi_outlook of one plan: every KPI and as-of year, with the configured bands."""
    return con.execute(
        "SELECT * FROM kpi_outlook_of(?, ?, plan_filter := ?) ORDER BY kpi_id, as_of_year",
        [grading.grade_b_min, grading.grade_c_min, plan_id],
    ).df()


def outlook_backtest_rows(
    con: duckdb.DuckDBPyConnection, grading: Grading, plan_id: str | None = None
) -> pd.DataFrame:
    """For every KPI whose final year has a graded actual: its outlook as of each earlier year
    beside the grade the final year got (the same bands)."""
    return con.execute(
        """
        SELECT o.plan_id, o.kpi_id, o.as_of_year, o.final_year, o.points, o.outlook_grade,
               o.projected_value, s.actual_value AS final_actual, s.grade AS final_grade,
               o.is_sample OR coalesce(s.is_sample, false) AS is_sample
        FROM kpi_outlook_of($b, $c, plan_filter := $plan) o
        JOIN kpi_status_at(current_date, $b, $c, plan_filter := $plan) s
            ON s.plan_id = o.plan_id AND s.kpi_id = o.kpi_id AND s.fiscal_year = o.final_year
        WHERE o.as_of_year < o.final_year AND s.grade IN ('A', 'B', 'C', 'D')
        ORDER BY o.plan_id, o.kpi_id, o.as_of_year
        """,
        {"b": grading.grade_b_min, "c": grading.grade_c_min, "plan": plan_id},
    ).df()
