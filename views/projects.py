"""事業一覧: projects with their departments, roadmap and KPIs."""

import pandas as pd
import streamlit as st

from kpi.dashboard import departments_of, kpis_of_project
from kpi.fiscal import era_name, fy_label
from kpi.status import badge_text
from ui import context, downloads
from ui.format import md

ctx = context.current()
data, sel = ctx.data, ctx.selection
year = data.status[data.status["fiscal_year"] == sel.fiscal_year].set_index("kpi_id")
projects = data.projects.set_index("project_id").loc[sel.project_ids].reset_index()

st.title("事業一覧")
st.caption(
    f"{len(projects)} 事業　｜　{ctx.filters.describe()}　｜　評価は {fy_label(sel.fiscal_year)}"
)


def grades_of(project_id: str) -> str:
    ids = [k for k in kpis_of_project(data, project_id) if k in set(sel.kpi_ids)]
    return "、".join(f"{k}: {badge_text(year.loc[k, 'grade'])}" for k in ids) or "指標なし"


table = pd.DataFrame(
    {
        "事業番号": projects["project_id"],
        "事業名": projects["project_name"],
        "事業推進計画": projects["measure_id"] + " " + projects["measure_name"],
        "主管課等": ["、".join(departments_of(data, p, "lead")) for p in projects["project_id"]],
        "関係課等": ["、".join(departments_of(data, p, "related")) for p in projects["project_id"]],
        "再掲": projects["relisted_from"].map(
            lambda r: f"【再掲】{r} から" if isinstance(r, str) else ""
        ),
        "指標数": [len(kpis_of_project(data, p)) for p in projects["project_id"]],
        f"評価（{era_name(sel.fiscal_year)}）": [grades_of(p) for p in projects["project_id"]],
    }
)
st.dataframe(table, hide_index=True)
downloads.download_table(table, "事業一覧", key="projects")

st.subheader("事業ごとの取組と指標", anchor=False)
for project in projects.itertuples():
    relisted = (
        f"【再掲】（{project.relisted_from} から）"
        if isinstance(project.relisted_from, str)
        else ""
    )
    with st.expander(f"{project.project_id}　{project.project_name}{relisted}"):
        st.markdown(
            f"**主管課等**: {md('、'.join(departments_of(data, project.project_id, 'lead')))}"
            f"　｜　**関係課等**: "
            f"{md('、'.join(departments_of(data, project.project_id, 'related')) or 'なし')}"
        )
        st.markdown("**概要**  \n" + md(project.overview))
        st.markdown("**目指すもの**  \n" + md(project.aims))
        acts = data.activities[data.activities["project_id"] == project.project_id]
        if len(acts):
            st.markdown("**年度ごとの取組**")
            roadmap = []
            for _seq, rows in acts.groupby("seq", sort=True):
                entry = {"取組内容": rows["label"].iloc[0]}
                known = rows.dropna(subset=["fiscal_year"])
                for fy in data.years:
                    hit = known[known["fiscal_year"] == fy]
                    entry[era_name(fy)] = hit["note"].iloc[0] if len(hit) else ""
                entry["備考"] = "" if len(known) else "実施年度は資料から読み取れません"
                roadmap.append(entry)
            st.dataframe(pd.DataFrame(roadmap), hide_index=True)
        ids = kpis_of_project(data, project.project_id)
        if ids:
            st.markdown("**評価指標**")
            for k in ids:
                st.page_link(
                    "views/kpi_detail.py",
                    query_params={"kpi": k},
                    label=f"{k} {year.loc[k, 'kpi_name']} — {badge_text(year.loc[k, 'grade'])}",
                    icon=":material/query_stats:",
                )
        else:
            st.caption("この事業には評価指標がありません。")
