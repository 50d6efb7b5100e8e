"""事業一覧: every project with its departments and grades; one project's roadmap and KPIs."""

import pandas as pd
import streamlit as st

from kpi.dashboard import department_names, kpis_of_project, roadmap
from kpi.fiscal import era_name, fy_label
from kpi.status import badge_text
from ui import context, downloads
from ui.evaluations import evaluation_block
from ui.format import md
from ui.provisional import year_badge
from ui.tables import show_table
from ui.url_state import url_selectbox

ctx = context.current()
data, sel = ctx.data, ctx.selection
year = data.status[data.status["fiscal_year"] == sel.fiscal_year].set_index("kpi_id")
projects = data.projects.set_index("project_id").loc[sel.project_ids]
departments = department_names(data)
listed = data.listings[data.listings["kpi_id"].isin(sel.kpi_ids)]
kpis_shown = listed.groupby("project_id")["kpi_id"].agg(list)
kpis_all = data.listings.groupby("project_id").size()

st.title("事業一覧")
st.caption(
    f"{len(projects)} 事業　｜　{md(ctx.filters.describe())}　｜　評価は {fy_label(sel.fiscal_year)}"
)
year_badge(data, sel.fiscal_year)


def grades_of(project_id: str) -> str:
    ids = kpis_shown.get(project_id, [])
    return "、".join(f"{k}: {badge_text(year.loc[k, 'grade'])}" for k in ids) or "指標なし"


table = pd.DataFrame(
    {
        "事業番号": projects.index,
        "事業名": projects["project_name"].to_numpy(),
        "事業推進計画": (projects["measure_id"] + " " + projects["measure_name"]).to_numpy(),
        "主管課等": departments.loc[projects.index, "lead"].to_numpy(),
        "関係課等": departments.loc[projects.index, "related"].to_numpy(),
        "再掲": [
            f"【再掲】{r} から" if isinstance(r, str) else "" for r in projects["relisted_from"]
        ],
        "指標数": [int(kpis_all.get(p, 0)) for p in projects.index],
        f"評価（{era_name(sel.fiscal_year)}）": [grades_of(p) for p in projects.index],
    }
)
show_table(table, hide_index=True)
downloads.download_table(table, "事業一覧", key="projects")

st.header("事業の詳細", anchor=False)
if projects.empty:
    st.info("条件に合う事業がありません。")
    st.stop()
# The project is in the URL (?project=2-3-1) so that a link opens it.
project_id = url_selectbox(
    "事業（番号や名前で検索できます）",
    list(projects.index),
    param="project",
    key="project_pick",
    format_func=lambda p: f"{p}　{projects.loc[p, 'project_name']}",
)
project = projects.loc[project_id]

with st.container(border=True):
    origin = project["relisted_from"]
    relisted = f"　【再掲】（{origin} から）" if isinstance(origin, str) else ""
    st.markdown(f"### {md(project_id)}　{md(project['project_name'])}{md(relisted)}")
    st.caption(
        f"基本方針{project['policy_no']:d} {md(project['policy_name'])} ＞ "
        f"{md(project['measure_id'])} {md(project['measure_name'])}"
    )
    st.markdown(
        f"**主管課等**: {md(departments.loc[project_id, 'lead'])}　｜　**関係課等**: "
        f"{md(departments.loc[project_id, 'related']) or 'なし'}"
    )
    st.markdown("**概要**  \n" + md(project["overview"]))
    st.markdown("**目指すもの**  \n" + md(project["aims"]))
    plan = roadmap(data, project_id)
    if len(plan):
        st.markdown("**年度ごとの取組**")
        show_table(plan, hide_index=True)
        downloads.download_table(plan, f"取組_{project_id}", key="roadmap")
    evaluation_block(data, project_id)
    ids = kpis_of_project(data, project_id)
    if ids:
        st.markdown("**評価指標**")
        for k in ids:
            st.page_link(
                "views/kpi_detail.py",
                query_params={"kpi": k},
                icon=":material/query_stats:",
                label=f"{md(k)} {md(year.loc[k, 'kpi_name'])} — {badge_text(year.loc[k, 'grade'])}",
            )
    else:
        st.caption("この事業には評価指標がありません。")
