"""Issue #10 item 14: words that leak to users (English from Streamlit, 「root」, CLI commands)."""

from __future__ import annotations

import tomllib
from types import SimpleNamespace

from kpi.config import ROOT, load_settings
from tests.test_pages import app_env, open_page, sample_db, texts  # noqa: F401  (fixtures)


def test_streamlit_upload_limit_is_the_limit_of_config_toml():
    streamlit = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    limit_mb = streamlit["server"]["maxUploadSize"]
    max_bytes = load_settings().limits.max_file_bytes
    # Streamlit counts MB of 2**20 bytes: its limit lets every file through that the guard
    # accepts, and says the same number of MB as the page does.
    assert limit_mb == max_bytes // 1_000_000
    assert limit_mb * 2**20 >= max_bytes


def test_the_sidebar_offers_no_english_select_all(app_env):  # noqa: F811
    at = open_page("views/overview.py")
    for key in ("policy", "measure", "dept", "grade"):
        assert at.sidebar.multiselect(key=key).proto.select_all == 0


def test_the_reports_page_speaks_to_users_not_to_the_terminal(app_env):  # noqa: F811
    at = open_page("views/reports.py")
    text = texts(at)
    assert "python -m" not in text and "= + - @" not in text


def test_the_operator_is_named_by_the_full_name_the_system_knows(monkeypatch):
    import pwd

    from etl import who

    monkeypatch.setattr(pwd, "getpwuid", lambda uid: SimpleNamespace(pw_gecos="情報 花子,,,"))
    assert who.operator_name() == "情報 花子"
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: SimpleNamespace(pw_gecos=""))
    monkeypatch.setattr(who.getpass, "getuser", lambda: "hanako")
    assert who.operator_name() == "hanako"


def test_dates_are_written_in_the_japanese_era():
    import datetime as dt

    from etl.provenance import date_words

    assert date_words(dt.date(2026, 5, 1)) == "令和8年5月1日"
    assert date_words(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert date_words(dt.date(2019, 4, 30)) == "平成31年4月30日"
