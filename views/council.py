"""庁議モード: a presentation for the executive council — large type, one screen per policy."""

import streamlit as st

from kpi import charts
from kpi.dashboard import by_policy, council_screens, headline
from kpi.fiscal import fy_label
from kpi.status import GRADED, badge_text
from ui import charts as ui_charts
from ui import context
from ui.board import kpi_cards
from ui.filters import clear_filters
from ui.format import md

ctx = context.current()
data, sel = ctx.data, ctx.selection
screens = council_screens(data, sel, per_screen=3)  # three charts fill a 1366x768 projector

# Projector styling: no sidebar, larger type. Static CSS of our own, no data in it.
# Everything of a screen fits 768 px of height: the sample banner is one compact line here.
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {display: none;}
[data-testid="stMainBlockContainer"] {padding-top: 0.75rem; padding-bottom: 0.5rem; max-width: 100%;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 3.2rem !important;}
h1 {font-size: 2.2rem !important; padding: 0.25rem 0 !important;}
[data-testid="stMetricLabel"] p {font-size: 1.3rem;}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p {font-size: 1.25rem;}
[data-testid="stMain"] [data-testid="stAlert"] [data-testid="stMarkdownContainer"] p {font-size: 0.95rem;}
[data-testid="stMain"] [data-testid="stAlertContainer"] {padding: 0.4rem 0.9rem;}
</style>""")

# The screen number lives in the URL (?screen=2) so a link opens the same screen.
wanted = st.query_params.get("screen", "1")
index = int(wanted) - 1 if wanted.isdigit() and 1 <= int(wanted) <= len(screens) else 0
st.session_state.setdefault("council_screen", index)
if st.session_state["council_screen"] >= len(screens):
    st.session_state["council_screen"] = 0


def go(step: int) -> None:
    st.session_state["council_screen"] = (st.session_state["council_screen"] + step) % len(screens)


current = st.session_state["council_screen"]
st.query_params["screen"] = str(current + 1)
screen = screens[current]

# One row for navigation and where we are: the charts get the height.
nav = st.container(horizontal=True, vertical_alignment="center", gap="medium")
nav.button("◀ 前へ", on_click=go, args=(-1,), key="council_prev")
nav.button("次へ ▶", on_click=go, args=(1,), key="council_next")
nav.page_link("views/overview.py", label="ダッシュボードへ戻る", icon=":material/close:")
nav.markdown(
    f"**{current + 1} / {len(screens)}**　｜　{md(data.plan['name'])}　"
    f"{fy_label(sel.fiscal_year)}　｜　{md(ctx.filters.describe())}",
    width="stretch",
)

st.title(screen.title, anchor=False)
if screen.policy_no is None:
    summary = headline(sel)
    if not summary.kpis:
        # The sidebar is hidden here: offer the way out on the screen itself.
        st.info("条件に合う指標がありません。絞り込みを解除すると、すべての指標を表示します。")
        st.button("絞り込みを解除", on_click=clear_filters, icon=":material/filter_alt_off:")
    counts = summary.counts
    share = summary.share_met
    figures = st.container(key="figures-council")  # ui.style: 2 x 2 on a tablet
    top = figures.columns(4)
    top[0].metric("評価指標", f"{summary.kpis}")
    top[1].metric("評価済", f"{summary.graded}")
    top[2].metric("目標達成の割合", "―" if share is None else f"{share:.0f}%")
    top[3].metric("未報告", f"{counts['未報告']}")
    row = figures.columns(4)
    for col, g in zip(row, GRADED, strict=True):
        col.metric(badge_text(g), f"{counts[g]}")
    table = by_policy(data, sel)
    if not table.empty:
        table["基本方針"] = "基本方針" + table["policy_no"].astype(str)
        fig = charts.grade_bars(table, "基本方針", height=250)
        fig.update_layout(font=dict(size=18))
        ui_charts.show(fig, key="council-bars", alt="基本方針ごとの評価の内訳", toolbar=False)
else:
    # three charts fill a 1366x768 projector; the cards' titles are larger for the room
    kpi_cards(
        ctx.plan_id,
        data,
        sel.year_status,
        list(screen.kpi_ids),
        key="council",
        height=300,
        link=False,
        title_size="#### ",
    )
