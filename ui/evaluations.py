"""事業評価 of one project (issue #13), year by year, on 事業一覧's project detail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi.dashboard import PlanData
from kpi.fiscal import fy_label
from ui.format import md

LABELS = {
    "progress": "進捗",
    "activities": "取組実績",
    "reason": "評価の理由",
    "issues": "課題",
    "direction": "今後の方向性",
}


def evaluation_table(data: PlanData, project_id: str) -> pd.DataFrame:
    """The project's current evaluations, newest year first (a 再掲 shows its original's)."""
    ev = data.evaluations
    if ev.empty:
        return pd.DataFrame(columns=["年度", *LABELS.values()])
    origin = data.projects.set_index("project_id")["relisted_from"].get(project_id)
    stored = origin if isinstance(origin, str) else project_id
    rows = ev[ev["project_id"] == stored].sort_values("fiscal_year", ascending=False)
    table = pd.DataFrame({"年度": rows["fiscal_year"].map(fy_label)})
    for col, label in LABELS.items():
        table[label] = rows[col].fillna("")
    return table.reset_index(drop=True)


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
    st.dataframe(table, hide_index=True)
