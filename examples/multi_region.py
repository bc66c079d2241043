"""Clients for several regions.

A client is bound to one region (sent as ``X-TC-Region``); make one per
region, sharing the credential and the profile, and call them concurrently.

Run: python examples/multi_region.py
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Tuple

from _support import credential, emulator_profile, example_endpoint
from generated.cvm.v20170312 import CvmClient, models

REGIONS = ["ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-singapore"]


def main(endpoint: str) -> None:
    cred, profile = credential(), emulator_profile(endpoint)
    clients = {region: CvmClient(cred, region, profile) for region in REGIONS}

    def count(region: str) -> Tuple[str, int]:
        resp = clients[region].DescribeInstances(models.DescribeInstancesRequest(Limit=100))
        return region, resp.TotalCount or 0

    with ThreadPoolExecutor(len(REGIONS)) as pool:
        for region, total in pool.map(count, REGIONS):
            print(f"{region:>14}: {total} instance(s)")
    print(
        "each client signs for its own region:", ", ".join(c.region or "" for c in clients.values())
    )


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
