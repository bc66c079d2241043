"""The emulator in process against the emulator over loopback HTTP, one thread.

The same tcfunc ``CommonClient.call_json("DescribeInstances", ...)`` with a
registered handler, signature verified each time: once through
``emu.transport()`` (no socket, no thread), once over HTTP/1.1 keep-alive to
the emulator's server on 127.0.0.1 (in this process, as a test suite runs
it). Goal: in process at least 3x the calls per second.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from _harness import PER_S, US, Row, Stats, calibrate, interleave, paired_ratios, per_op
from bench_e2e import no_proxy_for_loopback
from bench_prepare import REGION, SECRET_ID, SECRET_KEY, SERVICE, VERSION
from bench_prepare import describe_instances_params as params_for_call

import tcfunc

ROUNDS = 20
ACTION = "DescribeInstances"


def _answer(_params: Dict[str, Any]) -> Dict[str, Any]:
    return {"TotalCount": 1, "InstanceSet": [{"InstanceId": "ins-bench"}]}


def run() -> List[Row]:
    """Measure in-process against HTTP calls per second through the same client code."""
    from tcfunc.client import CommonClient
    from tcfunc.testing import ApiEmulator

    no_proxy_for_loopback()
    params = params_for_call()
    credential = tcfunc.Credential(SECRET_ID, SECRET_KEY)
    with ApiEmulator({SECRET_ID: SECRET_KEY}, max_recorded=100) as emu:
        emu.register(SERVICE, ACTION, _answer)
        inproc = CommonClient(
            SERVICE,
            VERSION,
            credential,
            REGION,
            tcfunc.ClientProfile(),
            transport=emu.transport(),
        )
        profile = emu.client_profile(keepAlive=True)
        http = CommonClient(SERVICE, VERSION, credential, REGION, profile)
        calls: Dict[str, Callable[[], object]] = {
            "in process": lambda: inproc.call_json(ACTION, params),
            "HTTP": lambda: http.call_json(ACTION, params),
        }
        for name, call in calls.items():
            answer: Any = call()
            if answer["Response"]["InstanceSet"][0]["InstanceId"] != "ins-bench":
                raise RuntimeError(f"{name} got an unexpected answer: {answer!r}")
        number = calibrate(calls["HTTP"], target=0.1)
        samples = interleave(
            [(name, per_op(call, number)) for name, call in calls.items()],
            rounds=ROUNDS,
            warmup=2,
        )
        http.close()
    rate = {name: [1 / t for t in times] for name, times in samples.items()}
    ratio = paired_ratios(rate["in process"], rate["HTTP"])
    row = Row(
        "emulator",
        "call_json against the emulator: calls per second, emu.transport() vs loopback HTTP",
        PER_S,
        "in process",
        Stats.of(rate["in process"]),
        "HTTP",
        Stats.of(rate["HTTP"]),
        ratio=ratio,
        goal=">= 3x HTTP's calls/s",
        passed=ratio.median >= 3.0,
    )
    row.notes.append(
        f"per call: in process {US.fmt_stats(Stats.of(samples['in process']))}, "
        f"HTTP {US.fmt_stats(Stats.of(samples['HTTP']))}; {number} calls per sample, "
        f"{ROUNDS} rounds; the server thread shares this process (and its GIL), as in a "
        "test suite"
    )
    return [row]


if __name__ == "__main__":
    for result in run():
        print(result.subject_text(), "|", result.reference_text(), "|", result.ratio_text())
