"""Chart builders: the data and layout of the figures (DataFrame in, plotly Figure out)."""

from __future__ import annotations

import pandas as pd

from kpi.charts import format_value, grade_bars, kpi_figure, short_year
from kpi.status import STYLES


def history(**overrides) -> pd.DataFrame:
    base = {
        "fiscal_year": [2021, 2022, 2023, 2024, 2025],
        "unit": ["件"] * 5,
        "grade": ["A", "B", "D", "未報告", "対象年度前"],
        "actual_value": [5.0, 4.0, 1.0, None, None],
        "target_value": [5.0, 5.0, 5.0, 5.0, 5.0],
        "comparator": [">="] * 5,
        "target_text": ["５件以上"] * 5,
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_actual_bars_are_coloured_and_labelled_by_grade():
    fig = kpi_figure(history())
    bars = fig.data[0]
    assert bars.type == "bar" and list(bars.y) == [5.0, 4.0, 1.0, None, None]
    assert list(bars.marker.color[:3]) == [STYLES[g].colour for g in ("A", "B", "D")]
    # the grade is written on the bar: symbol and letter, not colour alone
    assert "◎A" in bars.text[0] and "×D" in bars.text[2] and bars.text[3] == ""
    assert bars.marker.pattern.shape[2] == "."  # D is also hatched for greyscale print
    assert list(bars.x) == [short_year(y) for y in range(2021, 2026)]


def test_target_line_shows_the_comparator():
    fig = kpi_figure(history(comparator=["<="] * 5, target_text=["５件以下"] * 5))
    target = fig.data[1]
    assert target.mode == "lines+markers" and list(target.y) == [5.0] * 5
    assert set(target.marker.symbol) == {"triangle-down"}
    assert target.name == "目標（以下）"


def test_text_targets_are_written_not_drawn():
    h = history(
        target_value=[None, None, 5.0, 5.0, 5.0],
        target_text=["検討を踏まえ設定", "検討を踏まえ設定", "5", "5", "5"],
        comparator=[None, None, ">=", ">=", ">="],
    )
    fig = kpi_figure(h)
    assert len(fig.data[1].y) == 3  # only numeric targets are plotted
    notes = [a.hovertext for a in fig.layout.annotations if a.hovertext]
    assert notes == ["検討を踏まえ設定", "検討を踏まえ設定"]


def test_a_year_ended_without_a_value_says_so_on_the_chart():
    fig = kpi_figure(history())
    marks = [(a.x, a.text) for a in fig.layout.annotations]
    assert marks == [(short_year(2024), "－未報告")]  # not 対象年度前 (2025), not the graded years


def test_percent_axis_reaches_100_and_compact_mode():
    h = history(
        unit=["%"] * 5, actual_value=[20.0, 30.0, None, None, None], target_value=[25.0] * 5
    )
    fig = kpi_figure(h, compact=True)
    assert fig.layout.yaxis.range[1] >= 100 and fig.layout.yaxis.ticksuffix == "%"
    assert fig.layout.showlegend is False and fig.layout.height == 220
    assert kpi_figure(h).layout.showlegend is True


def test_grade_bars_stack_each_grade_with_symbol_and_count():
    table = pd.DataFrame(
        {
            "label": ["基本方針1", "基本方針2"],
            "A": [3, 1],
            "B": [0, 2],
            "C": [1, 0],
            "D": [0, 1],
            "未報告": [2, 0],
            "評価対象外": [0, 0],
            "目標なし": [0, 0],
            "対象年度前": [0, 0],
        }
    )
    fig = grade_bars(table, "label")
    names = [t.name for t in fig.data]
    assert names == ["◎ A", "○ B", "△ C", "× D", "－ 未報告"]  # empty grades are left out
    a = fig.data[0]
    assert list(a.x) == [3, 1] and list(a.text) == ["◎3", "◎1"]
    assert fig.layout.barmode == "stack" and fig.layout.yaxis.autorange == "reversed"


def test_format_value():
    assert format_value(7800000.0, "件") == "7,800,000 件"
    assert format_value(70.8, "%") == "70.8%"
    assert format_value(None, "件") == "―"
    assert format_value(float("nan")) == "―"


def test_every_renderer_speaks_the_one_chart_vocabulary():
    """The app's plotly chart, the PDF's matplotlib chart, the board's and the public site's
    SVG take their grade patterns and target markers from kpi.status: one place to change."""
    from matplotlib.figure import Figure

    from etl.publish import svg as publish_svg
    from etl.report import font_path
    from etl.static_charts import StaticCharts
    from kpi.status import GRADE_PATTERNS, TARGET_MARKERS
    from kpi.svg_charts import kpi_svg

    h = history(comparator=["<="] * 5)
    fig = kpi_figure(h)
    assert list(fig.data[0].marker.pattern.shape[:3]) == [
        GRADE_PATTERNS[g].plotly for g in ("A", "B", "D")
    ]
    assert set(fig.data[1].marker.symbol) == {TARGET_MARKERS["<="].plotly}

    charts = StaticCharts(font_path(), str, (180.0, 46.0))
    try:
        charts.render(h, 2025)
        figure: Figure = charts.figure
        hatches = [p.get_hatch() for p in figure.axes[0].patches if p.get_hatch() is not None]
        assert {GRADE_PATTERNS["B"].matplotlib, GRADE_PATTERNS["D"].matplotlib} <= set(hatches)
    finally:
        charts.close()

    assert TARGET_MARKERS["<="].glyph in kpi_svg(h)

    public = publish_svg.kpi_chart(h, selected_year=2025, chart_id="k", labelled_by="c")
    assert GRADE_PATTERNS["B"].svg in public and GRADE_PATTERNS["D"].svg in public
    assert TARGET_MARKERS["<="].glyph in public
