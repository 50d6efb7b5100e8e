"""The one place where validation problems are rendered: a table, errors first."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from etl.problems import ERROR, Problem, problem_rows
from ui.downloads import download_table
from ui.tables import show_table


def show(problems: list[Problem], *, key: str, kpi_names: Mapping[str, str] | None = None) -> None:
    """`kpi_names`: 指標ID -> 指標名 of the plan, so that each row names its KPI."""
    errors = sum(p.severity == ERROR for p in problems)
    warnings = len(problems) - errors
    if errors:
        st.error(
            f"エラーが {errors:,} 件あります。ファイルは取り込まれていません（データベースは変更されていません）。"
            "表の指標ごとに「直し方」のとおり直して、もう一度アップロードしてください。",
            icon=":material/error:",
        )
    if warnings:
        st.warning(
            f"確認をお願いしたい点が {warnings:,} 件あります（取込はできます）。",
            icon=":material/warning:",
        )
    table = pd.DataFrame(
        problem_rows(problems, _plan_kpi_names() if kpi_names is None else kpi_names)
    )
    if not table["指標ID"].astype(bool).any():  # problems of the file, not of KPI rows
        table = table.drop(columns=["指標ID", "指標名"])
    show_table(
        table,
        hide_index=True,
        column_config={
            "指標名": st.column_config.TextColumn(width="medium"),
            "内容": st.column_config.TextColumn(width="large"),
            "直し方": st.column_config.TextColumn(width="large"),
        },
    )
    download_table(table, "検証結果", key=f"{key}-problems")


def _plan_kpi_names() -> dict[str, str]:
    """指標ID -> 指標名 of the plan on screen (the context app.py stored), else nothing."""
    ctx = st.session_state.get("_page_context")
    if ctx is None:
        return {}
    kpis = ctx.data.kpis
    return dict(zip(kpis["kpi_id"].astype(str), kpis["kpi_name"].astype(str), strict=True))
