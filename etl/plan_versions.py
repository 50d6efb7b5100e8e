"""A plan as a user loads it (#14): preview what changes, load a new version with the reason
for revised targets, roll a version back.

Every load that changes a plan is an upload of kind `plan` whose rows are kept in the
version tables (kpi/schema.sql); the structure tables hold the newest active version. Rolling
back a plan upload therefore restores the version before it, targets included, and the
targets of every version stay queryable (view kpi_target_revisions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from etl.actuals_loader import RollbackRefused
from etl.archive import sha256_of
from etl.plan_loader import PlanLoadResult, load_plan, unknown_predecessors
from etl.plan_reader import read_plan
from etl.problems import InputRejected, Problem, problem
from kpi import repository
from kpi.config import Settings
from kpi.errors import DatabaseError
from kpi.fiscal import fy_column
from kpi.numbers import text_or_blank

NEW, CHANGED, REMOVED = "new", "changed", "removed"
STATE_WORDS = {NEW: "追加", CHANGED: "変更", REMOVED: "削除"}
KIND_WORDS = {"project": "個別事業", "kpi": "評価指標", "target": "目標値"}
CHANGE_COLUMNS = ["plan_id", "kind", "item_id", "fiscal_year", "name", "state", "before", "after"]

# What a user sees of a project and a KPI: a change in any of these is a change of the item.
_PROJECT_FIELDS = ["measure_id", "name", "overview", "aims", "relisted_from", "departments"]
_KPI_FIELDS = ["project_id", "name", "unit", "direction", "cumulative", "rationale"]


def _projects(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    p = repository.plan_frame(tables, "projects").copy()
    d = repository.plan_frame(tables, "project_departments").sort_values(["role", "seq"])
    depts = d.groupby(["plan_id", "project_id"])["department"].agg("、".join)
    keys = list(zip(p["plan_id"], p["project_id"], strict=True))
    p["departments"] = [depts.get(k, "") for k in keys]
    return p


def _diff(
    old: pd.DataFrame, new: pd.DataFrame, keys: list[str], fields: list[str], show: str
) -> pd.DataFrame:
    """Rows added, removed or changed between two frames keyed by `keys`; before / after are
    the `show` column (the changed item's wording)."""

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        f = frame[[*keys, *fields]].copy()
        f[fields] = f[fields].map(text_or_blank)
        return f.set_index(keys)

    o, n = keyed(old), keyed(new)
    out = []
    for key in n.index.difference(o.index):
        out.append((key, NEW, "", n.loc[key, show]))
    for key in o.index.difference(n.index):
        out.append((key, REMOVED, o.loc[key, show], ""))
    both = n.index.intersection(o.index)
    for key in both:
        if not n.loc[key, fields].equals(o.loc[key, fields]):
            out.append((key, CHANGED, o.loc[key, show], n.loc[key, show]))
    return pd.DataFrame(
        [(*(k if isinstance(k, tuple) else (k,)), s, b, a) for k, s, b, a in out],
        columns=[*keys, "state", "before", "after"],
    )


def plan_changes(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Projects, KPIs and targets added, changed or removed from `old` to `new` (the plan
    tables of the same plans), one row each: CHANGE_COLUMNS, in id order."""
    parts = []
    projects = _diff(
        _projects(old), _projects(new), ["plan_id", "project_id"], _PROJECT_FIELDS, "name"
    )
    parts.append(projects.rename(columns={"project_id": "item_id"}).assign(kind="project"))
    old_k, new_k = repository.plan_frame(old, "kpis"), repository.plan_frame(new, "kpis")
    kpis = _diff(old_k, new_k, ["plan_id", "kpi_id"], _KPI_FIELDS, "name")
    parts.append(kpis.rename(columns={"kpi_id": "item_id"}).assign(kind="kpi"))
    targets = _diff(
        repository.plan_frame(old, "kpi_targets"),
        repository.plan_frame(new, "kpi_targets"),
        ["plan_id", "kpi_id", "fiscal_year"],
        ["target_text", "target_value", "comparator"],
        "target_text",
    )
    parts.append(targets.rename(columns={"kpi_id": "item_id"}).assign(kind="target"))
    frame = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=CHANGE_COLUMNS)
    )
    if "fiscal_year" not in frame:
        frame["fiscal_year"] = None
    names = pd.concat([old_k, new_k]).drop_duplicates(["plan_id", "kpi_id"], keep="last")
    kpi_names = dict(
        zip(zip(names["plan_id"], names["kpi_id"], strict=True), names["name"], strict=True)
    )
    frame["name"] = [
        kpi_names.get((p, i), "") if k == "target" else (a or b)
        for p, i, k, b, a in zip(
            frame["plan_id"],
            frame["item_id"],
            frame["kind"],
            frame["before"],
            frame["after"],
            strict=True,
        )
    ]
    order = {"project": 0, "kpi": 1, "target": 2}
    frame = frame.assign(_k=frame["kind"].map(order)).sort_values(
        ["plan_id", "_k", "item_id", "fiscal_year"], na_position="first", kind="stable"
    )
    return frame[CHANGE_COLUMNS].reset_index(drop=True)


def revised_targets(changes: pd.DataFrame, old_kpis: set[tuple[str, str]]) -> pd.DataFrame:
    """Target rows of KPIs that already existed: a 中間見直し, which needs a reason."""
    t = changes[changes["kind"] == "target"]
    kept = [(p, k) in old_kpis for p, k in zip(t["plan_id"], t["item_id"], strict=True)]
    return t[kept]


@dataclass
class PlanPreview:
    filename: str
    sha256: str
    plan_ids: list[str]
    new_plans: list[str]  # plan ids the database does not hold yet
    changes: pd.DataFrame  # CHANGE_COLUMNS
    revisions: pd.DataFrame  # the target rows of `changes` that revise an existing KPI
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new_plans) or not self.changes.empty

    @property
    def needs_reason(self) -> bool:
        return not self.revisions.empty

    def count(self, kind: str, state: str) -> int:
        c = self.changes
        return int(((c["kind"] == kind) & (c["state"] == state)).sum())


def preview_plan(
    con: duckdb.DuckDBPyConnection, data: bytes, filename: str, *, settings: Settings
) -> PlanPreview:
    """Validate a plan workbook and say what loading it changes; reads only.
    Raises InputRejected with every blocking problem."""
    read = read_plan(data, filename, settings.limits)
    if not read.ok:
        raise InputRejected(read.problems)
    if missing := unknown_predecessors(con, read, filename):
        raise InputRejected(missing)
    ids = read.plan_ids
    old = repository.current_plan_tables(con, ids)
    stored = set(old["plans"]["plan_id"])
    changes = plan_changes(old, read.tables)
    old_kpis = set(zip(old["kpis"]["plan_id"], old["kpis"]["kpi_id"], strict=True))
    return PlanPreview(
        filename=filename,
        sha256=sha256_of(data),
        plan_ids=ids,
        new_plans=[p for p in ids if p not in stored],
        changes=changes,
        revisions=revised_targets(changes, old_kpis),
        warnings=read.problems,
    )


def commit_plan(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    filename: str,
    *,
    by: str,
    settings: Settings,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> PlanLoadResult:
    """Load a plan workbook as a user: targets of existing KPIs change only with a reason."""
    preview = preview_plan(con, data, filename, settings=settings)
    reason = (reason or "").strip() or None
    if preview.needs_reason and reason is None:
        raise InputRejected(
            [
                problem(
                    "REASON_REQUIRED",
                    value=", ".join(sorted(set(preview.revisions["item_id"]))[:5]),
                    detail=f"{len(preview.revisions)} 件",
                    file=filename,
                )
            ]
        )
    return load_plan(con, data, filename, by=by, settings=settings, now=now, reason=reason)


def superseded(con: duckdb.DuckDBPyConnection, data: bytes) -> dict[str, int]:
    """Plans for which exactly these bytes were loaded before and a newer version is now in
    force: plan_id -> the upload in force. `build` must not quietly undo a user's revision by
    loading data/plan.xlsx again on every start."""
    out = {}
    for pid, uid in repository.active_uploads_with_sha(con, sha256_of(data), "plan").items():
        in_force = repository.plan_version_in_force(con, pid)
        if in_force is not None and in_force > uid:
            out[pid] = in_force
    return out


# ---------------------------------------------------------------- rollback of a plan upload


@dataclass
class PlanRollbackEffect:
    uploads: list[dict]
    changes: pd.DataFrame  # CHANGE_COLUMNS: from the current plan to the plan after the rollback
    removed_plans: list[str]  # plans with no earlier version: they leave the current tables


def is_plan_upload(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> bool:
    """True when every one of these uploads loaded a plan workbook (NotFound if one is unknown)."""
    infos = repository.uploads_by_id(con, list(dict.fromkeys(upload_ids)))
    return all(i["kind"] == "plan" for i in infos)


def _checked(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> list[dict]:
    infos = repository.uploads_by_id(con, list(dict.fromkeys(upload_ids)))
    kept = repository.uploads_with_plan_version(con, [int(i["upload_id"]) for i in infos])
    for info in infos:
        uid = int(info["upload_id"])
        if info["kind"] != "plan":
            raise RollbackRefused(
                f"取込番号 {uid} は計画の取込ではありません。実績と計画の取込は別々に取り消してください。"
            )
        if info["status"] == "rolled_back":
            raise RollbackRefused(
                f"取込番号 {uid} は既に取り消されています"
                f"（{info['rolled_back_at']}、{info['rolled_back_by']}）。"
            )
        if uid not in kept:
            raise RollbackRefused(
                f"取込番号 {uid} は計画の版が記録される前の取込のため、取り消せません。"
                "以前の計画ワークブックを読み込み直してください。"
            )
    return infos


def _effect(con: duckdb.DuckDBPyConnection, infos: list[dict]) -> PlanRollbackEffect:
    ids = [int(i["upload_id"]) for i in infos]
    plan_ids = sorted({str(i["plan_id"]) for i in infos})
    current = repository.current_plan_tables(con, plan_ids)
    after: dict[str, list[pd.DataFrame]] = {t: [] for t in repository.PLAN_TABLES}
    removed = []
    for pid in plan_ids:
        version = repository.plan_version_in_force(con, pid, without=ids)
        if version is None:
            if repository.plan_has_actuals(con, pid):
                raise RollbackRefused(
                    f"計画 {pid} の最初の版です。この計画には実績の取込があるため、計画を"
                    "なくす取消はできません。内容を直すには、直した計画ワークブックを読み込んでください。"
                )
            removed.append(pid)
            continue
        for t, frame in repository.plan_version_tables(con, version).items():
            after[t].append(frame)
    restored = {
        t: pd.concat(f, ignore_index=True) if f else pd.DataFrame(columns=cols)
        for (t, f), cols in zip(after.items(), repository.PLAN_TABLES.values(), strict=True)
    }
    return PlanRollbackEffect(infos, plan_changes(current, restored), removed)


def plan_rollback_preview(
    con: duckdb.DuckDBPyConnection, upload_ids: list[int]
) -> PlanRollbackEffect:
    return _effect(con, _checked(con, upload_ids))


def rollback_plan_uploads(
    con: duckdb.DuckDBPyConnection,
    upload_ids: list[int],
    *,
    by: str,
    now: dt.datetime | None = None,
) -> PlanRollbackEffect:
    """Mark plan uploads rolled back and make the newest remaining version of each plan
    current again, all or nothing. Actuals are never touched."""
    now = now or dt.datetime.now()
    with repository.transaction(con):
        effect = _effect(con, _checked(con, upload_ids))
        ids = [int(i["upload_id"]) for i in effect.uploads]
        repository.set_upload_status(con, ids, by=by, at=now)
        for pid in sorted({str(i["plan_id"]) for i in effect.uploads}):
            version = repository.plan_version_in_force(con, pid)
            if version is None:
                repository.remove_plan(con, pid)
            else:
                repository.replace_plan(con, repository.plan_version_tables(con, version))
    effect.uploads = repository.uploads_by_id(con, ids)
    if any(info["status"] != "rolled_back" for info in effect.uploads):
        raise DatabaseError("計画の取込の取消を保存できませんでした。")
    return effect


def change_table(changes: pd.DataFrame, *, several_plans: bool = False) -> pd.DataFrame:
    """The changes as people read them (Japanese headers): the CLI, the page, the rollback."""
    rows: list[dict[str, object]] = []
    for r in changes.to_dict("records"):
        row: dict[str, object] = {"計画ID": r["plan_id"]} if several_plans else {}
        fy = r["fiscal_year"]
        row |= {
            "区分": STATE_WORDS[r["state"]],
            "対象": KIND_WORDS[r["kind"]],
            "番号": str(r["item_id"]),
            "年度": fy_column(int(fy)) if fy is not None and not pd.isna(fy) else "",
            "名称": str(r["name"]),
            "変更前": str(r["before"]),
            "変更後": str(r["after"]),
        }
        rows.append(row)
    columns = (["計画ID"] if several_plans else []) + [
        "区分",
        "対象",
        "番号",
        "年度",
        "名称",
        "変更前",
        "変更後",
    ]
    return pd.DataFrame(rows, columns=columns)
