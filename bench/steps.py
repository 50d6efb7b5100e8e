"""One benchmark step, run in a fresh interpreter: `python -m bench.steps '<json>'`.

The parent (bench.run) starts one process per step so that steps never share caches, imports
or heap: the peak resident memory (`ru_maxrss`) of the process is the step's peak. The step
times `repeats` runs and prints one JSON line:

    {"times": [...seconds...], "rss_start_mb": ..., "peak_mb": ..., "info": {...}}

`rss_start_mb` is the resident size of the bare interpreter, before the step imports anything;
`peak_mb` the peak over the whole process (VmHWM, see `_peak_mb`).
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kpi.config import ROOT


def _status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def _rss_mb() -> float:
    kb = _status_kb("VmRSS")
    return (kb or 0) / 1e3


def _peak_mb() -> float:
    """Peak resident memory of this process. VmHWM is reset by exec; ru_maxrss is not on
    Linux (a child started from a big parent would report the parent's peak), so it is only
    the fallback."""
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1e3


def _timed(fn: Callable[[], object], repeats: int, setup: Callable[[], None] | None = None):
    """Run fn `repeats` times; the previous result is let go before each run, so that the
    peak memory is one run's."""
    times = []
    result = None
    for _ in range(repeats):
        if setup:
            setup()
        result = None
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


# ---------------------------------------------------------------- actuals workbook


def parse_calamine(a: dict) -> tuple[list[float], dict]:
    """The floor: python-calamine reads every cell of sheet 実績 into Python lists."""
    import python_calamine

    data = Path(a["file"]).read_bytes()

    def run():
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return book.get_sheet_by_name("実績").to_python(skip_empty_area=False)

    times, rows = _timed(run, a["repeats"])
    return times, {"rows": len(rows)}


def parse_openpyxl(a: dict) -> tuple[list[float], dict]:
    """openpyxl's fastest mode (read-only, cached values) reading every cell."""
    import openpyxl

    data = Path(a["file"]).read_bytes()

    def run():
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(wb["実績"].iter_rows(values_only=True))
        wb.close()
        return rows

    times, rows = _timed(run, a["repeats"])
    return times, {"rows": len(rows)}


def guard(a: dict) -> tuple[list[float], dict]:
    from etl.guard import check_workbook_bytes
    from kpi.config import load_settings

    data = Path(a["file"]).read_bytes()
    limits = load_settings().limits
    times, problems = _timed(lambda: check_workbook_bytes(data, "x.xlsx", limits), a["repeats"])
    return times, {"problems": len(problems)}


def _scratch_db(source: str) -> tuple[Path, Callable[[], None]]:
    """A private copy of a database, restored before every run (copying is not timed)."""
    tmp = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    target = tmp / "kpi.duckdb"

    def restore():
        for p in tmp.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
        shutil.copyfile(source, target)

    restore()
    return target, restore


def read_actuals(a: dict) -> tuple[list[float], dict]:
    """Guard, parse and validate (catalog from the database included), nothing written."""
    from etl.actuals_loader import _read_values, resolve_plan_id
    from kpi import repository
    from kpi.config import load_settings

    data = Path(a["file"]).read_bytes()
    db, _ = _scratch_db(a["db"])
    settings = load_settings().with_db(db)
    with repository.open_db(db) as con:
        repository.init_schema(con, settings.grading)
        times, read = _timed(
            lambda: _read_values(
                con, data, Path(a["file"]).name, resolve_plan_id(con, a.get("plan_id")), settings
            ),
            a["repeats"],
        )
    return times, {"rows": len(read.rows), "skipped": read.skipped, "warnings": len(read.warnings)}


def load_actuals(a: dict) -> tuple[list[float], dict]:
    """What `python -m etl load-actuals` does after opening the file: read, validate, diff,
    archive the file, insert in one transaction, verify. A fresh database copy each run."""
    import python_calamine

    from etl.actuals_loader import commit_actuals
    from kpi import repository
    from kpi.config import load_settings

    data = Path(a["file"]).read_bytes()
    db, restore = _scratch_db(a["db"])
    settings = load_settings().with_db(db)
    state: dict = {}

    def setup():
        if "con" in state:
            state["con"].close()
        restore()
        state["con"] = repository.connect(db)
        repository.init_schema(state["con"], settings.grading)

    def run():
        return commit_actuals(
            state["con"],
            data,
            Path(a["file"]).name,
            by="bench",
            settings=settings,
            plan_id=a.get("plan_id"),
        )

    def bare():
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)

    # With "paired", each load follows a bare calamine parse of the same bytes: the machine's
    # speed drifts, and a ratio of neighbours is steadier than one of medians. Without it the
    # process holds nothing else, so its peak memory is the load's.
    times, parse_times = [], []
    result = None
    for _ in range(a["repeats"]):
        if a.get("paired"):
            parse_times += _timed(bare, 1)[0]
        t, result = _timed(run, 1, setup)
        times += t
        result_counts, uploads = result.preview.counts, len(result.upload_ids)
        result = None  # let the rows go before the next run (peak memory)
    state["con"].close()
    return times, {
        "counts": result_counts,
        "uploads": uploads,
        "paired_parse": parse_times,
        "ratios": [t / p for t, p in zip(times, parse_times, strict=False)],
    }


# ---------------------------------------------------------------- plan workbook


def parse_plan_calamine(a: dict) -> tuple[list[float], dict]:
    """The floor for a plan workbook: every sheet into Python lists."""
    import python_calamine

    data = Path(a["file"]).read_bytes()

    def run():
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return sum(
            len(book.get_sheet_by_name(n).to_python(skip_empty_area=False))
            for n in book.sheet_names
        )

    times, rows = _timed(run, a["repeats"])
    return times, {"rows": rows}


def build(a: dict) -> tuple[list[float], dict]:
    """`python -m etl build` into an empty database: schema, read, validate, load."""
    from etl.plan_loader import load_plan
    from kpi import repository
    from kpi.config import load_settings

    data = Path(a["file"]).read_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    state: dict = {}

    def setup():
        shutil.rmtree(tmp)
        tmp.mkdir()
        state["settings"] = load_settings().with_db(tmp / "kpi.duckdb")

    def run():
        s = state["settings"]
        with repository.open_db(s.db_path) as con:
            repository.init_schema(con, s.grading)
            return load_plan(con, data, Path(a["file"]).name, by="bench", settings=s)

    times, result = _timed(run, a["repeats"], setup)
    return times, {"plans": len(result.changes), "written": len(result.upload_ids)}


def rebuild(a: dict) -> tuple[list[float], dict]:
    """`build` again with the same workbook on a built database: compares, writes nothing."""
    from etl.plan_loader import load_plan
    from kpi import repository
    from kpi.config import load_settings

    data = Path(a["file"]).read_bytes()
    db, _ = _scratch_db(a["db"])
    settings = load_settings().with_db(db)

    def run():
        with repository.open_db(db) as con:
            repository.init_schema(con, settings.grading)
            return load_plan(con, data, Path(a["file"]).name, by="bench", settings=settings)

    times, result = _timed(run, a["repeats"])
    return times, {"plans": len(result.changes), "changed": int(result.changed)}


# ---------------------------------------------------------------- the PDF report


def report(a: dict) -> tuple[list[float], dict]:
    """The council's PDF of one whole plan (every KPI, its chart and year table), from data
    already read: what `python -m etl report` and the reports page spend after the read."""
    import datetime as dt

    from etl.report import build_report
    from kpi import service
    from kpi.config import load_settings
    from kpi.dashboard import Filters

    settings = load_settings().with_db(a["db"])
    plan_id = a.get("plan_id") or str(service.plans(settings)["plan_id"].iloc[0])
    data = service.plan_data(settings, plan_id)
    day = dt.date(2026, 11, 25)

    def run():
        return build_report(data, Filters(), as_of=day, sources=[], grading=settings.grading)

    times, pdf = _timed(run, a["repeats"])
    return times, {"kpis": int(data.status["kpi_id"].nunique()), "bytes": len(pdf)}


# ---------------------------------------------------------------- pages


def page(a: dict) -> tuple[list[float], dict]:
    """A page via AppTest, as tests/test_pages.py runs it.

    times[0] is the first run in a fresh process (cold: imports, database reads, caches
    empty); then `repeats` reruns with nothing changed (warm); then `repeats` reruns that
    each change the fiscal year in the sidebar (a widget change: new filter set, same data).
    """
    from streamlit.testing.v1 import AppTest

    from kpi.config import load_settings

    os.environ["KPI_DB"] = a["db"]
    os.environ["KPI_TODAY"] = a.get("today", "2026-11-25")
    os.environ.pop("KPI_UPLOAD_PASSWORD_HASH", None)
    load_settings.cache_clear()
    script = str(ROOT / (a.get("script") or "app.py"))
    at = AppTest.from_file(script, default_timeout=600)
    if a.get("page"):
        at.switch_page(a["page"])

    def run():
        at.run()
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])

    cold, _ = _timed(run, 1)
    warm, _ = _timed(run, a["repeats"])
    change: list[float] = []
    if a.get("page"):
        fy = at.sidebar.selectbox(key="fy")
        years = list(fy.options)
        for i in range(a["repeats"]):
            fy.select_index(i % 2 if len(years) > 1 else 0)
            t = time.perf_counter()
            run()
            change.append(time.perf_counter() - t)
            fy = at.sidebar.selectbox(key="fy")
    info = {"cold": cold[0], "warm": warm, "change": change}
    return cold + warm, info


STEPS = {
    f.__name__: f
    for f in (
        parse_calamine,
        parse_openpyxl,
        guard,
        read_actuals,
        load_actuals,
        parse_plan_calamine,
        build,
        rebuild,
        report,
        page,
    )
}


def main() -> None:
    args = json.loads(sys.argv[1])
    rss_start = _rss_mb()
    times, info = STEPS[args["step"]](args)
    print(
        json.dumps(
            {"times": times, "rss_start_mb": rss_start, "peak_mb": _peak_mb(), "info": info},
            ensure_ascii=False,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
