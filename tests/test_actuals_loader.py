"""Loading yearly actuals: preview, commit, supersede, rollback, concurrency, crashes, CLI."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
from openpyxl import Workbook

from etl import cli
from etl.actuals_loader import (
    RollbackRefused,
    commit_actuals,
    preview_actuals,
    resolve_plan_id,
    rollback_preview,
    rollback_upload,
    rollback_uploads,
)
from etl.problems import InputRejected
from kpi import repository
from kpi.config import ROOT
from kpi.errors import DatabaseBusy, NotFound
from tests import db_helpers
from tests.test_actuals_reader import NEXT_PLAN, _add_next_plan

PLAN_ID = "hadano-r3-r7"
SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"


def actuals(values: Mapping[tuple[str, int], object], notes: dict | None = None) -> bytes:
    """A hand-made actuals file: (kpi_id, fiscal_year) -> value."""
    wb = Workbook()
    ws = wb.active
    ws.title = "実績"
    ws.append(["指標ID", "年度", "実績値", "備考"])
    for (kid, fy), v in values.items():
        ws.append([kid, fy, v, (notes or {}).get((kid, fy))])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def current(con) -> dict[tuple[str, int], float]:
    df = repository.current_actuals_of(con, [PLAN_ID])
    return {(r.kpi_id, r.fiscal_year): r.actual_value for r in df.itertuples()}


def commit(con, data, settings, name="a.xlsx", **kw):
    return commit_actuals(con, data, name, by="tester", settings=settings, **kw)


FILE_A = {("1-2-1-1", 2024): 7900, ("1-2-1-2", 2024): 2600, ("2-5-3-3", 2024): 3}
FILE_B = {("1-2-1-1", 2024): 7900, ("1-2-1-2", 2024): 2750, ("1-2-1-3", 2024): 18000}


# ------------------------------------------------------------------ preview and commit


def test_preview_counts_and_reads_only(plan_con, settings):
    commit(plan_con, actuals(FILE_A), settings)
    before = db_helpers.snapshot(plan_con)
    archived = set(settings.uploads_dir.iterdir())
    data = actuals({**FILE_B, ("1-2-4-2", 2024): "－", ("3-1-1-1", 2024): None})
    preview = preview_actuals(plan_con, data, "b.xlsx", plan_id=None, settings=settings)
    assert db_helpers.snapshot(plan_con) == before
    assert preview.counts == {"new": 1, "changed": 1, "unchanged": 1, "skipped": 2}
    changed = preview.changed_rows.iloc[0]
    assert (changed.kpi_id, changed.old_value, changed.actual_value) == ("1-2-1-2", 2600.0, 2750.0)
    assert preview.plan_ids == [PLAN_ID]
    assert len(preview.sha256) == 64 and preview.already_loaded is None
    assert set(settings.uploads_dir.iterdir()) == archived


def test_commit_then_current_values(plan_con, settings):
    data = actuals(FILE_A, notes={("2-5-3-3", 2024): "不審な通信 3 件"})
    result = commit(plan_con, data, settings, now=dt.datetime(2025, 5, 1, 9, 0))
    assert result.written and len(result.upload_ids) == 1
    uid = result.upload_ids[0]
    assert current(plan_con) == {k: float(v) for k, v in FILE_A.items()}
    info = repository.upload(plan_con, uid)
    assert (info["kind"], info["plan_id"], info["status"], info["uploaded_by"]) == (
        "actuals",
        PLAN_ID,
        "active",
        "tester",
    )
    assert (info["rows_new"], info["rows_changed"], info["rows_unchanged"]) == (3, 0, 0)
    stored = db_helpers.upload_actuals(plan_con, uid)
    assert stored.set_index("kpi_id").loc["2-5-3-3", "note"] == "不審な通信 3 件"
    assert stored.set_index("kpi_id").loc["1-2-1-1", "source_cell"] == "実績!C2"
    assert (settings.uploads_dir / f"{result.preview.sha256}.xlsx").read_bytes() == data


def test_same_file_twice_changes_nothing(plan_con, settings):
    data = actuals(FILE_A)
    first = commit(plan_con, data, settings)
    before = db_helpers.snapshot(plan_con)
    preview = preview_actuals(plan_con, data, "again.xlsx", plan_id=None, settings=settings)
    assert preview.already_loaded == first.upload_ids[0]
    again = commit(plan_con, data, settings, name="again.xlsx")
    assert not again.written and again.already_loaded == first.upload_ids[0]
    assert db_helpers.snapshot(plan_con) == before


def test_loading_an_earlier_file_again_undoes_a_later_correction(plan_con, settings):
    a = actuals(FILE_A)
    first = commit(plan_con, a, settings).upload_ids[0]
    commit(plan_con, actuals({("1-2-1-2", 2024): 2750}), settings, name="fix.xlsx")
    preview = preview_actuals(plan_con, a, "a.xlsx", plan_id=None, settings=settings)
    assert preview.already_loaded is None and preview.counts["changed"] == 1
    again = commit(plan_con, a, settings)
    assert again.written and again.upload_ids[0] != first
    assert current(plan_con) == {k: float(v) for k, v in FILE_A.items()}


def test_second_file_supersedes(plan_con, settings):
    commit(plan_con, actuals(FILE_A), settings)
    result = commit(plan_con, actuals(FILE_B), settings, name="b.xlsx")
    assert result.preview.counts == {"new": 1, "changed": 1, "unchanged": 1, "skipped": 0}
    row = result.preview.changed_rows.iloc[0]
    assert (row.kpi_id, row.old_value, row.actual_value) == ("1-2-1-2", 2600.0, 2750.0)
    info = repository.upload(plan_con, result.upload_ids[0])
    assert (info["rows_new"], info["rows_changed"], info["rows_unchanged"]) == (1, 1, 1)
    assert current(plan_con) == {
        ("1-2-1-1", 2024): 7900.0,
        ("1-2-1-2", 2024): 2750.0,
        ("1-2-1-3", 2024): 18000.0,
        ("2-5-3-3", 2024): 3.0,
    }


def test_a_note_change_alone_counts_as_changed(plan_con, settings):
    commit(plan_con, actuals(FILE_A), settings)
    data = actuals(FILE_A, notes={("1-2-1-1", 2024): "訂正"})
    preview = preview_actuals(plan_con, data, "n.xlsx", plan_id=None, settings=settings)
    assert preview.counts["changed"] == 1 and preview.counts["unchanged"] == 2


# ------------------------------------------------------------------ rollback


def test_rollback_restores_the_previous_value(plan_con, settings):
    commit(plan_con, actuals(FILE_A), settings)
    b = commit(plan_con, actuals(FILE_B), settings, name="b.xlsx").upload_ids[0]
    info = rollback_upload(plan_con, b, by="tester")
    assert info["status"] == "rolled_back" and info["rolled_back_by"] == "tester"
    assert current(plan_con) == {k: float(v) for k, v in FILE_A.items()}
    assert len(db_helpers.upload_actuals(plan_con, b)) == 3  # nothing deleted
    with pytest.raises(RollbackRefused):
        rollback_upload(plan_con, b, by="tester")  # already rolled back
    with pytest.raises(NotFound):
        rollback_upload(plan_con, 999, by="tester")
    plan_upload = int(
        repository.list_uploads(plan_con).query("kind == 'plan'")["upload_id"].iloc[0]
    )
    with pytest.raises(RollbackRefused):
        rollback_upload(plan_con, plan_upload, by="tester")
    # The same bytes may be loaded again after their upload was rolled back.
    assert commit(plan_con, actuals(FILE_B), settings, name="b.xlsx").written


def test_rollback_says_value_by_value_what_it_changes(plan_con, settings):
    commit(plan_con, actuals(FILE_A), settings)
    b = commit(plan_con, actuals(FILE_B), settings, name="b.xlsx").upload_ids[0]
    before = db_helpers.snapshot(plan_con)
    effect = rollback_preview(plan_con, [b])
    assert db_helpers.snapshot(plan_con) == before  # a preview writes nothing
    status = {
        (r.kpi_id, r.status): (r.current_value, r.after_value) for r in effect.rows.itertuples()
    }
    assert status[("1-2-1-2", "reverted")] == (2750.0, 2600.0)
    assert status[("1-2-1-1", "reverted")] == (7900.0, 7900.0)  # A said the same
    assert ("1-2-1-3", "removed") in status  # only B had it
    assert effect.counts == {"reverted": 2, "removed": 1, "kept": 0}


def test_rollback_of_a_value_a_newer_file_restated_keeps_it_and_says_so(plan_con, settings):
    commit(plan_con, actuals(FILE_A), settings)
    b = commit(plan_con, actuals(FILE_B), settings, name="b.xlsx").upload_ids[0]
    restated = actuals({**FILE_B, ("2-5-3-3", 2025): "－"})  # other bytes, the same values
    assert commit(plan_con, restated, settings, name="b-copy.xlsx").written
    effect = rollback_uploads(plan_con, [b], by="tester")
    assert effect.counts == {"reverted": 0, "removed": 0, "kept": 3}
    assert current(plan_con)[("1-2-1-2", 2024)] == 2750.0


def test_rollback_of_several_uploads_is_all_or_nothing(plan_con, settings):
    a = commit(plan_con, actuals(FILE_A), settings).upload_ids[0]
    b = commit(plan_con, actuals(FILE_B), settings, name="b.xlsx").upload_ids[0]
    before = db_helpers.snapshot(plan_con)
    with pytest.raises(NotFound):
        rollback_uploads(plan_con, [a, b, 999], by="tester")
    assert db_helpers.snapshot(plan_con) == before
    effect = rollback_uploads(plan_con, [a, b], by="tester")
    assert [u["status"] for u in effect.uploads] == ["rolled_back", "rolled_back"]
    assert current(plan_con) == {}
    assert effect.counts["removed"] == 4


def test_rolling_back_an_older_upload_keeps_values_a_newer_file_restated(plan_con, settings):
    a = commit(plan_con, actuals(FILE_A), settings).upload_ids[0]
    commit(plan_con, actuals(FILE_B), settings, name="b.xlsx")
    rollback_upload(plan_con, a, by="tester")
    assert current(plan_con) == {k: float(v) for k, v in FILE_B.items()}  # 2-5-3-3 only in A


def test_rolling_back_the_sample_leaves_no_sample_value(plan_con, settings):
    sample = commit(plan_con, SAMPLE.read_bytes(), settings, name=SAMPLE.name, kind="sample")
    real = commit(plan_con, actuals(FILE_B), settings, name="b.xlsx")
    rollback_upload(plan_con, sample.upload_ids[0], by="tester")
    kinds = plan_con.execute(
        "SELECT u.kind, count(*) FROM kpi_actuals_current c JOIN uploads u USING (upload_id) "
        "GROUP BY ALL"
    ).fetchall()
    assert kinds == [("actuals", 3)]
    assert set(current(plan_con)) == set(FILE_B)
    assert real.written


def test_sample_values_are_marked_for_analysts_until_a_real_value_supersedes(plan_con, settings):
    commit(plan_con, SAMPLE.read_bytes(), settings, name=SAMPLE.name, kind="sample")
    commit(plan_con, actuals(FILE_B), settings, name="b.xlsx")
    marks = dict(
        plan_con.execute(
            "SELECT kpi_id || '/' || fiscal_year, is_sample FROM kpi_status "
            "WHERE actual_value IS NOT NULL"
        ).fetchall()
    )
    real = {f"{k}/{fy}" for k, fy in FILE_B}
    assert {k for k, sample in marks.items() if not sample} == real
    assert len(marks) > len(real) and all(marks[k] for k in marks.keys() - real)
    current_marks = plan_con.execute(
        "SELECT DISTINCT is_sample FROM kpi_actuals_current ORDER BY 1"
    ).fetchall()
    assert current_marks == [(False,), (True,)]


def test_blocking_file_leaves_the_database_as_it_was(plan_con, settings):
    commit(plan_con, actuals(FILE_A), settings)
    before = db_helpers.snapshot(plan_con)
    archived = set(settings.uploads_dir.iterdir())
    bad = actuals({("1-2-1-1", 2025): 8000, ("9-9-9-9", 2025): 1, ("1-2-1-2", 2025): "多数"})
    with pytest.raises(InputRejected) as e:
        commit(plan_con, bad, settings, name="bad.xlsx")
    assert {(p.cell, p.code) for p in e.value.problems} == {
        ("A3", "UNKNOWN_KPI"),
        ("C4", "BAD_NUMBER"),
    }
    assert db_helpers.snapshot(plan_con) == before
    assert set(settings.uploads_dir.iterdir()) == archived  # rejected before archiving


# ------------------------------------------------------------------ concurrency and crashes


def test_two_threads_two_connections_both_applied_never_mixed(seed_db):
    keys = [("1-2-1-1", fy) for fy in range(2021, 2026)] + [("1-2-1-2", fy) for fy in (2021, 2022)]
    files = {
        "a.xlsx": actuals({k: 1000 + i for i, k in enumerate(keys)}),
        "b.xlsx": actuals({k: 5000 + i for i, k in enumerate(keys)} | {("1-3-3-1", 2023): 1}),
    }
    barrier = threading.Barrier(len(files))
    errors: list[BaseException] = []

    def load(name: str) -> None:
        try:
            with repository.open_db(seed_db.db_path) as con:
                barrier.wait()
                commit_actuals(con, files[name], name, by=name, settings=seed_db)
        except BaseException as e:  # reported below: a thread cannot fail the test itself
            errors.append(e)

    threads = [threading.Thread(target=load, args=(n,)) for n in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with repository.open_db(seed_db.db_path) as con:
        uploads = repository.list_uploads(con).query("kind == 'actuals'")
        assert len(uploads) == 2 and set(uploads["status"]) == {"active"}
        by_name = dict(zip(uploads["filename"], uploads["upload_id"], strict=True))
        for name, uid in by_name.items():  # every value of each upload is stored
            stored = db_helpers.upload_actuals(con, int(uid))
            expected = len(keys) + (name == "b.xlsx")
            assert len(stored) == expected
        now = repository.current_actuals_of(con, [PLAN_ID])
        overlap = now[now.apply(lambda r: (r.kpi_id, r.fiscal_year) in set(keys), axis=1)]
        assert overlap["upload_id"].nunique() == 1  # wholly from one upload
        assert int(overlap["upload_id"].iloc[0]) == max(by_name.values())


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(60)
"""


def test_second_process_gets_database_busy(seed_db, tmp_path, capsys):
    path = tmp_path / "a.xlsx"
    path.write_bytes(actuals(FILE_A))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(seed_db.db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy):
            repository.connect(seed_db.db_path)
        code = cli.main(["load-actuals", str(path), "--db", str(seed_db.db_path)])
        assert code == 1
        err = capsys.readouterr().err
        assert "使用中" in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # Once the other process is gone the same command works.
    assert cli.main(["load-actuals", str(path), "--db", str(seed_db.db_path)]) == 0


KILLED_LOAD = """
import sys, time
from pathlib import Path
from etl.actuals_loader import commit_actuals
from kpi import repository
from kpi.config import load_settings

settings = load_settings().with_db(sys.argv[1])
marker = Path(sys.argv[3])

def progress(done, total):
    if done == total:  # every row written, COMMIT not yet run
        marker.write_text("in transaction")
        time.sleep(60)

with repository.open_db(settings.db_path) as con:
    commit_actuals(con, Path(sys.argv[2]).read_bytes(), "big.xlsx", by="killed",
                   settings=settings, progress=progress)
print("committed", flush=True)
"""


def test_sigkill_during_the_transaction_leaves_the_old_data(seed_db, tmp_path):
    with repository.open_db(seed_db.db_path) as con:
        commit_actuals(con, actuals(FILE_A), "a.xlsx", by="t", settings=seed_db)
        before = db_helpers.snapshot(con)
    data = SAMPLE.read_bytes()  # every KPI and year of the plan
    big, marker = tmp_path / "big.xlsx", tmp_path / "marker"
    big.write_bytes(data)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOAD, str(seed_db.db_path), str(big), str(marker)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the load never reached its transaction"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with repository.open_db(seed_db.db_path) as con:
        assert db_helpers.snapshot(con) == before
        result = commit_actuals(con, data, "big.xlsx", by="t", settings=seed_db)
        assert result.written and result.preview.counts["new"] > 100


# ------------------------------------------------------------------ command line


@pytest.fixture
def db(seed_db) -> Path:
    return seed_db.db_path


def snapshot_of(path: Path):
    with repository.open_db(path) as con:
        return db_helpers.snapshot(con)


def test_cli_dry_run_prints_and_changes_nothing(db, tmp_path, capsys):
    assert cli.main(["load-actuals", str(_write(tmp_path, FILE_A)), "--db", str(db)]) == 0
    capsys.readouterr()
    before = snapshot_of(db)
    path = _write(tmp_path, {**FILE_B, ("1-2-4-2", 2024): "未集計"}, "b.xlsx")
    assert cli.main(["load-actuals", str(path), "--db", str(db), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "新規 1 / 変更 1 / 変更なし 1 / 未報告（スキップ） 1" in out
    assert "1-2-1-2" in out and "2,600" in out and "2,750" in out  # old -> new
    assert "--dry-run" in out
    assert snapshot_of(db) == before


def test_cli_load_history_and_rollback(db, tmp_path, capsys):
    path = _write(tmp_path, FILE_A)
    assert cli.main(["load-actuals", str(path), "--db", str(db), "--by", "山田"]) == 0
    out = capsys.readouterr().out
    assert "取り込みました: 取込番号 2" in out
    assert cli.main(["load-actuals", str(path), "--db", str(db)]) == 0
    assert "取込済み" in capsys.readouterr().out
    assert cli.main(["history", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "actuals" in out and "山田" in out
    assert cli.main(["rollback", "2", "--db", str(db)]) == 0
    assert "取り消しました" in capsys.readouterr().out
    assert cli.main(["rollback", "2", "--db", str(db)]) == 1
    assert "既に取り消されています" in capsys.readouterr().err
    assert cli.main(["rollback", "1", "--db", str(db)]) == 1  # the plan upload
    assert cli.main(["rollback", "77", "--db", str(db)]) == 1


def test_cli_rollback_several_with_dry_run_first(db, tmp_path, capsys):
    assert cli.main(["load-actuals", str(_write(tmp_path, FILE_A)), "--db", str(db)]) == 0
    b = _write(tmp_path, FILE_B, name="b.xlsx")
    assert cli.main(["load-actuals", str(b), "--db", str(db)]) == 0
    assert "rollback 3" in capsys.readouterr().out
    before = snapshot_of(db)
    assert cli.main(["rollback", "2-3", "--dry-run", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "値がなくなる 4" in out and "--dry-run" in out
    assert snapshot_of(db) == before
    assert cli.main(["rollback", "3", "2", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "取込番号 2" in out and "取込番号 3" in out
    with repository.open_db(db) as con:
        assert set(repository.list_uploads(con).query("kind == 'actuals'")["status"]) == {
            "rolled_back"
        }
    with pytest.raises(SystemExit) as e:
        cli.main(["rollback", "x-3", "--db", str(db)])
    assert e.value.code == 2


@pytest.mark.parametrize(
    ("ids", "args"), [([7], "7"), ([3, 4], "3 4"), ([3, 4, 5], "3-5"), ([3, 5, 6], "3 5 6")]
)
def test_rollback_hint_names_every_upload_of_the_file(ids, args):
    assert cli._id_args(ids) == args
    assert [i for text in args.split() for i in cli._upload_id_range(text)] == ids


def test_cli_rejected_file_exit_1(db, tmp_path, capsys):
    before = snapshot_of(db)
    path = _write(tmp_path, {("1-2-1-1", 2019): 1, ("1-2-1-2", 2024): -1}, "bad.xlsx")
    assert cli.main(["load-actuals", str(path), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "YEAR_OUT_OF_PLAN" in err and "NEGATIVE" in err and "B2" in err and "C3" in err
    assert "データベースは変更されていません" in err
    assert snapshot_of(db) == before
    assert cli.main(["load-actuals", str(path), "--db", str(db), "--plan-id", "nowhere"]) == 1


def test_cli_template(seed_db, tmp_path, capsys):
    db = seed_db.db_path
    out = tmp_path / "t" / "template.xlsx"
    assert cli.main(["template", "--fy", "令和6年度", "--out", str(out), "--db", str(db)]) == 0
    assert "令和6年度" in capsys.readouterr().out
    with repository.open_db(db) as con:
        preview = preview_actuals(con, out.read_bytes(), out.name, plan_id=None, settings=seed_db)
    assert preview.counts == {"new": 0, "changed": 0, "unchanged": 0, "skipped": 35}
    assert cli.main(["template", "--fy", "2030", "--out", str(out), "--db", str(db)]) == 1
    with pytest.raises(SystemExit) as e:
        cli.main(["template", "--fy", "来年", "--out", str(out), "--db", str(db)])
    assert e.value.code == 2


def test_cli_template_picks_the_plan_covering_the_year(seed_db, tmp_path, capsys):
    with repository.open_db(seed_db.db_path) as con:
        _add_next_plan(con)
        assert resolve_plan_id(con, fiscal_year=2027) == NEXT_PLAN
        assert resolve_plan_id(con, fiscal_year=2040) == NEXT_PLAN  # none covers it: newest
    out = tmp_path / "t.xlsx"
    args = ["template", "--fy", "2025", "--out", str(out), "--db", str(seed_db.db_path)]
    assert cli.main(args) == 0
    assert f"計画 {PLAN_ID}" in capsys.readouterr().out


def test_cli_build_with_sample_once(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert cli.main(["build", "--db", str(db), "--sample"]) == 0
    assert "サンプル実績（架空）を取り込みました" in capsys.readouterr().out
    assert cli.main(["build", "--db", str(db), "--sample"]) == 0
    assert "取込済み" in capsys.readouterr().out
    with repository.open_db(db) as con:
        uploads = repository.list_uploads(con)
    assert list(uploads["kind"]) == ["sample", "plan"]


def test_cli_preview_marks_a_fictional_old_value_and_shows_the_old_note(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert cli.main(["build", "--db", str(db), "--sample"]) == 0
    with repository.open_db(db) as con:
        row = con.execute(
            "SELECT kpi_id, fiscal_year, actual_value, note FROM kpi_actuals_current "
            "WHERE note IS NOT NULL ORDER BY kpi_id LIMIT 1"
        ).fetchone()
    assert row is not None
    kid, fy, value, note = row
    path = _write(tmp_path, {(kid, fy): value + 1})
    capsys.readouterr()
    assert cli.main(["load-actuals", str(path), "--dry-run", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"{value:,.10g}（架空）" in out and note[:10] in out


def _write(tmp_path: Path, values: dict, name: str = "a.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(actuals(values))
    return path
