"""Commands of the yearly round (issue #13): round-templates, round-status, lock, unlock, and
load-actuals with several files or a folder. Registered by etl/cli.py."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from etl.actuals_loader import resolve_plan_id
from etl.cli_common import settings_of, write_folder, write_output
from etl.problems import problem_rows
from etl.round import check_round, commit_round, files_of
from etl.round_ops import unreported_excel
from etl.round_templates import department_workbooks
from etl.text_table import format_table
from etl.who import operator_name
from etl.year_locks import ACTION_WORDS, LOCK, UNLOCK, set_lock
from kpi import repository, round_status
from kpi.fiscal import fy_label

EXIT_OK, EXIT_REJECTED = 0, 1
PLAN_ID_HELP = "計画ID（既定: その年度を期間に含む最新の計画）"

AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"日付を読み取れません: {text}（例: 2026-05-31）") from e


def cmd_round_templates(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        plan_id = resolve_plan_id(con, args.plan_id, fiscal_year=args.fy)
        files = department_workbooks(
            con, plan_id, args.fy, deadline=args.deadline, today=settings.today()
        )
    out = Path(args.out)
    write_folder(out, files)
    print(
        f"{len(files)} 部署の照会票を書き出しました: {out}（計画 {plan_id}、{fy_label(args.fy)}）"
    )
    return EXIT_OK


def cmd_round_status(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        plan_id = resolve_plan_id(con, args.plan_id, fiscal_year=args.fy)
        items = repository.round_items(con, plan_id, args.fy)
        locked = (plan_id, args.fy) in {
            (p, int(y))
            for p, y in repository.locked_years(con, [plan_id])[
                ["plan_id", "fiscal_year"]
            ].itertuples(index=False)
        }
    table = round_status.board(items)
    totals = round_status.totals(table)
    state = "確定済" if locked else "速報（未確定）"
    print(
        f"{fy_label(args.fy)} 回答状況（計画 {plan_id}、{state}）: "
        + " / ".join(f"{k} {v}" for k, v in totals.items())
    )
    shown = table.assign(
        受信日時=table["受信日時"].map(
            lambda t: "" if t is None or t != t else f"{t:%Y-%m-%d %H:%M}"
        )
    )
    print(format_table(shown.astype(object).fillna("").to_dict("records")))
    if args.out:
        out = Path(args.out)
        write_output(out, unreported_excel(items, args.fy))
        print(f"未報告一覧を書き出しました: {out}")
    return EXIT_OK


def _lock(args: argparse.Namespace, action: str) -> int:
    settings = settings_of(args)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        plan_id = resolve_plan_id(con, args.plan_id, fiscal_year=args.fy)
        event = set_lock(con, plan_id, args.fy, action=action, reason=args.reason, by=args.by)
    print(
        f"{fy_label(args.fy)}（計画 {plan_id}）を{ACTION_WORDS[action]}しました（記録番号 {event}）。"
    )
    return EXIT_OK


def lock_rows(events: pd.DataFrame) -> list[dict[str, object]]:
    """Lock and unlock events as `history` lists them."""
    return [
        {
            "記録番号": r["event_id"],
            "操作": ACTION_WORDS[r["action"]],
            "計画ID": r["plan_id"],
            "年度": fy_label(int(r["fiscal_year"])),
            "理由": r["reason"],
            "実行者": r["done_by"],
            "日時": f"{r['done_at']:%Y-%m-%d %H:%M}",
        }
        for r in events.to_dict("records")
    ]


def cmd_lock(args: argparse.Namespace) -> int:
    return _lock(args, LOCK)


def cmd_unlock(args: argparse.Namespace) -> int:
    return _lock(args, UNLOCK)


def load_round(args: argparse.Namespace, paths: list[str]) -> int:
    """load-actuals with several files or a folder: every file checked, then all or nothing."""
    settings = settings_of(args)
    files = files_of(paths)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        check = check_round(con, files, plan_id=args.plan_id, settings=settings)
        print(format_table(check.summary().astype(object).fillna("").to_dict("records")))
        if check.problems:
            table: list[dict[str, object]] = [dict(r) for r in problem_rows(check.problems)]
            print(format_table(table), file=sys.stderr if not check.ok else None)
        if not check.ok:
            rejected = len(check.files) - len(check.passed)
            print(
                f"\n{rejected} 件のファイルにエラーがあるため、どのファイルも取り込んでいません"
                "（データベースは変更されていません）。",
                file=sys.stderr,
            )
            return EXIT_REJECTED
        if args.dry_run:
            print("\n--dry-run のため取り込んでいません（データベースは変更されていません）。")
            return EXIT_OK
        results = commit_round(con, check, by=args.by, settings=settings)
    ids = [i for _, r in results for i in r.upload_ids]
    print(
        f"\n{len(results)} ファイルを取り込みました: 取込番号 {', '.join(map(str, ids)) or '（変更なし）'}"
    )
    return EXIT_OK


def add_commands(add: AddCommand) -> None:
    """Register the round's commands on the CLI's parser."""
    p = add("round-templates", cmd_round_templates, "部署ごとの照会票（実績・事業評価）を書き出す")
    p.add_argument("--fy", required=True, type=_fy, help="年度（例: 2025、令和7年度）")
    p.add_argument("--out", required=True, help="書き出すフォルダ")
    p.add_argument("--plan-id", help=PLAN_ID_HELP)
    p.add_argument(
        "--deadline", type=_date, help="提出期限（例: 2026-05-31。既定: 翌年度の5月31日）"
    )
    p = add("round-status", cmd_round_status, "照会の回答状況を部署ごとに表示する")
    p.add_argument("--fy", required=True, type=_fy, help="年度（例: 2025、令和7年度）")
    p.add_argument("--plan-id", help=PLAN_ID_HELP)
    p.add_argument("--out", help="未報告一覧を書き出す Excel ファイル（任意）")
    for name, func, words in (("lock", cmd_lock, "を確定"), ("unlock", cmd_unlock, "の確定を解除")):
        p = add(name, func, f"年度の実績{words}する（理由は必須）")
        p.add_argument("--fy", required=True, type=_fy, help="年度（例: 2025、令和7年度）")
        p.add_argument("--reason", required=True, help="理由")
        p.add_argument("--plan-id", help=PLAN_ID_HELP)
        p.add_argument(
            "--by", default=operator_name(), help="実行者名（既定: OS に登録された氏名）"
        )


def _fy(text: str) -> int:
    from etl.cli import _fiscal_year

    return _fiscal_year(text)
