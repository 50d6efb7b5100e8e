"""Grade badges: symbol, letter and words on a colour-blind-safe background."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from kpi.config import Grading
from kpi.status import ALL_GRADES, STYLES, badge_text, band_description

BadgeColour = Literal["blue", "violet", "orange", "red", "gray"]
_BADGE_COLOURS: dict[str, BadgeColour] = {"A": "blue", "B": "violet", "C": "orange", "D": "red"}


def grade_badge(grade: str | None) -> None:
    """st.badge with the text that carries the meaning; the colour only helps."""
    st.badge(badge_text(grade), color=_BADGE_COLOURS.get(grade or "", "gray"))


def legend(grading: Grading) -> None:
    desc = band_description(grading.grade_b_min, grading.grade_c_min)
    lines = [f"- **{badge_text(g)}**: {desc[g]}" for g in ALL_GRADES]
    st.markdown("\n".join(lines))  # text-safe: symbols and configured numbers


__all__ = ["STYLES", "grade_badge", "legend"]
