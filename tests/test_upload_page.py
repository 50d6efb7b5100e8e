"""AppTest of the upload page: login, a bad file, preview, commit, rollback."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from etl import cli
from etl.template import HEADER_ROW, HEADERS
from kpi import repository
from kpi.auth import hash_password
from kpi.config import ROOT, load_settings
from tests import db_helpers
from tests.downloads import download, record_downloads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PASSWORD = "ict-division"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The seed plan with the sample actuals, built once for the module (as `make run` does)."""
    path = tmp_path_factory.mktemp("upload") / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(path)]) == 0
    return path


@pytest.fixture
def db(built, tmp_path, monkeypatch):
    """A private copy of the built database for each test."""
    path = tmp_path / "kpi.duckdb"
    shutil.copyfile(built, path)
    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    monkeypatch.setenv("KPI_UPLOAD_PASSWORD_HASH", hash_password(PASSWORD, iterations=1_000))
    load_settings.cache_clear()
    st.cache_resource.clear()  # the login throttle is process-wide
    yield path
    load_settings.cache_clear()


def upload_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/upload.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def login(at: AppTest, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login_name").input("情報 花子")
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "ログイン").click()
    return at.run()


def filled_template(tmp_path, value: object = 250, kpi: str = "1-3-1-1") -> bytes:
    """The template from the CLI, filled in as a clerk would (one value)."""
    out = tmp_path / "t.xlsx"
    assert cli.main(["template", "--fy", "2025", "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["実績"]
    id_col = HEADERS.index("指標ID") + 1
    value_col = HEADERS.index("実績値") + 1
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(row=r, column=id_col).value == kpi:
            ws.cell(row=r, column=value_col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def current_value(path, kpi="1-3-1-1", fy=2025):
    with repository.open_db(path) as con:
        df = repository.current_actuals_of(con, ["hadano-r3-r7"])
    row = df[(df["kpi_id"] == kpi) & (df["fiscal_year"] == fy)]
    return float(row["actual_value"].iloc[0])


def test_login_required_and_wrong_password_refused(db):
    at = upload_page()
    assert not at.file_uploader  # nothing to upload with before signing in
    at = login(at, "wrong")
    assert any("パスワード" in e.value for e in at.error)
    assert not at.file_uploader


def test_a_forgotten_name_is_not_a_failed_password(db):
    at = upload_page()
    for _ in range(4):
        at.text_input(key="login_password").input("wrong")
        next(b for b in at.button if b.label == "ログイン").click()
        at.run()
        assert any("お名前を入力" in e.value for e in at.error)
    at = login(at)  # no wait imposed by the forgotten names
    assert at.file_uploader, [e.value for e in at.error]


def test_a_wrong_password_says_how_long_to_wait_never_zero_seconds(db):
    at = login(upload_page(), "wrong")
    message = " ".join(e.value for e in at.error)
    assert "パスワードが違います" in message and "1 秒" in message
    at = login(at, "wrong again")  # refused by the throttle or checked: a wait either way
    message = " ".join(e.value for e in at.error)
    assert re.search(r"[1-9]\d* 秒", message) and "0 秒" not in message
    assert not at.file_uploader


def test_without_any_authentication_nobody_uploads(db, monkeypatch):
    monkeypatch.delenv("KPI_UPLOAD_PASSWORD_HASH")
    at = upload_page()
    assert any("認証が設定されていません" in e.value for e in at.error)
    assert not at.file_uploader


def test_bad_file_shows_problem_table_and_loads_nothing(db):
    before = _snapshot(db)
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("bad.xlsx", b"id,value\n1,2\n", XLSX).run()
    assert not at.exception
    problems = next(d.value for d in at.dataframe if "コード" in d.value.columns)
    assert list(problems["コード"]) == ["FILE_CSV"]
    assert not any(b.label == "この内容で取り込む" for b in at.button)
    assert _snapshot(db) == before


def test_cell_errors_name_the_cell(db, tmp_path):
    data = filled_template(tmp_path, value="たくさん")
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("t.xlsx", data, XLSX).run()
    problems = next(d.value for d in at.dataframe if "コード" in d.value.columns)
    assert list(problems["コード"]) == ["BAD_NUMBER"]
    assert problems["セル"].iloc[0].startswith("H")


def test_preview_then_confirm_then_rollback(db, tmp_path):
    old = current_value(db)
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("t.xlsx", filled_template(tmp_path), XLSX).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["変更"] == "1 件"
    assert current_value(db) == old  # preview writes nothing
    next(b for b in at.button if b.label == "この内容で取り込む").click()
    at.run()
    assert any("取り込みました" in s.value for s in at.success)
    assert current_value(db) == 250.0

    # history lists it; rolling it back makes the old value current again
    at = upload_page()
    login(at)
    history = next(d.value for d in at.dataframe if "取込番号" in d.value.columns)
    latest = int(history["取込番号"].max())
    at.selectbox(key="rollback_target").set_value(latest)
    at.checkbox(key="rollback_sure").check()
    at.run()
    # Before confirming: which value goes back to what.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["以前の値に戻る"] == "1 件" and metrics["値がなくなる"] == "0 件"
    effect = next(d.value for d in at.dataframe if "取消後の値" in d.value.columns)
    assert list(effect["現在の値"]) == ["250"] and list(effect["取消後の値"]) == [f"{old:,.15g}"]
    assert current_value(db) == 250.0
    next(b for b in at.button if b.label == "取り消す").click()
    at.run()
    assert any(f"取込番号 {latest} を取り消しました" in s.value for s in at.success)
    assert current_value(db) == old


def test_rolling_back_the_sample_removes_the_banner(db):
    at = login(upload_page())
    assert any("架空" in w.value for w in at.warning)
    history = next(d.value for d in at.dataframe if "取込番号" in d.value.columns)
    sample = int(history.loc[history["種別"] == "サンプル（架空）", "取込番号"].iloc[0])
    at.selectbox(key="rollback_target").set_value(sample)
    at.checkbox(key="rollback_sure").check()
    at.run()
    next(b for b in at.button if b.label == "取り消す").click()
    at.run()
    assert not any("架空" in w.value for w in at.warning)


def test_template_download_is_offered(db, monkeypatch):
    seen = record_downloads(monkeypatch)
    at = upload_page()
    assert at.selectbox(key="template_fy").value == 2025
    name, data = download(at, seen, "テンプレートをダウンロード")
    assert name == "実績入力_2025.xlsx"
    ws = openpyxl.load_workbook(io.BytesIO(data))["実績"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header[: len(HEADERS)] == HEADERS
    years = {
        ws.cell(row=r, column=HEADERS.index("年度") + 1).value
        for r in range(HEADER_ROW + 1, ws.max_row + 1)
    }
    assert years == {"令和7年度"}  # FY2025, prefilled on every row


def _snapshot(path):
    with repository.open_db(path) as con:
        return db_helpers.snapshot(con)


def test_oidc_mode_offers_the_identity_provider_login(db, monkeypatch):
    monkeypatch.delenv("KPI_UPLOAD_PASSWORD_HASH")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    at.secrets["kpi_auth"] = {"allowed_emails": ["joho@city.example.lg.jp"]}
    at.run()
    at.switch_page("views/upload.py")
    at.run()
    assert not at.exception
    assert any(b.label == "ログイン" for b in at.button)
    assert not at.file_uploader  # not signed in: nothing to upload with
    assert not any(t.key == "login_password" for t in at.text_input)  # no password form


def test_uploaded_text_is_shown_as_text_never_markup():
    from ui.format import md

    hostile = "<script>alert(1)</script> **太字** [リンク](http://example.com)"
    escaped = md(hostile)
    assert "<script>" not in escaped and "\\<script\\>" in escaped
    assert "\\*\\*太字\\*\\*" in escaped and "\\[リンク\\]\\(http" in escaped


# ------------------------------------------------ issue #10 item 11: after a commit / rollback


def test_after_a_commit_the_preview_is_gone_and_rollback_offers_that_upload(db, tmp_path):
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("t.xlsx", filled_template(tmp_path), XLSX).run()
    # the rollback box, drawn before the commit, offers the newest upload then: the sample
    sample = at.selectbox(key="rollback_target").value
    next(b for b in at.button if b.label == "この内容で取り込む").click()
    at.run()
    assert any("取り込みました" in s.value for s in at.success)
    assert not any(b.label == "この内容で取り込む" for b in at.button)  # no second commit
    assert not any("新しい値" in d.value.columns for d in at.dataframe)  # preview cleared
    history = next(d.value for d in at.dataframe if "取込番号" in d.value.columns)
    newest = int(history["取込番号"].max())
    assert newest != sample
    assert at.selectbox(key="rollback_target").value == newest


def test_the_confirmation_is_reset_after_a_rollback_and_on_another_choice(db, tmp_path):
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("t.xlsx", filled_template(tmp_path), XLSX).run()
    next(b for b in at.button if b.label == "この内容で取り込む").click()
    at.run()
    history = next(d.value for d in at.dataframe if "取込番号" in d.value.columns)
    newest = int(history["取込番号"].max())
    sample = int(history.loc[history["種別"] == "サンプル（架空）", "取込番号"].iloc[0])
    at.checkbox(key="rollback_sure").check()
    at.run()
    at.selectbox(key="rollback_target").set_value(sample).run()  # another upload: ask again
    assert at.checkbox(key="rollback_sure").value is False
    at.selectbox(key="rollback_target").set_value(newest).run()
    at.checkbox(key="rollback_sure").check()
    at.run()
    next(b for b in at.button if b.label == "取り消す").click()
    at.run()
    assert any("を取り消しました" in s.value for s in at.success)
    assert at.checkbox(key="rollback_sure").value is False
    assert next(b for b in at.button if b.label == "取り消す").disabled


# ------------------------------------------------ issue #10 item 13: what the clerk reads


def test_the_error_table_leads_with_the_kpi_then_what_to_do(db, tmp_path):
    at = login(upload_page())
    data = filled_template(tmp_path, value="たくさん", kpi="2-5-3-3")
    at.file_uploader(key="actuals_file").upload("t.xlsx", data, XLSX).run()
    table = next(d.value for d in at.dataframe if "コード" in d.value.columns)
    assert list(table.columns[:4]) == ["指標ID", "指標名", "内容", "直し方"]
    assert list(table.columns[-3:]) == ["シート", "ファイル", "コード"]
    row = table.iloc[0]
    assert row["指標ID"] == "2-5-3-3" and "インシデント" in row["指標名"]
    assert row["コード"] == "BAD_NUMBER"


def test_a_blank_template_warns_and_cannot_be_committed(db, tmp_path):
    out = tmp_path / "blank.xlsx"
    assert cli.main(["template", "--fy", "2025", "--out", str(out)]) == 0
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("blank.xlsx", out.read_bytes(), XLSX).run()
    assert any("1 件も入っていません" in w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "この内容で取り込む").disabled


def test_the_kpis_without_a_value_are_listed_not_only_counted(db, tmp_path):
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("t.xlsx", filled_template(tmp_path), XLSX).run()
    missing = next(
        d.value for d in at.dataframe if list(d.value.columns) == ["指標ID", "指標名", "年度"]
    )
    assert len(missing) == 34 and "1-3-1-1" not in set(missing["指標ID"])
    assert set(missing["年度"]) == {"令和7年度 (2025)"}
    assert not next(b for b in at.button if b.label == "この内容で取り込む").disabled


def test_a_value_that_did_not_exist_reads_as_a_dash_not_none(db, tmp_path):
    at = login(upload_page())
    data = filled_template(tmp_path, value=12345.5, kpi="1-3-1-1")
    at.file_uploader(key="actuals_file").upload("t.xlsx", data, XLSX).run()
    table = next(d.value for d in at.dataframe if "新しい値" in d.value.columns)
    assert "None" not in table.astype(str).to_string()
    row = table[table["指標ID"] == "1-3-1-1"].iloc[0]
    assert row["新しい値"] == "12,345.5"
