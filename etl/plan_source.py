"""Generate data/plan.xlsx from the reviewed transcription data/source/plan.toml.

The TOML is what reviewers compare with the printed plan; the workbook is what the ICT
division edits in Excel. `python -m etl plan-workbook` regenerates it, and a test checks that
the committed workbook still agrees with the TOML.
"""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from etl.excel_safe import set_value
from etl.plan_format import (
    COL_RELISTED_IN,
    COLUMNS,
    CUMULATIVE_MARK,
    DIRECTION_LABELS,
    SHEET_ACTIVITIES,
    SHEET_KPIS,
    SHEET_MEASURES,
    SHEET_PLAN,
    SHEET_POLICIES,
    SHEET_PROJECTS,
)
from kpi.fiscal import fy_column

INHERITED = ("overview", "aims", "lead", "related", "activities")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WIDE_COLUMNS = {"概要": 60, "目指すもの": 60, "指標の考え方": 40, "事業名": 36, "指標名": 30}


def load_source(path: str | Path) -> dict:
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


def expand(source: dict) -> dict:
    """Resolve inheritance of relisted projects and number the KPIs as printed.

    Returns {"projects": [...with inherited fields...], "kpis": [own KPIs with id, project,
    relisted_in]} where a relisted project's `same_as` entries become `relisted_in` marks on
    the original KPI instead of new KPIs.
    """
    by_id = {p["id"]: p for p in source["projects"]}
    projects = []
    for p in source["projects"]:
        full = dict(p)
        if origin := p.get("relisted_from"):
            for key in INHERITED:
                full.setdefault(key, by_id[origin].get(key, [] if key != "overview" else ""))
        projects.append(full)
    kpis: list[dict] = []
    own: dict[str, dict] = {}
    for p in projects:
        for n, k in enumerate(p.get("kpis", []), start=1):
            if "same_as" in k:
                continue
            kpi = dict(k, id=f"{p['id']}-{n}", project=p["id"], relisted_in=[])
            kpi.setdefault("rationale", p.get("rationale", ""))
            own[kpi["id"]] = kpi
            kpis.append(kpi)
    for p in projects:
        for k in p.get("kpis", []):
            if "same_as" in k:
                own[k["same_as"]]["relisted_in"].append(p["id"])
    return {"projects": projects, "kpis": kpis}


def _write_sheet(wb: Workbook, title: str, headers: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    for c, h in enumerate(headers, start=1):
        ws.cell(row=1, column=c, value=h)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            set_value(ws.cell(row=r, column=c), value)
    for i, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        width = WIDE_COLUMNS.get(h, max(10, min(24, len(h) * 2 + 2)))
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions


def build_workbook(source: dict) -> bytes:
    plan = source["plan"]
    pid = plan["plan_id"]
    years = list(range(plan["start_fy"], plan["end_fy"] + 1))
    year_headers = [fy_column(y) for y in years]
    data = expand(source)
    wb = Workbook()
    wb.remove(wb.active)
    _write_sheet(
        wb,
        SHEET_PLAN,
        COLUMNS[SHEET_PLAN],
        [[pid, plan["name"], plan["organization"], plan["start_fy"], plan["end_fy"]]],
    )
    _write_sheet(
        wb,
        SHEET_POLICIES,
        COLUMNS[SHEET_POLICIES],
        [[pid, p["no"], p["name"]] for p in source["policies"]],
    )
    _write_sheet(
        wb,
        SHEET_MEASURES,
        COLUMNS[SHEET_MEASURES],
        [[pid, m["id"], m["policy_no"], m["name"]] for m in source["measures"]],
    )
    _write_sheet(
        wb,
        SHEET_PROJECTS,
        COLUMNS[SHEET_PROJECTS],
        [
            [
                pid,
                p["id"],
                p["measure_id"],
                p["name"],
                "、".join(p.get("lead", [])),
                "、".join(p.get("related", [])),
                p.get("overview", ""),
                p.get("aims", ""),
                p.get("relisted_from", ""),
            ]
            for p in data["projects"]
        ],
    )
    activity_rows = []
    for p in data["projects"]:
        for seq, a in enumerate(p.get("activities", []), start=1):
            texts = {int(k): v for k, v in a.get("years", {}).items()}
            activity_rows.append(
                [pid, p["id"], seq, a["label"], *[texts.get(y, "") for y in years]]
            )
    _write_sheet(wb, SHEET_ACTIVITIES, COLUMNS[SHEET_ACTIVITIES] + year_headers, activity_rows)
    kpi_rows = []
    for k in data["kpis"]:
        targets = {int(y): t for y, t in k.get("targets", {}).items()}
        kpi_rows.append(
            [
                pid,
                k["id"],
                k["project"],
                k["name"],
                k.get("unit", ""),
                DIRECTION_LABELS[k["direction"]],
                CUMULATIVE_MARK if k.get("cumulative") else "",
                k.get("rationale", ""),
                *[targets.get(y, "") for y in years],
                ",".join(k["relisted_in"]),
            ]
        )
    _write_sheet(wb, SHEET_KPIS, COLUMNS[SHEET_KPIS] + year_headers + [COL_RELISTED_IN], kpi_rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
