"""見込み blocks of 概況 and 庁議モード (issue #15): outlook grade counts, shown only while the
selected year is before the final year, and always as a forecast."""

from __future__ import annotations

import streamlit as st

from kpi import outlook
from kpi.dashboard import PlanData, Selection
from kpi.fiscal import era_name, fy_label
from kpi.status import GRADED


def _title(s: outlook.Summary) -> str:
    finals = "・".join(era_name(fy) for fy in s.final_years)
    return f"最終年度（{finals}）の見込み　{fy_label(s.as_of_year)} 時点の傾向から"


def counts_block(data: PlanData, sel: Selection) -> None:
    """概況: a heading, four metrics (A-D 見込み) and how the forecast is made."""
    s = outlook.summary(data, sel)
    if s is None:
        return
    with st.container(key="outlook-counts"):
        st.subheader(_title(s), anchor=False)
        cols = st.columns(4)
        for col, g in zip(cols, GRADED, strict=True):
            col.metric(outlook.badge(g), f"{s.counts[g]} 指標")
        fictional = "架空のサンプルデータによる見込みです。" if s.is_sample else ""
        st.caption(
            f"{outlook.CANNOT} {s.counts[outlook.CANNOT]} 指標、{outlook.NOT_GRADED} "
            f"{s.counts[outlook.NOT_GRADED]} 指標。{outlook.METHOD_NOTE}{fictional}"
        )


def counts_line(data: PlanData, sel: Selection) -> None:
    """庁議: the same counts on one line, so that the title screen still fits a projector."""
    s = outlook.summary(data, sel)
    if s is None:
        return
    with st.container(key="outlook-line"):
        fictional = "（架空）" if s.is_sample else ""
        st.markdown(f"**{_title(s)}{fictional}**　{outlook.summary_line(s)}")
