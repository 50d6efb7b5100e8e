"""事業評価 (issue #13) as the pages, the report and the export show it: pure functions over
PlanData."""

from __future__ import annotations

import pandas as pd

from kpi.dashboard import PlanData
from kpi.fiscal import era_name, fy_label
from kpi.round_status import year_state

LABELS = {
    "progress": "進捗",
    "activities": "取組実績",
    "reason": "評価の理由",
    "issues": "課題",
    "direction": "今後の方向性",
}


def evaluated_as(data: PlanData, project_id: str) -> str:
    """A 再掲 project is evaluated under its original number."""
    origin = data.projects.set_index("project_id")["relisted_from"].get(project_id)
    return origin if isinstance(origin, str) else project_id


def _value(v: object) -> str:
    return v.strip() if isinstance(v, str) else ""


def evaluation_lines(data: PlanData, project_id: str, fy: int) -> list[str]:
    """The lines under a project's heading in the PDF: the year's evaluation, or that none
    was reported."""
    ev = data.evaluations
    state = year_state(data.locked_years, fy)
    head = f"事業評価（{era_name(fy)}・{state}）"
    if ev.empty:
        return [f"{head}: 未報告"]
    rows = ev[(ev["project_id"] == evaluated_as(data, project_id)) & (ev["fiscal_year"] == fy)]
    if rows.empty:
        return [f"{head}: 未報告"]
    r = rows.iloc[0]
    lines = [
        f"{head}: 進捗 {_value(r['progress']) or '―'}　／　今後の方向性 "
        f"{_value(r['direction']) or '―'}"
    ]
    for col in ("activities", "reason", "issues"):
        if text := _value(r[col]):
            lines.append(f"{LABELS[col]}: {text}")
    return lines


def evaluation_sheet(data: PlanData, project_ids: list[str]) -> pd.DataFrame:
    """The current evaluations of the selected projects (a 再掲 as its original), one row per
    project and year (the export)."""
    ev = data.evaluations
    columns = ["事業番号", "事業名", "年度", "値の状態", *LABELS.values()]
    if ev.empty:
        return pd.DataFrame(columns=columns)
    stored = {evaluated_as(data, p) for p in project_ids}
    ev = ev[ev["project_id"].isin(stored)]
    names = data.projects.set_index("project_id")["project_name"]
    table = pd.DataFrame(
        {
            "事業番号": ev["project_id"],
            "事業名": ev["project_id"].map(names),
            "年度": ev["fiscal_year"].astype(int),  # a number, as in the other sheets
            "値の状態": ev["fiscal_year"].map(lambda y: year_state(data.locked_years, int(y))),
        }
    )
    for col, label in LABELS.items():
        table[label] = ev[col].fillna("")
    return table.reset_index(drop=True)


def evaluation_table(data: PlanData, project_id: str) -> pd.DataFrame:
    """The project's current evaluations, newest year first (a 再掲 shows its original's)."""
    ev = data.evaluations
    if ev.empty:
        return pd.DataFrame(columns=["年度", *LABELS.values()])
    rows = ev[ev["project_id"] == evaluated_as(data, project_id)]
    rows = rows.sort_values("fiscal_year", ascending=False)
    table = pd.DataFrame({"年度": rows["fiscal_year"].map(fy_label)})
    for col, label in LABELS.items():
        table[label] = rows[col].fillna("")
    return table.reset_index(drop=True)
