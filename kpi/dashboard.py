"""What the pages show, as pure functions over one plan's data: filtering and summaries.

A plan is small (tens of KPIs, five years), so it is loaded once per database version and
filtered in memory; summaries count each KPI once even when a relisted project prints it
again under another measure or policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kpi import outlook as outlook_rows
from kpi.fiscal import era_name
from kpi.status import (
    ALL_GRADES,
    COMPARATOR_EXPORT_WORDS,
    GRADED,
    UPLOAD_KIND_WORDS,
    Summary,
    badge_text,
    summarise,
)


@dataclass(frozen=True)
class Filters:
    """The analyst's filters: they combine (AND across kinds, OR within a kind)."""

    policies: tuple[int, ...] = ()
    measures: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    fiscal_year: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.policies or self.measures or self.departments or self.grades)

    def describe(self) -> str:
        """「基本方針: 2、部署: 人事課」 or 「絞り込みなし」 (the fiscal year is shown apart)."""
        parts = []
        if self.policies:
            parts.append("基本方針: " + "・".join(str(p) for p in self.policies))
        if self.measures:
            parts.append("事業推進計画: " + "・".join(self.measures))
        if self.departments:
            parts.append("部署: " + "・".join(self.departments))
        if self.grades:
            parts.append("評価: " + "・".join(badge_text(g) for g in self.grades))
        return "、".join(parts) if parts else "絞り込みなし"


@dataclass
class PlanData:
    plan: dict
    status: pd.DataFrame  # one row per KPI and fiscal year (kpi_status + KPI fields)
    listings: pd.DataFrame  # (kpi_id, project_id, relisted, measure, policy)
    projects: pd.DataFrame
    departments: pd.DataFrame  # (project_id, department, role, seq)
    activities: pd.DataFrame
    sample_current: bool = False
    years: list[int] = field(default_factory=list)
    # kpi_outlook of the plan: every KPI and as-of year (kpi/outlook.py, issue #15)
    outlook: pd.DataFrame = field(default_factory=outlook_rows.empty)

    def __post_init__(self) -> None:
        self.years = list(range(int(self.plan["start_fy"]), int(self.plan["end_fy"]) + 1))

    @property
    def kpis(self) -> pd.DataFrame:
        """One row per KPI, in printed order."""
        cols = [
            "kpi_id",
            "kpi_name",
            "unit",
            "direction",
            "cumulative",
            "rationale",
            "home_project_id",
            "kpi_seq",
        ]
        return self.status[cols].drop_duplicates("kpi_id").reset_index(drop=True)

    def latest_year_with_actuals(self) -> int:
        """The default year of the home page: the newest with any actual, else the newest
        year that has ended (it has 未報告 KPIs), else the first year of the plan."""
        years = self.status.loc[self.status["actual_value"].notna(), "fiscal_year"]
        if len(years):
            return int(years.max())
        ended = self.status.loc[self.status["grade"] == "未報告", "fiscal_year"]
        return int(ended.max()) if len(ended) else self.years[0]

    def chartable_kpis(self) -> set[str]:
        """KPIs with a numeric target or an actual in some year: the others have only text."""
        s = self.status
        drawable = s["target_value"].notna() | s["actual_value"].notna()
        return set(s.loc[drawable, "kpi_id"])

    def numeric_target_kpis(self) -> set[str]:
        """KPIs with a numeric target in some year: the ones that can be graded."""
        s = self.status
        return set(s.loc[s["target_value"].notna(), "kpi_id"])

    def text_targets(self, kpi_id: str) -> list[str]:
        s = self.status
        return list(s.loc[s["kpi_id"] == kpi_id, "target_text"].dropna().unique())

    def department_options(self) -> list[str]:
        d = self.departments
        return list(dict.fromkeys(d.sort_values(["role", "seq"])["department"]))


@dataclass
class Selection:
    kpi_ids: list[str]  # in printed order
    project_ids: list[str]
    status: pd.DataFrame  # all years of the selected KPIs
    year_status: pd.DataFrame  # the selected fiscal year, one row per KPI
    fiscal_year: int


def projects_of_departments(data: PlanData, departments: tuple[str, ...]) -> set[str]:
    d = data.departments
    return set(d.loc[d["department"].isin(departments), "project_id"])


def select(data: PlanData, f: Filters) -> Selection:
    """Apply the filters. Policy/measure/department pick projects (and the KPIs printed
    under them); the grade filter keeps KPIs whose grade in the chosen year matches."""
    fy = f.fiscal_year if f.fiscal_year in data.years else data.latest_year_with_actuals()
    projects = data.projects
    keep = pd.Series(True, index=projects.index)
    if f.policies:
        keep &= projects["policy_no"].isin(f.policies)
    if f.measures:
        keep &= projects["measure_id"].isin(f.measures)
    if f.departments:
        keep &= projects["project_id"].isin(projects_of_departments(data, f.departments))
    project_ids = list(projects.loc[keep, "project_id"])
    listed = data.listings[data.listings["project_id"].isin(project_ids)]
    kpi_ids = list(dict.fromkeys(listed["kpi_id"]))
    year = data.status[(data.status["fiscal_year"] == fy) & data.status["kpi_id"].isin(kpi_ids)]
    if f.grades:
        year = year[year["grade"].isin(f.grades)]
        kpi_ids = [k for k in kpi_ids if k in set(year["kpi_id"])]
        with_kpi = set(listed.loc[listed["kpi_id"].isin(kpi_ids), "project_id"])
        project_ids = [p for p in project_ids if p in with_kpi]
    order = {k: i for i, k in enumerate(kpi_ids)}
    status = data.status[data.status["kpi_id"].isin(kpi_ids)]
    year = year.sort_values("kpi_id", key=lambda s: s.map(order)).reset_index(drop=True)
    return Selection(kpi_ids, project_ids, status.reset_index(drop=True), year, fy)


def headline(sel: Selection) -> Summary:
    return summarise(sel.year_status)


def _grade_table(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts per grade for each group, each KPI once per group."""
    one = rows.drop_duplicates([*keys, "kpi_id"])
    table = pd.crosstab([one[k] for k in keys], one["grade"]).reindex(
        columns=list(ALL_GRADES), fill_value=0
    )
    table["指標数"] = table.sum(axis=1)
    graded = table[list(GRADED)].sum(axis=1)
    table["評価済"] = graded
    table["達成率(A)"] = (table["A"] / graded.where(graded > 0) * 100).round(1)
    return table.reset_index()


def by_policy(data: PlanData, sel: Selection) -> pd.DataFrame:
    rows = sel.year_status.merge(
        data.listings[["kpi_id", "project_id", "policy_no", "policy_name"]], on="kpi_id"
    )
    rows = rows[rows["project_id"].isin(sel.project_ids)]
    return _grade_table(rows, ["policy_no", "policy_name"])


def by_department(
    data: PlanData, sel: Selection, roles: tuple[str, ...] = ("lead", "related")
) -> pd.DataFrame:
    d = data.departments[data.departments["role"].isin(roles)]
    rows = sel.year_status.merge(data.listings[["kpi_id", "project_id"]], on="kpi_id").merge(
        d[["project_id", "department"]], on="project_id"
    )
    rows = rows[rows["project_id"].isin(sel.project_ids)]
    if rows.empty:
        return pd.DataFrame(columns=["department", *ALL_GRADES, "指標数", "評価済", "達成率(A)"])
    return _grade_table(rows, ["department"]).sort_values(
        ["指標数", "department"], ascending=[False, True]
    )


def kpi_history(data: PlanData, kpi_id: str) -> pd.DataFrame:
    """Every fiscal year of one KPI, in order."""
    return data.status[data.status["kpi_id"] == kpi_id].sort_values("fiscal_year")


def projects_of_kpi(data: PlanData, kpi_id: str) -> pd.DataFrame:
    return data.listings[data.listings["kpi_id"] == kpi_id]


def kpis_of_project(data: PlanData, project_id: str) -> list[str]:
    return list(data.listings.loc[data.listings["project_id"] == project_id, "kpi_id"])


STATUS_COLUMNS = {
    "policy_no": "基本方針",
    "measure_id": "事業推進計画",
    "project_id": "事業番号",
    "project_name": "事業名",
    "lead": "主管課等",
    "related": "関係課等",
    "kpi_id": "指標ID",
    "kpi_name": "指標名",
    "unit": "単位",
    "fiscal_year": "年度",
    "target_text": "目標値（計画の表記）",
    "target_value": "目標値",
    "comparator": "比較",
    "actual_value": "実績値",
    "achievement_rate": "達成率(%)",
    "grade": "評価",
    "outlook": "見込み（その年度時点）",
    "projected_value": "見込み値（最終年度）",
    "note": "備考",
    "listed_under": "掲載事業",
    "source": "データ区分",
}


def status_table(data: PlanData, sel: Selection, *, all_years: bool = True) -> pd.DataFrame:
    """The status table that downloads and exports show: one row per KPI and year, with the
    project the KPI is stored under and every project that prints it (再掲)."""
    rows = sel.status if all_years else sel.year_status
    home = data.projects.set_index("project_id")
    listed = data.listings.groupby("kpi_id")["project_id"].agg(lambda s: "、".join(s))
    departments = department_names(data)  # who to ask about a KPI (issue #10)
    out = rows.assign(
        lead=rows["home_project_id"].map(departments["lead"]),
        related=rows["home_project_id"].map(departments["related"]),
        project_id=rows["home_project_id"],
        project_name=rows["home_project_id"].map(home["project_name"]),
        measure_id=rows["home_project_id"].map(home["measure_id"]),
        policy_no=rows["home_project_id"].map(home["policy_no"]),
        listed_under=rows["kpi_id"].map(listed),
        achievement_rate=rows["achievement_rate"].round(1),
        comparator=rows["comparator"].map(COMPARATOR_EXPORT_WORDS),
        source=rows["upload_kind"].map(UPLOAD_KIND_WORDS),
    )
    out = outlook_rows.export_columns(out, data.outlook)
    return out[list(STATUS_COLUMNS)].rename(columns=STATUS_COLUMNS).reset_index(drop=True)


@dataclass(frozen=True)
class Screen:
    """One screen of the council (庁議) presentation."""

    title: str
    policy_no: int | None = None  # None: the title screen with the headline figures
    kpi_ids: tuple[str, ...] = ()
    part: int = 1
    parts: int = 1
    kind: str = "policy"  # "summary", "attention" (要対応), "changes" (前年度比) or "policy"
    relisted: frozenset[str] = frozenset()  # KPIs shown here only under a relisted project


def council_screens(
    data: PlanData,
    sel: Selection,
    per_screen: int = 6,
    attention: list[str] | None = None,
    attention_per_screen: int = 5,
) -> list[Screen]:
    """A title screen, 要対応 (the KPIs of `attention`, in that order, a few per screen; one
    screen saying there are none) and 前年度比 (issue 12: what failed comes first), then one
    screen per basic policy; a policy with more KPIs than fit a projector at a readable size
    continues on further screens (基本方針2（2/3）)."""
    screens = [Screen("概況", kind="summary")]
    ids = list(attention or [])
    chunks = [ids[i : i + attention_per_screen] for i in range(0, len(ids), attention_per_screen)]
    for part, chunk in enumerate(chunks or [[]], start=1):
        suffix = f"（{part}/{len(chunks)}）" if len(chunks) > 1 else ""
        screens.append(
            Screen(f"要対応の指標{suffix}", None, tuple(chunk), part, len(chunks), "attention")
        )
    screens.append(Screen("前年度からの評価の変化", kind="changes"))
    listed = data.listings[
        data.listings["kpi_id"].isin(sel.kpi_ids)
        & data.listings["project_id"].isin(sel.project_ids)
    ]
    for policy_no, group in listed.groupby("policy_no", sort=True):
        ids = list(dict.fromkeys(group["kpi_id"]))
        originals = set(group.loc[~group["relisted"].astype(bool), "kpi_id"])
        relisted = frozenset(group.loc[group["relisted"].astype(bool), "kpi_id"]) - originals
        chunks = [ids[i : i + per_screen] for i in range(0, len(ids), per_screen)] or [[]]
        for part, chunk in enumerate(chunks, start=1):
            suffix = f"（{part}/{len(chunks)}）" if len(chunks) > 1 else ""
            screens.append(
                Screen(
                    f"基本方針{policy_no}{suffix}　{group['policy_name'].iloc[0]}",
                    int(policy_no),
                    tuple(chunk),
                    part,
                    len(chunks),
                    relisted=relisted & set(chunk),
                )
            )
    return screens


def outline(data: PlanData, sel: Selection) -> pd.DataFrame:
    """The plan tree of the selected projects: one row per project entry, with its KPI count
    (a relisted project counts the KPIs it prints) and lead departments."""
    projects = data.projects[data.projects["project_id"].isin(sel.project_ids)]
    counts = data.listings.groupby("project_id").size()
    d = data.departments
    lead = d[d["role"] == "lead"].groupby("project_id")["department"].agg("、".join)
    return projects.assign(
        kpi_count=projects["project_id"].map(counts).fillna(0).astype(int),
        lead_departments=projects["project_id"].map(lead).fillna(""),
    )


def department_names(data: PlanData) -> pd.DataFrame:
    """Per project: lead and related departments as printed, joined with 、."""
    d = data.departments.sort_values(["project_id", "role", "seq"])
    joined = d.groupby(["project_id", "role"])["department"].agg("、".join).unstack("role")
    joined = joined.reindex(columns=["lead", "related"]).fillna("")
    return joined.reindex(data.projects["project_id"]).fillna("")


def roadmap(data: PlanData, project_id: str) -> pd.DataFrame:
    """The yearly roadmap of a project: one row per activity, the text printed in each year's
    cell (blank where the source does not say, since the printed arrows were lost)."""
    acts = data.activities[data.activities["project_id"] == project_id]
    rows = []
    for _seq, group in acts.groupby("seq", sort=True):
        known = group.dropna(subset=["fiscal_year"])
        row = {"取組内容": group["label"].iloc[0]}
        notes = dict(zip(known["fiscal_year"].astype(int), known["note"], strict=True))
        row.update({era_name(fy): notes.get(fy, "") for fy in data.years})
        row["備考"] = "" if len(known) else "実施年度は資料から読み取れません"
        rows.append(row)
    return pd.DataFrame(rows)
