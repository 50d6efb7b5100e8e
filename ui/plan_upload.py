"""The 計画 tab of the upload page (#14): the blank plan workbook, loading a plan (a new plan or
a revised version, with the reason for revised targets), and rolling a version back.

Self-contained so that views/upload.py adds it with one call; the ICT division's login of
that page applies (ui.auth)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from etl import plan_operations
from etl.plan_template import build_plan_template
from etl.plan_versions import KIND_WORDS, STATE_WORDS, change_table
from kpi.config import Settings
from kpi.fiscal import fy_label
from ui import errors, problems
from ui.downloads import download_table
from ui.format import md
from ui.tables import show_table

T = TypeVar("T")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attempt(action: Callable[[], T], *, key: str) -> T | None:
    """`action()`, or None when it failed: its error is shown by the one boundary."""
    with errors.boundary(key=key):
        return action()
    return None


def _template_section(next_start: int) -> None:
    st.markdown(
        "**空の計画ワークブック**　次期計画を入力するためのひな形です。6 つのシート（計画・基本方針・"
        "事業推進計画・個別事業・取組・評価指標）に、計画期間の年度列、方向と累積の選択肢、"
        "各列の説明があります。"
    )
    c1, c2 = st.columns(2)
    start = c1.number_input(
        "開始年度（西暦）", min_value=2000, max_value=2100, value=next_start, key="plan_tpl_start"
    )
    end = c2.number_input(
        "終了年度（西暦）",
        min_value=int(start),
        max_value=int(start) + 9,
        value=int(start) + 4,
        key="plan_tpl_end",
    )
    st.caption(f"{fy_label(int(start))}〜{fy_label(int(end))}")
    st.download_button(
        "空の計画ワークブックをダウンロード",
        lambda: build_plan_template(int(start), int(end)),
        file_name=f"計画_{int(start)}-{int(end)}.xlsx",
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        key="plan_tpl_download",
    )


def _summary(preview) -> None:
    for pid in preview.plan_ids:
        state = "新しい計画" if pid in preview.new_plans else "既存の計画の新しい版"
        st.markdown(f"計画 **{md(pid)}**：{state}")  # text-safe: state is a constant
    kinds = list(KIND_WORDS)
    cols = st.columns(len(kinds))
    for col, kind in zip(cols, kinds, strict=True):
        parts = [
            f"{STATE_WORDS[s]} {preview.count(kind, s)}"
            for s in STATE_WORDS
            if preview.count(kind, s)
        ]
        col.metric(KIND_WORDS[kind], " / ".join(parts) or "変更なし")  # text-safe: words and counts


def _load_section(settings: Settings, user: str) -> None:
    upload = st.file_uploader(
        "計画ワークブック（.xlsx / .ods）",
        type=["xlsx", "ods"],
        key="plan_file",
        help="空の計画ワークブック、または data/plan.xlsx と同じ形のファイルです。",
    )
    if upload is None:
        return
    payload = upload.getvalue()
    preview = _attempt(
        lambda: plan_operations.preview(settings, payload, upload.name), key="plan-upload"
    )
    if preview is None:
        return
    st.subheader("取り込む前の確認（計画）", anchor=False)
    _summary(preview)
    if preview.warnings:
        problems.show(preview.warnings, key="plan-warnings")
    if not preview.changed:
        st.info("データベースの計画と同じ内容です。取り込んでも何も変わりません。")
        return
    table = change_table(preview.changes, several_plans=len(preview.plan_ids) > 1)
    show_table(table, hide_index=True)
    download_table(table, "計画の変更内容", key="plan-preview")
    reason = ""
    if preview.needs_reason:
        st.warning(
            f"既存の指標の目標値が {len(preview.revisions)} 件変わります（中間見直し）。"
            "当初の目標値は履歴に残ります。見直しの理由を入力してください。",
            icon=":material/history:",
        )
        reason = st.text_area("見直しの理由（必須）", key="plan_reason", max_chars=500)
    if not st.button(
        "この内容で計画を取り込む",
        type="primary",
        icon=":material/upload:",
        disabled=preview.needs_reason and not reason.strip(),
        key="plan_commit",
    ):
        return
    result = _attempt(
        lambda: plan_operations.commit(
            settings, payload, upload.name, by=user, reason=reason or None
        ),
        key="plan-commit",
    )
    if result is not None:
        st.success(  # text-safe: numbers only
            f"計画を取り込みました（取込番号 {', '.join(map(str, result.upload_ids))}）。"
            "取り消すと、前の版に戻ります。",
            icon=":material/check_circle:",
        )


def _rollback_section(settings: Settings, user: str) -> None:
    st.markdown(
        "**計画の版の取消**　取り消すと、その前の版の計画（目標値を含む）に戻ります。"
        "実績と履歴は削除されません。"
    )
    if done := st.session_state.pop("_plan_rolled_back", None):
        st.success(f"取込番号 {done:d} を取り消しました。", icon=":material/undo:")
    versions = plan_operations.versions(settings)
    if versions.empty:
        st.caption("取り消せる計画の版はありません。")
        return
    shown = pd.DataFrame(
        {
            "取込番号": versions["upload_id"],
            "計画ID": versions["plan_id"],
            "版": versions["version_no"],
            "ファイル": versions["filename"],
            "日時": versions["uploaded_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "実行者": versions["uploaded_by"],
            "理由": versions["reason"].fillna(""),
        }
    )
    show_table(shown, hide_index=True)
    labels = {
        int(r.upload_id): f"#{r.upload_id} {r.plan_id} 第{r.version_no}版 {r.filename}"
        for r in versions.itertuples()
    }
    ids: list[int] = list(labels)
    chosen = st.selectbox(
        "取り消す計画の版", ids, format_func=lambda i: labels[i], key="plan_rollback_target"
    )
    if chosen is None:
        return
    target = int(chosen)
    effect = _attempt(
        lambda: plan_operations.rollback_effect(settings, target), key="plan-rollback"
    )
    if effect is None:
        return
    for pid in effect.removed_plans:
        st.warning(f"計画 {md(pid)} は前の版がないため、取り消すと計画の一覧からなくなります。")
    if effect.changes.empty:
        st.caption("取り消しても現在の計画は変わりません（新しい版が有効なため）。")
    else:
        show_table(change_table(effect.changes), hide_index=True)
    sure = st.checkbox("この計画の版を取り消します", key="plan_rollback_sure")
    clicked = st.button("取り消す", disabled=not sure, key="plan_rollback", icon=":material/undo:")
    rolled_back = (
        clicked
        and _attempt(lambda: plan_operations.rollback(settings, target, by=user), key="prb")
        is not None
    )
    if rolled_back:
        st.session_state["_plan_rolled_back"] = target
        st.session_state.pop("plan_rollback_sure", None)
        st.rerun()


def plan_tab(settings: Settings, user: str | None, *, next_start: int) -> None:
    """The whole tab: template for anyone; load and rollback once logged in."""
    _template_section(next_start)
    st.divider()
    if user is None:
        st.caption("計画を取り込む・取り消すには「取込」タブでログインしてください。")
        return
    _load_section(settings, user)
    st.divider()
    _rollback_section(settings, user)
