"""DataFrame -> plotly Figure. No streamlit here: pages decide where a figure goes.

Every chart carries the grade as a symbol and a letter next to the colour, and uses
colour-blind-safe colours with patterns, so it still reads in greyscale print.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from kpi.fiscal import era_name
from kpi.outlook import projection
from kpi.status import (
    ALL_GRADES,
    COMPARATOR_WORDS,
    GRADE_PATTERNS,
    GRADED,
    NOT_REPORTED,
    OTHER_TARGET,
    STYLES,
    TARGET_MARKERS,
)

FONT = "Noto Sans JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"
TARGET_COLOUR = "#000000"
# plotly's spelling of the one chart vocabulary (kpi.status)
PATTERNS = {g: m.plotly for g, m in GRADE_PATTERNS.items()}
TARGET_SYMBOLS = {c: m.plotly for c, m in TARGET_MARKERS.items()}
# A small layout instead of the "plotly_white" template: copying that template on every
# figure cost more than building the figure itself (35 KPI charts per home page).
BASE_LAYOUT = dict(
    template=None,
    paper_bgcolor="#FFFFFF",
    plot_bgcolor="#FFFFFF",
    xaxis=dict(gridcolor="#E5E5E5", linecolor="#444444", showline=True, ticks=""),
    yaxis=dict(gridcolor="#E5E5E5", zerolinecolor="#888888", showline=False),
)


def short_year(fy: int) -> str:
    """'R7 (2025)': short enough for a small chart's axis."""
    name = era_name(fy)
    era = "R" if name.startswith("令和") else "H"
    n = name[2:].removesuffix("年度")
    return f"{era}{1 if n == '元' else n}<br>({fy})"


def format_value(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "―"
    if float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}" if unit == "%" else (f"{text} {unit}" if unit else text)


def comparator_word(comparator: str | None) -> str:
    return COMPARATOR_WORDS.get(comparator or "", "")


ORIGINAL_TARGET_COLOUR = "#888888"
PREVIOUS_PLAN_COLOUR = "#BBBBBB"


def kpi_figure(
    history: pd.DataFrame,
    *,
    compact: bool = False,
    height: int | None = None,
    outlook: Mapping[str, Any] | None = None,
    original: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
) -> go.Figure:
    """Target versus actual of one KPI across the plan's years.

    Actuals are bars coloured and labelled by grade; numeric targets a black line whose
    marker shape tells the comparator (▲ 以上, ▼ 以下, ◆ =); text targets are noted above
    the axis, since they cannot be drawn. With `outlook` (a kpi_outlook row) that is a
    forecast, a dotted line runs from the last actual to the projected final-year value,
    labelled 見込み (issue #15).
    the axis, since they cannot be drawn.

    #14: `original` (fiscal_year, original_target_value, original_target_text) draws the
    plan's original targets faintly where a revision changed them; `previous` (fiscal_year,
    actual_value) draws the previous plan's actuals of the KPI this one continues, greyed,
    in the years before the plan.
    """
    h = history.sort_values("fiscal_year")
    unit = str(h["unit"].iloc[0]) if len(h) else ""
    x = [short_year(int(fy)) for fy in h["fiscal_year"]]
    start = int(h["fiscal_year"].min()) if len(h) else 0
    before = (
        previous[previous["fiscal_year"] < start].sort_values("fiscal_year")
        if previous is not None and len(previous)
        else pd.DataFrame(columns=["fiscal_year", "actual_value"])
    )
    prev_x = [short_year(int(fy)) for fy in before["fiscal_year"]]
    grades = list(h["grade"])
    actual = [None if pd.isna(v) else float(v) for v in h["actual_value"]]
    bar_text = [
        ""
        if a is None
        else f"{format_value(a, unit)}<br>{STYLES[g].symbol}{g if g in GRADED else ''}"
        for a, g in zip(actual, grades, strict=True)
    ]
    fig = go.Figure()
    if len(before):
        prev_values = [float(v) for v in before["actual_value"]]
        fig.add_bar(
            x=prev_x,
            y=prev_values,
            name="前計画の実績",
            marker=dict(color=PREVIOUS_PLAN_COLOUR, line=dict(color="#777777", width=1)),
            text=[
                "" if compact else format_value(v, unit) + ("（架空）" if sample is True else "")
                for v, sample in zip(
                    prev_values, before.get("is_sample", [None] * len(before)), strict=True
                )
            ],
            textposition="outside",
            textfont=dict(color="#777777"),
            cliponaxis=False,
            hovertemplate="%{x}<br>前計画の実績 %{y:,}<extra></extra>",
        )
    fig.add_bar(
        x=x,
        y=actual,
        name="実績",
        marker=dict(
            color=[STYLES[g].colour for g in grades],
            pattern=dict(
                shape=[PATTERNS.get(g, "") for g in grades],
                fgcolor="#333333",
                fillmode="overlay",
                solidity=0.15,
            ),
            line=dict(color="#333333", width=1),
        ),
        text=bar_text
        if not compact
        else [
            "" if a is None else f"{STYLES[g].symbol}{g}"
            for a, g in zip(actual, grades, strict=True)
        ],
        textposition="outside",
        cliponaxis=False,
        customdata=[
            [format_value(a, unit), STYLES[g].label] for a, g in zip(actual, grades, strict=True)
        ],
        hovertemplate="%{x}<br>実績 %{customdata[0]}<br>評価 %{customdata[1]}<extra></extra>",
    )
    numeric = h["target_value"].notna()
    if numeric.any():
        comparators = list(h["comparator"].fillna(""))
        main = max(set(c for c in comparators if c), key=comparators.count, default="")
        fig.add_scatter(
            x=[xi for xi, n in zip(x, numeric, strict=True) if n],
            y=list(h.loc[numeric, "target_value"].astype(float)),
            name=f"目標（{comparator_word(main)}）" if comparator_word(main) else "目標",
            mode="lines+markers",
            line=dict(color=TARGET_COLOUR, width=2, dash="dash"),
            marker=dict(
                symbol=[
                    TARGET_SYMBOLS.get(c, OTHER_TARGET.plotly) for c in h.loc[numeric, "comparator"]
                ],
                size=9 if compact else 12,
                color=TARGET_COLOUR,
            ),
            customdata=[[t] for t in h.loc[numeric, "target_text"]],
            hovertemplate="%{x}<br>目標 %{customdata[0]}<extra></extra>",
        )
    revised = (
        original[original["original_target_value"].notna()].sort_values("fiscal_year")
        if original is not None and len(original)
        else None
    )
    if revised is not None and len(revised):
        fig.add_scatter(
            x=[short_year(int(fy)) for fy in revised["fiscal_year"]],
            y=list(revised["original_target_value"].astype(float)),
            name="当初の目標（見直し前）",
            mode="markers",
            opacity=0.6,
            marker=dict(
                symbol="line-ew-open",
                size=18,
                color=ORIGINAL_TARGET_COLOUR,
                line=dict(width=2, color=ORIGINAL_TARGET_COLOUR),
            ),
            customdata=[[t] for t in revised["original_target_text"]],
            hovertemplate="%{x}<br>当初の目標 %{customdata[0]}<extra></extra>",
        )
    for xi, text, value in zip(x, h["target_text"], h["target_value"], strict=True):
        if isinstance(text, str) and pd.isna(value):
            fig.add_annotation(
                x=xi,
                y=1,
                yref="paper",
                yanchor="top",
                showarrow=False,
                text="文章目標" if compact else _wrap(text, 8),
                font=dict(size=10, color="#555555"),
                hovertext=text,
            )
    for xi, g in zip(x, grades, strict=True):
        if g == NOT_REPORTED:  # a year that ended without a value: say so, do not leave a gap
            fig.add_annotation(
                x=xi,
                y=0,
                yanchor="bottom",
                showarrow=False,
                text=f"{STYLES[g].symbol}未報告",
                font=dict(size=10 if compact else 12, color="#555555"),
            )
    projected = _add_projection(fig, outlook, unit, compact) if outlook is not None else None
    values = (
        [v for v in actual if v is not None]
        + list(h.loc[numeric, "target_value"].astype(float))
        + [float(v) for v in before["actual_value"]]
        + ([] if revised is None else list(revised["original_target_value"].astype(float)))
    )
    if projected is not None:
        values.append(projected)
    top = max(values, default=1) or 1
    if unit == "%":
        top = max(top, 100)
    fig.update_layout(
        # Small cards use small type; a card as tall as the council's is read across a room.
        font=dict(family=FONT, size=11 if compact and (height or 220) < 280 else 14),
        height=height or (220 if compact else 420),
        bargap=0.35,
        margin=dict(l=8, r=8, t=24 if compact else 40, b=8),
        showlegend=not compact,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        yaxis=dict(
            title=None if compact else (unit or "値"),
            range=[0, top * 1.25],
            rangemode="tozero",
            tickformat=",",
            ticksuffix="%" if unit == "%" else "",
        ),
        xaxis=dict(type="category", categoryorder="array", categoryarray=prev_x + x, tickangle=0),
        hoverlabel=dict(font=dict(family=FONT)),
    )
    return fig


PROJECTION_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: apart from the grades and the target
PROJECTION_NAME = "見込み（傾向からの推計）"


def _add_projection(
    fig: go.Figure, outlook: Mapping[str, Any], unit: str, compact: bool
) -> float | None:
    """The dotted 見込み line from the last actual to the final year; returns the projected
    value drawn, or None when the outlook is not a forecast (no trend, or the final year's
    own actual)."""
    line = projection(outlook)
    if line is None:
        return None
    value = line.value
    end = short_year(line.final_year)
    fig.add_scatter(
        x=[short_year(line.last_year), end],
        y=[line.last_value, value],
        name=PROJECTION_NAME,
        mode="lines+markers",
        line=dict(color=PROJECTION_COLOUR, width=3, dash="dot"),
        marker=dict(size=[0, 10 if compact else 13], symbol="circle-open", color=PROJECTION_COLOUR),
        cliponaxis=False,
        customdata=[[line.points], [line.points]],
        hovertemplate=(
            "%{x}<br>見込み %{y:,.4~g}<br>実績%{customdata[0]}年度分から最小二乗法で推計"
            "（予測であり確定値ではありません）<extra></extra>"
        ),
    )
    # A boxed label: it stays readable where the line crosses a later year's bar.
    fig.add_annotation(
        x=end,
        y=value,
        text=f"見込み {format_value(round(value, 1), unit)}",
        name="projection-label",
        showarrow=False,
        yshift=18,
        bgcolor="rgba(255,255,255,0.9)",
        bordercolor=PROJECTION_COLOUR,
        borderwidth=1,
        font=dict(size=10 if compact else 13, color="#7A3D63"),
    )
    return value


def _wrap(text: str, width: int) -> str:
    parts = [text[i : i + width] for i in range(0, len(text), width)]
    return "<br>".join(parts[:3]) + ("…" if len(parts) > 3 else "")


def grade_bars(table: pd.DataFrame, label_column: str, *, height: int | None = None) -> go.Figure:
    """Horizontal stacked bars: how many KPIs of each grade per policy / department."""
    labels = list(table[label_column].astype(str))
    fig = go.Figure(layout=BASE_LAYOUT)
    for g in ALL_GRADES:
        if g not in table or not table[g].any():
            continue
        s = STYLES[g]
        counts = list(table[g].astype(int))
        fig.add_bar(
            y=labels,
            x=counts,
            orientation="h",
            name=f"{s.symbol} {g if g in GRADED else s.label}",
            marker=dict(
                color=s.colour,
                pattern=dict(
                    shape=PATTERNS.get(g, ""), fgcolor="#333333", fillmode="overlay", solidity=0.15
                ),
                line=dict(color="#333333", width=0.5),
            ),
            text=[f"{s.symbol}{c}" if c else "" for c in counts],
            textposition="inside",
            insidetextanchor="middle",
            textfont=dict(color=s.text_colour),
            hovertemplate="%{y}<br>" + f"{s.label}: " + "%{x} 指標<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        font=dict(family=FONT, size=14),
        height=height or max(160, 48 * len(labels) + 90),
        margin=dict(l=8, r=8, t=30, b=8),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="normal"),
        yaxis=dict(autorange="reversed", automargin=True),
        xaxis=dict(
            title="指標数", dtick=1 if table[list(ALL_GRADES)].sum(axis=1).max() <= 12 else None
        ),
    )
    return fig
