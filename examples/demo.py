"""``make demo``: run every example against one local emulator and report.

Starts the signature-verifying API emulator (validating requests against the
real API specs when the ``tccli`` package is installed), exports its address
and demo credentials to each example through the environment, runs the
examples one after another and prints what they did and a summary. Needs no
account, key or network. Exits non-zero if an example fails.

Usage: python examples/demo.py [-q] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from _support import UNSET_VARIABLES, example_environment, start_emulator, tccli_services_dir

HERE = Path(__file__).resolve().parent
# A sensible order: the pure core and the emulator first, then the clients
# from the first call to the more advanced features.
ORDER = [
    "sign_request",
    "emulator_quickstart",
    "quickstart",
    "common_client",
    "default_credentials",
    "client_profile",
    "custom_headers",
    "logging_example",
    "reuse_client",
    "multi_region",
    "region_failover",
    "proxy",
    "sse_streaming",
    "octet_stream_upload",
    "sts_credentials",
    "async_quickstart",
    "async_sse_streaming",
    "async_fan_out",
    "hooks",
    "paginate_regions",
    "run_and_wait",
    "adaptive_sweep",
    "prepare_request_asyncio",
    "prepare_request_httpx",
]
TIMEOUT = 120
# The exit status of an example that cannot run here (a missing optional
# package): reported as skipped, neither ok nor failed (automake's convention).
SKIPPED = 77


def examples() -> List[Path]:
    """Every example script, in :data:`ORDER` and then by name."""
    found = {
        p.stem: p
        for p in HERE.glob("*.py")
        if not p.name.startswith("_") and p.name != Path(__file__).name
    }
    ordered = [found.pop(name) for name in ORDER if name in found]
    return ordered + [found[name] for name in sorted(found)]


def run_example(path: Path, env: Dict[str, str]) -> Tuple[int, str, float]:
    """(exit status, output, seconds) of one example run."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(path)],
            cwd=HERE,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        status, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        status, output = -1, f"{exc.output or ''}\ntimed out after {TIMEOUT}s"
    return status, output, time.perf_counter() - started


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the examples; 0 when all of them succeed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="only the summary")
    parser.add_argument("names", nargs="*", help="run only these examples (e.g. quickstart)")
    args = parser.parse_args(argv)
    chosen = [p for p in examples() if not args.names or p.stem in args.names]
    unknown = set(args.names) - {p.stem for p in chosen}
    if unknown:
        parser.error(f"no such example: {', '.join(sorted(unknown))}")

    emulator = start_emulator()
    try:
        specs = tccli_services_dir()
        print(f"tcfunc demo: emulator on {emulator.endpoint}, ", end="")
        print(
            "validating against tccli's API specs"
            if specs
            else "tccli not installed: answering from registered handlers only"
        )
        env = {k: v for k, v in os.environ.items() if k not in UNSET_VARIABLES}
        env.update(example_environment(emulator.endpoint))
        results: List[Tuple[str, int, float]] = []
        for path in chosen:
            status, output, seconds = run_example(path, env)
            results.append((path.name, status, seconds))
            if not args.quiet or status != 0:
                print(f"\n--- {path.name} " + "-" * max(3, 60 - len(path.name)))
                for line in output.rstrip().splitlines():
                    print(f"    {line}")
    finally:
        emulator.stop()

    lines, failed = summary(results)
    print("\n" + "\n".join(lines))
    return 1 if failed else 0


def summary(results: Sequence[Tuple[str, int, float]]) -> Tuple[List[str], int]:
    """The summary lines of ``(name, exit status, seconds)`` results, and how many failed.

    Only status 0 counts as ok; :data:`SKIPPED` is a skip, anything else a failure.
    """
    lines = ["summary"]
    for name, status, seconds in results:
        mark = "ok  " if status == 0 else "skip" if status == SKIPPED else "FAIL"
        lines.append(f"  {mark} {name:<30} {seconds:5.2f}s")
    ok = sum(1 for _, status, _ in results if status == 0)
    skipped = sum(1 for _, status, _ in results if status == SKIPPED)
    failed = len(results) - ok - skipped
    tail = f", {skipped} skipped" if skipped else ""
    lines.append(f"{ok} of {len(results)} examples ran cleanly{tail}.")
    return lines, failed


if __name__ == "__main__":
    sys.exit(main())
