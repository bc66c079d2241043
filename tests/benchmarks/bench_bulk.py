"""9. Bulk work: a rate-limited action under 8 threads, and the paginator's overhead.

**Rate limit.** The emulator limits one action to 100 requests per second (a
token bucket: 100 at once, refilled at 100/s, as the real API's per-action
limit). 8 threads share one client and make 50 calls each. Cases, in turn:
tcfunc with ``AdaptiveRetryer()``, tcfunc with ``StandardRetryer()`` (3
attempts), the official SDK as configured by default (no retry), and the
official SDK with its ``StandardRetryer(max_attempts=3)`` (which sleeps
1 s, then 2 s). Reported: calls that failed with ``RequestLimitExceeded``,
throttled attempts the server saw, wall time, and the sustained rate:
the calls after the bucket's first burst over the time they took,
``(calls - 100) / wall``. Goal for AdaptiveRetryer: no ``RequestLimitExceeded``
reaches the caller and the sustained rate is 80% of the limit or more.

**Paginator overhead.** 200 instances in the emulator's stateful CVM, read
10 per page (20 pages) in process (no socket, so the client's own cost
shows), by ``client.paginate(...).items()`` and by a hand-written Offset loop
over ``call_json``; the time per page of each, interleaved.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Tuple

from _harness import PER_S, US, Row, Stats, interleave, paired_ratios
from bench_e2e import no_proxy_for_loopback

LIMIT = 100
THREADS = 8
CALLS = 50
ROUNDS = 3
SECRET_ID, SECRET_KEY = "AKIDbulkbench", "bulk-bench-secret"
ACTION = "DescribeZones"


def _emulator() -> Any:
    from tcfunc.testing import ApiEmulator

    emu = ApiEmulator({SECRET_ID: SECRET_KEY}, max_recorded=None).start()
    emu.register("cvm", ACTION, lambda _p: {"TotalCount": 1, "ZoneSet": []})
    return emu


def _limit(emu: Any) -> None:
    emu.set_rate_limit("cvm", ACTION, LIMIT)  # a fresh, full bucket


def _tcfunc_client(emu: Any, retryer: Any) -> Any:
    import tcfunc

    http = tcfunc.HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=10)
    profile = tcfunc.ClientProfile(httpProfile=http, retryer=retryer)
    return tcfunc.CommonClient(
        "cvm", "2017-03-12", tcfunc.Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile
    )


def _official_client(emu: Any, retrying: bool) -> Any:
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.common.retry import StandardRetryer

    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, keepAlive=True)
    )
    if retrying:
        profile.retryer = StandardRetryer(max_attempts=3)
    return CommonClient(
        "cvm", "2017-03-12", Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile
    )


class _Job:
    """One case: a client factory, and what its rounds measured."""

    def __init__(self, name: str, make: Callable[[], Any]) -> None:
        self.name = name
        self.make = make
        self.failed: List[int] = []
        self.throttled: List[int] = []
        self.walls: List[float] = []
        self.other: List[str] = []


def _round(emu: Any, job: _Job) -> float:
    """8 threads x 50 calls on one fresh client with a full bucket; the sustained rate."""
    _limit(emu)  # a fresh, full bucket for every round
    emu.clear_requests()
    client = job.make()
    failed = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(CALLS):
            try:
                client.call_json(ACTION, {})
            except Exception as exc:  # noqa: BLE001 - counted and reported
                code = getattr(exc, "code", None) or getattr(exc, "get_code", lambda: None)()
                with lock:
                    if code and str(code).startswith("RequestLimitExceeded"):
                        failed[0] += 1
                    else:
                        job.other.append(f"{type(exc).__name__}: {exc}"[:160])

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    wall = time.perf_counter() - start
    close = getattr(client, "close", None)
    if close is not None:
        close()
    job.failed.append(failed[0])
    job.throttled.append(
        sum(1 for r in emu.requests if r.error_code and r.error_code.startswith("RequestLimit"))
    )
    job.walls.append(wall)
    time.sleep(1.1)  # let the limiter's bucket and any stragglers settle
    return (THREADS * CALLS - failed[0] - LIMIT) / wall


def _rate_rows() -> List[Row]:
    from tcfunc import AdaptiveRetryer, StandardRetryer

    emu = _emulator()
    try:
        jobs = [
            _Job("tcfunc AdaptiveRetryer", lambda: _tcfunc_client(emu, AdaptiveRetryer())),
            _Job("tcfunc StandardRetryer", lambda: _tcfunc_client(emu, StandardRetryer())),
            _Job("official, default (no retry)", lambda: _official_client(emu, False)),
            _Job("official StandardRetryer(3)", lambda: _official_client(emu, True)),
        ]
        cases = [(job.name, (lambda job=job: _round(emu, job))) for job in jobs]
        samples = interleave(cases, rounds=ROUNDS, warmup=0)
    finally:
        emu.stop()
    rows: List[Row] = []
    total = THREADS * CALLS
    for job in jobs:
        is_adaptive = job.name == "tcfunc AdaptiveRetryer"
        stats = Stats.of(samples[job.name])
        row = Row(
            "bulk",
            f"{THREADS}x{CALLS} calls against {LIMIT}/s, {job.name}: sustained calls/s",
            PER_S,
            job.name,
            stats,
            goal=(
                f"0 RequestLimitExceeded to the caller, >= {0.8 * LIMIT:.0f}/s sustained"
                if is_adaptive
                else ""
            ),
            passed=(max(job.failed) == 0 and not job.other and stats.median >= 0.8 * LIMIT)
            if is_adaptive
            else None,
        )
        row.notes.append(
            f"RequestLimitExceeded reaching the caller per round: {job.failed} of {total} calls; "
            f"throttled attempts the server saw: {job.throttled}; "
            f"wall: {', '.join(f'{w:.2f}s' for w in job.walls)}"
        )
        if job.other:
            row.notes.append(f"{len(job.other)} other errors (first: {job.other[0]})")
        rows.append(row)
    return rows


def _paging_rows() -> List[Row]:
    import tcfunc
    from tcfunc.testing import ApiEmulator

    emu = ApiEmulator({SECRET_ID: SECRET_KEY}, max_recorded=1000)
    emu.enable_cvm(launch_seconds=0)
    client = tcfunc.CommonClient(
        "cvm", "2017-03-12", tcfunc.Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou",
        transport=emu.transport(),
    )  # fmt: skip
    client.call_json("RunInstances", {"InstanceCount": 100})
    client.call_json("RunInstances", {"InstanceCount": 100})
    pages = 20

    def by_paginator() -> float:
        start = time.perf_counter()
        got = list(client.paginate("DescribeInstances", {"Limit": 10}).items())
        assert len(got) == 200
        return (time.perf_counter() - start) / pages

    def by_hand() -> float:
        start = time.perf_counter()
        got: List[Dict[str, Any]] = []
        offset = 0
        while True:
            page = client.call_json("DescribeInstances", {"Offset": offset, "Limit": 10})
            response = page["Response"]
            got.extend(response["InstanceSet"])
            offset += len(response["InstanceSet"])
            if offset >= response["TotalCount"] or not response["InstanceSet"]:
                break
        assert len(got) == 200
        return (time.perf_counter() - start) / pages

    cases: List[Tuple[str, Callable[[], float]]] = [
        ("paginator", by_paginator),
        ("by hand", by_hand),
    ]
    samples = interleave(cases, rounds=15, warmup=2)
    ratio = paired_ratios(samples["paginator"], samples["by hand"])
    overhead = Stats.of([a - b for a, b in zip(samples["paginator"], samples["by hand"])])
    row = Row(
        "bulk",
        "paging 200 instances, 10 a page, in process: time per page",
        US,
        "paginator",
        Stats.of(samples["paginator"]),
        "by hand",
        Stats.of(samples["by hand"]),
        ratio=ratio,
        goal="",
        passed=None,
    )
    row.notes.append(f"overhead per page: {US.fmt_stats(overhead)} (paginator minus by hand)")
    return [row]


def run() -> List[Row]:
    """Measure the rate-limit job for each retryer, and the paginator's overhead."""
    no_proxy_for_loopback()
    rows = _rate_rows()
    rows.extend(_paging_rows())
    return rows
