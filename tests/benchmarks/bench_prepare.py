"""2. Building and signing one DescribeInstances-sized request, no network.

tcfunc: :func:`tcfunc.prepare_request` (reads its own clock). Official: what
its ``_call`` does before sending: resolve the endpoint, make a
``RequestInternal`` and run ``_build_req_inter`` on it (its clock unpatched).
Goal: tcfunc at least 3x faster.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from _harness import US, Row, Stats, calibrate, interleave, paired_ratios, per_op

import tcfunc

SERVICE, VERSION, REGION = "cvm", "2017-03-12", "ap-guangzhou"
SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"

ROUNDS = 30


def describe_instances_params() -> Dict[str, Any]:
    """A realistic DescribeInstances request: filters, ids, paging."""
    return {
        "Filters": [
            {"Name": "zone", "Values": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]},
            {"Name": "instance-state", "Values": ["RUNNING", "STOPPED"]},
            {"Name": "tag-key", "Values": ["team"]},
        ],
        "InstanceIds": [f"ins-{i:08x}" for i in range(0x1A2B3C, 0x1A2B3C + 5)],
        "Limit": 20,
        "Offset": 0,
    }


def tcfunc_builder(params: Dict[str, Any]) -> Callable[[], object]:
    """One call: prepare and sign with tcfunc."""
    cred = tcfunc.Credential(SECRET_ID, SECRET_KEY)
    profile = tcfunc.ClientProfile()

    def build() -> object:
        return tcfunc.prepare_request(
            "DescribeInstances",
            params,
            service=SERVICE,
            version=VERSION,
            region=REGION,
            credential=cred,
            profile=profile,
        )

    return build


def official_builder(params: Dict[str, Any]) -> Callable[[], object]:
    """One call: what the official client does to build a request before sending."""
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.http.request import RequestInternal

    client = CommonClient(SERVICE, VERSION, Credential(SECRET_ID, SECRET_KEY), REGION)
    method = client.profile.httpProfile.reqMethod

    def build() -> object:
        req = RequestInternal(client._get_endpoint(options=None), method, "/", header={})
        client._build_req_inter("DescribeInstances", params, req, None)
        return req

    return build


def run() -> List[Row]:
    """Measure and judge the preparation goal."""
    params = describe_instances_params()
    ours, theirs = tcfunc_builder(params), official_builder(params)
    number = calibrate(theirs)
    samples = interleave(
        [("tcfunc", per_op(ours, number)), ("official", per_op(theirs, number))],
        rounds=ROUNDS,
        warmup=3,
    )
    ratio = paired_ratios(samples["tcfunc"], samples["official"])
    speedup = 1 / ratio.median
    row = Row(
        "prepare",
        "prepare + sign DescribeInstances (POST JSON, TC3)",
        US,
        "tcfunc",
        Stats.of(samples["tcfunc"]),
        "official",
        Stats.of(samples["official"]),
        ratio=ratio,
        goal="<= 0.33x (>= 3x faster)",
        passed=speedup >= 3.0,
    )
    row.notes.append(f"speed-up {speedup:.2f}x; {number} calls per sample, {ROUNDS} rounds")
    return [row]
