"""Behaviour added for national scale (issue 6): many plans in one database, large files.

Timings are not asserted here (they live in docs/benchmarks.md); these tests pin what the
faster paths must keep: the same results, the same refusals, one plan's data only.
"""

from __future__ import annotations

import datetime as dt
import io
import zlib
from collections.abc import Sequence

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from etl import guard
from etl.actuals_loader import commit_actuals, load_catalog
from etl.actuals_reader import read_actuals
from etl.plan_loader import load_plan
from etl.problems import InputRejected
from etl.xlsx import read_sheets
from kpi import repository
from kpi.config import ROOT, Limits, load_settings
from tests import db_helpers
from tests.test_guard import SHEET, deflate, members_of, with_sheet

PLAN_ID = "hadano-r3-r7"


def actuals_book(rows: Sequence[Sequence[object]], headers=("指標ID", "年度", "実績値")) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "実績"
    ws.append(list(headers))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def copies_of_the_seed(con, n: int) -> list[str]:
    """n fictional copies of the seed plan (架空市0001…), loaded in one statement per table."""
    content = db_helpers.plans_content(con, [PLAN_ID])
    ids = [f"fake-{i:04d}" for i in range(1, n + 1)]
    tables = {}
    for table, frame in content.items():
        parts = []
        for i, pid in enumerate(ids, start=1):
            part = frame.assign(plan_id=pid)
            if table == "plans":
                part = part.assign(
                    name=f"架空市{i:04d} 情報化推進計画（架空）", organization="架空"
                )
            parts.append(part)
        tables[table] = pd.concat(parts, ignore_index=True)
    with repository.transaction(con):
        repository.replace_plan(con, tables)
    return ids


# ------------------------------------------------------------------ guard and sheet reading


@pytest.fixture
def small_sheets_deferred(monkeypatch):
    """Treat every worksheet part as 'large': the guard leaves CRC and size to etl.xlsx."""
    monkeypatch.setattr(guard, "DEFER_SHEET_BYTES", 1)


def _workbook() -> bytes:
    return actuals_book([["1-2-1-1", 2025, 8300]])


def _bad_crc() -> bytes:
    sheet = deflate(SHEET, members_of(_workbook())[SHEET])
    sheet.crc ^= 1
    return with_sheet(_workbook(), sheet)


def _runs_past_its_size() -> bytes:
    content = members_of(_workbook())[SHEET]
    sheet = deflate(SHEET, content)
    sheet.size, sheet.crc = len(content) - 40, zlib.crc32(content[: len(content) - 40])
    return with_sheet(_workbook(), sheet)


@pytest.mark.parametrize("broken", [_bad_crc, _runs_past_its_size])
def test_sheet_reader_checks_crc_and_size_itself(broken, small_sheets_deferred, catalog):
    """The guard leaves a large sheet part's CRC and size to etl.xlsx, which must refuse a
    broken one on its own (here even without the guard), and the upload is refused whole."""
    data = broken()
    with pytest.raises(InputRejected) as e:
        read_sheets(data, ["実績"])
    assert [p.code for p in e.value.problems] == ["FILE_CORRUPT"]
    result = read_actuals(data, "t.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert [p.code for p in result.problems] == ["FILE_CORRUPT"]
    assert result.rows.empty


def test_guard_reads_a_large_sheet_part_only_through_its_prolog(monkeypatch):
    """Past DEFER_SHEET_BYTES the guard stops after the XML prolog (the reader inflates the
    part anyway); a lying part that size is then refused by the reader, not the guard."""
    content = b"<worksheet><sheetData>" + b"<row/>" * 400_000 + b"</sheetData></worksheet>"
    sheet = deflate(SHEET, content)
    sheet.size, sheet.crc = len(content) - 1000, zlib.crc32(content[: len(content) - 1000])
    data = with_sheet(_workbook(), sheet)
    assert [p.code for p in guard.check_workbook_bytes(data)] == ["FILE_CORRUPT"]
    monkeypatch.setattr(guard, "DEFER_SHEET_BYTES", 1_000_000)
    assert guard.check_workbook_bytes(data) == []
    with pytest.raises(InputRejected):
        read_sheets(data, ["実績"])


def test_large_sheet_with_a_dtd_is_still_refused_by_the_guard(small_sheets_deferred):
    content = members_of(_workbook())[SHEET]
    evil = content.replace(b"<worksheet", b"<!DOCTYPE x [<!ENTITY a 'b'>]><worksheet", 1)
    data = with_sheet(_workbook(), deflate(SHEET, evil))
    assert [p.code for p in guard.check_workbook_bytes(data)] == ["FILE_XML_ENTITY"]


@pytest.fixture
def catalog(plan_con):
    return load_catalog(plan_con)


def test_catalog_of_the_plans_a_file_names(plan_con, settings):
    """A city's file in a national database loads the catalog of its own plan only."""
    copies_of_the_seed(plan_con, 3)
    asked: list[list[str]] = []

    def catalog_for(plan_ids):
        asked.append(sorted(plan_ids))
        return load_catalog(plan_con, plan_ids)

    data = actuals_book([["1-2-1-1", 2025, 8300]])
    result = read_actuals(data, "t.xlsx", catalog_for, plan_id="fake-0002", limits=Limits())
    assert result.ok and asked == [["fake-0002"]]
    assert list(result.rows["plan_id"]) == ["fake-0002"]
    # A 計画ID column names the plans; the default plan is included for rows without one.
    data = actuals_book(
        [["fake-0003", "1-2-1-1", 2025, 1], [None, "1-2-1-1", 2024, 2]],
        headers=("計画ID", "指標ID", "年度", "実績値"),
    )
    result = read_actuals(data, "t.xlsx", catalog_for, plan_id="fake-0001", limits=Limits())
    assert result.ok and asked[-1] == ["fake-0001", "fake-0003"]


# ------------------------------------------------------------------ many plans, one database


def test_upload_rows_in_one_statement_keep_the_frame_order(con):
    plans = [f"p{i:03d}" for i in range(50)][::-1]
    frame = pd.DataFrame(
        {
            "kind": "actuals",
            "plan_id": plans,
            "filename": "f.xlsx",
            "sha256": "x",
            "uploaded_at": dt.datetime(2026, 5, 1),
            "uploaded_by": "t",
            "rows_new": range(50),
            "rows_changed": 0,
            "rows_unchanged": 0,
            "rows_skipped": 0,
        }
    )
    ids = repository.insert_uploads(con, frame)
    assert [ids[p] for p in plans] == list(range(1, 51))
    stored = con.execute(
        "SELECT plan_id, rows_new, status FROM uploads ORDER BY upload_id"
    ).fetchall()
    assert stored == [(p, i, "active") for i, p in enumerate(plans)]


def test_national_commit_writes_one_upload_per_plan(plan_con, settings):
    ids = copies_of_the_seed(plan_con, 5)
    rows = [(pid, "1-2-1-1", 2025, 8000 + i) for i, pid in enumerate([PLAN_ID, *ids])]
    data = actuals_book(rows, headers=("計画ID", "指標ID", "年度", "実績値"))
    result = commit_actuals(plan_con, data, "national.xlsx", by="t", settings=settings)
    assert len(result.upload_ids) == 6
    got = plan_con.execute(
        "SELECT u.plan_id, a.actual_value FROM kpi_actuals a JOIN uploads u USING (upload_id) "
        "ORDER BY u.upload_id"
    ).fetchall()
    assert got == [(pid, float(value)) for pid, _, _, value in rows]


def test_plan_reload_compares_every_plan_at_once(plan_con, settings, plan_bytes):
    """Loading a workbook of several plans again writes only the plans that changed."""
    ids = copies_of_the_seed(plan_con, 2)
    content = db_helpers.plans_content(plan_con, [PLAN_ID, *ids])
    assert set(content["plans"]["plan_id"]) == {PLAN_ID, *ids}
    # The seed workbook again: nothing changes for any plan.
    result = load_plan(plan_con, plan_bytes, "plan.xlsx", by="t", settings=settings)
    assert not result.changed and result.upload_ids == []
    # One KPI name edited in the seed workbook: only the seed plan is rewritten.
    wb = openpyxl.load_workbook(io.BytesIO(plan_bytes))
    ws = wb["評価指標"]
    ws.cell(row=2, column=4).value = str(ws.cell(row=2, column=4).value) + "（改）"
    buf = io.BytesIO()
    wb.save(buf)
    result = load_plan(plan_con, buf.getvalue(), "plan.xlsx", by="t", settings=settings)
    [change] = result.changes
    assert change.plan_id == PLAN_ID and change.changed and len(change.kpis_changed) == 1
    assert len(result.upload_ids) == 1
    others = db_helpers.plans_content(plan_con, ids)
    for table, frame in others.items():
        expected = content[table][content[table]["plan_id"] != PLAN_ID]
        assert sorted(map(repr, frame.itertuples(index=False))) == sorted(
            map(repr, expected.itertuples(index=False))
        ), table


def test_one_plans_grades_read_only_that_plans_rows(plan_con, settings):
    """kpi_status_at(plan_filter) filters every table where it is read (EXPLAIN ANALYZE)."""
    from kpi.config import Grading

    ids = copies_of_the_seed(plan_con, 30)
    rows = [[pid, k, 2025, 10] for pid in (PLAN_ID, *ids) for k in ("1-2-1-1", "1-2-1-2")]
    data = actuals_book(rows[:-1], headers=("計画ID", "指標ID", "年度", "実績値"))
    commit_actuals(plan_con, data, "national.xlsx", by="t", settings=settings)
    before = repository.status(plan_con, PLAN_ID, dt.date(2026, 11, 25), Grading())
    assert before["actual_value"].notna().sum() == 2
    copies_of_the_seed(plan_con, 60)  # more plans (their actuals stay): the same answer
    after = repository.status(plan_con, PLAN_ID, dt.date(2026, 11, 25), Grading())
    pd.testing.assert_frame_equal(before, after)
    read = rows_read(
        plan_con,
        f"SELECT * FROM kpi_status_at(DATE '2026-11-25', 80, 50, plan_filter := '{PLAN_ID}')",
    )
    # Every table is read for this plan only (a filter after the year expansion read all
    # 61 plans' KPIs and plans).
    assert read["kpis"] == len(before["kpi_id"].unique())
    assert read["plans"] == 1
    assert read["kpi_targets"] <= len(before)
    assert read["kpi_actuals"] == 2  # of the 61 stored
    # Current values of one plan: only its history is read.
    read = rows_read(plan_con, f"SELECT * FROM kpi_actuals_current WHERE plan_id = '{PLAN_ID}'")
    assert read["kpi_actuals"] == 2


def rows_read(con, sql: str) -> dict[str, int]:
    """Table -> most rows one scan of it returned (after the filters pushed into the scan),
    from DuckDB's own profile of the query."""
    import json

    profile = json.loads(con.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql).fetchall()[0][1])
    read: dict[str, int] = {}

    def walk(node: dict) -> None:
        if node.get("type") == "TABLE_SCAN":
            table = node["extra_info"]["Table"].rsplit(".", 1)[-1].strip('"')
            read[table] = max(read.get(table, 0), int(node["intermediate_rows"]))
        for child in node.get("children", []):
            walk(child)

    for node in profile["operator"]:
        walk(node)
    return read


# ------------------------------------------------------------------ the app with many plans


@pytest.fixture
def many_plans_db(seed_db):
    with repository.open_db(seed_db.db_path) as con:
        ids = copies_of_the_seed(con, 60)
    return seed_db, ids


def _app(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("KPI_DB", str(db))
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    monkeypatch.delenv("KPI_UPLOAD_PASSWORD_HASH", raising=False)
    load_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_plan_selector_with_many_plans(many_plans_db, monkeypatch):
    settings, _ = many_plans_db
    at = _app(settings.db_path, monkeypatch)
    box = at.sidebar.selectbox(key="plan")
    assert len(box.options) == 61
    assert any("架空市0042" in o for o in box.options)
    box.set_value("fake-0042").run()
    assert not at.exception
    assert "架空市0042" in "\n".join(c.value for c in at.caption)
    # Going back to the seed plan shows it again (cached per plan, not mixed up).
    at.sidebar.selectbox(key="plan").set_value(PLAN_ID).run()
    assert "秦野市" in "\n".join(c.value for c in at.caption)
    load_settings.cache_clear()


def test_an_upload_reaches_the_cached_pages(seed_db, monkeypatch):
    """Per-filter-set caches are keyed by the database version: a commit shows at once."""
    at = _app(seed_db.db_path, monkeypatch)
    metrics = {m.label: m.value for m in at.metric}
    before = metrics["評価済"]
    data = actuals_book([[k, 2025, 1] for k in ("1-2-1-1", "1-2-1-2", "1-3-1-1")])
    with repository.open_db(seed_db.db_path) as con:
        commit_actuals(con, data, "a.xlsx", by="t", settings=seed_db)
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["評価済"] != before
    load_settings.cache_clear()
