"""Download buttons for every table: CSV and Excel, generated only when clicked."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from etl.export import to_csv_bytes, to_excel_bytes


def download_table(frame: pd.DataFrame, name: str, *, key: str, title: str | None = None) -> None:
    """Two buttons; files are formula-safe (etl.export) since values may come from uploads."""
    # A row that wraps, not fixed columns: the labels are never cut off on a narrow screen.
    row = st.container(horizontal=True)
    row.download_button(
        "CSV",
        lambda: to_csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        "Excel",
        lambda: to_excel_bytes({name: frame}, title=title),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}-xlsx",
        icon=":material/download:",
        on_click="ignore",
    )
