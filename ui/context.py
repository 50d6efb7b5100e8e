"""Per-rerun context shared by every page: settings, database presence, the chosen plan."""

from __future__ import annotations

import streamlit as st

from kpi import service
from kpi.config import Settings, load_settings
from kpi.fiscal import fy_label


def settings() -> Settings:
    return load_settings()


@st.cache_data(show_spinner=False, max_entries=16)
def _plans(db: str, version: tuple[int, int]) -> object:
    return service.plans(settings())


def plans():
    s = settings()
    return _plans(str(s.db_path), service.db_version(s.db_path))


def require_database() -> None:
    """Stop the page with instructions when the database has not been built yet."""
    if not service.database_exists(settings()) or plans().empty:
        st.error(
            "データベースがまだ作成されていません。ターミナルで `make run`（または "
            "`python -m etl build`）を実行してください。"
        )
        st.stop()


def plan_label(row: dict) -> str:
    return f"{row['name']}（{fy_label(row['start_fy'])}〜{fy_label(row['end_fy'])}）"


def selected_plan_id() -> str:
    """The plan chosen in the sidebar (by default the newest plan)."""
    df = plans()
    ids = list(df["plan_id"])
    chosen = st.session_state.get("plan")
    return chosen if chosen in ids else ids[0]
