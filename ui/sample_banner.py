"""The fictional-sample banner of every page (DESIGN 8): says which years are still sample
and offers the way to remove them (issue #10)."""

from __future__ import annotations

import streamlit as st

from kpi.dashboard import PlanData
from kpi.fiscal import era_name
from kpi.sample_years import sample_years
from ui.format import md


def sample_banner(data: PlanData, *, compact: bool = False) -> None:
    """`compact`: one line, no link (the council's projector screen has no room)."""
    years = "・".join(era_name(y) for y in sample_years(data))  # 令和3年度・令和4年度
    if compact:
        st.warning(
            f"**架空のサンプルデータを表示しています（{md(years)}）。** 実際の実績ではありません。",
            icon=":material/science:",
        )
        return
    st.warning(
        f"**架空のサンプルデータを表示しています（{md(years)}）。** 実際の実績ではありません。"
        "実績ファイルを取り込んだ年度の値は置き換わります。ほかの年度のサンプルは、"
        "「実績の取込」の「取込履歴と取消」でサンプルの取込を取り消すと表示されなくなります。",
        icon=":material/science:",
    )
    st.page_link(
        "views/upload.py",
        label="サンプルを取り消す（実績の取込 ＞ 取込履歴と取消）",
        icon=":material/undo:",
    )
