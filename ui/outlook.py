"""見込み blocks of 概況 and 庁議モード (issue #15): outlook grade counts, shown only while the
selected year is before the final year, and always as a forecast."""

from __future__ import annotations

import streamlit as st

from kpi import outlook
from kpi.dashboard import PlanData, Selection
from kpi.status import GRADED


def counts_block(data: PlanData, sel: Selection) -> None:
    """概況: a heading, four metrics (A-D 見込み) and what they leave out and how they are made."""
    s = outlook.summary(data, sel)
    if s is None:
        return
    with st.container(key="outlook-counts"):
        st.header(outlook.summary_title(s), anchor=False)
        cols = st.columns(4)
        for col, g in zip(cols, GRADED, strict=True):
            col.metric(outlook.badge(g), f"{s.counts[g]} 指標")
        st.caption(outlook.summary_note(s))


def counts_line(data: PlanData, sel: Selection) -> bool:
    """庁議: the same counts on one line, so that the title screen still fits a projector.
    True when shown (the screen then gives its chart a line less)."""
    s = outlook.summary(data, sel)
    if s is None:
        return False
    with st.container(key="outlook-line"):
        fictional = "（架空）" if s.is_sample else ""
        st.markdown(f"**{outlook.summary_line(s)}**{fictional}", help=outlook.METHOD_NOTE)
    return True
