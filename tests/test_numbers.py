"""The number reader of DESIGN 4.3, for every target form in the plan and the actual forms."""

import tomllib

import pytest

from kpi.config import ROOT
from kpi.numbers import (
    BLANK,
    NOT_REPORTED_KIND,
    NUMBER,
    TEXT,
    NumberFormatError,
    read_number,
    read_target,
)


@pytest.mark.parametrize(
    ("raw", "unit", "direction", "value", "comparator"),
    [
        ("７，0００", "人", "higher", 7000, ">="),  # mixed widths
        ("１3，０００", "人", "higher", 13000, ">="),
        ("７８０万件", "件", "higher", 7_800_000, ">="),
        ("８４５万件", "件", "higher", 8_450_000, ">="),
        ("７０％以上", "%", "higher", 70, ">="),
        ("７０．８％", "%", "higher", 70.8, ">="),
        ("5％", "%", "higher", 5, ">="),
        ("５件以下", "件", "lower", 5, "<="),
        ("１件以下", "件", "lower", 1, "<="),
        ("年３回以上", "回", "higher", 3, ">="),
        ("月２回", "回", "maintain", 2, "="),
        ("１回", "回", "maintain", 1, "="),
        ("１回以上", "回", "higher", 1, ">="),
        ("１箇所以上", "箇所", "higher", 1, ">="),
        ("１種類以上", "種類", "higher", 1, ">="),
        ("１データ", "データ", "higher", 1, ">="),
        ("２業務", "業務", "higher", 2, ">="),
        ("６００時間", "時間", "higher", 600, ">="),
        ("７，３５０時間", "時間", "higher", 7350, ">="),
        ("１１万枚", "枚", "higher", 110_000, ">="),
        ("４５万枚", "枚", "higher", 450_000, ">="),
        ("1億", "件", "higher", 100_000_000, ">="),
        ("５件", "件", "lower", 5, "<="),  # a plain number takes the KPI's direction
    ],
)
def test_target_forms(raw, unit, direction, value, comparator):
    r = read_target(raw, unit, direction)
    assert (r.kind, r.value, r.comparator, r.text) == (NUMBER, value, comparator, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "検討を踏まえ設定",
        "次期システムと合わせ検討",
        "運用方法の検討を踏まえ、決定",
        "方向性整理を踏まえ決定",
    ],
)
def test_text_targets_keep_their_text(raw):
    r = read_target(raw, "%", "higher")
    assert (r.kind, r.value, r.comparator, r.text) == (TEXT, None, None, raw)


@pytest.mark.parametrize("raw", ["約7000", "7000?", "7,000人程度", "①"])
def test_unreadable_targets_are_errors(raw):
    with pytest.raises(NumberFormatError) as e:
        read_target(raw, "人", "higher")
    assert e.value.code == "BAD_TARGET"


def test_every_target_in_the_plan_reads():
    source = tomllib.loads((ROOT / "data/source/plan.toml").read_text(encoding="utf-8"))
    count = 0
    for p in source["projects"]:
        for k in p.get("kpis", []):
            for raw in k.get("targets", {}).values():
                r = read_target(raw, k["unit"], k["direction"])
                assert r.kind in (NUMBER, TEXT)
                count += 1
    assert count > 100


@pytest.mark.parametrize(
    ("raw", "unit", "value"),
    [
        ("1200", "件", 1200),
        ("１，２００", "件", 1200),
        ("1 200", "件", 1200),
        ("１２００件", "件", 1200),
        ("780万", "件", 7_800_000),
        ("25%", "%", 25),
        ("２５％", "%", 25),
        ("25", "%", 25),
        ("12.5", "%", 12.5),
        ("月3回", "回", 3),
        ("年4回", "回", 4),
        ("3回以上", "回", 3),
        ("1,500時間", "時間", 1500),
        ("14業務", "業務", 14),
        (0, "件", 0),
        (7350, "時間", 7350),
        (12.5, "%", 12.5),
    ],
)
def test_actual_forms(raw, unit, value):
    assert read_number(raw, unit).value == value


def test_percent_formatted_cell_means_percent_for_percent_kpis():
    assert read_number(0.25, "%", percent_format=True).value == 25
    assert read_number(0.25, "件", percent_format=True).value == 0.25  # only for % KPIs
    assert read_number(0.25, "%").value == 0.25  # a plain 0.25 stays (the loader warns)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_blanks(raw):
    assert read_number(raw, "件").kind == BLANK


@pytest.mark.parametrize("raw", ["－", "ー", "-", "―", "—", "未集計", " - "])
def test_dashes_mean_not_reported(raw):
    assert read_number(raw, "件").kind == NOT_REPORTED_KIND


@pytest.mark.parametrize(
    ("raw", "unit", "code"),
    [
        ("abc", "件", "BAD_NUMBER"),
        ("①", "件", "BAD_NUMBER"),  # NFKC would make it 1
        ("²", "件", "BAD_NUMBER"),
        ("25%", "件", "BAD_NUMBER"),  # % only for % KPIs
        ("1.2.3", "件", "BAD_NUMBER"),
        ("12万円", "件", "BAD_NUMBER"),
        ("1,2,3", "件", "BAD_NUMBER"),  # commas that do not group thousands: a typo
        ("12,5", "%", "BAD_NUMBER"),  # a decimal comma would be read 100 times too large
        ("١٢", "件", "BAD_NUMBER"),  # digits of another script survive NFKC
        ("△5", "件", "NEGATIVE"),
        ("▲5", "件", "NEGATIVE"),
        ("-3", "件", "NEGATIVE"),
        ("−3", "件", "NEGATIVE"),
        (-1, "件", "NEGATIVE"),
        (True, "件", "BAD_NUMBER"),
        (float("nan"), "件", "BAD_NUMBER"),
        ("9" * 400, "件", "BAD_NUMBER"),  # float() reads it as inf
        ("9" * 305 + "億", "件", "BAD_NUMBER"),  # finite digits, infinite after 億
        ("9" * 400 + "%", "%", "BAD_NUMBER"),
    ],
)
def test_bad_actuals(raw, unit, code):
    with pytest.raises(NumberFormatError) as e:
        read_number(raw, unit)
    assert e.value.code == code
