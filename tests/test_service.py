"""kpi.service: the app's short-lived database access, including upgrading an older file."""

from __future__ import annotations

from kpi import repository, service


def columns(settings, view: str) -> list[str]:
    with repository.open_db(settings.db_path, read_only=True) as con:
        return [c[0] for c in con.execute(f"DESCRIBE {view}").fetchall()]


def test_an_older_database_gains_the_new_view_columns(seed_db):
    # A file made by an earlier release: its views lack is_sample.
    with repository.open_db(seed_db.db_path) as con:
        con.execute(
            "CREATE OR REPLACE VIEW kpi_status AS "
            "SELECT plan_id, kpi_id, fiscal_year, grade FROM kpi_status_at(current_date, 80, 50)"
        )
    assert "is_sample" not in columns(seed_db, "kpi_status")
    service.ensure_schema(seed_db)
    assert "is_sample" in columns(seed_db, "kpi_status")
    assert not service.plans(seed_db).empty


def test_an_empty_file_is_left_empty_for_build_to_fill(settings):
    with repository.open_db(settings.db_path):
        pass
    service.ensure_schema(settings)
    with repository.open_db(settings.db_path, read_only=True) as con:
        assert not repository.schema_ready(con)
