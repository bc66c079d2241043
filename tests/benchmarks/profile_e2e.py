"""cProfile of the end-to-end path: tcfunc ``CommonClient.call_json`` on loopback.

``python tests/benchmarks/profile_e2e.py [CALLS] [official]`` prints the top
entries by own time and by cumulative time; ``make bench NAME=profile`` runs
it for tcfunc and reports the top entries as INFO rows. Passing ``official``
profiles the official client instead, for comparison.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path
from typing import Any, List, Tuple

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _harness import US, Row, Stats  # noqa: E402
from _server import serve  # noqa: E402
from bench_e2e import (  # noqa: E402
    ACTION,
    no_proxy_for_loopback,
    official_client,
    tcfunc_client,
)
from bench_prepare import describe_instances_params  # noqa: E402

CALLS = 3000
TOP = 25


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def profile(calls: int = CALLS, which: str = "tcfunc") -> Tuple[pstats.Stats, float]:
    """Profile ``calls`` call_json calls; the stats and the profiled seconds per call."""
    no_proxy_for_loopback()
    params = describe_instances_params()
    with serve() as address:
        client: Any = tcfunc_client(address) if which == "tcfunc" else official_client(address)
        for _ in range(200):  # warm: connection open, caches filled
            client.call_json(ACTION, params)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            client.call_json(ACTION, params)
        profiler.disable()
    stats = pstats.Stats(profiler)
    total: float = stats.total_tt  # type: ignore[attr-defined]
    return stats, total / calls


def top_entries(stats: pstats.Stats, key: str, calls: int, n: int = TOP) -> List[str]:
    """The ``n`` top functions by ``key`` (tottime or cumulative), one line each, per call."""
    raw: Any = stats.stats  # type: ignore[attr-defined]
    index = 2 if key == "tottime" else 3
    ranked = sorted(raw.items(), key=lambda item: item[1][index], reverse=True)[:n]
    lines = []
    for (path, line, func), (_cc, ncalls, tottime, cumtime, _callers) in ranked:
        where = f"{_short(path)}:{line}({func})" if line else func
        lines.append(
            f"{tottime / calls * 1e6:8.1f} us own {cumtime / calls * 1e6:8.1f} us cum "
            f"{ncalls / calls:5.1f}/call  {where}"
        )
    return lines


def run() -> List[Row]:
    """For the runner: the profile's top entries as an INFO row."""
    calls = 2000
    stats, per_call = profile(calls)
    row = Row(
        "profile",
        "cProfile of tcfunc call_json on loopback (profiled time per call)",
        US,
        "tcfunc",
        Stats.of([per_call]),
    )
    row.notes.append("top 10 by own time, per call (cProfile inflates small functions):")
    print("  top by own time (per call):")
    for line in top_entries(stats, "tottime", calls, 20):
        print("    " + line)
    print("  top by cumulative time (per call):")
    for line in top_entries(stats, "cumulative", calls, 20):
        print("    " + line)
    row.notes.extend(f"own: {line}" for line in top_entries(stats, "tottime", calls, 10))
    row.notes.extend(f"cum: {line}" for line in top_entries(stats, "cumulative", calls, 12))
    return [row]


def main(argv: List[str]) -> None:
    """Print the profile of ``CALLS`` calls (default 3000)."""
    calls = int(argv[0]) if argv and argv[0].isdigit() else CALLS
    which = "official" if "official" in argv else "tcfunc"
    stats, per_call = profile(calls, which)
    print(f"{which}: {calls} calls, {per_call * 1e6:.1f} us per call under the profiler")
    print("\n== top by own time (per call)")
    print("\n".join(top_entries(stats, "tottime", calls)))
    print("\n== top by cumulative time (per call)")
    print("\n".join(top_entries(stats, "cumulative", calls)))


if __name__ == "__main__":
    main(sys.argv[1:])
