"""A whole round at once (issue #13): many department files, each validated on its own, then
checked against each other, then written in one transaction.

Two files that give different values for the same KPI and year (or different evaluations of
the same project and year) are a blocking ROUND_CONFLICT in both files, naming the other file
and its cell. The CLI loads all or nothing; the upload page loads the files that passed, each
its own upload in the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl.actuals_loader import (
    EVALUATION_FIELDS,
    CommitResult,
    FileRead,
    Preview,
    preview_read,
    read_file,
    verify,
    write_read,
)
from etl.archive import archive, sha256_of
from etl.problems import InputRejected, Problem, problem
from kpi import repository
from kpi.config import Settings
from kpi.errors import KpiError
from kpi.fiscal import fy_column

OK, WARNINGS, REJECTED = "ok", "warnings", "rejected"
VERDICT_WORDS = {OK: "取込可", WARNINGS: "取込可（警告あり）", REJECTED: "差し戻し"}


@dataclass
class FileCheck:
    """One file of the round: what reading it found, and its preview when it passed."""

    filename: str
    data: bytes
    read: FileRead | None = None
    preview: Preview | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.read is not None and not any(p.blocking for p in self.problems)

    @property
    def verdict(self) -> str:
        if not self.ok:
            return REJECTED
        return WARNINGS if self.problems else OK


@dataclass
class RoundCheck:
    files: list[FileCheck]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def passed(self) -> list[FileCheck]:
        return [f for f in self.files if f.ok]

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    def summary(self) -> pd.DataFrame:
        """One row per file: its verdict and what it holds (the round's report)."""
        rows = []
        for f in self.files:
            counts = f.preview.counts if f.preview is not None and f.ok else {}
            evaluations = len(f.preview.evaluations) if f.preview is not None and f.ok else None
            rows.append(
                {
                    "ファイル": f.filename,
                    "判定": VERDICT_WORDS[f.verdict],
                    "エラー": sum(p.blocking for p in f.problems),
                    "警告": sum(not p.blocking for p in f.problems),
                    "新規": counts.get("new"),
                    "変更": counts.get("changed"),
                    "変更なし": counts.get("unchanged"),
                    "未報告": counts.get("skipped"),
                    "事業評価": evaluations,
                }
            )
        return pd.DataFrame(rows)


def files_of(paths: Iterable[str | Path]) -> list[tuple[str, bytes]]:
    """(name, bytes) of the files given, a folder standing for its .xlsx files (sorted;
    Excel's lock files ~$… left out)."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += sorted(
                f
                for f in p.iterdir()
                if f.suffix.lower() == ".xlsx" and not f.name.startswith("~$")
            )
        elif p.is_file():
            found.append(p)
        else:
            raise KpiError(f"ファイルが見つかりません: {p}")
    if not found:
        raise KpiError("取り込む .xlsx ファイルがありません。")
    return [(f.name, f.read_bytes()) for f in found]


def check_round(
    con: duckdb.DuckDBPyConnection,
    files: list[tuple[str, bytes]],
    *,
    plan_id: str | None,
    settings: Settings,
    kind: str = "actuals",
) -> RoundCheck:
    """Validate every file on its own, then the conflicts between them. Reads only."""
    checks = []
    for name, data in files:
        check = FileCheck(name, data)
        try:
            check.read = read_file(con, data, name, plan_id, settings)
        except InputRejected as e:
            check.problems = list(e.problems)
        else:
            check.preview = preview_read(con, check.read, name, sha256_of(data), kind)
            check.problems = list(check.read.actuals.warnings)
        checks.append(check)
    _conflicts([c for c in checks if c.ok])
    return RoundCheck(checks)


def _conflicts(checks: list[FileCheck]) -> None:
    """ROUND_CONFLICT in both files for each KPI-year (or project-year) they answer differently."""
    values, evaluations = [], []
    for i, c in enumerate(checks):
        assert c.read is not None
        values.append(c.read.actuals.rows.assign(_file=i))
        evaluations.append(c.read.evaluations.rows.assign(_file=i))
    if len(checks) < 2:
        return
    found: list[tuple[int, Problem]] = []
    v = pd.concat(values, ignore_index=True)
    keys = ["plan_id", "kpi_id", "fiscal_year"]
    for key, group in v.groupby(keys, sort=True):
        if group["_file"].nunique() < 2:
            continue
        answers = group.assign(_note=group["note"].fillna(""))
        if answers[["actual_value", "_note"]].drop_duplicates().shape[0] < 2:
            continue
        found += _pairwise(
            checks, answers, f"指標 {key[1]}・{fy_column(int(key[2]))}", "actual_value"
        )
    e = pd.concat(evaluations, ignore_index=True)
    if len(e):
        ekeys = ["plan_id", "project_id", "fiscal_year"]
        for key, group in e.groupby(ekeys, sort=True):
            if group["_file"].nunique() < 2:
                continue
            if group[EVALUATION_FIELDS].fillna("").drop_duplicates().shape[0] < 2:
                continue
            found += _pairwise(
                checks, group, f"事業 {key[1]}・{fy_column(int(key[2]))} の事業評価", "progress"
            )
    for i, p in found:
        checks[i].problems.append(p)
    for c in checks:
        if any(p.blocking for p in c.problems):
            c.preview = None


def _pairwise(
    checks: list[FileCheck], group: pd.DataFrame, what: str, shown: str
) -> list[tuple[int, Problem]]:
    """One problem per row of the group, naming the other files' cells; the value column is
    this file's `shown` (the value, or the 進捗 of an evaluation)."""
    out = []
    rows = group.to_dict("records")
    for r in rows:
        others = [
            f"{checks[o['_file']].filename} の {o['source_cell']}"
            for o in rows
            if o["_file"] != r["_file"]
        ]
        sheet, _, cell = str(r["source_cell"]).rpartition("!")
        out.append(
            (
                int(r["_file"]),
                problem(
                    "ROUND_CONFLICT",
                    sheet=sheet,
                    cell=cell,
                    value=_shown(r[shown]),
                    detail=f"{what}（{checks[r['_file']].filename} の {r['source_cell']} と "
                    + "、".join(others)
                    + "）",
                    file=checks[r["_file"]].filename,
                ),
            )
        )
    return out


def _shown(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return f"{v:,.10g}" if isinstance(v, float) else str(v)


def commit_round(
    con: duckdb.DuckDBPyConnection,
    check: RoundCheck,
    *,
    by: str,
    settings: Settings,
    kind: str = "actuals",
    now: dt.datetime | None = None,
) -> list[tuple[FileCheck, CommitResult]]:
    """Write the files that passed, each its own upload, in one transaction (all or none of
    them). The caller decides whether a round with rejected files may be written at all."""
    now = now or dt.datetime.now()
    passed = check.passed
    for f in passed:
        archive(f.data, settings.uploads_dir)
    expected: dict[int, tuple[int, int]] = {}
    notes: dict[int, int] = {}
    results = []
    with repository.transaction(con):
        for f in passed:
            assert f.read is not None
            sha = sha256_of(f.data)
            result = write_read(con, f.read, f.filename, sha, kind, by, now, expected, notes)
            results.append((f, result))
    verify(con, expected, notes)
    return results
