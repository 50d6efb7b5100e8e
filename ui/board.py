"""KPI cards: id, name, grade badge, this year's numbers and the small target-versus-actual
chart, in a grid. Shared by 概況 (the board) and 庁議モード (the slides).

The chart is static SVG (kpi.svg_charts): a board of ~35 plotly charts took 4-6x as long as
a trivial page to settle in a real browser (docs/benchmarks.md, browser benchmark)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from kpi.attention import rate_text
from kpi.charts import format_value
from kpi.dashboard import PlanData, kpi_history
from kpi.status import badge_text
from kpi.svg_charts import kpi_svg
from ui import plan_cache
from ui.format import md


def _svg(plan_id: str, data: PlanData, kpi_id: str, name: str, large: bool) -> str:
    """The card's chart, built once per database version (a board has dozens)."""

    def build() -> str:
        history = kpi_history(data, kpi_id)
        label = f"{name}の目標と実績"
        if large:  # the council: 18 px type or more at 1366x768
            # as wide as a card's inside at 1366 px, so the SVG is not scaled down
            return kpi_svg(history, width=340, height=220, font_px=19, label=label)
        return kpi_svg(history, width=320, height=170, font_px=12, label=label)

    svg = plan_cache.cached(plan_id, ("kpi-svg", kpi_id, large), build)
    # One line: a blank line inside a name would end the HTML block, and what follows would
    # be read as Markdown (a link, an image). The SVG's texts are HTML-escaped (kpi.svg_charts).
    return " ".join(svg.splitlines())


def numbers_line(row: pd.Series) -> str:
    """「実績 5,871 人 ／ 目標 8,200 ／ 達成率 71.6%」 of the selected year."""
    unit = str(row["unit"]) if pd.notna(row["unit"]) else ""
    actual = "―" if pd.isna(row["actual_value"]) else format_value(row["actual_value"], unit)
    target = "―" if pd.isna(row["target_text"]) else str(row["target_text"])
    return f"実績 {actual} ／ 目標 {target} ／ 達成率 {rate_text(row['achievement_rate'])}"


def kpi_cards(
    plan_id: str,
    data: PlanData,
    year_status: pd.DataFrame,
    kpi_ids: list[str],
    *,
    key: str,
    per_row: int = 3,
    large: bool = False,
    link: bool = True,
    relisted: frozenset[str] = frozenset(),
    comments: bool = False,
) -> None:
    """`relisted`: KPIs shown here under a relisted project (【再掲】); `comments`: show the
    department's comment of the year under the numbers."""
    year = year_status.set_index("kpi_id")
    drawable = data.chartable_kpis()
    grid = st.container(key=f"cards-{key}")  # ui.style: two per row on a tablet
    for start in range(0, len(kpi_ids), per_row):
        cols = grid.columns(per_row, border=True)
        for col, kpi_id in zip(cols, kpi_ids[start : start + per_row], strict=False):
            row = year.loc[kpi_id]
            name, grade = row["kpi_name"], row["grade"]
            mark = "【再掲】" if kpi_id in relisted else ""
            with col:
                # one element for title, badge and numbers: a board has dozens of cards
                lines = [
                    f"**{md(kpi_id)}**　{md(mark)}{md(name)}",
                    f"**{badge_text(grade)}**",
                    md(numbers_line(row)),
                ]
                note = row["note"]
                if comments and isinstance(note, str) and note.strip():
                    lines.append("コメント: " + md(note))
                st.markdown("  \n".join(lines))  # text-safe: each line is built with md()
                if kpi_id in drawable:
                    # st.html keeps HTML only (its sanitiser drops SVG); markdown passes it
                    st.markdown(  # text-safe: SVG on one line, its texts HTML-escaped (_svg)
                        _svg(plan_id, data, kpi_id, str(name), large), unsafe_allow_html=True
                    )
                else:
                    st.caption(
                        "文章による目標（評価対象外）: " + md(" / ".join(data.text_targets(kpi_id)))
                    )
                if link:
                    st.page_link(
                        "views/kpi_detail.py",
                        label="詳細を見る",
                        query_params={"kpi": kpi_id},
                        icon=":material/query_stats:",
                    )


# The board of 概況: one HTML block per policy instead of three Streamlit elements per card.
# ~35 cards made ~150 elements (columns, markdown, chart, link) for the browser to lay out;
# one block per policy settles faster (docs/benchmarks.md, browser). The link to a KPI's
# detail is a plain link carrying the current query string, so the filters survive it.
_GRID_CSS = """<style>
.kpi-grid {display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap: 1rem;}
.kpi-card {border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; padding: 0.75rem 1rem;}
.kpi-card p {margin: 0 0 0.25rem 0;}
.kpi-card svg {display: block; margin: 0.25rem 0;}
.kpi-card .kpi-text-target {color: #555555; font-size: 0.875rem;}
</style>"""


def _card_html(
    plan_id: str,
    data: PlanData,
    row: pd.Series,
    kpi_id: str,
    drawable: bool,
    query: dict[str, list[str]],
) -> str:
    name = str(row["kpi_name"])
    parts = [
        '<div class="kpi-card">',
        f"<p><strong>{escape(kpi_id)}</strong>　{escape(name)}</p>",
        f"<p><strong>{escape(badge_text(row['grade']))}</strong></p>",
        f"<p>{escape(numbers_line(row))}</p>",
    ]
    if drawable:
        parts.append(_svg(plan_id, data, kpi_id, name, False))
    else:
        texts = " / ".join(data.text_targets(kpi_id))
        parts.append(
            f'<p class="kpi-text-target">文章による目標（評価対象外）: {escape(texts)}</p>'
        )
    href = "kpi_detail?" + urlencode({**query, "kpi": kpi_id}, doseq=True)
    parts.append(
        f'<p><a href="{escape(href)}" target="_self">{escape(kpi_id)} の詳細を見る</a></p>'
    )
    parts.append("</div>")
    return "".join(parts)


def kpi_card_grid(
    plan_id: str, data: PlanData, year_status: pd.DataFrame, kpi_ids: list[str]
) -> None:
    """The cards of `kpi_ids` as one block (a grid: three or more per row, fewer on a tablet)."""
    year = year_status.set_index("kpi_id")
    drawable = data.chartable_kpis()
    query = {k: st.query_params.get_all(k) for k in st.query_params if k != "kpi"}
    cards = [_card_html(plan_id, data, year.loc[k], k, k in drawable, query) for k in kpi_ids]
    st.html(_GRID_CSS)
    st.markdown(  # text-safe: one line of HTML, every text in it HTML-escaped (_card_html)
        '<div class="kpi-grid">' + "".join(cards) + "</div>", unsafe_allow_html=True
    )
