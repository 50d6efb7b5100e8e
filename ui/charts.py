"""Figures cached per database version: building a plotly figure costs ~15 ms, a board has
dozens, and the data only changes with an upload."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from kpi import charts
from kpi.dashboard import kpi_history
from ui import context


@st.cache_resource(max_entries=4096, show_spinner=False)
def _kpi_figure(
    db: str,
    version: tuple,
    plan_id: str,
    today: str,
    kpi_id: str,
    compact: bool,
    height: int | None,
) -> go.Figure:
    data = context.plan_data(plan_id)
    return charts.kpi_figure(kpi_history(data, kpi_id), compact=compact, height=height)


def kpi_figure(
    plan_id: str, kpi_id: str, *, compact: bool = False, height: int | None = None
) -> go.Figure:
    s = context.settings()
    return _kpi_figure(
        str(s.db_path),
        context.version(),
        plan_id,
        s.today().isoformat(),
        kpi_id,
        compact,
        height,
    )


CHART_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def show(fig: go.Figure, *, key: str | None = None, alt: str | None = None) -> None:
    st.plotly_chart(fig, config=CHART_CONFIG, key=key, alt=alt)
