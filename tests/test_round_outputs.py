"""事業評価 and 速報 / 確定 where the values are shown (issue #13): the PDF report, the export,
the pages and the council view."""

from __future__ import annotations

import io
import re

import openpyxl
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from etl import cli, export, provenance, report
from etl.actuals_loader import commit_actuals
from etl.year_locks import LOCK, set_lock
from kpi import repository, service
from kpi.config import ROOT
from kpi.dashboard import Filters
from tests.test_round import fill
from tests.test_upload_page import built, db  # noqa: F401

PLAN_ID = "hadano-r3-r7"
LIBRARY = Filters(departments=("図書館",), fiscal_year=2025)


def _library_round(settings, tmp_path) -> None:
    out = tmp_path / "round"
    assert (
        cli.main(
            ["round-templates", "--fy", "2025", "--out", str(out), "--db", str(settings.db_path)]
        )
        == 0
    )
    data = fill(
        (out / "2025_図書館.xlsx").read_bytes(),
        evaluation={"進捗": "遅れ", "課題": "電子書籍の選定", "今後の方向性": "改善"},
    )
    with repository.open_db(settings.db_path) as con:
        commit_actuals(con, data, "2025_図書館.xlsx", by="t", settings=settings)


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in pages))


def _pdf(settings) -> str:
    data = service.plan_data(settings, PLAN_ID)
    sources = provenance.source_lines(service.upload_history(settings, PLAN_ID), data)
    pdf = report.build_report(
        data, LIBRARY, as_of=settings.today(), sources=sources, grading=settings.grading
    )
    return _text(pdf)


def test_report_shows_evaluations_and_the_year_state(seed_db, tmp_path):
    _library_round(seed_db, tmp_path)
    text = _pdf(seed_db)
    assert "対象年度令和7年度(2025)（速報（未確定））" in text
    assert "事業評価（令和7年度・速報（未確定））:進捗遅れ／今後の方向性改善" in text
    assert "課題:電子書籍の選定" in text
    with repository.open_db(seed_db.db_path) as con:
        set_lock(con, PLAN_ID, 2025, action=LOCK, reason="庁議", by="t")
    text = _pdf(seed_db)
    assert "対象年度令和7年度(2025)（確定）" in text
    assert "事業評価（令和7年度・確定）:進捗遅れ" in text


def test_export_has_the_evaluations_and_the_year_state(seed_db, tmp_path):
    _library_round(seed_db, tmp_path)
    data = service.plan_data(seed_db, PLAN_ID)
    book = openpyxl.load_workbook(
        io.BytesIO(export.export_bytes(data, LIBRARY, "xlsx", as_of=seed_db.today()))
    )
    rows = list(book["事業評価"].iter_rows(values_only=True))
    header = rows[0]
    found = {r[header.index("事業番号")]: r for r in rows[1:]}
    assert set(found) == {"1-1-4", "1-3-4"}
    assert found["1-1-4"][header.index("進捗")] == "遅れ"
    assert found["1-1-4"][header.index("値の状態")] == "速報（未確定）"
    conditions = dict(list(book["出力条件"].iter_rows(values_only=True))[1:])
    assert conditions["値の状態"] == "速報（未確定）"


def _page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at: AppTest) -> str:
    return " ".join(str(m.value) for m in at.markdown)


def test_pages_mark_provisional_values_until_the_year_is_locked(db):  # noqa: F811
    pages = (
        "views/overview.py",
        "views/kpi_detail.py",
        "views/departments.py",
        "views/projects.py",
    )
    for path in pages:
        assert "令和7年度 速報（未確定）" in _shown(_page(path)), path
    # the council screen: one word in its navigation row (no room for a badge in large type)
    assert "令和7年度 (2025)**速報**" in _shown(_page("views/council.py"))
    with repository.open_db(db) as con:
        set_lock(con, PLAN_ID, 2025, action=LOCK, reason="庁議", by="t")
    shown = _shown(_page("views/overview.py"))
    assert "令和7年度 確定" in shown and "速報" not in shown
    council = _shown(_page("views/council.py"))
    assert "令和7年度 (2025)**確定**" in council and "速報" not in council


def test_project_detail_shows_its_evaluation(db, tmp_path):  # noqa: F811
    from kpi.config import load_settings

    _library_round(load_settings(), tmp_path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["project"] = "1-1-4"
    at.run()
    at.switch_page("views/projects.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "今後の方向性" in d.value.columns)
    assert list(table["進捗"]) == ["遅れ"] and list(table["課題"]) == ["電子書籍の選定"]
