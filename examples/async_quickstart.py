"""The asyncio client: the same calls as CommonClient, awaited.

``tcfunc.aio.AsyncCommonClient`` runs the sync client's call flow (retries and
their safety rule, region failover, clock-skew correction, logging with
secrets masked) on an event loop, with aiohttp underneath (``pip install
'tcfunc[aio]'``). Use it with ``async with`` so its connections close.

Run: python examples/async_quickstart.py
"""

from __future__ import annotations

import asyncio

from _support import credential, emulator_profile, example_endpoint

from tcfunc import StandardRetryer, TencentCloudSDKException
from tcfunc.aio import AsyncCommonClient


async def main(endpoint: str) -> None:
    profile = emulator_profile(endpoint, retryer=StandardRetryer(max_attempts=3))
    async with AsyncCommonClient("cvm", "2017-03-12", credential(), "ap-guangzhou", profile) as cvm:
        doc = await cvm.call_json("DescribeInstances", {"Limit": 2})
        answer = doc["Response"]
        print(f"DescribeInstances: {answer['TotalCount']} instance(s), {answer['RequestId']}")
        for instance in answer["InstanceSet"]:
            print(f"  {instance['InstanceId']}  {instance['InstanceName']}")

        # The official async client's name works too: a dict, a model, or a stream.
        zones = await cvm.call_and_deserialize("DescribeZones", {})
        print("DescribeZones:", [z["Zone"] for z in zones["Response"]["ZoneSet"]])

        # API errors are TencentCloudSDKException, as in the sync client.
        try:
            await cvm.call_json(
                "DescribeInstances", {"Filters": [{"Name": "colour", "Values": ["red"]}]}
            )
        except TencentCloudSDKException as err:
            print(f"an API error, as expected: {err.code}")


if __name__ == "__main__":
    with example_endpoint() as api:
        asyncio.run(main(api))
