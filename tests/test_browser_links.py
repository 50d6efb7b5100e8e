"""Real browser, issue #10: what an attacker's or a colleague's link does in Chromium.

* a reflected link (?kpi=[…](https://evil.example/)![…](http://…)) shows text: no link to
  the attacker's site and no image fetched from it;
* a short share link (?policy=2&fy=2024) opens the filtered view and the address bar then
  holds a link the app itself understands.
"""

from __future__ import annotations

import urllib.parse

import pytest

from tests.browser import (
    app_env,
    chromium_page,
    require_chromium,
    sample_database,
    streamlit_server,
    wait_for_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = "[ここからログイン](https://evil.example/)![t](http://127.0.0.1:9/t.png)"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require_chromium()
    db = sample_database(tmp_path_factory.mktemp("browser-links"))
    with streamlit_server(app_env(db)) as url:
        yield url


def test_a_reflected_markdown_link_is_inert(app):
    requested: list[str] = []
    with chromium_page() as page:
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{app}/kpi_detail?kpi={urllib.parse.quote(HOSTILE)}")
        wait_for_app(page)
        alert = page.locator("[data-testid=stAlert]").filter(has_text="見つからない")
        alert.wait_for()
        assert "ここからログイン" in alert.inner_text()
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert not [h for h in hrefs if "evil.example" in h or "127.0.0.1:9" in h]
        assert page.locator("[data-testid=stMain] img[src*='t.png']").count() == 0
    hosts = {urllib.parse.urlsplit(u).netloc for u in requested}
    assert not hosts & {"evil.example", "127.0.0.1:9"}


def test_a_short_share_link_opens_the_filtered_view(app):
    reiwa6 = urllib.parse.quote("令和6年度")
    with chromium_page() as page:
        page.set_default_timeout(90_000)  # two cores shared by many test runs
        page.goto(f"{app}/plan_tree?policy=2&fy=2024")  # a light page: no charts
        wait_for_app(page)
        page.get_by_text("基本方針: 2").first.wait_for()  # the page names the filter
        assert page.locator("[data-testid=stAlert]").filter(has_text="リンクの条件").count() == 0
        # the address bar now holds the labels the app writes, for a colleague
        page.wait_for_function(r"() => /policy=2(\+|%20)/.test(location.search)")
        assert reiwa6 in page.url
        shared = page.url
    with chromium_page() as page:
        page.set_default_timeout(90_000)
        page.goto(shared)
        wait_for_app(page)
        page.get_by_text("基本方針: 2").first.wait_for()
        assert reiwa6 in page.url
