"""Every instance in three regions, with a paginator.

``client.paginate(action, params)`` reads the paging scheme from the first
answer (here ``TotalCount`` plus ``InstanceSet``: Offset/Limit paging) and
sends the next page's request only when the loop asks for it; ``.items()``
yields the instances across pages. On an asyncio client the same call gives
``async for``. The emulator runs its stateful CVM in this process, with
instances launched in three regions first.

Run: python examples/paginate_regions.py
"""

from __future__ import annotations

import asyncio
from typing import Dict

from _support import credential, emulator_profile, local_emulator

from tcfunc import CommonClient
from tcfunc.aio import AsyncCommonClient
from tcfunc.testing.emulator import ApiEmulator

FLEET = {"ap-guangzhou": 45, "ap-shanghai": 23, "ap-beijing": 7}


def main(emulator: ApiEmulator) -> None:
    emulator.enable_cvm(launch_seconds=0)
    cred, profile = credential(), emulator_profile(emulator.endpoint)
    clients = {r: CommonClient("cvm", "2017-03-12", cred, r, profile) for r in FLEET}
    for region, count in FLEET.items():
        clients[region].call_json("RunInstances", {"InstanceCount": count, "InstanceName": "web"})

    print("every instance, 20 a page:")
    found: Dict[str, int] = {}
    for region, client in clients.items():
        pages = client.paginate("DescribeInstances", {"Limit": 20})
        names = [instance["InstanceName"] for instance in pages.items()]
        found[region] = len(names)
        print(f"  {region:>13}: {len(names):>3} instances ({names[0]} ... {names[-1]})")
    requests = sum(1 for r in emulator.requests if r.action == "DescribeInstances")
    print(f"  {requests} DescribeInstances requests in all (45/20 -> 3, 23/20 -> 2, 7/20 -> 1)")
    if found != FLEET or requests != 6:
        raise SystemExit(f"expected {FLEET} in 6 requests, got {found} in {requests}")

    first = next(iter(clients["ap-guangzhou"].paginate("DescribeInstances", {"Limit": 20})))
    print(f"one page is the answer's Response: TotalCount {first['TotalCount']}, "
          f"{len(first['InstanceSet'])} in InstanceSet")  # fmt: skip

    async def first_five() -> int:
        async with AsyncCommonClient("cvm", "2017-03-12", cred, "ap-shanghai", profile) as aio:
            paged = aio.paginate("DescribeInstances", {"Limit": 20}, max_items=5)
            return len([instance async for instance in paged.items()])

    print(
        f"asyncio, max_items=5 in ap-shanghai: {asyncio.run(first_five())} instances, one request"
    )
    for client in clients.values():
        client.close()


if __name__ == "__main__":
    with local_emulator() as api:
        main(api)
