"""A selectbox whose choice lives in the URL (?kpi=2-3-1-1), so that a link opens it.

Page-local widgets cannot use bind="query-params" with readable values (the URL would hold
the formatted label), so the id is synced by hand: a new URL value wins once, then the
widget's choice is written back to the URL.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.state.session_state_proxy import get_session_state

from ui.format import md


def url_selectbox(
    label: str,
    options: list[str],
    *,
    param: str,
    key: str,
    format_func: Callable[[str], str],
    extra: list[str] | None = None,
    default: str | None = None,
) -> str:
    """`extra`: ids a link may open although the filters hide them (they are offered too).
    `default`: the option shown first when neither the link nor the user chose one."""
    wanted = st.query_params.get(param)
    applied = f"_{key}_from_url"
    if wanted in options or wanted in (extra or []):
        if st.session_state.get(applied) != wanted:
            st.session_state[key] = wanted
            st.session_state[applied] = wanted
        if wanted not in options:
            options = [wanted, *options]
    elif wanted is not None and st.session_state.get(applied) != wanted:
        # An old or mistyped link: say so instead of quietly showing something else.
        st.warning(
            f"リンクで指定された「{md(wanted)}」は見つからないため、別の項目を表示しています。",
            icon=":material/link_off:",
        )
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
        if default in options:
            st.session_state[key] = default
    chosen = st.selectbox(
        label,  # text-safe: callers pass constant labels
        options,
        key=key,
        format_func=format_func,
    )
    st.query_params[param] = chosen
    st.session_state[applied] = chosen
    return chosen


def accept_ids(
    key: str,
    options: list,
    format_func: Callable[[Any], str],
    *,
    parse: Callable[[str], object] | None = None,
) -> list[str]:
    """Before a widget bound to the URL under `key` is drawn: its URL values may be the labels
    the widget writes (`?fy=令和6年度 (2024)`) or, in a short link typed by hand, ids
    (`?fy=2024`, `?policy=2`, `?measure=1-2`, `?grade=D`, `?plan=<計画ID>`). Ids are rewritten
    to labels in the URL, from which the widget then takes them; values that are neither are
    dropped from the URL and returned, so that the page can say which were not understood."""
    raw = st.query_params.get_all(key)
    if not raw:
        return []
    by_text: dict[str, object] = {}
    for option in options:
        by_text.setdefault(str(option), option)
        by_text.setdefault(str(option).upper(), option)
    labels = {format_func(o) for o in options}
    kept, unknown = [], []
    for value in raw:
        if value in labels:
            kept.append(value)
            continue
        option = by_text.get(value.strip(), by_text.get(value.strip().upper()))
        if option is None and parse is not None:
            parsed = parse(value)
            option = parsed if parsed in options else None
        if option is None:
            unknown.append(value)
        else:
            kept.append(format_func(option))
    if kept != raw:
        if kept:
            st.query_params[key] = kept  # the address bar, in labels
        else:
            del st.query_params[key]
        _seed_bound_widgets_from_current_url()
    return unknown


def _seed_bound_widgets_from_current_url() -> None:
    """Streamlit 1.67 seeds a widget bound to the URL from the query string the session was
    opened with, and drops a value that is not one of its labels. Before the widget exists,
    make the rewritten URL that starting point (QueryParams.set_initial_query_params, the
    method Streamlit itself uses on a page change); tests/test_browser_links.py guards it."""
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    with get_session_state().query_params() as params:
        params.set_initial_query_params(urllib.parse.urlencode(current, doseq=True))
