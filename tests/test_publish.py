"""The public static site (issue #16): files, links, tables, CSV, comments and sample data.

The site is built through the command line (`python -m etl publish`) on a real database;
the browser checks (offline rendering, axe-core) are in tests/test_accessibility.py.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from etl import cli
from etl.excel_safe import set_value
from etl.publish import svg
from etl.publish.site import (
    LEAD_COLUMN,
    SAMPLE_NOTICE,
    SampleDataRefused,
    build_site,
    csv_name,
    pdf_name,
    site_zip,
)
from kpi import service
from kpi.config import load_settings
from kpi.dashboard import STATUS_COLUMNS
from kpi.fiscal import fy_long_label
from kpi.status import badge_text

SAMPLE_BOOK = Path(__file__).resolve().parent.parent / "data" / "sample" / "actuals_sample.xlsx"
NOTE = '=HYPERLINK("x")<b>内部メモ</b>'
NOTE_KPI, FY = "2-1-1-1", 2025
PLAN_ID = "hadano-r3-r7"


class Page(HTMLParser):
    """What the tests read from a page: links, ids, tables (caption, header, rows)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_caption = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("href", "src", "xlink:href", "srcset", "action", "data"):
            if a.get(key):
                self.refs.append(str(a[key]))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.tables[-1]["caption"] += data
        if self._cell is not None:
            self._cell.append(data)

    def table(self, caption_start: str) -> list[list[str]]:
        return next(t["rows"] for t in self.tables if t["caption"].startswith(caption_start))


def run(*args: str) -> int:
    return cli.main(list(args))


@pytest.fixture(scope="module")
def actuals_db(tmp_path_factory, seed_file) -> Path:
    """The seed plan with real (not sample) actuals for every year, and one comment."""
    base = tmp_path_factory.mktemp("publish")
    db = base / "kpi.duckdb"
    shutil.copyfile(seed_file, db)
    wb = openpyxl.load_workbook(SAMPLE_BOOK)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[4]]
    id_col, year_col, note_col = (header.index(h) + 1 for h in ("指標ID", "年度", "備考"))
    for r in range(5, ws.max_row + 1):
        if ws.cell(r, id_col).value == NOTE_KPI and ws.cell(r, year_col).value == "令和7年度":
            set_value(ws.cell(r, note_col), NOTE)  # text, not a formula
    book = base / "実績.xlsx"
    wb.save(book)
    assert run("load-actuals", str(book), "--db", str(db), "--by", "test") == 0
    return db


@pytest.fixture(scope="module")
def env(monkeypatch_module):
    monkeypatch_module.setenv("KPI_TODAY", "2026-11-25")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def site(actuals_db, env, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "公表"
    assert run("publish", "--fy", str(FY), "--out", str(out), "--db", str(actuals_db)) == 0
    return out


@pytest.fixture(scope="module")
def site_with_comments(actuals_db, env, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-comments")
    args = ("publish", "--fy", "令和7年度", "--out", str(out), "--db", str(actuals_db))
    assert run(*args, "--with-comments") == 0
    return out


def pages(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_site_has_the_pages_the_data_and_the_report(site):
    names = {p.name for p in site.iterdir()}
    assert names == {
        "index.html",
        "policy-1.html",
        "policy-2.html",
        "policy-3.html",
        "style.css",
        csv_name(FY),
        pdf_name(FY),
    }
    assert (site / pdf_name(FY)).read_bytes().startswith(b"%PDF")


def test_every_page_is_japanese_names_the_year_and_links_the_csv_and_pdf(site):
    for name, text in pages(site).items():
        assert '<html lang="ja">' in text, name
        assert fy_long_label(FY) == "令和7年度（2025年度）"
        assert fy_long_label(FY) in text, name
        refs = Page(text).refs
        assert csv_name(FY) in refs and pdf_name(FY) in refs, name
        assert "架空" not in text, name  # real actuals: no sample banner


def test_no_reference_leaves_the_folder(site):
    """Every link, stylesheet and anchor resolves inside the folder: it works from disk."""
    parsed = {name: Page(text) for name, text in pages(site).items()}
    for name, page in parsed.items():
        for ref in page.refs:
            assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.I), (name, ref)
            file, _, fragment = ref.partition("#")
            target = file or name
            assert (site / target).is_file(), (name, ref)
            if fragment:
                assert fragment in parsed[target].ids, (name, ref)
        text = (site / name).read_text(encoding="utf-8")
        assert "<script" not in text and "@import" not in text
    assert "url(" not in (site / "style.css").read_text(encoding="utf-8")


def test_index_lists_every_kpi_with_target_actual_rate_grade_and_department(site, actuals_db):
    data = service.plan_data(load_settings().with_db(actuals_db), PLAN_ID)
    year = data.status[data.status["fiscal_year"] == FY].drop_duplicates("kpi_id")
    rows = Page((site / "index.html").read_text(encoding="utf-8")).table("評価指標の一覧")
    assert rows[0] == ["指標ID", "名称", "目標", "実績", "達成率", "評価", "担当課"]
    body = {r[0]: r for r in rows[1:]}
    assert list(body) == list(year["kpi_id"])
    for r in year.to_dict("records"):
        assert body[r["kpi_id"]][1] == r["kpi_name"]
        assert body[r["kpi_id"]][5] == badge_text(r["grade"])  # symbol, letter and word
    assert body["2-1-1-1"][6] == "情報システム課"
    # grades per policy, with a link to each policy's page
    policy = Page((site / "index.html").read_text(encoding="utf-8")).table("基本方針別の評価")
    assert [r[0][:2] for r in policy[1:]] == ["1.", "2.", "3."]


def test_every_chartable_kpi_has_one_chart_with_a_text_alternative_and_a_table(site, actuals_db):
    data = service.plan_data(load_settings().with_db(actuals_db), PLAN_ID)
    charted: list[str] = []
    for name, text in pages(site).items():
        if not name.startswith("policy-"):
            continue
        page = Page(text)
        for kpi_id in re.findall(r'aria-labelledby="kpi-([0-9-]+)-cap kpi-\1-alt"', text):
            charted.append(kpi_id)
            assert {f"kpi-{kpi_id}-cap", f"kpi-{kpi_id}-alt"} <= page.ids
            alt = re.search(rf'id="kpi-{kpi_id}-alt" class="alt">([^<]+)<', text)
            assert alt and fy_long_label(FY) in alt.group(1)
            years = page.table(f"指標 {kpi_id} の年度別の目標と実績")
            assert len(years) == 1 + len(data.years)
    assert sorted(charted) == sorted(data.chartable_kpis())  # each once, relisted or not


def test_csv_is_utf8_with_bom_japanese_headers_and_every_kpi_year(site, actuals_db):
    raw = (site / csv_name(FY)).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    expected = [c for c in STATUS_COLUMNS.values() if c != "備考"]  # 主管課等 is one of them
    assert list(table.columns) == expected
    data = service.plan_data(load_settings().with_db(actuals_db), PLAN_ID)
    assert len(table) == len(data.kpis) * len(data.years)
    row = table[(table["指標ID"] == NOTE_KPI) & (table["年度"] == str(FY))].iloc[0]
    assert row[LEAD_COLUMN] == "情報システム課"


def test_comments_appear_only_with_the_option_and_always_escaped(site, site_with_comments):
    for folder, shown in ((site, False), (site_with_comments, True)):
        texts = pages(folder)
        html_hits = [n for n, t in texts.items() if "内部メモ" in t]
        assert bool(html_hits) is shown
        assert all("<b>内部メモ" not in t for t in texts.values())  # never live markup
        csv = pd.read_csv(folder / csv_name(FY), encoding="utf-8-sig", dtype=str)
        assert ("備考" in csv.columns) is shown
        assert ("内部メモ" in pdf_text(folder / pdf_name(FY))) is shown
    escaped = pages(site_with_comments)["policy-2.html"]
    assert "&lt;b&gt;内部メモ&lt;/b&gt;" in escaped
    csv = pd.read_csv(site_with_comments / csv_name(FY), encoding="utf-8-sig", dtype=str)
    note = csv.loc[(csv["指標ID"] == NOTE_KPI) & (csv["年度"] == str(FY)), "備考"].iloc[0]
    assert note == "'" + NOTE  # a formula in Excel never runs


def test_sample_data_is_refused_unless_allowed_then_every_page_says_so(tmp_path, env):
    db = tmp_path / "kpi.duckdb"
    assert run("build", "--sample", "--db", str(db)) == 0
    out = tmp_path / "site"
    assert run("publish", "--fy", "2025", "--out", str(out), "--db", str(db)) == 1
    assert not out.exists()
    settings = load_settings().with_db(db)
    data = service.plan_data(settings, PLAN_ID)
    kwargs = dict(fiscal_year=FY, as_of=settings.today(), sources=[], grading=settings.grading)
    with pytest.raises(SampleDataRefused):
        build_site(data, report=lambda d, f: b"%PDF-", **kwargs)  # type: ignore[arg-type]
    files = build_site(data, report=lambda d, f: b"%PDF-", allow_sample=True, **kwargs)  # type: ignore[arg-type]
    html = {n: b.decode() for n, b in files.items() if n.endswith(".html")}
    assert len(html) == 4
    for name, text in html.items():
        first = re.search(r"<body>\s*<p[^>]*>([^<]+)</p>", text)
        assert first and "架空" in first.group(1) and first.group(1) == SAMPLE_NOTICE, name
    csv = pd.read_csv(io.BytesIO(files[csv_name(FY)]), encoding="utf-8-sig", dtype=str)
    assert "サンプル（架空）" in set(csv["データ区分"])
    # the reports page's zip: every file inside one folder
    with zipfile.ZipFile(io.BytesIO(site_zip(files, "公表_2025"))) as z:
        assert sorted(z.namelist()) == sorted(f"公表_2025/{n}" for n in files)
        assert z.read("公表_2025/index.html") == files["index.html"]


def test_a_year_outside_the_plan_or_a_file_as_folder_is_refused(actuals_db, env, tmp_path):
    assert (
        run("publish", "--fy", "2030", "--out", str(tmp_path / "x"), "--db", str(actuals_db)) == 1
    )
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    assert run("publish", "--fy", "2025", "--out", str(afile), "--db", str(actuals_db)) == 1


def test_chart_text_is_escaped_and_axis_steps_are_round():
    assert svg.nice_ticks(87) == [0, 25, 50, 75, 100]
    assert svg.nice_ticks(6312 * 1.15) == [0, 2000, 4000, 6000, 8000]
    history = pd.DataFrame(
        {
            "fiscal_year": [2024, 2025],
            "target_value": [5.0, None],
            "comparator": [">=", None],
            "target_text": ["5", "検討"],
            "actual_value": [6.0, None],
            "grade": ["A", "未報告"],
            "unit": ["<b>件", "<b>件"],
        }
    )
    out = svg.kpi_chart(history, selected_year=2025, chart_id="k", labelled_by="a b")
    assert "<b>" not in out and "&lt;b&gt;件" in out
    assert "◎A" in out and "未報告" in out and 'aria-labelledby="a b"' in out
