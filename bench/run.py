"""`python -m bench` (`make bench`): generate fake data, run every step in a fresh process,
print median / min / max and peak memory, and save the figures under bench/out/results/.

    python -m bench                      # everything: seed, 47 and 1,741 plans
    python -m bench --quick              # smoke run: seed and 47 plans, 2 repeats
    python -m bench --only actuals pages --sizes seed 47 --repeats 7
    python -m bench --label after        # name of the results file (default: a timestamp)

Generated workbooks and databases are kept in bench/out/ (git-ignored) and reused; pass
--regenerate after changing the generator. Databases are built with the project's own ETL
(`etl.plan_loader`, `etl.actuals_loader`), so the first run at 1,741 plans takes a while.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from kpi.config import ROOT

OUT = ROOT / "bench" / "out"
DATA = OUT / "data"
DBS = OUT / "db"
RESULTS = OUT / "results"
SIZES = {"seed": 1, "47": 47, "1741": 1741}
SEED_PLAN = ROOT / "data" / "plan.xlsx"
SEED_SAMPLE = ROOT / "data" / "sample" / "actuals_sample.xlsx"
CITY_PLAN = "fake-0001"
TODAY = "2026-11-25"  # every fiscal year of the plans has ended: every grade can appear


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data


def plan_file(size: str) -> Path:
    return SEED_PLAN if size == "seed" else DATA / f"plan-{size}.xlsx"


def actuals_file(case: str) -> Path:
    return SEED_SAMPLE if case == "seed" else DATA / f"actuals-{case}.xlsx"


def db_file(size: str, with_actuals: bool) -> Path:
    return DBS / f"{size}{'' if with_actuals else '-plans'}.duckdb"


def prepare(sizes: list[str], regenerate: bool) -> None:
    """Workbooks and databases for the chosen sizes, generated once and reused."""
    from bench import generate
    from etl.actuals_loader import commit_actuals
    from etl.plan_loader import load_plan
    from kpi import repository
    from kpi.config import load_settings

    DATA.mkdir(parents=True, exist_ok=True)
    DBS.mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    largest = max(SIZES[s] for s in sizes)
    plans = None
    for size in sizes:
        n = SIZES[size]
        if size != "seed":
            for path, write in (
                (plan_file(size), generate.write_plan_workbook),
                (actuals_file(size), generate.write_actuals_workbook),
            ):
                if regenerate or not path.exists():
                    plans = plans or generate.fake_plans(largest)
                    log(f"generating {path.relative_to(ROOT)} ({n} plans)")
                    write(plans[:n], path)
        city = actuals_file("city")
        if size != "seed" and (regenerate or not city.exists()):
            plans = plans or generate.fake_plans(largest)
            log(f"generating {city.relative_to(ROOT)} (one plan, one year)")
            generate.write_actuals_workbook(
                plans[:1], city, years=[generate.END_FY], with_plan_id=False, seed="city"
            )
        plans_db, full_db = db_file(size, False), db_file(size, True)
        s = settings
        if regenerate or not plans_db.exists():
            log(f"building {plans_db.relative_to(ROOT)}")
            _remove(plans_db)
            s = settings.with_db(plans_db)
            t = time.perf_counter()
            with repository.open_db(plans_db) as con:
                repository.init_schema(con, s.grading)
                data = plan_file(size).read_bytes()
                load_plan(con, data, plan_file(size).name, by="bench", settings=s)
            log(f"  {time.perf_counter() - t:.1f} s")
        if regenerate or not full_db.exists():
            log(f"building {full_db.relative_to(ROOT)}")
            _remove(full_db)
            shutil.copyfile(plans_db, full_db)
            s = settings.with_db(full_db)
            t = time.perf_counter()
            with repository.open_db(full_db) as con:
                repository.init_schema(con, s.grading)
                commit_actuals(
                    con,
                    actuals_file(size).read_bytes(),
                    actuals_file(size).name,
                    by="bench",
                    settings=s,
                    kind="sample" if size == "seed" else "actuals",
                )
            log(f"  {time.perf_counter() - t:.1f} s")


def _remove(db: Path) -> None:
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)


# ---------------------------------------------------------------- steps


def run_step(args: dict, timeout: float = 3600) -> dict:
    """One step in a fresh interpreter; its last stdout line is the JSON result."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.steps", json.dumps(args, ensure_ascii=False)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"step {args} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["args"] = args
    return result


def summary(times: list[float]) -> dict:
    return {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "n": len(times),
    }


def bench_actuals(sizes: list[str], repeats: int, big_repeats: int) -> list[dict]:
    """Read + validate + load of a yearly workbook, beside the bare parse of the same file."""
    cases = []
    if "47" in sizes:
        cases += [("city", "47", CITY_PLAN), ("47", "47", None)]
    if "1741" in sizes:
        cases += [("city", "1741", CITY_PLAN), ("1741", "1741", None)]
    if "seed" in sizes:
        cases.insert(0, ("seed", "seed", None))
    out = []
    for case, size, plan_id in cases:
        file = actuals_file(case)
        n = big_repeats if case == "1741" else repeats
        row: dict = {"case": case, "db": size, "file": str(file.relative_to(ROOT)), "steps": {}}
        for step in (
            "parse_calamine",
            "parse_openpyxl",
            "guard",
            "read_actuals",
            "load_actuals",
            "load_paired",
        ):
            log(f"actuals {case}@{size}: {step}")
            # openpyxl needs ~2 minutes for the national file: two runs are enough for a floor.
            runs = min(n, 2) if step == "parse_openpyxl" and case == "1741" else n
            args: dict[str, object] = {"step": step, "file": str(file), "repeats": runs}
            if step in ("read_actuals", "load_actuals", "load_paired"):
                args |= {"db": str(db_file(size, False)), "plan_id": plan_id}
            if step == "load_paired":
                args |= {"step": "load_actuals", "paired": True}
            res = run_step(args)
            row["steps"][step] = {
                **summary(res["times"]),
                "peak_mb": res["peak_mb"],
                "info": res["info"],
            }
            if step == "read_actuals":  # data rows: values read + rows not reported
                row["rows"] = res["info"]["rows"] + res["info"]["skipped"]
        row["bytes"] = file.stat().st_size
        out.append(row)
    return out


def bench_build(sizes: list[str], repeats: int, big_repeats: int) -> list[dict]:
    out = []
    for size in sizes:
        file = plan_file(size)
        n = big_repeats if size == "1741" else repeats
        row: dict = {"size": size, "file": str(file.relative_to(ROOT)), "steps": {}}
        for step in ("parse_plan_calamine", "build", "rebuild"):
            log(f"build {size}: {step}")
            args = {"step": step, "file": str(file), "repeats": n, "db": str(db_file(size, False))}
            res = run_step(args)
            row["steps"][step] = {
                **summary(res["times"]),
                "peak_mb": res["peak_mb"],
                "info": res["info"],
            }
        row["bytes"] = file.stat().st_size
        out.append(row)
    return out


def bench_report(sizes: list[str], repeats: int) -> list[dict]:
    """The PDF of one plan: the same at every database size, so measured on the smallest."""
    size = sizes[0]
    log(f"report {size}")
    res = run_step({"step": "report", "db": str(db_file(size, True)), "repeats": repeats})
    return [{"size": size, **summary(res["times"]), "peak_mb": res["peak_mb"], **res["info"]}]


def pages() -> list[str]:
    from ui.navigation import PAGES

    return [p.path for p in PAGES]


def bench_pages(sizes: list[str], repeats: int) -> list[dict]:
    out = []
    floor = run_step(
        {
            "step": "page",
            "script": "bench/empty_app.py",
            "db": str(db_file(sizes[0], True)),
            "repeats": repeats,
        }
    )
    out.append({"size": "-", "page": "(AppTest floor: one st.write)", **_page_row(floor)})
    for size in sizes:
        for page in pages():
            log(f"page {size}: {page}")
            try:
                res = run_step(
                    {
                        "step": "page",
                        "page": page,
                        "db": str(db_file(size, True)),
                        "repeats": repeats,
                        "today": TODAY,
                    }
                )
            except RuntimeError as e:  # a page broken by another change: report it, go on
                log(str(e))
                out.append({"size": size, "page": page, "error": str(e)[-300:]})
                continue
            out.append({"size": size, "page": page, **_page_row(res)})
    return out


def _page_row(res: dict) -> dict:
    info = res["info"]
    return {
        "cold": info["cold"],
        "warm": summary(info["warm"]),
        "change": summary(info["change"]) if info["change"] else None,
        "peak_mb": res["peak_mb"],
    }


# ---------------------------------------------------------------- machine and report


def machine() -> dict:
    from importlib import metadata

    import duckdb
    import openpyxl
    import pandas
    import streamlit

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1e6:.1f} GB"
    except OSError:
        pass
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "streamlit": streamlit.__version__,
            "duckdb": duckdb.__version__,
            "pandas": pandas.__version__,
            "openpyxl": openpyxl.__version__,
            "python-calamine": metadata.version("python-calamine"),
        },
    }


def ms(s: float) -> str:
    return f"{s * 1000:,.0f}"


def secs(s: float) -> str:
    return f"{s:.3f}" if s < 1 else f"{s:.2f}"


def spread(d: dict, unit=secs) -> str:
    return f"{unit(d['median'])} ({unit(d['min'])}–{unit(d['max'])})"


def report(results: dict) -> str:
    lines = []
    m = results["machine"]
    lines += [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"Date: {m['date']}; label: {results['label']}",
        "",
    ]
    if results.get("actuals"):
        lines += [
            "### Actuals workbook: seconds, median (min–max); ratios of medians",
            "",
            "| file | db | data rows | calamine parse | openpyxl parse | guard | read+validate | load (all) | load / calamine (paired) | load / openpyxl | peak MB (calamine / openpyxl / load) |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in results["actuals"]:
            s = r["steps"]
            cal, opx, load = s["parse_calamine"], s["parse_openpyxl"], s["load_actuals"]
            ratios = s["load_paired"]["info"].get("ratios")
            paired = (
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
                if ratios
                else f"{load['median'] / cal['median']:.2f}"
            )
            lines.append(
                f"| {r['case']} | {r['db']} | {r['rows']:,} | {spread(cal)} | {spread(opx)} | "
                f"{spread(s['guard'])} | {spread(s['read_actuals'])} | {spread(load)} | "
                f"{paired} | {load['median'] / opx['median']:.2f} | "
                f"{cal['peak_mb']:.0f} / {opx['peak_mb']:.0f} / {load['peak_mb']:.0f} |"
            )
        lines.append("")
    if results.get("build"):
        lines += [
            "### Building the database from the plan workbook: seconds, median (min–max)",
            "",
            "| plans | workbook | calamine parse (all sheets) | build (empty db) | build again (no change) | peak MB (build / again) |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        for r in results["build"]:
            s = r["steps"]
            lines.append(
                f"| {r['size']} | {r['bytes'] / 1e6:.1f} MB | {spread(s['parse_plan_calamine'])} | "
                f"{spread(s['build'])} | {spread(s['rebuild'])} | "
                f"{s['build']['peak_mb']:.0f} / {s['rebuild']['peak_mb']:.0f} |"
            )
        lines.append("")
    if results.get("report"):
        lines += [
            "### The council's PDF of one whole plan: seconds, median (min–max)",
            "",
            "| db | KPIs | build_report | PDF | peak MB |",
            "|---|--:|--:|--:|--:|",
        ]
        for r in results["report"]:
            lines.append(
                f"| {r['size']} | {r['kpis']} | {spread(r)} | {r['bytes'] / 1e6:.1f} MB | "
                f"{r['peak_mb']:.0f} |"
            )
        lines.append("")
    if results.get("pages"):
        lines += [
            "### Pages via AppTest: milliseconds per run, median (min–max)",
            "",
            "| plans | page | first run (cold) | rerun, nothing changed | rerun after a widget change | peak MB |",
            "|---|---|--:|--:|--:|--:|",
        ]
        for r in results["pages"]:
            if "error" in r:
                lines.append(f"| {r['size']} | {r['page']} | error | | | |")
                continue
            change = spread(r["change"], ms) if r["change"] else "–"
            lines.append(
                f"| {r['size']} | {r['page']} | {ms(r['cold'])} | {spread(r['warm'], ms)} | "
                f"{change} | {r['peak_mb']:.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", choices=list(SIZES), help="database sizes (default: all)")
    p.add_argument(
        "--only",
        nargs="+",
        choices=["actuals", "build", "report", "pages"],
        help="benchmarks to run",
    )
    p.add_argument("--repeats", type=int, help="runs per step (default 5; 3 at 1,741 plans)")
    p.add_argument(
        "--build-repeats", type=int, help="runs of the 1,741-plan build (default: as --repeats)"
    )
    p.add_argument("--quick", action="store_true", help="smoke run: seed and 47 plans, 2 repeats")
    p.add_argument("--regenerate", action="store_true", help="regenerate workbooks and databases")
    p.add_argument("--label", help="name of the results file in bench/out/results/")
    args = p.parse_args(argv)
    sizes = args.sizes or (["seed", "47"] if args.quick else list(SIZES))
    sizes = [s for s in SIZES if s in sizes]
    only = args.only or ["actuals", "build", "report", "pages"]
    repeats = args.repeats or (2 if args.quick else 5)
    big_repeats = args.repeats or (2 if args.quick else 3)
    label = args.label or dt.datetime.now().strftime("%Y%m%d-%H%M%S")

    prepare(sizes, args.regenerate)
    results: dict = {"label": label, "machine": machine(), "sizes": sizes}
    RESULTS.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after each benchmark: a long run that stops keeps what it measured
        (RESULTS / f"{label}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))

    if "actuals" in only:
        results["actuals"] = bench_actuals(sizes, repeats, big_repeats)
        save()
    if "build" in only:
        results["build"] = bench_build(sizes, repeats, args.build_repeats or big_repeats)
        save()
    if "report" in only:
        results["report"] = bench_report(sizes, repeats)
        save()
    if "pages" in only:
        results["pages"] = bench_pages(sizes, repeats)
    save()
    text = report(results)
    (RESULTS / f"{label}.md").write_text(text + "\n")
    print(text)
    log(f"saved bench/out/results/{label}.json and .md")
    return 0
