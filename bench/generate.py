"""Synthetic, clearly fake data for the benchmarks: plan workbooks and actuals workbooks.

Every plan is fictional: 「架空市0001」…「架空市1741」, organisation 「架空」, departments
「架空…課」, project and KPI names 「架空事業…」「架空指標…」. Nothing here is a real
municipality. The generator is deterministic (one seeded random.Random per plan), so plan
`fake-0007` is the same in the 47-plan set and in the 1,741-plan set, and a file generated
twice has the same bytes' content.

Shapes follow the seed plan: 3 policies, 10 measures, 40 projects (2 of them relisted 再掲),
40 KPIs over FY2021-FY2025 with targets printed in the forms the seed uses (`７，０００`,
`７０％以上`, `５件以下`, `年３回以上`, `月２回`, text targets), and yearly actuals with the
forms clerks type (plain numbers, `1,234`, `１２件`, `－`, `未集計`, a % cell formatted as a
percentage, a comment in 備考).

Workbooks are written with openpyxl's write-only mode (a national actuals file has 350,000
rows) into bench/out/, which git ignores.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

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
from etl.template import HEADERS as TEMPLATE_HEADERS
from kpi.fiscal import fy_column

START_FY, END_FY = 2021, 2025
YEARS = list(range(START_FY, END_FY + 1))
FAKE = "架空"
MEASURES_PER_POLICY = (3, 4, 3)  # 10 measures
PROJECTS_PER_MEASURE = 4  # 40 projects, one KPI each
RELISTED = 2  # two projects printed again under another measure (再掲)
_DEPARTMENT_NAMES = (
    "情報政策 行政改革 人事 財政 税務 市民 福祉 子育て 健康 環境 産業 観光 都市計画 道路 "
    "上下水道 防災 教育総務 学校教育 生涯学習 図書 広報 文書 契約 会計 選挙 農政 消防 "
    "保険年金 介護 住宅"
)
DEPARTMENTS = [f"{FAKE}{name}課" for name in _DEPARTMENT_NAMES.split(" ")]
UNITS = ["%"] * 11 + ["回"] * 7 + ["件"] * 4 + ["人"] * 3 + ["業務"] * 3 + ["枚", "箇所", "種類"]
UNITS += ["時間", "データ", ""]
TEXT_TARGETS = ["検討を踏まえ設定", "次期システムと合わせ検討"]
NOTES = [
    "（架空）集計方法を変更",
    "（架空）年度途中でシステムを更新",
    "（架空）目標に届かず、次年度に取組を強化",
    "（架空）関係課との調整に時間を要した",
]
NOT_REPORTED_FORMS = [None, None, "－", "未集計", "-"]
_FULL = str.maketrans("0123456789,", "０１２３４５６７８９，")


def plan_id(i: int) -> str:
    return f"fake-{i:04d}"


def plan_name(i: int) -> str:
    return f"{FAKE}市{i:04d} 情報化推進計画（{FAKE}）"


def _full(text: str, rng: random.Random) -> str:
    """Full-width digits, sometimes mixed widths (`７，0００`), as the seed prints them."""
    if rng.random() < 0.3:
        return "".join(ch.translate(_FULL) if rng.random() < 0.6 else ch for ch in text)
    return text.translate(_FULL)


@dataclass
class Kpi:
    kpi_id: str
    project_id: str
    name: str
    unit: str
    direction: str
    cumulative: bool
    targets: dict[int, str]  # as printed; missing year = no target
    values: dict[int, float]  # the numeric target (absent for text targets)
    relisted_in: list[str]


@dataclass
class FakePlan:
    plan_id: str
    name: str
    measures: list[tuple[str, int, str]]  # (measure_id, policy_no, name)
    projects: list[dict]
    activities: list[list]
    kpis: list[Kpi]


def _target(rng: random.Random, unit: str, direction: str) -> tuple[float, str]:
    """A numeric target and how the plan prints it."""
    if unit == "%":
        v = rng.choice(range(10, 101, 5))
        suffix = rng.choice(["％", "％以上", "%"]) if direction != "lower" else "％以下"
        return float(v), _full(str(v), rng) + suffix
    if direction == "lower":
        v = rng.randint(1, 9)
        return float(v), f"{_full(str(v), rng)}{unit}以下"
    if unit == "回":
        v = rng.randint(1, 12)
        form = rng.choice(["年{n}回以上", "月{n}回", "{n}回", "{n}回以上"])
        return float(v), form.format(n=_full(str(v), rng))
    if unit in ("", "時間", "件") and rng.random() < 0.5:
        v = rng.choice([1200, 2900, 7000, 7300, 12000, 45000])
        return float(v), _full(f"{v:,}", rng) + (unit if rng.random() < 0.3 else "")
    if unit == "件" and rng.random() < 0.2:
        v = rng.choice([120, 780, 1500])
        return float(v * 10_000), f"{_full(str(v), rng)}万件"
    v = rng.randint(1, 60)
    return float(v), _full(str(v), rng) + unit + rng.choice(["", "以上"])


def fake_plan(i: int) -> FakePlan:
    rng = random.Random(f"plan-{i}")
    pid = plan_id(i)
    measures, projects, activities, kpis = [], [], [], []
    for policy_no, n_measures in enumerate(MEASURES_PER_POLICY, start=1):
        for m in range(1, n_measures + 1):
            mid = f"{policy_no}-{m}"
            measures.append((mid, policy_no, f"{FAKE}施策{mid}"))
            for p in range(1, PROJECTS_PER_MEASURE + 1):
                prj = f"{mid}-{p}"
                lead = rng.sample(DEPARTMENTS, rng.choice([1, 1, 2]))
                related = rng.sample([d for d in DEPARTMENTS if d not in lead], rng.randint(0, 3))
                projects.append(
                    dict(
                        project_id=prj,
                        measure_id=mid,
                        name=f"{FAKE}事業{prj}",
                        lead=lead,
                        related=related,
                        overview=f"{FAKE}の事業の概要です（ベンチマーク用）。",
                        aims=f"{FAKE}の目指すもの。",
                        relisted_from="",
                    )
                )
                for seq in range(1, rng.randint(2, 4) + 1):
                    known = sorted(rng.sample(YEARS, rng.choice([0, 0, 1, 2, 3, 5])))
                    texts = {y: rng.choice(["実施", "検討", "運用", "拡大"]) for y in known}
                    activities.append(
                        [pid, prj, seq, f"{FAKE}取組{seq}", *[texts.get(y, "") for y in YEARS]]
                    )
                unit = rng.choice(UNITS)
                roll = rng.random()
                direction = "lower" if roll < 0.05 else "maintain" if roll < 0.15 else "higher"
                cumulative = direction == "higher" and rng.random() < 0.06
                targets: dict[int, str] = {}
                values: dict[int, float] = {}
                if rng.random() < 0.06:
                    text = rng.choice(TEXT_TARGETS)
                    targets = {y: text for y in YEARS}
                else:
                    value, printed = _target(rng, unit, direction)
                    for y in YEARS:
                        if rng.random() < 0.05:
                            continue  # no target that year
                        targets[y], values[y] = printed, value
                kpis.append(
                    Kpi(
                        f"{prj}-1",
                        prj,
                        f"{FAKE}指標{prj}-1",
                        unit,
                        direction,
                        cumulative,
                        targets,
                        values,
                        [],
                    )
                )
    # 再掲: a project printed again under another measure of the next policy, same KPI.
    originals = rng.sample(projects[:-8], RELISTED)
    for n, original in enumerate(originals, start=1):
        mid = measures[-n][0]
        prj = f"{mid}-{PROJECTS_PER_MEASURE + 1}"
        projects.append(
            dict(original, project_id=prj, measure_id=mid, relisted_from=original["project_id"])
        )
        next(k for k in kpis if k.project_id == original["project_id"]).relisted_in.append(prj)
    return FakePlan(pid, plan_name(i), measures, projects, activities, kpis)


def fake_plans(n: int) -> list[FakePlan]:
    return [fake_plan(i) for i in range(1, n + 1)]


# ---------------------------------------------------------------- plan workbook


def _sheet(wb: Workbook, title: str, headers: list[str], rows) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for row in rows:
        ws.append([None if v == "" else v for v in row])


def write_plan_workbook(plans: list[FakePlan], path: Path) -> Path:
    """The plan workbook of DESIGN 4.1 holding every plan (one row per plan on 計画)."""
    wb = Workbook(write_only=True)
    year_headers = [fy_column(y) for y in YEARS]
    _sheet(
        wb,
        SHEET_PLAN,
        COLUMNS[SHEET_PLAN],
        ([p.plan_id, p.name, FAKE, START_FY, END_FY] for p in plans),
    )
    _sheet(
        wb,
        SHEET_POLICIES,
        COLUMNS[SHEET_POLICIES],
        ([p.plan_id, n, f"{FAKE}基本方針{n}"] for p in plans for n in (1, 2, 3)),
    )
    _sheet(
        wb,
        SHEET_MEASURES,
        COLUMNS[SHEET_MEASURES],
        ([p.plan_id, mid, no, name] for p in plans for mid, no, name in p.measures),
    )
    _sheet(
        wb,
        SHEET_PROJECTS,
        COLUMNS[SHEET_PROJECTS],
        (
            [
                p.plan_id,
                prj["project_id"],
                prj["measure_id"],
                prj["name"],
                "、".join(prj["lead"]),
                "、".join(prj["related"]),
                prj["overview"],
                prj["aims"],
                prj["relisted_from"],
            ]
            for p in plans
            for prj in p.projects
        ),
    )
    _sheet(
        wb,
        SHEET_ACTIVITIES,
        COLUMNS[SHEET_ACTIVITIES] + year_headers,
        (row for p in plans for row in p.activities),
    )
    _sheet(
        wb,
        SHEET_KPIS,
        COLUMNS[SHEET_KPIS] + year_headers + [COL_RELISTED_IN],
        (
            [
                p.plan_id,
                k.kpi_id,
                k.project_id,
                k.name,
                k.unit,
                DIRECTION_LABELS[k.direction],
                CUMULATIVE_MARK if k.cumulative else "",
                f"{FAKE}の指標の考え方。",
                *[k.targets.get(y, "") for y in YEARS],
                ",".join(k.relisted_in),
            ]
            for p in plans
            for k in p.kpis
        ),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# ---------------------------------------------------------------- actuals workbook


def _actual(rng: random.Random, k: Kpi, fy: int, running: dict[str, float]) -> float | None:
    """A plausible fake value around the target, or None (not reported)."""
    if rng.random() < 0.08:
        return None
    target = k.values.get(fy)
    if target is None:
        if rng.random() < 0.5:
            return None
        target = float(rng.randint(1, 100))
    rate = rng.uniform(0.3, 1.2)
    if k.unit == "%":
        value = round(
            min(100.0, max(1.5, (target / rate if k.direction == "lower" else target * rate))), 1
        )
    else:
        value = float(max(0, round(target / rate if k.direction == "lower" else target * rate)))
    if k.cumulative:
        value = max(value, running.get(k.kpi_id, 0.0))
        running[k.kpi_id] = value
    return value


def _printed(rng: random.Random, value: float, unit: str, ws) -> object:
    """How a clerk typed the value: mostly a number cell, sometimes text or a % format."""
    roll = rng.random()
    number = int(value) if value.is_integer() else value
    if roll < 0.88:
        return number
    if roll < 0.92:
        return f"{number:,}"
    if roll < 0.95:
        return _full(str(number), rng) + (unit if unit not in ("%", "") else "")
    if unit == "%" and roll < 0.98:
        cell = WriteOnlyCell(ws, value=round(value / 100, 6))
        cell.number_format = "0.0%"
        return cell
    return str(number)


def write_actuals_workbook(
    plans: list[FakePlan],
    path: Path,
    *,
    years: list[int] | None = None,
    with_plan_id: bool = True,
    seed: str = "actuals",
) -> tuple[Path, int]:
    """The yearly template's shape (title rows, header in row 4) with fake values.

    Returns the path and the number of data rows.
    """
    years = years or YEARS
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("実績")
    headers = list(TEMPLATE_HEADERS)  # the same columns as the yearly template
    if with_plan_id:
        headers.append("計画ID")
    ws.append([f"【{FAKE}のベンチマーク用データ】実績値（実在の団体・実績ではありません）"])
    ws.append([f"{len(plans)} 計画分。{FAKE}のデータです。"])
    ws.append([])
    ws.append(headers)
    rows = 0
    for p in plans:
        rng = random.Random(f"{seed}-{p.plan_id}")
        names = {prj["project_id"]: prj for prj in p.projects}
        running: dict[str, float] = {}
        for k in p.kpis:
            prj = names[k.project_id]
            for fy in years:
                value = _actual(rng, k, fy, running)
                printed: object
                if value is None:
                    printed = rng.choice(NOT_REPORTED_FORMS)
                    note = None
                else:
                    printed = _printed(rng, value, k.unit, ws)
                    note = rng.choice(NOTES) if rng.random() < 0.03 else None
                row = [
                    k.kpi_id,
                    k.project_id,
                    prj["name"],
                    k.name,
                    k.unit or None,
                    fy_column(fy),
                    k.targets.get(fy, "（目標なし）"),
                    printed,
                    note,
                    "、".join(prj["lead"]),
                ]
                if with_plan_id:
                    row.append(p.plan_id)
                ws.append(row)
                rows += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path, rows
