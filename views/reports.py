"""報告書・データ出力: the PDF report for the council and the files, for the current filters."""

import streamlit as st

from etl.export import export_bytes
from etl.provenance import source_lines
from etl.publish.site import build_site, site_zip
from etl.report import build_report
from kpi import service
from kpi.fiscal import fy_label
from ui import context, plan_cache
from ui.format import md

ctx = context.current()
data, sel, settings = ctx.data, ctx.selection, ctx.settings

st.title("報告書・データ出力")
st.markdown(
    f"**{md(data.plan['name'])}　{fy_label(sel.fiscal_year)}**　｜　{md(ctx.filters.describe())}  \n"
    f"対象: {len(sel.project_ids)} 事業・{len(sel.kpi_ids)} 指標（サイドバーの年度と絞り込みが反映されます）"
)
if data.sample_current:
    st.caption("サンプル（架空）の値が表示中のため、報告書の表紙と各ページに注意書きが入ります。")


# Read here, inside the page's error boundary (once per database version): the files below
# are written on click, when Streamlit runs the builder outside the page and could only say
# "Failed to generate file".
SOURCES = plan_cache.cached(
    ctx.plan_id,
    ("report-sources",),
    lambda: source_lines(service.upload_history(settings, ctx.plan_id), data),
)


def pdf() -> bytes:
    return build_report(
        data, ctx.filters, as_of=settings.today(), sources=SOURCES, grading=settings.grading
    )


def excel() -> bytes:
    return export_bytes(data, ctx.filters, "xlsx", as_of=settings.today(), sources=SOURCES)


def csv() -> bytes:
    return export_bytes(data, ctx.filters, "csv", as_of=settings.today())


name = f"{data.plan['plan_id']}_{sel.fiscal_year}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES = [  # title and contents, button, builder, file name, MIME type, icon
    (
        "**庁議用 報告書（PDF）**  \n表紙・基本方針別の集計・事業ごとのグラフと年度表。作成に数秒かかります。",
        "PDF をダウンロード",
        pdf,
        f"報告書_{name}.pdf",
        "application/pdf",
        "picture_as_pdf",
    ),
    (
        "**評価一覧（Excel）**  \n評価一覧・全年度・基本方針別・部署別・出力条件のシート。",
        "Excel をダウンロード",
        excel,
        f"評価一覧_{name}.xlsx",
        XLSX,
        "table_view",
    ),
    (
        "**全年度の評価（CSV）**  \nUTF-8（BOM 付き）。Excel でそのまま開けます。",
        "CSV をダウンロード",
        csv,
        f"評価_{name}.csv",
        "text/csv",
        "download",
    ),
]
for col, (text, label, build, file_name, mime, icon) in zip(st.columns(3), FILES, strict=True):
    with col, st.container(border=True):
        st.markdown(text)  # text-safe: the constant FILES above
        st.download_button(  # text-safe: the constant FILES above
            label,
            build,
            file_name=file_name,
            mime=mime,
            icon=f":material/{icon}:",
            on_click="ignore",
            key=f"dl-{file_name.rsplit('.', 1)[1]}",
            type="primary" if mime == "application/pdf" else "secondary",
        )
st.caption(
    "Excel で開いても、取り込まれた文字が計算式として動くことはありません（文字として保存しています）。"
)


# ---------------------------------------------------------------- public site (issue #16)
st.header("公表用サイト（zip）", anchor=False)
st.markdown(
    f"市のウェブサイトに載せる静的なページ一式です（{fy_label(sel.fiscal_year)}、計画全体。"
    "サイドバーの絞り込みは反映しません）。トップページ・基本方針ごとのページ・CSV・PDF を含み、"
    "ネットワークなしでも表示できます。アクセシビリティ（JIS X 8341-3:2016 AA）を確認済みです。"
)
with_comments = st.checkbox(
    "担当課のコメント（備考）を載せる",
    key="site-comments",
    help="コメントは庁内向けの場合があるため、既定では載せません。",
)
allow_sample = False
if data.sample_current:
    allow_sample = st.checkbox(
        "架空のサンプルデータを含めて作る（試用のみ。全ページに「架空」と表示されます）",
        key="site-sample",
    )
    if not allow_sample:
        st.caption(
            "架空のサンプルデータが表示中のため、公表用には作れません。実際の実績を取り込むか、"
            "試用として作る場合は上のチェックを入れてください。"
        )


def site() -> bytes:
    files = build_site(
        data,
        fiscal_year=sel.fiscal_year,
        as_of=settings.today(),
        sources=SOURCES,
        grading=settings.grading,
        report=lambda d, f: build_report(
            d, f, as_of=settings.today(), sources=SOURCES, grading=settings.grading
        ),
        with_comments=with_comments,
        allow_sample=allow_sample,
    )
    return site_zip(files, f"公表_{name}")


st.download_button(
    "公表用サイトをダウンロード（zip）",
    site,
    file_name=f"公表_{name}.zip",
    mime="application/zip",
    icon=":material/public:",
    on_click="ignore",
    key="dl-site",
    disabled=data.sample_current and not allow_sample,
)
