"""部署別: each department's projects and KPIs, and a comparison across departments."""

import pandas as pd
import streamlit as st

from kpi import charts
from kpi.dashboard import by_department, kpis_of_project
from kpi.fiscal import fy_label
from kpi.status import badge_text
from ui import charts as ui_charts
from ui import context, downloads
from ui.format import format_value, md, percent_text
from ui.provisional import year_badge
from ui.tables import show_table

ctx = context.current()
data, sel = ctx.data, ctx.selection

st.title("部署別")
st.caption(f"{md(ctx.filters.describe())}　｜　評価は {fy_label(sel.fiscal_year)}")
year_badge(ctx.data, sel.fiscal_year)  # 速報 until the year is locked (#13)
role_choice = st.segmented_control(
    "集計する役割",
    ["主管・関係", "主管のみ"],
    default="主管・関係",
    key="dept_roles",
)
roles = ("lead",) if role_choice == "主管のみ" else ("lead", "related")

st.header("部署の比較", anchor=False)
table = by_department(data, sel, roles)
if table.empty:
    st.info("条件に合う指標がありません。")
else:
    top = table.head(25)
    ui_charts.show(
        charts.grade_bars(top, "department"), key="dept-bars", alt="部署ごとの評価の内訳（指標数）"
    )
    if len(table) > len(top):
        st.caption(f"グラフは指標数の多い {len(top)} 部署。すべての部署は下の表にあります。")
    shown = table.rename(columns={"department": "部署"})
    show_table(shown.assign(**{"達成率(A)": shown["達成率(A)"].map(percent_text)}), hide_index=True)
    downloads.download_table(shown, f"部署別_{sel.fiscal_year}", key="dept-table")

st.header("部署の事業と指標", anchor=False)
options = data.department_options()
chosen = st.selectbox(
    "部署",
    options,
    key="dept_view",
    index=options.index(ctx.filters.departments[0]) if ctx.filters.departments else 0,
)
d = data.departments
mine = d[(d["department"] == chosen) & d["role"].isin(roles)]
role_words = {"lead": "主管", "related": "関係"}
year = data.status[data.status["fiscal_year"] == sel.fiscal_year].set_index("kpi_id")
rows = []
projects = data.projects.set_index("project_id")
for r in mine.itertuples():
    if r.project_id not in sel.project_ids:
        continue
    keys: list[str | None] = [*kpis_of_project(data, r.project_id)] or [None]
    for k in keys:
        y = year.loc[k] if k else pd.Series(dtype=object)
        rows.append(
            {
                "事業番号": r.project_id,
                "事業名": projects.loc[r.project_id, "project_name"],
                "役割": role_words[r.role],
                "指標ID": k or "",
                "指標名": y["kpi_name"] if k else "（指標なし）",
                "実績": format_value(y["actual_value"], y["unit"]) if k else "",
                "評価": badge_text(y["grade"]) if k else "",
            }
        )
detail = pd.DataFrame(rows)
if detail.empty:
    st.info(
        f"{md(chosen)} の事業・指標のうち、現在の絞り込み（{md(ctx.filters.describe())}）に"
        "合うものはありません。"
    )
else:
    show_table(detail, hide_index=True)
    downloads.download_table(detail, f"部署_{chosen}", key="dept-detail")
