"""総括: the evaluation of the plan's whole period, for preparing the next plan (#14)."""

import streamlit as st

from kpi import charts
from kpi.final_review import (
    distribution_table,
    final_review,
    kpi_table,
    project_table,
    revision_table,
)
from kpi.fiscal import fy_label
from kpi.status import badge_text
from ui import charts as ui_charts
from ui import context, downloads
from ui.format import md
from ui.tables import show_table

ctx = context.current()
data = ctx.data
review = final_review(data)

st.title("総括（計画期間の評価）")
st.caption(
    f"{md(data.plan['name'])}　｜　{fy_label(review.years[0])}〜{fy_label(review.final_year)}　｜　"
    f"{ctx.settings.today():%Y年%m月%d日} 時点。最終年度の評価と、期間を通した達成の状況です。"
)
if review.sample:
    st.warning(
        "この総括には **架空のサンプルデータ** が含まれています（指標ID の ※）。",
        icon=":material/science:",
    )

counts = review.final_counts()
cols = st.columns(5)
for col, g in zip(cols, ("A", "B", "C", "D", "未報告"), strict=True):
    col.metric(badge_text(g), f"{counts[g]:d} 指標")
st.caption(  # text-safe: a year and counts
    f"最終年度 {fy_label(review.final_year)} の評価。ほか 評価対象外 {counts['評価対象外']}・"
    f"目標なし {counts['目標なし']}・対象年度前 {counts['対象年度前']}（全 {len(review.kpis)} 指標）"
)

tab_kpi, tab_policy, tab_project, tab_revision = st.tabs(
    ["評価指標", "基本方針・事業推進計画", "個別事業の方向性", "目標値の見直し"]
)

with tab_kpi:
    table = kpi_table(review)
    show_table(table, hide_index=True)
    st.caption(
        "初回実績は最初に報告された値。達成年数は、評価した年度（A〜D）のうち目標を達成（A）した年度の数。"
    )
    downloads.download_table(table, "総括_評価指標", key="final-kpis")

with tab_policy:
    st.subheader("基本方針ごとの最終評価", anchor=False)
    policies = distribution_table(review.policies, "基本方針", ["policy_no", "policy_name"])
    ui_charts.show(
        charts.grade_bars(policies, "基本方針"),
        key="final-policies",
        alt="基本方針ごとの最終評価の内訳",
    )
    show_table(policies, hide_index=True)
    downloads.download_table(policies, "総括_基本方針", key="final-policy-table")
    st.subheader("事業推進計画ごとの最終評価", anchor=False)
    measures = distribution_table(review.measures, "事業推進計画", ["measure_id", "measure_name"])
    show_table(measures, hide_index=True)
    downloads.download_table(measures, "総括_事業推進計画", key="final-measure-table")

with tab_project:
    if review.projects["direction"].isna().all():
        st.info(
            "事業評価の「今後の方向性」はまだ記録されていません。記録されると、事業ごとに最後の方向性"
            "（継続・完了・廃止など）が表示されます。",
            icon=":material/info:",
        )
    projects = project_table(review)
    show_table(projects, hide_index=True)
    downloads.download_table(projects, "総括_個別事業", key="final-projects")

with tab_revision:
    if review.revisions.empty:
        st.info("計画期間中に目標値の見直しはありません。", icon=":material/info:")
    else:
        revisions = revision_table(review.revisions)
        show_table(revisions, hide_index=True)
        downloads.download_table(revisions, "総括_目標値の見直し", key="final-revisions")


def _pdf() -> bytes:
    from etl.final_report import build_final_report  # fpdf2: only when asked

    return build_final_report(review, as_of=ctx.settings.today())


st.download_button(
    "総括を PDF でダウンロード",
    _pdf,
    file_name=f"総括_{ctx.plan_id}.pdf",
    mime="application/pdf",
    icon=":material/picture_as_pdf:",
    on_click="ignore",
)
