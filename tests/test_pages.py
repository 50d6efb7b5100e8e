"""AppTest for every page: the list is derived from the file system, not written here."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kpi.config import ROOT, load_settings

PAGE_FILES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture
def app_env(seed_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(seed_db.db_path))
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    load_settings.cache_clear()
    yield seed_db
    load_settings.cache_clear()


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page(page)
    at.run()
    return at


@pytest.mark.parametrize("page", PAGE_FILES)
def test_page_runs_without_exception(app_env, page):
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"


def test_plan_tree_shows_every_policy_and_project(app_env):
    at = open_page("pages/plan_tree.py")
    headers = [h.value for h in at.header]
    assert len(headers) == 3 and headers[0].startswith("基本方針1")
    text = " ".join(m.value for m in at.markdown)
    assert "2-3-2" in text and "【再掲】" in text
    assert text.count("**") // 2 == 41  # one bold project id per project entry


def test_missing_database_explains_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(tmp_path / "none.duckdb"))
    load_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
        assert not at.exception
        assert "make run" in at.error[0].value
    finally:
        load_settings.cache_clear()
