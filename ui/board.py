"""KPI cards: id, name, grade badge and the small target-versus-actual chart, in a grid.

Shared by 概況 (the board) and 庁議モード (the slides)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi.dashboard import PlanData
from kpi.status import badge_text
from ui import charts as ui_charts
from ui.format import md


def kpi_cards(
    plan_id: str,
    data: PlanData,
    year_status: pd.DataFrame,
    kpi_ids: list[str],
    *,
    key: str,
    per_row: int = 3,
    height: int | None = None,
    link: bool = True,
    large_title: bool = False,
) -> None:
    year = year_status.set_index("kpi_id")
    drawable = data.chartable_kpis()
    grid = st.container(key=f"cards-{key}")  # ui.style: two per row on a tablet
    for start in range(0, len(kpi_ids), per_row):
        cols = grid.columns(per_row, border=True)
        for col, kpi_id in zip(cols, kpi_ids[start : start + per_row], strict=False):
            name, grade = year.loc[kpi_id, "kpi_name"], year.loc[kpi_id, "grade"]
            with col:
                # one element for title and badge: a board has dozens of cards per rerun
                st.markdown(
                    f"{'#### ' if large_title else ''}**{md(kpi_id)}**　{md(name)}  \n**{badge_text(grade)}**"
                )
                if kpi_id in drawable:
                    ui_charts.show(
                        ui_charts.kpi_figure(plan_id, kpi_id, compact=True, height=height),
                        key=f"{key}-{kpi_id}",
                        alt=f"{name}の目標と実績",
                        toolbar=False,
                    )
                else:
                    st.caption(
                        "文章による目標（評価対象外）: " + md(" / ".join(data.text_targets(kpi_id)))
                    )
                if link:
                    st.page_link(
                        "views/kpi_detail.py",
                        label="詳細を見る",
                        query_params={"kpi": kpi_id},
                        icon=":material/query_stats:",
                    )
