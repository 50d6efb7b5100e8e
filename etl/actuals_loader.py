"""Preview, commit and roll back a yearly actuals upload (DESIGN 4.2, 5).

The file is loaded whole or not at all. `kpi_actuals` is append-only: every value read is
stored, unchanged ones too, so that rolling back an older upload never hides a value that a
newer file restated. A rollback only marks the upload; `kpi_actuals_current` then shows the
value before it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd

from etl.actuals_catalog import Key, KpiCatalog, KpiInfo
from etl.actuals_notes import empty_notes
from etl.actuals_reader import ActualsRead, read_actuals
from etl.archive import archive, sha256_of
from etl.evaluation_reader import EvaluationRead, load_evaluation_catalog, read_evaluations
from etl.problems import InputRejected, Problem
from etl.year_locks import locked, locked_problems
from kpi import repository
from kpi.config import Settings
from kpi.errors import DatabaseError, KpiError, NotFound

KINDS = ("actuals", "sample", "correction")  # correction: 画面修正 (#13)
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
KEYS = ["plan_id", "kpi_id", "fiscal_year"]


class RollbackRefused(KpiError):
    """The upload cannot be rolled back (already rolled back, or a plan workbook)."""


@dataclass
class Preview:
    """What committing the file would change, per row, against the current values."""

    filename: str
    sha256: str
    plan_ids: list[str]
    # plan_id, kpi_id, fiscal_year, actual_value, note, source_cell, old_value, old_note,
    # old_is_sample (the current value is fictional), status
    rows: pd.DataFrame
    skipped: int
    skipped_by_plan: dict[str, int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    # plan_id -> active upload that already holds these exact bytes
    already_by_plan: dict[str, int] = field(default_factory=dict)
    # 事業評価 rows (issue #13): plan_id, project_id, fiscal_year, the five fields, source_cell,
    # status (new / changed / unchanged against project_evaluations_current)
    evaluations: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Comments of rows not reported (plan_id, kpi_id, fiscal_year, note, source_cell): stored
    # in kpi_unreported_notes, shown in the preview, never a value (issue #10).
    unreported_notes: pd.DataFrame = field(default_factory=empty_notes)

    @property
    def already_loaded(self) -> int | None:
        """The upload holding this file when every plan it covers already has it (then a commit
        changes nothing)."""
        if self.plan_ids and all(p in self.already_by_plan for p in self.plan_ids):
            return max(self.already_by_plan[p] for p in self.plan_ids)
        return None

    def count(self, status: str) -> int:
        return int((self.rows["status"] == status).sum())

    @property
    def counts(self) -> dict[str, int]:
        return {
            NEW: self.count(NEW),
            CHANGED: self.count(CHANGED),
            UNCHANGED: self.count(UNCHANGED),
            "skipped": self.skipped,
        }

    @property
    def changed_rows(self) -> pd.DataFrame:
        return self.rows[self.rows["status"] == CHANGED]


@dataclass
class CommitResult:
    upload_ids: list[int]  # one per plan written; empty when the file was already loaded
    preview: Preview  # the diff as computed inside the transaction

    @property
    def already_loaded(self) -> int | None:
        return None if self.upload_ids else self.preview.already_loaded

    @property
    def written(self) -> bool:
        return bool(self.upload_ids)


def resolve_plan_id(
    con: duckdb.DuckDBPyConnection, plan_id: str | None = None, *, fiscal_year: int | None = None
) -> str:
    """The chosen plan (checked), else the only plan, else the newest (`list_plans` order);
    given a fiscal year, the newest plan whose period covers it (a template for FY2025 is asked
    for just when the next plan has been loaded)."""
    plans = repository.list_plans(con) if repository.schema_ready(con) else None
    if plans is None or plans.empty:
        raise NotFound(
            "計画が登録されていません。先に計画ワークブックを読み込んでください"
            "（python -m etl build）。"
        )
    if plan_id:
        known = [str(p) for p in plans["plan_id"]]
        if plan_id not in known:
            raise NotFound(f"計画「{plan_id}」はありません。登録されている計画: {'、'.join(known)}")
        return plan_id
    if fiscal_year is not None:
        covering = plans[(plans["start_fy"] <= fiscal_year) & (plans["end_fy"] >= fiscal_year)]
        if not covering.empty:
            return str(covering["plan_id"].iloc[0])
    return str(plans["plan_id"].iloc[0])


# ---------------------------------------------------------------- the catalogue


def load_catalog(con: duckdb.DuckDBPyConnection, plan_ids: list[str] | None = None) -> KpiCatalog:
    """Catalog of the given plans (every plan when None: a file may name its plans itself)."""
    periods = repository.plan_periods(con, plan_ids)
    kpis = repository.catalog_kpis(con, plan_ids)
    targets = repository.numeric_targets(con, plan_ids, percent_only=True)
    current = repository.current_actuals_of(con, plan_ids, cumulative_only=True)
    # zip over plain lists: building dicts of 300,000 entries row by row through pandas is slow.
    # KPIs share a few (unit, cumulative, direction) combinations: one KpiInfo for each.
    shared: dict[tuple, KpiInfo] = {}
    infos = [
        shared.get(combo)
        or shared.setdefault(combo, KpiInfo(combo[0] or "", bool(combo[1]), combo[2]))
        for combo in zip(
            kpis["unit"].tolist(),
            kpis["cumulative"].tolist(),
            kpis["direction"].tolist(),
            strict=True,
        )
    ]
    return KpiCatalog(
        periods={
            p: (int(s), int(e))
            for p, s, e in zip(
                periods["plan_id"].tolist(),
                periods["start_fy"].tolist(),
                periods["end_fy"].tolist(),
                strict=True,
            )
        },
        kpis=dict(
            zip(
                zip(kpis["plan_id"].tolist(), kpis["kpi_id"].tolist(), strict=True),
                infos,
                strict=True,
            )
        ),
        targets=_Values(targets, "target_value"),
        current=_Values(current, "actual_value"),
    )


class _Values(Mapping):
    """(plan_id, kpi_id, fiscal_year) -> value, built on first use: most files never ask."""

    def __init__(self, frame: pd.DataFrame, column: str):
        self._frame: pd.DataFrame | None = frame
        self._column = column
        self._dict: dict[Key, float] = {}

    def _values(self) -> dict[Key, float]:
        if self._frame is not None:
            self._dict = _value_dict(self._frame, self._column)
            self._frame = None
        return self._dict

    def __getitem__(self, key: Key) -> float:
        return self._values()[key]

    def __iter__(self):
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


def _value_dict(frame: pd.DataFrame, column: str) -> dict[Key, float]:
    return {
        (p, k, int(y)): float(v)
        for p, k, y, v in zip(
            frame["plan_id"].tolist(),
            frame["kpi_id"].tolist(),
            frame["fiscal_year"].tolist(),
            frame[column].tolist(),
            strict=True,
        )
    }


@dataclass
class FileRead:
    """A yearly file read whole: its values and its project evaluations (#13)."""

    actuals: ActualsRead
    evaluations: EvaluationRead

    @property
    def plan_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.actuals.plan_ids, *self.evaluations.plan_ids]))


def read_file(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    filename: str,
    plan_id: str | None,
    settings: Settings,
) -> FileRead:
    """Read the values and the 事業評価 sheet; InputRejected with every blocking problem of
    both, and YEAR_LOCKED on each row of a locked year."""
    default_plan = resolve_plan_id(con, plan_id)
    actuals = _read_values(con, data, filename, default_plan, settings)
    problems = list(actuals.problems)
    evaluations = EvaluationRead()
    if actuals.sheet or actuals.ok:  # the workbook itself could be opened
        plans = list(dict.fromkeys([default_plan, *actuals.plan_ids]))
        evaluations = read_evaluations(
            data, filename, load_evaluation_catalog(con, plans), plan_id=default_plan
        )
        problems += evaluations.problems
    read = FileRead(actuals, evaluations)
    # with the file's other problems, not after them: the rows read so far name the years
    problems += locked_problems(
        locked(con, list(dict.fromkeys([*read.plan_ids, *actuals.rows_read["plan_id"]]))),
        [actuals.rows_read, actuals.unreported_notes, evaluations.rows],
        filename,
    )
    if any(p.blocking for p in problems):
        raise InputRejected(problems)
    return read


def _read_values(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    filename: str,
    default_plan: str,
    settings: Settings,
) -> ActualsRead:
    # The plans the file names (its 計画ID column, else the default plan), read after the
    # sheet: a city's 40 rows in a national database need one plan's KPIs, not 1,741.
    read = read_actuals(
        data,
        filename,
        lambda plan_ids: load_catalog(con, plan_ids),
        plan_id=default_plan,
        limits=settings.limits,
    )
    return read


EVALUATION_FIELDS = ["progress", "activities", "reason", "issues", "direction"]
EVALUATION_KEYS = ["plan_id", "project_id", "fiscal_year"]


def _evaluation_diff(rows: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Evaluation rows with old_<field> and status new, changed or unchanged."""
    old = current[[*EVALUATION_KEYS, *EVALUATION_FIELDS]].rename(
        columns={f: f"old_{f}" for f in EVALUATION_FIELDS}
    )
    old = old.astype({"fiscal_year": "int64"})
    merged = rows.merge(
        old, how="left", on=EVALUATION_KEYS, validate="one_to_one", indicator="_found"
    )
    known = merged.pop("_found") == "both"
    same = pd.Series(True, index=merged.index)
    for f in EVALUATION_FIELDS:
        same &= merged[f].fillna("") == merged[f"old_{f}"].fillna("")
    merged["status"] = np.where(~known, NEW, np.where(same, UNCHANGED, CHANGED))
    return merged


def _diff(rows: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Rows with old_value / old_note / old_is_sample and status new, changed or unchanged
    (vectorised)."""
    old = current[[*KEYS, "actual_value", "note", "is_sample"]].rename(
        columns={"actual_value": "old_value", "note": "old_note", "is_sample": "old_is_sample"}
    )
    old = old.astype({"fiscal_year": "int64", "old_value": "float64", "old_is_sample": "boolean"})
    merged = rows.merge(old, how="left", on=KEYS, validate="one_to_one")
    same_value = merged["actual_value"] == merged["old_value"]
    same_note = merged["note"].fillna("") == merged["old_note"].fillna("")
    merged["status"] = np.where(
        merged["old_value"].isna(), NEW, np.where(same_value & same_note, UNCHANGED, CHANGED)
    )
    return merged


def _preview(
    con: duckdb.DuckDBPyConnection, file: FileRead, filename: str, sha: str, kind: str
) -> Preview:
    """The diff of the file's rows against the current values."""
    read = file.actuals
    plans = file.plan_ids
    rows = _diff(read.rows, repository.current_actuals_of(con, plans)).reset_index(drop=True)
    evaluations = _evaluation_diff(
        file.evaluations.rows, repository.current_evaluations(con, plans)
    ).reset_index(drop=True)
    # Bytes already active for a plan are a no-op only while they still match what is current:
    # loading an earlier file again after a later correction is how a clerk undoes it.
    already = repository.active_uploads_with_sha(con, sha, kind)
    changing = set(rows.loc[rows["status"] != UNCHANGED, "plan_id"])
    changing |= set(evaluations.loc[evaluations["status"] != UNCHANGED, "plan_id"])
    return Preview(
        filename=filename,
        sha256=sha,
        plan_ids=plans,
        rows=rows,
        skipped=read.skipped,
        skipped_by_plan=dict(read.skipped_by_plan),
        warnings=read.warnings,
        already_by_plan={p: already[p] for p in plans if p in already and p not in changing},
        evaluations=evaluations,
        unreported_notes=read.unreported_notes,
    )


def preview_read(
    con: duckdb.DuckDBPyConnection, read: FileRead, filename: str, sha: str, kind: str = "actuals"
) -> Preview:
    """The preview of a file already read (a round checks many files, then writes them)."""
    return _preview(con, read, filename, sha, kind)


def preview_actuals(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    filename: str,
    *,
    plan_id: str | None,
    settings: Settings,
    kind: str = "actuals",
) -> Preview:
    """Validate and compare with the current values; raises InputRejected on any blocking
    problem. Reads only: the database is untouched."""
    read = read_file(con, data, filename, plan_id, settings)
    return _preview(con, read, filename, sha256_of(data), kind)


def commit_actuals(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    filename: str,
    *,
    by: str,
    settings: Settings,
    plan_id: str | None = None,
    kind: str = "actuals",
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CommitResult:
    """Validate and load in one transaction: one upload row per plan the file covers.

    The same bytes already active for a plan are not loaded again while nothing would change.
    `progress(done, total)` is called inside the transaction after each write: the upload rows
    (done = the number of plans), then the values (done == total).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}: {kind!r}")
    read = read_file(con, data, filename, plan_id, settings)
    now = now or dt.datetime.now()
    sha = sha256_of(data)
    # Content-addressed and outside the transaction: a failed load leaves a harmless file.
    archive(data, settings.uploads_dir)
    expected: dict[int, tuple[int, int]] = {}
    expected_notes: dict[int, int] = {}
    with repository.transaction(con):
        result = write_read(
            con, read, filename, sha, kind, by, now, expected, expected_notes, progress
        )
    verify(con, expected, expected_notes)
    return result


def write_read(
    con: duckdb.DuckDBPyConnection,
    read: FileRead,
    filename: str,
    sha: str,
    kind: str,
    by: str,
    now: dt.datetime,
    expected: dict[int, tuple[int, int]],
    expected_notes: dict[int, int],
    progress: Callable[[int, int], None] | None = None,
) -> CommitResult:
    """Write one read file inside the caller's transaction (a whole round shares one).
    `expected` gains upload_id -> (values, evaluations) written and `expected_notes` the
    comments of rows not reported, for `verify` after COMMIT."""
    # Recomputed here: another upload may have landed since the preview.
    preview = _preview(con, read, filename, sha, kind)
    todo = [p for p in read.plan_ids if p not in preview.already_by_plan]
    if len(todo) < len(read.plan_ids):
        notes = preview.unreported_notes
        preview = replace(
            preview,
            rows=preview.rows[preview.rows["plan_id"].isin(todo)],
            evaluations=preview.evaluations[preview.evaluations["plan_id"].isin(todo)],
            unreported_notes=notes[notes["plan_id"].isin(todo)],
        )
    total = len(todo) + 1
    counts = preview.rows.groupby(["plan_id", "status"]).size().to_dict()
    n = {
        status: [int(counts.get((pid, status), 0)) for pid in todo]
        for status in (NEW, CHANGED, UNCHANGED)
    }
    # One statement for every plan's upload row (a national file covers 1,741 plans).
    upload_of = repository.insert_uploads(
        con,
        pd.DataFrame(
            {
                "kind": kind,
                "plan_id": pd.Series(todo, dtype=object),
                "filename": filename,
                "sha256": sha,
                "uploaded_at": now,
                "uploaded_by": by,
                "rows_new": n[NEW],
                "rows_changed": n[CHANGED],
                "rows_unchanged": n[UNCHANGED],
                "rows_skipped": [preview.skipped_by_plan.get(pid, 0) for pid in todo],
            }
        ),
    )
    evaluations_of = preview.evaluations.groupby("plan_id").size().to_dict()
    for i, pid in enumerate(todo):
        expected[upload_of[pid]] = (
            n[NEW][i] + n[CHANGED][i] + n[UNCHANGED][i],
            int(evaluations_of.get(pid, 0)),
        )
    if progress and todo:
        progress(len(todo), total)
    if todo:
        frame = preview.rows.assign(
            upload_id=preview.rows["plan_id"].map(upload_of).astype("int64"),
            recorded_at=now,
        )
        repository.insert_actuals(con, frame)
        notes = preview.unreported_notes
        repository.insert_unreported_notes(
            con,
            notes.assign(
                upload_id=notes["plan_id"].map(upload_of).astype("int64"), recorded_at=now
            ),
        )
        expected_notes.update(
            {upload_of[p]: int(k) for p, k in notes.groupby("plan_id").size().items()}
        )
        evaluations = preview.evaluations
        if len(evaluations):
            repository.insert_evaluations(
                con,
                evaluations.assign(
                    upload_id=evaluations["plan_id"].map(upload_of).astype("int64"),
                    recorded_at=now,
                ),
            )
        if progress:
            progress(total, total)
    return CommitResult(upload_ids=[upload_of[p] for p in todo], preview=preview)


def verify(
    con: duckdb.DuckDBPyConnection,
    expected: dict[int, tuple[int, int]],
    expected_notes: dict[int, int] | None = None,
) -> None:
    """Never infer success from COMMIT alone (DESIGN 4.4): read back what was written."""
    _verify_notes(con, expected_notes or {})
    if not expected:
        return
    values = repository.upload_value_counts(con, list(expected))
    evaluations = repository.upload_evaluation_counts(con, list(expected))
    found = {uid: (values.get(uid, -1), evaluations.get(uid, 0)) for uid in values}
    if found != expected:
        raise DatabaseError(
            "取込の保存を確認できませんでした。取込履歴を確認し、必要ならもう一度取り込んでください。"
        )


def _verify_notes(con: duckdb.DuckDBPyConnection, expected: dict[int, int]) -> None:
    """The comments of rows not reported, read back like the values."""
    if expected and repository.upload_note_counts(con, list(expected)) != expected:
        raise DatabaseError(
            "取込の保存を確認できませんでした。取込履歴を確認し、必要ならもう一度取り込んでください。"
        )


REVERTED, REMOVED, KEPT = "reverted", "removed", "kept"


@dataclass
class RollbackEffect:
    """What rolling back some uploads does to each value they wrote."""

    uploads: list[dict]  # the uploads' rows (after the rollback, when it was done)
    # plan_id, kpi_id, fiscal_year, current_value, current_note, current_upload_id,
    # after_value, after_note, after_upload_id, after_is_sample, status
    rows: pd.DataFrame
    evaluations: int = 0  # 事業評価 rows the uploads hold (#13): withdrawn with them

    def count(self, status: str) -> int:
        return int((self.rows["status"] == status).sum())

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in (REVERTED, REMOVED, KEPT)}


def _checked(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> list[dict]:
    """The uploads, refusing unknown ones (NotFound), plan workbooks and rolled back ones."""
    infos = repository.uploads_by_id(con, list(dict.fromkeys(upload_ids)))  # NotFound
    for info in infos:
        upload_id = info["upload_id"]
        if info["kind"] == "plan":
            raise RollbackRefused(
                f"取込番号 {upload_id} は計画ワークブックの取込のため取り消せません。"
                "計画を元に戻すには、以前の計画ワークブックを読み込み直してください。"
            )
        if info["status"] == "rolled_back":
            raise RollbackRefused(
                f"取込番号 {upload_id} は既に取り消されています"
                f"（{info['rolled_back_at']}、{info['rolled_back_by']}）。"
            )
    return infos


def _effect(con: duckdb.DuckDBPyConnection, infos: list[dict]) -> RollbackEffect:
    ids = [int(i["upload_id"]) for i in infos]
    rows = repository.rollback_effect(con, ids)
    mine = rows["current_upload_id"].isin(ids)
    rows["status"] = np.where(mine, np.where(rows["after_value"].isna(), REMOVED, REVERTED), KEPT)
    evaluations = sum(repository.upload_evaluation_counts(con, ids).values())
    return RollbackEffect(uploads=infos, rows=rows, evaluations=evaluations)


def rollback_preview(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> RollbackEffect:
    """What a rollback would change, value by value; reads only."""
    return _effect(con, _checked(con, upload_ids))


def rollback_uploads(
    con: duckdb.DuckDBPyConnection,
    upload_ids: list[int],
    *,
    by: str,
    now: dt.datetime | None = None,
) -> RollbackEffect:
    """Mark actuals or sample uploads rolled back, all or none (nothing is deleted): the value
    before them is current again, unless a newer upload holds one (status `kept`)."""
    now = now or dt.datetime.now()
    with repository.transaction(con):
        effect = _effect(con, _checked(con, upload_ids))
        ids = [int(info["upload_id"]) for info in effect.uploads]
        repository.set_upload_status(con, ids, by=by, at=now)
    effect.uploads = repository.uploads_by_id(con, ids)
    if any(info["status"] != "rolled_back" for info in effect.uploads):
        raise DatabaseError(
            f"取込番号 {', '.join(str(i['upload_id']) for i in effect.uploads)} の取消を"
            "保存できませんでした。"
        )
    return effect


def rollback_upload(
    con: duckdb.DuckDBPyConnection, upload_id: int, *, by: str, now: dt.datetime | None = None
) -> dict:
    """Roll back one upload; returns its row."""
    return rollback_uploads(con, [upload_id], by=by, now=now).uploads[0]
