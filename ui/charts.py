"""Figures cached per database version: building a plotly figure costs ~15 ms, a board has
dozens, and the data only changes with an upload.

Each rerun of the home page shows ~40 small charts, so even a cache hit must be cheap:
- the figures of a plan live in one store, found with a dict lookup (a Streamlit cache call
  hashes its arguments, ~1 ms each, 40 times per rerun);
- a cached figure keeps its plain-dict form: st.plotly_chart asks every figure for
  `to_dict()`, a deep copy that cost ~2 ms per chart and rerun (docs/benchmarks.md).
A new database version (an upload, a rollback) or another "today" means another store
(ui/plan_cache.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi import charts, outlook
from kpi.dashboard import kpi_history
from ui import context
from ui.plan_cache import store as _store


class CachedFigure(go.Figure):
    """A figure that is never changed once cached: its plain dict is made once."""

    def to_dict(self) -> dict:
        built = self.__dict__.get("_cached_dict")
        if built is None:
            built = self.__dict__["_cached_dict"] = super().to_dict()
        return built


def _cached(fig: go.Figure) -> CachedFigure:
    """The same figure as a CachedFigure, without copying it (a copy re-validates it all)."""
    fig.__class__ = CachedFigure
    return fig


def kpi_figure(
    plan_id: str,
    kpi_id: str,
    *,
    compact: bool = False,
    height: int | None = None,
    outlook_year: int | None = None,
) -> go.Figure:
    """The KPI's chart; with `outlook_year`, the 見込み as of that year is drawn on it."""
    store = _store(plan_id)
    key = (kpi_id, compact, height, outlook_year)
    fig = store.get(key)
    if fig is None:
        data = context.plan_data(plan_id)
        row = None if outlook_year is None else outlook.row(data.outlook, kpi_id, outlook_year)
        built = charts.kpi_figure(
            kpi_history(data, kpi_id),
            compact=compact,
            height=height,
            outlook=row,
            original=_rows_of(data.original_targets, kpi_id),
            previous=_rows_of(data.predecessor_actuals, kpi_id),
        )
        fig = store[key] = _cached(built)
    return fig


def _rows_of(frame: pd.DataFrame, kpi_id: str) -> pd.DataFrame | None:
    """The KPI's rows of a per-plan frame (#14: original targets, previous plan's actuals)."""
    if frame is None or frame.empty or "kpi_id" not in frame:
        return None
    return frame[frame["kpi_id"] == kpi_id]


def cached_figure(plan_id: str, key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
    """A figure of the plan built once per database version and `key` (e.g. the filters)."""
    store = _store(plan_id)
    fig = store.get(key)
    if fig is None:
        fig = store[key] = _cached(build())
    return fig


CHART_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


# Small charts (board, council) without the toolbar: on a tablet it never hides and covers
# titles and legends; the detail page keeps it for zoom and PNG download.
SMALL_CHART_CONFIG = {**CHART_CONFIG, "displayModeBar": False}


def show(
    fig: go.Figure, *, key: str | None = None, alt: str | None = None, toolbar: bool = True
) -> None:
    st.plotly_chart(fig, config=CHART_CONFIG if toolbar else SMALL_CHART_CONFIG, key=key, alt=alt)
