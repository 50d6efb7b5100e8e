"""事業評価 of one project (issue #13), year by year, on 事業一覧's project detail."""

from __future__ import annotations

import streamlit as st

from kpi.dashboard import PlanData
from kpi.evaluations import evaluation_table
from ui.format import md
from ui.tables import show_table


def evaluation_block(data: PlanData, project_id: str) -> None:
    table = evaluation_table(data, project_id)
    st.markdown("**事業評価**")
    if table.empty:
        st.caption("事業評価はまだ報告されていません。")
        return
    latest = table.iloc[0]
    st.markdown(
        f"{md(latest['年度'])}　進捗: **{md(latest['進捗']) or '―'}**　｜　"
        f"今後の方向性: **{md(latest['今後の方向性']) or '―'}**"
    )
    show_table(table, hide_index=True)
