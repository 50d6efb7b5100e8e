"""Issue #10: one accepted comment must not break the PDF for everyone; large numbers and
full-width targets print readably (items 3 and 15)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from etl.report import CHART_H_MM, CHART_W_MM, font_path
from etl.static_charts import StaticCharts, axis_number, half_width
from kpi.config import Settings
from kpi.dashboard import Filters
from tests.test_report import add_actuals, flat, page_texts, pdf_of

POLICY_1 = Filters(fiscal_year=2025, policies=(1,))


@pytest.fixture
def report_db(seed_db: Settings) -> Settings:
    return replace(seed_db)


def test_a_1100_character_comment_continues_below_the_table(report_db):
    """fpdf2 raised "The row with index 4 is too high and cannot be rendered on a single page"."""
    long_note = "集計方法を変更したため" + "長" * 1_100 + "おわり"
    other = "あ" * 3_000
    add_actuals(
        report_db,
        {("1-2-1-1", 2025): (8_000_000.0, long_note), ("1-2-1-1", 2024): (7_900.0, other)},
    )
    pdf, _ = pdf_of(report_db, POLICY_1)
    text = flat("".join(page_texts(pdf)))
    assert "（※1）" in text and "（※2）" in text  # cut in the table, pointing below
    assert flat(long_note) in text  # printed whole below the table
    assert text.count("あ") >= 3_000  # across pages (headers and footers between)


def test_targets_print_half_width_beside_the_actuals(report_db):
    add_actuals(report_db, {("1-2-1-1", 2025): (8_300.0, None)})
    pdf, _ = pdf_of(report_db, POLICY_1)
    text = flat("".join(page_texts(pdf)))
    # the plan prints 「７，0００」 for 2021
    assert "令和3年度(2021)7,000" in text
    assert "７，0００" not in text


def test_axis_labels_are_short():
    assert axis_number(8_000_000) == "800万"
    assert axis_number(2_500_000) == "250万"
    assert axis_number(300_000_000) == "3億"
    assert axis_number(75_000) == "75,000"
    assert axis_number(50, "%") == "50%"
    assert half_width("７，０００件以上") == "7,000件以上"


def test_large_value_axis_labels_stay_inside_the_chart():
    """8,000,000 printed as ",000,000": the label ran off the figure's left edge."""
    charts = StaticCharts(font_path(), str, (CHART_W_MM, CHART_H_MM))
    history = pd.DataFrame(
        {
            "fiscal_year": [2024, 2025],
            "unit": ["人", "人"],
            "target_value": [7_900_000.0, 8_200_000.0],
            "target_text": ["7,900,000", "8,200,000"],
            "comparator": [">=", ">="],
            "actual_value": [7_000_000.0, 8_000_000.0],
            "grade": ["B", "B"],
            "achievement_rate": [88.6, 97.6],
        }
    )
    try:
        charts.render(history, 2025)
        renderer = charts.figure.canvas.get_renderer()  # type: ignore[attr-defined]
        labels = [t for t in charts.ax.get_yticklabels() if t.get_text()]
        assert labels
        for label in labels:
            assert label.get_window_extent(renderer).x0 >= 0, label.get_text()
    finally:
        charts.close()
