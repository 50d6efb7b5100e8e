"""総括 (#14): the whole period of a plan, on the seed plan with the fictional sample actuals."""

from __future__ import annotations

import io

import duckdb
import openpyxl
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from etl import cli
from etl.actuals_loader import commit_actuals
from etl.plan_versions import commit_plan
from etl.template import build_template
from kpi import service
from kpi.config import ROOT, load_settings
from kpi.final_review import final_review, kpi_table
from tests.conftest import edit_workbook, find_row
from tests.test_round import _header, fill

SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"
PLAN_ID = "hadano-r3-r7"
REASON = "中間見直し: 目標の上方修正"


@pytest.fixture
def sampled(plan_con, seed_db):
    commit_actuals(
        plan_con, SAMPLE.read_bytes(), SAMPLE.name, by="t", settings=seed_db, kind="sample"
    )
    return plan_con


def review_of(settings):
    return final_review(service.plan_data(settings, PLAN_ID))


def test_every_kpi_with_first_value_final_grade_and_years(sampled, seed_db):
    sampled.close()  # service opens the file itself
    review = review_of(seed_db)
    con = duckdb.connect(str(seed_db.db_path), read_only=True)
    status = con.execute(
        "SELECT kpi_id, fiscal_year, grade, actual_value FROM kpi_status_at(DATE '2026-11-25', "
        "80, 50, plan_filter := ?)",
        [PLAN_ID],
    ).df()
    con.close()
    k = review.kpis.set_index("kpi_id")
    assert len(k) == status["kpi_id"].nunique() == 35
    final = status[status["fiscal_year"] == 2025].set_index("kpi_id")["grade"]
    assert k["final_grade"].to_dict() == final.to_dict()
    met = status[status["grade"] == "A"].groupby("kpi_id").size()
    graded = status[status["grade"].isin(["A", "B", "C", "D"])].groupby("kpi_id").size()
    for kid in k.index:
        assert k.loc[kid, "years_met"] == met.get(kid, 0)
        assert k.loc[kid, "years_evaluated"] == graded.get(kid, 0)
    reported = status.dropna(subset=["actual_value"]).sort_values("fiscal_year")
    first = reported.drop_duplicates("kpi_id").set_index("kpi_id")
    for kid in first.index:
        assert k.loc[kid, "first_year"] == first.loc[kid, "fiscal_year"]
        assert k.loc[kid, "first_value"] == first.loc[kid, "actual_value"]
    assert review.sample and k["is_sample"].any()  # 架空, as everywhere
    assert set(review.grades.columns) == {2021, 2022, 2023, 2024, 2025}
    assert kpi_table(review)["指標ID"].str.startswith("※").any()


def test_distributions_count_each_kpi_once_per_group(sampled, seed_db):
    sampled.close()
    review = review_of(seed_db)
    data = service.plan_data(seed_db, PLAN_ID)
    listed = data.listings.drop_duplicates(["policy_no", "kpi_id"])
    expected = listed.groupby("policy_no").size().to_dict()
    assert (
        dict(zip(review.policies["policy_no"], review.policies["指標数"], strict=True)) == expected
    )
    by_measure = (
        data.listings.drop_duplicates(["measure_id", "kpi_id"]).groupby("measure_id").size()
    )
    assert dict(zip(review.measures["measure_id"], review.measures["指標数"], strict=True)) == (
        by_measure.to_dict()
    )


def _only_project(data: bytes, project_id: str) -> bytes:
    """The 事業評価 sheet with every project's answers but `project_id`'s cleared."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ev = wb["事業評価"]
    hr, c_project = _header(ev, "事業番号")
    first_answer = _header(ev, "進捗")[1]
    for r in range(hr + 1, ev.max_row + 1):
        if ev.cell(row=r, column=c_project).value not in (None, project_id):
            for c in range(first_answer, ev.max_column + 1):
                ev.cell(row=r, column=c).value = None  # cell(value=None) would keep it
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_last_direction_per_project_when_evaluations_exist(plan_con, seed_db):
    """The 総括 reads the last 今後の方向性 of each project from the yearly round (#13)."""
    y2024 = fill(build_template(plan_con, PLAN_ID, 2024), evaluation={"今後の方向性": "継続"})
    commit_actuals(plan_con, y2024, "2024.xlsx", by="t", settings=seed_db)
    y2025 = fill(build_template(plan_con, PLAN_ID, 2025), evaluation={"今後の方向性": "完了"})
    commit_actuals(plan_con, _only_project(y2025, "1-1-1"), "2025.xlsx", by="t", settings=seed_db)
    plan_con.close()
    p = review_of(seed_db).projects.set_index("project_id")
    assert p.loc["1-1-1", "direction"] == "完了" and p.loc["1-1-1", "direction_year"] == 2025
    assert p.loc["1-1-2", "direction"] == "継続" and p.loc["1-1-2", "direction_year"] == 2024
    assert p["direction"].notna().sum() > 2


def test_final_pdf_by_cli_lists_kpis_revisions_and_sample(
    sampled, seed_db, plan_bytes, tmp_path, capsys
):
    def edit(wb):
        ws = wb["評価指標"]
        header = [c.value for c in ws[1]]
        ws.cell(
            row=find_row(ws, 2, "1-3-1-1"), column=header.index("令和6年度") + 1, value="900万件"
        )

    commit_plan(
        sampled, edit_workbook(plan_bytes, edit), "v2.xlsx", by="t", settings=seed_db, reason=REASON
    )
    sampled.close()
    out = tmp_path / "総括.pdf"
    assert cli.main(["report", "--final", "--out", str(out), "--db", str(seed_db.db_path)]) == 0
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "総括" in text and "架空" in text
    assert "1-3-1-1" in text and "900万件" in text and REASON in text
    assert "基本方針ごとの最終評価" in text and "今後の方向性" in text


# ---------------------------------------------------------------- the page


@pytest.fixture
def app_env(sampled, seed_db, monkeypatch):
    sampled.close()
    monkeypatch.setenv("KPI_DB", str(seed_db.db_path))
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    load_settings.cache_clear()
    yield seed_db
    load_settings.cache_clear()


def test_final_review_page(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/final_review.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tables = {tuple(df.value.columns)[:2]: df.value for df in at.dataframe}
    kpis = tables[("指標ID", "指標名")]
    assert len(kpis) == 35 and "最終評価" in kpis.columns and "令和7年度 (2025)" in kpis.columns
    assert any("架空" in w.value for w in at.warning)
    assert any(b.proto.label == "総括を PDF でダウンロード" for b in at.get("download_button"))
