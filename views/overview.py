"""概況: the executives' one screen — are we on track this year, what failed, and why?"""

import streamlit as st

from kpi import charts
from kpi.attention import (
    MOVEMENT_SYMBOLS,
    attention_table,
    change_counts,
    grade_changes,
    needs_attention,
    policy_rates,
)
from kpi.dashboard import headline
from kpi.fiscal import fy_label
from kpi.status import GRADED, badge_text
from ui import badges, context, downloads
from ui import charts as ui_charts
from ui import outlook as outlook_blocks
from ui.board import kpi_cards
from ui.format import md

ctx = context.current()
data, sel = ctx.data, ctx.selection
summary = headline(sel)

st.title(f"概況　{fy_label(sel.fiscal_year)}")
st.caption(f"{md(data.plan['name'])}　｜　{md(ctx.filters.describe())}")

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
attention = needs_attention(data, sel)
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

changes = grade_changes(data, sel)
moved = change_counts(changes)
st.header(f"前年度比（{fy_label(sel.fiscal_year - 1)}から）", anchor=False)
cols = st.columns(4)
for col, (movement, n) in zip(cols, moved.items(), strict=True):
    col.metric(md(f"{MOVEMENT_SYMBOLS[movement]} {movement}"), f"{n:,} 指標")

outlook_blocks.counts_block(data, sel)  # 見込み: only while the year is before the final one

st.header("基本方針別の状況", anchor=False)
rates = policy_rates(data, sel)
if rates.empty:
    st.info("条件に合う指標がありません。サイドバーの絞り込みを確認してください。")
else:
    st.caption("達成率＝評価済の指標のうち A（達成）の割合")
    st.table(rates.set_index("基本方針"))
    table = context.policy_table(ctx)
    # Short labels on the chart (the bars keep their width on a tablet); names in the table.
    bars = table.assign(基本方針="基本方針" + table["policy_no"].astype(str))
    ui_charts.show(
        ui_charts.cached_figure(
            ctx.plan_id, ("policy-bars", ctx.filters), lambda: charts.grade_bars(bars, "基本方針")
        ),
        key="policy-bars",
        alt="基本方針ごとの評価の内訳（指標数）",
    )
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
    kpi_cards(
        ctx.plan_id,
        data,
        sel.year_status,
        list(dict.fromkeys(group["kpi_id"])),
        key=f"board-{policy_no}",
    )

st.header("評価一覧", anchor=False)
table = context.selection_status_table(ctx, all_years=False)
st.dataframe(table, hide_index=True)
downloads.download_table(
    table,
    f"評価一覧_{sel.fiscal_year}",
    key="status",
    title=f"{data.plan['name']} {fy_label(sel.fiscal_year)}",
)
