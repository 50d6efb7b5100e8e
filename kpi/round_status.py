"""回答状況 (who has answered) of a year's collection round (issue #13), as pure functions
over `repository.round_items`: one row per department, and the list to chase."""

from __future__ import annotations

import pandas as pd

NOT_SUBMITTED, PARTIAL, SUBMITTED = "未提出", "一部提出", "提出済"
KIND_WORDS = {"kpi": "評価指標", "evaluation": "事業評価"}
BOARD_COLUMNS = [
    "部署",
    "状況",
    "指標（目標あり）",
    "報告済",
    "未報告",
    "うち理由の記載あり",
    "事業評価 記入済",
    "事業評価 対象",
    "最後の受信（取込番号）",
    "受信日時",
    "ファイル",
]


def _status(expected: int, answered: int, any_answer: bool) -> str:
    if expected and answered >= expected:
        return SUBMITTED
    return PARTIAL if any_answer else NOT_SUBMITTED


def board(items: pd.DataFrame) -> pd.DataFrame:
    """One row per department: KPIs expected (a target that year), reported, 未報告,
    evaluations filled / expected, the last file received and a status."""
    rows = []
    for department, group in items.groupby("department", sort=False):
        kpi = group[group["kind"] == "kpi"]
        ev = group[group["kind"] == "evaluation"]
        expected_kpis = int(kpi["expected"].sum())
        reported = int((kpi["expected"] & kpi["answered"]).sum())
        filled = int(ev["answered"].sum())
        # a row left blank with the reason written (集計中…) is a reply, though not a value
        noted = group["note"].notna() & ~group["answered"]
        replied = group["answered"] | noted
        received = group[replied & group["upload_id"].notna()]
        last = received.loc[received["upload_id"].idxmax()] if len(received) else None
        rows.append(
            {
                "部署": department,
                "状況": _status(expected_kpis + len(ev), reported + filled, bool(replied.any())),
                "指標（目標あり）": expected_kpis,
                "報告済": reported,
                "未報告": expected_kpis - reported,
                "うち理由の記載あり": int(
                    (noted & group["expected"] & (group["kind"] == "kpi")).sum()
                ),
                "事業評価 記入済": filled,
                "事業評価 対象": len(ev),
                "最後の受信（取込番号）": None if last is None else int(last["upload_id"]),
                "受信日時": None if last is None else last["uploaded_at"],
                "ファイル": None if last is None else last["filename"],
            }
        )
    return pd.DataFrame(rows, columns=BOARD_COLUMNS)


def unreported(items: pd.DataFrame) -> pd.DataFrame:
    """What each department still owes: expected and not answered, department by department."""
    missing = items[items["expected"] & ~items["answered"]]
    return pd.DataFrame(
        {
            "部署": missing["department"],
            "種別": missing["kind"].map(KIND_WORDS),
            "ID": missing["item_id"],
            "名称": missing["name"],
            "理由（備考）": missing["note"].fillna(""),
        }
    ).reset_index(drop=True)


def totals(table: pd.DataFrame) -> dict[str, int]:
    """Departments per status, for the headline above the board."""
    counts = table["状況"].value_counts()
    return {s: int(counts.get(s, 0)) for s in (SUBMITTED, PARTIAL, NOT_SUBMITTED)}


PROVISIONAL, FINAL = "速報（未確定）", "確定"


def year_state(locked_years: tuple[int, ...] | list[int], fy: int) -> str:
    """'確定' for a locked year, '速報（未確定）' otherwise: shown beside every year's values."""
    return FINAL if fy in locked_years else PROVISIONAL
