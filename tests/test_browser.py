"""Real browser (Debian Chromium via playwright) against `streamlit run` on a free port."""

from __future__ import annotations

import re
import time

import openpyxl
import pytest
from playwright.sync_api import expect

from etl import cli
from etl.template import HEADER_ROW, HEADERS
from kpi import service
from kpi.config import load_settings
from kpi.status import badge_text
from tests.browser import (
    app_env,
    chromium_page,
    require_chromium,
    sample_database,
    streamlit_server,
    wait_for_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "browser-test"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require_chromium()
    base = tmp_path_factory.mktemp("browser")
    db = sample_database(base)
    with streamlit_server(app_env(db, PASSWORD)) as url:
        yield url, db, base


def charts_rendered(page) -> int:
    page.wait_for_selector("[data-testid=stPlotlyChart] .main-svg")
    return page.locator("[data-testid=stPlotlyChart]").count()


def board_charts(page) -> int:
    """The board's small charts are SVG (kpi/svg_charts.py), one per drawable KPI."""
    page.wait_for_selector("[data-testid=stMain] .kpi-card svg[role=img]")
    return page.locator("[data-testid=stMain] .kpi-card svg[role=img]").count()


def choose_in_multiselect(page, label: str, value: str) -> None:
    box = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text=label)
    box.locator("input").click()
    box.locator("input").fill(value)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def test_home_filter_and_kpi_detail(app, tmp_path):
    url, db, _ = app
    settings = load_settings().with_db(db)
    expected = service.plan_data(settings, "hadano-r3-r7").status
    grade_2025 = expected[(expected["kpi_id"] == "2-3-1-1") & (expected["fiscal_year"] == 2025)]
    with chromium_page() as page:
        page.goto(url)
        wait_for_app(page)
        assert "概況" in page.locator("h1").first.inner_text()
        assert board_charts(page) >= 30  # the board draws every KPI
        page.screenshot(path=str(tmp_path / "home.png"))

        choose_in_multiselect(page, "部署", "人事課")
        page.wait_for_function(
            "() => !document.body.innerText.includes('2-1-1-1')"
            " && document.body.innerText.includes('2-3-1-1')"
        )
        assert "dept=" in page.url  # a filtered view is a shareable link
        assert board_charts(page) >= 2

        page.locator('a[href*="kpi=2-3-1-1"]').first.click()
        page.wait_for_function("() => document.body.innerText.includes('指標の詳細')")
        page.wait_for_selector("h2:has-text('2-3-1-1')")
        charts_rendered(page)
        body = page.locator("[data-testid=stMain]").inner_text()
        assert "テレワーク勤務を行った職員の割合" in body
        assert badge_text(grade_2025["grade"].iloc[0]) in body
        # the department filter survived the page change
        sidebar = page.locator("[data-testid=stSidebar]").inner_text()
        assert "人事課" in sidebar
        page.screenshot(path=str(tmp_path / "detail.png"))


def filled_template(path, db) -> None:
    assert cli.main(["template", "--fy", "2025", "--out", str(path), "--db", str(db)]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["実績"]
    id_col, value_col = HEADERS.index("指標ID") + 1, HEADERS.index("実績値") + 1
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(row=r, column=id_col).value == "1-3-1-1":
            ws.cell(row=r, column=value_col, value=9876543)
    wb.save(path)


def test_upload_a_filled_template_and_see_it_on_the_chart(app, tmp_path):
    url, db, _ = app
    upload = tmp_path / "実績_2025.xlsx"
    filled_template(upload, db)
    with chromium_page() as page:
        page.goto(f"{url}/upload")
        wait_for_app(page)
        page.get_by_label("お名前").fill("情報 花子")
        page.get_by_label("取込用パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        # the uploader's button is named in Japanese for a screen reader too, not in English
        button = page.locator("[data-testid=stFileUploaderDropzone] button").first
        expect(button).to_have_accessible_name("ファイルを選ぶ")
        for english in ("Browse files", "Upload", "file upload"):
            assert page.get_by_role("button", name=english, exact=True).count() == 0
        # the 取込 tab's uploader (the page's other tabs hold the round's and the plan's)
        uploader = page.get_by_label(re.compile("^実績ファイル")).get_by_test_id(
            "stFileUploaderDropzoneInput"
        )
        uploader.set_input_files(str(upload))
        page.wait_for_selector("text=取り込む前の確認")
        page.get_by_role("button", name="この内容で取り込む").click()
        page.wait_for_selector("text=取り込みました")

        page.goto(f"{url}/kpi_detail?kpi=1-3-1-1")
        wait_for_app(page)
        page.wait_for_selector("h2:has-text('1-3-1-1')")
        charts_rendered(page)
        chart_text = page.locator("[data-testid=stPlotlyChart]").first.inner_text()
        assert "9,876,543" in chart_text  # the new actual labels its bar
        body = page.locator("[data-testid=stMain]").inner_text()
        assert re.search(r"9,876,543\s*件", body)


def settles_in_viewport(page, locator, timeout: float = 10.0, *, whole: bool = False) -> bool:
    """True once the element sits inside the viewport (`whole`: all of it, else its top 40 px).
    Plotly redraws its SVG after Streamlit places it, so a box measured mid-redraw can be
    missing for a moment."""
    deadline = time.monotonic() + timeout
    while not visible_in_viewport(page, locator, whole=whole):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def visible_in_viewport(page, locator, *, whole: bool = False) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        bool(box)
        and box["y"] >= 0
        and box["y"] + (box["height"] if whole else min(box["height"], 40)) <= size["height"] + 1
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"] + 1
    )


CHARTS = "[data-testid=stPlotlyChart], [data-testid=stMain] svg[role=img]"


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (820, 1180)])
def test_council_screens_on_projector_and_tablet(app, tmp_path, width, height):
    url, _, _ = app
    with chromium_page(width, height) as page:
        page.goto(f"{url}/council")
        wait_for_app(page)
        found = re.search(r"\d+ / (\d+)", page.locator("[data-testid=stMain]").inner_text())
        assert found is not None
        total = int(found[1])
        assert total >= 4  # a title screen and at least one screen per policy
        for n in range(1, total + 1):
            page.wait_for_function(f"() => document.body.innerText.includes('{n} / {total}')")
            title = page.locator("h1").first
            assert settles_in_viewport(page, title), f"title of screen {n}"
            # The previous screen's charts linger, marked stale, until the rerun ends.
            page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")
            # plotly on the title screen, SVG small multiples on the policy screens, tables
            # (no chart) on 要対応 and 前年度比
            charts = page.locator(CHARTS)
            # On the projector every chart of the screen fits, axis labels included; a tablet
            # (two per row) may scroll to the third.
            shown = range(charts.count()) if width > height else range(min(1, charts.count()))
            for i in shown:
                chart = charts.nth(i)
                assert settles_in_viewport(page, chart, whole=True), (
                    f"chart {i + 1} of screen {n}: {chart.bounding_box()} in {page.viewport_size}"
                )
            # the projector CSS comes in an st.html element, drawn by a lazily loaded component
            page.locator("[data-testid=stSidebar]").wait_for(state="hidden", timeout=10_000)
            page.screenshot(path=str(tmp_path / f"council-{width}-{n:02d}.png"))
            if n < total:
                page.get_by_role("button", name="次へ ▶").click()


# The smallest text on the screen: every visible text node in the main area, at its computed
# size times the scale it is drawn at (an SVG drawn smaller than its viewBox shrinks its text).
SMALLEST_TEXT = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  let min = Infinity, where = '';
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement && el.getScreenCTM()) {
      const m = el.getScreenCTM();
      size *= Math.hypot(m.a, m.b);
    }
    if (size < min) { min = size; where = el.tagName + ' ' + node.textContent.trim().slice(0, 40); }
  }
  return [min, where];
}"""


def screen_number(page) -> tuple[int, int]:
    found = re.search(r"(\d+) / (\d+)", page.locator("[data-testid=stMain]").inner_text())
    assert found
    return int(found[1]), int(found[2])


def settled_screen(page, n: int, total: int) -> None:
    page.wait_for_function(f"() => document.body.innerText.includes('{n} / {total}')")
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")
    wait_for_app(page)
    assert f"screen={n}" in page.url or (n == 1 and "screen=" not in page.url)


def test_council_keyboard_back_button_and_18px_type(app, tmp_path):
    """Arrow keys, PageUp/PageDown (a presenter's clicker) and Space move between screens with
    no button focused; Back returns to the previous screen; nothing on a screen is drawn
    smaller than 18 px at 1366x768."""
    url, _, _ = app
    with chromium_page(1366, 768) as page:
        page.goto(f"{url}/council")
        wait_for_app(page)
        n, total = screen_number(page)
        assert n == 1 and total >= 6
        forward = ["ArrowRight", "PageDown", "Space"]
        smallest: dict[int, tuple[float, str]] = {}
        for n in range(1, total + 1):
            settled_screen(page, n, total)
            if n == 1:  # the title screen's plotly chart draws its text after the run
                page.wait_for_selector("[data-testid=stPlotlyChart] .main-svg text")
            smallest[n] = page.evaluate(SMALLEST_TEXT)
            if n < total:
                assert page.evaluate("() => document.activeElement.tagName") != "BUTTON"
                page.keyboard.press(forward[n % len(forward)])
        too_small = {k: v for k, v in smallest.items() if v[0] < 18}
        assert not too_small, too_small
        page.screenshot(path=str(tmp_path / "council-last.png"))

        page.keyboard.press("PageUp")
        settled_screen(page, total - 1, total)
        page.keyboard.press("ArrowLeft")
        settled_screen(page, total - 2, total)
        page.go_back()  # the browser's Back: the screen before the last move
        settled_screen(page, total - 1, total)
        assert page.locator("h1").first.inner_text()
