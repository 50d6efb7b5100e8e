"""The PDF report for the executive council (etl/report.py) and the `report` command.

Real DuckDB files holding the seed plan; actuals are inserted through the repository (the
actuals loader is not needed to test the report). The PDF is read back with pypdf.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from fpdf import FPDF
from matplotlib import font_manager
from pypdf import PdfReader

from etl import provenance, report
from etl.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, main
from etl.plan_loader import load_plan
from kpi import repository, service
from kpi.config import Settings, load_settings
from kpi.dashboard import Filters, PlanData
from kpi.errors import KpiError
from tests import db_helpers

AS_OF = dt.date(2026, 5, 1)
FY2025 = Filters(fiscal_year=2025)
TODAY = dt.date(2026, 11, 25)  # as in conftest: every fiscal year of the seed plan has ended
TELEWORK = "テレワーク勤務を行った職員の割合"  # 2-3-1-1, policy 2
INCIDENTS = "インシデント（影響度レベル２以上）の件数"  # 2-5-3-3, lower is better
POLICY_1_NAMES = [
    "Twitterフォロワー数",
    "YouTubeチャンネル登録者数",
    "ＩＣＴを活用できる教職員の割合",
]
POLICY_3_NAME = "新規データ公開数"  # 3-1-1-2
LONG_NOTE = (
    "新型コロナウイルス感染症の影響により研修を一部中止したため、目標を下回った。"
    "次年度はオンライン研修で補い、各課のＩＣＴリーダーと連携して実施回数を回復させる予定。"
)
# 2025 actuals chosen to give every graded outcome (targets from the seed plan).
ACTUALS_2025 = {
    "2-3-1-1": (30.0, "順調に推移。"),  # target 25% 以上 -> A
    "1-2-1-1": (7000.0, None),  # target 8,200 -> 85% -> B
    "1-2-1-2": (2000.0, LONG_NOTE),  # target 2,900 -> 69% -> C
    "2-5-3-3": (3.0, "😀 標的型メールの訓練で発見"),  # target 1件以下, lower -> 33% -> D
    "3-1-1-2": (1.0, None),  # target １データ -> A
}


def plan_id_of(settings: Settings) -> str:
    return str(service.plans(settings)["plan_id"].iloc[0])


def add_actuals(
    settings: Settings,
    values: dict[tuple[str, int], tuple[float, str | None]],
    *,
    kind: str = "actuals",
    filename: str = "actuals_2025.xlsx",
) -> int:
    """One upload with these (kpi_id, fiscal_year) -> (value, note) actuals."""
    plan_id = plan_id_of(settings)
    with repository.open_db(settings.db_path) as con, repository.transaction(con):
        upload_id = db_helpers.insert_upload(
            con,
            kind=kind,
            plan_id=plan_id,
            filename=filename,
            sha256=hashlib.sha256(f"{filename}{values}".encode()).hexdigest(),
            uploaded_at=dt.datetime(2026, 5, 1, 9, 30),
            uploaded_by="情報政策課",
            rows_new=len(values),
        )
        rows = [
            {
                "plan_id": plan_id,
                "kpi_id": kpi_id,
                "fiscal_year": fy,
                "actual_value": value,
                "note": note,
                "upload_id": upload_id,
                "recorded_at": dt.datetime(2026, 5, 1, 9, 30),
                "source_cell": None,
            }
            for (kpi_id, fy), (value, note) in values.items()
        ]
        repository.insert_actuals(con, pd.DataFrame(rows))
    return upload_id


def graded_actuals(settings: Settings) -> int:
    values = {(k, 2025): v for k, v in ACTUALS_2025.items()}
    values[("2-3-1-1", 2024)] = (18.0, None)  # an earlier year too: a bar series, not one bar
    return add_actuals(settings, values)


def pdf_of(settings: Settings, filters: Filters = FY2025) -> tuple[bytes, PlanData]:
    data = service.plan_data(settings, plan_id_of(settings))
    sources = provenance.source_lines(service.upload_history(settings, plan_id_of(settings)), data)
    pdf = report.build_report(data, filters, as_of=AS_OF, sources=sources, grading=settings.grading)
    return pdf, data


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Without whitespace: a name wrapped inside a table cell is still found."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, plan_bytes: bytes):
    """The whole seed plan with some actuals, rendered once for the module (and timed).
    Built like conftest's `seed_db`, but once per module: a full report takes seconds."""
    settings = replace(
        load_settings(),
        db_path=tmp_path_factory.mktemp("report") / "kpi.duckdb",
        today_override=TODAY,
    )
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        load_plan(con, plan_bytes, "plan.xlsx", by="test", settings=settings)
    graded_actuals(settings)
    start = time.perf_counter()
    pdf, data = pdf_of(settings)
    seconds = time.perf_counter() - start
    return pdf, data, page_texts(pdf), seconds


# ---------------------------------------------------------------- the whole plan


def test_report_names_every_kpi_and_grade_of_the_year(full):
    pdf, data, texts, _ = full
    text = flat("\n".join(texts))
    assert pdf.startswith(b"%PDF")
    for name in [TELEWORK, INCIDENTS, *POLICY_1_NAMES, POLICY_3_NAME]:
        assert flat(name) in text
    for name in data.kpis["kpi_name"]:
        assert flat(name) in text, name
    for badge in ["◎A達成", "○B概ね達成", "△C一部達成", "×D未達成", "…評価対象外（文章目標）"]:
        assert badge in text
    assert "令和7年度" in text
    assert flat("令和7年度 (2025)") in text


def test_report_cover_states_plan_year_filters_date_and_sources(full):
    _, data, texts, _ = full
    cover = flat(texts[0])
    assert flat(str(data.plan["name"])) in cover
    assert flat(str(data.plan["organization"])) in cover
    assert "令和7年度(2025)" in cover
    assert "絞り込みなし" in cover
    assert "令和8年5月1日" in cover  # the era, as a city's documents write dates (issue #10)
    assert re.search(r"実績:actuals_2025\.xlsx（取込番号\d+、令和8年5月1日、情報政策課）", cover)
    assert "架空" not in "".join(texts)  # no sample upload here


def test_report_pages_are_numbered_n_of_total_with_the_plan_name_in_the_header(full):
    _, data, texts, _ = full
    total = len(texts)
    assert total >= 10
    for n, text in enumerate(texts, start=1):
        assert re.search(rf"(^|\s){n} / {total}(\s|$)", text), (n, text[-200:])
        if n > 1:
            assert flat(str(data.plan["name"])) in flat(text)


def test_report_summary_counts_and_legend(full):
    _, data, texts, _ = full
    summary = flat(texts[1])
    # 35 KPIs; graded in 2025: the five above; 達成割合 = 2 A of 5 graded
    assert "指標数" in summary and "達成割合" in summary
    assert "40.0%" in summary
    assert flat("基本方針別の状況") in summary
    for policy_name in data.projects["policy_name"].unique():
        assert flat(policy_name)[:12] in summary
    assert "達成率80%以上" in summary and "達成率50%未満" in summary  # band edges from config


def test_report_sections_show_projects_departments_relisting_and_kpi_facts(full):
    _, _, texts, _ = full
    text = flat("\n".join(texts))
    assert "【再掲】2-3-2" in text and "再掲元:2-2-2" in text
    assert "【再掲】3-2-1" in text and "再掲元:2-4-3" in text
    # a KPI printed again under a relisted project points back instead of being repeated
    assert re.search(r"指標2-2-2-2.*再掲:2-2-2に掲載、\d+ページ", text)
    assert "主管課等:" in text and "関係課等:" in text
    assert "低いほど良い" in text and "累積" in text
    assert "単位:%" in text
    # text targets are written as text; the department's comment is in the year table
    assert flat("次期システムと合わせ検討") in text
    assert flat(LONG_NOTE) in text
    assert "備考（担当課のコメント）" in text
    # an emoji in a comment is printed as 〓, never as a blank box or a broken report
    assert "〓標的型メールの訓練で発見" in text


def test_report_text_is_fully_extractable(full):
    pdf, _, texts, _ = full
    reader = PdfReader(io.BytesIO(pdf))
    for n, (page, text) in enumerate(zip(reader.pages, texts, strict=True), start=1):
        assert text.strip(), f"page {n} has no text"
        assert "\ufffd" not in text, f"page {n} has an unmapped glyph"
        fonts = page["/Resources"]["/Font"]  # type: ignore[index]
        names = {str(f.get_object()["/BaseFont"]) for f in fonts.values()}
        assert all("IPAexGothic" in name for name in names), names


def test_report_embeds_one_chart_per_kpi_with_a_number(full):
    pdf, data, _, _ = full
    reader = PdfReader(io.BytesIO(pdf))
    images = sum(len(page.images) for page in reader.pages)
    status = data.status
    with_numbers = status[status["target_value"].notna() | status["actual_value"].notna()]
    assert images == with_numbers["kpi_id"].nunique()


def test_report_text_stays_inside_the_page(full):
    """Every text run starts inside the printable width: no table ran off the page."""
    pdf, *_ = full
    for page in PdfReader(io.BytesIO(pdf)).pages:
        width = float(page.mediabox.width)
        xs: list[float] = []

        def visit(text, cm, tm, font, size, xs=xs):
            if text.strip():
                xs.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])

        page.extract_text(visitor_text=visit)
        assert xs
        margin = report.PAGE_MARGIN / 25.4 * 72
        assert min(xs) >= margin - 1
        assert max(xs) <= width - margin


def test_table_widths_fit_the_page():
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(report.PAGE_MARGIN, report.PAGE_MARGIN, report.PAGE_MARGIN)
    assert pytest.approx(pdf.epw, abs=0.01) == report.EPW  # A4 is 595.28 pt = 210.0016 mm
    for name, widths in report.TABLE_WIDTHS.items():
        assert sum(widths) <= pdf.epw + 1e-6, name
    for columns in range(3, 12):
        widths = report.policy_widths(columns)
        assert sum(widths) <= pdf.epw
        assert min(widths) > 10


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed"
)
def test_first_page_renders_to_png(full, tmp_path: Path):
    pdf, *_ = full
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    pngs = list(tmp_path.glob("p*.png"))
    assert len(pngs) == 1 and pngs[0].read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------- filters and states


def test_policy_filter_leaves_out_other_policies(seed_db: Settings):
    graded_actuals(seed_db)
    pdf, _ = pdf_of(seed_db, Filters(policies=(3,), fiscal_year=2025))
    text = flat("\n".join(page_texts(pdf)))
    assert "基本方針:3" in text
    assert flat(POLICY_3_NAME) in text
    for name in [*POLICY_1_NAMES, TELEWORK, INCIDENTS]:
        assert flat(name) not in text, name
    # 3-2-1 relists 2-4-3, which this report leaves out: its KPIs are shown in full here
    assert "【再掲】3-2-1" in text
    assert "指標2-4-3-1" in text and "再掲:2-4-3に掲載" not in text


def test_grade_and_department_filters(seed_db: Settings):
    graded_actuals(seed_db)
    pdf, _ = pdf_of(seed_db, Filters(grades=("D",), fiscal_year=2025))
    text = flat("\n".join(page_texts(pdf)))
    assert flat(INCIDENTS) in text and flat(TELEWORK) not in text
    assert "評価:×D未達成" in text

    words = Filters(policies=(2,), departments=("人事課",)).describe()
    assert words == "基本方針: 2、部署: 人事課"
    assert Filters(fiscal_year=2025).describe() == "絞り込みなし"


def test_empty_selection_still_gives_a_report(seed_db: Settings):
    pdf, _ = pdf_of(seed_db, Filters(departments=("存在しない課",), fiscal_year=2025))
    texts = page_texts(pdf)
    assert len(texts) == 2
    assert "条件に該当する評価指標はありません" in flat(texts[1])


def test_sample_warning_on_the_cover_and_every_page_while_sample_is_current(seed_db: Settings):
    upload_id = add_actuals(
        seed_db,
        {("2-3-1-1", 2025): (20.0, None), ("2-5-3-3", 2025): (0.0, None)},
        kind="sample",
        filename="actuals_sample.xlsx",
    )
    pdf, data = pdf_of(seed_db, Filters(measures=("2-3", "2-5"), fiscal_year=2025))
    assert data.sample_current
    texts = page_texts(pdf)
    assert "【注意】この報告書には架空のサンプルデータが含まれています" in flat(texts[0])
    assert "サンプル（架空）:actuals_sample.xlsx" in flat(texts[0])
    for n, text in enumerate(texts, start=1):
        assert flat(provenance.SAMPLE_WARNING) in flat(text), f"page {n}"

    with repository.open_db(seed_db.db_path) as con, repository.transaction(con):
        repository.set_upload_status(con, [upload_id], by="test", at=dt.datetime(2026, 5, 2))
    pdf, data = pdf_of(seed_db, Filters(measures=("2-3", "2-5"), fiscal_year=2025))
    assert not data.sample_current
    assert "架空" not in "".join(page_texts(pdf))


def test_years_not_yet_ended_use_a_symbol_the_font_has(seed_db: Settings):
    """対象年度前 is ⋯ (U+22EF) in kpi.status, which IPAexGothic lacks: printed as ‥."""
    during_fy2025 = replace(seed_db, today_override=dt.date(2025, 10, 1))
    pdf, data = pdf_of(during_fy2025, Filters(policies=(3,), fiscal_year=2025))
    assert (data.status["grade"] == "対象年度前").any()
    text = flat("\n".join(page_texts(pdf)))
    assert "‥対象年度前" in text and "⋯" not in text


def test_missing_glyphs_raise_instead_of_printing_blanks():
    pdf = report._ReportPDF(report.font_path(), "計画", sample=False, year_label="令和7年度")
    assert pdf.clean("⋯ 😀 ok") == "‥ 〓 ok"
    pdf.add_page()
    pdf.cell(text="\u22ef")  # bypassing clean(): the font has no glyph for it
    pdf.output()
    with pytest.raises(KpiError, match="フォントにない文字"):
        pdf.check_glyphs()


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(report.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(KpiError, match="IPAexゴシック"):
        report.font_path()


def test_repeated_reports_do_not_grow_global_state(seed_db: Settings):
    pdf_of(seed_db, Filters(policies=(3,)))
    fonts = len(font_manager.fontManager.ttflist)
    pdf_of(seed_db, Filters(policies=(3,)))
    assert len(font_manager.fontManager.ttflist) == fonts


def test_source_lines_list_the_plan_and_the_uploads_in_use(seed_db: Settings):
    upload_id = graded_actuals(seed_db)
    data = service.plan_data(seed_db, plan_id_of(seed_db))
    lines = provenance.source_lines(service.upload_history(seed_db, plan_id_of(seed_db)), data)
    assert lines[0].startswith("計画: plan.xlsx（取込番号 ")
    assert (
        lines[-1] == f"実績: actuals_2025.xlsx（取込番号 {upload_id}、令和8年5月1日、情報政策課）"
    )


# ---------------------------------------------------------------- command line


def test_cli_report_writes_the_pdf(seed_db: Settings, tmp_path: Path, capsys):
    graded_actuals(seed_db)
    out = tmp_path / "out" / "report.pdf"
    code = main(
        ["report", "--db", str(seed_db.db_path), "--fy", "令和7年度", "--out", str(out),
         "--policy", "2", "--grade", "A", "D"]
    )  # fmt: skip
    assert code == EXIT_OK
    text = flat("\n".join(page_texts(out.read_bytes())))
    assert flat(TELEWORK) in text and flat(INCIDENTS) in text
    assert "基本方針:2、評価:◎A達成・×D未達成" in text
    assert "書き出しました" in capsys.readouterr().out


def test_cli_report_rejects_bad_input(seed_db: Settings, tmp_path: Path, capsys):
    db = ["--db", str(seed_db.db_path)]
    out = str(tmp_path / "r.pdf")
    assert main(["report", *db, "--out", str(tmp_path / "r.txt")]) == EXIT_USAGE
    assert main(["report", *db, "--out", out, "--plan-id", "no-such-plan"]) == EXIT_REJECTED
    assert "計画「no-such-plan」はありません" in capsys.readouterr().err
    assert main(["report", *db, "--out", out, "--fy", "2030"]) == EXIT_REJECTED
    assert main(["report", *db, "--out", out, "--department", "存在しない課"]) == EXIT_REJECTED
    assert "部署「存在しない課」" in capsys.readouterr().err
    missing = tmp_path / "none.duckdb"
    assert main(["report", "--db", str(missing), "--out", out]) == EXIT_REJECTED
    assert not missing.exists()  # asking must not create an empty database
    assert not Path(out).exists()
    with pytest.raises(SystemExit) as exc:
        main(["report", *db, "--out", out, "--grade", "Z"])
    assert exc.value.code == EXIT_USAGE
