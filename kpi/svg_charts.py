"""Small target-versus-actual charts as static SVG text, for the board (概況) and the council.

A page of ~35 plotly charts took 4-6x as long as a trivial page to settle in a real browser
(docs/benchmarks.md, browser): each plotly chart is a JavaScript widget of its own. These
small multiples are plain markup that the browser lays out once. The detail page keeps the
interactive plotly chart.

What a chart shows, whatever its size (DESIGN 1: status never by colour alone):
- each year's actual as a bar in its grade's colour, labelled above with the value and the
  grade's symbol and letter (◎A ○B △C ×D);
- numeric targets as a black dashed line whose marker tells the comparator (▲ 以上, ▼ 以下,
  ◆ 回数・維持);
- a year that ended without a value says 未報告; a text target says 文章目標;
- a done/not-done KPI (a target of 1 回) shows 達成 / 未達成 per year instead of a 0-1 axis.

Text is drawn at `font_px` in a viewBox as wide as `width`: a page that shows the SVG at its
own width keeps that size (the council's slides: 18 px and more).
"""

from __future__ import annotations

from html import escape

import pandas as pd

from kpi.fiscal import era_name
from kpi.status import GRADED, NOT_GRADED, NOT_REPORTED, OTHER_TARGET, STYLES, TARGET_MARKERS

FONT = "Noto Sans JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"
INK = "#222222"
MUTED = "#555555"  # 7.4:1 on white
TARGET_MARKS = {c: m.glyph for c, m in TARGET_MARKERS.items()}  # the one vocabulary


def short_number(value: float, unit: str = "") -> str:
    """A bar label that fits a narrow column: 6,376,254 -> 637.6万; 61.3 -> 61.3%."""
    v = float(value)
    if abs(v) >= 100_000_000:
        text = f"{v / 100_000_000:.1f}".rstrip("0").rstrip(".") + "億"
    elif abs(v) >= 100_000:
        text = f"{v / 10_000:.1f}".rstrip("0").rstrip(".") + "万"
    elif v.is_integer():
        text = f"{int(v):,}"
    else:
        text = f"{v:,.1f}".rstrip("0").rstrip(".")
    return text + ("%" if unit == "%" else "")


def year_label(fy: int) -> str:
    name = era_name(fy)
    n = name[2:].removesuffix("年度")
    return f"{'R' if name.startswith('令和') else 'H'}{1 if n == '元' else n}"


def is_done_kpi(history: pd.DataFrame) -> bool:
    """A KPI done once a year or not (研修の実施 1回以上, 内部監査の実施 1回): every numeric
    target is 1 回 with >= or =."""
    numeric = history[history["target_value"].notna()]
    if numeric.empty or str(history["unit"].iloc[0]) != "回":
        return False
    return bool(
        (numeric["target_value"].astype(float) == 1).all()
        and numeric["comparator"].isin([">=", "="]).all()
    )


def _text(x: float, y: float, body: str, size: float, *, fill: str = INK, weight: str = "") -> str:
    bold = ' font-weight="bold"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" fill="{fill}"'
        f' text-anchor="middle"{bold}>{escape(body)}</text>'
    )


def _open(width: int, height: int, label: str, font_px: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" style="max-width:100%;height:auto"'
        f' font-family="{FONT}" font-size="{font_px:g}"><title>{escape(label)}</title>'
    )


def kpi_svg(
    history: pd.DataFrame,
    *,
    width: int = 320,
    height: int = 170,
    font_px: float = 12,
    label: str = "目標と実績",
) -> str:
    """The chart of one KPI across the plan's years (rows of `kpi_history`)."""
    h = history.sort_values("fiscal_year")
    if is_done_kpi(h):
        return _done_svg(h, width=width, font_px=font_px, label=label)
    unit = str(h["unit"].iloc[0]) if len(h) else ""
    years = [int(y) for y in h["fiscal_year"]]
    n = max(len(years), 1)
    actual = [None if pd.isna(v) else float(v) for v in h["actual_value"]]
    targets = [None if pd.isna(v) else float(v) for v in h["target_value"]]
    grades = list(h["grade"])
    comparators = [None if pd.isna(c) else str(c) for c in h["comparator"]]
    texts = [None if pd.isna(t) else str(t) for t in h["target_text"]]

    f = font_px
    margin = 4.0
    top = 2.5 * f + 4  # two label lines above the tallest bar
    bottom = 1.5 * f + 4  # the year labels
    plot_h = height - top - bottom
    col = (width - 2 * margin) / n
    bar_w = col * 0.5
    values = [v for v in actual + targets if v is not None]
    peak = max(values, default=1.0) or 1.0
    if unit == "%":
        peak = max(peak, 100.0) if peak > 60 else peak
    base_y = top + plot_h

    def y_of(v: float) -> float:
        return base_y - max(v, 0.0) / peak * plot_h

    parts = [_open(width, height, label, f)]
    parts.append(
        f'<line x1="{margin}" y1="{base_y:.1f}" x2="{width - margin}" y2="{base_y:.1f}"'
        f' stroke="{MUTED}" stroke-width="1"/>'
    )
    centres = [margin + col * (i + 0.5) for i in range(n)]
    for cx, a, g, t, tv in zip(centres, actual, grades, texts, targets, strict=True):
        style = STYLES.get(g)
        if a is not None and style is not None:
            y = y_of(a)
            parts.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}"'
                f' height="{max(base_y - y, 1):.1f}" fill="{style.colour}" stroke="#333333"'
                f' stroke-width="1"/>'
            )
            mark = f"{style.symbol}{g}" if g in GRADED else style.symbol
            parts.append(_text(cx, y - 4, mark, f, weight="bold"))
            parts.append(_text(cx, y - 4 - 1.15 * f, short_number(a, unit), f))
        elif g == NOT_REPORTED:
            parts.append(_text(cx, base_y - 4, f"{STYLES[g].symbol}未報告", f, fill=MUTED))
        elif g == NOT_GRADED or (t is not None and tv is None):
            parts.append(_text(cx, top + f, "文章目標" if col > 4.5 * f else "文章", f, fill=MUTED))
    points = [
        (cx, y_of(tv), c)
        for cx, tv, c in zip(centres, targets, comparators, strict=True)
        if tv is not None
    ]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="#000000" stroke-width="2"'
            ' stroke-dasharray="6 4"/>'
        )
    for x, y, c in points:
        parts.append(
            f'<text x="{x:.1f}" y="{y + f * 0.45:.1f}" font-size="{f * 1.3:g}" fill="#000000"'
            f' text-anchor="middle">{TARGET_MARKS.get(c or "", OTHER_TARGET.glyph)}</text>'
        )
    for cx, fy in zip(centres, years, strict=True):
        parts.append(_text(cx, height - 4, year_label(fy), f))
    parts.append("</svg>")
    return "".join(parts)


def _done_svg(h: pd.DataFrame, *, width: int, font_px: float, label: str) -> str:
    """Per year: 達成 / 未達成 / 未報告 (a done/not-done KPI has no scale to draw)."""
    f = font_px
    years = [int(y) for y in h["fiscal_year"]]
    n = max(len(years), 1)
    height = int(4.2 * f + 8)
    col = (width - 8) / n
    parts = [_open(width, height, label, f)]
    for i, (fy, g) in enumerate(zip(years, h["grade"], strict=True)):
        cx = 4 + col * (i + 0.5)
        style = STYLES.get(g)
        if g == "A":
            word, fill = "◎達成", INK
        elif g in GRADED:
            word, fill = "×未達成", INK
        elif style is not None and g != NOT_GRADED:
            word, fill = style.symbol + ("未報告" if g == NOT_REPORTED else ""), MUTED
        else:
            word, fill = "", MUTED
        if g in GRADED:
            parts.append(
                f'<rect x="{cx - col * 0.45:.1f}" y="4" width="{col * 0.9:.1f}"'
                f' height="{1.9 * f:.1f}" rx="4" fill="{STYLES[g].colour}" fill-opacity="0.25"'
                f' stroke="{STYLES[g].colour}" stroke-width="2"/>'
            )
        parts.append(_text(cx, 4 + 1.35 * f, word, f, fill=fill, weight="bold"))
        parts.append(_text(cx, height - 4, year_label(fy), f))
    parts.append("</svg>")
    return "".join(parts)
