"""照会票: one workbook per department for a year's collection round (issue #13).

Each department that leads at least one project gets `<fiscal year>_<department>.xlsx`: the
yearly template's 実績 sheet with only the KPIs of the projects it leads, the 事業評価 sheet
with one row per project it leads (a 再掲 once, under its original number), and 説明. The
deadline and the ICT division as contact are on the first rows of each sheet and in 説明.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import partial

import duckdb
import pandas as pd

from etl.evaluation_sheet import EXPLANATION as EVALUATION_EXPLANATION
from etl.evaluation_sheet import write_evaluation_sheet
from etl.template import check_year_in_plan, explanation_lines, write_actuals_workbook
from kpi import repository
from kpi.fiscal import fy_column

CONTACT = "情報システム課"
# Characters Windows refuses in a file name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10))}
_RESERVED |= {f"LPT{i}" for i in range(1, 10)}


def default_deadline(fy: int) -> dt.date:
    """Actuals of a fiscal year are asked for by the end of May after it ends."""
    return dt.date(fy + 1, 5, 31)


def safe_filename(text: str) -> str:
    """A name every file system takes (Windows included): forbidden characters become '_',
    no trailing dot or space, no reserved device name."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip().rstrip(". ")
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = f"_{name}"
    return name


def workbook_name(fy: int, department: str) -> str:
    return f"{fy}_{safe_filename(department)}.xlsx"


@dataclass(frozen=True)
class RoundSource:
    """What a round's workbooks are written from, read in one go (as etl.template's
    TemplateSource: the zip is then written without the database)."""

    plan_id: str
    plan_name: str
    fy: int
    rows: pd.DataFrame  # repository.template_rows
    kpis: pd.DataFrame  # repository.lead_kpis
    projects: pd.DataFrame  # repository.lead_projects


def read_round_source(con: duckdb.DuckDBPyConnection, plan_id: str, fy: int) -> RoundSource:
    plan = repository.plan_info(con, plan_id)  # NotFound
    check_year_in_plan(plan, fy)
    return RoundSource(
        plan_id=plan_id,
        plan_name=str(plan["name"]),
        fy=fy,
        rows=repository.template_rows(con, plan_id, [fy]),
        kpis=repository.lead_kpis(con, plan_id),
        projects=repository.lead_projects(con, plan_id),
    )


def department_workbooks(
    con: duckdb.DuckDBPyConnection,
    plan_id: str,
    fy: int,
    *,
    deadline: dt.date | None = None,
    today: dt.date | None = None,
) -> dict[str, bytes]:
    """File name -> workbook, one per lead department, in the departments' order."""
    return write_department_workbooks(
        read_round_source(con, plan_id, fy), deadline=deadline, today=today
    )


def write_department_workbooks(
    source: RoundSource, *, deadline: dt.date | None = None, today: dt.date | None = None
) -> dict[str, bytes]:
    plan_id, fy, rows, kpis, projects = (
        source.plan_id,
        source.fy,
        source.rows,
        source.kpis,
        source.projects,
    )
    deadline = deadline or default_deadline(fy)
    today = today or dt.date.today()
    due = f"提出期限 {deadline:%Y年%m月%d日}（{deadline.isoformat()}）"
    files: dict[str, bytes] = {}
    for department in sorted(set(projects["department"])):
        own = set(kpis.loc[kpis["department"] == department, "kpi_id"])
        mine = projects[projects["department"] == department][["project_id", "project_name"]]
        subject = f"{source.plan_name} {fy_column(fy)}（{department}）"
        contact = f"{due}。問合せ・提出先: {CONTACT}"
        explanation = explanation_lines(subject)
        explanation[1:1] = [
            f"照会: {fy_column(fy)}の実績値と事業評価（{department}）",
            f"{due}",
            f"問合せ・提出先: {CONTACT}（このファイルに入力し、ファイル名を変えずに返送してください）",
            f"作成日 {today.isoformat()}（計画ID {plan_id}）",
        ]
        name = workbook_name(fy, department)
        files[name] = write_actuals_workbook(
            rows[rows["kpi_id"].isin(own)],
            title=f"{subject} 実績値 照会票",
            instructions=(
                f"{contact}。黄色の「実績値」「備考」と、シート「事業評価」を入力してください。"
                "未集計は空欄のまま（または「－」）。"
            ),
            explanation=[*explanation, *EVALUATION_EXPLANATION],
            with_plan_id=plan_id,
            extra_sheets=partial(
                write_evaluation_sheet,
                projects=mine,
                fy=fy,
                plan_id=plan_id,
                title=f"{subject} 事業評価 照会票　{contact}",
            ),
        )
    return files


def zip_workbooks(files: dict[str, bytes]) -> bytes:
    """The set as one zip (UTF-8 names, which Windows' Explorer reads)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()
