"""Command line of the plan's life (#14): plan-template, load-plan, plan rollbacks.

Registered by etl.cli.build_parser; the output speaks the same language as load-actuals.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from etl.cli_common import require_database, settings_of, write_output
from etl.plan_template import build_plan_template
from etl.plan_versions import (
    KIND_WORDS,
    STATE_WORDS,
    PlanPreview,
    PlanRollbackEffect,
    change_table,
    commit_plan,
    plan_rollback_preview,
    preview_plan,
    rollback_plan_uploads,
)
from etl.problems import problem_rows
from etl.text_table import format_table
from kpi import repository
from kpi.config import Settings
from kpi.errors import KpiError
from kpi.fiscal import fy_column, parse_fiscal_year

EXIT_OK = 0
MAX_SHOWN = 200

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def _print_changes(changes: pd.DataFrame) -> None:
    if changes.empty:
        print("変更はありません。")
        return
    counts = changes.groupby(["kind", "state"]).size()
    parts = [f"{KIND_WORDS[k]} {STATE_WORDS[s]} {int(n)}" for (k, s), n in counts.items()]
    print(" / ".join(parts))
    table = change_table(changes.head(MAX_SHOWN), several_plans=changes["plan_id"].nunique() > 1)
    print(format_table(table.to_dict("records")))
    if len(changes) > MAX_SHOWN:
        print(f"…ほか {len(changes) - MAX_SHOWN} 件")


def _print_preview(preview: PlanPreview) -> None:
    print(f"ファイル: {preview.filename}（sha256 {preview.sha256[:12]}…）")
    for pid in preview.plan_ids:
        state = "新しい計画" if pid in preview.new_plans else "既存の計画の新しい版"
        print(f"計画: {pid}（{state}）")
    _print_changes(preview.changes)
    if preview.needs_reason:
        print(f"\n目標値の見直し {len(preview.revisions)} 件: 理由（--reason）が必要です。")
    if preview.warnings:
        print(f"\n警告 {len(preview.warnings)} 件:")
        rows: list[dict[str, object]] = [dict(r) for r in problem_rows(preview.warnings)]
        print(format_table(rows))


def cmd_plan_template(args: argparse.Namespace) -> int:
    out = Path(args.out)
    data = build_plan_template(args.start, args.end)
    write_output(out, data)
    print(
        f"書き出しました: {out}（{fy_column(args.start)}〜{fy_column(args.end)}、空の計画ワークブック）"
    )
    return EXIT_OK


def cmd_load_plan(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    path = Path(args.file)
    if not path.is_file():
        raise KpiError(f"ファイルが見つかりません: {path}")
    data = path.read_bytes()
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        preview = preview_plan(con, data, path.name, settings=settings)
        _print_preview(preview)
        if not preview.changed:
            print("\nデータベースの計画と同じ内容です。変更はありません。")
            return EXIT_OK
        if args.dry_run:
            print("\n--dry-run のため取り込んでいません（データベースは変更されていません）。")
            return EXIT_OK
        result = commit_plan(
            con, data, path.name, by=args.by, settings=settings, reason=args.reason
        )
    ids = ", ".join(map(str, result.upload_ids))
    print(f"\n計画を取り込みました: 取込番号 {ids}")
    print(f"元に戻すには: python -m etl rollback {' '.join(map(str, result.upload_ids))}")
    return EXIT_OK


def print_plan_rollback(effect: PlanRollbackEffect) -> None:
    for pid in effect.removed_plans:
        print(
            f"計画 {pid} は以前の版がないため、取消後は計画の一覧からなくなります（実績は残ります）。"
        )
    print("取消後の計画（現在 → 取消後）:")
    _print_changes(effect.changes)


def rollback_plans(settings: Settings, ids: list[int], *, by: str, dry_run: bool) -> int:
    """`rollback` for plan uploads: the version before each becomes current again."""
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        if dry_run:
            print_plan_rollback(plan_rollback_preview(con, ids))
            print("\n--dry-run のため取り消していません（データベースは変更されていません）。")
            return EXIT_OK
        effect = rollback_plan_uploads(con, ids, by=by)
    for info in effect.uploads:
        print(
            f"取込番号 {info['upload_id']}（計画 {info['plan_id']}、{info['filename']}）を取り消しました。"
        )
    print_plan_rollback(effect)
    print("履歴は削除されません。取り消した版は plans_versions などに残ります。")
    return EXIT_OK


def _fiscal_year(text: str) -> int:
    fy = parse_fiscal_year(text)
    if fy is None:
        raise argparse.ArgumentTypeError(f"年度を読み取れません: {text}（例: 2026、令和8年度）")
    return fy


def register(add: Add) -> None:
    p = add(
        "plan-template", cmd_plan_template, "空の計画ワークブックを書き出す（次期計画の入力用）"
    )
    p.add_argument(
        "--start", required=True, type=_fiscal_year, help="開始年度（例: 2026、令和8年度）"
    )
    p.add_argument("--end", required=True, type=_fiscal_year, help="終了年度（例: 2030）")
    p.add_argument("--out", required=True, help="書き出すファイル (.xlsx)")
    p = add("load-plan", cmd_load_plan, "計画ワークブックを検証して取り込む（新しい計画・見直し）")
    p.add_argument("file", help="計画ワークブック (.xlsx / .ods)")
    p.add_argument("--by", default=getpass.getuser(), help="実行者名")
    p.add_argument("--dry-run", action="store_true", help="検証と変更内容の表示だけを行う")
    p.add_argument("--reason", help="目標値を見直す理由（既存の指標の目標値が変わるときは必須）")


def write_final_report(args: argparse.Namespace, out: Path) -> int:
    """`report --final`: the 総括 of the plan (--plan-id, else the one covering today, else
    the newest) as a PDF."""
    from etl.final_report import build_final_report
    from kpi import service
    from kpi.final_review import final_review

    settings = settings_of(args)
    require_database(settings)
    plans = service.plans(settings)
    known = [str(p) for p in plans["plan_id"]]
    if not known:
        raise KpiError(
            "データベースに計画がありません（先に python -m etl build を実行してください）。"
        )
    plan_id = args.plan_id or known[0]
    if plan_id not in known:
        raise KpiError(f"計画「{plan_id}」はありません。登録されている計画: {'、'.join(known)}")
    review = final_review(service.plan_data(settings, plan_id))
    pdf = build_final_report(review, as_of=settings.today())
    write_output(out, pdf)
    print(f"書き出しました: {out}（{review.plan['name']} の総括、指標 {len(review.kpis)} 件）")
    if review.sample:
        print("注意: 架空のサンプルデータが含まれています。", file=sys.stderr)
    return EXIT_OK
