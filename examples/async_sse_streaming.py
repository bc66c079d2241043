"""Server-sent events with asyncio: ``async for`` over hunyuan ChatCompletions.

``await client.call_sse(...)`` sends the request (retried, and API errors
raised, before it returns) and gives an async iterator of the same event
dicts the sync client yields. ``async with`` the stream closes its
connection however the loop ends.

Run: python examples/async_sse_streaming.py
"""

from __future__ import annotations

import asyncio
import json

from _support import credential, emulator_profile, example_endpoint

from tcfunc.aio import AsyncCommonClient


async def main(endpoint: str) -> None:
    params = {
        "Model": "hunyuan-lite",
        "Messages": [{"Role": "user", "Content": "events arrive while you await them"}],
        "Stream": True,
    }
    async with AsyncCommonClient(
        "hunyuan", "2023-09-01", credential(), "ap-guangzhou", emulator_profile(endpoint)
    ) as client:
        print("streaming: ", end="", flush=True)
        count = 0
        async with await client.call_sse("ChatCompletions", params) as events:
            async for event in events:
                choice = json.loads(event["data"])["Choices"][0]
                print(choice["Delta"]["Content"], end="", flush=True)
                count += 1
        print(f"\n{count} events")

        # call_and_deserialize lets the answer decide: a stream here, a dict without Stream.
        answer = await client.call_and_deserialize("ChatCompletions", {**params, "Stream": False})
        print("not streaming:", answer["Response"]["Choices"][0]["Message"]["Content"])


if __name__ == "__main__":
    with example_endpoint() as api:
        asyncio.run(main(api))
