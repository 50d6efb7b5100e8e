"""The PDF's charts: one KPI's targets and actuals as a PNG, drawn with matplotlib.

The charts speak the dashboard's visual language: the grade patterns and target markers come
from the one chart vocabulary in kpi/status.py (`GRADE_PATTERNS`, `TARGET_MARKERS`) with the
colours and symbols of the grades. Actuals are bars coloured *and* hatched by grade with symbol +
letter above them, targets a dashed black line whose marker tells the comparator, text
targets written as text, so that a greyscale print still reads.

No pyplot: one Agg figure per report, never registered globally (the app may build two
reports at once on two threads).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kpi.charts import PROJECTION_COLOUR, PROJECTION_NAME, format_value
from kpi.fiscal import era_name
from kpi.numbers import is_missing, text_or_blank
from kpi.outlook import Projection, projection
from kpi.status import (
    ALL_GRADES,
    COMPARATOR_WORDS,
    GRADE_PATTERNS,
    GRADED,
    NO_PATTERN,
    NOT_GRADED,
    NOT_REPORTED,
    OTHER_TARGET,
    STYLES,
    TARGET_MARKERS,
    badge_text,
)

CHART_DPI = 150
MM_PER_INCH = 25.4
SELECTED_YEAR_FILL = "#F0F0F0"


def _hatch(grade: str) -> str:
    return GRADE_PATTERNS.get(grade, NO_PATTERN).matplotlib


# Full-width ASCII (！..～) -> ASCII: a target printed 「７，０００件」 reads like the actual
# 「7,000 件」 beside it (issue #10). Japanese text is left as printed.
_HALF_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


def half_width(text: str) -> str:
    """Full-width digits, letters and signs as half-width: 「７０％以上」 -> 「70%以上」."""
    return text.translate(_HALF_WIDTH)


def axis_number(value: float, suffix: str = "") -> str:
    """A value-axis label short enough for the chart's margin: 8,000,000 -> 「800万」, not
    「8,000,000」 (printed clipped as 「,000,000」, issue #10)."""
    size = abs(value)
    if size >= 100_000_000:
        return f"{value / 100_000_000:,.4g}億{suffix}"
    if size >= 100_000:
        return f"{value / 10_000:,.4g}万{suffix}"
    return format_value(value, "") + suffix


def _marker(comparator: str) -> str:
    return TARGET_MARKERS.get(comparator, OTHER_TARGET).matplotlib


def _short_year(fy: int) -> str:
    """'R7\n(2025)': what fits under a bar."""
    name = era_name(fy)
    n = name[2:].removesuffix("年度")
    return f"{'R' if name.startswith('令和') else 'H'}{1 if n == '元' else n}\n({fy})"


def _wrap(text: str, width: int, lines: int) -> str:
    parts = [text[i : i + width] for i in range(0, len(text), width)]
    return "\n".join(parts[:lines]) + ("…" if len(parts) > lines else "")


class StaticCharts:
    """One matplotlib figure and axes (Agg, no pyplot state) reused for every KPI of a report.

    Creating axes and their ticks costs more than drawing the data, so the axes are set up
    once and each chart only swaps its data artists (bars, target line, labels, legend).
    """

    def __init__(
        self, font: Path, clean: Callable[[object], str], size_mm: tuple[float, float]
    ) -> None:
        # Fonts are named on every text instead of through rcParams: rc_context is process
        # global and not thread-safe (the app may build two reports at once).
        if not any(f.fname == str(font) for f in font_manager.fontManager.ttflist):
            font_manager.fontManager.addfont(str(font))  # once per process: the list stays small
        self.family = font_manager.FontProperties(fname=str(font)).get_name()
        self.clean = clean
        self.suffix = ""
        size = (size_mm[0] / MM_PER_INCH, size_mm[1] / MM_PER_INCH)
        self.figure = Figure(figsize=size, dpi=CHART_DPI, facecolor="white")
        FigureCanvasAgg(self.figure)
        ax = self.ax = self.figure.add_axes((0.075, 0.2, 0.68, 0.7))
        ax.grid(axis="y", color="#E0E0E0", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=7.5, length=2, labelfontfamily=self.family)
        self.locator = MaxNLocator(nbins=4)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: axis_number(v, self.suffix)))
        self.xticks: list[int] = []

    def render(
        self,
        history: pd.DataFrame,
        selected_year: int,
        outlook_row: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The KPI's chart; with `outlook_row` (kpi.outlook, as of the selected year) the
        見込み is drawn dotted from the last actual to the final year, as on the app's chart."""
        ax = self.ax
        for artist in [*ax.patches, *ax.lines, *ax.texts, *ax.collections]:
            artist.remove()
        if legend := ax.get_legend():
            legend.remove()
        self._draw(ax, history, selected_year, projection(outlook_row))
        buf = io.BytesIO()
        self.figure.savefig(
            buf,
            format="png",
            dpi=CHART_DPI,
            facecolor="white",
            pil_kwargs={"compress_level": 1},  # fpdf2 re-compresses the pixels anyway
        )
        return buf.getvalue()

    def close(self) -> None:
        """Drop every artist: the figure is not in pyplot's registry, so this frees it."""
        self.figure.clear()

    def _projection(
        self, ax: Axes, line: Projection, x0: int, x1: int, unit: str, top: float
    ) -> None:
        ax.plot(
            [x0, x1],
            [line.last_value, line.value],
            linestyle=":",
            linewidth=1.8,
            color=PROJECTION_COLOUR,
            marker="o",
            markevery=[1],
            markerfacecolor="white",
            markersize=5,
            label=PROJECTION_NAME,
            zorder=4,
        )
        ax.text(  # boxed: readable where the line crosses a later year's bar
            x1,
            line.value + top * 0.08,
            self.clean(f"見込み {format_value(round(line.value, 1), unit)}"),
            ha="center",
            va="bottom",
            fontsize=7,
            fontfamily=self.family,
            color="#7A3D63",
            bbox={
                "boxstyle": "square,pad=0.15",
                "facecolor": "white",
                "edgecolor": PROJECTION_COLOUR,
                "linewidth": 0.6,
            },
            zorder=6,
        )

    def _draw(self, ax: Axes, h: pd.DataFrame, selected_year: int, line: Projection | None) -> None:
        h = h.sort_values("fiscal_year")
        unit = str(h["unit"].iloc[0]) if len(h) else ""
        years = [int(fy) for fy in h["fiscal_year"]]
        xs = list(range(len(years)))
        grades = [str(g) for g in h["grade"]]
        actual = [None if is_missing(v) else float(v) for v in h["actual_value"]]
        numeric = [not is_missing(v) for v in h["target_value"]]
        targets = [float(v) for v, n in zip(h["target_value"], numeric, strict=True) if n]
        values = [a for a in actual if a is not None] + targets
        if "original_target_value" in h:
            values += [float(v) for v in h["original_target_value"] if not is_missing(v)]
        if line is not None and not {line.last_year, line.final_year} <= set(years):
            line = None  # a year the table does not have: nothing to draw it from
        if line is not None:
            values.append(line.value)
        top = max(values, default=0.0)
        if unit == "%":
            top = max(top, 100.0)
        top = top or 1.0
        if selected_year in years:
            i = years.index(selected_year)
            ax.axvspan(i - 0.5, i + 0.5, color=SELECTED_YEAR_FILL, zorder=0, linewidth=0)
        target_at = {
            x: float(t) for x, t, n in zip(xs, h["target_value"], numeric, strict=True) if n
        }
        for x, a, g in zip(xs, actual, grades, strict=True):
            style = STYLES.get(g, STYLES[NOT_GRADED])
            if a is None:
                if g == NOT_REPORTED:
                    ax.text(
                        x,
                        top * 0.02,
                        self.clean(f"{style.symbol} 未報告"),
                        ha="center",
                        va="bottom",
                        fontsize=7,
                        fontfamily=self.family,
                        color="#555555",
                    )
                continue
            ax.bar(
                x,
                a,
                width=0.55,
                color=style.colour,
                hatch=_hatch(g),
                hatch_linewidth=0.6,
                edgecolor="#333333",
                linewidth=0.8,
                zorder=2,
            )
            mark = f"{style.symbol}{g if g in GRADED else ''}"
            ax.text(  # above the bar and the target marker, so neither hides the other
                x,
                max(a, target_at.get(x, a)) + top * (0.06 if x in target_at else 0.02),
                self.clean(f"{format_value(a, unit)}\n{mark}"),
                ha="center",
                va="bottom",
                fontsize=7.5,
                fontfamily=self.family,
                zorder=5,
            )
        handles: list[Artist] = []
        if targets:
            points = [
                (x, float(t), text_or_blank(c))
                for x, t, c, n in zip(xs, h["target_value"], h["comparator"], numeric, strict=True)
                if n
            ]
            ax.plot(
                [p[0] for p in points],
                targets,
                linestyle="--",
                color="black",
                linewidth=1.3,
                zorder=3,
            )
            for comp in dict.fromkeys(p[2] for p in points):
                mine = [p for p in points if p[2] == comp]
                marker = _marker(comp)
                ax.scatter(
                    [p[0] for p in mine],
                    [p[1] for p in mine],
                    marker=marker,
                    s=28,
                    color="black",
                    zorder=4,
                )
                word = COMPARATOR_WORDS.get(comp, "")
                handles.append(
                    Line2D(
                        [],
                        [],
                        color="black",
                        linestyle="--",
                        linewidth=1.3,
                        marker=marker,
                        markersize=5,
                        label=f"目標（{word}）" if word else "目標",
                    )
                )
        if "original_target_value" in h:  # revised targets: the original, faint (#14)
            faint = [
                (x, float(v))
                for x, v in zip(xs, h["original_target_value"], strict=True)
                if not is_missing(v)
            ]
            if faint:
                ax.scatter(
                    [f[0] for f in faint],
                    [f[1] for f in faint],
                    marker="_",
                    s=160,
                    linewidths=2,
                    color="#999999",
                    zorder=4,
                )
                handles.append(
                    Line2D(
                        [],
                        [],
                        color="#999999",
                        linestyle="",
                        marker="_",
                        markersize=9,
                        markeredgewidth=2,
                        label="当初の目標（見直し前）",
                    )
                )
        if line is not None:
            self._projection(
                ax, line, years.index(line.last_year), years.index(line.final_year), unit, top
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    color=PROJECTION_COLOUR,
                    linestyle=":",
                    linewidth=1.8,
                    marker="o",
                    markerfacecolor="white",
                    markersize=5,
                    label=PROJECTION_NAME,
                )
            )
        for x, text, n in zip(xs, h["target_text"], numeric, strict=True):
            if not n and not is_missing(text):
                ax.text(
                    x,
                    0.97,
                    self.clean(_wrap(half_width(str(text)), 7, 3)),
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="top",
                    fontsize=6.5,
                    fontfamily=self.family,
                    color="#444444",
                    zorder=5,
                )
        shown = {g for g, a in zip(grades, actual, strict=True) if a is not None}
        for g in [g for g in ALL_GRADES if g in shown]:
            s = STYLES.get(g, STYLES[NOT_GRADED])
            handles.append(
                Patch(
                    facecolor=s.colour,
                    edgecolor="#333333",
                    hatch=_hatch(g),
                    hatch_linewidth=0.6,
                    label=self.clean(badge_text(g)),
                )
            )
        if handles:
            ax.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                frameon=False,
                prop={"family": self.family, "size": 7},
                handlelength=2.4,
            )
        ax.set_xlim(-0.5, len(xs) - 0.5)
        if years != self.xticks:  # the same plan years for every KPI: set the labels once
            ax.set_xticks(xs, [_short_year(fy) for fy in years])
            self.xticks = years
        ax.set_ylim(0, top * 1.3)
        self.suffix = "%" if unit == "%" else ""
        if values:
            ax.yaxis.set_major_locator(self.locator)
            ax.yaxis.set_tick_params(labelleft=True)
        else:  # only text targets and no actual yet: a value axis would mean nothing
            ax.set_yticks([])
        # the unit reads horizontally above the value axis (a rotated 人 or 件 reads badly)
        ax.set_ylabel(
            self.clean(f"（{unit or '値'}）") if values else "",
            fontsize=7.5,
            fontfamily=self.family,
            rotation=0,
            ha="right",
            va="bottom",
        )
        ax.yaxis.set_label_coords(0.0, 1.04)
