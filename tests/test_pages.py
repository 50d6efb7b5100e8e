"""AppTest for every page (the list is derived from the file system), and per page that the
filters change what is shown."""

from __future__ import annotations

import csv as csv_module
import io
import re

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from etl import cli
from kpi import service
from kpi.config import ROOT, load_settings
from tests.downloads import download, record_downloads

PAGE_FILES = sorted(f"views/{p.name}" for p in (ROOT / "views").glob("*.py"))
PROJECT_ID = re.compile(r"\b(\d-\d{1,2}-\d{1,2})\b")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> str:
    """The seed plan with the fictional sample actuals, built by the CLI as `make run` does."""
    db = tmp_path_factory.mktemp("pages") / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0
    return str(db)


@pytest.fixture
def app_env(sample_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", sample_db)
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    monkeypatch.delenv("KPI_UPLOAD_PASSWORD_HASH", raising=False)
    load_settings.cache_clear()
    yield load_settings()
    load_settings.cache_clear()


def open_page(page: str, **filters) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    for key, values in filters.items():
        at.sidebar.multiselect(key=key).set_value(values)
        at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(markdown: str) -> str:
    """The text a reader sees: data is Markdown-escaped (ui.format.md)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def texts(at: AppTest) -> str:
    return plain("\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]))


def frame(at: AppTest, column: str):
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column}")


@pytest.mark.parametrize("page", PAGE_FILES)
def test_page_runs_without_exception(app_env, page):
    at = open_page(page)
    assert at.title, "every page has a title"
    assert any("架空" in w.value for w in at.warning), "the sample banner is on every page"
    # a missing value (未報告, no target) reads 「―」, not Streamlit's 「None」 (issue #10 item 14)
    assert [d.proto.placeholder for d in at.dataframe] == ["―"] * len(at.dataframe)


# -------------------------------------------------------------------- 概況


def board_kpis(at: AppTest) -> set[str]:
    # a card's id in bold: markdown (council cards) or HTML (the board's card grid)
    return set(re.findall(r"(?:\*\*|<strong>)(\d-\d-\d-\d)(?:\*\*|</strong>)", texts(at)))


def test_overview_department_filter(app_env):
    assert len(board_kpis(open_page("views/overview.py"))) == 35
    at = open_page("views/overview.py", dept=["人事課"])
    # 人事課 is lead of 2-3-1 (telework) and, with 情報システム課, of 2-5-1 (ICT training).
    assert board_kpis(at) == {"2-3-1-1", "2-5-1-1"}


def test_overview_policy_filter(app_env):
    at = open_page("views/overview.py", policy=[3])
    # h3 under 指標ボード (h2)
    headers = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headers and all("基本方針3" in h for h in headers)
    # policy 3 prints 2-4-3's KPIs again under 3-2-1 (再掲)
    assert board_kpis(at) == {"3-1-1-1", "3-1-1-2", "2-4-3-1", "2-4-3-2"}


def test_overview_grade_filter_shows_only_d(app_env):
    at = open_page("views/overview.py", grade=["D"])
    table = frame(at, "評価")
    assert len(table) > 0 and set(table["評価"]) == {"D"}
    assert board_kpis(at) == set(table["指標ID"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["評価指標"] == f"{len(table)} 指標"


def test_overview_headline_matches_the_database(app_env):
    data = service.plan_data(app_env, "hadano-r3-r7")
    at = open_page("views/overview.py")
    year = data.status[data.status["fiscal_year"] == 2025]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["◎ A 達成"] == f"{int((year['grade'] == 'A').sum())} 指標"
    assert metrics["未報告"] == f"{int((year['grade'] == '未報告').sum())} 指標"


# -------------------------------------------------------------------- 指標の詳細


def test_kpi_detail_lists_only_filtered_kpis(app_env):
    at = open_page("views/kpi_detail.py", policy=[3])
    options = at.selectbox(key="kpi_pick").options
    assert {o.split("　")[0] for o in options} == {"3-1-1-1", "3-1-1-2", "2-4-3-1", "2-4-3-2"}


def test_kpi_detail_shows_grade_table_and_project(app_env):
    at = open_page("views/kpi_detail.py")
    at.selectbox(key="kpi_pick").set_value("2-5-3-3").run()
    assert plain(at.header[0].value).startswith("2-5-3-3")
    years = frame(at, "評価")
    assert len(years) == 5 and years["目標値"].str.contains("以下").all()
    assert "低いほど良い" in texts(at)
    assert "情報セキュリティ対策の推進及び点検" in texts(at)


def test_kpi_detail_text_targets_and_relisted_projects(app_env):
    at = open_page("views/kpi_detail.py")
    at.selectbox(key="kpi_pick").set_value("2-2-2-2").run()
    years = frame(at, "評価")
    assert "運用方法の検討を踏まえ、決定" in set(years["目標（計画の表記）"])
    assert "評価対象外" in " ".join(years["評価"])
    assert "【再掲】" in texts(at)  # shown under 2-3-2 too


def test_kpi_detail_opens_on_a_kpi_with_a_chart_not_a_text_target(app_env):
    at = open_page("views/kpi_detail.py")
    # 1-1-1-1 and 1-1-1-2 print text targets only: the page starts at the first with numbers.
    assert at.selectbox(key="kpi_pick").value == "1-1-2-1"
    at.selectbox(key="kpi_pick").set_value("1-1-1-1").run()
    assert any("グラフはありません" in i.value for i in at.info)


def test_a_link_to_an_unknown_kpi_says_so(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/kpi_detail.py")
    at.query_params["kpi"] = "9-9-9-9"
    at.run()
    assert any("9-9-9-9" in plain(w.value) and "見つからない" in w.value for w in at.warning)
    assert at.selectbox(key="kpi_pick").value == "1-1-2-1"


# -------------------------------------------------------------------- 事業一覧


def test_projects_policy_filter(app_env):
    assert len(frame(open_page("views/projects.py"), "事業番号")) == 41
    ids = frame(open_page("views/projects.py", policy=[3]), "事業番号")["事業番号"]
    assert len(ids) == 6 and all(i.startswith("3-") for i in ids)


def test_projects_department_filter(app_env):
    ids = set(frame(open_page("views/projects.py", dept=["人事課"]), "事業番号")["事業番号"])
    assert ids == {"2-3-1", "2-5-1"}


# -------------------------------------------------------------------- 部署別


def test_departments_comparison_and_filter(app_env):
    table = frame(open_page("views/departments.py"), "部署")
    assert "情報システム課" in set(table["部署"])
    table = frame(open_page("views/departments.py", policy=[3]), "部署")
    assert "人事課" not in set(table["部署"])  # 人事課 has no project in policy 3
    assert "情報システム課" in set(table["部署"])


def test_departments_detail_follows_filter(app_env):
    at = open_page("views/departments.py", dept=["人事課"])
    detail = frame(at, "役割")
    assert set(detail["事業番号"]) == {"2-3-1", "2-5-1"}


# -------------------------------------------------------------------- 計画体系


def test_plan_tree_shows_every_policy_and_project(app_env):
    at = open_page("views/plan_tree.py")
    assert [h.value[:5] for h in at.header] == ["基本方針1", "基本方針2", "基本方針3"]
    ids = re.findall(r"\*\*(\d-\d-\d)\*\*", texts(at))
    assert len(ids) == 41 and "【再掲】" in texts(at)


def test_plan_tree_follows_filter(app_env):
    at = open_page("views/plan_tree.py", policy=[3])
    assert [h.value[:5] for h in at.header] == ["基本方針3"]


def test_missing_database_explains_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(tmp_path / "none.duckdb"))
    load_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
        assert not at.exception
        assert "make run" in at.error[0].value
        assert not (tmp_path / "none.duckdb").exists()  # looking did not create it
    finally:
        load_settings.cache_clear()


# -------------------------------------------------------------------- 庁議モード


def test_council_title_screen_then_next_and_previous(app_env):
    at = open_page("views/council.py")
    assert at.title[0].value == "概況"
    assert {m.label for m in at.metric} >= {"評価指標", "目標達成の割合", "◎ A 達成"}
    next(b for b in at.button if b.key == "council_next").click().run()
    assert at.title[0].value.startswith("要対応の指標")  # what failed comes first
    assert at.query_params["screen"] in ("2", ["2"])  # the screen is in the URL
    next(b for b in at.button if b.key == "council_prev").click().run()
    assert at.title[0].value == "概況"
    next(b for b in at.button if b.key == "council_prev").click().run()  # wraps to the last
    assert at.title[0].value.startswith("基本方針3")


def test_council_follows_filters(app_env):
    at = open_page("views/council.py", policy=[3])
    titles = []
    for _ in range(6):
        titles.append(at.title[0].value)
        next(b for b in at.button if b.key == "council_next").click().run()
    # 要対応 and 前年度比 first; policy 3's four KPIs take two screens of three; then it wraps
    assert [t.split("\u3000")[0] for t in titles] == [
        "概況",
        "要対応の指標",
        "前年度からの評価の変化",
        "基本方針3（1/2）",
        "基本方針3（2/2）",
        "概況",
    ]


def test_plan_tree_says_when_the_filters_match_nothing(app_env):
    at = open_page("views/plan_tree.py", policy=[3], dept=["人事課"])
    assert any("合う事業がありません" in i.value for i in at.info)
    assert not at.header


def test_council_with_nothing_to_show_offers_to_clear_the_filters(app_env):
    at = open_page("views/council.py", policy=[3], dept=["人事課"])  # no such project
    assert any("条件に合う指標がありません" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["評価指標"] == "0"
    next(b for b in at.button if b.label == "絞り込みを解除").click().run()
    assert {m.label: m.value for m in at.metric}["評価指標"] == "35"
    assert not at.info


def test_council_screens_split_long_policies(app_env):
    from kpi.dashboard import Filters, council_screens, select

    data = service.plan_data(app_env, "hadano-r3-r7")
    screens = council_screens(data, select(data, Filters()), per_screen=3)
    assert screens[0].policy_no is None
    by_policy: dict[int | None, list[str]] = {}
    for s in (s for s in screens if s.kind == "policy"):
        by_policy.setdefault(s.policy_no, []).extend(s.kpi_ids)
        assert len(s.kpi_ids) <= 3
    assert {p: len(ids) for p, ids in by_policy.items()} == {1: 15, 2: 18, 3: 4}


def test_reports_page_offers_the_files(app_env, monkeypatch):
    seen = record_downloads(monkeypatch)
    at = open_page("views/reports.py", policy=[2])
    text = texts(at)
    assert "基本方針: 2" in text and "事業" in text
    files = {
        b.key: download(at, seen, b.label)
        for b in at.download_button
        if b.key in ("dl-pdf", "dl-xlsx", "dl-csv")
    }
    pdf_name, pdf = files["dl-pdf"]
    xlsx_name, xlsx = files["dl-xlsx"]
    csv_name, csv = files["dl-csv"]
    assert pdf_name and pdf_name.endswith(".pdf") and pdf.startswith(b"%PDF")
    assert xlsx_name and xlsx_name.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert "出力条件" in book.sheetnames
    conditions = " ".join(str(c.value) for row in book["出力条件"].iter_rows() for c in row)
    assert "基本方針: 2" in conditions  # the filters travel with the file
    assert csv_name and csv_name.endswith(".csv") and csv.startswith(b"\xef\xbb\xbf")
    rows = list(csv_module.DictReader(io.StringIO(csv.decode("utf-8-sig"))))
    assert rows and {r["指標ID"][:1] for r in rows} == {"2"}  # policy 2's KPIs only


def test_projects_detail_opens_from_a_link(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["project"] = "2-2-4"
    at.run()
    at.switch_page("views/projects.py")
    at.query_params["project"] = "2-2-4"
    at.run()
    assert at.selectbox(key="project_pick").value == "2-2-4"
    plan = frame(at, "取組内容")
    assert plan.loc[0, "令和3年度"] == "令和２年度分"  # year texts only where printed
    at.selectbox(key="project_pick").set_value("1-1-1").run()
    plan = frame(at, "取組内容")
    assert (plan["備考"] == "実施年度は資料から読み取れません").all()
