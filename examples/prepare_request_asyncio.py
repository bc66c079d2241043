"""The pure core with another HTTP stack: asyncio streams from the standard library.

``prepare_request`` builds and signs a request without any I/O: method, URL,
headers and body come back as a frozen value, ready for any HTTP client.
Here asyncio sends several concurrently over plain ``asyncio.open_connection``
(HTTP/1.1, one connection each) and ``json`` reads the answers.

Run: python examples/prepare_request_asyncio.py
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict
from urllib.parse import urlsplit

from _support import credential, emulator_profile, example_endpoint

import tcfunc


async def send(prepared: tcfunc.PreparedRequest) -> Dict[str, Any]:
    """Send one prepared request over HTTP/1.1 and return the decoded answer."""
    url = urlsplit(prepared.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port or 80)
    try:
        target = url.path + (f"?{url.query}" if url.query else "")
        lines = [f"{prepared.method} {target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in prepared.headers.items()]
        lines += [f"Content-Length: {len(prepared.body)}", "Connection: close", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1") + prepared.body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    if status != b"200":
        raise RuntimeError(f"HTTP {status.decode()}")
    if b"transfer-encoding: chunked" in head.lower():
        body = _dechunk(body)
    answer: Dict[str, Any] = json.loads(body)["Response"]
    if "Error" in answer:
        raise tcfunc.TencentCloudSDKException(
            answer["Error"]["Code"], answer["Error"]["Message"], answer.get("RequestId")
        )
    return answer


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2 :]
    return out


async def run(endpoint: str) -> None:
    profile = emulator_profile(endpoint)
    regions = ["ap-guangzhou", "ap-shanghai", "ap-beijing"]
    # No network here; the only outside input is the clock (pass timestamp= to fix it).
    prepared = [
        tcfunc.prepare_request(
            "DescribeInstances",
            {"Limit": 2},
            service="cvm",
            version="2017-03-12",
            region=region,
            credential=credential(),
            profile=profile,
        )
        for region in regions
    ]
    print(f"prepared {len(prepared)} signed requests, e.g. {prepared[0]!r}")
    answers = await asyncio.gather(*(send(p) for p in prepared))
    for region, answer in zip(regions, answers):
        shown = [i["InstanceId"] for i in answer["InstanceSet"]]
        print(f"  {region}: TotalCount={answer['TotalCount']} first={shown}")


def main(endpoint: str) -> None:
    asyncio.run(run(endpoint))


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
