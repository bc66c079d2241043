"""The asyncio client's own behaviour: what only an event loop can show.

The scenarios both clients share run in tests/test_drivers.py; here are
cancellation, concurrency, refreshes off the loop, lazy imports, the
official async names, and lifetime.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from typing import Any, Dict, Iterator, List, Mapping

import pytest

from tcfunc.aio import AsyncCommonClient
from tcfunc.credential import Credential, STSAssumeRoleCredential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.sse import AsyncEventStream
from tcfunc.testing.emulator import ApiEmulator

SECRET = "aio-secret-key"
CRED = Credential("AKIDaio", SECRET)


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator({"AKIDaio": SECRET}) as emulator:
        emulator.register("cvm", "DescribeZones", lambda p: {"TotalCount": 1, "Echo": p})
        yield emulator


def _profile(emu: ApiEmulator, **kw: Any) -> ClientProfile:
    timeout = kw.pop("reqTimeout", 5)
    return ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=timeout), **kw
    )


def _client(emu: ApiEmulator, **kw: Any) -> AsyncCommonClient:
    return AsyncCommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", _profile(emu, **kw))


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_many_concurrent_tasks_share_one_client(emu: ApiEmulator) -> None:
    """64 tasks on one client: every answer is its own, every request verified."""

    async def main() -> List[Dict[str, Any]]:
        async with _client(emu) as client:
            return await asyncio.gather(
                *(client.call_json("DescribeZones", {"N": n}) for n in range(64))
            )

    docs = asyncio.run(main())
    assert [d["Response"]["Echo"]["N"] for d in docs] == list(range(64))
    assert all(r.error_code is None for r in emu.requests)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count fds")
def test_cancelling_a_task_mid_call_leaves_no_connection_behind(emu: ApiEmulator) -> None:
    """A task cancelled while the server stalls gets CancelledError; its socket is closed."""

    async def main() -> None:
        async with _client(emu) as client:
            await client.call_json("DescribeZones", {})  # one pooled connection
            before = _open_fds()
            emu.inject_fault("stall", delay=3.0)
            task = asyncio.ensure_future(client.call_json("DescribeZones", {}))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0.05)
            assert _open_fds() <= before
            doc = await client.call_json("DescribeZones", {"After": 1})
            assert doc["Response"]["Echo"] == {"After": 1}

    asyncio.run(main())


def test_two_hundred_tasks_cause_one_sts_call_and_the_loop_keeps_running() -> None:
    """A provider with no snapshot yet: 200 tasks wait for one AssumeRole, off the loop."""
    # One-time costs of a process's first refresh (importing aiohttp and urllib3, building
    # the shared transport) are paid by a warm-up provider before the ticker starts: a
    # worker thread doing them holds the GIL, which is not what this test is about.
    pytest.importorskip("aiohttp")
    from tcfunc._aiohttp import AiohttpTransport

    with ApiEmulator({"AKIDlong": "long-secret"}) as emu:
        emu.enable_sts()
        emu.register("cvm", "DescribeZones", lambda _p: {"TotalCount": 1})
        profile = _profile(emu)
        role = "qcs::cam::uin/1:roleName/r"
        warm = STSAssumeRoleCredential("AKIDlong", "long-secret", role, "s0", profile=profile)
        assert warm.get_credential() is not None
        emu.clear_requests()
        provider = STSAssumeRoleCredential("AKIDlong", "long-secret", role, "s1", profile=profile)
        transport = AiohttpTransport(profile.httpProfile)  # its TLS setup, before the loop
        ticks: List[float] = []

        async def ticker(stop: asyncio.Event) -> None:
            while not stop.is_set():
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        async def main() -> None:
            stop = asyncio.Event()
            tick = asyncio.ensure_future(ticker(stop))
            async with AsyncCommonClient(
                "cvm", "2017-03-12", provider, "ap-guangzhou", profile, transport=transport
            ) as client:
                await asyncio.gather(*(client.call_json("DescribeZones", {}) for _ in range(200)))
            stop.set()
            await tick

        asyncio.run(main())
        assert sum(r.action == "AssumeRole" for r in emu.requests) == 1
        assert sum(r.action == "DescribeZones" for r in emu.requests) == 200
        # The loop was never blocked for long: the ticker kept ticking.
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert len(ticks) > 5
        assert max(gaps) < 0.25


def test_call_and_deserialize_returns_what_the_answer_is(emu: ApiEmulator) -> None:
    """The official async name: a dict, a model for a model class, a stream for SSE."""

    class Zones:
        def __init__(self, total: int) -> None:
            self.total = total

        @classmethod
        def from_api(cls, data: Mapping[str, Any]) -> Zones:
            return cls(data["TotalCount"])

    emu.register("hunyuan", "ChatCompletions", lambda _p: iter([{"data": "a"}, {"data": "b"}]))

    async def main() -> None:
        async with _client(emu) as client:
            doc = await client.call_and_deserialize("DescribeZones", {})
            assert doc["Response"]["TotalCount"] == 1
            model = await client.call_and_deserialize("DescribeZones", {}, Zones)
            assert isinstance(model, Zones)
            assert model.total == 1
        async with AsyncCommonClient("hunyuan", "2023-09-01", CRED, "", _profile(emu)) as chat:
            stream = await chat.call_and_deserialize("ChatCompletions", {"Stream": True})
            assert isinstance(stream, AsyncEventStream)
            async with stream:
                assert [e["data"] async for e in stream] == ["a", "b"]
            assert stream.closed

    asyncio.run(main())


def test_a_stream_closed_early_releases_its_connection(emu: ApiEmulator) -> None:
    """aclose() before the end of an event stream: the next call still gets an answer."""

    def chat(_p: Any) -> Iterator[Dict[str, Any]]:
        for n in range(1000):
            yield {"data": str(n)}

    emu.register("hunyuan", "ChatCompletions", chat)
    profile = _profile(emu)

    async def main() -> None:
        async with AsyncCommonClient("hunyuan", "2023-09-01", CRED, "", profile) as client:
            stream = await client.call_sse("ChatCompletions", {})
            assert (await stream.__anext__())["data"] == "0"
            await stream.aclose()
            assert stream.closed
            assert [e async for e in stream] == []
            again = await client.call_sse("ChatCompletions", {})
            async with again:
                assert (await again.__anext__())["data"] == "0"

    asyncio.run(main())


def test_a_send_request_retryer_is_refused() -> None:
    """A retryer with only the official send_request(fn) cannot await: ClientError says so."""

    class Twice:
        def send_request(self, fn: Any) -> Any:
            return fn()

    profile = ClientProfile(retryer=Twice())  # type: ignore[arg-type]
    with pytest.raises(TencentCloudSDKException) as info:
        AsyncCommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", profile)
    assert info.value.code == "ClientError"
    assert "StandardRetryer" in (info.value.message or "")


def test_a_closed_client_can_be_used_again(emu: ApiEmulator) -> None:
    """aclose() closes connections; the client opens new ones on its next call."""
    client = _client(emu)

    async def once() -> int:
        doc = await client.call_json("DescribeZones", {})
        await client.aclose()
        return int(doc["Response"]["TotalCount"])

    assert asyncio.run(once()) == 1
    assert asyncio.run(once()) == 1  # a new loop: the transport reopened there


def _run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_aiohttp_loads_only_when_an_async_client_first_sends(emu: ApiEmulator) -> None:
    """import tcfunc, tcfunc.aio and a sync call leave aiohttp unloaded; an async call loads it."""
    out = _run_python(
        f"""
        import asyncio, sys
        import tcfunc, tcfunc.aio
        from tcfunc import CommonClient, Credential, ClientProfile, HttpProfile
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint="{emu.endpoint}"))
        cred = Credential("AKIDaio", "{SECRET}")
        CommonClient("cvm", "2017-03-12", cred, "ap-guangzhou", profile).call_json(
            "DescribeZones", {{}})
        print("aiohttp" in sys.modules, end=" ")
        async def main():
            async with tcfunc.aio.AsyncCommonClient(
                "cvm", "2017-03-12", cred, "ap-guangzhou", profile) as client:
                await client.call_json("DescribeZones", {{}})
        asyncio.run(main())
        print("aiohttp" in sys.modules)
        """
    )
    assert out == "False True"


def test_a_missing_aiohttp_names_the_extra(emu: ApiEmulator) -> None:
    """Without aiohttp the first async call raises ClientError saying pip install 'tcfunc[aio]'."""
    out = _run_python(
        f"""
        import asyncio, sys
        sys.modules["aiohttp"] = None  # as if it were not installed
        from tcfunc.aio import AsyncCommonClient
        from tcfunc import Credential, ClientProfile, HttpProfile, TencentCloudSDKException
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint="{emu.endpoint}"))
        async def main():
            client = AsyncCommonClient("cvm", "2017-03-12", Credential("a", "b"), "", profile)
            try:
                await client.call_json("DescribeZones", {{}})
            except TencentCloudSDKException as exc:
                print(exc.code, "tcfunc[aio]" in exc.message)
        asyncio.run(main())
        """
    )
    assert out == "ClientError True"
