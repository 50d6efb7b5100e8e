"""The 総括 as a PDF (`python -m etl report --final`, #14): the same content as the 総括 page.

A4 landscape (a column per fiscal year), tables only, so that it prints in black and white:
grades carry their symbol and letter. Fictional sample values are marked 架空 in the title,
in every footer and on each KPI row that holds one.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from etl.report import FONT_FAMILY, font_path
from kpi.charts import format_value
from kpi.final_review import FinalReview
from kpi.fiscal import fy_label
from kpi.numbers import is_missing, text_or_blank
from kpi.status import ALL_GRADES, GRADED, STYLES, badge_text

TITLE = "総括（計画期間の評価）"
SAMPLE_WARNING = "架空のサンプルデータを含みます（実際の実績ではありません）"
MARGIN = 12.0
EPW = 297.0 - 2 * MARGIN
HEADINGS = FontFace(emphasis="", color=(255, 255, 255), fill_color=(31, 78, 121))
# Glyphs IPAexGothic lacks, drawn as the nearest it has (STYLES uses ⋯ for 対象年度前).
SUBSTITUTES = str.maketrans({"⋯": "‥", "\t": " ", "\r": None})


def grade_mark(grade: object) -> str:
    """'◎A' / '－': symbol and letter, readable without colour."""
    if is_missing(grade) or grade not in STYLES:
        return ""
    g = str(grade)
    return f"{STYLES[g].symbol}{g}" if g in GRADED else STYLES[g].symbol


class _PDF(FPDF):
    def __init__(self, plan_name: str, sample: bool) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.add_font(FONT_FAMILY, fname=str(font_path()))
        self.set_font(FONT_FAMILY, size=9)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.cmap: dict[int, int] = getattr(self.fonts[FONT_FAMILY.lower()], "cmap", {})
        self.plan_name = plan_name
        self.sample = sample
        self.set_title(f"{plan_name} {TITLE}")
        self.set_lang("ja")

    def clean(self, value: object) -> str:
        text = text_or_blank(value).translate(SUBSTITUTES)
        return "".join(ch if ch == "\n" or ord(ch) in self.cmap else "〓" for ch in text)

    def footer(self) -> None:
        with self.local_context():
            self.set_y(-12)
            self.set_font(size=8)
            if self.sample:
                self.set_text_color(160, 0, 0)
                self.cell(EPW - 30, 5, f"※ {SAMPLE_WARNING}", border=1, align="C")
            else:
                self.cell(EPW - 30, 5, "")
            self.set_text_color(0, 0, 0)
            self.cell(30, 5, f"{self.page_no()} / {{nb}}", align="R")

    def heading(self, text: str) -> None:
        if self.get_y() > 170:
            self.add_page()
        self.ln(3)
        with self.local_context():
            self.set_font(size=12)
            self.cell(0, 8, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def note(self, text: str) -> None:
        with self.local_context():
            self.set_font(size=8)
            self.set_text_color(90, 90, 90)
            self.multi_cell(0, 4.5, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(self, head: list[str], rows: list[list[str]], widths: tuple[float, ...]) -> None:
        scale = EPW / sum(widths) if sum(widths) > EPW else 1.0
        with self.table(
            col_widths=tuple(w * scale for w in widths),
            width=min(EPW, sum(widths) * scale),
            align="L",
            headings_style=HEADINGS,
            line_height=4.8,
            first_row_as_headings=True,
            repeat_headings=1,
        ) as table:
            table.row([self.clean(h) for h in head])
            for r in rows:
                table.row([self.clean(c) for c in r])


def _distribution_rows(frame, label_cols: list[str]) -> list[list[str]]:
    rows = []
    for r in frame.to_dict("records"):
        rows.append(
            [" ".join(text_or_blank(r[c]) for c in label_cols)]
            + [str(int(r[g])) for g in ALL_GRADES]
            + [
                str(int(r["指標数"])),
                text_or_blank(r["達成(A)の割合"]) and f"{r['達成(A)の割合']:g}%",
            ]
        )
    return rows


def build_final_report(review: FinalReview, *, as_of: dt.date) -> bytes:
    plan = review.plan
    pdf = _PDF(str(plan["name"]), review.sample)
    pdf.add_page()
    with pdf.local_context():
        pdf.set_font(size=16)
        title = f"{plan['name']} {TITLE}" + ("（架空データを含む）" if review.sample else "")
        pdf.multi_cell(0, 9, pdf.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.note(
        f"{plan['organization']}　計画期間 {fy_label(review.years[0])}〜{fy_label(review.final_year)}"
        f"　作成日 {as_of:%Y年%m月%d日}（評価はこの日時点。年度が終わっていない年は 対象年度前）"
    )
    counts = review.final_counts()
    pdf.heading(f"最終年度（{fy_label(review.final_year)}）の評価")
    pdf.grid(
        [badge_text(g) for g in ALL_GRADES] + ["指標数"],
        [[str(counts[g]) for g in ALL_GRADES] + [str(len(review.kpis))]],
        (30,) * len(ALL_GRADES) + (20,),
    )
    grade_head = ["名称", *[grade_mark(g) or g for g in ALL_GRADES], "指標数", "達成割合"]
    widths = (80.0, *(17.0,) * len(ALL_GRADES), 16.0, 18.0)
    pdf.heading("基本方針ごとの最終評価")
    pdf.grid(grade_head, _distribution_rows(review.policies, ["policy_no", "policy_name"]), widths)
    pdf.heading("事業推進計画ごとの最終評価")
    pdf.grid(
        grade_head, _distribution_rows(review.measures, ["measure_id", "measure_name"]), widths
    )

    pdf.add_page()
    pdf.heading("評価指標ごとの総括")
    pdf.note(
        "初回実績: 最初に報告された値（年度）。達成年数: 評価した年度（A〜D）のうち A の年度数。"
        "※ は架空のサンプル値を含む指標。"
    )
    years = review.years
    head = ["指標ID", "指標名", "初回実績", "最終目標", "最終実績", "最終評価"]
    head += [fy_label(y).split(" ")[0] for y in years] + ["達成/評価"]
    rows = []
    for k in review.kpis.to_dict("records"):
        unit = text_or_blank(k["unit"])
        first = (
            f"{format_value(k['first_value'], unit)}（{int(k['first_year'])}）"
            if not is_missing(k["first_year"])
            else "―"
        )
        rows.append(
            [
                ("※" if k["is_sample"] else "") + k["kpi_id"],
                text_or_blank(k["kpi_name"]),
                first,
                text_or_blank(k["final_target_text"]) or "―",
                format_value(k["final_actual"], unit),
                badge_text(k["final_grade"]),
                *[grade_mark(review.grades.loc[k["kpi_id"], y]) for y in years],
                f"{k['years_met']}/{k['years_evaluated']}",
            ]
        )
    pdf.grid(head, rows, (18, 62, 26, 28, 22, 24, *(13,) * len(years), 16))

    pdf.heading("個別事業の今後の方向性（次期計画に向けて）")
    with_direction = review.projects["direction"].notna().any()
    if not with_direction:
        pdf.note("事業評価（今後の方向性）はまだ記録されていません。")
    pdf.grid(
        ["事業番号", "事業名", "今後の方向性", "記録年度"],
        [
            [
                p["project_id"] + ("（再掲）" if text_or_blank(p["relisted_from"]) else ""),
                text_or_blank(p["project_name"]),
                text_or_blank(p["direction"]) or "記録なし",
                fy_label(int(p["direction_year"])) if not is_missing(p["direction_year"]) else "",
            ]
            for p in review.projects.to_dict("records")
        ],
        (24, 150, 40, 40),
    )
    pdf.heading("計画期間中の目標値の見直し")
    rev = review.revisions
    if rev.empty:
        pdf.note("目標値の見直しはありません。")
    else:
        pdf.grid(
            ["指標ID", "年度", "見直し前", "見直し後", "見直し日", "理由"],
            [
                [
                    r["kpi_id"],
                    fy_label(int(r["fiscal_year"])),
                    text_or_blank(r["target_before_text"]) or "（なし）",
                    text_or_blank(r["target_after_text"]) or "（削除）",
                    f"{r['revised_at']:%Y-%m-%d}",
                    text_or_blank(r["reason"]),
                ]
                for r in rev.to_dict("records")
            ],
            (20, 34, 34, 34, 24, 127),
        )
    return bytes(pdf.output())
