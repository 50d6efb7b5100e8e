"""Browser benchmark: every page of the app in Chromium, timed until it has settled.

    python -m bench --only browser [--repeats N]      (through bench.run)
    python -m bench.browser [--repeats N]             (alone; prints the table)

One warm `streamlit run app.py` on the seed database with the sample actuals, and one
`streamlit run bench/trivial_app.py` (a title, one plotly bar chart, one dataframe) measured
in the same run, round-robin, so that each page's median can be read as a ratio to the
trivial page's. Viewport 1366x768 (the council's projector).

*Settled* means: the page's h1 is there, no skeleton, no running indicator, no stale
element, every plotly chart has drawn its SVG, and the document has not changed for QUIET
seconds. The time recorded is the last DOM change before that quiet spell (a
MutationObserver installed before the page's own scripts), from the start of navigation
(`performance.now()` of the new document) or from the click of a filter change.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpi.config import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

QUIET = 0.5  # seconds without a DOM change
TIMEOUT = 90.0
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
TODAY = "2026-11-25"
TRIVIAL = "(基準: タイトル・plotly 1・表 1)"
FILTER_CHANGE = "概況: 年度の変更"

OBSERVER = """
window.__kpiLastChange = 0;
new MutationObserver(() => { window.__kpiLastChange = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""

# True when the page looks finished (the quiet spell is checked in Python).
SETTLED = """([wanted, minCharts]) => {
  const h1 = document.querySelector('[data-testid=stMain] h1');
  if (!h1 || (wanted && !h1.innerText.includes(wanted))) return null;
  if (document.querySelector('[data-testid=stStatusWidget]')) return null;
  if (document.querySelector('[data-testid=stSkeleton]')) return null;
  if (document.querySelector('[data-stale="true"]')) return null;
  const charts = document.querySelectorAll('[data-testid=stPlotlyChart]');
  if (charts.length < minCharts) return null;
  for (const c of charts) if (!c.querySelector('.main-svg')) return null;
  return {now: performance.now(), last: window.__kpiLastChange, charts: charts.length};
}"""


@dataclass
class Target:
    name: str
    url: str
    wanted: str = ""  # text the h1 must hold (a page whose h1 comes late)
    charts: int = 0  # plotly charts the settled page has (learnt on the warm-up visit)


class Requests:
    """HTTP requests of the page still in flight (a lazily loaded chart bundle, say)."""

    def __init__(self, page: Any) -> None:
        self.open: set[Any] = set()
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, request: Any) -> None:
        self.open.add(request)

    def _end(self, request: Any) -> None:
        self.open.discard(request)


_requests: dict[int, Requests] = {}  # per page (id), set up in run()


def settle(
    page: Any, start_ms: float, wanted: str = "", min_charts: int = 0, quiet: float = QUIET
) -> tuple[float, int]:
    """Seconds from start_ms (page clock) to the last DOM change before a quiet spell with
    no request in flight, and the number of plotly charts on the settled page. A page whose
    charts arrive late (a lazily loaded bundle) is not settled before `min_charts` are there."""
    deadline = time.monotonic() + TIMEOUT
    requests = _requests.get(id(page))
    while time.monotonic() < deadline:
        state = page.evaluate(SETTLED, [wanted, min_charts])
        busy = bool(requests and requests.open)
        if state and not busy and state["now"] - state["last"] >= quiet * 1000:
            return (max(state["last"], start_ms) - start_ms) / 1000, int(state["charts"])
        time.sleep(0.05)
    raise TimeoutError(f"page did not settle within {TIMEOUT:.0f} s: {page.url}")


def navigate(page: Any, target: Target, *, learn: bool = False) -> tuple[float, int]:
    """Open the page and time it. `learn`: the warm-up visit, which waits longer for quiet and
    records how many charts the page has, so that timed visits wait for all of them."""
    page.goto(target.url, wait_until="commit")
    seconds, charts = settle(page, 0.0, target.wanted, target.charts, QUIET * 4 if learn else QUIET)
    if learn:
        target.charts = max(target.charts, charts)
    return seconds, charts


def change_year(page: Any, app_url: str, shown: str, other: str, charts: int) -> tuple[float, int]:
    """概況 opens on its default year (`shown`); choose `other` in the sidebar's 年度 box and
    time until the page has settled on it."""
    page.goto(app_url, wait_until="commit")
    settle(page, 0.0, shown, charts)
    box = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text="年度")
    box.first.click()
    option = page.get_by_role("option", name=other)
    option.wait_for()
    start = page.evaluate("() => performance.now()")
    option.click()
    return settle(page, start, other, charts)


def page_urls(base: str) -> list[Target]:
    from ui.navigation import PAGES

    out = []
    for p in PAGES:
        stem = Path(p.path).stem
        out.append(Target(p.title, base + "/" if p.default else f"{base}/{stem}"))
    return out


def run(repeats: int = 5, db: Path | None = None) -> dict:
    """Time every page; returns {"rows": [...], "charts": {...}} with seconds per run."""
    from playwright.sync_api import sync_playwright

    from bench.run import db_file, prepare
    from kpi.fiscal import fy_label
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

    if db is None:
        prepare(["seed"], False)
        db = db_file("seed", True)
    env = {"KPI_DB": str(db), "KPI_TODAY": TODAY}
    # 概況 opens on 令和7年度; each round switches to another year (new filter sets first)
    shown, others = fy_label(2025), [fy_label(y) for y in (2024, 2023, 2022, 2021)]
    times: dict[str, list[float]] = {}
    charts: dict[str, int] = {}
    with (
        streamlit_server(env) as app,
        streamlit_server(env, ROOT / "bench" / "trivial_app.py") as trivial,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        context.add_init_script(OBSERVER)
        page = context.new_page()
        _requests[id(page)] = Requests(page)
        # the trivial page has one chart whatever the warm-up sees
        targets = [Target(TRIVIAL, trivial + "/", charts=1), *page_urls(app)]
        for t in targets:  # warm: the server's caches, the browser's cache of the bundle
            navigate(page, t, learn=True)
        home = targets[1].charts
        for n in range(repeats):
            for t in targets:
                seconds, count = navigate(page, t)
                times.setdefault(t.name, []).append(seconds)
                charts[t.name] = count
            seconds, count = change_year(page, app, shown, others[n % len(others)], home)
            times.setdefault(FILTER_CHANGE, []).append(seconds)
            charts[FILTER_CHANGE] = count
            print(f"browser: round {n + 1}/{repeats} done", flush=True)
        browser.close()
    return {"times": times, "charts": charts, "quiet_s": QUIET}


AIMS = {"概況": 2.0, FILTER_CHANGE: 1.5}


def report(result: dict) -> list[str]:
    times, charts = result["times"], result["charts"]
    base = statistics.median(times[TRIVIAL])
    lines = [
        "### Browser: navigation until settled, milliseconds, median (min–max); ratio to the "
        "trivial page's median",
        "",
        "| page | settled | ÷ trivial | aim | met | plotly charts |",
        "|---|--:|--:|--:|---|--:|",
    ]
    for name, ts in times.items():
        med = statistics.median(ts)
        aim = None if name == TRIVIAL else AIMS.get(name, 1.5)
        ratio = med / base
        lines.append(
            f"| {name} | {med * 1000:,.0f} ({min(ts) * 1000:,.0f}–{max(ts) * 1000:,.0f}) | "
            f"{ratio:.2f} | {'' if aim is None else f'≤ {aim}'} | "
            f"{'' if aim is None else ('yes' if ratio <= aim else 'no')} | {charts[name]} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--db", type=Path, help="database (default: the bench's seed database)")
    args = ap.parse_args(argv)
    print("\n".join(report(run(args.repeats, args.db))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
