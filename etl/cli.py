"""Command line: `python -m etl COMMAND` (DESIGN 7). Exit codes: 0 ok, 1 rejected, 2 usage."""

from __future__ import annotations

import argparse
import getpass
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from etl.actuals_loader import (
    Preview,
    RollbackEffect,
    commit_actuals,
    preview_actuals,
    resolve_plan_id,
    rollback_preview,
    rollback_uploads,
)
from etl.cli_common import require_database, settings_of, write_folder, write_output
from etl.plan_loader import load_plan
from etl.problems import InputRejected, problem_rows
from etl.text_table import format_table, inert_output
from etl.who import operator_name
from kpi import repository, service
from kpi.config import ROOT, Settings
from kpi.dashboard import Filters, PlanData, select
from kpi.errors import KpiError
from kpi.fiscal import fy_column, fy_label, parse_fiscal_year
from kpi.status import ALL_GRADES

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
DEFAULT_PLAN = ROOT / "data" / "plan.xlsx"
DEFAULT_SOURCE = ROOT / "data" / "source" / "plan.toml"
DEFAULT_SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"
PLAN_ID_HELP = "計画ID（既定: 計画が1つならそれ、複数なら最新の計画）"
MAX_CHANGED_SHOWN = 100  # a national file may change thousands of values


def _read_file(path: str | Path) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise KpiError(f"ファイルが見つかりません: {p}")
    return p.read_bytes()


def cmd_build(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    data = _read_file(args.plan)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        from etl.plan_versions import superseded

        if newer := superseded(con, data):  # a user loaded a newer version since (#14)
            for pid, uid in newer.items():
                print(
                    f"計画 {pid}: このファイルより新しい版（取込番号 {uid}）が有効なため、"
                    f"{Path(args.plan).name} は適用しません（python -m etl load-plan で明示的に読み込めます）。"
                )
            status = _load_sample(con, settings, args.by) if args.sample else EXIT_OK
            print(f"データベース: {settings.db_path}")
            return status
        result = load_plan(con, data, Path(args.plan).name, by=args.by, settings=settings)
        for c in result.changes:
            state = "更新しました" if c.changed else "変更なし"
            print(
                f"計画 {c.plan_id}: {state}（指標 新規 {len(c.kpis_new)} / 変更 "
                f"{len(c.kpis_changed)} / 変更なし {len(c.kpis_unchanged)} / 削除 "
                f"{len(c.kpis_removed)}）"
            )
            orphans = repository.orphaned_actuals(con, c.plan_id)
            if len(orphans):
                # DESIGN 5: kept in the history, listed as orphaned
                print(
                    f"  計画にない指標の実績 {len(orphans)} 件は履歴に残しています"
                    f"（{'、'.join(sorted(set(orphans['kpi_id'])))}; ビュー orphaned_actuals）"
                )
        if result.warnings:
            print(format_table(problem_rows(result.warnings)))
        status = _load_sample(con, settings, args.by) if args.sample else EXIT_OK
    print(f"データベース: {settings.db_path}")
    return status


def _load_sample(con: duckdb.DuckDBPyConnection, settings: Settings, by: str) -> int:
    """Load the fictional sample actuals (kind `sample`) unless that exact file is active."""
    data = _read_file(DEFAULT_SAMPLE)
    try:
        result = commit_actuals(
            con, data, DEFAULT_SAMPLE.name, by=by, settings=settings, kind="sample"
        )
    except InputRejected as e:
        # The plan above is loaded: say precisely what did not change.
        print("サンプル実績を取り込めませんでした（計画の読込は完了しています）。", file=sys.stderr)
        print(format_table(problem_rows(e.problems)), file=sys.stderr)
        return EXIT_REJECTED
    if result.written:
        counts = result.preview.counts
        print(
            f"サンプル実績（架空）を取り込みました: 取込番号 {_ids(result.upload_ids)}"
            f"（新規 {counts['new']} / 変更 {counts['changed']} / 変更なし "
            f"{counts['unchanged']} / 未報告 {counts['skipped']}）"
        )
    else:
        print(f"サンプル実績（架空）は取込済みです（取込番号 {result.already_loaded}）。")
    return EXIT_OK


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) if len(ids) <= 5 else f"{ids[0]}〜{ids[-1]}（{len(ids)} 件）"


def _num(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return f"{float(v):,.10g}"  # type: ignore[arg-type]


def _print_preview(preview: Preview) -> None:
    counts = preview.counts
    print(f"ファイル: {preview.filename}（sha256 {preview.sha256[:12]}…）")
    print(f"計画: {', '.join(preview.plan_ids) or '（なし）'}")
    print(
        f"新規 {counts['new']} / 変更 {counts['changed']} / 変更なし {counts['unchanged']} / "
        f"未報告（スキップ） {counts['skipped']}"
    )
    if len(preview.evaluations):  # 事業評価 (#13)
        ev = preview.evaluations["status"].value_counts()
        print(
            f"事業評価: 新規 {int(ev.get('new', 0))} / 変更 {int(ev.get('changed', 0))} / "
            f"変更なし {int(ev.get('unchanged', 0))}"
        )
    changed = preview.changed_rows
    if len(changed):
        several = len(preview.plan_ids) > 1
        rows = []
        for r in changed.head(MAX_CHANGED_SHOWN).to_dict("records"):
            row = {"計画ID": r["plan_id"]} if several else {}
            row |= {
                "指標ID": r["kpi_id"],
                "年度": fy_column(int(r["fiscal_year"])),
                "変更前": _num(r["old_value"]) + ("（架空）" if r["old_is_sample"] is True else ""),
                "変更後": _num(r["actual_value"]),
                "備考（変更前）": r["old_note"] if isinstance(r["old_note"], str) else "",
                "備考（変更後）": r["note"] if isinstance(r["note"], str) else "",
                "セル": r["source_cell"],
            }
            rows.append(row)
        print("\n変更される値（変更前 → 変更後）:")
        print(format_table(rows))
        if len(changed) > MAX_CHANGED_SHOWN:
            print(f"…ほか {len(changed) - MAX_CHANGED_SHOWN} 件")
    notes = preview.unreported_notes
    if len(notes):
        print(f"\n未報告の行に書かれた備考 {len(notes)} 件（値は登録せず、備考だけを保存します）:")
        print(
            format_table(
                [
                    {
                        "指標ID": r["kpi_id"],
                        "年度": fy_column(int(r["fiscal_year"])),
                        "備考": r["note"],
                        "セル": r["source_cell"],
                    }
                    for r in notes.head(MAX_CHANGED_SHOWN).to_dict("records")
                ]
            )
        )
    if preview.warnings:
        print(f"\n警告 {len(preview.warnings)} 件（取込はできます。内容を確認してください）:")
        print(format_table(problem_rows(preview.warnings)))


def cmd_load_actuals(args: argparse.Namespace) -> int:
    if len(args.file) > 1 or Path(args.file[0]).is_dir():  # a whole round (#13)
        from etl.round_cli import load_round

        return load_round(args, args.file)
    settings = settings_of(args)
    data = _read_file(args.file[0])
    name = Path(args.file[0]).name
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        preview = preview_actuals(con, data, name, plan_id=args.plan_id, settings=settings)
        _print_preview(preview)
        if preview.already_loaded is not None:
            print(
                f"\nこのファイルは取込番号 {preview.already_loaded} として取込済みです。変更はありません。"
            )
            return EXIT_OK
        if args.dry_run:
            print("\n--dry-run のため取り込んでいません（データベースは変更されていません）。")
            return EXIT_OK
        result = commit_actuals(
            con, data, name, by=args.by, settings=settings, plan_id=args.plan_id
        )
    if result.written:
        print(f"\n取り込みました: 取込番号 {_ids(result.upload_ids)}")
        print(f"取り消すには: python -m etl rollback {_id_args(result.upload_ids)}")
    elif result.already_loaded is not None:
        print(
            f"\nこのファイルは取込番号 {result.already_loaded} として取込済みです。変更はありません。"
        )
    else:
        print("\n取り込む値がありませんでした。データベースは変更されていません。")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from etl.template import build_template

    settings = settings_of(args)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        plan_id = resolve_plan_id(con, args.plan_id, fiscal_year=args.fy)
        data = build_template(con, plan_id, args.fy, today=settings.today())
    out = Path(args.out)
    write_output(out, data)
    print(f"書き出しました: {out}（計画 {plan_id}、{fy_column(args.fy)}）")
    return EXIT_OK


def _id_args(ids: list[int]) -> str:
    """Upload ids as `rollback` takes them: a range when consecutive (a national file has 1,741)."""
    if len(ids) > 2 and ids == list(range(ids[0], ids[-1] + 1)):
        return f"{ids[0]}-{ids[-1]}"
    return " ".join(map(str, ids))


def _upload_id_range(text: str) -> list[int]:
    first, _, last = text.partition("-")
    try:
        ids = [int(first)] if not last else list(range(int(first), int(last) + 1))
    except ValueError:
        ids = []
    if not ids:
        raise argparse.ArgumentTypeError(f"取込番号を読み取れません: {text}（例: 12、12-20）")
    return ids


def _print_rollback(effect: RollbackEffect) -> None:
    counts = effect.counts
    print(
        f"以前の値に戻る {counts['reverted']} / 値がなくなる {counts['removed']} / "
        f"新しい取込が同じ指標・年度の値を持つため変わらない {counts['kept']}"
    )
    if effect.evaluations:
        print(
            f"事業評価 {effect.evaluations} 件も取り消されます（以前の評価があればそれに戻ります）。"
        )
    rows = effect.rows[effect.rows["status"] != "kept"]
    several = rows["plan_id"].nunique() > 1
    table = []
    for r in rows.head(MAX_CHANGED_SHOWN).to_dict("records"):
        row = {"計画ID": r["plan_id"]} if several else {}
        after = _num(r["after_value"]) or "（なし）"
        row |= {
            "指標ID": r["kpi_id"],
            "年度": fy_column(int(r["fiscal_year"])),
            "現在の値": _num(r["current_value"]),
            "取消後の値": after + ("（架空）" if r["after_is_sample"] is True else ""),
        }
        table.append(row)
    if table:
        print(format_table(table))
        if len(rows) > MAX_CHANGED_SHOWN:
            print(f"…ほか {len(rows) - MAX_CHANGED_SHOWN} 件")


def cmd_rollback(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    ids = list(dict.fromkeys(i for group in args.upload_ids for i in group))
    from etl import plan_cli
    from etl.plan_versions import is_plan_upload

    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        plans = is_plan_upload(con, ids)
    if plans:  # a plan version: the version before it becomes current again (#14)
        return plan_cli.rollback_plans(settings, ids, by=args.by, dry_run=args.dry_run)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        if args.dry_run:
            _print_rollback(rollback_preview(con, ids))
            print("\n--dry-run のため取り消していません（データベースは変更されていません）。")
            return EXIT_OK
        effect = rollback_uploads(con, ids, by=args.by)
    for info in effect.uploads:
        print(
            f"取込番号 {info['upload_id']}（{info['filename']}、計画 {info['plan_id']}）を取り消しました。"
        )
    _print_rollback(effect)
    print("履歴は削除されません。取り消した取込の値は取込履歴に残ります。")
    return EXIT_OK


def cmd_sample_workbook(args: argparse.Namespace) -> int:
    from etl.sample import build_sample

    out = Path(args.out)
    write_output(out, build_sample(_read_file(args.plan)))
    print(f"書き出しました: {out}（架空のサンプルデータ）")
    return EXIT_OK


def _fiscal_year(text: str) -> int:
    fy = parse_fiscal_year(text)
    if fy is None:
        raise argparse.ArgumentTypeError(f"年度を読み取れません: {text}（例: 2025、令和7年度、R7）")
    return fy


def cmd_history(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        df = repository.list_uploads(con)
        locks = repository.year_lock_events(con)
    if not locks.empty:  # 確定 / 確定解除 belong to the history (#13)
        from etl.round_cli import lock_rows

        print("確定・確定解除:")
        print(format_table(lock_rows(locks)))
        print()
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

    write_output(Path(args.out), build_workbook(load_source(args.source)))
    print(f"書き出しました: {args.out}")
    return EXIT_OK


# ---------------------------------------------------------------- report and export


def _grade(text: str) -> str:
    g = unicodedata.normalize("NFKC", text).strip().upper()
    if g not in ALL_GRADES:
        raise argparse.ArgumentTypeError(f"評価を読み取れません: {text}（{' '.join(ALL_GRADES)}）")
    return g


def _add_selection(p: argparse.ArgumentParser) -> None:
    """The analyst's filters of the dashboard, on the command line (DESIGN 1, 7)."""
    p.add_argument("--plan-id", help=PLAN_ID_HELP)
    p.add_argument(
        "--fy", type=_fiscal_year, help="対象年度（例: 2025、令和7年度。既定: 実績のある最新年度）"
    )
    p.add_argument(
        "--policy",
        type=int,
        nargs="+",
        action="extend",
        default=[],
        metavar="N",
        help="基本方針の番号（複数可）",
    )
    p.add_argument(
        "--measure",
        nargs="+",
        action="extend",
        default=[],
        metavar="ID",
        help="事業推進計画（例: 1-2、複数可）",
    )
    p.add_argument(
        "--department",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME",
        help="部署（主管課等・関係課等、複数可）",
    )
    p.add_argument(
        "--grade",
        type=_grade,
        nargs="+",
        action="extend",
        default=[],
        metavar="G",
        help=f"評価（{' '.join(ALL_GRADES)}、複数可）",
    )


def _unknown(kind: str, asked: Sequence[object], known: Sequence[object]) -> str | None:
    missing = [str(a) for a in asked if a not in set(known)]
    if not missing:
        return None
    return f"{kind}「{'、'.join(missing)}」はこの計画にありません（あるもの: {'、'.join(map(str, known))}）。"


def _selection(args: argparse.Namespace) -> tuple[Settings, PlanData, Filters, list[str]]:
    """The plan (the only one, else the newest), its data, the checked filters, the sources."""
    from etl.provenance import source_lines

    settings = settings_of(args)
    require_database(settings)
    with repository.open_db(settings.db_path, read_only=True) as con:
        plan_id = resolve_plan_id(con, args.plan_id)
    data = service.plan_data(settings, plan_id)
    filters = Filters(
        policies=tuple(dict.fromkeys(args.policy)),
        measures=tuple(dict.fromkeys(args.measure)),
        departments=tuple(dict.fromkeys(args.department)),
        grades=tuple(dict.fromkeys(args.grade)),
        fiscal_year=args.fy,
    )
    # A typo must not produce an empty report that looks like "nothing to report".
    problems = [
        _unknown(
            "基本方針", filters.policies, sorted({int(n) for n in data.projects["policy_no"]})
        ),
        _unknown(
            "事業推進計画", filters.measures, list(dict.fromkeys(data.projects["measure_id"]))
        ),
        _unknown("部署", filters.departments, data.department_options()),
    ]
    if args.fy is not None and args.fy not in data.years:
        problems.append(
            f"{fy_label(args.fy)} は計画の期間（{fy_label(data.years[0])}～"
            f"{fy_label(data.years[-1])}）の外です。"
        )
    if any(problems):
        raise KpiError("\n".join(p for p in problems if p))
    return settings, data, filters, source_lines(service.upload_history(settings, plan_id), data)


def _done(out: Path, data: PlanData, filters: Filters) -> None:

    sel = select(data, filters)
    print(
        f"書き出しました: {out}（{fy_label(sel.fiscal_year)}、指標 {len(sel.kpi_ids)} 件、"
        f"{filters.describe()}）"
    )
    if data.sample_current:
        print("注意: 架空のサンプルデータが含まれています。", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        print(f"エラー: 報告書の出力先は .pdf にしてください: {out}", file=sys.stderr)
        return EXIT_USAGE
    if args.final:  # 総括: the whole period of the plan (#14)
        from etl.plan_cli import write_final_report

        return write_final_report(args, out)
    from etl.report import build_report  # matplotlib and fpdf2: only for this command

    settings, data, filters, sources = _selection(args)
    pdf = build_report(
        data, filters, as_of=settings.today(), sources=sources, grading=settings.grading
    )
    write_output(out, pdf)
    _done(out, data, filters)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        print(f"エラー: 出力先の拡張子は .xlsx または .csv にしてください: {out}", file=sys.stderr)
        return EXIT_USAGE
    from etl.export import export_bytes

    settings, data, filters, sources = _selection(args)
    write_output(out, export_bytes(data, filters, fmt, as_of=settings.today(), sources=sources))
    _done(out, data, filters)
    return EXIT_OK


# ---------------------------------------------------------------- publish (issue #16)


def cmd_publish(args: argparse.Namespace) -> int:
    """The public static site: pages, CSV and PDF in one folder that works from disk."""
    from etl.provenance import source_lines
    from etl.publish.site import build_site
    from etl.report import build_report

    settings = settings_of(args)
    require_database(settings)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        plan_id = resolve_plan_id(con, args.plan_id, fiscal_year=args.fy)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise KpiError(f"出力先はフォルダを指定してください（ファイルがあります）: {out}")
    data = service.plan_data(settings, plan_id)
    sources = source_lines(service.upload_history(settings, plan_id), data)
    as_of = settings.today()
    files = build_site(
        data,
        fiscal_year=args.fy,
        as_of=as_of,
        sources=sources,
        grading=settings.grading,
        report=lambda d, f: build_report(
            d, f, as_of=as_of, sources=sources, grading=settings.grading
        ),
        with_comments=args.with_comments,
        allow_sample=args.allow_sample,
    )
    write_folder(out, files)
    print(
        f"書き出しました: {out / 'index.html'} ほか {len(files) - 1} ファイル"
        f"（計画 {plan_id}、{fy_label(args.fy)}"
        f"{'、担当課のコメントあり' if args.with_comments else ''}）"
    )
    if data.sample_current:
        print("注意: 架空のサンプルデータが含まれています（全ページに表示）。", file=sys.stderr)
    return EXIT_OK


def cmd_outlook_backtest(args: argparse.Namespace) -> int:
    """How often the outlook (見込み) as of each earlier year agreed with the final year's grade."""
    from kpi import outlook

    settings = settings_of(args)
    require_database(settings)
    with repository.open_db(settings.db_path) as con:
        repository.init_schema(con, settings.grading)
        known = [str(p) for p in repository.list_plans(con)["plan_id"]]
        if args.plan_id and args.plan_id not in known:
            raise KpiError(
                f"計画「{args.plan_id}」はありません。登録されている計画: {'、'.join(known)}"
            )
        rows = repository.outlook_backtest_rows(con, settings.grading, args.plan_id)
    scope = f"計画 {args.plan_id}" if args.plan_id else f"全計画（{len(known)} 件）"
    print(f"見込みの検証（バックテスト）: {scope}")
    print(outlook.BACKTEST_NOTE)
    if rows.empty:
        print("最終年度の実績が評価済みの指標がないため、検証できません。")
        return EXIT_OK
    if bool(rows["is_sample"].any()):
        print("注意: 架空のサンプルデータによる結果です（実際の実績ではありません）。")
    table, matrix = outlook.backtest(rows)
    print()
    print(format_table(table.astype(object).where(table.notna(), "―").to_dict("records")))
    print()
    print("見込み（行）と最終年度の実際の評価（列）の件数（全時点の合計）")
    print(format_table(matrix.reset_index(names="").to_dict("records")))
    return EXIT_OK


def cmd_hash_password(args: argparse.Namespace) -> int:
    """Print the hash to put in .streamlit/secrets.toml ([kpi_auth] password_hash)."""
    from kpi.auth import hash_password

    password = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass("パスワード: ")
    if not args.stdin and getpass.getpass("もう一度: ") != password:
        raise KpiError("パスワードが一致しません。")
    if len(password) < 8:
        raise KpiError("パスワードは 8 文字以上にしてください。")
    print(hash_password(password))
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
    p.add_argument("--by", default=operator_name(), help="実行者名（既定: OS に登録された氏名）")
    p.add_argument(
        "--sample",
        action="store_true",
        help=f"架空のサンプル実績（{DEFAULT_SAMPLE.relative_to(ROOT)}）も取り込む",
    )
    add("history", cmd_history, "取込履歴を表示する")
    p = add("load-actuals", cmd_load_actuals, "年度の実績ファイルを検証して取り込む")
    p.add_argument(
        "file",
        nargs="+",
        help="実績ワークブック (.xlsx)。複数のファイルやフォルダ（照会の一括取込、すべて取り込むか何もしない）も可",
    )
    p.add_argument("--by", default=operator_name(), help="実行者名（既定: OS に登録された氏名）")
    p.add_argument("--dry-run", action="store_true", help="検証と変更内容の表示だけを行う")
    p.add_argument("--plan-id", help=PLAN_ID_HELP)
    p = add("template", cmd_template, "年度の実績入力テンプレートを書き出す")
    p.add_argument("--fy", required=True, type=_fiscal_year, help="年度（例: 2025、令和7年度）")
    p.add_argument("--out", required=True, help="書き出すファイル (.xlsx)")
    p.add_argument("--plan-id", help="計画ID（既定: その年度を期間に含む最新の計画）")
    p = add("rollback", cmd_rollback, "実績の取込を取り消す（削除はせず、以前の値に戻す）")
    p.add_argument(
        "upload_ids",
        nargs="+",
        type=_upload_id_range,
        metavar="UPLOAD_ID",
        help="取込番号（history で確認）。複数や範囲（12-20）も可、まとめて取り消す",
    )
    p.add_argument("--by", default=operator_name(), help="実行者名（既定: OS に登録された氏名）")
    p.add_argument("--dry-run", action="store_true", help="変わる値の表示だけを行う")
    p = add("sample-workbook", cmd_sample_workbook, "架空のサンプル実績ワークブックを生成する")
    p.add_argument("--plan", default=str(DEFAULT_PLAN), help="計画ワークブック (.xlsx)")
    p.add_argument("--out", default=str(DEFAULT_SAMPLE))
    p = add("plan-workbook", cmd_plan_workbook, "計画の原稿 (TOML) から計画ワークブックを生成する")
    p.add_argument("--source", default=str(DEFAULT_SOURCE))
    p.add_argument("--out", default=str(DEFAULT_PLAN))
    p = add("report", cmd_report, "庁議用の報告書（PDF）を書き出す")
    p.add_argument("--out", required=True, help="書き出すファイル (.pdf)")
    p.add_argument("--final", action="store_true", help="計画期間全体の総括（PDF）を書き出す")
    _add_selection(p)
    p = add("export", cmd_export, "評価一覧を書き出す（.xlsx は表ごとのシート、.csv は全年度）")
    p.add_argument("--out", required=True, help="書き出すファイル (.xlsx または .csv)")
    _add_selection(p)
    p = add("publish", cmd_publish, "公表用の静的サイト（HTML・CSV・PDF）をフォルダに書き出す")
    p.add_argument("--fy", required=True, type=_fiscal_year, help="年度（例: 2025、令和7年度）")
    p.add_argument("--out", required=True, help="書き出すフォルダ")
    p.add_argument("--plan-id", help="計画ID（既定: その年度を期間に含む最新の計画）")
    p.add_argument(
        "--with-comments",
        action="store_true",
        help="担当課のコメント（備考）を載せる（既定: 載せない。庁内向けの場合があるため）",
    )
    p.add_argument(
        "--allow-sample",
        action="store_true",
        help="架空のサンプルデータがあっても作る（全ページに「架空」と表示。試用のみ）",
    )
    from etl import plan_cli

    plan_cli.register(add)
    p = add(
        "outlook-backtest",
        cmd_outlook_backtest,
        "見込み（傾向からの推計）を過去の年度で検証し、最終年度の評価との一致を表示する",
    )
    p.add_argument("--plan-id", help="計画ID（既定: すべての計画）")
    p = add(
        "hash-password", cmd_hash_password, "取込用パスワードのハッシュを作る（secrets.toml 用）"
    )
    p.add_argument("--stdin", action="store_true", help="標準入力から 1 行読む（スクリプト用）")
    from etl.round_cli import add_commands

    add_commands(add)  # the yearly round (#13)
    return parser


@inert_output()  # text from files and names reaches the terminal inert (issue #10)
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
