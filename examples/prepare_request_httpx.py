"""The pure core with httpx (when it is installed; tcfunc does not need it).

``prepare_request`` gives method, URL, headers and body; httpx (sync or async)
sends them. tcfunc's parsing is not needed either: the answer is JSON.

Run: python examples/prepare_request_httpx.py   (without httpx: a note, exit status 77, a skip)
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any, Dict

from _support import credential, emulator_profile, example_endpoint

import tcfunc


def main(endpoint: str) -> None:
    if importlib.util.find_spec("httpx") is None:
        print("httpx is not installed; skipping (pip install httpx to run this example)")
        raise SystemExit(77)  # make demo counts 77 as skipped, neither ok nor failed
    import httpx

    profile = emulator_profile(endpoint)

    def prepare(action: str, params: Dict[str, Any]) -> tcfunc.PreparedRequest:
        return tcfunc.prepare_request(
            action,
            params,
            service="cvm",
            version="2017-03-12",
            region="ap-guangzhou",
            credential=credential(),
            profile=profile,
        )

    with httpx.Client(timeout=30) as http:
        p = prepare("DescribeZones", {})
        answer = http.request(p.method, p.url, headers=dict(p.headers), content=p.body).json()
        print(f"httpx (sync): {answer['Response']['TotalCount']} zones")

    async def concurrently() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            requests = [prepare("DescribeInstances", {"Offset": n, "Limit": 1}) for n in range(3)]
            answers = await asyncio.gather(
                *(
                    http.request(p.method, p.url, headers=dict(p.headers), content=p.body)
                    for p in requests
                )
            )
            names = [a.json()["Response"]["InstanceSet"][0]["InstanceName"] for a in answers]
            print(f"httpx (async, 3 at once): {', '.join(names)}")

    asyncio.run(concurrently())


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
