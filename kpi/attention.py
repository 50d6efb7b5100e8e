"""What failed, and why: the 要対応 list, per-policy rates and 前年度比 (issue 12).

Pure functions over a plan's status rows (`PlanData`, `Selection`), shared by 概況, 庁議モード
and the PDF report, which render them thinly.

The 要対応 list is built from *reasons*: frames of (kpi_id, reason, rank), one row per KPI
and reason. `grade_reasons` gives the grades C, D and 未報告; another reason (an outlook of
C or D, say) is one more frame passed to `needs_attention`. A KPI with several reasons is
one row whose 理由 joins them, ranked by its worst reason.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from kpi import outlook
from kpi.charts import format_value
from kpi.dashboard import PlanData, Selection, by_policy
from kpi.numbers import is_missing
from kpi.status import GRADED, NOT_REPORTED, STYLES, C, D, badge_text

REASON_COLUMNS = ["kpi_id", "reason", "rank"]
# Worst first: D (well below target), C (below), then 未報告 (the year ended without a value).
GRADE_REASONS: dict[str, tuple[str, int]] = {
    D: (f"{STYLES[D].symbol} D 未達成（達成率が低い）", 10),
    C: (f"{STYLES[C].symbol} C 一部達成", 20),
    NOT_REPORTED: (f"{STYLES[NOT_REPORTED].symbol} 未報告（実績の報告なし）", 30),
}

ATTENTION_COLUMNS = {
    "kpi_id": "指標ID",
    "kpi_name": "指標名",
    "grade_text": "評価",
    "actual_text": "実績",
    "target_text": "目標",
    "rate_text": "達成率",
    "lead": "主管課",
    "note": "所管課のコメント",
    "reason": "理由",
}


def rate_text(value: object) -> str:
    return "―" if is_missing(value) else f"{float(value):.1f}%"  # type: ignore[arg-type]


def grade_reasons(year_status: pd.DataFrame) -> pd.DataFrame:
    """One reason per KPI graded C, D or 未報告 in the year's rows."""
    rows = year_status.drop_duplicates("kpi_id")
    rows = rows[rows["grade"].isin(list(GRADE_REASONS))]
    return pd.DataFrame(
        {
            "kpi_id": rows["kpi_id"].to_numpy(),
            "reason": [GRADE_REASONS[g][0] for g in rows["grade"]],
            "rank": [GRADE_REASONS[g][1] for g in rows["grade"]],
        },
        columns=REASON_COLUMNS,
    )


def default_reasons(data: PlanData, sel: Selection) -> list[pd.DataFrame]:
    """The year's grades (C, D, 未報告) and, while the final year is ahead, the outlooks that
    are a C or D forecast (見込み, issue #15; ranked after the grades)."""
    return [grade_reasons(sel.year_status), outlook.attention_reasons(data, sel)]


def lead_departments(data: PlanData) -> dict[str, str]:
    """KPI id -> the lead departments (主管課) of the project it is stored under."""
    d = data.departments[data.departments["role"] == "lead"].sort_values(["project_id", "seq"])
    by_project = d.groupby("project_id")["department"].agg("、".join)
    kpis = data.kpis
    return dict(
        zip(kpis["kpi_id"], kpis["home_project_id"].map(by_project).fillna(""), strict=True)
    )


def needs_attention(
    data: PlanData, sel: Selection, reasons: Iterable[pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The 要対応 list of the selected year: every selected KPI that has a reason, worst
    first (rank, then the lower achievement rate, then printed order).

    `reasons` defaults to `default_reasons(data, sel)`; pass other frames of
    (kpi_id, reason, rank) to add reasons. KPIs outside the selection are ignored.
    Columns: kpi_id, kpi_name, grade, actual_value, unit, achievement_rate, note, lead, reason,
    rank, and the display texts grade_text, actual_text, target_text, rate_text.
    """
    frames = default_reasons(data, sel) if reasons is None else list(reasons)
    columns = [*ATTENTION_COLUMNS, "grade", "actual_value", "unit", "achievement_rate", "rank"]
    all_reasons = pd.concat([f[REASON_COLUMNS] for f in frames], ignore_index=True)
    year = sel.year_status.drop_duplicates("kpi_id")
    all_reasons = all_reasons[all_reasons["kpi_id"].isin(set(year["kpi_id"]))]
    if all_reasons.empty:
        return pd.DataFrame(columns=columns)
    order = {k: i for i, k in enumerate(sel.kpi_ids)}
    all_reasons = all_reasons.sort_values(["rank", "reason"], kind="stable")
    joined = all_reasons.groupby("kpi_id", sort=False).agg(
        reason=("reason", lambda s: "、".join(dict.fromkeys(s))), rank=("rank", "min")
    )
    rows = year.set_index("kpi_id").loc[list(joined.index)].reset_index()
    rows = rows.assign(
        reason=list(joined["reason"]),
        rank=list(joined["rank"]),
        printed=rows["kpi_id"].map(order),
        lead=rows["kpi_id"].map(lead_departments(data)).fillna(""),
    )
    rows = rows.sort_values(
        ["rank", "achievement_rate", "printed"], na_position="last", kind="stable"
    )
    out = rows.assign(
        grade_text=rows["grade"].map(badge_text),
        actual_text=[
            "―" if is_missing(v) else format_value(float(v), str(u))
            for v, u in zip(rows["actual_value"], rows["unit"], strict=True)
        ],
        target_text=[
            "―" if is_missing(t) else str(t)
            for t in rows["target_text"].where(rows["target_text"].notna(), None)
        ],
        rate_text=rows["achievement_rate"].map(rate_text),
        note=rows["note"].where(rows["note"].notna(), "").astype(str),
    )
    return out[columns].reset_index(drop=True)


def attention_table(attention: pd.DataFrame) -> pd.DataFrame:
    """The 要対応 list as people read it: Japanese headers, texts only."""
    return attention[list(ATTENTION_COLUMNS)].rename(columns=ATTENTION_COLUMNS)


# ------------------------------------------------------------------ per policy

POLICY_RATE_COLUMNS = ["基本方針", "指標数", "評価済", "A", "B", "C", "D", "未報告", "達成率"]


def policy_rates(data: PlanData, sel: Selection) -> pd.DataFrame:
    """Per 基本方針: KPIs, evaluated KPIs, counts per grade and the share at A (達成率, text),
    narrow enough to read at 1366 px without scrolling sideways."""
    table = by_policy(data, sel)
    if table.empty:
        return pd.DataFrame(columns=POLICY_RATE_COLUMNS)
    return pd.DataFrame(
        {
            "基本方針": [
                f"{int(n)} {name}"
                for n, name in zip(table["policy_no"], table["policy_name"], strict=True)
            ],
            "指標数": table["指標数"].astype(int),
            "評価済": table["評価済"].astype(int),
            **{g: table[g].astype(int) for g in (*GRADED, NOT_REPORTED)},
            "達成率": table["達成率(A)"].map(rate_text),
        }
    )


# ------------------------------------------------------------------ 前年度比

UP, DOWN, SAME, NEW = "上昇", "低下", "変化なし", "新たに評価"
MOVEMENTS = (DOWN, SAME, NEW, UP)  # the order of the list: worsened first
MOVEMENT_SYMBOLS = {UP: "↑", DOWN: "↓", SAME: "→", NEW: "＋"}
_GRADE_RANK = {g: i for i, g in enumerate(GRADED)}  # A best


def grade_changes(data: PlanData, sel: Selection) -> pd.DataFrame:
    """How each selected KPI's grade moved from the previous fiscal year to the selected one.

    Only KPIs graded A-D in the selected year take part. 上昇 / 低下 / 変化なし compare two
    graded years; 新たに評価 is a KPI graded this year but not the year before (未報告, no
    target, a text target, or the plan's first year). Worsened first, then by the current
    grade (worst first) and printed order. Columns: kpi_id, kpi_name, previous, current,
    movement, steps (grades moved, negative = worse), previous_text, current_text, and the
    selected and previous fiscal years.
    """
    fy = sel.fiscal_year
    columns = [
        "kpi_id",
        "kpi_name",
        "previous",
        "current",
        "movement",
        "steps",
        "previous_text",
        "current_text",
        "fiscal_year",
        "previous_year",
    ]
    now = sel.year_status.drop_duplicates("kpi_id")
    now = now[now["grade"].isin(GRADED)]
    if now.empty:
        return pd.DataFrame(columns=columns)
    s = data.status
    before = s[(s["fiscal_year"] == fy - 1) & s["kpi_id"].isin(now["kpi_id"])]
    prev = dict(zip(before["kpi_id"], before["grade"], strict=True))
    order = {k: i for i, k in enumerate(sel.kpi_ids)}
    rows = []
    for kpi_id, name, grade in zip(now["kpi_id"], now["kpi_name"], now["grade"], strict=True):
        p = prev.get(kpi_id)
        if p in _GRADE_RANK:
            steps = _GRADE_RANK[p] - _GRADE_RANK[grade]
            movement = UP if steps > 0 else DOWN if steps < 0 else SAME
        else:
            steps, movement = 0, NEW
        rows.append(
            {
                "kpi_id": kpi_id,
                "kpi_name": name,
                "previous": p,
                "current": grade,
                "movement": movement,
                "steps": steps,
                "previous_text": badge_text(p) if p else "―",
                "current_text": badge_text(grade),
                "fiscal_year": fy,
                "previous_year": fy - 1,
                "_m": MOVEMENTS.index(movement),
                "_g": -_GRADE_RANK[grade],
                "_o": order.get(kpi_id, len(order)),
            }
        )
    out = pd.DataFrame(rows).sort_values(["_m", "steps", "_g", "_o"], kind="stable")
    return out[columns].reset_index(drop=True)


def change_counts(changes: pd.DataFrame) -> dict[str, int]:
    """KPIs per movement, in the order 上昇, 低下, 変化なし, 新たに評価 (zeros included)."""
    counts = changes["movement"].value_counts() if len(changes) else pd.Series(dtype=int)
    return {m: int(counts.get(m, 0)) for m in (UP, DOWN, SAME, NEW)}


CHANGE_COLUMNS = {
    "movement_text": "前年度比",
    "kpi_id": "指標ID",
    "kpi_name": "指標名",
    "previous_text": "前年度",
    "current_text": "今年度",
}


def change_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The 前年度比 list as people read it (the movement as a symbol and a word)."""
    out = changes.assign(movement_text=[f"{MOVEMENT_SYMBOLS[m]} {m}" for m in changes["movement"]])
    return out[list(CHANGE_COLUMNS)].rename(columns=CHANGE_COLUMNS)
