"""The fictional sample actuals (DESIGN 8): data/sample/actuals_sample.xlsx.

The source has targets, not actuals. To try the dashboard we write our own values, labelled
as fictional in the title row and on the 説明 sheet, in the template's shape with one row per
KPI and fiscal year of the seed plan. The generator is deterministic (a seeded
random.Random): `python -m etl sample-workbook` rewrites the same values, and a test checks
that the committed file still equals what it generates.

Values sit around the targets so that every grade (A, B, C, D) and 未報告 appear; cumulative
KPIs never go down; the incidents KPI (lower is better) has small, plausible counts; a few
text-target KPIs get a value; a few rows carry a 備考.
"""

from __future__ import annotations

import random

import pandas as pd

from etl.plan_reader import read_plan
from etl.problems import InputRejected
from etl.template import explanation_lines, write_actuals_workbook
from kpi import repository
from kpi.config import ROOT, Grading
from kpi.fiscal import fy_column

PLAN_FILE = ROOT / "data" / "plan.xlsx"
SAMPLE_FILE = ROOT / "data" / "sample" / "actuals_sample.xlsx"
FICTIONAL = "架空のサンプルデータです（実際の実績ではありません）"
SEED = 20210401
NOT_REPORTED = "－"

# Outcome weights for a year with a numeric target: achievement-rate ranges per grade.
OUTCOMES = [("A", 0.55), ("B", 0.18), ("C", 0.12), ("D", 0.07), ("未報告", 0.08)]
RATES = {"A": (1.0, 1.15), "B": (0.8, 0.98), "C": (0.5, 0.78), "D": (0.3, 0.48)}
# インシデント（影響度レベル２以上）の件数: lower is better, small whole numbers.
INCIDENTS = "2-5-3-3"
INCIDENT_COUNTS = {2021: 3, 2022: 4, 2023: 2, 2024: 3, 2025: 1}
# Text targets ("検討を踏まえ設定"): a value in a few years, shown but not graded.
TEXT_TARGET_VALUES = {
    ("1-1-1-2", 2024): 8,
    ("2-2-1-2", 2024): 72.5,
    ("2-2-1-2", 2025): 81.0,
    ("2-2-2-2", 2024): 51.6,
    ("2-2-2-2", 2025): 63.2,
}
NOTES = {
    ("2-5-3-3", 2024): "（架空）標的型メールによる不審な通信が3件。いずれも初動対応で被害なし",
    ("2-1-1-2", 2023): "（架空）RPA 適用業務の追加により削減時間が増加",
    ("2-2-2-2", 2024): "（架空）目標値は検討中のため参考値",
    ("1-2-1-1", 2022): "（架空）アカウント移行のため年度途中で集計方法を変更",
}
# The first few D grades get a reason; the rest stay without a comment, as in real files.
D_NOTES = [
    "（架空）関係課との調整に時間を要し、実施時期が翌年度にずれたため目標に届かず",
    "（架空）予算の都合により導入時期を見直した",
    "（架空）システム更新に伴い年度後半の運用を停止した",
]


def _value(rng: random.Random, target: float, unit: str, direction: str, grade: str) -> float | int:
    low, high = RATES[grade]
    rate = rng.uniform(low, high)
    value = target / rate if direction == "lower" else target * rate
    if unit == "%":
        # Never at or below 1 (that would read as a fraction typed for a percent).
        return min(100.0, max(1.5, round(value, 1)))
    return max(0, round(value))


def sample_rows(plan_tables: dict[str, pd.DataFrame]) -> tuple[str, str, pd.DataFrame]:
    """(plan_id, plan name, template rows for every year with `actual` and `note` filled)."""
    plan = plan_tables["plans"].iloc[0]
    con = repository.connect(":memory:")
    try:
        repository.init_schema(con, Grading())
        with repository.transaction(con):
            repository.replace_plan(con, plan_tables)
        years = list(range(int(plan["start_fy"]), int(plan["end_fy"]) + 1))
        rows = repository.template_rows(con, str(plan["plan_id"]), years)
    finally:
        con.close()

    rng = random.Random(SEED)
    actuals: list[object] = []
    notes: list[str | None] = []
    running: dict[str, float] = {}  # cumulative KPI -> value so far
    d_notes = list(D_NOTES)
    for rec in rows.to_dict("records"):
        kid, fy, unit = rec["kpi_id"], int(rec["fiscal_year"]), rec["unit"] or ""
        target = rec["target_value"]
        has_target = target is not None and target == target
        note = NOTES.get((kid, fy))
        value: object = None
        if kid == INCIDENTS:
            value = INCIDENT_COUNTS[fy]
        elif (kid, fy) in TEXT_TARGET_VALUES:
            value = TEXT_TARGET_VALUES[(kid, fy)]
        elif has_target:
            grade = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
            if grade == "未報告":
                value = NOT_REPORTED
            else:
                value = _value(rng, float(target), unit, rec["direction"], grade)
                if grade == "D" and note is None and d_notes:
                    note = d_notes.pop(0)
        if rec["cumulative"] and isinstance(value, int | float):
            value = max(value, running.get(kid, 0))
            running[kid] = value
        actuals.append(value)
        notes.append(note if value is not None and value != NOT_REPORTED else None)
    return str(plan["plan_id"]), str(plan["name"]), rows.assign(actual=actuals, note=notes)


def build_sample(plan_data: bytes | None = None) -> bytes:
    """The sample workbook for the plan workbook (data/plan.xlsx by default)."""
    data = PLAN_FILE.read_bytes() if plan_data is None else plan_data
    read = read_plan(data, PLAN_FILE.name)
    if not read.ok:
        raise InputRejected(read.problems)
    plan_id, name, rows = sample_rows(read.tables)
    first, last = int(rows["fiscal_year"].min()), int(rows["fiscal_year"].max())
    period = f"{fy_column(first)}〜{fy_column(last)}"
    return write_actuals_workbook(
        rows,
        title=f"【{FICTIONAL}】{name} 実績値 {period}",
        instructions=(
            f"{FICTIONAL}。ダッシュボードを試すために作成した値で、{name}の実績とは関係ありません。"
            "本番の実績を取り込むと置き換わり、サンプルの取込を取り消すと表示されなくなります。"
        ),
        explanation=[f"【{FICTIONAL}】", "", *explanation_lines(f"{name}（{period}）")],
        with_plan_id=plan_id,
    )
