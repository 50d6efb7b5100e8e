"""概況: the executives' one screen — are we on track this year?"""

import streamlit as st

from kpi import charts
from kpi.dashboard import headline
from kpi.fiscal import fy_label
from kpi.status import GRADED, badge_text
from ui import badges, context, downloads
from ui import charts as ui_charts
from ui.board import kpi_cards
from ui.format import md, percent_text

ctx = context.current()
data, sel = ctx.data, ctx.selection
summary = headline(sel)

st.title(f"概況　{fy_label(sel.fiscal_year)}")
st.caption(f"{md(data.plan['name'])}　｜　{ctx.filters.describe()}")

counts = summary.counts
share = summary.share_met
figures = st.container(key="figures-headline")  # ui.style: 2 x 2 on a tablet
row1 = figures.columns(4)
row1[0].metric("評価指標", f"{summary.kpis} 指標")
row1[1].metric("評価済", f"{summary.graded} 指標", help="数値目標があり実績が報告された指標")
row1[2].metric(
    "目標達成の割合",
    "―" if share is None else f"{share:.0f}%",
    help="評価済の指標のうち A（達成）の割合",
)
row1[3].metric("未報告", f"{counts['未報告']} 指標", help="年度が終わったのに実績がない指標")
row2 = figures.columns(4)
for col, g in zip(row2, GRADED, strict=True):
    col.metric(badge_text(g), f"{counts[g]} 指標")

st.subheader("基本方針別の状況", anchor=False)
table = context.policy_table(ctx)
if table.empty:
    st.info("条件に合う指標がありません。サイドバーの絞り込みを確認してください。")
else:
    # Short labels on the chart (the bars keep their width on a tablet); names in the table.
    bars = table.assign(基本方針="基本方針" + table["policy_no"].astype(str))
    table["基本方針"] = table["policy_no"].astype(str) + " " + table["policy_name"]
    ui_charts.show(
        ui_charts.cached_figure(
            ctx.plan_id, ("policy-bars", ctx.filters), lambda: charts.grade_bars(bars, "基本方針")
        ),
        key="policy-bars",
        alt="基本方針ごとの評価の内訳（指標数）",
    )
    shown = table.drop(columns=["policy_no", "policy_name"]).set_index("基本方針")
    st.dataframe(shown.assign(**{"達成率(A)": shown["達成率(A)"].map(percent_text)}))
    downloads.download_table(shown.reset_index(), f"基本方針別_{sel.fiscal_year}", key="policy")

st.subheader("指標ボード", anchor=False)
st.caption(
    "棒＝実績（色と記号で評価）、破線＝目標（▲以上 ▼以下 ◆回数）。指標名から詳細へ移れます。"
)
with st.expander("評価の見方"):
    badges.legend(ctx.settings.grading)

listings = data.listings
for policy_no, group in listings[
    listings["kpi_id"].isin(sel.kpi_ids) & listings["project_id"].isin(sel.project_ids)
].groupby("policy_no", sort=True):
    st.markdown(f"#### 基本方針{policy_no}　{md(group['policy_name'].iloc[0])}")
    kpi_cards(
        ctx.plan_id,
        data,
        sel.year_status,
        list(dict.fromkeys(group["kpi_id"])),
        key=f"board-{policy_no}",
    )

st.subheader("評価一覧", anchor=False)
table = context.selection_status_table(ctx, all_years=False)
st.dataframe(table, hide_index=True)
downloads.download_table(
    table,
    f"評価一覧_{sel.fiscal_year}",
    key="status",
    title=f"{data.plan['name']} {fy_label(sel.fiscal_year)}",
)
