"""A thread-pool sweep against a rate-limited action, with AdaptiveRetryer.

The emulator limits ``DescribeInstances`` to 40 requests a second, as the
real API limits each action. Eight threads then look up 160 instances one by
one on one shared client. With ``StandardRetryer`` the threads keep running
into the limit and some calls fail with ``RequestLimitExceeded``; with
``AdaptiveRetryer`` the client learns the limit at the first throttle and
paces its requests below it (its retry quota also keeps a failing region
from tripling the load).

Run: python examples/adaptive_sweep.py
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Tuple

from _support import credential, local_emulator

from tcfunc import (
    AdaptiveRetryer,
    ClientProfile,
    CommonClient,
    HttpProfile,
    StandardRetryer,
    TencentCloudSDKException,
)
from tcfunc.testing.emulator import ApiEmulator

LIMIT = 40


def sweep(emulator: ApiEmulator, retryer: Any, ids: list[str]) -> Tuple[int, int, float]:
    """(failed calls, throttled attempts, seconds) of one sweep over ``ids``."""
    emulator.set_rate_limit("cvm", "DescribeInstances", LIMIT)  # a fresh, full bucket
    emulator.clear_requests()
    http = HttpProfile(protocol="http", endpoint=emulator.endpoint)
    client = CommonClient(
        "cvm", "2017-03-12", credential(), "ap-guangzhou",
        ClientProfile(httpProfile=http, retryer=retryer),
    )  # fmt: skip

    def look(instance_id: str) -> bool:
        try:
            client.call_json("DescribeInstances", {"InstanceIds": [instance_id]})
        except TencentCloudSDKException as exc:
            if exc.code != "RequestLimitExceeded":
                raise
            return False
        return True

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(look, ids))
    took = time.monotonic() - started
    client.close()
    throttled = sum(1 for r in emulator.requests if r.error_code == "RequestLimitExceeded")
    return done.count(False), throttled, took


def main(emulator: ApiEmulator) -> None:
    emulator.enable_cvm(launch_seconds=0)
    client = CommonClient(
        "cvm", "2017-03-12", credential(), "ap-guangzhou",
        ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint)),
    )  # fmt: skip
    ids = client.call_json("RunInstances", {"InstanceCount": 80})["Response"]["InstanceIdSet"]
    ids += client.call_json("RunInstances", {"InstanceCount": 80})["Response"]["InstanceIdSet"]
    client.close()
    print(f"{len(ids)} lookups on 8 threads, DescribeInstances limited to {LIMIT}/s:")
    results = {}
    for name, retryer in (
        ("StandardRetryer()", StandardRetryer()),
        ("AdaptiveRetryer()", AdaptiveRetryer()),
    ):
        failed, throttled, took = sweep(emulator, retryer, ids)
        results[name] = failed
        print(f"  {name:<18} {failed:>3} failed, {throttled:>3} throttled attempts, "
              f"{took:.1f}s ({(len(ids) - failed) / took:.0f} calls/s)")  # fmt: skip
    if results["AdaptiveRetryer()"]:
        raise SystemExit("AdaptiveRetryer let RequestLimitExceeded through")
    print("AdaptiveRetryer: no RequestLimitExceeded reached the caller")


if __name__ == "__main__":
    with local_emulator() as api:
        main(api)
