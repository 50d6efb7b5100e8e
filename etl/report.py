"""The PDF report for the executive council (庁議): its layout (DESIGN 1, 7).

Pure functions over `PlanData`: no database, no streamlit. The CLI (and any page) reads the
data with `kpi.service` and passes it in, so the report always shows what the dashboard shows.
The charts are drawn by etl/static_charts.py; the CSV and Excel exports are etl/export.py.

Every grade is written as symbol + letter + word, so a greyscale print of the PDF still reads.

Text and charts use IPAexGothic, the TTF shipped inside japanize-matplotlib. The package is
only located, never imported: it is old and patches matplotlib globally on import.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos

from etl.provenance import SAMPLE_WARNING, date_words
from etl.static_charts import StaticCharts, half_width
from kpi import outlook
from kpi.attention import (
    MOVEMENT_SYMBOLS,
    change_counts,
    change_table,
    grade_changes,
    needs_attention,
)
from kpi.charts import format_value
from kpi.config import Grading, load_settings
from kpi.dashboard import (
    Filters,
    PlanData,
    Selection,
    by_policy,
    department_names,
    headline,
    kpis_of_project,
    select,
)
from kpi.errors import KpiError
from kpi.evaluations import evaluation_lines
from kpi.fiscal import era_name, fy_label
from kpi.numbers import is_missing, text_or_blank
from kpi.round_status import year_state
from kpi.status import (
    ALL_GRADES,
    DIRECTION_WORDS,
    GRADED,
    NO_TARGET,
    NOT_GRADED,
    NOT_REPORTED,
    NOT_YET,
    STYLES,
    badge_text,
    band_description,
)

FONT_FAMILY = "IPAexGothic"
REPORT_TITLE = "評価指標（KPI）達成状況報告書"

# A4 portrait in millimetres. Every table below is laid out in these units and its column
# widths add up to at most the effective page width (210 - 2 x 15 = 180 mm).
PAGE_MARGIN = 15.0
BOTTOM_MARGIN = 18.0
EPW = 210.0 - 2 * PAGE_MARGIN
HEADLINE_WIDTHS = (20.0, 20.0, 22.0, 22.0, 22.0, 22.0, 22.0, 30.0)
KPI_LIST_WIDTHS = (18.0, 60.0, 34.0, 26.0, 16.0, 26.0)
# with the 見込み column (issue #15), while the selected year is before the final year
KPI_LIST_OUTLOOK_WIDTHS = (18.0, 46.0, 30.0, 22.0, 15.0, 22.0, 27.0)
OUTLOOK_WIDTHS = (36.0,) * 5  # A-D 見込み and 見込み算出不可
YEAR_TABLE_WIDTHS = (28.0, 34.0, 24.0, 16.0, 26.0, 52.0)  # 年度 fits on one line
LEGEND_WIDTHS = (40.0, 140.0)
# 要対応 and 前年度比 (issue 12)
ATTENTION_WIDTHS = (16.0, 36.0, 22.0, 22.0, 20.0, 14.0, 22.0, 28.0)
CHANGE_WIDTHS = (22.0, 18.0, 70.0, 35.0, 35.0)
# A table cell wraps to at most this many lines; a longer text (a department's 1,000-character
# comment) is cut there with 「…（※n）」 and printed whole below the table, where it may run
# over pages: fpdf2 cannot break one table row across pages ("row too high", issue #10).
MAX_CELL_LINES = 8
TABLE_WIDTHS = {
    "headline": HEADLINE_WIDTHS,
    "kpi_list": KPI_LIST_WIDTHS,
    "kpi_list_outlook": KPI_LIST_OUTLOOK_WIDTHS,
    "outlook": OUTLOOK_WIDTHS,
    "year": YEAR_TABLE_WIDTHS,
    "legend": LEGEND_WIDTHS,
    "attention": ATTENTION_WIDTHS,
    "changes": CHANGE_WIDTHS,
}


def policy_widths(count_columns: int) -> tuple[float, ...]:
    """基本方針名 then the count columns: 指標数, 評価済, the grades shown, 達成割合."""
    count = min(14.0, (EPW - 50.0) / count_columns)
    return (EPW - count * count_columns, *(count,) * count_columns)


# Charts: full text width, rendered once per KPI into one reused figure.
CHART_W_MM = EPW
CHART_H_MM = 46.0

# Glyphs that IPAexGothic lacks but the core vocabulary uses: drawn as the nearest glyph it has
# (status.STYLES gives 対象年度前 the symbol ⋯ U+22EF). Anything else it lacks becomes 〓,
# the customary Japanese mark for a character that cannot be printed.
SUBSTITUTES = str.maketrans({"⋯": "‥", "\t": " ", "\r": None})
MISSING_MARK = "〓"

HEADER_FILL = (31, 78, 121)
HEADINGS = FontFace(emphasis="", color=(255, 255, 255), fill_color=HEADER_FILL)
SELECTED_ROW = FontFace(fill_color=(255, 243, 205))
MUTED = (90, 90, 90)


def font_path() -> Path:
    """IPAexGothic from the japanize-matplotlib package, located without importing it."""
    spec = importlib.util.find_spec("japanize_matplotlib")
    origin = spec.origin if spec else None
    path = Path(origin).parent / "fonts" / "ipaexg.ttf" if origin else None
    if path is None or not path.is_file():
        raise KpiError(
            "PDF 用の日本語フォント（IPAexゴシック）が見つかりません。"
            "requirements.txt の japanize-matplotlib をインストールしてください。"
        )
    return path


# ---------------------------------------------------------------- words


def _rate(value: object) -> str:
    return "―" if is_missing(value) else f"{float(value):.1f}%"  # type: ignore[arg-type]


def _target(text: object) -> str:
    return half_width(text_or_blank(text)) or "―"


def _kpi_facts(row: pd.Series) -> str:
    """単位 / 方向 / 累積 in one line: what an executive needs to read the numbers right."""
    facts = [f"単位: {row['unit'] or 'なし'}", DIRECTION_WORDS.get(str(row["direction"]), "")]
    if bool(row["cumulative"]):
        facts.append("累積（累計値）")
    return "　／　".join(f for f in facts if f)


# ---------------------------------------------------------------- PDF


class _ReportPDF(FPDF):
    """A4 portrait with the plan name in the header, 「n / N」 and, while sample data is
    current, the fictional-data warning in every footer."""

    def __init__(self, font: Path, plan_name: str, *, sample: bool, year_label: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT_FAMILY, fname=str(font))
        self.set_font(FONT_FAMILY, size=10)
        self.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM_MARGIN)
        self.cmap = self.fonts[FONT_FAMILY.lower()].cmap  # type: ignore[union-attr]  # a TTF font
        self.plan_name = self.clean(plan_name)
        self.year_label = self.clean(year_label)
        self.sample = sample
        self.set_title(f"{plan_name} {REPORT_TITLE}")
        self.set_creator("ICT計画 KPI ダッシュボード")
        self.set_lang("ja")

    def clean(self, value: object) -> str:
        """Text the font can draw: known substitutes first, then 〓 for anything else, so a
        stray emoji in a department's comment never breaks or silently blanks the report."""
        text = text_or_blank(value).translate(SUBSTITUTES)
        return "".join(ch if ch == "\n" or ord(ch) in self.cmap else MISSING_MARK for ch in text)

    def fit(self, text: str, width: float) -> str:
        """One line no wider than `width` (a header cell does not wrap): cut with …."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def check_glyphs(self) -> None:
        """fpdf2 only logs missing glyphs; the report must never print a blank box."""
        missing = sorted(
            {chr(c) for f in self.fonts.values() for c in getattr(f, "missing_glyphs", ())}
        )
        if missing:
            raise KpiError(
                f"報告書のフォントにない文字があります: {' '.join(missing)}"
                "（報告書作成の不具合です。情報システム課に連絡してください）"
            )

    def header(self) -> None:
        if self.page_no() == 1:
            return
        with self.local_context():  # header and footer run mid-flow: leave no colour behind
            self.set_font(size=8)
            self.set_text_color(*MUTED)
            self.set_y(8)
            self.cell(EPW * 0.6, 5, self.fit(self.plan_name, EPW * 0.6 - 2))
            self.cell(EPW * 0.4, 5, self.year_label, align="R")
            self.set_draw_color(160, 160, 160)
            self.set_line_width(0.2)
            self.line(PAGE_MARGIN, 13.5, PAGE_MARGIN + EPW, 13.5)
        self.set_y(PAGE_MARGIN + 1)

    def footer(self) -> None:
        with self.local_context():
            self.set_y(-13)
            self.set_font(size=8)
            if self.sample:
                self.set_text_color(160, 0, 0)
                self.set_draw_color(160, 0, 0)
                self.set_line_width(0.3)
                self.cell(EPW - 30, 6, f"※ {SAMPLE_WARNING}", border=1, align="C")
            else:
                self.cell(EPW - 30, 6, "")
            self.set_text_color(0, 0, 0)
            self.cell(30, 6, f"{self.page_no()} / {{nb}}", align="R")


# ---------------------------------------------------------------- charts


# ---------------------------------------------------------------- report


@dataclass
class _Placed:
    """Where something was printed first, so that a later mention can point back to it."""

    page: int
    link: int


class _Report:
    def __init__(self, data: PlanData, filters: Filters, grading: Grading, font: Path) -> None:
        self.data = data
        self.departments = department_names(data)
        self.filters = filters
        self.grading = grading
        self.sel: Selection = select(data, filters)
        self.fy = self.sel.fiscal_year
        self.pdf = _ReportPDF(
            font,
            str(data.plan["name"]),
            sample=bool(data.sample_current),
            year_label=(
                f"{fy_label(self.fy)}（{year_state(data.locked_years, self.fy)}） {REPORT_TITLE}"
            ),
        )
        self.charts = StaticCharts(font, self.pdf.clean, (CHART_W_MM, CHART_H_MM))
        self.projects = data.projects.set_index("project_id")
        self.kpi_pages: dict[str, _Placed] = {}
        self.project_pages: dict[str, _Placed] = {}
        # 見込み (issue #15): only while the selected year is before a final year
        self.outlook = outlook.summary(data, self.sel)
        self.outlook_rows = outlook.for_selection(data, self.sel).set_index("kpi_id")

    # --- building blocks

    def write(
        self,
        text: str,
        *,
        size: float = 10,
        h: float | None = None,
        colour: tuple[int, int, int] = (0, 0, 0),
        align: str = "L",
        link: int | None = None,
    ) -> None:
        pdf = self.pdf
        pdf.set_font(size=size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(
            EPW,
            h or size * 0.5,
            pdf.clean(text),
            align=align,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            wrapmode=WrapMode.CHAR,
            link=link or "",
        )
        pdf.set_text_color(0, 0, 0)

    def heading(
        self,
        text: str,
        *,
        size: float,
        fill: tuple[int, int, int] | None = None,
        level: int | None = None,
    ) -> None:
        pdf = self.pdf
        if level is not None:
            pdf.start_section(pdf.clean(text).replace("\n", " "), level=level)
        pdf.set_font(size=size)
        if fill:
            pdf.set_fill_color(*fill)
        pdf.multi_cell(
            EPW,
            size * 0.55,
            pdf.clean(text),
            fill=bool(fill),
            padding=(1, 1.5),  # type: ignore[arg-type]  # fpdf2 takes millimetres as floats
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            wrapmode=WrapMode.CHAR,
        )
        pdf.ln(1.5)

    def table(
        self,
        widths: Sequence[float],
        header: Sequence[str],
        rows: Iterable[Sequence[str | tuple[str, FontFace | None]]],
        *,
        align: Sequence[str],
        size: float = 8.5,
        row_styles: Sequence[FontFace | None] = (),
    ) -> None:
        """A wrapping table whose column widths are millimetres adding up to <= EPW. A cell
        longer than MAX_CELL_LINES is cut and its whole text printed below the table."""
        assert sum(widths) <= EPW + 1e-6, widths
        pdf = self.pdf
        rows, overflow = self.cut_long_cells(widths, header, rows)
        pdf.set_font(size=size)
        # fpdf2 takes the current colours as every cell's base style: start from known ones
        pdf.set_draw_color(110, 110, 110)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_text_color(0, 0, 0)
        pdf.set_line_width(0.2)
        with pdf.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align="LEFT",
            text_align=tuple(align),
            headings_style=HEADINGS,
            line_height=size * 0.48,
            padding=(0.8, 1.2),
            wrapmode=WrapMode.CHAR,
            v_align="MIDDLE",
            repeat_headings=1,
        ) as t:
            t.row([pdf.clean(c) for c in header])
            for i, cells in enumerate(rows):
                row = t.row(style=row_styles[i] if i < len(row_styles) else None)
                for cell in cells:
                    text, style = cell if isinstance(cell, tuple) else (cell, None)
                    row.cell(pdf.clean(text), style=style)
        pdf.ln(2)
        for mark, text in overflow:
            self.write(f"{mark} {text}", size=8)
            pdf.ln(1)

    def cut_long_cells(
        self,
        widths: Sequence[float],
        header: Sequence[str],
        rows: Iterable[Sequence[str | tuple[str, FontFace | None]]],
    ) -> tuple[list[list[str | tuple[str, FontFace | None]]], list[tuple[str, str]]]:
        """Rows whose every cell fits in MAX_CELL_LINES, and the (mark, whole text) of the
        cells that were cut."""
        out: list[list[str | tuple[str, FontFace | None]]] = []
        overflow: list[tuple[str, str]] = []
        for cells in rows:
            row: list[str | tuple[str, FontFace | None]] = []
            for c, cell in enumerate(cells):
                text, style = cell if isinstance(cell, tuple) else (cell, None)
                if len(text) > 40 and self.lines_needed(text, widths[c]) > MAX_CELL_LINES:
                    mark = f"※{len(overflow) + 1}"
                    overflow.append((mark, f"{header[c]}: {text}"))
                    text = self.cut(text, widths[c], f"…（{mark}）")
                row.append((text, style) if style is not None else text)
            out.append(row)
        return out, overflow

    def cut(self, text: str, width: float, tail: str) -> str:
        """The longest start of `text` that, followed by `tail`, fits in MAX_CELL_LINES."""
        low, high = 0, len(text)
        while low < high:
            mid = (low + high + 1) // 2
            if self.lines_needed(text[:mid] + tail, width) <= MAX_CELL_LINES:
                low = mid
            else:
                high = mid - 1
        return text[:low] + tail

    def grade_cell(self, grade: object) -> tuple[str, FontFace | None]:
        g = text_or_blank(grade)
        s = STYLES.get(g)
        if s is None:
            return "―", None
        return badge_text(g), FontFace(color=s.text_colour, fill_color=s.colour)

    def lines_needed(self, text: str, width: float) -> int:
        """Lines a table cell of this width needs (the table's font size, its padding)."""
        self.pdf.set_font(size=8.5)
        return (
            len(
                self.pdf.multi_cell(  # type: ignore[arg-type]  # output="LINES": a list
                    width - 2.4,
                    4,
                    self.pdf.clean(text),
                    dry_run=True,
                    output="LINES",
                    wrapmode=WrapMode.CHAR,
                )
            )
            or 1
        )

    # --- pages

    def cover(self, as_of: dt.date, sources: Sequence[str]) -> None:
        pdf, data = self.pdf, self.data
        pdf.add_page()
        pdf.set_y(45)
        self.write(REPORT_TITLE, size=14, h=8, colour=MUTED, align="C")
        pdf.ln(4)
        self.write(str(data.plan["name"]), size=20, h=10, align="C")
        pdf.ln(2)
        self.write(str(data.plan["organization"]), size=14, h=8, align="C")
        pdf.ln(8)
        self.write(
            f"対象年度　{fy_label(self.fy)}（{year_state(data.locked_years, self.fy)}）",
            size=16,
            h=9,
            align="C",
        )
        pdf.ln(10)
        rows = [
            ("絞り込み", self.filters.describe()),
            ("作成日", date_words(as_of)),
            ("計画期間", f"{fy_label(data.years[0])} ～ {fy_label(data.years[-1])}"),
            ("データの出典", "\n".join(sources) if sources else "取込記録なし"),
        ]
        self.table(LEGEND_WIDTHS, ("項目", "内容"), rows, align=("CENTER", "LEFT"), size=10)
        if data.sample_current:
            pdf.ln(6)
            pdf.set_draw_color(160, 0, 0)
            pdf.set_line_width(0.8)
            pdf.set_text_color(160, 0, 0)
            pdf.set_font(size=13)
            pdf.multi_cell(
                EPW,
                8,
                pdf.clean(f"【注意】{SAMPLE_WARNING}"),
                border=1,
                align="C",
                padding=4,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            pdf.set_line_width(0.2)
            pdf.set_text_color(0, 0, 0)
            pdf.ln(2)
            self.write(
                "実績値の一部または全部は、画面と報告書を試すために作成した架空の値です。"
                "庁議等での判断には使用しないでください。",
                size=9,
                align="C",
            )

    def summary(self) -> None:
        pdf, sel = self.pdf, self.sel
        pdf.add_page()
        self.heading(f"1. 概要（{fy_label(self.fy)}）", size=15, level=0)
        if not sel.kpi_ids:
            self.write("条件に該当する評価指標はありません。", size=10)
            return
        h = headline(sel)
        counts = h.counts
        share = h.share_met
        header = (
            "指標数",
            "評価済",
            *(badge_text(g) for g in GRADED),
            badge_text(NOT_REPORTED),
            "達成割合",
        )
        values = (
            str(h.kpis),
            str(h.graded),
            *(str(counts[g]) for g in GRADED),
            str(counts[NOT_REPORTED]),
            "―" if share is None else f"{share:.1f}%",
        )
        self.table(HEADLINE_WIDTHS, header, [values], align=("CENTER",) * 8, size=9)
        others = "、".join(
            f"{STYLES[g].label} {counts[g]}" for g in (NOT_GRADED, NO_TARGET, NOT_YET) if counts[g]
        )
        self.write(
            "評価済 = A〜D の合計、達成割合 = A の数 ÷ 評価済。再掲の指標は1回だけ数えます。"
            + (f"評価しない指標: {others}。" if others else ""),
            size=8,
            colour=MUTED,
        )
        pdf.ln(3)
        self.outlook_summary()
        self.heading("基本方針別の状況", size=12)
        self._policy_table()
        pdf.ln(1)
        self.heading("評価の区分", size=12)
        bands = band_description(self.grading.grade_b_min, self.grading.grade_c_min)
        self.table(
            LEGEND_WIDTHS,
            ("評価", "基準"),
            [(self.grade_cell(g), bands[g]) for g in ALL_GRADES],
            align=("LEFT", "LEFT"),
            size=8.5,
        )
        self.write(
            "グラフの見方: 棒 = 実績（評価ごとに色と模様、上に値と記号）、黒の破線 = 目標"
            "（▲ 以上、▼ 以下、◆ 目標値どおり）、文章の目標はグラフ内に文字で表示。"
            "網掛けの列・行が対象年度です。",
            size=8,
            colour=MUTED,
        )
        pdf.ln(2)
        self.attention_and_changes()
        self.kpi_list()

    def attention_and_changes(self) -> None:
        """要対応 (C / D / 未報告, worst first, with the department's comment) and 前年度比
        (every KPI graded this year, worsened first): issue 12, from kpi.attention."""
        attention = needs_attention(self.data, self.sel)
        self.heading("要対応の指標", size=12)
        if attention.empty:
            self.write("C・D・未報告の指標はありません。", size=9)
        else:
            self.table(
                ATTENTION_WIDTHS,
                ("指標ID", "指標名", "評価", "実績", "目標", "達成率", "主管課", "コメント"),
                [
                    (
                        str(r["kpi_id"]),
                        str(r["kpi_name"]),
                        self.grade_cell(r["grade"]),
                        str(r["actual_text"]),
                        str(r["target_text"]),
                        str(r["rate_text"]),
                        str(r["lead"]),
                        str(r["note"]) or "―",
                    )
                    for r in attention.to_dict("records")
                ],
                align=("CENTER", "LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "LEFT", "LEFT"),
                size=8,
            )
        changes = grade_changes(self.data, self.sel)
        counts = change_counts(changes)
        self.heading(f"前年度比（{fy_label(self.fy - 1)} → {fy_label(self.fy)}）", size=12)
        self.write(
            "、".join(f"{MOVEMENT_SYMBOLS[m]} {m} {n}" for m, n in counts.items())
            + "（今年度に A〜D の評価がある指標。前年度に評価がなかった指標は「新たに評価」）",
            size=9,
        )
        if len(changes):
            table = change_table(changes)
            self.table(
                CHANGE_WIDTHS,
                tuple(table.columns),
                [tuple(str(v) for v in row) for row in table.itertuples(index=False)],
                align=("LEFT", "CENTER", "LEFT", "LEFT", "LEFT"),
                size=8,
            )

    def outlook_summary(self) -> None:
        """見込み counts (issue #15): a forecast, said so in the heading and the note."""
        s = self.outlook
        if s is None:
            return
        self.heading(outlook.summary_title(s), size=12)
        shown = (*GRADED, outlook.CANNOT)
        self.table(
            OUTLOOK_WIDTHS,
            tuple(outlook.badge(g) for g in shown),
            [tuple(str(s.counts[g]) for g in shown)],
            align=("CENTER",) * len(shown),
            size=9,
        )
        self.write(outlook.summary_note(s), size=8, colour=MUTED)
        self.pdf.ln(2)

    def outlook_row(self, kpi_id: str) -> dict[str, Any] | None:
        """The KPI's outlook as of the report's year, while that year is before the final one."""
        if self.outlook is None or kpi_id not in self.outlook_rows.index:
            return None
        return {**self.outlook_rows.loc[kpi_id].to_dict(), "kpi_id": kpi_id}

    def outlook_words(self, kpi_id: str) -> str:
        """The KPI's 見込み for the list and its block: '' unless a forecast or not computable."""
        row = self.outlook_row(kpi_id)
        return "" if row is None else outlook.export_words(row)

    def _policy_table(self) -> None:
        table = by_policy(self.data, self.sel)
        shown = [g for g in ALL_GRADES if g in GRADED or g == NOT_REPORTED or table[g].any()]
        widths = policy_widths(len(shown) + 3)
        header = ("基本方針", "指標数", "評価済", *(badge_text(g) for g in shown), "達成割合")
        rows = []
        for r in table.to_dict("records"):
            rate = r["達成率(A)"]
            rows.append(
                (
                    f"{r['policy_no']}. {r['policy_name']}",
                    str(r["指標数"]),
                    str(r["評価済"]),
                    *(str(r[g]) for g in shown),
                    _rate(rate),
                )
            )
        self.table(widths, header, rows, align=("LEFT", *("CENTER",) * (len(widths) - 1)), size=8)

    def kpi_list(self) -> None:
        pdf, sel = self.pdf, self.sel
        pdf.add_page()
        self.heading(f"2. 評価指標一覧（{fy_label(self.fy)}）", size=15, level=0)
        rows = []
        for r in sel.year_status.to_dict("records"):
            rows.append(
                (
                    str(r["kpi_id"]),
                    str(r["kpi_name"]),
                    _target(r["target_text"]),
                    format_value(
                        None if is_missing(r["actual_value"]) else r["actual_value"], str(r["unit"])
                    ),
                    _rate(r["achievement_rate"]),
                    self.grade_cell(r["grade"]),
                    *((self.outlook_words(str(r["kpi_id"])) or "―",) if self.outlook else ()),
                )
            )
        if self.outlook is None:
            self.table(
                KPI_LIST_WIDTHS,
                ("指標ID", "指標名", "目標", "実績", "達成率", "評価"),
                rows,
                align=("CENTER", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
            )
            return
        self.table(
            KPI_LIST_OUTLOOK_WIDTHS,
            ("指標ID", "指標名", "目標", "実績", "達成率", "評価", "見込み（最終年度）"),
            rows,
            align=("CENTER", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"),
        )

    def project_sections(self) -> None:
        pdf, sel, data = self.pdf, self.sel, self.data
        chosen = set(sel.kpi_ids)
        policy = measure = None
        for pid in sel.project_ids:
            p = self.projects.loc[pid]
            kpis = [k for k in kpis_of_project(data, pid) if k in chosen]
            # keep a heading with the first thing under it: never a heading alone at a page foot
            first = self.kpi_height(kpis[0]) if kpis else 12.0
            if p["policy_no"] != policy:
                policy, measure = p["policy_no"], None
                pdf.add_page()
                if not self.project_pages:
                    self.heading("3. 個別事業ごとの状況", size=15, level=0)
                self.heading(
                    f"基本方針{policy}　{p['policy_name']}", size=14, fill=(222, 235, 247), level=1
                )
            if p["measure_id"] != measure:
                measure = p["measure_id"]
                if pdf.will_page_break(12 + 22 + first):
                    pdf.add_page()
                self.heading(f"事業推進計画 {measure}　{p['measure_name']}", size=12, level=2)
            if pdf.will_page_break(22 + first):
                pdf.add_page()
            self.project_heading(pid, p)
            if not kpis:
                self.write("この事業には評価指標が設定されていません。", size=9, colour=MUTED)
                pdf.ln(3)
            for kpi_id in kpis:
                self.kpi_block(kpi_id)

    def project_heading(self, pid: str, p: pd.Series) -> None:
        pdf = self.pdf
        relisted = text_or_blank(p["relisted_from"])
        self.project_pages[pid] = _Placed(pdf.page_no(), pdf.add_link(y=pdf.get_y()))
        title = f"{'【再掲】' if relisted else ''}{pid}　{p['project_name']}"
        self.heading(title, size=11.5, fill=(240, 240, 240), level=3)
        if relisted:
            original = self.project_pages.get(relisted)
            name = self.projects["project_name"].get(relisted, "")
            where = f"（{original.page} ページ）" if original else ""
            self.write(
                f"再掲元: {relisted}　{name}{where}",
                size=9,
                colour=MUTED,
                link=original.link if original else None,
            )
        lead = self.departments.loc[pid, "lead"] or "―"
        related = self.departments.loc[pid, "related"] or "―"
        self.write(f"主管課等: {lead}　／　関係課等: {related}", size=9)
        for line in evaluation_lines(self.data, pid, self.fy):  # 事業評価 (#13)
            self.write(line, size=9)
        pdf.ln(2)

    def history(self, kpi_id: str) -> pd.DataFrame:
        h = self.sel.status[self.sel.status["kpi_id"] == kpi_id].sort_values("fiscal_year")
        original = self.data.original_targets
        if len(original) and kpi_id in set(original["kpi_id"]):  # revised: draw the original
            mine = original.loc[
                original["kpi_id"] == kpi_id, ["fiscal_year", "original_target_value"]
            ]
            h = h.merge(mine, on="fiscal_year", how="left")
        return h

    @staticmethod
    def has_chart(h: pd.DataFrame) -> bool:
        """A chart only when there is a number to draw: text-only targets get none."""
        return bool(h["target_value"].notna().any() or h["actual_value"].notna().any())

    def kpi_height(self, kpi_id: str) -> float:
        """Height of a KPI block (title, chart, year table), estimated from wrapped lines."""
        if kpi_id in self.kpi_pages:
            return 8.0
        h = self.history(kpi_id)
        table = (
            6.0
            + 5.0
            + sum(  # heading row and the space after, then each row
                min(
                    MAX_CELL_LINES,
                    max(
                        self.lines_needed(text_or_blank(r["note"]), YEAR_TABLE_WIDTHS[5]),
                        self.lines_needed(_target(r["target_text"]), YEAR_TABLE_WIDTHS[1]),
                    ),
                )
                * 4.1
                + 1.7
                for r in h.to_dict("records")
            )
        )
        facts = 14.0 + (4.5 if self.outlook_words(kpi_id) else 0.0)  # 見込み may take a line
        return facts + (CHART_H_MM + 3 if self.has_chart(h) else 6.0) + table

    def kpi_block(self, kpi_id: str) -> None:
        pdf = self.pdf
        h = self.history(kpi_id)
        first = h.iloc[0]
        placed = self.kpi_pages.get(kpi_id)
        if placed is not None:  # already printed in full under another project (再掲)
            self.write(
                f"▶ 指標 {kpi_id}　{first['kpi_name']}（再掲: {first['home_project_id']} "
                f"に掲載、{placed.page} ページ）",
                size=9.5,
                link=placed.link,
            )
            pdf.ln(2)
            return
        if pdf.will_page_break(self.kpi_height(kpi_id)):
            pdf.add_page()
        self.kpi_pages[kpi_id] = _Placed(pdf.page_no(), pdf.add_link(y=pdf.get_y()))
        year_row = h[h["fiscal_year"] == self.fy]
        verdict = badge_text(text_or_blank(year_row["grade"].iloc[0])) if len(year_row) else "―"
        self.write(f"指標 {kpi_id}　{first['kpi_name']}", size=10.5, h=5.5)
        forecast = self.outlook_words(kpi_id)
        self.write(
            f"{_kpi_facts(first)}　／　{era_name(self.fy)}の評価: {verdict}"
            + (f"　／　見込み: {forecast}" if forecast else ""),
            size=8.5,
            h=4.5,
            colour=MUTED,
        )
        if self.has_chart(h):
            png = self.charts.render(h, self.fy, self.outlook_row(kpi_id))
            y = pdf.get_y() + 1
            pdf.image(io.BytesIO(png), x=PAGE_MARGIN, y=y, w=CHART_W_MM, h=CHART_H_MM)
            pdf.set_y(y + CHART_H_MM + 1)
        else:
            self.write("目標が文章のみで実績もないため、グラフはありません。", size=8, colour=MUTED)
            pdf.ln(1)
        rows, styles = [], []
        for r in h.to_dict("records"):
            fy = int(r["fiscal_year"])
            actual = None if is_missing(r["actual_value"]) else r["actual_value"]
            rows.append(
                (
                    fy_label(fy),
                    _target(r["target_text"]),
                    format_value(actual, str(r["unit"])),
                    _rate(r["achievement_rate"]),
                    self.grade_cell(r["grade"]),
                    text_or_blank(r["note"]),
                )
            )
            styles.append(SELECTED_ROW if fy == self.fy else None)
        self.table(
            YEAR_TABLE_WIDTHS,
            ("年度", "目標", "実績", "達成率", "評価", "備考（担当課のコメント）"),
            rows,
            align=("CENTER", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"),
            row_styles=styles,
        )
        self.revisions(kpi_id)
        pdf.ln(3)

    def revisions(self, kpi_id: str) -> None:
        """Targets revised mid-plan (中間見直し), with the original and the reason (#14)."""
        rev = self.data.revisions
        if rev.empty:
            return
        for r in rev[rev["kpi_id"] == kpi_id].to_dict("records"):
            self.write(
                f"目標値の見直し（{r['revised_at']:%Y-%m-%d}）: {fy_label(int(r['fiscal_year']))} "
                f"{text_or_blank(r['target_before_text']) or '（なし）'} → "
                f"{text_or_blank(r['target_after_text']) or '（削除）'}　理由: {text_or_blank(r['reason'])}",
                size=8,
                colour=MUTED,
            )


def build_report(
    data: PlanData,
    filters: Filters,
    *,
    as_of: dt.date,
    sources: list[str],
    grading: Grading | None = None,
) -> bytes:
    """The council's PDF: cover, summary, KPI list, then one section per project in printed
    order with a chart and a year table for each KPI. Only what `select(data, filters)` keeps;
    the year is `filters.fiscal_year`, else the latest year with actuals. `grading` (the band
    edges written in the legend) defaults to config.toml's."""
    report = _Report(data, filters, grading or load_settings().grading, font_path())
    try:
        report.cover(as_of, sources)
        report.summary()
        report.project_sections()
        out = bytes(report.pdf.output())
    finally:
        report.charts.close()
    report.pdf.check_glyphs()
    return out
