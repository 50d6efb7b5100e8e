"""計画体系: the plan as a tree, policy > measure > project, with KPI counts."""

import streamlit as st

from kpi.dashboard import outline
from ui import context
from ui.format import md

ctx = context.current()
tree = outline(ctx.data, ctx.selection)

st.title("計画体系")
if tree.empty:
    st.info(
        f"絞り込み（{md(ctx.filters.describe())}）に合う事業がありません。"
        "サイドバーの「絞り込みを解除」で全体を表示できます。"
    )
elif ctx.filters.active:
    st.info(f"絞り込み中（{md(ctx.filters.describe())}）: 条件に合う事業だけを表示しています。")
st.caption(
    "基本方針 ＞ 事業推進計画 ＞ 個別事業。（ ）内は評価指標の数。【再掲】は他の事業推進計画から再掲された事業です。"
)
for (policy_no, policy_name), by_policy in tree.groupby(["policy_no", "policy_name"], sort=False):
    st.header(f"基本方針{policy_no:d}　{md(policy_name)}", anchor=False)
    for (measure_id, measure_name), by_measure in by_policy.groupby(
        ["measure_id", "measure_name"], sort=False
    ):
        with st.expander(
            f"＜{md(measure_id.split('-')[-1])}＞ {md(measure_name)}（{len(by_measure)} 事業）"
        ):
            for row in by_measure.itertuples():
                relisted = (
                    f"【再掲】（{row.relisted_from} から）"
                    if isinstance(row.relisted_from, str)
                    else ""
                )
                st.markdown(
                    f"- **{md(row.project_id)}** {md(row.project_name)}{md(relisted)} "
                    f"（指標 {row.kpi_count:,}） — 主管: {md(row.lead_departments)}"
                )
