"""計画体系: the plan as a tree, policy > measure > project, with KPI counts."""

import streamlit as st

from kpi import service
from ui import context

context.require_database()
plan_id = context.selected_plan_id()
outline = service.outline(context.settings(), plan_id)

st.title("計画体系")
st.caption(
    "基本方針 ＞ 事業推進計画 ＞ 個別事業。（ ）内は評価指標の数。【再掲】は他の事業推進計画から再掲された事業です。"
)
for (policy_no, policy_name), by_policy in outline.groupby(
    ["policy_no", "policy_name"], sort=False
):
    st.header(f"基本方針{policy_no}　{policy_name}", anchor=False)
    for (measure_id, measure_name), by_measure in by_policy.groupby(
        ["measure_id", "measure_name"], sort=False
    ):
        with st.expander(
            f"＜{measure_id.split('-')[1]}＞ {measure_name}（{len(by_measure)} 事業）"
        ):
            for row in by_measure.itertuples():
                relisted = f"【再掲】（{row.relisted_from} から）" if row.relisted_from else ""
                st.markdown(
                    f"- **{row.project_id}** {row.project_name}{relisted} "
                    f"（指標 {row.kpi_count}） — 主管: {row.lead_departments}"
                )
