"""A selectbox whose choice lives in the URL (?kpi=2-3-1-1), so that a link opens it.

Page-local widgets cannot use bind="query-params" with readable values (the URL would hold
the formatted label), so the id is synced by hand: a new URL value wins once, then the
widget's choice is written back to the URL.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

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
