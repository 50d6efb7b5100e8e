"""The yearly round and the plan's end in a real browser (issues #13 and #14): the files of
several departments dropped at once, one refused with its problems and one loaded; the 回答状況
counts moving; the 総括 page and its PDF; the 計画 tab's blank plan workbook."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from etl import cli
from tests.browser import (
    app_env,
    chromium_page,
    require_chromium,
    sample_database,
    streamlit_server,
    wait_for_app,
)
from tests.test_round import fill

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "round-browser-test"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require_chromium()
    base = tmp_path_factory.mktemp("round-browser")
    db = sample_database(base)
    out = base / "round"
    args = ["round-templates", "--fy", "2025", "--out", str(out), "--db", str(db)]
    assert cli.main(args) == 0
    with streamlit_server(app_env(db, PASSWORD)) as url:
        yield url, out


def login(page, url: str) -> None:
    page.goto(f"{url}/upload")
    wait_for_app(page)
    page.get_by_label("お名前").fill("情報 花子")
    page.get_by_label("取込用パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    # signed in once the rerun has drawn the logout button: a click during that rerun would
    # hit an element about to be replaced (a download's file id changes with each run)
    page.get_by_role("button", name="ログアウト").wait_for()
    wait_for_app(page)


def metric(page, label: str) -> str:
    box = page.locator("[data-testid=stMetric]").filter(has_text=label).first
    return box.locator("[data-testid=stMetricValue]").inner_text()


def test_a_round_of_files_one_refused_one_loaded(app, tmp_path):
    url, round_dir = app
    good, bad = sorted(round_dir.glob("*.xlsx"))[:2]
    (tmp_path / good.name).write_bytes(fill(good.read_bytes()))
    # a clerk typed words where a number belongs: the file is refused, the other one is not
    wb = openpyxl.load_workbook(io.BytesIO(fill(bad.read_bytes())))
    ws = wb["実績"]
    value_cell = next(  # the first value the clerk filled in
        c for row in ws.iter_rows() for c in row if c.value == 50 and c.column_letter == "H"
    )
    value_cell.value = "五十"
    wb.save(tmp_path / bad.name)

    with chromium_page() as page:
        login(page, url)
        page.get_by_role("tab", name="照会・回答状況").click()
        submitted_before = metric(page, "提出済")
        uploader = page.get_by_label(re.compile("^各課から届いたファイル")).get_by_test_id(
            "stFileUploaderDropzoneInput"
        )
        uploader.set_input_files([str(tmp_path / good.name), str(tmp_path / bad.name)])
        commit = page.get_by_role("button", name="取込可のファイル 1 件を取り込む")
        commit.wait_for()
        # the refused file's problems are open under its name (the table is a canvas: its
        # cells are checked by the AppTests of the round page)
        refused = page.locator("[data-testid=stExpander]").filter(has_text=bad.name)
        assert f"{bad.name}（1 件）" in refused.inner_text()
        assert "取り込まれていません" in refused.inner_text()
        page.screenshot(path=str(tmp_path / "round-check.png"))
        commit.click()
        page.wait_for_selector("text=ファイルを取り込みました")
        wait_for_app(page)
        assert int(metric(page, "提出済").split()[0]) == int(submitted_before.split()[0]) + 1
        page.screenshot(path=str(tmp_path / "round-done.png"))


def test_final_review_page_and_its_pdf(app, tmp_path):
    url, _ = app
    with chromium_page() as page:
        page.goto(f"{url}/final_review")
        wait_for_app(page)
        body = page.locator("[data-testid=stMain]").inner_text()
        assert "総括" in page.locator("h1").first.inner_text()
        assert "架空" in body  # the sample is said to be the sample
        with page.expect_download(timeout=90_000) as download:
            page.get_by_role("button", name="総括を PDF でダウンロード").click()
        pdf = download.value.path().read_bytes()
        assert pdf.startswith(b"%PDF")
        page.screenshot(path=str(tmp_path / "final-review.png"))


def test_the_plan_tab_gives_a_blank_plan_workbook(app, tmp_path):
    url, _ = app
    with chromium_page() as page:
        login(page, url)
        page.get_by_role("tab", name="計画").click()
        wait_for_app(page)
        with page.expect_download(timeout=90_000) as download:
            page.get_by_role("button", name="空の計画ワークブックをダウンロード").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        wb = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
        assert {"計画", "基本方針", "事業推進計画", "個別事業", "取組", "評価指標"} <= set(
            wb.sheetnames
        )
