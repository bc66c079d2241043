"""3. End to end on loopback with keep-alive, one thread.

tcfunc ``CommonClient.call_json`` against the official ``CommonClient.call_json``
(``HttpProfile(protocol="http", endpoint=..., keepAlive=True)``), both sending a
DescribeInstances request to the fast server in ``_server.py``. Goals: at
least 2x the official's calls per second; at most 1.35x the time of a bare
urllib3 ``PoolManager.request`` sending the same bytes (tcfunc's own
``PreparedRequest``), read fully.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Callable, Dict, List

from _harness import PER_S, US, Row, Stats, calibrate, interleave, paired_ratios, per_op
from _server import serve
from bench_prepare import REGION, SECRET_ID, SECRET_KEY, SERVICE, VERSION
from bench_prepare import describe_instances_params as params_for_call

import tcfunc

ROUNDS = 30
ACTION = "DescribeInstances"


def no_proxy_for_loopback() -> None:
    """Make sure neither client sends loopback traffic through a proxy from the environment."""
    for name in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(name, "")
        if "127.0.0.1" not in current:
            os.environ[name] = ",".join(p for p in (current, "127.0.0.1") if p)


def tcfunc_client(address: str) -> Any:
    """A tcfunc CommonClient for the benchmark server."""
    from tcfunc.client import CommonClient

    profile = tcfunc.ClientProfile(
        httpProfile=tcfunc.HttpProfile(protocol="http", endpoint=address, keepAlive=True)
    )
    return CommonClient(SERVICE, VERSION, tcfunc.Credential(SECRET_ID, SECRET_KEY), REGION, profile)


def official_client(address: str) -> Any:
    """The official CommonClient for the benchmark server, keep-alive on."""
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=address, keepAlive=True)
    )
    return CommonClient(SERVICE, VERSION, Credential(SECRET_ID, SECRET_KEY), REGION, profile)


def same_bytes(address: str, params: Dict[str, Any]) -> tcfunc.PreparedRequest:
    """What tcfunc's client sends for this call, built once."""
    return tcfunc.prepare_request(
        ACTION,
        params,
        service=SERVICE,
        version=VERSION,
        region=REGION,
        credential=tcfunc.Credential(SECRET_ID, SECRET_KEY),
        profile=tcfunc.ClientProfile(
            httpProfile=tcfunc.HttpProfile(protocol="http", endpoint=address)
        ),
        # The client adds a trace id to every call; the same bytes include it.
        headers={"X-TC-TraceId": str(uuid.uuid4())},
    )


def bare_urllib3(prepared: tcfunc.PreparedRequest) -> Callable[[], object]:
    """One call: ``PoolManager.request`` with tcfunc's bytes, body read (the goal's floor)."""
    import urllib3

    pool = urllib3.PoolManager()
    method, url, headers, body = (
        prepared.method,
        prepared.url,
        dict(prepared.headers),
        prepared.body,
    )

    def call() -> object:
        response = pool.request(
            method, url, body=body, headers=headers, retries=False, redirect=False
        )
        return response.data

    return call


def pool_urllib3(address: str, prepared: tcfunc.PreparedRequest) -> Callable[[], object]:
    """One call: the same bytes through an ``HTTPConnectionPool`` directly (urllib3's floor)."""
    import urllib3

    host, port = address.rsplit(":", 1)
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=4, retries=False)
    method, headers, body = prepared.method, dict(prepared.headers), prepared.body
    timeout = urllib3.Timeout(connect=60, read=60)

    def call() -> object:
        response = pool.urlopen(
            method, "/", body=body, headers=headers, redirect=False, timeout=timeout
        )
        return response.data

    return call


def check_answers(calls: Dict[str, Callable[[], object]]) -> None:
    """Each side must get the server's answer, or the numbers mean nothing."""
    for name, call in calls.items():
        answer = call()
        if name in ("tcfunc", "official") and answer != {
            "Response": {"RequestId": "00000000-bench-0000-0000-000000000000"}
        }:
            raise RuntimeError(f"{name} got an unexpected answer: {answer!r}")


def run() -> List[Row]:
    """Measure and judge the end-to-end goals."""
    no_proxy_for_loopback()
    params = params_for_call()
    with serve() as address:
        ours, theirs = tcfunc_client(address), official_client(address)
        calls: Dict[str, Callable[[], object]] = {
            "tcfunc": lambda: ours.call_json(ACTION, params),
            "official": lambda: theirs.call_json(ACTION, params),
            "urllib3": bare_urllib3(same_bytes(address, params)),
            "pool": pool_urllib3(address, same_bytes(address, params)),
        }
        check_answers(calls)
        number = calibrate(calls["tcfunc"], target=0.1)
        samples = interleave(
            [(name, per_op(call, number)) for name, call in calls.items()],
            rounds=ROUNDS,
            warmup=2,
        )
    rate = {name: [1 / t for t in times] for name, times in samples.items()}
    vs_official = paired_ratios(rate["tcfunc"], rate["official"])
    row1 = Row(
        "e2e",
        "call_json on loopback, keep-alive: calls per second",
        PER_S,
        "tcfunc",
        Stats.of(rate["tcfunc"]),
        "official",
        Stats.of(rate["official"]),
        ratio=vs_official,
        goal=">= 2x official's calls/s",
        passed=vs_official.median >= 2.0,
    )
    row1.notes.append(
        f"per call: tcfunc {US.fmt_stats(Stats.of(samples['tcfunc']))}, "
        f"official {US.fmt_stats(Stats.of(samples['official']))}; "
        f"{number} calls per sample, {ROUNDS} rounds"
    )
    vs_bare = paired_ratios(samples["tcfunc"], samples["urllib3"])
    row2 = Row(
        "e2e",
        "call_json vs bare urllib3 request of the same bytes: time per call",
        US,
        "tcfunc",
        Stats.of(samples["tcfunc"]),
        "urllib3",
        Stats.of(samples["urllib3"]),
        ratio=vs_bare,
        goal="<= 1.35x",
        passed=vs_bare.median <= 1.35,
    )
    vs_pairs = [a / b for a, b in zip(samples["tcfunc"], samples["urllib3"])]
    slower = sum(1 for r in vs_pairs if r > 1)
    ours_median = Stats.of(samples["tcfunc"]).median
    bare_median = Stats.of(samples["urllib3"]).median
    row2.notes.append(
        f"two summaries of the same {ROUNDS} rounds: ratio of the medians "
        f"{ours_median / bare_median:.2f}x; median of the round-by-round ratios "
        f"{vs_bare.median:.2f}x (the goal's); tcfunc was the slower in {slower} of "
        f"{len(vs_pairs)} rounds. The two differ when the machine's speed drifts "
        "between rounds by more than the two sides differ within one: each median "
        "may come from a different round, while a paired ratio compares samples "
        "taken a moment apart"
    )
    extra = Stats.of([a - b for a, b in zip(samples["tcfunc"], samples["urllib3"])])
    row2.notes.append(
        f"tcfunc's own cost over PoolManager.request (round-by-round difference): "
        f"{US.fmt_stats(extra)} per call; "
        "the same bytes through an HTTPConnectionPool directly (no PoolManager): "
        f"{US.fmt_stats(Stats.of(samples['pool']))}"
    )
    return [row1, row2]
