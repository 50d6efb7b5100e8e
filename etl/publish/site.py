"""The public static site (公表): plain HTML pages, inline SVG charts, the CSV and the PDF.

`build_site` is pure: it takes the plan's data (kpi.service.plan_data) and returns the files
as {name: bytes}; the CLI writes them into a folder and the reports page zips them. The site
works when opened from disk with no network: one stylesheet beside the pages, charts drawn
inline, no script, no font, no address outside the folder.

For citizens and the city's web accessibility officer (JIS X 8341-3:2016 AA, WCAG 2.1 AA):
every chart has a caption, a text alternative and a data table; grades are symbol + letter +
word, never colour alone; every text from the database is escaped. Department comments (備考)
may be internal and appear only when asked for; fictional sample data is refused unless
allowed, and then every page says 架空 before anything else.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path

import pandas as pd

from etl.export import to_csv_bytes
from etl.publish import svg
from kpi.charts import format_value
from kpi.config import Grading
from kpi.dashboard import (
    STATUS_COLUMNS,
    Filters,
    PlanData,
    Selection,
    by_policy,
    department_names,
    headline,
    select,
    status_table,
)
from kpi.errors import KpiError
from kpi.fiscal import fy_long_label
from kpi.numbers import is_missing, text_or_blank
from kpi.status import (
    ALL_GRADES,
    DIRECTION_WORDS,
    GRADED,
    NOT_REPORTED,
    STYLES,
    badge_text,
    band_description,
)

STYLESHEET = "style.css"
SITE_TITLE = "評価指標（KPI）の達成状況"
SAMPLE_NOTICE = (
    "【架空】このサイトの実績値には、試用のために作成した架空のサンプルデータが含まれています。"
    "実際の実績ではありません。"
)
NOTE_COLUMN = STATUS_COLUMNS["note"]  # 備考
LEAD_COLUMN = "主管課等"
ReportBuilder = Callable[[PlanData, Filters], bytes]


class SampleDataRefused(KpiError):
    """The plan's current values include fictional sample data and it was not allowed."""


@dataclass(frozen=True)
class SiteFile:
    name: str
    label: str
    detail: str


def csv_name(fy: int) -> str:
    return f"kpi-{fy}.csv"


def pdf_name(fy: int) -> str:
    return f"report-{fy}.pdf"


def policy_page(policy_no: int) -> str:
    return f"policy-{policy_no}.html"


def kpi_anchor(kpi_id: str) -> str:
    return f"kpi-{kpi_id}"


def public_data(data: PlanData, *, with_comments: bool) -> PlanData:
    """The plan's data as it may be published: without the departments' comments unless
    they are asked for (they may be internal), so no output of the site can leak them."""
    if with_comments:
        return data
    return replace(data, status=data.status.assign(note=None))


def public_table(data: PlanData, sel: Selection, *, with_comments: bool) -> pd.DataFrame:
    """The CSV: every KPI and year (status table of the dashboard) with the lead departments;
    備考 only with the comments."""
    table = status_table(data, sel)  # with 主管課等 and 関係課等 (issue #10)
    return table if with_comments else table.drop(columns=[NOTE_COLUMN])


# ---------------------------------------------------------------- words


def _e(value: object) -> str:
    """Every text that reaches a page goes through here (quotes escaped too)."""
    return escape(text_or_blank(value), quote=True)


def _rate(value: object) -> str:
    return "―" if is_missing(value) else f"{float(value):.1f}%"  # type: ignore[arg-type]


def _actual(value: object, unit: str) -> str:
    return format_value(None if is_missing(value) else float(value), unit)  # type: ignore[arg-type]


def _size(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def _date_words(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def kpi_alt_text(history: pd.DataFrame, fiscal_year: int) -> str:
    """The text alternative of a KPI chart: the chosen year's verdict and the trend."""
    h = history.sort_values("fiscal_year")
    unit = text_or_blank(h["unit"].iloc[0])
    parts = []
    year = h[h["fiscal_year"] == fiscal_year]
    if len(year):
        r = year.iloc[0]
        target = text_or_blank(r["target_text"]) or "なし"
        parts.append(
            f"{fy_long_label(fiscal_year)}は、目標 {target}、実績 {_actual(r['actual_value'], unit)}、"
            f"評価 {badge_text(text_or_blank(r['grade']))}。"
        )
    reported = h[h["actual_value"].notna()]
    if len(reported) >= 2:
        first, last = reported.iloc[0], reported.iloc[-1]
        a, b = float(first["actual_value"]), float(last["actual_value"])
        trend = "増加" if b > a else ("減少" if b < a else "横ばい")
        parts.append(
            f"実績は{fy_long_label(int(first['fiscal_year']))}の {_actual(a, unit)} から"
            f"{fy_long_label(int(last['fiscal_year']))}の {_actual(b, unit)} へ{trend}しました。"
        )
    elif len(reported) == 1:
        r = reported.iloc[0]
        parts.append(
            f"実績の報告は{fy_long_label(int(r['fiscal_year']))}の {_actual(r['actual_value'], unit)} のみです。"
        )
    else:
        parts.append("実績の報告はまだありません。")
    missing = [fy_long_label(int(fy)) for fy in h.loc[h["grade"] == NOT_REPORTED, "fiscal_year"]]
    if missing:
        parts.append(f"未報告の年度: {'、'.join(missing)}。")
    parts.append("各年度の値は下の表のとおりです。")
    return "".join(parts)


def summary_paragraph(data: PlanData, sel: Selection) -> str:
    h = headline(sel)
    counts = h.counts
    share = h.share_met
    fy = fy_long_label(sel.fiscal_year)
    text = (
        f"{data.plan['name']}（{fy_long_label(data.years[0])}～{fy_long_label(data.years[-1])}）"
        f"には {h.kpis} の評価指標があります。{fy}に数値の目標と実績がそろい評価できた指標は "
        f"{h.graded} 件で、"
    )
    if h.graded and share is not None:
        text += (
            f"そのうち目標を達成した指標（{badge_text('A')}）は {counts['A']} 件"
            f"（{share:.1f}%）でした。"
            f"{badge_text('B')} は {counts['B']} 件、{badge_text('C')} は {counts['C']} 件、"
            f"{badge_text('D')} は {counts['D']} 件です。"
        )
    else:
        text += "まだ評価できる指標はありません。"
    others = [
        f"{STYLES[g].label} {counts[g]} 件" for g in ALL_GRADES if g not in GRADED and counts[g]
    ]
    if others:
        text += f"評価していない指標: {'、'.join(others)}。"
    return text


# ---------------------------------------------------------------- HTML pieces


def _table(
    caption: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    row_header: bool = True,
    numeric: Sequence[int] = (),
    classes: Sequence[str] | None = None,
    raw: bool = False,
) -> str:
    """A data table in a keyboard-scrollable region. Cells are escaped unless `raw` (then the
    caller has escaped them: links)."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            value = cell if raw else _e(cell)
            cls = ' class="num"' if i in numeric else ""
            if i == 0 and row_header:
                cells.append(f'<th scope="row"{cls}>{value}</th>')
            else:
                cells.append(f"<td{cls}>{value}</td>")
        row_cls = f' class="{classes[r]}"' if classes and classes[r] else ""
        body.append(f"<tr{row_cls}>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap" role="region" aria-label="{_e(caption)}" tabindex="0">'
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


@dataclass
class _Site:
    data: PlanData
    sel: Selection
    grading: Grading
    as_of: dt.date
    sources: list[str]
    with_comments: bool
    sample: bool
    files: list[SiteFile]

    @property
    def fy(self) -> int:
        return self.sel.fiscal_year

    def policies(self) -> list[tuple[int, str]]:
        p = self.data.projects.drop_duplicates("policy_no").sort_values("policy_no")
        return [
            (int(n), str(name)) for n, name in zip(p["policy_no"], p["policy_name"], strict=True)
        ]

    def page(self, name: str, title: str, body: str) -> bytes:
        plan = self.data.plan
        nav = [("index.html", "トップ（概要と一覧）")] + [
            (policy_page(n), f"基本方針{n}　{pname}") for n, pname in self.policies()
        ]
        current = ' aria-current="page"'
        links = "".join(
            f'<li><a href="{_e(href)}"{current if href == name else ""}>{_e(label)}</a></li>'
            for href, label in nav
        )
        downloads = "".join(
            f'<li><a href="{_e(f.name)}">{_e(f.label)}</a>（{_e(f.detail)}）</li>'
            for f in self.files
        )
        banner = f'<p class="sample-banner">{_e(SAMPLE_NOTICE)}</p>' if self.sample else ""
        sources = "".join(f"<li>{_e(s)}</li>" for s in self.sources) or "<li>取込記録なし</li>"
        html = f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}｜{_e(plan["name"])} {_e(SITE_TITLE)}（{_e(fy_long_label(self.fy))}）</title>
<link rel="stylesheet" href="{STYLESHEET}">
</head>
<body>
{banner}<a class="skip" href="#main">本文へ移動</a>
<header class="site-header">
<p class="org">{_e(plan["organization"])}</p>
<p class="site-name"><a href="index.html">{_e(plan["name"])}　{_e(SITE_TITLE)}</a></p>
<p class="year">{_e(fy_long_label(self.fy))}</p>
</header>
<nav aria-label="サイト内のページ"><ul class="nav">{links}</ul></nav>
<main id="main" tabindex="-1">
{body}
</main>
<footer>
<section aria-labelledby="downloads-{_e(Path(name).stem)}">
<h2 id="downloads-{_e(Path(name).stem)}">データと報告書</h2>
<ul>{downloads}</ul>
</section>
<section aria-labelledby="about-{_e(Path(name).stem)}">
<h2 id="about-{_e(Path(name).stem)}">このサイトについて</h2>
<p>作成日: {_e(_date_words(self.as_of))}。評価は目標値と実績値から機械的に算出しています。
評価は色だけでなく記号と文字（◎ A 達成、○ B 概ね達成、△ C 一部達成、× D 未達成、－ 未報告）で示し、
グラフにはすべて同じ値の表と文章での説明を付けています。</p>
<p>データの出典:</p>
<ul>{sources}</ul>
</section>
</footer>
</body>
</html>
"""
        return html.encode("utf-8")

    # --- index

    def index(self) -> bytes:
        data, sel = self.data, self.sel
        table = by_policy(data, sel)
        shown = [g for g in ALL_GRADES if g in GRADED or g == NOT_REPORTED or table[g].any()]
        chart_rows = [
            (f"基本方針{r['policy_no']}", {g: int(r[g]) for g in shown})
            for r in table.to_dict("records")
        ]
        policy_rows = []
        for r in table.to_dict("records"):
            link = (
                f'<a href="{policy_page(int(r["policy_no"]))}">{_e(r["policy_no"])}. '
                f"{_e(r['policy_name'])}</a>"
            )
            policy_rows.append(
                [
                    link,
                    _e(r["指標数"]),
                    _e(r["評価済"]),
                    *(_e(r[g]) for g in shown),
                    _e(_rate(r["達成率(A)"])),
                ]
            )
        policy_header = [
            "基本方針",
            "指標数",
            "評価済",
            *(badge_text(g) for g in shown),
            "達成割合",
        ]
        chart = svg.grade_bars(
            chart_rows, chart_id="policy-chart", labelled_by="policy-cap policy-alt"
        )
        alt = "。".join(
            f"基本方針{r['policy_no']}: "
            + "、".join(f"{badge_text(g)} {int(r[g])} 件" for g in shown if int(r[g]))
            for r in table.to_dict("records")
        )
        bands = band_description(self.grading.grade_b_min, self.grading.grade_c_min)
        lead = department_names(data)["lead"]
        kpi_rows, kpi_classes = [], []
        pages = self.kpi_pages()
        for r in sel.year_status.to_dict("records"):
            kpi_id = str(r["kpi_id"])
            href = f"{pages[kpi_id]}#{kpi_anchor(kpi_id)}"
            kpi_rows.append(
                [
                    f'<a href="{_e(href)}">{_e(kpi_id)}</a>',
                    _e(r["kpi_name"]),
                    _e(text_or_blank(r["target_text"]) or "―"),
                    _e(_actual(r["actual_value"], text_or_blank(r["unit"]))),
                    _e(_rate(r["achievement_rate"])),
                    _e(badge_text(text_or_blank(r["grade"]))),
                    _e(lead.get(r["home_project_id"], "") or "―"),
                ]
            )
            kpi_classes.append(f"grade-{'nr' if r['grade'] not in GRADED else r['grade']}")
        fy = fy_long_label(self.fy)
        body = f"""<h1>{_e(data.plan["name"])}<br>{_e(SITE_TITLE)}　{_e(fy)}</h1>
<p class="meta">{_e(data.plan["organization"])}　計画期間: {_e(fy_long_label(data.years[0]))}～{_e(fy_long_label(data.years[-1]))}</p>
<h2>概要</h2>
<p>{_e(summary_paragraph(data, sel))}</p>
<h2>基本方針別の評価</h2>
<figure>
<figcaption id="policy-cap">図: 基本方針ごとの評価の内訳（{_e(fy)}、指標数）</figcaption>
{chart}
<p id="policy-alt" class="alt">{_e(alt)}。同じ数を次の表に示します。</p>
</figure>
{_table(f"基本方針別の評価（{fy}、指標数）", policy_header, policy_rows, numeric=range(1, len(policy_header)), raw=True)}
<p class="note">評価済 = A〜D の合計、達成割合 = A（達成）の数 ÷ 評価済。複数の事業に再掲された指標は1回だけ数えます。</p>
<h2>評価の区分</h2>
{_table("評価の区分と基準", ["評価", "基準"], [[badge_text(g), bands[g]] for g in ALL_GRADES])}
<h2>評価指標の一覧（{_e(fy)}）</h2>
<p>指標IDから、各指標の年度ごとの目標・実績のグラフと表へ移動できます。</p>
{_table(f"評価指標の一覧（{fy}）", ["指標ID", "名称", "目標", "実績", "達成率", "評価", "担当課"], kpi_rows, numeric=(3, 4), classes=kpi_classes, raw=True)}
"""
        return self.page("index.html", "概要と一覧", body)

    # --- policy pages

    def kpi_pages(self) -> dict[str, str]:
        """The page that shows each KPI in full: the policy of its first (not relisted) home."""
        listings = self.data.listings
        home = listings.sort_values("relisted", kind="stable").drop_duplicates("kpi_id")
        return {
            str(k): policy_page(int(p))
            for k, p in zip(home["kpi_id"], home["policy_no"], strict=True)
        }

    def policy(self, policy_no: int, policy_name: str) -> bytes:
        data = self.data
        projects = data.projects[data.projects["policy_no"] == policy_no]
        listings = data.listings
        names = department_names(data)
        pages = self.kpi_pages()
        parts = [f"<h1>基本方針{policy_no}　{_e(policy_name)}</h1>"]
        parts.append(
            f'<p class="meta">{_e(fy_long_label(self.fy))}の評価と、計画期間の各年度の目標・実績です。'
            "グラフの棒は実績（色・模様と記号で評価）、破線は目標です。</p>"
        )
        measure = None
        for p in projects.to_dict("records"):
            if p["measure_id"] != measure:
                measure = p["measure_id"]
                parts.append(f"<h2>事業推進計画 {_e(measure)}　{_e(p['measure_name'])}</h2>")
            pid = str(p["project_id"])
            relisted = text_or_blank(p["relisted_from"])
            parts.append(
                f'<section class="project" aria-labelledby="project-{_e(pid)}">'
                f'<h3 id="project-{_e(pid)}">{"【再掲】" if relisted else ""}{_e(pid)}　'
                f"{_e(p['project_name'])}</h3>"
            )
            if relisted:
                parts.append(f"<p>再掲元: {_e(relisted)}</p>")
            lead = names.loc[pid, "lead"] if pid in names.index else ""
            related = names.loc[pid, "related"] if pid in names.index else ""
            parts.append(
                f'<p class="meta">主管課等: {_e(lead or "―")}　／　関係課等: {_e(related or "―")}</p>'
            )
            mine = listings[listings["project_id"] == pid]
            if mine.empty:
                parts.append("<p>この事業には評価指標が設定されていません。</p>")
            for lst in mine.to_dict("records"):
                kpi_id = str(lst["kpi_id"])
                if bool(lst["relisted"]):
                    href = f"{pages[kpi_id]}#{kpi_anchor(kpi_id)}"
                    name = text_or_blank(
                        data.status.loc[data.status["kpi_id"] == kpi_id, "kpi_name"].iloc[0]
                    )
                    parts.append(
                        f'<p>指標 {_e(kpi_id)}　{_e(name)}（再掲。<a href="{_e(href)}">'
                        f"{_e(kpi_id)} のグラフと表</a>）</p>"
                    )
                    continue
                parts.append(self.kpi_block(kpi_id))
            parts.append("</section>")
        return self.page(policy_page(policy_no), f"基本方針{policy_no}", "\n".join(parts))

    def kpi_block(self, kpi_id: str) -> str:
        h = self.sel.status[self.sel.status["kpi_id"] == kpi_id].sort_values("fiscal_year")
        first = h.iloc[0]
        unit = text_or_blank(first["unit"])
        anchor = kpi_anchor(kpi_id)
        facts = [
            f"単位: {unit or 'なし'}",
            DIRECTION_WORDS.get(text_or_blank(first["direction"]), ""),
        ]
        if bool(first["cumulative"]):
            facts.append("累積値")
        out = [
            f'<section class="kpi" id="{_e(anchor)}" aria-labelledby="{_e(anchor)}-h">',
            f'<h4 id="{_e(anchor)}-h">指標 {_e(kpi_id)}　{_e(first["kpi_name"])}</h4>',
            f'<p class="meta">{_e("　／　".join(f for f in facts if f))}</p>',
        ]
        if text_or_blank(first["rationale"]):
            out.append(f'<p class="rationale">指標の考え方: {_e(first["rationale"])}</p>')
        years = f"{fy_long_label(int(h['fiscal_year'].min()))}～{fy_long_label(int(h['fiscal_year'].max()))}"
        if h["target_value"].notna().any() or h["actual_value"].notna().any():
            chart = svg.kpi_chart(
                h, selected_year=self.fy, chart_id=anchor, labelled_by=f"{anchor}-cap {anchor}-alt"
            )
            out.append(
                f'<figure><figcaption id="{_e(anchor)}-cap">図: 指標 {_e(kpi_id)} の目標と実績'
                f"（{_e(years)}）</figcaption>{chart}"
                f'<p id="{_e(anchor)}-alt" class="alt">{_e(kpi_alt_text(h, self.fy))}</p></figure>'
            )
        else:
            out.append("<p>目標が文章で示されていて実績もないため、グラフはありません。</p>")
        header = ["年度", "目標（計画の表記）", "実績", "達成率", "評価"]
        if self.with_comments:
            header.append("備考（担当課のコメント）")
        rows, classes = [], []
        for r in h.to_dict("records"):
            fy = int(r["fiscal_year"])
            row = [
                fy_long_label(fy) + ("（対象年度）" if fy == self.fy else ""),
                text_or_blank(r["target_text"]) or "―",
                _actual(r["actual_value"], unit),
                _rate(r["achievement_rate"]),
                badge_text(text_or_blank(r["grade"])),
            ]
            if self.with_comments:
                row.append(text_or_blank(r["note"]))
            rows.append(row)
            classes.append("current" if fy == self.fy else "")
        out.append(
            _table(
                f"指標 {kpi_id} の年度別の目標と実績", header, rows, numeric=(2, 3), classes=classes
            )
        )
        out.append("</section>")
        return "\n".join(out)


def build_site(
    data: PlanData,
    *,
    fiscal_year: int,
    as_of: dt.date,
    sources: Sequence[str],
    grading: Grading,
    report: ReportBuilder,
    with_comments: bool = False,
    allow_sample: bool = False,
) -> dict[str, bytes]:
    """Every file of the site, by name: index.html, one page per 基本方針, style.css, the CSV
    (every KPI and year) and the PDF report (`report(data, filters)`, e.g. etl.report's
    build_report), both built from the same data the pages show."""
    if fiscal_year not in data.years:
        raise KpiError(
            f"{fy_long_label(fiscal_year)} は計画の期間（{fy_long_label(data.years[0])}～"
            f"{fy_long_label(data.years[-1])}）の外です。"
        )
    if data.sample_current and not allow_sample:
        raise SampleDataRefused(
            "架空のサンプルデータが表示中のため、公表用サイトを作りません。実際の実績を取り込むか、"
            "サンプルの取込を取り消してください（試しに作るときは --allow-sample。全ページに「架空」と表示されます）。"
        )
    public = public_data(data, with_comments=with_comments)
    filters = Filters(fiscal_year=fiscal_year)
    sel = select(public, filters)
    csv = to_csv_bytes(public_table(public, sel, with_comments=with_comments))
    pdf = report(public, filters)
    files = [
        SiteFile(
            csv_name(fiscal_year),
            "全指標・全年度の評価データ（CSV形式）",
            f"UTF-8（BOM付き）、{_size(len(csv))}",
        ),
        SiteFile(pdf_name(fiscal_year), "達成状況報告書（PDF形式）", _size(len(pdf))),
    ]
    site = _Site(
        public, sel, grading, as_of, list(sources), with_comments, data.sample_current, files
    )
    out = {
        "index.html": site.index(),
        **{policy_page(n): site.policy(n, name) for n, name in site.policies()},
        STYLESHEET: (Path(__file__).with_name(STYLESHEET)).read_bytes(),
        csv_name(fiscal_year): csv,
        pdf_name(fiscal_year): pdf,
    }
    return out


def site_zip(files: dict[str, bytes], folder: str) -> bytes:
    """The site as one zip (the reports page's download), inside one folder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(f"{folder}/{name}", content)
    return buf.getvalue()
