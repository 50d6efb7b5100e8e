"""Per-rerun context shared by every page: settings, the chosen plan, its data, the filters.

app.py renders the sidebar once per rerun (so that the filter widgets live in the entry
point, are bound to the URL and survive page changes) and stores the result here; pages
call `current()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from kpi import service
from kpi.attention import grade_changes, needs_attention, policy_rates
from kpi.config import Settings, load_settings
from kpi.dashboard import Filters, PlanData, Selection, by_policy, select, status_table
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


@st.cache_data(show_spinner="データを読み込んでいます…", max_entries=32)
def _plan_data(db: str, version: tuple[int, int], plan_id: str, today: str) -> PlanData:
    return service.plan_data(settings(), plan_id)


def plan_data(plan_id: str) -> PlanData:
    return _plan_data(*cache_key(plan_id))


def plan_label(row: dict) -> str:
    return f"{row['name']}（{fy_label(int(row['start_fy']))}〜{fy_label(int(row['end_fy']))}）"


@dataclass(frozen=True)
class PlanChoices:
    """The plan selector's options (newest first) and their labels."""

    ids: tuple[str, ...]
    labels: dict[str, str]
    # plan_id -> (start_fy, end_fy): the selector opens on the plan covering today (#14)
    periods: dict[str, tuple[int, int]] = field(default_factory=dict)

    def covering(self, fiscal_year: int) -> str | None:
        """The newest plan whose period holds the fiscal year."""
        return next(
            (
                p
                for p in self.ids
                if self.periods.get(p, (0, -1))[0] <= fiscal_year <= self.periods.get(p, (0, -1))[1]
            ),
            None,
        )


@st.cache_resource(show_spinner=False, max_entries=16)
def _plan_choices(db: str, version: tuple[int, int]) -> PlanChoices:
    frame = service.plans(settings())
    ids = tuple(str(p) for p in frame["plan_id"])
    periods = {
        str(r["plan_id"]): (int(r["start_fy"]), int(r["end_fy"])) for r in frame.to_dict("records")
    }
    return PlanChoices(
        ids, dict(zip(ids, map(plan_label, frame.to_dict("records")), strict=True)), periods
    )


@st.cache_resource(show_spinner=False)
def _schema_ensured(db: str, bands: tuple[float, float]) -> bool:
    """Once per process and database: an upgraded app on an older file works at once."""
    service.ensure_schema(settings())
    return True


def plan_choices() -> PlanChoices | None:
    """Plan ids and labels, built once per database version: with 1,741 plans, making the
    labels on every rerun cost more than the rest of the sidebar. Shared, never changed."""
    s = settings()
    if not service.database_exists(s):
        return None
    _schema_ensured(str(s.db_path), (s.grading.grade_b_min, s.grading.grade_c_min))
    return _plan_choices(str(s.db_path), version())


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


def build(plan_id: str, data: PlanData, filters: Filters) -> PageContext:
    """The context of this rerun: the plan's data and the (cached) selection of the filters."""
    return PageContext(settings(), plan_id, data, filters, _selection(*cache_key(plan_id), filters))


# Per filter set: what a page derives from the selection is computed once per database
# version, plan, "today" and filters, then reused by every rerun and every session (a
# rerun that changes nothing, or comes back to filters already seen, costs a lookup).
# An upload changes the database version, so nothing stale survives it.


def cache_key(plan_id: str) -> tuple[str, tuple[int, int], str, str]:
    """What a cached result of a plan depends on: database file and version, plan, today."""
    s = settings()
    return str(s.db_path), version(), plan_id, s.today().isoformat()


@st.cache_data(show_spinner=False, max_entries=256)
def _selection(
    db: str, version: tuple[int, int], plan_id: str, today: str, filters: Filters
) -> Selection:
    return select(plan_data(plan_id), filters)


@st.cache_data(show_spinner=False, max_entries=256)
def _policy_table(
    db: str, version: tuple[int, int], plan_id: str, today: str, filters: Filters
) -> pd.DataFrame:
    data = plan_data(plan_id)
    return by_policy(data, _selection(db, version, plan_id, today, filters))


@st.cache_data(show_spinner=False, max_entries=256)
def _status_table(
    db: str, version: tuple[int, int], plan_id: str, today: str, filters: Filters, all_years: bool
) -> pd.DataFrame:
    data = plan_data(plan_id)
    return status_table(data, _selection(db, version, plan_id, today, filters), all_years=all_years)


def policy_table(ctx: PageContext) -> pd.DataFrame:
    """by_policy of the current selection (a copy: the caller may change it)."""
    return _policy_table(*cache_key(ctx.plan_id), ctx.filters)


def selection_status_table(ctx: PageContext, *, all_years: bool = True) -> pd.DataFrame:
    """status_table of the current selection (a copy: the caller may change it)."""
    return _status_table(*cache_key(ctx.plan_id), ctx.filters, all_years)


# 要対応, 前年度比 and per-policy rates (issue 12), per filter set like the tables above.
@st.cache_data(show_spinner=False, max_entries=256)
def _attention(
    db: str, version: tuple[int, int], plan_id: str, today: str, filters: Filters
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    data = plan_data(plan_id)
    sel = _selection(db, version, plan_id, today, filters)
    return needs_attention(data, sel), grade_changes(data, sel), policy_rates(data, sel)


def attention(ctx: PageContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(needs_attention, grade_changes, policy_rates) of the current selection (copies)."""
    return _attention(*cache_key(ctx.plan_id), ctx.filters)
