"""The sidebar: plan, fiscal year and the analyst's filters, bound to the URL.

The widgets live in the entry point (app.py calls `sidebar`) with bind="query-params", so a
filtered view survives a page change and can be shared as a link. Values that do not fit
the current plan (after a plan change or in an old link) are dropped before rendering.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from kpi.dashboard import Filters, PlanData
from kpi.fiscal import fy_label, parse_fiscal_year
from kpi.status import ALL_GRADES, badge_text
from ui.context import PlanChoices
from ui.format import md
from ui.url_state import accept_ids

KEYS = ("policy", "measure", "dept", "grade")


def _clean(key: str, options: list) -> None:
    """Drop stored values that the options no longer offer (Streamlit would raise)."""
    value = st.session_state.get(key)
    if isinstance(value, list):
        kept = [v for v in value if v in options]
        if kept != value:
            st.session_state[key] = kept
    elif value is not None and value not in options:
        del st.session_state[key]


def clear_filters() -> None:
    for key in KEYS:
        st.session_state[key] = []


def plan_selector(plans: pd.DataFrame | PlanChoices, label=None) -> str:
    """The plan, newest first. Takes the cached PlanChoices (ids and labels made once per
    database version) or a plans frame and a label function. With 1,741 plans the box lists
    them all; typing part of a name or id narrows the list."""
    if isinstance(plans, PlanChoices):
        ids, labels = list(plans.ids), plans.labels
    else:
        ids = [str(p) for p in plans["plan_id"]]
        labels = dict(zip(ids, map(label, plans.to_dict("records")), strict=True))
    if len(ids) == 1:
        return ids[0]
    _say_not_understood(accept_ids("plan", ids, labels.__getitem__), "plan")
    _clean("plan", ids)
    return st.sidebar.selectbox(
        "計画", ids, key="plan", bind="query-params", format_func=labels.__getitem__
    )


def _say_not_understood(values: list[str], key: str) -> None:
    if values:
        shown = "、".join(f"{key}={md(v)}" for v in values)
        st.warning(  # text-safe: each value went through md() just above
            f"リンクの条件 {shown} は解釈できないか、ほかの条件と合わないため、使っていません。",
            icon=":material/link_off:",
        )


def _policy_no(text: str) -> int | None:
    digits = unicodedata.normalize("NFKC", text).strip().removeprefix("基本方針")
    return int(digits) if digits.isdigit() else None


def _multi(
    label: str,
    key: str,
    options: list,
    fmt: Callable[[Any], str],
    parse: Callable[[str], object] | None = None,
) -> list:
    """A sidebar multiselect bound to the URL under `key`. A short link's ids are taken
    (ui.url_state.accept_ids), values not understood are said; stale values are dropped."""
    _say_not_understood(accept_ids(key, options, fmt, parse=parse), key)
    _clean(key, options)
    return st.sidebar.multiselect(  # text-safe: callers pass constant labels
        label,
        options,
        key=key,
        bind="query-params",
        format_func=fmt,
        placeholder="すべて",
        select_all=False,  # Streamlit's "Select all" is English; no choice already means all
    )


def sidebar(data: PlanData) -> Filters:
    sb = st.sidebar
    years = data.years
    _say_not_understood(accept_ids("fy", years, fy_label, parse=parse_fiscal_year), "fy")
    _clean("fy", years)
    default_year = data.latest_year_with_actuals()
    fy = sb.selectbox(
        "年度",
        years,
        index=years.index(default_year),
        key="fy",
        bind="query-params",
        format_func=fy_label,
        help="既定は実績がある最新の年度です。",
    )
    sb.markdown("**絞り込み**")
    projects = data.projects
    policy_names = dict(
        zip(projects["policy_no"].astype(int), projects["policy_name"], strict=False)
    )
    policy = _multi(
        "基本方針", "policy", list(policy_names), lambda n: f"{n} {policy_names[n]}", _policy_no
    )
    in_policy = projects[projects["policy_no"].isin(policy)] if policy else projects
    measure_names = dict(zip(projects["measure_id"], projects["measure_name"], strict=False))
    measure = _multi(
        "事業推進計画",
        "measure",
        list(dict.fromkeys(in_policy["measure_id"])),
        lambda m: f"{m} {measure_names[m]}",
    )
    dept = _multi("部署（主管・関係）", "dept", data.department_options(), str)
    grade = _multi("評価（選択した年度）", "grade", list(ALL_GRADES), badge_text)
    filters = Filters(tuple(policy), tuple(measure), tuple(dept), tuple(grade), fy)
    if filters.active:
        sb.button("絞り込みを解除", on_click=clear_filters, icon=":material/filter_alt_off:")
    sb.caption("絞り込みはページを移っても保たれ、URL をコピーすると同じ表示を共有できます。")
    return filters
