"""庁議モード: a presentation for the executive council — large type, what failed first.

Screens: 概況 (headline figures and per-policy rates), 要対応 (the C / D / 未報告 KPIs with
their numbers and the department's comment), 前年度比, then the KPI cards of each policy.
← → PageUp PageDown Space move between screens (presenter clickers send PageUp/PageDown);
the screen number is in the URL (?screen=N), and each move is a browser history entry, so
the browser's Back button goes to the previous screen.
"""

import streamlit as st

from kpi import charts
from kpi.attention import (
    MOVEMENT_SYMBOLS,
    attention_table,
    change_counts,
    change_table,
)
from kpi.dashboard import by_policy, council_screens, headline
from kpi.fiscal import fy_label
from kpi.status import GRADED, badge_text
from ui import charts as ui_charts
from ui import context
from ui import outlook as outlook_blocks
from ui.board import kpi_cards
from ui.filters import clear_filters
from ui.format import md, percent_text
from ui.provisional import year_state_words

ctx = context.current()
data, sel = ctx.data, ctx.selection
attention, changes, _ = context.attention(ctx)
# three charts fill a 1366x768 projector
screens = council_screens(data, sel, per_screen=3, attention=list(attention["kpi_id"]))

# Projector styling: no sidebar, 18 px type or more everywhere on a slide (read from the back
# of the room). Everything of a screen fits 768 px of height. Static CSS, no data in it.
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {display: none;}
[data-testid="stMainBlockContainer"] {padding-top: 0.75rem; padding-bottom: 0.5rem; max-width: 100%;}
[data-testid="stMain"] {font-size: 1.25rem;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 3rem !important;}
h1 {font-size: 2.2rem !important; padding: 0.25rem 0 !important;}
[data-testid="stMain"] h2 {font-size: 1.5rem !important; padding: 0.25rem 0 !important;}
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] * {font-size: 1.3rem !important;}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] * ,
[data-testid="stMain"] button *, [data-testid="stMain"] a *,
[data-testid="stMain"] [data-testid="stTable"] *, [data-testid="stMain"] kbd {font-size: 1.2rem !important;}
[data-testid="stMain"] [data-testid="stAlert"] [data-testid="stMarkdownContainer"] p {font-size: 1.125rem !important;}
[data-testid="stMain"] [data-testid="stAlertContainer"] {padding: 0.3rem 0.9rem;}
[data-testid="stMain"] [data-testid="stTable"] td, [data-testid="stMain"] [data-testid="stTable"] th {padding: 0.25rem 0.5rem; white-space: normal;}
.st-key-council_keys {display: none;}
</style>""")

# The screen number lives in the URL (?screen=2): a link opens the same screen, and a move
# (written to the URL in a callback) is a history entry that the Back button returns to.
wanted = st.query_params.get("screen", "1")
current = int(wanted) - 1 if wanted.isdigit() and 1 <= int(wanted) <= len(screens) else 0


def go(step: int) -> None:
    st.query_params["screen"] = str((current + step) % len(screens) + 1)


screen = screens[current]

# One row for navigation and where we are: the charts get the height.
nav = st.container(horizontal=True, vertical_alignment="center", gap="medium")
nav.button("◀ 前へ", on_click=go, args=(-1,), key="council_prev", shortcut="Left")
nav.button("次へ ▶", on_click=go, args=(1,), key="council_next", shortcut="Right")
nav.page_link("views/overview.py", label="ダッシュボードへ戻る", icon=":material/close:")
nav.markdown(  # text-safe: names through md(), the year's state is a constant
    f"**{current + 1:d} / {len(screens)}**　｜　{md(data.plan['name'])}　"
    f"{fy_label(sel.fiscal_year)}{year_state_words(data, sel.fiscal_year)}　｜　{md(ctx.filters.describe())}",
    width="stretch",
)
# Presenter clickers send PageUp / PageDown; Space moves on as in a slide show. Hidden buttons
# carry those shortcuts (one shortcut per button); ◀ ▶ above carry the arrow keys.
keys = st.container(key="council_keys")
keys.button("前へ（PageUp）", on_click=go, args=(-1,), key="council_pageup", shortcut="PageUp")
keys.button("次へ（PageDown）", on_click=go, args=(1,), key="council_pagedown", shortcut="PageDown")
keys.button("次へ（Space）", on_click=go, args=(1,), key="council_space", shortcut="Space")

st.title(md(screen.title), anchor=False)
if screen.kind == "summary":
    summary = headline(sel)
    if not summary.kpis:
        # The sidebar is hidden here: offer the way out on the screen itself.
        st.info("条件に合う指標がありません。絞り込みを解除すると、すべての指標を表示します。")
        st.button("絞り込みを解除", on_click=clear_filters, icon=":material/filter_alt_off:")
    counts = summary.counts
    share = summary.share_met
    figures = st.container(key="figures-council")  # ui.style: 2 x 2 on a tablet
    top = figures.columns(4)
    top[0].metric("評価指標", f"{summary.kpis:,}")
    top[1].metric("評価済", f"{summary.graded:,}")
    top[2].metric("目標達成の割合", "―" if share is None else f"{share:.0f}%")
    top[3].metric("未報告", f"{counts['未報告']:,}")
    row = figures.columns(4)
    for col, g in zip(row, GRADED, strict=True):
        col.metric(badge_text(g), f"{counts[g]:,}")
    # 見込み: only while the year is before the final one
    forecast = outlook_blocks.counts_line(data, sel)
    table = by_policy(data, sel)
    if not table.empty:
        # the rate beside each policy: 達成率 = share of its evaluated KPIs at A
        table["基本方針"] = [
            f"基本方針{n}　達成率 {percent_text(r)}（評価済 {g}）"
            for n, r, g in zip(table["policy_no"], table["達成率(A)"], table["評価済"], strict=True)
        ]
        fig = charts.grade_bars(table, "基本方針", height=205 if forecast else 260)
        # 18 px everywhere: Streamlit's chart theme sets its own tick and legend sizes
        fig.update_layout(
            font=dict(size=18), legend=dict(font=dict(size=18)), uniformtext=dict(minsize=18)
        )
        fig.update_xaxes(tickfont=dict(size=18), title_font=dict(size=18))
        fig.update_yaxes(tickfont=dict(size=18))
        fig.update_traces(textfont_size=18)
        ui_charts.show(fig, key="council-bars", alt="基本方針ごとの評価の内訳", toolbar=False)
elif screen.kind == "attention":
    if attention.empty:
        st.success(
            "C・D・未報告の指標、見込みが C・D の指標はありません。",
            icon=":material/check_circle:",
        )
    else:
        rows = attention[attention["kpi_id"].isin(screen.kpi_ids)]
        st.markdown(
            f"{fy_label(sel.fiscal_year)}に C・D・未報告だった指標と、見込み（傾向からの推計）が"
            f" C・D の指標 {len(attention)} 件（評価の低い順）。コメントは所管課の備考です。"
        )
        st.table(attention_table(rows).set_index("指標ID"))
elif screen.kind == "changes":
    counts = change_counts(changes)
    st.markdown(
        f"{fy_label(sel.fiscal_year - 1)} → {fy_label(sel.fiscal_year)}"
        "（両年度とも評価できた指標を比較。今年度に初めて評価できた指標は「新たに評価」）"
    )
    cols = st.columns(4)
    for col, (movement, n) in zip(cols, counts.items(), strict=True):
        col.metric(md(f"{MOVEMENT_SYMBOLS[movement]} {movement}"), f"{n:,}")
    moved = changes[changes["movement"].isin(["低下", "上昇"])]
    if moved.empty:
        st.markdown("評価が上がった指標・下がった指標はありません。")
    else:
        st.table(change_table(moved).set_index("指標ID"))
else:
    st.markdown(
        "棒＝実績（記号と文字で評価: ◎A ○B △C ×D）、破線＝目標（▲以上 ▼以下 ◆回数）。"
        "【再掲】は他の事業推進計画から再掲された事業の指標です。"
    )
    kpi_cards(
        ctx.plan_id,
        data,
        sel.year_status,
        list(screen.kpi_ids),
        key="council",
        large=True,
        link=False,
        relisted=screen.relisted,
        comments=True,
    )
