"""Fan out over regions with ``asyncio.gather``: one client per region, one event loop.

Each client is bound to its region (``X-TC-Region``); the calls run
concurrently on one thread, and ``return_exceptions=True`` keeps one failing
region from hiding the others' answers. The emulator runs in this process so
the example can show which region each request carried.

Run: python examples/async_fan_out.py
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from _support import credential, emulator_profile, local_emulator, sent_header

from tcfunc.aio import AsyncCommonClient
from tcfunc.testing.emulator import ApiEmulator

REGIONS = ["ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-singapore"]


async def inventory(endpoint: str) -> Dict[str, Any]:
    cred, profile = credential(), emulator_profile(endpoint)
    clients = [AsyncCommonClient("cvm", "2017-03-12", cred, r, profile) for r in REGIONS]
    try:
        answers = await asyncio.gather(
            *(c.call_json("DescribeInstances", {"Limit": 100}) for c in clients),
            return_exceptions=True,
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return dict(zip(REGIONS, answers))


def main(emulator: ApiEmulator) -> None:
    print("DescribeInstances in every region at once:")
    for region, answer in asyncio.run(inventory(emulator.endpoint)).items():
        if isinstance(answer, BaseException):
            print(f"  {region:>14}: failed: {answer}")
            continue
        names = [i["InstanceName"] for i in answer["Response"]["InstanceSet"]]
        print(f"  {region:>14}: {len(names)} instance(s) {', '.join(names) or '-'}")
    carried: List[str] = [
        sent_header(r, "X-TC-Region") or "?"
        for r in emulator.requests
        if r.action == "DescribeInstances"
    ]
    if sorted(carried) != sorted(REGIONS):
        raise SystemExit(f"expected one request per region, saw {carried}")
    print("one request per region, each signed and verified")


if __name__ == "__main__":
    with local_emulator() as api:
        main(api)
