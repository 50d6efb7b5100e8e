"""Inline SVG charts for the public site: no script, no font, no network.

The charts speak the dashboard's visual language (kpi/charts.py): actuals are bars coloured
*and* hatched by grade, with the value and the grade's symbol and letter written above them;
targets are a dashed black line whose marker tells the comparator (▲ 以上, ▼ 以下, ◆ 目標どおり).
Every text is escaped. Each chart is `role="img"` and named by ids the page supplies (its
caption and its text alternative); the numbers are also in a table beside it on the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import pandas as pd

from kpi.charts import format_value
from kpi.fiscal import era_name
from kpi.numbers import is_missing
from kpi.status import (
    ALL_GRADES,
    GRADE_PATTERNS,
    GRADED,
    NOT_GRADED,
    NOT_REPORTED,
    STYLES,
    TARGET_MARKERS,
)

TEXT = "#1a1a1a"
MUTED = "#555555"  # 7.4:1 on white
GRID = "#d0d0d0"
EDGE = "#333333"
SELECTED_FILL = "#eeeeee"
TARGET_SHAPES = {c: m.glyph for c, m in TARGET_MARKERS.items()}  # the one chart vocabulary
TARGET_WORDS = {">=": "以上", "<=": "以下", "=": "目標どおり"}

# Hatches from the one chart vocabulary (kpi.status): a greyscale print tells the grades apart.
_HATCH_PATHS = {g: p.svg for g, p in GRADE_PATTERNS.items() if p.svg}


def _a(value: object) -> str:
    """An attribute value, escaped (quotes included)."""
    return escape(str(value), quote=True)


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def year_lines(fy: int, *, narrow: bool = False) -> tuple[str, str]:
    """('令和7年度', '（2025年度）'): the public form of a fiscal year, on two lines under a
    bar; ('R7', '(2025)') where a plan of many years leaves little room per bar."""
    name = era_name(fy)
    if not narrow:
        return name, f"（{fy}年度）"
    n = name[2:].removesuffix("年度")
    return f"{'R' if name.startswith('令和') else 'H'}{1 if n == '元' else n}", f"({fy})"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 x 10^k) up to at least `top`."""
    if top <= 0:
        top = 1.0
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _patterns(prefix: str, grades: Sequence[str]) -> str:
    out = []
    for g in dict.fromkeys(grades):
        if g not in _HATCH_PATHS or g not in STYLES:
            continue
        width = 1.6 if g == "D" else 1
        cap = ' stroke-linecap="round"' if g == "D" else ""
        out.append(
            f'<pattern id="{_a(prefix)}-{_a(_pattern_key(g))}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect width="8" height="8" '
            f'fill="{STYLES[g].colour}"/><path d="{_HATCH_PATHS[g]}" stroke="{EDGE}" '
            f'stroke-width="{width if g != "D" else 2.4}"{cap}/></pattern>'
        )
    return f"<defs>{''.join(out)}</defs>" if out else ""


def _pattern_key(grade: str) -> str:
    return grade if grade in GRADED else "nr"


def _fill(prefix: str, grade: str) -> str:
    if grade in _HATCH_PATHS:
        return f"url(#{_a(prefix)}-{_a(_pattern_key(grade))})"
    return STYLES.get(grade, STYLES[NOT_GRADED]).colour


def _target_marker(x: float, y: float, comparator: str) -> str:
    s = 6.0
    if comparator == ">=":
        pts = [(x, y - s), (x - s, y + s * 0.8), (x + s, y + s * 0.8)]
    elif comparator == "<=":
        pts = [(x, y + s), (x - s, y - s * 0.8), (x + s, y - s * 0.8)]
    else:
        pts = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
    points = " ".join(f"{_num(px)},{_num(py)}" for px, py in pts)
    return f'<polygon points="{points}" fill="#000000"/>'


def kpi_chart(history: pd.DataFrame, *, selected_year: int, chart_id: str, labelled_by: str) -> str:
    """Target versus actual of one KPI across the plan's years, as an inline <svg>.

    `history` is one KPI's rows of the status table (fiscal_year, target_value, comparator,
    actual_value, grade, unit). `labelled_by` names the ids of the caption and the text
    alternative; `chart_id` prefixes the pattern ids so that several charts share a page.
    """
    h = history.sort_values("fiscal_year")
    unit = str(h["unit"].iloc[0]) if len(h) and not is_missing(h["unit"].iloc[0]) else ""
    years = [int(fy) for fy in h["fiscal_year"]]
    grades = [str(g) for g in h["grade"]]
    actual = [None if is_missing(v) else float(v) for v in h["actual_value"]]
    target = [None if is_missing(v) else float(v) for v in h["target_value"]]
    comps = ["" if is_missing(c) else str(c) for c in h["comparator"]]
    values = [v for v in actual + target if v is not None]
    top = max(values, default=0.0)
    if unit == "%":
        top = max(top, 100.0)
    ticks = nice_ticks(top * 1.15 or 1.0)
    y_max = ticks[-1]

    width, height = 640, 300
    left, right, top_pad, plot_bottom = 78, 16, 34, 214
    plot_w = width - left - right
    plot_h = plot_bottom - top_pad
    slot = plot_w / max(len(years), 1)

    def x_of(i: int) -> float:
        return left + slot * (i + 0.5)

    def y_of(v: float) -> float:
        return plot_bottom - (v / y_max) * plot_h if y_max else plot_bottom

    parts: list[str] = [_patterns(chart_id, grades)]
    # selected year band, grid and y labels
    if selected_year in years:
        i = years.index(selected_year)
        parts.append(
            f'<rect x="{_num(left + slot * i)}" y="{top_pad - 22}" width="{_num(slot)}" '
            f'height="{plot_h + 22 + 40}" fill="{SELECTED_FILL}"/>'
        )
    for t in ticks:
        y = y_of(t)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{GRID if t else EDGE}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(format_value(t, "%" if unit == "%" else ""))}</text>'
        )
    if unit and unit != "%":
        parts.append(
            f'<text x="{left - 6}" y="{top_pad - 16}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">（{escape(unit)}）</text>'
        )
    # actual bars with their value and grade above
    bar_w = slot * 0.5
    for i, (a, g) in enumerate(zip(actual, grades, strict=True)):
        cx = x_of(i)
        style = STYLES.get(g, STYLES[NOT_GRADED])
        if a is None:
            if g == NOT_REPORTED:
                parts.append(
                    f'<text x="{_num(cx)}" y="{plot_bottom - 6}" text-anchor="middle" '
                    f'font-size="12" fill="{MUTED}">{escape(style.symbol)} 未報告</text>'
                )
            continue
        y = y_of(max(a, 0.0))
        parts.append(
            f'<rect x="{_num(cx - bar_w / 2)}" y="{_num(y)}" width="{_num(bar_w)}" '
            f'height="{_num(plot_bottom - y)}" fill="{_fill(chart_id, g)}" stroke="{EDGE}" '
            f'stroke-width="1"/>'
        )
        goal = target[i]
        label_top = min(y, y_of(goal)) if goal is not None else y
        mark = f"{style.symbol}{g if g in GRADED else ''}"
        gap = 10 if goal is not None else 4
        parts.append(
            f'<text x="{_num(cx)}" y="{_num(label_top - gap - 14)}" text-anchor="middle" '
            f'font-size="12" fill="{TEXT}"><tspan x="{_num(cx)}">'
            f"{escape(format_value(a, unit))}</tspan>"
            f'<tspan x="{_num(cx)}" dy="14" font-weight="bold">{escape(mark)}</tspan></text>'
        )
    # target line (segments over consecutive numeric years) and markers
    run: list[tuple[float, float]] = []
    segments: list[list[tuple[float, float]]] = []
    for i, goal in enumerate(target):
        if goal is None:
            if run:
                segments.append(run)
            run = []
            continue
        run.append((x_of(i), y_of(goal)))
    if run:
        segments.append(run)
    for seg in segments:
        if len(seg) > 1:
            points = " ".join(f"{_num(px)},{_num(py)}" for px, py in seg)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="#000000" stroke-width="2" '
                f'stroke-dasharray="6 4"/>'
            )
    for i, goal in enumerate(target):
        if goal is not None:
            parts.append(_target_marker(x_of(i), y_of(goal), comps[i]))
    # x axis labels
    for i, fy in enumerate(years):
        era, western = year_lines(fy, narrow=slot < 90)
        weight = ' font-weight="bold"' if fy == selected_year else ""
        parts.append(
            f'<text x="{_num(x_of(i))}" y="{plot_bottom + 18}" text-anchor="middle" '
            f'font-size="13" fill="{TEXT}"{weight}><tspan x="{_num(x_of(i))}">{escape(era)}'
            f'</tspan><tspan x="{_num(x_of(i))}" dy="15">{escape(western)}</tspan></text>'
        )
    parts.append(_legend(chart_id, grades, [c for c, t in zip(comps, target, strict=True) if t]))
    body = "".join(parts)
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{_a(labelled_by)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif">{body}</svg>'
    )


def _legend(chart_id: str, grades: Sequence[str], comparators: Sequence[str]) -> str:
    y = 286
    x = 78.0
    out = []
    shown = [g for g in dict.fromkeys(grades) if g in GRADED]
    if shown:
        out.append(
            f'<rect x="{_num(x)}" y="{y - 11}" width="14" height="12" '
            f'fill="#bbbbbb" stroke="{EDGE}"/>'
        )
        out.append(
            f'<text x="{_num(x + 20)}" y="{y}" font-size="12" fill="{TEXT}">'
            "実績（棒。色・模様と記号が評価）</text>"
        )
        x += 230
    comps = list(dict.fromkeys(c for c in comparators if c in TARGET_SHAPES))
    if comps:
        out.append(
            f'<line x1="{_num(x)}" x2="{_num(x + 26)}" y1="{y - 5}" y2="{y - 5}" '
            f'stroke="#000000" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        words = "・".join(f"{TARGET_SHAPES[c]}{TARGET_WORDS[c]}" for c in comps)
        out.append(
            f'<text x="{_num(x + 32)}" y="{y}" font-size="12" fill="{TEXT}">目標（{escape(words)}）</text>'
        )
    return "".join(out)


def grade_bars(
    rows: Sequence[tuple[str, dict[str, int]]], *, chart_id: str, labelled_by: str
) -> str:
    """Horizontal stacked bars, one per group (基本方針): how many KPIs of each grade.

    `rows` is (label, {grade: count}). Each segment carries its symbol and count on a white
    tag where it is wide enough; the counts are always in the table beside the chart.
    """
    grades = [g for g in ALL_GRADES if any(c.get(g, 0) for _, c in rows)]
    label_w, right = 150, 20
    width = 640
    bar_h, gap, top = 30, 18, 12
    legend = _legend_rows(grades, start=label_w, width=width - right)
    legend_y = top + len(rows) * (bar_h + gap) + 10
    height = legend_y + 24 * len({y for _, y, _ in legend}) + 6
    total = max((sum(c.get(g, 0) for g in grades) for _, c in rows), default=0) or 1
    scale = (width - label_w - right) / total
    parts = [_patterns(chart_id, grades)]
    for r, (label, counts) in enumerate(rows):
        y = top + r * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 5}" text-anchor="end" font-size="14" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
        x = float(label_w)
        for g in grades:
            n = counts.get(g, 0)
            if not n:
                continue
            w = n * scale
            parts.append(
                f'<rect x="{_num(x)}" y="{y}" width="{_num(w)}" height="{bar_h}" '
                f'fill="{_fill(chart_id, g)}" stroke="{EDGE}" stroke-width="1"/>'
            )
            tag = f"{STYLES[g].symbol}{n}"
            if w >= 34:
                cx = x + w / 2
                parts.append(
                    f'<rect x="{_num(cx - 15)}" y="{y + 6}" width="30" height="18" rx="3" '
                    f'fill="#ffffff" stroke="{EDGE}" stroke-width="0.5"/>'
                    f'<text x="{_num(cx)}" y="{y + 20}" text-anchor="middle" font-size="13" '
                    f'fill="{TEXT}">{escape(tag)}</text>'
                )
            x += w
    for g, row, x in legend:
        y = legend_y + 24 * row
        parts.append(
            f'<rect x="{_num(x)}" y="{y}" width="14" height="14" fill="{_fill(chart_id, g)}" '
            f'stroke="{EDGE}"/><text x="{_num(x + 18)}" y="{y + 12}" font-size="12" '
            f'fill="{TEXT}">{escape(_grade_word(g))}</text>'
        )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{_a(labelled_by)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif">{"".join(parts)}</svg>'
    )


def _grade_word(grade: str) -> str:
    s = STYLES[grade]
    return f"{s.symbol} {grade} {s.label}" if grade in GRADED else f"{s.symbol} {s.label}"


def _legend_rows(
    grades: Sequence[str], *, start: float, width: float
) -> list[tuple[str, int, float]]:
    """(grade, row, x) of each legend entry, wrapping before the right edge (about 12 px per
    character at font size 12, Japanese characters being full-width)."""
    out, row, x = [], 0, start
    for g in grades:
        w = 18 + 12 * sum(1 if ord(ch) < 0x2000 else 2 for ch in _grade_word(g)) / 2 + 14
        if x + w > width and x > start:
            row, x = row + 1, start
        out.append((g, row, x))
        x += w
    return out
