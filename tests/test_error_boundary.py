"""One error boundary (issue 11.1, issue 10.4): a domain error raised anywhere in a page shows
its Japanese message in `st.error`, never Streamlit's generic error; the CLI says it in one
line, without a traceback, and exits 1 (DESIGN 7).

Faults are real: a second process holds the file, the file is garbage or cut short, the file
may not be written (when the tests run as root, the child runs without the capability to
override file modes, since root ignores them), the disk is full (the file may not grow: RLIMIT_FSIZE in a child)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl import cli
from kpi.config import ROOT, load_settings
from kpi.errors import DatabaseCorrupt, DatabaseFull, DatabaseReadOnly
from kpi.repository import database_error

SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"
# Root ignores file modes unless it drops the capabilities that let it.
AS_ORDINARY_USER = (
    ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
)


@pytest.fixture(scope="module")
def built_db(tmp_path_factory) -> Path:
    """The seed plan with the sample actuals, built once; tests take copies."""
    db = tmp_path_factory.mktemp("boundary") / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0
    return db


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder to make read-only; writable again afterwards, so that it can be removed."""
    folder = tmp_path / "ro"
    folder.mkdir()
    yield folder
    for p in [folder, *folder.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


def run_app(db: Path, page: str | None = None) -> AppTest:
    os.environ["KPI_DB"] = str(db)
    os.environ["KPI_TODAY"] = "2026-11-25"
    load_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        if page:
            at.switch_page(page).run()
        return at
    finally:
        del os.environ["KPI_DB"], os.environ["KPI_TODAY"]
        load_settings.cache_clear()


def run_cli(*args: str) -> tuple[int, str]:
    """`python -m etl ...` in a child: its stderr is exactly what a user reads."""
    proc = subprocess.run(
        [sys.executable, "-m", "etl", *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stderr


def assert_one_line(err: str, *words: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("エラー"), err
    assert any(w in lines[0] for w in words), lines[0]


# ---------------------------------------------------------------- in this process

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(120)
"""


def test_database_held_by_another_process_shows_busy_message(built_db, tmp_path):
    db = tmp_path / "kpi.duckdb"
    shutil.copyfile(built_db, db)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
        at = run_app(db)
        assert not at.exception, [e.value for e in at.exception]
        assert len(at.error) == 1 and "使用中" in at.error[0].value
        code, err = run_cli("report", "--db", str(db), "--out", str(tmp_path / "r.pdf"))
        assert code == cli.EXIT_REJECTED
        assert_one_line(err, "使用中")
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert not run_app(db).error  # the other process gone, the app works again


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_database_shows_what_to_do(built_db, tmp_path, damage):
    db = tmp_path / "kpi.duckdb"
    if damage == "garbage":
        db.write_bytes(b"not a database " * 1000)
    else:
        shutil.copyfile(built_db, db)
        os.truncate(db, db.stat().st_size // 2)
    at = run_app(db)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "壊れて" in at.error[0].value
    code, err = run_cli("export", "--db", str(db), "--out", str(tmp_path / "x.csv"))
    assert code == cli.EXIT_REJECTED
    assert_one_line(err, "壊れて")


def test_duckdb_messages_become_the_error_a_user_can_act_on():
    """The classification that every connection goes through (DuckDB's messages have no
    codes): the words DuckDB uses for each fault, as seen in the tests below."""
    cases = {
        'IO Error: The file "x" exists, but it is not a valid DuckDB database file!': DatabaseCorrupt,
        'IO Error: Could not read enough bytes from file "x": attempted to read 3192 bytes': DatabaseCorrupt,
        'IO Error: Cannot open file "x": Permission denied': DatabaseReadOnly,
        'IO Error: Could not write file "x": No space left on device': DatabaseFull,
        'IO Error: Could not write file "x": File too large': DatabaseFull,
    }
    for text, kind in cases.items():
        error = database_error(RuntimeError(text), "x")
        assert type(error) is kind, text
        assert "\n" not in str(error)


# ---------------------------------------------------------------- in a child process

CHILD = """
import json, os, resource, signal, sys
from streamlit.testing.v1 import AppTest
from etl import cli

db, limit = sys.argv[1], int(sys.argv[2])
if limit:  # the disk is full: no file may grow past `limit` bytes
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
out = {}
for page in ["views/overview.py", "views/upload.py"]:
    at = AppTest.from_file("app.py", default_timeout=60).run()
    at.switch_page(page).run()
    out[page] = {
        "exception": [e.value for e in at.exception],
        "error": [e.value for e in at.error],
        "metrics": len(at.metric),
    }
code = cli.main(["load-actuals", sys.argv[3], "--db", db, "--by", "test"])
out["load"] = code
print(json.dumps(out, ensure_ascii=False))
"""


def run_child(db: Path, *, limit: int = 0, ordinary_user: bool = False) -> tuple[dict, str]:
    env = dict(
        os.environ,
        KPI_DB=str(db),
        KPI_TODAY="2026-11-25",
        PYTHONPATH=str(ROOT),
        HOME=str(db.parent),
        MPLCONFIGDIR=str(db.parent / "mpl"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("KPI_UPLOAD_PASSWORD_HASH", None)
    prefix = AS_ORDINARY_USER if ordinary_user else []
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", CHILD, str(db), str(limit), str(SAMPLE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def assert_reads_served(result: dict) -> None:
    overview = result["views/overview.py"]
    assert overview["exception"] == [] and overview["error"] == []
    assert overview["metrics"] >= 4  # the headline figures were read
    assert result["views/upload.py"]["exception"] == []


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root ignores file modes"
)
def test_read_only_database_serves_reads_and_refuses_writes(built_db, unwritable):
    db = unwritable / "kpi.duckdb"
    shutil.copyfile(built_db, db)
    (unwritable / "mpl").mkdir()
    db.chmod(0o444)
    unwritable.chmod(0o555)
    result, stderr = run_child(db, ordinary_user=True)
    assert_reads_served(result)
    assert result["load"] == cli.EXIT_REJECTED
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("エラー")]
    assert len(lines) == 1 and ("読み取り専用" in lines[0] or "権限" in lines[0]), stderr


def test_full_disk_serves_reads_and_refuses_writes(built_db, tmp_path):
    db = tmp_path / "kpi.duckdb"
    shutil.copyfile(built_db, db)
    result, stderr = run_child(db, limit=4096)
    assert_reads_served(result)
    assert result["load"] == cli.EXIT_REJECTED
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("エラー")]
    assert len(lines) == 1 and "空き容量" in lines[0], stderr
