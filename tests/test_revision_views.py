"""A revised target is listed with its reason on the KPI page, in the report and the export (#14)."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from etl import cli
from etl.actuals_loader import commit_actuals
from etl.plan_versions import commit_plan
from kpi.config import ROOT, load_settings
from tests.conftest import edit_workbook, find_row

SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"
REASON = "中間見直し（令和5年度）: 利用実績を踏まえた上方修正"


@pytest.fixture
def revised_db(plan_con, seed_db, plan_bytes):
    def edit(wb):
        ws = wb["評価指標"]
        header = [c.value for c in ws[1]]
        ws.cell(
            row=find_row(ws, 2, "1-3-1-1"), column=header.index("令和6年度") + 1, value="900万件"
        )

    commit_actuals(
        plan_con, SAMPLE.read_bytes(), SAMPLE.name, by="t", settings=seed_db, kind="sample"
    )
    commit_plan(
        plan_con,
        edit_workbook(plan_bytes, edit),
        "v2.xlsx",
        by="t",
        settings=seed_db,
        reason=REASON,
    )
    plan_con.close()
    return seed_db.db_path


def test_export_has_a_revisions_sheet(revised_db, tmp_path):
    out = tmp_path / "評価.xlsx"
    assert cli.main(["export", "--out", str(out), "--db", str(revised_db)]) == 0
    ws = openpyxl.load_workbook(out)["目標値の見直し"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    body = [dict(zip(header, r, strict=True)) for r in rows[1:] if any(r)]
    assert [(r["指標ID"], r["見直し後"], r["理由"]) for r in body] == [
        ("1-3-1-1", "900万件", REASON)
    ]


def test_report_lists_the_revision_under_its_kpi(revised_db, tmp_path):
    out = tmp_path / "報告書.pdf"
    assert cli.main(["report", "--out", str(out), "--db", str(revised_db), "--fy", "2024"]) == 0
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "目標値の見直し" in text and REASON in text


def test_kpi_page_lists_the_revision(revised_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(revised_db))
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    load_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["kpi"] = "1-3-1-1"
        at.run()
        at.switch_page("views/kpi_detail.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        table = next(d.value for d in at.dataframe if "理由" in d.value.columns)
        assert list(table["理由"]) == [REASON] and list(table["見直し後"]) == ["900万件"]
    finally:
        load_settings.cache_clear()


def test_report_chart_draws_the_original_target_faintly(revised_db):
    from etl.report import font_path
    from etl.static_charts import StaticCharts
    from kpi import service
    from kpi.dashboard import kpi_history

    settings = load_settings().with_db(revised_db)
    data = service.plan_data(settings, "hadano-r3-r7")
    original = data.original_targets[data.original_targets["kpi_id"] == "1-3-1-1"]
    h = kpi_history(data, "1-3-1-1").merge(
        original[["fiscal_year", "original_target_value"]], on="fiscal_year", how="left"
    )
    charts = StaticCharts(font_path(), str, (180.0, 46.0))
    try:
        charts.render(h, 2024)
        legend = charts.ax.get_legend()
        assert legend is not None
        labels = [t.get_text() for t in legend.get_texts()]
        assert "当初の目標（見直し前）" in labels
        offsets = [np.asarray(c.get_offsets()) for c in charts.ax.collections]
        faint = [o for o in offsets if o.shape[0] == 1]
        assert any(list(o[0]) == [3.0, 8_280_000.0] for o in faint)
    finally:
        charts.close()
