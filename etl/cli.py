"""Command line: `python -m etl COMMAND` (DESIGN 7). Exit codes: 0 ok, 1 rejected, 2 usage."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from etl.plan_loader import load_plan
from etl.problems import InputRejected, problem_rows
from etl.text_table import format_table
from kpi import repository
from kpi.config import ROOT, Settings, load_settings
from kpi.errors import KpiError

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
DEFAULT_PLAN = ROOT / "data" / "plan.xlsx"
DEFAULT_SOURCE = ROOT / "data" / "source" / "plan.toml"


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    return settings.with_db(args.db) if args.db else settings


def _read_file(path: str | Path) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise KpiError(f"ファイルが見つかりません: {p}")
    return p.read_bytes()


def cmd_build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    data = _read_file(args.plan)
    with repository.open_db(settings.db_path, retries=3) as con:
        repository.init_schema(con, settings.grading)
        result = load_plan(con, data, Path(args.plan).name, by=args.by, settings=settings)
    for c in result.changes:
        state = "更新しました" if c.changed else "変更なし"
        print(
            f"計画 {c.plan_id}: {state}（指標 新規 {len(c.kpis_new)} / 変更 "
            f"{len(c.kpis_changed)} / 変更なし {len(c.kpis_unchanged)} / 削除 "
            f"{len(c.kpis_removed)}）"
        )
    if result.warnings:
        print(format_table(problem_rows(result.warnings)))
    print(f"データベース: {settings.db_path}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with repository.open_db(settings.db_path, retries=3) as con:
        repository.init_schema(con, settings.grading)
        df = repository.list_uploads(con)
    if df.empty:
        print("取込履歴はありません。")
        return EXIT_OK
    labels = {
        "upload_id": "取込番号",
        "kind": "種別",
        "plan_id": "計画ID",
        "filename": "ファイル",
        "uploaded_at": "日時",
        "uploaded_by": "実行者",
        "status": "状態",
        "rows_new": "新規",
        "rows_changed": "変更",
        "rows_unchanged": "変更なし",
        "rows_skipped": "未報告",
    }
    rows = [{labels[k]: r[k] for k in labels} for r in df.to_dict("records")]
    print(format_table(rows))
    return EXIT_OK


def cmd_plan_workbook(args: argparse.Namespace) -> int:
    from etl.plan_source import build_workbook, load_source

    Path(args.out).write_bytes(build_workbook(load_source(args.source)))
    print(f"書き出しました: {args.out}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="ICT計画 KPI データの取込")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--db", help="データベースファイル（既定: data/kpi.duckdb、環境変数 KPI_DB）"
        )
        p.set_defaults(func=func)
        return p

    p = add("build", cmd_build, "計画ワークブックからデータベースを作成・更新する")
    p.add_argument("--plan", default=str(DEFAULT_PLAN), help="計画ワークブック (.xlsx)")
    p.add_argument("--by", default=getpass.getuser(), help="実行者名")
    add("history", cmd_history, "取込履歴を表示する")
    p = add("plan-workbook", cmd_plan_workbook, "計画の原稿 (TOML) から計画ワークブックを生成する")
    p.add_argument("--source", default=str(DEFAULT_SOURCE))
    p.add_argument("--out", default=str(DEFAULT_PLAN))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InputRejected as e:
        print("取り込めませんでした。データベースは変更されていません。", file=sys.stderr)
        print(format_table(problem_rows(e.problems)), file=sys.stderr)
        return EXIT_REJECTED
    except KpiError as e:
        print(f"エラー: {e}", file=sys.stderr)
        return EXIT_REJECTED
