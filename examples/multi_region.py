"""Clients for several regions.

A client is bound to one region, which it sends in the ``X-TC-Region`` header
of every request; make one per region, sharing the credential and the
profile, and call them concurrently. The emulator answers each region with
that region's instances, and its record of the requests shows the region
header each one actually carried.

This example runs its own emulator in this process (under ``make demo`` too)
so that it can read what the server received from ``emulator.requests``.

Run: python examples/multi_region.py
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

from _support import credential, emulator_profile, local_emulator, sent_header
from generated.cvm.v20170312 import CvmClient, models

from tcfunc.testing.emulator import ApiEmulator

REGIONS = ["ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-singapore"]


def main(emulator: ApiEmulator) -> None:
    cred, profile = credential(), emulator_profile(emulator.endpoint)
    clients = {region: CvmClient(cred, region, profile) for region in REGIONS}

    def describe(region: str) -> Tuple[str, int, List[str]]:
        resp = clients[region].DescribeInstances(models.DescribeInstancesRequest(Limit=100))
        names = [i.InstanceName or "?" for i in resp.InstanceSet or []]
        return region, resp.TotalCount or 0, names

    print("DescribeInstances in each region, all at once:")
    with ThreadPoolExecutor(len(REGIONS)) as pool:
        for region, total, names in pool.map(describe, REGIONS):
            print(f"  {region:>14}: {total} instance(s) {', '.join(names) or '-'}")

    print("what the emulator received, in arrival order:")
    carried: List[str] = []
    for seen in emulator.requests:
        if seen.action == "DescribeInstances":
            sent = sent_header(seen, "X-TC-Region") or "(none)"
            carried.append(sent)
            verdict = seen.error_code or "signature ok"
            print(f"  {seen.service} {seen.action}  X-TC-Region: {sent}  ({verdict})")
    if sorted(carried) != sorted(REGIONS):
        raise SystemExit(f"expected one request per region, saw {carried}")
    print("each client sent its own region: one request per region")


if __name__ == "__main__":
    with local_emulator() as api:
        main(api)
