"""What every CLI command module shares: the settings of `--db`, the check that a database
exists, and writing an output file or folder with one line, not a traceback, on failure."""

from __future__ import annotations

import argparse
from pathlib import Path

from kpi import service
from kpi.config import Settings, load_settings
from kpi.errors import KpiError


def settings_of(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    return settings.with_db(args.db) if args.db else settings


def require_database(settings: Settings) -> None:
    """Commands that only read refuse a missing database instead of creating an empty one."""
    if not service.database_exists(settings):
        raise KpiError(
            f"データベースがありません: {settings.db_path}（先に python -m etl build を実行してください）"
        )


def write_output(out: Path, content: bytes) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(content)
    except OSError as e:
        raise KpiError(f"書き出せません: {out}（{e.strerror or e}）") from e


def write_folder(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Write the files into `out` (created if needed); other files there are left alone."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in files.items():
            (path := out / name).write_bytes(content)
            written.append(path)
    except OSError as e:
        raise KpiError(f"書き出せません: {out}（{e.strerror or e}）") from e
    return written
