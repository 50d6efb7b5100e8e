"""総括: the evaluation of a plan's whole period (#14), for the page and the PDF.

Pure functions over one plan's PlanData. Per KPI: the first reported value, the final
year's actual against the final year's target, the grade of every year, and the years
achieved (A) out of the years evaluated (graded A-D). Per 基本方針 and 事業推進計画: the
distribution of final grades, each KPI once per group. Per project: the last 今後の方向性
recorded, which decides 継続 / 完了 / 廃止 for the next plan.

The final grade of a KPI is its grade in the plan's last fiscal year (未報告 when that
year ended without a value, 対象年度前 while it runs): the 総括 judges where the plan ended.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpi.charts import format_value
from kpi.dashboard import PlanData
from kpi.fiscal import fy_label
from kpi.status import ALL_GRADES, GRADED, badge_text

KPI_COLUMNS = [
    "kpi_id",
    "kpi_name",
    "unit",
    "policy_no",
    "measure_id",
    "project_id",
    "first_year",
    "first_value",
    "final_year",
    "final_target_text",
    "final_target_value",
    "final_actual",
    "final_grade",
    "years_met",
    "years_evaluated",
    "is_sample",
]


@dataclass
class FinalReview:
    plan: dict
    years: list[int]
    kpis: pd.DataFrame  # KPI_COLUMNS, one row per KPI in printed order
    grades: pd.DataFrame  # kpi_id x fiscal year -> grade (every year of the plan)
    policies: pd.DataFrame  # policy_no, policy_name, one column per grade, 指標数
    measures: pd.DataFrame  # measure_id, measure_name, policy_no, grades, 指標数
    projects: pd.DataFrame  # project_id, project_name, measure_id, direction, direction_year
    revisions: pd.DataFrame  # targets revised during the period (kpi_target_revisions)
    sample: bool  # fictional sample values are part of it (DESIGN 8)

    @property
    def final_year(self) -> int:
        return self.years[-1]

    def final_counts(self) -> dict[str, int]:
        return {g: int((self.kpis["final_grade"] == g).sum()) for g in ALL_GRADES}


def _distribution(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Final grades per group, each KPI once per group (a 再掲 does not count twice)."""
    one = rows.drop_duplicates([*keys, "kpi_id"])
    if one.empty:
        return pd.DataFrame(columns=[*keys, *ALL_GRADES, "指標数", "評価済", "達成(A)の割合"])
    table = pd.crosstab([one[k] for k in keys], one["final_grade"]).reindex(
        columns=list(ALL_GRADES), fill_value=0
    )
    table["指標数"] = table.sum(axis=1)
    graded = table[list(GRADED)].sum(axis=1)
    table["評価済"] = graded
    table["達成(A)の割合"] = (table["A"] / graded.where(graded > 0) * 100).round(1)
    table.columns.name = None
    return table.reset_index()


def final_review(data: PlanData) -> FinalReview:
    s = data.status.sort_values(["kpi_seq", "fiscal_year"])
    final_year = data.years[-1]
    reported = s[s["actual_value"].notna()]
    first = reported.drop_duplicates("kpi_id", keep="first").set_index("kpi_id")
    final = s[s["fiscal_year"] == final_year].drop_duplicates("kpi_id").set_index("kpi_id")
    graded = s[s["grade"].isin(GRADED)]
    evaluated = graded.groupby("kpi_id").size()
    met = graded[graded["grade"] == "A"].groupby("kpi_id").size()
    sample_kpis = set(s.loc[s["upload_kind"] == "sample", "kpi_id"])
    kpis = data.kpis
    home = data.listings[~data.listings["relisted"].astype(bool)].drop_duplicates("kpi_id")
    home = home.set_index("kpi_id")
    rows = []
    for k in kpis.to_dict("records"):
        kid = k["kpi_id"]
        f = final.loc[kid] if kid in final.index else None
        rows.append(
            {
                "kpi_id": kid,
                "kpi_name": k["kpi_name"],
                "unit": k["unit"],
                "policy_no": home["policy_no"].get(kid),
                "measure_id": home["measure_id"].get(kid),
                "project_id": k["home_project_id"],
                "first_year": int(first.loc[kid, "fiscal_year"]) if kid in first.index else None,
                "first_value": first.loc[kid, "actual_value"] if kid in first.index else None,
                "final_year": final_year,
                "final_target_text": None if f is None else f["target_text"],
                "final_target_value": None if f is None else f["target_value"],
                "final_actual": None if f is None else f["actual_value"],
                "final_grade": None if f is None else f["grade"],
                "years_met": int(met.get(kid, 0)),
                "years_evaluated": int(evaluated.get(kid, 0)),
                "is_sample": kid in sample_kpis,
            }
        )
    table = pd.DataFrame(rows, columns=KPI_COLUMNS)
    grades = s.pivot_table(
        index="kpi_id", columns="fiscal_year", values="grade", aggfunc="first"
    ).reindex(index=list(kpis["kpi_id"]), columns=data.years)
    finals = table[["kpi_id", "final_grade"]]
    listed = data.listings.merge(finals, on="kpi_id")
    policies = _distribution(listed, ["policy_no", "policy_name"])
    measures = _distribution(listed, ["policy_no", "measure_id", "measure_name"])
    projects = data.projects[["project_id", "project_name", "measure_id", "relisted_from"]].copy()
    directions = data.project_directions
    if len(directions):
        d = directions.set_index("project_id")
        projects["direction"] = projects["project_id"].map(d["direction"])
        projects["direction_year"] = projects["project_id"].map(d["fiscal_year"])
    else:
        projects["direction"] = None
        projects["direction_year"] = None
    return FinalReview(
        plan=data.plan,
        years=list(data.years),
        kpis=table,
        grades=grades,
        policies=policies,
        measures=measures,
        projects=projects.reset_index(drop=True),
        revisions=data.revisions,
        sample=bool(sample_kpis) or data.sample_current,
    )


# ---------------------------------------------------------------- tables as people read them
# The page and its downloads show these (Japanese headers, grades as symbol + words).


def kpi_table(review: FinalReview) -> pd.DataFrame:
    k = review.kpis
    table = pd.DataFrame(
        {
            "指標ID": [
                ("※" if s else "") + i for i, s in zip(k["kpi_id"], k["is_sample"], strict=True)
            ],
            "指標名": k["kpi_name"],
            "初回実績": [
                f"{format_value(v, u)}（{fy_label(int(y))}）" if pd.notna(y) else "―"
                for v, u, y in zip(k["first_value"], k["unit"], k["first_year"], strict=True)
            ],
            "最終年度の目標": k["final_target_text"].fillna("―"),
            "最終年度の実績": [
                format_value(v, u) for v, u in zip(k["final_actual"], k["unit"], strict=True)
            ],
            "最終評価": k["final_grade"].map(badge_text),
        }
    )
    for y in review.years:
        table[fy_label(y)] = [badge_text(review.grades.loc[i, y]) for i in k["kpi_id"]]
    table["達成年数/評価年数"] = [
        f"{m} / {e}" for m, e in zip(k["years_met"], k["years_evaluated"], strict=True)
    ]
    return table


def distribution_table(frame: pd.DataFrame, label: str, names: list[str]) -> pd.DataFrame:
    """policies / measures with one label column (`label`) made of `names`."""
    out = frame.copy()
    out.insert(0, label, [" ".join(str(r[n]) for n in names) for r in frame.to_dict("records")])
    return out[[label, *ALL_GRADES, "指標数", "達成(A)の割合"]]


def project_table(review: FinalReview) -> pd.DataFrame:
    p = review.projects
    return pd.DataFrame(
        {
            "事業番号": p["project_id"],
            "事業名": p["project_name"],
            "再掲元": p["relisted_from"].fillna(""),
            "今後の方向性": p["direction"].fillna("記録なし"),
            "記録年度": [fy_label(int(y)) if pd.notna(y) else "" for y in p["direction_year"]],
        }
    )


def revision_table(revisions: pd.DataFrame) -> pd.DataFrame:
    """kpi_target_revisions as people read it (also on the KPI page and in the export)."""
    r = revisions
    if r.empty:
        return pd.DataFrame(
            columns=["指標ID", "年度", "見直し前", "見直し後", "見直し日", "理由", "取込番号"]
        )
    return pd.DataFrame(
        {
            "指標ID": r["kpi_id"],
            "年度": [fy_label(int(y)) for y in r["fiscal_year"]],
            "見直し前": r["target_before_text"].fillna("（なし）"),
            "見直し後": r["target_after_text"].fillna("（削除）"),
            "見直し日": pd.to_datetime(r["revised_at"]).dt.strftime("%Y-%m-%d"),
            "理由": r["reason"].fillna(""),
            "取込番号": r["upload_id"],
        }
    )
