import datetime as dt

import pytest

from kpi.fiscal import era_name, fy_end, fy_ended, fy_label, fy_of, parse_fiscal_year


@pytest.mark.parametrize(
    ("raw", "fy"),
    [
        (2025, 2025),
        (2025.0, 2025),
        ("2025", 2025),
        ("2025年度", 2025),
        ("FY2025", 2025),
        ("fy2025", 2025),
        ("令和7年度", 2025),
        ("令和７年度", 2025),
        ("R7", 2025),
        ("R7年度", 2025),
        ("Ｒ７", 2025),
        ("r7", 2025),
        ("令和元年度", 2019),
        ("令和 3 年度", 2021),
        ("２０２３", 2023),
        ("平成30年度", 2018),
        ("H31", 2019),
        ("令和7年度 (2025)", 2025),  # the form the app shows
        ("令和7年度(2025)", 2025),
        ("令和７年度（２０２５）", 2025),
        ("令和元年度 (2019)", 2019),
        ("R7 (2025)", 2025),
    ],
)
def test_parse(raw, fy):
    assert parse_fiscal_year(raw) == fy


@pytest.mark.parametrize(
    "raw",
    [
        None, "", "来年", "R", "2025.5", 2025.5, True, "令和0年度", 12,
        "令和7年度 (2024)",  # the two parts disagree
        "令和7年度 ()",
        "(2025)",
        "令和7年度 (2025) (2025)",
    ],
)  # fmt: skip
def test_unreadable(raw):
    assert parse_fiscal_year(raw) is None


def test_the_label_shown_reads_back():
    for fy in (2018, 2019, 2025, 2031):
        assert parse_fiscal_year(fy_label(fy)) == fy


def test_labels_and_ends():
    assert era_name(2019) == "令和元年度"
    assert fy_label(2025) == "令和7年度 (2025)"
    assert fy_end(2025) == dt.date(2026, 3, 31)
    assert not fy_ended(2025, dt.date(2026, 3, 31))
    assert fy_ended(2025, dt.date(2026, 4, 1))
    assert fy_of(dt.date(2026, 3, 31)) == 2025
    assert fy_of(dt.date(2026, 4, 1)) == 2026
