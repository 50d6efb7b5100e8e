"""Per-rerun context shared by every page: settings, the chosen plan, its data, the filters.

app.py renders the sidebar once per rerun (so that the filter widgets live in the entry
point, are bound to the URL and survive page changes) and stores the result here; pages
call `current()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from kpi import service
from kpi.config import Settings, load_settings
from kpi.dashboard import Filters, PlanData, Selection, select
from kpi.fiscal import fy_label

_KEY = "_page_context"


@dataclass
class PageContext:
    settings: Settings
    plan_id: str
    data: PlanData
    filters: Filters
    selection: Selection


def settings() -> Settings:
    return load_settings()


def version() -> tuple[int, int]:
    return service.db_version(settings().db_path)


@st.cache_data(show_spinner=False, max_entries=16)
def _plans(db: str, version: tuple[int, int]):
    return service.plans(settings())


@st.cache_data(show_spinner="データを読み込んでいます…", max_entries=32)
def _plan_data(db: str, version: tuple[int, int], plan_id: str, today: str) -> PlanData:
    return service.plan_data(settings(), plan_id)


def plans():
    s = settings()
    if not service.database_exists(s):
        return None
    return _plans(str(s.db_path), version())


def plan_data(plan_id: str) -> PlanData:
    s = settings()
    return _plan_data(str(s.db_path), version(), plan_id, s.today().isoformat())


def plan_label(row: dict) -> str:
    return f"{row['name']}（{fy_label(int(row['start_fy']))}〜{fy_label(int(row['end_fy']))}）"


def store(ctx: PageContext) -> None:
    st.session_state[_KEY] = ctx


def current() -> PageContext:
    """The context app.py prepared for this rerun; stops the page when there is none."""
    ctx = st.session_state.get(_KEY)
    if ctx is None:
        st.error(
            "データベースがまだ作成されていません。ターミナルで `make run`（または "
            "`python -m etl build`）を実行してください。"
        )
        st.stop()
    return ctx


def refresh_selection(ctx: PageContext, filters: Filters) -> PageContext:
    ctx.filters = filters
    ctx.selection = select(ctx.data, filters)
    return ctx
