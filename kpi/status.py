"""Grades of DESIGN 6: vocabulary, display, and summaries.

The rules themselves run in SQL (`kpi_status_at` in schema.sql), so that analysts querying
the `kpi_status` view and the app see the same grades; the band edges come from config.toml.
This module names the grades, says how to show them without relying on colour, and
summarises a status table counting each KPI once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

A, B, C, D = "A", "B", "C", "D"
NOT_REPORTED = "未報告"
NOT_GRADED = "評価対象外"
NO_TARGET = "目標なし"
NOT_YET = "対象年度前"
GRADED = (A, B, C, D)
UNGRADED = (NOT_REPORTED, NOT_GRADED, NO_TARGET, NOT_YET)
ALL_GRADES = GRADED + UNGRADED


@dataclass(frozen=True)
class GradeStyle:
    symbol: str  # shape first: the grade must read without colour (print, colour blindness)
    label: str
    colour: str  # Okabe-Ito palette, safe for the common colour-vision deficiencies
    text_colour: str


STYLES: dict[str, GradeStyle] = {
    A: GradeStyle("◎", "達成", "#0072B2", "#FFFFFF"),
    B: GradeStyle("○", "概ね達成", "#56B4E9", "#000000"),
    C: GradeStyle("△", "一部達成", "#E69F00", "#000000"),
    D: GradeStyle("×", "未達成", "#D55E00", "#FFFFFF"),
    NOT_REPORTED: GradeStyle("－", "未報告", "#999999", "#000000"),
    NOT_GRADED: GradeStyle("…", "評価対象外（文章目標）", "#DDDDDD", "#000000"),
    NO_TARGET: GradeStyle("・", "目標なし", "#EEEEEE", "#000000"),
    NOT_YET: GradeStyle("‥", "対象年度前", "#EEEEEE", "#000000"),
}


# The chart vocabulary, one spelling per renderer: plotly draws the app's interactive charts
# (kpi/charts.py), matplotlib the PDF's (etl/static_charts.py), SVG the board's small multiples
# (kpi/svg_charts.py) and the public site's charts (etl/publish/svg.py). Every renderer takes its marks from here, never from a copy.


@dataclass(frozen=True)
class Pattern:
    """A bar fill, so that a grade reads in greyscale."""

    plotly: str
    matplotlib: str  # matplotlib draws one hatch character sparsely: three match plotly's one
    svg: str  # a path in an 8 x 8 tile (the public site's inline SVG); "" = plain fill


@dataclass(frozen=True)
class Marker:
    """A target's marker: its shape tells the comparator."""

    plotly: str
    matplotlib: str
    glyph: str  # drawn as text (SVG, and the words ▲ 以上, ▼ 以下, ◆ =)


GRADE_PATTERNS: dict[str, Pattern] = {
    A: Pattern("", "", ""),
    B: Pattern("/", "///", "M0,8 L8,0 M-2,2 L2,-2 M6,10 L10,6"),
    C: Pattern("x", "xxx", "M0,0 L8,8 M8,0 L0,8"),
    D: Pattern(".", "...", "M2,2 h0.01 M6,6 h0.01"),
    NOT_REPORTED: Pattern("-", "---", "M0,4 H8"),
}
NO_PATTERN = Pattern("", "", "")
TARGET_MARKERS: dict[str, Marker] = {
    ">=": Marker("triangle-up", "^", "▲"),
    "<=": Marker("triangle-down", "v", "▼"),
    "=": Marker("diamond", "D", "◆"),
}
OTHER_TARGET = Marker("circle", "o", "●")


def badge_text(grade: str | None) -> str:
    """'◎ A 達成' / '－ 未報告': symbol, letter and words, never colour alone."""
    if grade is None or grade not in STYLES:
        return "―"
    s = STYLES[grade]
    return f"{s.symbol} {grade} {s.label}" if grade in GRADED else f"{s.symbol} {s.label}"


def band_description(b_min: float, c_min: float) -> dict[str, str]:
    return {
        A: "目標を達成",
        B: f"達成率 {b_min:g}% 以上",
        C: f"達成率 {c_min:g}% 以上 {b_min:g}% 未満",
        D: f"達成率 {c_min:g}% 未満",
        NOT_REPORTED: "年度終了後、実績の報告なし",
        NOT_GRADED: "目標が文章のため評価しない",
        NO_TARGET: "その年度の目標なし",
        NOT_YET: "年度が終わっていない",
    }


COMPARATOR_WORDS = {">=": "以上", "<=": "以下", "=": ""}
# The 比較 column of downloads: people read these in Excel, not SQL operators.
COMPARATOR_EXPORT_WORDS = {">=": "以上", "<=": "以下", "=": "回数・維持（上回っても達成）"}
# Where a value comes from (uploads.kind), wherever it is shown: the sample is always 架空.
UPLOAD_KIND_WORDS = {"plan": "計画", "actuals": "実績", "sample": "サンプル（架空）"}
DIRECTION_WORDS = {"higher": "高いほど良い", "lower": "低いほど良い", "maintain": "維持"}


@dataclass(frozen=True)
class Summary:
    """Headline figures for one fiscal year, each KPI counted once."""

    kpis: int  # KPIs selected
    graded: int  # graded A to D: a numeric target and a reported value
    met: int  # graded A
    share_met: float | None  # met / graded in percent; None when nothing is graded
    counts: dict[str, int]  # grade -> KPIs, every grade of ALL_GRADES


def summarise(year_status: pd.DataFrame) -> Summary:
    """Headline figures for one fiscal year: each KPI counted once.

    `year_status` has one row per KPI (kpi_id, grade); duplicates (a KPI shown under a
    relisted project) are dropped here, so callers may pass listing-joined rows.
    """
    one = year_status.drop_duplicates("kpi_id")
    counts = {g: int((one["grade"] == g).sum()) for g in ALL_GRADES}
    graded = sum(counts[g] for g in GRADED)
    return Summary(
        kpis=len(one),
        graded=graded,
        met=counts[A],
        share_met=(counts[A] / graded * 100) if graded else None,
        counts=counts,
    )
