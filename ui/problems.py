"""The one place where validation problems are rendered: a table, errors first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from etl.problems import ERROR, Problem, problem_rows
from ui.downloads import download_table


def show(problems: list[Problem], *, key: str) -> None:
    errors = sum(p.severity == ERROR for p in problems)
    warnings = len(problems) - errors
    if errors:
        st.error(
            f"エラーが {errors:,} 件あります。ファイルは取り込まれていません（データベースは変更されていません）。"
            "表の「セル」を直して、もう一度アップロードしてください。",
            icon=":material/error:",
        )
    if warnings:
        st.warning(
            f"確認をお願いしたい点が {warnings:,} 件あります（取込はできます）。",
            icon=":material/warning:",
        )
    table = pd.DataFrame(problem_rows(problems))
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "内容": st.column_config.TextColumn(width="large"),
            "直し方": st.column_config.TextColumn(width="large"),
        },
    )
    download_table(table, "検証結果", key=f"{key}-problems")
