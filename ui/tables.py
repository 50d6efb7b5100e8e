"""The one way a page shows a table: a missing value reads 「―」, never Streamlit's 「None」
(issue #10 item 14), and the index, an implementation detail, is hidden."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

MISSING = "―"


def show_table(data: pd.DataFrame, **kwargs: Any) -> None:
    """st.dataframe with the app's placeholder for missing values; keeps numbers numbers (a
    column of text would sort 10 before 9)."""
    kwargs.setdefault("hide_index", True)
    st.dataframe(data, placeholder=MISSING, **kwargs)
