"""見込み in a real browser (Chromium): the dotted projection and its label are drawn on the
KPI chart, and the 庁議 title screen with the outlook line still fits a 1366 x 768 projector."""

from __future__ import annotations

import urllib.parse

import pytest

from kpi import outlook, service
from kpi.charts import format_value
from kpi.config import load_settings
from tests.browser import (
    app_env,
    chromium_page,
    require_chromium,
    sample_database,
    streamlit_server,
    wait_for_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FY2023 = urllib.parse.quote("令和5年度 (2023)")
FY2025 = urllib.parse.quote("令和7年度 (2025)")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require_chromium()
    db = sample_database(tmp_path_factory.mktemp("outlook-browser"))
    with streamlit_server(app_env(db)) as url:
        yield url, db


def test_outlook_in_the_browser(app):
    url, db = app
    data = service.plan_data(load_settings().with_db(db), "hadano-r3-r7")
    o = data.outlook
    row = o[(o["as_of_year"] == 2023) & (o["basis"] == "trend")].iloc[0]
    unit = str(data.kpis.set_index("kpi_id").loc[row["kpi_id"], "unit"])
    label = f"見込み {format_value(round(float(row['projected_value']), 1), unit)}"
    with chromium_page(1366, 768) as page:
        page.set_default_timeout(120_000)  # 2 cores shared by the whole team: be patient
        page.goto(f"{url}/kpi_detail?kpi={row['kpi_id']}&fy={FY2023}")
        wait_for_app(page)
        chart = page.locator("[data-testid=stPlotlyChart]").first
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for(state="attached")
        chart.locator(".scatterlayer .trace").first.wait_for(state="attached")
        # the projection is a dotted line (plotly writes dash="dot" as a stroke-dasharray)
        dotted = chart.locator(".scatterlayer .trace path.js-line[style*='stroke-dasharray']")
        assert dotted.count() >= 2  # the dashed target and the dotted projection
        assert label in chart.inner_text()
        body = page.locator("[data-testid=stMain]").inner_text()
        assert outlook.badge(str(row["outlook_grade"])) in body and "予測" in body

        overflow = {}
        for fy in (FY2023, FY2025):
            page.goto(f"{url}/council?fy={fy}")
            wait_for_app(page)
            page.locator("[data-testid=stPlotlyChart] .main-svg").first.wait_for(state="attached")
            page.wait_for_function("() => document.body.innerText.includes('指標数')")
            overflow[fy] = page.evaluate(
                "() => document.querySelector('[data-testid=stMain]').scrollHeight"
                " - window.innerHeight"
            )
        assert "算出不可" not in page.locator("[data-testid=stMain]").inner_text()  # FY2025
        # the outlook line costs the title screen no height: the chart gives up its line
        assert overflow[FY2023] <= max(overflow[FY2025], 0)
