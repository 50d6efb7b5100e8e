"""Issue #10 item 16: a short share link (`?policy=2&fy=2024`) is taken, not silently
ignored; a parameter that is not understood is said."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kpi.config import ROOT
from tests.test_pages import app_env, sample_db  # noqa: F401  (fixtures)


def opened_with(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def link_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "リンクの条件" in w.value]


def test_a_short_link_with_ids_is_taken(app_env):  # noqa: F811
    at = opened_with(policy="2", fy="2024")
    assert at.sidebar.multiselect(key="policy").value == [2]
    assert at.sidebar.selectbox(key="fy").value == 2024
    assert link_warnings(at) == []


@pytest.mark.parametrize(
    ("params", "key", "expected"),
    [
        ({"fy": "R5"}, "fy", 2023),
        ({"fy": "令和６年度"}, "fy", 2024),
        ({"policy": "基本方針３"}, "policy", [3]),
        ({"measure": "1-2"}, "measure", ["1-2"]),
        ({"grade": "d"}, "grade", ["D"]),
        ({"dept": "人事課"}, "dept", ["人事課"]),
    ],
)
def test_ids_and_usual_spellings_are_accepted(app_env, params, key, expected):  # noqa: F811
    at = opened_with(**params)
    widget = at.sidebar.selectbox(key=key) if key == "fy" else at.sidebar.multiselect(key=key)
    assert widget.value == expected
    assert link_warnings(at) == []


def test_a_parameter_not_understood_is_said(app_env):  # noqa: F811
    at = opened_with(policy="9", fy="1999", grade="Z")
    said = " ".join(link_warnings(at))
    for part in ("policy=9", "fy=1999", "grade=Z"):
        assert part in said.replace("\\", "")
    assert at.sidebar.multiselect(key="policy").value == []
