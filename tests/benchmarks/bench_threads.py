"""4. Eight threads sharing one client, on loopback with keep-alive.

Each round starts 8 threads together (a barrier) on one shared client, each
making the same number of ``call_json`` calls; throughput is all the calls
over the wall time of the round. tcfunc and the official client alternate
rounds. Goal: at least 2x the official's throughput, with no errors.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Tuple

from _harness import PER_S, Row, Stats, interleave, paired_ratios
from _server import serve
from bench_e2e import (
    ACTION,
    no_proxy_for_loopback,
    official_client,
    tcfunc_client,
)
from bench_prepare import describe_instances_params

THREADS = 8
CALLS_PER_THREAD = 40
ROUNDS = 16
EXPECTED = {"Response": {"RequestId": "00000000-bench-0000-0000-000000000000"}}


def round_sampler(call: Callable[[], Any], errors: List[str]) -> Callable[[], float]:
    """A sampler: one round of THREADS threads; returns calls per second."""

    def worker(barrier: threading.Barrier) -> None:
        barrier.wait()
        for _ in range(CALLS_PER_THREAD):
            try:
                answer = call()
            except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if answer != EXPECTED:
                errors.append(f"unexpected answer {answer!r}"[:200])

    def sample() -> float:
        barrier = threading.Barrier(THREADS + 1)
        threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join(timeout=120)
        return THREADS * CALLS_PER_THREAD / (time.perf_counter() - start)

    return sample


def run() -> List[Row]:
    """Measure and judge the shared-client goal."""
    no_proxy_for_loopback()
    params = describe_instances_params()
    errors: Dict[str, List[str]] = {"tcfunc": [], "official": []}
    with serve() as address:
        ours, theirs = tcfunc_client(address), official_client(address)
        cases: List[Tuple[str, Callable[[], float]]] = [
            ("tcfunc", round_sampler(lambda: ours.call_json(ACTION, params), errors["tcfunc"])),
            (
                "official",
                round_sampler(lambda: theirs.call_json(ACTION, params), errors["official"]),
            ),
        ]
        samples = interleave(cases, rounds=ROUNDS, warmup=1)
    ratio = paired_ratios(samples["tcfunc"], samples["official"])
    total = THREADS * CALLS_PER_THREAD * (ROUNDS + 1)
    row = Row(
        "threads",
        f"{THREADS} threads sharing one client: calls per second",
        PER_S,
        "tcfunc",
        Stats.of(samples["tcfunc"]),
        "official",
        Stats.of(samples["official"]),
        ratio=ratio,
        goal=">= 2x official's calls/s, 0 errors",
        passed=ratio.median >= 2.0 and not errors["tcfunc"],
    )
    for name in ("tcfunc", "official"):
        found = errors[name]
        note = f"{name}: {len(found)} errors in {total} calls"
        if found:
            note += f" (first: {found[0][:160]})"
        row.notes.append(note)
    return [row]
