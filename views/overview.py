"""概況: the executives' one screen — are we on track this year, what failed, and why?"""

import streamlit as st

from kpi.attention import (
    MOVEMENT_SYMBOLS,
    attention_table,
    change_counts,
)
from kpi.dashboard import headline
from kpi.fiscal import fy_label
from kpi.status import GRADED, badge_text
from ui import badges, context, downloads
from ui import outlook as outlook_blocks
from ui.board import kpi_card_grid
from ui.format import md
from ui.provisional import year_badge
from ui.tables import show_table

ctx = context.current()
data, sel = ctx.data, ctx.selection
summary = headline(sel)

st.title(f"概況　{fy_label(sel.fiscal_year)}")
st.caption(f"{md(data.plan['name'])}　｜　{md(ctx.filters.describe())}")
year_badge(data, sel.fiscal_year)

counts = summary.counts
share = summary.share_met
figures = st.container(key="figures-headline")  # ui.style: 2 x 2 on a tablet
row1 = figures.columns(4)
row1[0].metric("評価指標", f"{summary.kpis:,} 指標")
row1[1].metric("評価済", f"{summary.graded:,} 指標", help="数値目標があり実績が報告された指標")
row1[2].metric(
    "目標達成の割合",
    "―" if share is None else f"{share:.0f}%",
    help="評価済の指標のうち A（達成）の割合",
)
row1[3].metric("未報告", f"{counts['未報告']:,} 指標", help="年度が終わったのに実績がない指標")
row2 = figures.columns(4)
for col, g in zip(row2, GRADED, strict=True):
    col.metric(badge_text(g), f"{counts[g]:,} 指標")

# What failed, and why: first on the page (issue 12).
st.header("要対応の指標", anchor=False)
attention, changes, rates = context.attention(ctx)
if attention.empty:
    st.success(
        f"{fy_label(sel.fiscal_year)}に C・D・未報告の指標、見込みが C・D の指標はありません。",
        icon=":material/check_circle:",
    )
else:
    st.caption(
        f"C・D・未報告の指標と、見込み（傾向からの推計）が C・D の指標 {len(attention)} 件"
        "（評価の低い順）。"
        "コメントは実績とともに所管課から届いた備考です。"
    )
    # st.table wraps long comments instead of cutting them off at the window's edge
    st.table(attention_table(attention).set_index("指標ID"))

moved = change_counts(changes)
st.header(f"前年度比（{fy_label(sel.fiscal_year - 1)}から）", anchor=False)
cols = st.columns(4)
for col, (movement, n) in zip(cols, moved.items(), strict=True):
    col.metric(md(f"{MOVEMENT_SYMBOLS[movement]} {movement}"), f"{n:,} 指標")

outlook_blocks.counts_block(data, sel)  # 見込み: only while the year is before the final one

st.header("基本方針別の状況", anchor=False)
if rates.empty:
    st.info("条件に合う指標がありません。サイドバーの絞り込みを確認してください。")
else:
    st.caption("達成率＝評価済の指標のうち A（達成）の割合")
    # A table, not a chart: it holds the counts and the rates, and the page settles faster
    # without a plotly chart (docs/benchmarks.md, browser). 庁議モード keeps the bar chart.
    st.table(rates.set_index("基本方針"))
    downloads.download_table(rates, f"基本方針別_{sel.fiscal_year}", key="policy")

st.header("指標ボード", anchor=False)
st.caption(
    "棒＝実績（記号と文字で評価: ◎A ○B △C ×D）、破線＝目標（▲以上 ▼以下 ◆回数）。"
    "指標の詳細から年度ごとの値を確かめられます。"
)
with st.expander("評価の見方"):
    badges.legend(ctx.settings.grading)

listings = data.listings
for policy_no, group in listings[
    listings["kpi_id"].isin(sel.kpi_ids) & listings["project_id"].isin(sel.project_ids)
].groupby("policy_no", sort=True):
    st.markdown(f"### 基本方針{policy_no:d}　{md(group['policy_name'].iloc[0])}")
    kpi_card_grid(ctx.plan_id, data, sel.year_status, list(dict.fromkeys(group["kpi_id"])))

st.header("評価一覧", anchor=False)
table = context.selection_status_table(ctx, all_years=False)
# what an executive reads first, the department's comment (備考) included, on the first screen
first = ["指標ID", "指標名", "評価", "実績値", "目標値（計画の表記）", "達成率(%)", "備考"]
show_table(
    table,
    hide_index=True,
    column_order=[*first, *(c for c in table.columns if c not in first)],
)
downloads.download_table(
    table,
    f"評価一覧_{sel.fiscal_year}",
    key="status",
    title=f"{data.plan['name']} {fy_label(sel.fiscal_year)}",
)
