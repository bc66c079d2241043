"""Run the tcfunc benchmarks against the official SDK: ``make bench [NAME=...]``.

Usage: ``python tests/benchmarks/run.py [NAME ...]`` where NAME is one of
:data:`BENCHES` (default: all, the cProfile of the end-to-end path last).
Prints each comparison's median and inter-quartile range, the ratio and
whether its goal holds, and writes a markdown table to
``tests/benchmarks/results/latest.md``. Exits 0 when goals fail (it
reports); 2 only for an unknown NAME.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _harness import Row, machine, skipped, tcfunc_client_available, versions  # noqa: E402

# NAME -> the module whose run() measures it; run in this order.
BENCHES: Dict[str, str] = {
    "import": "bench_import",
    "prepare": "bench_prepare",
    "model": "bench_model",
    "e2e": "bench_e2e",
    "threads": "bench_threads",
    "memory": "bench_memory",
    "large": "bench_large",
    "async": "bench_async",
    "emulator": "bench_emulator",
    "bulk": "bench_bulk",
    "cold": "bench_cold",
    "profile": "profile_e2e",
}
# These need tcfunc.client; without it they are reported as skipped.
NEEDS_CLIENT = {"e2e", "threads", "memory", "emulator", "bulk", "cold", "profile"}
RESULTS = HERE / "results" / "latest.md"


def print_row(row: Row) -> None:
    """One comparison, human-readable."""
    print(f"  [{row.verdict()}] {row.metric}")
    print(f"      {row.subject_text()}")
    if row.reference is not None:
        print(f"      {row.reference_text()}")
    if row.ratio is not None:
        print(f"      ratio {row.subject_label}/{row.reference_label}: {row.ratio_text()}")
    if row.goal:
        print(f"      goal: {row.goal}")
    for note in row.notes:
        print(f"      note: {note}")
    sys.stdout.flush()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(rows: List[Row], elapsed: float, names: List[str]) -> str:
    """The report as a markdown document: a table, then the notes."""
    info = machine()
    vers = versions()
    lines = [
        "# tcfunc benchmarks",
        "",
        f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"{elapsed:.0f} s, comparisons: {', '.join(names)}.",
        "",
        "Medians with the inter-quartile range in brackets; the ratio is tcfunc over the",
        "reference, computed round by round (interleaved A B A B ...) and summarised the same way.",
        "",
        "| # | comparison | tcfunc | reference | ratio | goal | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, row in enumerate(rows, 1):
        subject = row.unit.fmt_stats(row.subject) if row.subject.n else "-"
        reference = row.unit.fmt_stats(row.reference) if row.reference is not None else "-"
        if row.reference_label and row.reference is not None:
            reference = f"{row.reference_label}: {reference}"
        cells = [
            str(i),
            row.metric,
            subject,
            reference,
            row.ratio_text() or "-",
            row.goal or "-",
            f"**{row.verdict()}**",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "Notes:", ""]
    for i, row in enumerate(rows, 1):
        lines.extend(f"- ({i}) {note}" for note in row.notes)
    lines += [
        "",
        "Machine: "
        + ", ".join(f"{k} {v}" for k, v in info.items())
        + ". Packages: "
        + ", ".join(f"{k} {v}" for k, v in vers.items())
        + ".",
        "",
        f"Rerun: `make bench` (all) or `make bench NAME=e2e` (one of: {', '.join(BENCHES)}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    """Run the selected benchmarks; 0 unless the command line is wrong."""
    names = [n for arg in argv for n in arg.replace(",", " ").split()] or list(BENCHES)
    known = BENCHES
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {', '.join(known)}", file=sys.stderr)
        return 2
    info = machine()
    print("tcfunc benchmarks: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print("packages: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    started = time.perf_counter()
    rows: List[Row] = []
    for name in names:
        print(f"\n== {name}")
        sys.stdout.flush()
        t0 = time.perf_counter()
        missing = tcfunc_client_available() if name in NEEDS_CLIENT else None
        if missing is not None:
            produced = [skipped(name, name, missing)]
        else:
            try:
                module = importlib.import_module(known[name])
                bench: Callable[[], List[Row]] = module.run
                produced = bench()
            except Exception as exc:  # noqa: BLE001 - a broken benchmark is reported, not fatal
                traceback.print_exc()
                produced = [skipped(name, name, f"{type(exc).__name__}: {exc}")]
        for row in produced:
            print_row(row)
        rows.extend(produced)
        print(f"  ({time.perf_counter() - t0:.1f} s)")
    elapsed = time.perf_counter() - started
    if rows:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(markdown(rows, elapsed, names))
        print(f"\nwrote {RESULTS.relative_to(HERE.parent.parent)}")
        print()
        print(RESULTS.read_text())
    verdicts = [r.verdict() for r in rows]
    print(
        f"{verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL, "
        f"{verdicts.count('INFO')} INFO in {elapsed:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
