"""見込み: will each KPI reach its final target on the present trend? (issue #15)

The method, the same everywhere (the SQL of `kpi_outlook_of` in schema.sql computes it; this
module names the results, picks the rows a page needs and measures the method):

For a KPI with a numeric target, a plan and an as-of fiscal year Y (the year selected in the
filters):

1. points: the current actual values of the plan's years up to and including Y, after every
   correction and rollback. Fictional sample values count while they are current, and the
   outlook is then marked 架空 (`is_sample`).
2. the final year N is the last year of the plan with a numeric target for the KPI.
3. with at least two points, an ordinary least-squares line value = a + b x fiscal_year is
   fitted through them (DuckDB `regr_slope` / `regr_intercept`); the projected value P is that
   line at N, floored at 0 (a count or a share is never negative). A cumulative KPI is fitted
   on its values as reported.
4. the outlook grade is the grade P would get against N's target under the grading rules
   (the same SQL macros, the same band edges from config.toml): A 達成見込み, B 概ね達成見込み,
   C 一部達成見込み, D 未達成見込み; lower-is-better and frequency targets as in grading.
5. when Y >= N and N has an actual, the outlook is N's own grade (basis `actual`: no longer a
   forecast); with fewer than two points it is 見込み算出不可; a KPI without any numeric target
   (a text target) is 評価対象外.

A straight line through a few yearly values is a simple, transparent forecast, not a fact:
every place that shows it says 見込み and how it was made, and `backtest` measures how often
it agreed with what the final year actually got.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from kpi.fiscal import era_name
from kpi.status import GRADED, STYLES, A, B, C, D, badge_text

if TYPE_CHECKING:
    from kpi.dashboard import PlanData, Selection

CANNOT = "見込み算出不可"
NOT_GRADED = "評価対象外"
OUTLOOK_GRADES = (*GRADED, CANNOT, NOT_GRADED)
WORDS: dict[str, str] = {
    A: "達成見込み",
    B: "概ね達成見込み",
    C: "一部達成見込み",
    D: "未達成見込み",
    CANNOT: "見込み算出不可",
    NOT_GRADED: "評価対象外",
}
SYMBOLS: dict[str, str] = {
    **{g: STYLES[g].symbol for g in GRADED},
    CANNOT: "？",
    NOT_GRADED: STYLES[NOT_GRADED].symbol,
}
# Outlooks that need a decision: the 要対応 list gains them.
NEEDS_ATTENTION = (C, D)
METHOD_NOTE = (
    "見込みは、選択年度までの実績（2年度以上）に最小二乗法で直線を当てはめ、"
    "最終年度の値を推計して目標と比べたものです。予測であり、確定した結果ではありません。"
)
BACKTEST_NOTE = (
    "各指標について、最終年度より前の各年度の時点で算出した見込みと、最終年度に実際についた"
    "評価（A〜D）を比べます。"
)
# Columns of kpi_outlook_of (schema.sql) that the app reads.
COLUMNS = [
    "plan_id",
    "kpi_id",
    "as_of_year",
    "points",
    "slope",
    "projected_value",
    "final_year",
    "final_target_value",
    "outlook_grade",
    "is_sample",
    "final_comparator",
    "direction",
    "basis",
    "projected_rate",
    "last_point_year",
    "last_point_value",
]


def empty() -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS)


def badge(grade: str | None) -> str:
    """'◎ A 達成見込み' / '？ 見込み算出不可': symbol, letter and words, never colour alone."""
    if grade is None or grade not in WORDS:
        return "―"
    return f"{SYMBOLS[grade]} {grade} {WORDS[grade]}" if grade in GRADED else WORDS[grade]


def heading(row: Mapping[str, Any]) -> str:
    """The label of a KPI's outlook: '見込み ○ B 概ね達成見込み' for a forecast, '最終年度の評価
    ◎ A 達成' once the final year's actual decides it."""
    grade = str(row["outlook_grade"])
    if row.get("basis") == "actual":
        return f"最終年度の評価　{badge_text(grade)}"
    return f"見込み　{badge(grade)}"


def of_year(outlook: pd.DataFrame, as_of_year: int, kpi_ids: Iterable[str]) -> pd.DataFrame:
    """The outlook of each KPI as of one fiscal year, in the order of `kpi_ids` (once each)."""
    ids = list(dict.fromkeys(kpi_ids))
    rows = outlook[(outlook["as_of_year"] == as_of_year) & outlook["kpi_id"].isin(ids)]
    order = {k: i for i, k in enumerate(ids)}
    return rows.sort_values("kpi_id", key=lambda s: s.map(order)).reset_index(drop=True)


def row(outlook: pd.DataFrame, kpi_id: str, as_of_year: int) -> dict[str, Any] | None:
    """One KPI's outlook as of a year (None when the KPI or year is not in the plan)."""
    hit = outlook[(outlook["kpi_id"] == kpi_id) & (outlook["as_of_year"] == as_of_year)]
    return None if hit.empty else {str(k): v for k, v in hit.iloc[0].to_dict().items()}


@dataclass(frozen=True)
class Projection:
    """The dotted 見込み line of a chart: from the last actual to the final year."""

    last_year: int
    last_value: float
    final_year: int
    value: float
    points: int


def projection(row: Mapping[str, Any] | None) -> Projection | None:
    """What a chart draws for an outlook row, or None when it is not a forecast (no trend,
    the final year's own actual, or no year left between the last actual and the final year).
    The app's chart (kpi.charts) and the PDF's (etl.static_charts) both draw this."""
    if row is None or row.get("basis") != "trend":
        return None
    last, final = row.get("last_point_year"), row.get("final_year")
    if last is None or final is None or pd.isna(last) or pd.isna(final) or last >= final:
        return None
    return Projection(
        last_year=int(last),
        last_value=float(row["last_point_value"]),
        final_year=int(final),
        value=float(row["projected_value"]),
        points=int(row["points"]),
    )


def is_forecast(rows: pd.DataFrame) -> bool:
    """True when some KPI's outlook is a forecast: the year is before its final year."""
    final = pd.to_numeric(rows["final_year"], errors="coerce")
    return bool((rows["as_of_year"] < final).any())


def counts(rows: pd.DataFrame) -> dict[str, int]:
    """How many KPIs have each outlook grade (each KPI once)."""
    one = rows.drop_duplicates("kpi_id")
    return {g: int((one["outlook_grade"] == g).sum()) for g in OUTLOOK_GRADES}


def for_selection(data: PlanData, sel: Selection) -> pd.DataFrame:
    """The selected KPIs' outlook as of the selected year."""
    return of_year(data.outlook, sel.fiscal_year, sel.kpi_ids)


@dataclass(frozen=True)
class Summary:
    """Outlook grade counts of the selected KPIs as of the selected year, over the KPIs whose
    final year is still ahead (the others' outlook is their final grade, already shown)."""

    as_of_year: int
    final_years: tuple[int, ...]  # the final years the forecasts aim at (usually one)
    counts: dict[str, int]  # A-D and 見込み算出不可, KPIs with the final year ahead
    past_final: int  # KPIs whose final year is the selected year or before
    not_graded: int  # KPIs without a numeric target (評価対象外)
    is_sample: bool


def summary(data: PlanData, sel: Selection) -> Summary | None:
    """Counts for 概況 and 庁議; None when no selected KPI's final year is after the selected
    year: then the year's grades say it all."""
    rows = for_selection(data, sel)
    if rows.empty or not is_forecast(rows):
        return None
    final = pd.to_numeric(rows["final_year"], errors="coerce")
    ahead = rows[rows["as_of_year"] < final]
    return Summary(
        as_of_year=sel.fiscal_year,
        final_years=tuple(sorted({int(y) for y in ahead["final_year"]})),
        counts=counts(ahead),
        past_final=int((rows["as_of_year"] >= final).sum()),
        not_graded=int(final.isna().sum()),
        is_sample=bool(ahead["is_sample"].fillna(False).astype(bool).any()),
    )


def summary_title(s: Summary) -> str:
    """'令和7年度の目標に対する見込み（令和5年度までの傾向から）'."""
    finals = "・".join(era_name(fy) for fy in s.final_years)
    return f"{finals}の目標に対する見込み（{era_name(s.as_of_year)}までの傾向から）"


def summary_note(s: Summary) -> str:
    """What the counts leave out, and how they were made."""
    parts = [f"{CANNOT} {s.counts[CANNOT]} 指標"]
    if s.past_final:
        parts.append(f"最終年度を過ぎた指標 {s.past_final} 指標（その年度の評価のとおり）")
    if s.not_graded:
        parts.append(f"{NOT_GRADED} {s.not_graded} 指標")
    fictional = "架空のサンプルデータによる見込みです。" if s.is_sample else ""
    return f"{'、'.join(parts)}は数えていません。{METHOD_NOTE}{fictional}"


def summary_line(s: Summary) -> str:
    """'見込み（令和7年度の目標・令和5年度までの傾向）　◎ A 12　○ B 3 …　｜　算出不可 2': the
    counts in one line of a projector screen (the title says they are 見込み)."""
    finals = "・".join(era_name(fy) for fy in s.final_years)
    graded = "　".join(f"{SYMBOLS[g]} {g} {s.counts[g]}" for g in GRADED)
    return (
        f"見込み（{finals}の目標・{era_name(s.as_of_year)}までの傾向）　{graded}　｜　"
        f"算出不可 {s.counts[CANNOT]}"
    )


def attention(rows: pd.DataFrame) -> pd.DataFrame:
    """KPIs whose outlook is a C or D forecast while their final year is ahead, with the
    reason in words (for the 要対応 list)."""
    ahead = rows["as_of_year"] < pd.to_numeric(rows["final_year"], errors="coerce")
    hit = rows[rows["outlook_grade"].isin(NEEDS_ATTENTION) & (rows["basis"] == "trend") & ahead]
    reasons = [
        f"見込み {badge(str(g))}（{int(n)}年度分の実績の傾向から推計）"
        for g, n in zip(hit["outlook_grade"], hit["points"], strict=True)
    ]
    return hit.assign(理由=reasons).reset_index(drop=True)


# Ranks in the 要対応 list (kpi/attention.py ranks D 10, C 20, 未報告 30): a forecast comes
# after what has already happened.
ATTENTION_RANKS = {D: 40, C: 50}


def attention_reasons(data: PlanData, sel: Selection) -> pd.DataFrame:
    """The 要対応 list's reasons from the outlook: (kpi_id, reason, rank), one row per selected
    KPI whose outlook as of the selected year is a C or D forecast."""
    hit = attention(for_selection(data, sel))
    return pd.DataFrame(
        {
            "kpi_id": hit["kpi_id"].astype(str).to_numpy(),
            "reason": hit["理由"].to_numpy() if len(hit) else [],
            "rank": [ATTENTION_RANKS[str(g)] for g in hit["outlook_grade"]],
        },
        columns=["kpi_id", "reason", "rank"],
    )


def describe(row: Mapping[str, Any], unit: str) -> str:
    """One sentence for a KPI's outlook, e.g. '令和7年度の見込み 26.3%（目標 25% 以上）: ◎ A
    達成見込み。令和3年度〜令和6年度の実績4年度分から最小二乗法で推計した予測です。'"""
    from kpi.charts import format_value
    from kpi.status import COMPARATOR_WORDS

    grade = str(row["outlook_grade"])
    if grade == NOT_GRADED:
        return "数値目標がないため、見込みは評価しません（評価対象外）。"
    final = int(row["final_year"])
    if grade == CANNOT:
        return (
            f"実績が{int(row['points'])}年度分しかないため、{era_name(final)}の見込みは"
            "算出できません（2年度分以上の実績が必要です）。"
        )
    target = format_value(_float(row["final_target_value"]), unit)
    word = COMPARATOR_WORDS.get(str(row["final_comparator"]), "")
    value = format_value(_float(row["projected_value"]), unit)
    if row["basis"] == "actual":
        return (
            f"最終年度（{era_name(final)}）の実績 {value}（目標 {target} {word}）: "
            f"{badge_text(grade)}。見込みではなく、その年度の評価です。"
        )
    return (
        f"{era_name(final)}の見込み {value}（目標 {target} {word}）: {badge(grade)}。"
        f"{era_name(int(row['as_of_year']))}までの実績{int(row['points'])}年度分から"
        "最小二乗法の直線で推計した予測で、確定した結果ではありません。"
    )


def _float(v: Any) -> float | None:
    if v is None or pd.isna(v):
        return None
    return float(v)


def export_words(row: Mapping[str, Any]) -> str:
    """The 見込み cell of a status table: 'B 概ね達成見込み（令和7年度）' for a forecast or
    見込み算出不可, while the final year is ahead; blank from the final year on (its grade is
    in the 評価 column) and without a numeric target."""
    grade = row.get("outlook_grade")
    final = row.get("final_year")
    if final is None or pd.isna(final) or row["as_of_year"] >= final:
        return ""
    if row.get("basis") == "trend" and grade in GRADED:
        return f"{grade} {WORDS[str(grade)]}（{era_name(int(final))}）"
    return CANNOT if grade == CANNOT else ""


def export_columns(rows: pd.DataFrame, outlook: pd.DataFrame) -> pd.DataFrame:
    """`rows` (one per KPI and fiscal_year) with `outlook` (words) and `projected_value` (the
    forecast final-year value, rounded to 0.1; blank unless a forecast) as of that year."""
    o = outlook.assign(
        outlook=[export_words(r) for r in outlook.to_dict("records")],
        projected_value=pd.to_numeric(outlook["projected_value"])
        .where(
            (outlook["basis"] == "trend")
            & (outlook["as_of_year"] < pd.to_numeric(outlook["final_year"], errors="coerce"))
        )
        .round(1),
    ).rename(columns={"as_of_year": "fiscal_year"})[
        ["kpi_id", "fiscal_year", "outlook", "projected_value"]
    ]
    merged = rows.drop(columns=["outlook", "projected_value"], errors="ignore").merge(
        o, on=["kpi_id", "fiscal_year"], how="left"
    )
    merged.index = rows.index
    return merged.assign(outlook=merged["outlook"].fillna(""))


# ---------------------------------------------------------------- backtest


def backtest(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How often the outlook as of an earlier year agreed with the grade the final year got.

    `rows` is `repository.outlook_backtest_rows`: one row per KPI and as-of year before its
    final year, for KPIs whose final year was graded A-D. Returns (agreement per number of
    years ahead, with a 計 row; outlook grade x final grade counts over all years ahead).
    """
    r = rows.assign(ahead=rows["final_year"].astype(int) - rows["as_of_year"].astype(int))
    forecast = r[r["outlook_grade"].isin(GRADED)]
    lines = []
    for ahead, group in [*sorted(r.groupby("ahead")), ("計", r)]:
        f = group[group["outlook_grade"].isin(GRADED)]
        same = int((f["outlook_grade"] == f["final_grade"]).sum())
        met_same = int(((f["outlook_grade"] == A) == (f["final_grade"] == A)).sum())
        lines.append(
            {
                "見込みの時点": ahead if ahead == "計" else f"最終年度の{ahead}年前",
                "指標数": int(group["kpi_id"].nunique()),
                "見込み算出不可": int((group["outlook_grade"] == CANNOT).sum()),
                "比較数": len(f),
                "評価が一致": same,
                "一致率(%)": round(same / len(f) * 100, 1) if len(f) else None,
                "達成・未達が一致": met_same,
                "達成・未達の一致率(%)": round(met_same / len(f) * 100, 1) if len(f) else None,
            }
        )
    matrix = (
        pd.crosstab(
            forecast["outlook_grade"].map(lambda g: f"見込み {g}"),
            forecast["final_grade"].map(lambda g: f"実際 {g}"),
        )
        .reindex(
            index=[f"見込み {g}" for g in GRADED],
            columns=[f"実際 {g}" for g in GRADED],
            fill_value=0,
        )
        .fillna(0)
        .astype(int)
    )
    return pd.DataFrame(lines), matrix
