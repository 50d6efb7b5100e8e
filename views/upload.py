"""実績の取込: template, upload with validation and preview, then commit; history and rollback."""

import pandas as pd
import streamlit as st

from etl import operations
from etl.template import write_template
from kpi.fiscal import fy_label
from kpi.status import UPLOAD_KIND_WORDS
from ui import auth, context, errors, plan_cache, plan_upload, problems, round_panels
from ui.downloads import download_table
from ui.format import md
from ui.tables import show_table

ctx = context.current()
settings, data = ctx.settings, ctx.data

st.title("実績の取込")
st.caption(
    f"{md(data.plan['name'])}　｜　年に一度、各課から集めた実績値を Excel ファイルで取り込みます。"
)


# is_sample -> where the value comes from
SOURCE = {True: UPLOAD_KIND_WORDS["sample"], False: UPLOAD_KIND_WORDS["actuals"]}


def value_rows(rows: pd.DataFrame, labels: dict[str, str], columns: dict) -> pd.DataFrame:
    """A table of (KPI, year) values for the preview and the rollback: what happens to each."""
    names = data.kpis.set_index("kpi_id")["kpi_name"]
    head = {
        "区分": rows["status"].map(labels),
        "指標ID": rows["kpi_id"],
        "指標名": rows["kpi_id"].map(names),
        "年度": rows["fiscal_year"].map(fy_label),
    }
    # A missing value reads 「―」, not Streamlit's 「None」 (a new value had none before).
    shown = {
        k: v.map(lambda x: "―" if pd.isna(x) else f"{x:,.15g}")
        if pd.api.types.is_numeric_dtype(v)
        else v
        for k, v in columns.items()
    }
    table = pd.DataFrame(head | shown)
    order = {label: i for i, label in enumerate(labels.values())}
    return table.sort_values("区分", key=lambda s: s.map(order), kind="stable")


def preview_table(preview) -> pd.DataFrame:
    rows = preview.rows
    return value_rows(
        rows,
        {"changed": "変更", "new": "新規", "unchanged": "変更なし"},
        {
            "現在の値": rows["old_value"],
            "新しい値": rows["actual_value"],
            "現在の備考": rows["old_note"].fillna(""),
            "新しい備考": rows["note"].fillna(""),
            "現在の値の出典": rows["old_is_sample"].map(SOURCE),
            "セル": rows["source_cell"],
        },
    )


def unreported_notes_table(preview) -> pd.DataFrame:
    """Comments on rows left blank or 「－」: kept with the upload, shown where comments are."""
    notes = preview.unreported_notes
    names = data.kpis.set_index("kpi_id")["kpi_name"]
    return pd.DataFrame(
        {
            "指標ID": notes["kpi_id"],
            "指標名": notes["kpi_id"].map(names),
            "年度": notes["fiscal_year"].map(fy_label),
            "備考": notes["note"],
            "セル": notes["source_cell"],
        }
    )


def without_value(preview) -> None:
    """The plan's KPIs for which the file gives no value in the year(s) it covers: those left
    blank or 「－」 (未報告), and those missing from a hand-made file. The ICT division chases
    their departments, so they are listed, not only counted."""
    years = sorted(set(preview.rows["fiscal_year"]))
    given = set(zip(preview.rows["kpi_id"], preview.rows["fiscal_year"], strict=True))
    kpis = data.kpis
    missing = pd.DataFrame(
        [
            {"指標ID": k, "指標名": n, "年度": fy_label(int(y))}
            for y in years
            for k, n in zip(kpis["kpi_id"], kpis["kpi_name"], strict=True)
            if (k, y) not in given
        ]
    )
    if missing.empty:
        return
    with st.expander(f"値のない指標（未報告など）: {len(missing):,} 件"):
        show_table(missing, hide_index=True)


def upload_section(user: str) -> None:
    if done := st.session_state.pop("_committed", None):
        st.success(
            f"取り込みました（取込番号 {md(done)}）。ダッシュボードに反映されています。"
            "取り消すには「取込履歴と取消」タブを使います。",
            icon=":material/check_circle:",
        )
    # After a commit the uploader starts empty (a new key): no stale preview, no second commit.
    generation = st.session_state.get("_upload_generation", 0)
    upload = st.file_uploader(
        f"実績ファイル（Excel の .xlsx または LibreOffice の .ods、{settings.limits.max_file_bytes // 1_000_000:d} MB まで）を"
        "ここにドラッグするか、「ファイルを選ぶ」を押してください",
        type=["xlsx", "ods"],
        key="actuals_file" if generation == 0 else f"actuals_file_{generation}",
        help="テンプレート以外の表でも、先頭 20 行以内に「指標ID」「年度」「実績値」の見出しがあれば読めます。",
    )
    if upload is None:
        return
    payload = upload.getvalue()
    preview = operations.preview(settings, payload, upload.name, ctx.plan_id)
    counts = preview.counts
    st.header("取り込む前の確認", anchor=False)
    if preview.already_loaded:
        st.info(
            f"このファイルは取込番号 {preview.already_loaded:d} として取込済みです。"
            "もう一度取り込んでも何も変わりません。"
        )
    c = st.columns(4)
    c[0].metric("新規", f"{counts['new']:,} 件")
    c[1].metric("変更", f"{counts['changed']:,} 件")
    c[2].metric("変更なし", f"{counts['unchanged']:,} 件")
    c[3].metric("未報告（空欄・－）", f"{counts['skipped']:,} 件")
    nothing = counts["new"] + counts["changed"] + counts["unchanged"] == 0
    if nothing:
        # A template downloaded and uploaded again without filling it in.
        st.warning(
            "このファイルには実績値が 1 件も入っていません（空欄や「－」だけです）。"
            "実績値を記入したファイルを選んでください。",
            icon=":material/warning:",
        )
    else:
        without_value(preview)
    if preview.warnings:
        problems.show(preview.warnings, key="upload-warnings")
    table = preview_table(preview)
    if not table.empty:  # an empty table would say 「empty」
        show_table(table, hide_index=True)
        download_table(table, "取込の確認", key="preview")
    round_panels.evaluation_preview(preview)  # 事業評価 (#13)
    if len(preview.unreported_notes):
        st.markdown("**未報告の行に書かれた備考**（値は登録せず、備考だけを保存します）")
        show_table(unreported_notes_table(preview), hide_index=True)
    if not st.button(
        "この内容で取り込む",
        type="primary",
        icon=":material/upload:",
        disabled=bool(preview.already_loaded) or nothing,
        key="commit",
    ):
        return
    result = operations.commit(settings, payload, upload.name, by=user, plan_id=ctx.plan_id)
    if result.written:
        st.session_state["_committed"] = ", ".join(map(str, result.upload_ids))
        st.session_state["_upload_generation"] = generation + 1
        st.rerun()
    else:
        st.info(f"取込番号 {result.already_loaded:d} として取込済みのため、何も変更していません。")


def rollback_effect_table(effect) -> None:
    """What the rollback changes, before the user confirms it."""
    counts = effect.counts
    c = st.columns(3)
    c[0].metric("以前の値に戻る", f"{counts['reverted']:,} 件")
    c[1].metric(
        "値がなくなる", f"{counts['removed']:,} 件", help="この取込より前に値がありません。"
    )
    c[2].metric(
        "変わらない",
        f"{counts['kept']:,} 件",
        help="後の取込が同じ指標・年度の値を持っているため、その値のままです。",
    )
    if effect.evaluations:
        st.caption(
            f"事業評価 {effect.evaluations:d} 件も取り消されます（以前の評価があればそれに戻ります）。"
        )
    rows = effect.rows
    table = value_rows(
        rows,
        {"reverted": "以前の値に戻る", "removed": "値がなくなる", "kept": "変わらない"},
        {
            "現在の値": rows["current_value"],
            "取消後の値": rows["after_value"],
            "取消後の値の出典": rows["after_is_sample"].map(SOURCE),
        },
    )
    show_table(table, hide_index=True)


def rollback_section(history: pd.DataFrame, user: str | None) -> None:
    st.markdown(
        "**取込の取消**　取り消すと、その取込の前の値が再び表示されます。データは削除されません。"
    )
    if done := st.session_state.pop("_rolled_back", None):
        st.success(f"取込番号 {done:d} を取り消しました。", icon=":material/undo:")
        st.session_state["rollback_sure"] = False  # the next rollback needs its own consent
    candidates = history[(history["status"] == "active") & (history["kind"] != "plan")]
    newest = None if candidates.empty else int(candidates["upload_id"].max())
    if st.session_state.get("_rollback_newest") != newest:
        # A commit or a rollback changed the list: offer the newest active upload again.
        st.session_state["_rollback_newest"] = newest
        st.session_state.pop("rollback_target", None)
        st.session_state["rollback_sure"] = False
    if candidates.empty:
        st.caption("取り消せる取込はありません。")
        return
    if user is None:
        st.caption("取り消すには「取込」タブでログインしてください。")
        return
    labels = {
        int(r.upload_id): f"#{r.upload_id} {UPLOAD_KIND_WORDS[r.kind]} {r.filename}"
        f"（{r.uploaded_at:%Y-%m-%d %H:%M}）"
        for r in candidates.sort_values("upload_id", ascending=False).itertuples()
    }
    target = st.selectbox(
        "取り消す取込（新しい順）",
        list(labels),
        format_func=lambda u: labels[u],
        key="rollback_target",
        # another upload chosen: the confirmation was for the previous one
        on_change=lambda: st.session_state.update(rollback_sure=False),
    )
    if target is None:  # never: the list is not empty
        return
    effect = operations.rollback_effect(settings, int(target))
    rollback_effect_table(effect)
    sure = st.checkbox("この取込を取り消します", key="rollback_sure")
    if st.button("取り消す", disabled=not sure, key="rollback", icon=":material/undo:"):
        operations.rollback(settings, int(target), by=user)
        st.session_state["_rolled_back"] = int(target)
        st.rerun()


(tab_upload, tab_template, tab_history, tab_round, tab_correction, tab_lock, tab_plan) = st.tabs(
    ["取込", "テンプレート", "取込履歴と取消", "照会・回答状況", "画面修正", "確定", "計画"]
)
user = auth.uploader()
with tab_upload:
    auth.login_panel()
    if user:
        with errors.boundary(key="upload"):  # a refused file: the rest of the page still shows
            upload_section(user)

with tab_template:
    st.markdown(
        "指標ごとに 1 行のテンプレートです。黄色の「実績値」と「備考」だけを入力し、"
        "そのままアップロードできます。"
    )
    fy = st.selectbox(
        "年度",
        data.years,
        index=data.years.index(ctx.selection.fiscal_year),
        format_func=fy_label,
        key="template_fy",
    )
    # read here, inside the page's error boundary (once per database version); the file is
    # written on click
    source = plan_cache.cached(
        ctx.plan_id,
        ("template-source", fy),
        lambda: operations.template_source(settings, ctx.plan_id, fy),
    )
    st.download_button(
        "テンプレートをダウンロード",
        lambda: write_template(source, today=settings.today()),
        file_name=f"実績入力_{fy}.xlsx",
        icon=":material/download:",
        on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

with tab_history:
    history = operations.history(settings, ctx.plan_id)
    shown = pd.DataFrame(
        {
            "取込番号": history["upload_id"],
            "種別": history["kind"].map(UPLOAD_KIND_WORDS),
            "ファイル": history["filename"],
            "日時": history["uploaded_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "実行者": history["uploaded_by"],
            "状態": history["status"].map({"active": "有効", "rolled_back": "取消済"}),
            "新規": history["rows_new"],
            "変更": history["rows_changed"],
            "変更なし": history["rows_unchanged"],
            "未報告": history["rows_skipped"],
            "取消日時": history["rolled_back_at"].dt.strftime("%Y-%m-%d %H:%M").fillna(""),
            "取消者": history["rolled_back_by"].fillna(""),
        }
    )
    show_table(shown, hide_index=True)
    download_table(shown, "取込履歴", key="history")
    round_panels.lock_history(ctx)
    with errors.boundary(key="rollback"):
        rollback_section(history, user)

with tab_round:  # the yearly round (#13)
    round_panels.round_section(ctx, user)
with tab_correction:
    round_panels.correction_section(ctx, user)
with tab_lock:
    round_panels.lock_section(ctx, user)
with tab_plan:  # the plan's life (#14): blank plan workbook, new plan or revision, rollback
    plan_upload.plan_tab(settings, user, next_start=int(data.plan["end_fy"]) + 1)
