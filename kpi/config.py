"""Settings read from config.toml, with environment overrides (KPI_DB, KPI_TODAY)."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "config.toml"


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20_000_000
    max_uncompressed_bytes: int = 300_000_000
    max_data_rows: int = 500_000
    # A worksheet reaching past this many cells from A1 (rows x columns) is refused before
    # any reader sees it: calamine allocates the whole rectangle (issue #10).
    max_sheet_cells: int = 20_000_000
    # A comment (備考) longer than this is refused (NOTE_TOO_LONG): see etl/notes.py.
    max_note_chars: int = 1_000


@dataclass(frozen=True)
class Grading:
    grade_b_min: float = 80.0
    grade_c_min: float = 50.0


@dataclass(frozen=True)
class Settings:
    db_path: Path = ROOT / "data" / "kpi.duckdb"
    limits: Limits = field(default_factory=Limits)
    grading: Grading = field(default_factory=Grading)
    today_override: dt.date | None = None

    @property
    def uploads_dir(self) -> Path:
        """Archived uploads live beside the database: data/kpi.duckdb -> data/uploads/."""
        return self.db_path.parent / "uploads"

    def today(self) -> dt.date:
        """'Today' for grading; injectable so that tests and demos are reproducible."""
        return self.today_override or dt.date.today()

    def with_db(self, db_path: str | Path) -> Settings:
        return replace(self, db_path=Path(db_path))


def _resolve(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


@cache
def load_settings(config_file: Path = CONFIG_FILE) -> Settings:
    raw: dict = {}
    if config_file.exists():
        raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
    db = raw.get("database", {})
    settings = Settings(
        db_path=_resolve(db.get("path", "data/kpi.duckdb")),
        limits=Limits(**raw.get("limits", {})),
        grading=Grading(**raw.get("grading", {})),
    )
    if os.environ.get("KPI_DB"):
        settings = replace(settings, db_path=Path(os.environ["KPI_DB"]))
    if os.environ.get("KPI_TODAY"):
        settings = replace(settings, today_override=dt.date.fromisoformat(os.environ["KPI_TODAY"]))
    return settings
