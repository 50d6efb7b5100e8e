"""The yearly round (issue #13) on the upload page: department workbooks, many files at once,
the answer board, on-screen corrections and 確定 (lock). Each panel is one function; the page
calls them in its tabs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from etl import round_ops
from etl.actuals_loader import Preview
from etl.correction import value_text
from etl.round_templates import default_deadline
from etl.year_locks import ACTION_WORDS, LOCK, UNLOCK
from kpi import round_status
from kpi.fiscal import fy_label
from ui import errors, plan_cache, problems
from ui.context import PageContext
from ui.downloads import download_table
from ui.format import md
from ui.provisional import year_badge
from ui.tables import show_table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(ctx: PageContext, key: str) -> int:
    years = ctx.data.years
    return int(
        st.selectbox(
            "年度",
            years,
            index=years.index(ctx.selection.fiscal_year),
            format_func=fy_label,
            key=key,
        )
    )


def round_section(ctx: PageContext, user: str | None) -> None:
    """照会票 (zip), 回答状況 and 一括取込."""
    settings = ctx.settings
    fy = _year(ctx, "round_fy")
    year_badge(ctx.data, fy)
    st.subheader("部署別の照会票", anchor=False)
    deadline = st.date_input("提出期限", value=default_deadline(fy), key="round_deadline")
    # read here, inside the page's error boundary (once per database version); the zip is
    # written on click
    source = plan_cache.cached(
        ctx.plan_id, ("round-source", fy), lambda: round_ops.round_source(settings, ctx.plan_id, fy)
    )
    st.download_button(
        "照会票をまとめてダウンロード（zip）",
        lambda: round_ops.templates_zip(
            source, deadline if isinstance(deadline, dt.date) else None, settings.today()
        ),
        file_name=f"照会票_{fy}.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        on_click="ignore",
        key="round_zip",
    )
    st.caption("主管課ごとに「実績」「事業評価」「説明」のシートを持つ Excel ファイルです。")

    st.subheader("回答状況", anchor=False)
    items = round_ops.round_items(settings, ctx.plan_id, fy)
    board = round_status.board(items)
    totals = round_status.totals(board)
    cols = st.columns(3)
    for col, (label, n) in zip(cols, totals.items(), strict=True):
        col.metric(label, f"{n:d} 部署")  # text-safe: labels are constants of round_status
    shown = board.assign(
        受信日時=board["受信日時"].map(
            lambda t: "" if t is None or t != t else f"{pd.Timestamp(t):%Y-%m-%d %H:%M}"
        )
    )
    show_table(shown, hide_index=True, key="round_board")
    download_table(shown, f"回答状況_{fy}", key="round-board")
    st.download_button(
        "未報告一覧（部署別、Excel）",
        lambda: round_ops.unreported_excel(items, fy),
        file_name=f"未報告一覧_{fy}.xlsx",
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        key="round_unreported",
    )

    st.subheader("一括取込", anchor=False)
    if user is None:
        st.caption("取り込むには「取込」タブでログインしてください。")
        return
    uploads = st.file_uploader(
        "各課から届いたファイル（.xlsx、複数可）",
        type=["xlsx"],
        accept_multiple_files=True,
        key="round_files",
    )
    if not uploads:
        return
    files = [(u.name, u.getvalue()) for u in uploads]
    if done := st.session_state.pop("_round_done", None):
        st.success(done, icon=":material/check_circle:")  # text-safe: counts and numbers
        return
    check = None
    with errors.boundary(key="round-check"):
        check = round_ops.check(settings, files, ctx.plan_id)
    if check is None:
        return
    show_table(check.summary(), hide_index=True, key="round_summary")
    for f in check.files:
        if f.problems:
            with st.expander(f"{md(f.filename)}（{len(f.problems)} 件）", expanded=not f.ok):
                problems.show(f.problems, key=f"round-{f.filename}")
    passed = check.passed
    if not passed:
        st.warning("取り込めるファイルがありません。検証結果を各課に返送してください。")
        return
    if st.button(
        f"取込可のファイル {len(passed)} 件を取り込む",
        type="primary",
        icon=":material/upload:",
        key="round_commit",
    ):
        results = None
        with errors.boundary(key="round-commit"):
            results = round_ops.commit_passed(settings, files, ctx.plan_id, by=user)
        if results is None:
            return
        ids = [i for _, r in results for i in r.upload_ids]
        st.session_state["_round_done"] = (
            f"{len(results)} ファイルを取り込みました（取込番号 {', '.join(map(str, ids)) or 'なし'}）。"
        )
        st.rerun()


CORRECTION_KEY = "correction_editor"


def correction_section(ctx: PageContext, user: str | None) -> None:
    """画面修正: a year's values in a table; changed rows go through the reader as a file."""
    if user is None:
        st.caption("修正するには「取込」タブでログインしてください。")
        return
    settings, data = ctx.settings, ctx.data
    fy = _year(ctx, "correction_fy")
    year_badge(data, fy)
    if done := st.session_state.pop("_correction_done", None):
        st.success(done, icon=":material/check_circle:")  # text-safe: counts and numbers
    year = data.status[data.status["fiscal_year"] == fy]
    table = pd.DataFrame(
        {
            "指標ID": year["kpi_id"],
            "指標名": year["kpi_name"],
            "単位": year["unit"].fillna(""),
            "目標値": year["target_text"].fillna(""),
            "実績値": year["actual_value"].map(value_text),
            "備考": year["note"].fillna(""),
        }
    ).reset_index(drop=True)
    st.caption(
        "「実績値」「備考」を直して「確認する」を押してください。ファイルと同じ検証を行い、"
        "取込履歴に「画面修正」として記録されます（取消もできます）。"
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=["指標ID", "指標名", "単位", "目標値"],
        key=CORRECTION_KEY,
    )
    changed = (edited["実績値"].fillna("") != table["実績値"]) | (
        edited["備考"].fillna("") != table["備考"]
    )
    edits = edited[changed]
    if edits.empty:
        return
    frame = pd.DataFrame(
        {
            "kpi_id": edits["指標ID"],
            "kpi_name": edits["指標名"],
            "value": edits["実績値"],
            "note": edits["備考"],
        }
    )
    checked = None
    with errors.boundary(key="correction"):
        checked = round_ops.correction_preview(settings, ctx.plan_id, fy, frame)
    if checked is None:
        return
    payload, preview = checked
    rows = preview.rows
    show_table(
        pd.DataFrame(
            {
                "指標ID": rows["kpi_id"],
                "現在の値": rows["old_value"],
                "新しい値": rows["actual_value"],
                "現在の備考": rows["old_note"].fillna(""),
                "新しい備考": rows["note"].fillna(""),
            }
        ),
        hide_index=True,
        key="correction_preview",
    )
    if preview.warnings:
        problems.show(preview.warnings, key="correction-warnings")
    if st.button(
        "この内容で修正する", type="primary", icon=":material/edit:", key="correction_commit"
    ):
        result = None
        with errors.boundary(key="correction-commit"):
            result = round_ops.correction_commit(settings, ctx.plan_id, payload, by=user)
        if result is None:
            return
        st.session_state["_correction_done"] = (
            f"修正しました（取込番号 {', '.join(map(str, result.upload_ids))}、画面修正）。"
        )
        st.session_state.pop(CORRECTION_KEY, None)
        st.rerun()


def lock_section(ctx: PageContext, user: str | None) -> None:
    """確定 / 確定解除 of a year, with a reason."""
    settings, data = ctx.settings, ctx.data
    locked, _ = round_ops.lock_state(settings, ctx.plan_id)
    state = locked.set_index("fiscal_year")
    show_table(
        pd.DataFrame(
            {
                "年度": [fy_label(y) for y in data.years],
                "状態": [round_status.year_state(data.locked_years, y) for y in data.years],
                "確定の理由": [state["reason"].get(y, "") for y in data.years],
                "確定者": [state["done_by"].get(y, "") for y in data.years],
            }
        ),
        hide_index=True,
        key="lock_table",
    )
    if done := st.session_state.pop("_lock_done", None):
        st.success(done, icon=":material/lock:")  # text-safe: a year and a constant
    if user is None:
        st.caption("確定・確定解除するには「取込」タブでログインしてください。")
        return
    fy = _year(ctx, "lock_fy")
    action = UNLOCK if fy in data.locked_years else LOCK
    st.caption(
        "確定した年度は、ファイルの取込も画面修正も受け付けません（確定解除には理由が必要です）。"
        if action == LOCK
        else "この年度は確定済みです。訂正が必要なときは理由を記録して確定を解除します。"
    )
    reason = st.text_input(
        f"{ACTION_WORDS[action]}の理由", key="lock_reason"
    )  # text-safe: constants
    if st.button(  # text-safe: a year and constants
        f"{fy_label(fy)} を{ACTION_WORDS[action]}する",
        disabled=not reason.strip(),
        icon=":material/lock:" if action == LOCK else ":material/lock_open:",
        key="lock_button",
    ):
        event = None
        with errors.boundary(key="lock"):
            event = round_ops.lock(settings, ctx.plan_id, fy, action=action, reason=reason, by=user)
        if event is None:
            return
        st.session_state["_lock_done"] = f"{fy_label(fy)} を{ACTION_WORDS[action]}しました。"
        st.session_state.pop("lock_reason", None)
        st.rerun()


def lock_history(ctx: PageContext) -> None:
    """Locks and unlocks belong to the history: listed under the uploads."""
    _, events = round_ops.lock_state(ctx.settings, ctx.plan_id)
    if events.empty:
        return
    st.markdown("**確定・確定解除の履歴**")
    table = pd.DataFrame(
        {
            "記録番号": events["event_id"],
            "操作": events["action"].map(ACTION_WORDS),
            "年度": events["fiscal_year"].map(fy_label),
            "理由": events["reason"],
            "実行者": events["done_by"],
            "日時": events["done_at"].dt.strftime("%Y-%m-%d %H:%M"),
        }
    )
    show_table(table, hide_index=True, key="lock_history")
    download_table(table, "確定の履歴", key="lock-history")


def evaluation_preview(preview: Preview) -> None:
    """The 事業評価 a file brings, beside the values of its preview."""
    rows = preview.evaluations
    if rows.empty:
        return
    st.markdown(f"**事業評価 {len(rows)} 件**")
    words = {"new": "新規", "changed": "変更", "unchanged": "変更なし"}
    show_table(
        pd.DataFrame(
            {
                "区分": rows["status"].map(words),
                "事業番号": rows["project_id"],
                "年度": rows["fiscal_year"].map(fy_label),
                "進捗": rows["progress"].fillna(""),
                "今後の方向性": rows["direction"].fillna(""),
                "現在の進捗": rows["old_progress"].fillna(""),
                "セル": rows["source_cell"],
            }
        ),
        hide_index=True,
        key="evaluation_preview",
    )
