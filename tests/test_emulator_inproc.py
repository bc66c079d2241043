"""The emulator in process: emu.transport() and emu.async_transport(), with no socket."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any, Dict, Iterator, List

import pytest

from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException, prepare_request
from tcfunc.client import CommonClient
from tcfunc.testing import TEST_CREDENTIAL, ApiEmulator
from tcfunc.transport import NetworkError

REGION = "ap-guangzhou"


class FakeSleep:
    """Records the waits the transport asks for, without waiting."""

    def __init__(self) -> None:
        self.waits: List[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def emu() -> ApiEmulator:
    emulator = ApiEmulator.for_tests()
    emulator.register("cvm", "DescribeZones", lambda _p: {"TotalCount": 1})
    return emulator


def _client(emu: ApiEmulator, **kw: Any) -> CommonClient:
    return CommonClient(
        "cvm",
        "2017-03-12",
        TEST_CREDENTIAL,
        REGION,
        emu.client_profile(**kw),
        transport=emu.transport(sleep=FakeSleep()),
    )


def _prepared(emu: ApiEmulator, action: str = "DescribeZones", **profile_kw: Any) -> Any:
    return prepare_request(
        action,
        {},
        service="cvm",
        version="2017-03-12",
        region=REGION,
        credential=TEST_CREDENTIAL,
        profile=ClientProfile(**profile_kw) if profile_kw else emu.client_profile(),
    )


def test_a_client_calls_the_emulator_without_any_socket(
    emu: ApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An emulator used only in process never binds or connects: sockets are forbidden here
    and the call still verifies its signature and answers."""

    def no_socket(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "socket", no_socket)
    assert _client(emu).call_json("DescribeZones", {})["Response"]["TotalCount"] == 1
    assert not emu.running
    (recorded,) = emu.requests
    assert recorded.secret_id == TEST_CREDENTIAL.secret_id
    assert recorded.headers["Host"] == "cvm.tencentcloudapi.com"


def test_signatures_are_verified_in_process(emu: ApiEmulator) -> None:
    """A wrong key is refused in process exactly as over HTTP."""
    client = CommonClient(
        "cvm",
        "2017-03-12",
        Credential(TEST_CREDENTIAL.secret_id, "wrong"),
        REGION,
        emu.client_profile(),
        transport=emu.transport(),
    )
    with pytest.raises(TencentCloudSDKException) as excinfo:
        client.call_json("DescribeZones", {})
    assert excinfo.value.code == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("sign", ["HmacSHA1", "HmacSHA256"])
def test_v1_requests_name_their_service_by_the_real_host(emu: ApiEmulator, sign: str) -> None:
    """With the default endpoint the in-process transport sends the real Host, so a v1
    request names its service as in production."""
    emu.register("cbs", "DescribeZones", lambda _p: {"From": "cbs"})
    prepared = _prepared(emu, signMethod=sign)
    answer = json.loads(emu.transport().send(prepared, 5).read())["Response"]
    assert answer["TotalCount"] == 1
    assert emu.requests[-1].service == "cvm"


def test_client_profile_points_at_the_running_server(emu: ApiEmulator) -> None:
    """While the HTTP server runs, client_profile() points at it over plain HTTP, with
    the HttpProfile overrides given; a sync client calls it there."""
    with emu:
        profile = emu.client_profile(reqTimeout=7, reqMethod="GET")
        assert profile.httpProfile.endpoint == emu.endpoint
        assert profile.httpProfile.protocol == "http"
        assert profile.httpProfile.reqTimeout == 7
        client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, REGION, profile)
        try:
            assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 1
        finally:
            client.close()
    assert emu.client_profile().httpProfile.endpoint is None


# --- connection faults, as the network would raise them ------------------------------------


def test_reset_raises_a_network_error_that_reached_the_server(emu: ApiEmulator) -> None:
    """A reset fault raises NetworkError(reached_server=True): the request was read."""
    emu.inject_fault("reset")
    with pytest.raises(NetworkError) as excinfo:
        emu.transport().send(_prepared(emu), 5)
    assert excinfo.value.reached_server is True
    assert "reset" in str(excinfo.value.message)


def test_stall_waits_for_the_timeout_then_times_out(emu: ApiEmulator) -> None:
    """A stall longer than the timeout sleeps the timeout (via the injected sleep) and raises
    a read timeout that reached the server; a shorter one ends with a closed connection."""
    sleep = FakeSleep()
    emu.inject_fault("stall", delay=30)
    with pytest.raises(NetworkError) as excinfo:
        emu.transport(sleep=sleep).send(_prepared(emu), 2.5)
    assert sleep.waits == [2.5]
    assert "timed out after 2.5s" in str(excinfo.value.message)
    assert excinfo.value.reached_server is True
    emu.inject_fault("stall", delay=1)
    with pytest.raises(NetworkError) as excinfo:
        emu.transport(sleep=sleep).send(_prepared(emu), 2.5)
    assert sleep.waits == [2.5, 1]
    assert "without answering" in str(excinfo.value.message)


def test_stall_with_a_real_short_timeout_is_bounded(emu: ApiEmulator) -> None:
    """With the default sleep a stall is bounded by the call's (short) timeout."""
    import time

    emu.inject_fault("stall", delay=30)
    started = time.monotonic()
    with pytest.raises(NetworkError):
        emu.transport().send(_prepared(emu), 0.2)
    assert time.monotonic() - started < 2


def test_latency_counts_against_the_timeout(emu: ApiEmulator) -> None:
    """Latency is waited before the answer; latency at or over the timeout is a read timeout."""
    sleep = FakeSleep()
    emu.set_latency(0.5)
    assert emu.transport(sleep=sleep).send(_prepared(emu), 5).status == 200
    assert sleep.waits == [0.5]
    with pytest.raises(NetworkError) as excinfo:
        emu.transport(sleep=sleep).send(_prepared(emu), 0.5)
    assert "timed out" in str(excinfo.value.message)


def test_truncated_json_breaks_the_read(emu: ApiEmulator) -> None:
    """A truncated body raises a NetworkError when read whole, and mid-stream when streamed
    (after the half that arrived)."""
    emu.inject_fault("truncated_json", times=2)
    with pytest.raises(NetworkError) as excinfo:
        emu.transport().send(_prepared(emu), 5)
    assert "IncompleteRead" in str(excinfo.value.message)
    response = emu.transport().send(_prepared(emu), 5, stream=True)
    chunks = response.iter_chunks()
    assert next(chunks).startswith(b'{"Response"')
    with pytest.raises(NetworkError):
        next(chunks)


def test_client_retries_a_reset_in_process(emu: ApiEmulator) -> None:
    """The client's retry policy sees the in-process reset as a network error and retries
    (DescribeZones is safe to repeat)."""
    from tcfunc import StandardRetryer

    emu.inject_fault("reset")
    profile = ClientProfile(retryer=StandardRetryer(max_attempts=2, backoff_fn=lambda _n: 0))
    client = CommonClient(
        "cvm", "2017-03-12", TEST_CREDENTIAL, REGION, profile, transport=emu.transport()
    )
    assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 1
    assert [r.fault for r in emu.requests] == ["reset", None]


def test_http_error_and_api_faults_answer_in_process(emu: ApiEmulator) -> None:
    """Answer-level faults (an HTML 502, an API error) come back as responses."""
    emu.inject_fault("http_error", status=503)
    emu.inject_fault("api_error", code="ResourceUnavailable")
    page = emu.transport().send(_prepared(emu), 5)
    assert page.status == 503
    assert page.headers["Content-Type"].startswith("text/html")
    error = json.loads(emu.transport().send(_prepared(emu), 5).read())
    assert error["Response"]["Error"]["Code"] == "ResourceUnavailable"


# --- streams -----------------------------------------------------------------------------------


def _chat(stop_with: str) -> Any:
    def handler(_params: Dict[str, Any]) -> Iterator[Any]:
        yield {"data": "one"}
        if stop_with == "crash":
            raise RuntimeError("bug")
        yield {"data": "two"}

    return handler


def test_event_streams_arrive_event_by_event(emu: ApiEmulator) -> None:
    """A streamed answer yields one SSE event per chunk, lazily; the client parses them."""
    emu.register("cvm", "Chat", _chat("end"))
    client = _client(emu)
    assert [e["data"] for e in client.call_sse("Chat", {})] == ["one", "two"]


def test_a_crashing_stream_breaks_like_a_closed_connection(emu: ApiEmulator) -> None:
    """A handler crashing mid-stream makes the in-process stream raise a NetworkError after
    the events already sent, as a connection closed without its last chunk would."""
    emu.register("cvm", "Chat", _chat("crash"))
    response = emu.transport().send(_prepared(emu, "Chat"), 5, stream=True)
    chunks = response.iter_chunks()
    assert next(chunks) == b"data: one\n\n"
    with pytest.raises(NetworkError):
        next(chunks)


def test_closing_a_stream_early_closes_the_handler(emu: ApiEmulator) -> None:
    """Closing a streamed answer before its end runs the handler generator's finally."""
    closed: List[bool] = []

    def handler(_params: Dict[str, Any]) -> Iterator[Any]:
        try:
            yield "one"
            yield "two"
        finally:
            closed.append(True)

    emu.register("cvm", "Chat", handler)
    response = emu.transport().send(_prepared(emu, "Chat"), 5, stream=True)
    next(response.iter_chunks())
    response.close()
    assert closed == [True]


# --- the async transport -----------------------------------------------------------------------


def test_async_transport_answers_and_verifies(emu: ApiEmulator) -> None:
    """async_transport() answers like transport(), and its faults raise the same errors."""
    sleep = FakeSleep()

    async def scenario() -> None:
        transport = emu.async_transport(sleep=sleep.async_sleep)
        ok = await transport.send(_prepared(emu), 5)
        assert json.loads(await ok.read())["Response"]["TotalCount"] == 1
        emu.inject_fault("stall", delay=10)
        with pytest.raises(NetworkError) as excinfo:
            await transport.send(_prepared(emu), 3)
        assert excinfo.value.reached_server is True
        emu.inject_fault("reset")
        with pytest.raises(NetworkError):
            await transport.send(_prepared(emu), 3)
        emu.register("cvm", "Chat", _chat("crash"))
        streamed = await transport.send(_prepared(emu, "Chat"), 5, stream=True)
        got: List[bytes] = []

        async def drain() -> None:
            async for chunk in streamed.iter_chunks():
                got.append(chunk)

        with pytest.raises(NetworkError):
            await drain()
        assert got == [b"data: one\n\n"]
        await transport.aclose()

    asyncio.run(scenario())
    assert sleep.waits == [3]


def test_async_client_calls_the_emulator_in_process(emu: ApiEmulator) -> None:
    """tcfunc.aio.AsyncCommonClient works over emu.async_transport(): JSON, errors, SSE."""
    aio = pytest.importorskip("tcfunc.aio")
    emu.register("cvm", "Chat", _chat("end"))
    emu.register(
        "cvm",
        "Fail",
        lambda _p: (_ for _ in ()).throw(TencentCloudSDKException("FailedOperation", "no")),
    )

    async def scenario() -> None:
        client = aio.AsyncCommonClient(
            "cvm",
            "2017-03-12",
            TEST_CREDENTIAL,
            REGION,
            emu.client_profile(),
            transport=emu.async_transport(),
        )
        answer = await client.call_json("DescribeZones", {})
        assert answer["Response"]["TotalCount"] == 1
        with pytest.raises(TencentCloudSDKException) as excinfo:
            await client.call_json("Fail", {})
        assert excinfo.value.code == "FailedOperation"
        stream = await client.call_sse("Chat", {})
        assert [e["data"] async for e in stream] == ["one", "two"]

    asyncio.run(scenario())


def test_handle_is_the_whole_core(emu: ApiEmulator) -> None:
    """handle() takes method, target, header pairs and body and returns an Answer value:
    the core needs no server and no transport."""
    prepared = _prepared(emu)
    headers = list(prepared.headers.items())
    answer = emu.handle("POST", "/", headers, prepared.body)
    assert answer.status == 200
    assert json.loads(answer.body)["Response"]["TotalCount"] == 1
    assert answer.connection is None
    assert dict(answer.headers)["Content-Type"] == "application/json"


def test_a_profile_without_endpoint_keeps_the_real_host() -> None:
    """client_profile() of a stopped emulator keeps the default endpoint (the real host),
    which only the in-process transports can serve."""
    emu = ApiEmulator.for_tests()
    profile = emu.client_profile(reqTimeout=3)
    assert profile.httpProfile.endpoint is None
    assert isinstance(profile.httpProfile, HttpProfile)


def test_an_emulator_failure_is_a_network_error_in_process(
    emu: ApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Should the core itself fail (here on a body that is not bytes), the in-process
    transport raises the NetworkError a closed connection gives over HTTP, and logs it;
    never another exception type."""
    from tcfunc import PreparedRequest

    bad = PreparedRequest("POST", "https://cvm.tencentcloudapi.com/", {}, object())  # type: ignore[arg-type]
    with pytest.raises(NetworkError) as excinfo:
        emu.transport().send(bad, 5)
    assert excinfo.value.reached_server is True
    assert "emulator failed" in caplog.text
