"""Static SVG small multiples (kpi/svg_charts.py): what each chart carries, read back as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from kpi.status import STYLES
from kpi.svg_charts import is_done_kpi, kpi_svg, short_number

NS = "{http://www.w3.org/2000/svg}"


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


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_bars_carry_value_and_grade_symbol_and_targets_their_comparator():
    svg = kpi_svg(history(), label="テスト<指標>")
    root = ET.fromstring(svg)  # well-formed, the label escaped
    title = root.find(f"{NS}title")
    assert title is not None and title.text == "テスト<指標>"
    words = texts(svg)
    for mark in ("◎A", "○B", "×D"):
        assert mark in words
    assert {"5", "4", "1"} <= set(words)
    assert "－未報告" in words
    assert words.count("▲") == 5  # a ▲ marker per numeric target (以上)
    bars = [r for r in root.iter(f"{NS}rect")]
    assert [b.get("fill") for b in bars] == [STYLES[g].colour for g in ("A", "B", "D")]
    line = root.find(f"{NS}polyline")
    assert line is not None and line.get("stroke-dasharray")  # the target line is dashed


def test_lower_is_better_targets_point_down_and_text_targets_are_named():
    h = history(
        comparator=["<="] * 5,
        target_value=[5.0, 5.0, None, 5.0, 5.0],
        target_text=["５件以下", "５件以下", "検討を踏まえ設定", "５件以下", "５件以下"],
        grade=["A", "A", "評価対象外", "未報告", "対象年度前"],
        actual_value=[3.0, 4.0, None, None, None],
    )
    words = texts(kpi_svg(h))
    assert words.count("▼") == 4
    assert any(w.startswith("文章") for w in words)


def test_font_size_and_width_are_what_the_caller_asks():
    root = ET.fromstring(kpi_svg(history(), width=340, height=220, font_px=19))
    assert root.get("width") == "340" and root.get("viewBox") == "0 0 340 220"
    sizes = {float(t.get("font-size") or 0) for t in root.iter(f"{NS}text")}
    assert min(sizes) >= 19


def test_a_done_or_not_done_kpi_shows_words_not_an_axis():
    h = history(
        unit=["回"] * 5,
        target_value=[1.0] * 5,
        comparator=["="] * 5,
        target_text=["１回"] * 5,
        grade=["A", "D", "A", "未報告", "対象年度前"],
        actual_value=[1.0, 0.0, 1.0, None, None],
    )
    assert is_done_kpi(h)
    svg = kpi_svg(h)
    words = texts(svg)
    assert words.count("◎達成") == 2 and words.count("×未達成") == 1 and "－未報告" in words
    assert ET.fromstring(svg).find(f"{NS}polyline") is None  # no target line, no axis
    assert not is_done_kpi(history())  # 5 件以上 is a count
    assert not is_done_kpi(h.assign(target_value=[2.0] * 5))


def test_short_numbers_fit_a_column():
    assert short_number(6_376_254) == "637.6万"
    assert short_number(188_210) == "18.8万"
    assert short_number(2_098) == "2,098"
    assert short_number(61.3, "%") == "61.3%"
    assert short_number(250_000_000) == "2.5億"
