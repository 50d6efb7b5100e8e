"""Issue #10 item 8: every text from a user, a file or a URL is shown as text, never as
Markdown (a phishing link, an external image, an auto-linked URL).

Three layers: the one escaping helper (ui.format.md) is checked against what Streamlit's
Markdown would make of its output; a source check finds text interpolated into a
Markdown-rendering call without it; AppTests feed hostile names through every page.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from etl import cli
from kpi.config import ROOT, load_settings
from ui.format import md

HOSTILE = "[ここからログイン](https://evil.example/)![t](http://127.0.0.1:9/t.png)"
HOSTILE_TEXTS = [
    HOSTILE,
    "https://evil.example/login www.evil.example mail@evil.example",
    "<img src=x onerror=alert(1)> **太字** `code` :red[赤] $x^2$ &lt;b&gt; # 見出し",
    "1. 番号\n- 箇条\n> 引用\n\n---",
]

# What remark-gfm in the browser turns into a link or an image, after escapes are resolved.
_UNESCAPE = re.compile(r"\\(.)")
_AUTOLINK = re.compile(r"https?://|www\.|[-.\w+]+@[-\w]+\.\w", re.IGNORECASE)
_UNESCAPED_MARKUP = re.compile(r"(?<!\\)[\[\]()!<>]")


def assert_inert(markdown: str, payload_marker: str = "evil") -> None:
    """`markdown` is what a page handed to Streamlit: no live link, image or auto-link."""
    assert not _AUTOLINK.search(_UNESCAPE.sub(r"\1", markdown)), markdown
    for piece in re.findall(r"[^\s]*" + payload_marker + r"[^\s]*", markdown):
        assert not _UNESCAPED_MARKUP.search(piece), markdown


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_md_leaves_no_markup_and_no_autolink(text):
    out = md(text)
    assert not _AUTOLINK.search(_UNESCAPE.sub(r"\1", out))
    # every Markdown punctuation is escaped: nothing structural is left
    assert not re.search(r"(?<!\\)[\[\]()!<>*`#:$&@^_~|]", out)
    # the text itself survives (shown as it was, invisible word joiners aside)
    assert _UNESCAPE.sub(r"\1", out).replace("\u2060", "").replace("  \n", "\n") == text


def test_md_drops_terminal_and_control_characters():
    assert md("a\x1b[31mb\x00c\x07") == "a\\[31mbc"


# ----------------------------------------------------------- source check

# Calls whose text argument(s) Streamlit renders as Markdown.
_FIRST_ARG = {
    "markdown",
    "caption",
    "title",
    "header",
    "subheader",
    "info",
    "warning",
    "error",
    "success",
    "toast",
    "expander",
    "button",
    "checkbox",
    "download_button",
    "selectbox",
    "multiselect",
    "text_input",
    "file_uploader",
    "segmented_control",
    "radio",
    "tabs",
}
_LABEL_KWARGS = {"label", "value", "delta", "help", "body", "placeholder"}
# Functions whose result holds no text from a user or a file.
_SAFE_CALLS = {
    "md",
    "fy_label",
    "era_name",
    "badge_text",
    "len",
    "int",
    "percent_text",
    "wait_words",
}


def _safe(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(_safe(v) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        if node.format_spec is not None:  # {x:.0f}: a number
            return True
        return _safe(node.value)
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, ast.Add):
            return True  # arithmetic on numbers
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(_safe(v) for v in node.values)
    if isinstance(node, ast.List | ast.Tuple):
        return all(_safe(v) for v in node.elts)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name in _SAFE_CALLS
    return False


def unescaped_interpolations(source: str) -> list[str]:
    """Text arguments of Markdown-rendering calls that may hold data without md().
    A call whose lines carry `# text-safe: <why>` is a reviewed exception."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
        if any("# text-safe:" in line for line in span):
            continue
        method = node.func.attr
        args: list[ast.expr] = []
        if method in _FIRST_ARG and node.args:
            args.append(node.args[0])
        if method == "metric":
            args.extend(node.args[:3])
        if method in _FIRST_ARG | {"metric", "page_link"}:
            args.extend(k.value for k in node.keywords if k.arg in _LABEL_KWARGS)
        found += [f"line {a.lineno}: {ast.unparse(a)}" for a in args if not _safe(a)]
    return found


def test_the_source_check_finds_an_unescaped_interpolation():
    bad = 'st.header(f"{kpi_id} {name}")\nst.page_link("x", label=name)\nst.error(str(e))'
    good = 'st.header(f"{md(kpi_id)} {fy_label(y)} {n:.0f}")\nst.page_link("x", label=md(name))'
    assert len(unescaped_interpolations(bad)) == 3
    assert unescaped_interpolations("st.markdown(x)  # text-safe: a constant") == []
    assert unescaped_interpolations(good) == []


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(ROOT))
        for p in [*(ROOT / "views").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"]
    ),
)
def test_views_and_ui_escape_every_interpolated_text(path):
    assert unescaped_interpolations((ROOT / path).read_text(encoding="utf-8")) == []


# ----------------------------------------------------------- pages


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> str:
    """The sample database with names as a hostile plan workbook could carry them."""
    db = tmp_path_factory.mktemp("hostile") / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0
    name = HOSTILE + " https://evil.example/x"
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE plans SET name = ?", [name])
        con.execute("UPDATE policies SET name = ?", [name])
        con.execute("UPDATE measures SET name = ?", [name])
        con.execute("UPDATE projects SET name = ?, overview = ?, aims = ?", [name] * 3)
        con.execute("UPDATE kpis SET name = ?, rationale = ? WHERE kpi_id <> '1-1-1-1'", [name] * 2)
        con.execute("UPDATE kpis SET unit = ?", ["[件](https://evil.example/u)"])
        con.execute("UPDATE kpi_actuals SET note = ?", [name])
        con.execute("UPDATE project_departments SET department = 'evil@evil.example'")
    return str(db)


@pytest.fixture
def hostile_env(hostile_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", hostile_db)
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    monkeypatch.delenv("KPI_UPLOAD_PASSWORD_HASH", raising=False)
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


def rendered_markdown(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "title", "header", "subheader")
    out = [str(getattr(e, "value", "")) for kind in kinds for e in at.get(kind)]
    alerts = ("warning", "info", "error", "success")
    out += [str(getattr(e, "value", "")) for kind in alerts for e in at.get(kind)]
    for m in at.metric:
        out += [m.label, m.value]
    out += [e.proto.label for e in at.get("expandable")]
    out += [e.proto.label for e in at.get("page_link")]
    return out


def test_a_reflected_link_in_the_url_is_shown_as_text(hostile_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/kpi_detail.py")
    at.query_params["kpi"] = HOSTILE
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning if "見つからない" in w.value]
    assert warnings, "the unknown link is reported"
    for text in warnings:
        assert_inert(text)
        assert "ここからログイン" in text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


# What the pages' HTML blocks may hold: layout, text and the SVG of a chart.
_HTML_TAGS = {
    "div",
    "p",
    "strong",
    "a",
    "svg",
    "title",
    "text",
    "line",
    "path",
    "rect",
    "circle",
    "polyline",
    "polygon",
    "g",
}


def assert_inert_html(block: str) -> None:
    """A raw HTML block a page handed to Streamlit: one line (a blank line would end the block
    and what follows would be read as Markdown), only the tags of a card, and links only to
    a KPI's detail page."""
    assert "\n" not in block, block
    parser = _Tags()
    parser.feed(block)
    for tag, attrs in parser.tags:
        assert tag in _HTML_TAGS, (tag, block)
        if tag == "a":
            assert (attrs.get("href") or "").startswith("kpi_detail?"), attrs
        assert not any(k.startswith("on") for k in attrs), attrs


def test_the_html_check_finds_a_link_and_a_line_break():
    for bad in (
        '<p><a href="https://evil.example/">x</a></p>',
        "<p>x</p>\n\n[x](y)",
        '<p><img src="x"></p>',
    ):
        with pytest.raises(AssertionError):
            assert_inert_html(bad)
    assert_inert_html('<p>&lt;img&gt; <a href="kpi_detail?kpi=1">1</a></p>')


PAGES = sorted(f"views/{p.name}" for p in (ROOT / "views").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_names_from_the_plan_are_shown_as_text_on_every_page(hostile_env, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = rendered_markdown(at)
    if page != "views/departments.py":  # names only in its tables and its selectbox
        assert any("ここからログイン" in t for t in texts), "the hostile name is on the page"
    for text in texts:
        if text.startswith("<"):  # a card grid or a card's chart: one raw HTML block
            assert_inert_html(text)
            continue
        assert_inert(text)
