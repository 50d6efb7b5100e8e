"""Before / after tables for docs/benchmarks.md from two results files of `python -m bench`.

python -m bench.compare bench/out/results/before.json bench/out/results/after.json
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def _s(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _ms(x: float) -> str:
    return f"{x * 1000:,.0f}"


def _spread(d: dict, fmt=_s) -> str:
    return f"{fmt(d['median'])} ({fmt(d['min'])}–{fmt(d['max'])})"


def _ratio(step: dict) -> str:
    ratios = step["info"].get("ratios") or []
    if not ratios:
        return "–"
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def actuals(before: dict, after: dict) -> list[str]:
    lines = [
        "| file → database | data rows | load before, s | load after, s | speed-up | "
        "after ÷ calamine parse (paired) | after ÷ openpyxl parse | before ÷ calamine parse | "
        "peak MB before → after (calamine parse alone) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    old = {(r["case"], r["db"]): r for r in before.get("actuals", [])}
    for r in after.get("actuals", []):
        b = old.get((r["case"], r["db"]))
        s = r["steps"]
        load = s["load_actuals"]
        opx = s["parse_openpyxl"]
        if b is None:
            continue
        bl = b["steps"]["load_actuals"]
        lines.append(
            f"| {r['case']} → {r['db']} | {r['rows']:,} | {_spread(bl)} | {_spread(load)} | "
            f"{bl['median'] / load['median']:.1f}× | {_ratio(s['load_paired'])} | "
            f"{load['median'] / opx['median']:.2f} | {_ratio(b['steps']['load_paired'])} | "
            f"{bl['peak_mb']:.0f} → {load['peak_mb']:.0f} ({s['parse_calamine']['peak_mb']:.0f}) |"
        )
    lines += [
        "",
        "| file → database | calamine parse, s | openpyxl parse, s | openpyxl ÷ calamine | "
        "guard before → after, s | read+validate before → after, s |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for r in after.get("actuals", []):
        b = old.get((r["case"], r["db"]))
        if b is None:
            continue
        s, bs = r["steps"], b["steps"]
        cal, opx = s["parse_calamine"], s["parse_openpyxl"]
        lines.append(
            f"| {r['case']} → {r['db']} | {_spread(cal)} | {_spread(opx)} | "
            f"{opx['median'] / cal['median']:.0f} | "
            f"{_s(bs['guard']['median'])} → {_s(s['guard']['median'])} | "
            f"{_s(bs['read_actuals']['median'])} → {_s(s['read_actuals']['median'])} |"
        )
    return lines


def build(before: dict, after: dict) -> list[str]:
    lines = [
        "| plans | workbook | calamine parse (all sheets), s | build before, s | build after, s | "
        "build again before, s | build again after, s | peak MB before → after |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    old = {r["size"]: r for r in before.get("build", [])}
    for r in after.get("build", []):
        b = old.get(r["size"])
        if b is None:
            continue
        s, bs = r["steps"], b["steps"]
        lines.append(
            f"| {r['size']} | {r['bytes'] / 1e6:.1f} MB | {_spread(s['parse_plan_calamine'])} | "
            f"{_spread(bs['build'])} | {_spread(s['build'])} | {_spread(bs['rebuild'])} | "
            f"{_spread(s['rebuild'])} | "
            f"{max(bs['build']['peak_mb'], bs['rebuild']['peak_mb']):.0f} → "
            f"{max(s['build']['peak_mb'], s['rebuild']['peak_mb']):.0f} |"
        )
    return lines


def pages(before: dict, after: dict) -> list[str]:
    lines = [
        "| plans | page | rerun before, ms | rerun after, ms | widget change before, ms | "
        "widget change after, ms | first run after, ms | peak MB after |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    old = {(r["size"], r["page"]): r for r in before.get("pages", [])}
    for r in after.get("pages", []):
        b = old.get((r["size"], r["page"]))
        if b is None or "error" in r or "error" in b:
            continue
        change_b = _spread(b["change"], _ms) if b.get("change") else "–"
        change_a = _spread(r["change"], _ms) if r.get("change") else "–"
        lines.append(
            f"| {r['size']} | {r['page']} | {_spread(b['warm'], _ms)} | "
            f"{_spread(r['warm'], _ms)} | {change_b} | {change_a} | {_ms(r['cold'])} | "
            f"{r['peak_mb']:.0f} |"
        )
    return lines


def main(argv: list[str]) -> int:
    before, after = (json.loads(Path(p).read_text()) for p in argv[:2])
    for title, part in (("Actuals", actuals), ("Build", build), ("Pages", pages)):
        print(f"### {title}\n")
        print("\n".join(part(before, after)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
