"""A database made by the first version opens in this one: `make run` on a city's existing
data/kpi.duckdb must keep every value and then accept what the new version adds (a 画面修正
upload, a plan revision with its reason, 事業評価, 確定).

tests/fixtures/v1_database is `EXPORT DATABASE` of the first version's `etl build --sample`
(commit 9a9adc7): its schema.sql (the old CHECK on uploads.kind, no reason column, the old
macros and views) and its data as CSV.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd

from etl import cli
from etl.year_locks import LOCK, set_lock
from kpi import repository, service
from kpi.config import load_settings
from tests.test_round import correct

FIXTURE = Path(__file__).parent / "fixtures" / "v1_database"
PLAN_ID = "hadano-r3-r7"


def v1_database(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    shutil.copytree(FIXTURE, export)
    load = export / "load.sql"
    load.write_text(load.read_text(encoding="utf-8").replace("@DIR@", str(export)), "utf-8")
    db = tmp_path / "kpi.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"IMPORT DATABASE '{export}'")
    return db


def table_rows(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in ("uploads", "kpi_actuals", "kpis", "kpi_targets", "projects")
        }


def test_the_fixture_is_a_first_version_database(tmp_path):
    db = v1_database(tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        (check,) = con.execute(
            "SELECT constraint_text FROM duckdb_constraints() WHERE table_name = 'uploads' "
            "AND constraint_type = 'CHECK' AND constraint_text LIKE '%kind%'"
        ).fetchone() or ("",)
        columns = {r[0] for r in con.execute("DESCRIBE uploads").fetchall()}
    assert "correction" not in check and "reason" not in columns


def test_a_first_version_database_keeps_its_data_and_takes_the_new_kinds(tmp_path):
    db = v1_database(tmp_path)
    before = table_rows(db)
    assert before["kpi_actuals"] > 0

    # what `make run` does on start
    assert cli.main(["build", "--plan", "data/plan.xlsx", "--db", str(db)]) == 0
    after = table_rows(db)
    assert {t: after[t] for t in ("kpi_actuals", "kpis", "kpi_targets", "projects")} == {
        t: before[t] for t in ("kpi_actuals", "kpis", "kpi_targets", "projects")
    }
    assert after["uploads"] >= before["uploads"]

    settings = load_settings().with_db(db)
    data = service.plan_data(settings, PLAN_ID)
    assert data.status["actual_value"].notna().sum() == before["kpi_actuals"]

    edits = pd.DataFrame({"kpi_id": ["1-3-1-1"], "value": [1234], "note": ["訂正"]})
    with repository.open_db(db) as con:
        result = correct(con, settings, 2025, edits)
        assert result.upload_ids
        set_lock(con, PLAN_ID, 2025, action=LOCK, reason="確定", by="t")
        kinds = dict(con.execute("SELECT upload_id, kind FROM uploads").fetchall())
    assert kinds[result.upload_ids[0]] == "correction"
    status = service.plan_data(settings, PLAN_ID).status
    row = status[(status["kpi_id"] == "1-3-1-1") & (status["fiscal_year"] == 2025)]
    assert float(row["actual_value"].iloc[0]) == 1234


def test_the_widening_keeps_columns_added_after_the_first_version(tmp_path):
    """A file with the old CHECK but a column a later schema added (uploads.reason)."""
    db = v1_database(tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE uploads ADD COLUMN reason VARCHAR")
        con.execute("UPDATE uploads SET reason = 'r' || upload_id")
        before = con.execute("SELECT * FROM uploads ORDER BY upload_id").fetchall()
    with repository.open_db(db) as con:
        repository.init_schema(con, load_settings().grading)
        after = con.execute(
            f"SELECT {', '.join(r[0] for r in con.execute('DESCRIBE uploads').fetchall())} "
            "FROM uploads ORDER BY upload_id"
        ).fetchall()
        con.execute(
            "INSERT INTO uploads (kind, filename, sha256, uploaded_at, uploaded_by, status) "
            "VALUES ('correction', 'x', 'x', now(), 't', 'active')"
        )
    assert after == before
