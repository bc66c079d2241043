"""Run instances, then wait until they are RUNNING.

``RunInstances`` with the ``{"ClientToken": True}`` option carries a fresh
UUID as its ``ClientToken``, the same on every retry, so a retry after a lost
answer cannot launch the instances twice. ``client.wait_until`` then polls
``DescribeInstances`` until the expression over the answer equals the target
(the same ``expr``/``to``/``timeout``/``interval`` as tccli's ``--waiter``).
The emulator's stateful CVM launches instances in 2 seconds here.

Run: python examples/run_and_wait.py
"""

from __future__ import annotations

import time

from _support import credential, emulator_profile, local_emulator

from tcfunc import CommonClient, TencentCloudSDKException
from tcfunc.testing.emulator import ApiEmulator


def main(emulator: ApiEmulator) -> None:
    emulator.enable_cvm(launch_seconds=2)
    client = CommonClient(
        "cvm", "2017-03-12", credential(), "ap-guangzhou", emulator_profile(emulator.endpoint)
    )
    launched = client.call_json(
        "RunInstances",
        {"InstanceCount": 3, "ImageId": "img-eb30mz89", "InstanceName": "worker",
         "Placement": {"Zone": "ap-guangzhou-3"}},
        options={"ClientToken": True},
    )["Response"]["InstanceIdSet"]  # fmt: skip
    token = next(r for r in emulator.requests if r.action == "RunInstances").params["ClientToken"]
    print(f"launched {', '.join(launched)} (ClientToken {token})")

    started = time.monotonic()
    running = client.wait_until(
        "DescribeInstances", {"InstanceIds": launched},
        "InstanceSet[*].InstanceState", ["RUNNING"] * 3,
        timeout=30, interval=0.5, failure=("LAUNCH_FAILED",),
    )  # fmt: skip
    states = [i["InstanceState"] for i in running["InstanceSet"]]
    print(f"all RUNNING after {time.monotonic() - started:.1f}s: {states}")

    client.call_json("StopInstances", {"InstanceIds": launched[:1]})
    try:
        client.wait_until(
            "DescribeInstances", {"InstanceIds": launched[:1]}, "InstanceSet[0].InstanceState",
            "STOPPED", timeout=0.5, interval=0.2,
        )  # fmt: skip
    except TencentCloudSDKException as exc:
        print(f"a short wait for STOPPED: {exc.code}: {exc.message}")
    client.call_json("TerminateInstances", {"InstanceIds": launched})
    left = client.wait_until(
        "DescribeInstances", {"InstanceIds": launched}, "TotalCount", 0, interval=0.5
    )
    print(f"terminated: TotalCount {left['TotalCount']}")
    client.close()


if __name__ == "__main__":
    with local_emulator() as api:
        main(api)
