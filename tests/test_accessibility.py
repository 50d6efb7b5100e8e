"""Accessibility, measured with axe-core in Chromium (issue #16, JIS X 8341-3:2016 AA).

Every page of the published site (opened from disk with the network blocked) and every page
of the app (the list comes from ui/navigation.py, so pages added later are checked too) must
have no violation of the WCAG 2.0/2.1 A and AA rules, nor of axe's heading-order rule.
What axe cannot check, and how it was checked by hand, is in docs/accessibility.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from etl.cli_common import write_folder
from etl.publish.site import build_site, csv_name, pdf_name
from kpi import service
from kpi.config import load_settings
from tests.browser import (
    app_env,
    chromium_browser,
    require_chromium,
    sample_database,
    streamlit_server,
    wait_for_app,
)
from ui.navigation import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "axe-check-pw"
FY = 2025
PLAN_ID = "hadano-r3-r7"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "rules": {"heading-order": {"enabled": True}},  # headings in order (best practice)
    "resultTypes": ["violations"],
}


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {n['target']} {n['html'][:120]} | {n['failureSummary'][:200]}"
        for v in result.response["violations"]
        for n in v["nodes"]
    ]


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with chromium_browser() as b:
        yield b


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    return sample_database(tmp_path_factory.mktemp("a11y"))


@pytest.fixture(scope="module")
def site(sample_db, tmp_path_factory) -> Path:
    """The fullest site: the 架空 banner on every page and the comments column. The PDF is a
    placeholder here (its link is what the pages need; test_publish builds the real one
    through the command line), which keeps this browser module lean."""
    out = tmp_path_factory.mktemp("a11y-site")
    settings = replace(load_settings().with_db(sample_db), today_override=dt.date(2026, 11, 25))
    files = build_site(
        service.plan_data(settings, PLAN_ID),
        fiscal_year=FY,
        as_of=settings.today(),
        sources=[],
        grading=settings.grading,
        report=lambda data, filters: b"%PDF-1.4\n",
        with_comments=True,
        allow_sample=True,
    )
    write_folder(out, files)
    return out


def test_site_opened_from_disk_offline_renders_every_chart_and_passes_axe(
    browser, site, sample_db, tmp_path
):
    data = service.plan_data(load_settings().with_db(sample_db), PLAN_ID)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    blocked: list[str] = []

    def only_files(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    charts, problems = 0, {}
    try:
        for html in sorted(site.glob("*.html")):
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            # the stylesheet beside the pages applies (header colour), charts have size and text
            header = page.locator(".site-header").evaluate(
                "e => getComputedStyle(e).backgroundColor"
            )
            assert header == "rgb(31, 78, 121)", html.name
            for svg in page.locator("svg.chart").all():
                box = svg.bounding_box()
                assert box and box["width"] > 300 and box["height"] > 100, html.name
                assert svg.locator("rect").count() >= 1 and svg.locator("text").count() >= 3
                charts += 1
            assert "架空" in page.locator("body > :first-child").inner_text()
            for link in (csv_name(FY), pdf_name(FY)):
                assert page.locator(f'a[href="{link}"]').count() >= 1
            page.keyboard.press("Tab")  # the first stop is the skip link
            assert page.evaluate("document.activeElement.textContent") == "本文へ移動"
            page.screenshot(path=str(tmp_path / f"{html.stem}.png"), full_page=True)
            if found := axe_violations(page):
                problems[html.name] = found
    finally:
        context.close()
    assert problems == {}
    assert charts == len(data.chartable_kpis()) + 1  # every KPI chart, and the policy chart
    assert blocked == []  # nothing asked for the network


def app_paths() -> list[tuple[str, str]]:
    """(name, path) of every app page as ui/navigation.py lists it, plus the states that show
    more: a council screen with KPI cards."""
    paths = [(p.title, "/" if p.default else f"/{Path(p.path).stem}") for p in PAGES]
    if any(p.path == "views/council.py" for p in PAGES):
        paths.append(("庁議モード（指標の画面）", "/council?screen=1"))
    return paths


def open_expanders(page) -> None:
    """Click every closed expander in the page's own script (a pointer click waits for
    Streamlit's animations), then wait until each shows its content."""
    # Clicked again at each poll while closed: a rerun may redraw an expander closed, and a
    # click during its opening animation would close it, hence the half-second polling.
    page.wait_for_function(
        "() => { const closed = [...document.querySelectorAll("
        "'[data-testid=stExpander] details:not([open]) > summary')];"
        " closed.forEach(s => s.click()); return closed.length === 0; }",
        polling=500,
    )
    wait_for_app(page)


def test_every_app_page_has_lang_ja_and_passes_axe(browser, sample_db, tmp_path):
    problems: dict[str, list[str]] = {}
    with streamlit_server(app_env(sample_db, PASSWORD)) as url:
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="ja-JP")
        page.set_default_timeout(30_000)
        try:
            for name, path in app_paths():
                page.goto(url + path)
                wait_for_app(page)
                page.wait_for_function("document.documentElement.lang === 'ja'")
                open_expanders(page)  # what they hold is checked too
                page.screenshot(path=str(tmp_path / f"{path.strip('/') or 'home'}.png"))
                if found := axe_violations(page):
                    problems[name] = found
            # the upload page after login: the uploader and its form
            page.goto(f"{url}/upload")
            wait_for_app(page)
            page.get_by_label("お名前").fill("情報 花子")
            page.get_by_label("取込用パスワード").fill(PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            page.wait_for_selector("input[type=file]", state="attached")
            wait_for_app(page)
            if found := axe_violations(page):
                problems["実績の取込（ログイン後）"] = found
        finally:
            page.close()
    assert problems == {}


# 1.4.10 reflow / 1.4.4 resize: a 1366 px screen zoomed to 200 % is a 683 CSS px viewport.
ZOOMED = {"width": 683, "height": 450}
OVERFLOW = """() => {
  const page = document.scrollingElement || document.documentElement;
  const main = document.querySelector('[data-testid=stMain]');
  return Math.max(page.scrollWidth - page.clientWidth,
                  main ? main.scrollWidth - main.clientWidth : 0);
}"""


def test_site_and_main_app_pages_reflow_at_200_percent_zoom(browser, site, sample_db):
    """No page scrolls sideways at 200 %: wide tables scroll inside their own region."""
    context = browser.new_context(viewport=ZOOMED, device_scale_factor=2, locale="ja-JP")
    page = context.new_page()
    wide: dict[str, int] = {}
    try:
        for html in sorted(site.glob("*.html")):
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            if (overflow := page.evaluate(OVERFLOW)) > 1:
                wide[html.name] = overflow
        with streamlit_server(app_env(sample_db)) as url:
            for path in ("/", "/kpi_detail?kpi=2-3-1-1", "/council", "/final_review"):
                page.goto(url + path)
                wait_for_app(page)
                if (overflow := page.evaluate(OVERFLOW)) > 1:
                    wide[path] = overflow
            # the check sees a page that does scroll sideways
            page.evaluate(
                "document.querySelector('[data-testid=stMain] h1')"
                ".insertAdjacentHTML('afterend', '<div style=\"width:2000px;height:1px\"></div>')"
            )
            assert page.evaluate(OVERFLOW) > 1000
    finally:
        context.close()
    assert wide == {}
