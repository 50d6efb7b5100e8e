"""速報 / 確定 (issue #13): one small badge beside a year's values on every page, so that
nobody reads provisional values as fixed. Words and an icon, never colour alone."""

from __future__ import annotations

import streamlit as st

from kpi.dashboard import PlanData
from kpi.fiscal import era_name
from kpi.round_status import FINAL, PROVISIONAL, year_state


def year_badge(data: PlanData, fy: int) -> None:
    state = year_state(data.locked_years, fy)
    if state == FINAL:
        st.badge(f"{era_name(fy)} {FINAL}", icon=":material/lock:", color="green")
    else:
        st.badge(
            f"{era_name(fy)} {PROVISIONAL}",
            icon=":material/pending:",
            color="orange",
            help="情報システム課が年度を確定するまでの値です。変わることがあります。",
        )


def year_state_words(data: PlanData, fy: int) -> str:
    """「速報」 or 「確定」 in bold, for a line of markdown that has no room for a badge (the
    council screen's one navigation row, in its large type)."""
    return f"**{'確定' if year_state(data.locked_years, fy) == FINAL else '速報'}**"


__all__ = ["FINAL", "PROVISIONAL", "year_badge", "year_state_words"]
