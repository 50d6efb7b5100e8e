"""指標の詳細: one KPI — target versus actual, the year table, the project behind it."""

import pandas as pd
import streamlit as st

from kpi import outlook
from kpi.dashboard import department_names, kpi_history, projects_of_kpi
from kpi.final_review import revision_table
from kpi.fiscal import fy_label
from kpi.status import UPLOAD_KIND_WORDS, badge_text
from ui import badges, context, downloads
from ui import charts as ui_charts
from ui.format import format_value, kpi_flags, md, percent_text, target_words
from ui.provisional import year_badge
from ui.tables import show_table
from ui.url_state import url_selectbox

ctx = context.current()
data, sel = ctx.data, ctx.selection
kpis = data.kpis.set_index("kpi_id")
names = kpis["kpi_name"].to_dict()
drawable = data.chartable_kpis()
numeric = data.numeric_target_kpis()

st.title("指標の詳細")
# The KPI lives in the URL (?kpi=2-3-1-1) so that a link opens it; the filters narrow the list.
options = sel.kpi_ids or list(kpis.index)
if not sel.kpi_ids:
    st.info("絞り込みに合う指標がないため、すべての指標から選べます。")
kpi_id = url_selectbox(
    "指標（番号や名前で検索できます）",
    options,
    param="kpi",
    key="kpi_pick",
    format_func=lambda k: f"{k}　{names[k]}",
    extra=list(names),
    # Open on a KPI with a numeric target, not on a text-only one.
    default=next((k for k in options if k in numeric), None),
)

kpi = kpis.loc[kpi_id]
history = kpi_history(data, kpi_id)
this_year = history[history["fiscal_year"] == sel.fiscal_year].iloc[0]
unit = str(kpi["unit"])

st.header(f"{md(kpi_id)}　{md(kpi['kpi_name'])}", anchor=False)
c1, c2, c3 = st.columns([2, 2, 3])
with c1:
    st.markdown(f"**{fy_label(sel.fiscal_year)} の評価**")
    badges.grade_badge(this_year["grade"])
    year_badge(data, sel.fiscal_year)
c2.metric(
    "実績",
    md(format_value(this_year["actual_value"], unit)),
    help="年度末時点の値（累積指標は計画開始からの合計）",
)
c3.metric(
    "目標",
    md(
        target_words(
            this_year["target_text"], this_year["target_value"], this_year["comparator"], unit
        )
    )
    or "―",
)
st.caption(
    f"単位: {md(unit) or 'なし'}　｜　{md(kpi_flags(kpi['direction'], bool(kpi['cumulative'])))}"
)

if kpi_id in drawable:
    ui_charts.show(
        ui_charts.kpi_figure(ctx.plan_id, kpi_id, outlook_year=sel.fiscal_year),
        key="detail-chart",
        alt=f"{kpi['kpi_name']}の年度別の目標と実績",
    )
else:
    st.info(
        "この指標の目標は文章で示されているため（評価対象外）、グラフはありません。"
        "年度ごとの目標は下の表のとおりです。",
        icon=":material/notes:",
    )

# 見込み (issue #15): will the final target be reached on the present trend? A forecast.
forecast = outlook.row(data.outlook, kpi_id, sel.fiscal_year)
if forecast is not None and forecast["outlook_grade"] != outlook.NOT_GRADED:
    with st.container(border=True, key="outlook"):
        st.markdown(f"**{fy_label(sel.fiscal_year)} 時点の{md(outlook.heading(forecast))}**")
        st.markdown(md(outlook.describe(forecast, unit)))
        fictional = "（架空のサンプルデータを含みます）" if forecast["is_sample"] else ""
        st.caption(outlook.METHOD_NOTE + fictional)  # text-safe: constants

st.subheader("年度別", anchor=False)
table = pd.DataFrame(
    {
        "年度": [fy_label(int(y)) for y in history["fiscal_year"]],
        "目標値": [
            target_words(t, v, c, unit) or "―"
            for t, v, c in zip(
                history["target_text"], history["target_value"], history["comparator"], strict=True
            )
        ],
        "実績": [format_value(v, unit) for v in history["actual_value"]],
        "達成率": history["achievement_rate"].map(percent_text),
        "評価": [badge_text(g) for g in history["grade"]],
        # what the trend said as of that year (blank from the final year on: its grade decides)
        "見込み（その年度時点）": outlook.export_columns(history, data.outlook)["outlook"].tolist(),
        "担当課のコメント（備考）": history["note"].fillna(""),
        "目標（計画の表記）": history["target_text"].fillna("―"),
        "データ区分": history["upload_kind"].map(UPLOAD_KIND_WORDS).fillna(""),
    }
)
# Short columns first and the long texts capped, so that 実績 and 評価 are seen without scrolling.
show_table(
    table,
    hide_index=True,
    column_config={
        "目標値": st.column_config.TextColumn(width="small"),
        "担当課のコメント（備考）": st.column_config.TextColumn(width="medium"),
        "目標（計画の表記）": st.column_config.TextColumn(width="medium"),
    },
)
downloads.download_table(
    table, f"指標_{kpi_id}", key="kpi-years", title=f"{kpi_id} {kpi['kpi_name']}"
)

revisions = data.revisions[data.revisions["kpi_id"] == kpi_id] if len(data.revisions) else None
if revisions is not None and len(revisions):  # 中間見直し: the original target and why (#14)
    st.subheader("目標値の見直し", anchor=False)
    st.caption("グラフの灰色の印は見直し前（当初）の目標値です。評価は見直し後の目標値で行います。")
    show_table(revision_table(revisions), hide_index=True)

st.subheader("指標の考え方", anchor=False)
st.markdown(md(kpi["rationale"]) or "（記載なし）")

st.subheader("事業", anchor=False)
departments = department_names(data)
projects = data.projects.set_index("project_id")
for row in projects_of_kpi(data, kpi_id).itertuples():
    project = projects.loc[row.project_id]
    origin = project["relisted_from"]
    relisted = f"　【再掲】（{origin} から）" if isinstance(origin, str) else ""
    with st.container(border=True):
        st.markdown(f"**{md(row.project_id)}　{md(row.project_name)}**{md(relisted)}")
        st.caption(
            f"基本方針{row.policy_no:d} {md(row.policy_name)} ＞ {md(row.measure_id)} "
            f"{md(row.measure_name)}"
        )
        lead = departments.loc[row.project_id, "lead"]
        related = departments.loc[row.project_id, "related"] or "なし"
        st.markdown(f"主管課等: {md(lead)}　｜　関係課等: {md(related)}")
        with st.expander("概要と目指すもの"):
            st.markdown("**概要**  \n" + md(project["overview"]))
            st.markdown("**目指すもの**  \n" + md(project["aims"]))
        st.page_link(
            "views/projects.py",
            query_params={"project": row.project_id},
            label="事業の詳細（取組と指標）",
            icon=":material/list_alt:",
        )
