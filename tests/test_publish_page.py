"""報告書・データ出力 offers the public site as a zip (issue #16): never fictional data by
default, comments only when asked for."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from etl import cli
from kpi.config import ROOT, load_settings
from tests.downloads import download, record_downloads


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> str:
    db = tmp_path_factory.mktemp("publish-page") / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0
    return str(db)


@pytest.fixture
def reports_page(sample_db, monkeypatch) -> Iterator[AppTest]:
    monkeypatch.setenv("KPI_DB", sample_db)
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    load_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/reports.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at
    load_settings.cache_clear()


def test_site_zip_waits_for_consent_while_sample_data_is_shown(reports_page, monkeypatch):
    seen = record_downloads(monkeypatch)
    at = reports_page
    button = at.download_button(key="dl-site")
    assert button.disabled  # fictional values are never published by default
    assert at.checkbox(key="site-comments").value is False  # comments may be internal
    at.checkbox(key="site-sample").check().run()
    button = at.download_button(key="dl-site")
    assert not button.disabled
    name, data = download(at, seen, button.label)
    assert name and name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pages = [n for n in z.namelist() if n.endswith(".html")]
        assert len(pages) == 4  # index and one page per 基本方針
        assert all("架空" in z.read(n).decode() for n in pages)
        assert any(n.endswith(".pdf") for n in z.namelist())
