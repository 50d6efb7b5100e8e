"""報告書・データ出力: the PDF report for the council and the files, for the current filters."""

import streamlit as st

from etl.report import build_report, export_bytes, source_lines
from kpi import service
from kpi.fiscal import fy_label
from ui import context

ctx = context.current()
data, sel, settings = ctx.data, ctx.selection, ctx.settings

st.title("報告書・データ出力")
st.markdown(
    f"**{data.plan['name']}　{fy_label(sel.fiscal_year)}**　｜　{ctx.filters.describe()}  \n"
    f"対象: {len(sel.project_ids)} 事業・{len(sel.kpi_ids)} 指標（サイドバーの年度と絞り込みが反映されます）"
)
if data.sample_current:
    st.caption("サンプル（架空）の値が表示中のため、報告書の表紙と各ページに注意書きが入ります。")


def sources() -> list[str]:
    return source_lines(service.upload_history(settings, ctx.plan_id), data)


def pdf() -> bytes:
    return build_report(
        data, ctx.filters, as_of=settings.today(), sources=sources(), grading=settings.grading
    )


def excel() -> bytes:
    return export_bytes(data, ctx.filters, "xlsx", as_of=settings.today(), sources=sources())


def csv() -> bytes:
    return export_bytes(data, ctx.filters, "csv", as_of=settings.today())


name = f"{data.plan['plan_id']}_{sel.fiscal_year}"
c1, c2, c3 = st.columns(3)
with c1, st.container(border=True):
    st.markdown(
        "**庁議用 報告書（PDF）**  \n表紙・基本方針別の集計・事業ごとのグラフと年度表。"
        "作成に数秒かかります。"
    )
    st.download_button(
        "PDF をダウンロード",
        pdf,
        file_name=f"報告書_{name}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        key="dl-pdf",
        type="primary",
    )
with c2, st.container(border=True):
    st.markdown("**評価一覧（Excel）**  \n評価一覧・全年度・基本方針別・部署別・出力条件のシート。")
    st.download_button(
        "Excel をダウンロード",
        excel,
        file_name=f"評価一覧_{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        on_click="ignore",
        key="dl-xlsx",
    )
with c3, st.container(border=True):
    st.markdown("**全年度の評価（CSV）**  \nUTF-8（BOM 付き）。Excel でそのまま開けます。")
    st.download_button(
        "CSV をダウンロード",
        csv,
        file_name=f"評価_{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="dl-csv",
    )
st.caption(
    "どのファイルも、= + - @ で始まる文字は数式として実行されないよう処理しています。"
    "コマンドラインでも作れます: `python -m etl report` / `python -m etl export`"
)
