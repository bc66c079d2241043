"""Clients end to end over real HTTP against the signature-verifying emulator.

Region failover needs two endpoints and a backup host named
``<service>.<backup_endpoint>`` (a real domain). The tests reach a second
local emulator as that backup through :class:`HostMapTransport`, a small
transport wrapping :class:`Urllib3Transport` that connects to a loopback port
in place of a named host while leaving the ``Host`` header, and so the
signature, untouched; the emulator verifies the signature against the
``Host`` it receives, so a request signed for the wrong host fails there.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, Iterator, List, Mapping

import attrs
import pytest

from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile, RegionBreakerProfile
from tcfunc.request import PreparedRequest
from tcfunc.retry import StandardRetryer
from tcfunc.testing.emulator import ApiEmulator
from tcfunc.transport import HttpResponse, Urllib3Transport

CREDS = {"AKIDemulator": "emulator-secret"}
CRED = Credential("AKIDemulator", "emulator-secret")


def _profile(endpoint: str, **kw: Any) -> ClientProfile:
    timeout = kw.pop("reqTimeout", 5)
    http = HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=timeout)
    return ClientProfile(httpProfile=http, **kw)


def _zones(params: Dict[str, Any]) -> Dict[str, Any]:
    return {"TotalCount": 1, "ZoneSet": [{"Zone": "ap-guangzhou-3"}], "Echo": params}


@pytest.fixture
def emulator() -> Iterator[ApiEmulator]:
    with ApiEmulator(CREDS) as emu:
        emu.register("cvm", "DescribeZones", _zones)
        emu.register("cvm", "RunInstances", lambda p: {"InstanceIdSet": ["ins-1"]})
        yield emu


def _client(emu: ApiEmulator, **kw: Any) -> CommonClient:
    return CommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", _profile(emu.endpoint, **kw))


def test_call_json_round_trip(emulator: ApiEmulator) -> None:
    """call_json reaches the emulator, whose signature check passes, and returns its answer."""
    doc = _client(emulator).call_json("DescribeZones", {"Filters": [{"Name": "zone"}]})
    assert doc["Response"]["Echo"] == {"Filters": [{"Name": "zone"}]}
    assert doc["Response"]["RequestId"]
    recorded = emulator.requests[0]
    assert (recorded.secret_id, recorded.action, recorded.region) == (
        "AKIDemulator",
        "DescribeZones",
        "ap-guangzhou",
    )


@pytest.mark.parametrize(
    ("sign_method", "method"),
    [("TC3-HMAC-SHA256", "GET"), ("HmacSHA1", "POST"), ("HmacSHA256", "GET")],
)
def test_every_sign_method_and_http_method_verifies(
    emulator: ApiEmulator, sign_method: str, method: str
) -> None:
    """TC3 and v1 signatures, GET and POST, all pass the emulator's verification."""
    http = HttpProfile(protocol="http", endpoint=emulator.endpoint, reqMethod=method)
    profile = ClientProfile(httpProfile=http, signMethod=sign_method)
    client = CommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", profile)
    assert client.call_json("DescribeZones", {"Limit": 2})["Response"]["TotalCount"] == 1
    assert emulator.requests[0].error_code is None


def test_api_error_reaches_the_caller_with_its_request_id(emulator: ApiEmulator) -> None:
    """A handler's API error arrives as that code, message and RequestId."""

    def refuse(_p: Dict[str, Any]) -> Dict[str, Any]:
        raise TencentCloudSDKException("InvalidParameterValue.Zone", "no such zone")

    emulator.register("cvm", "DescribeZones", refuse)
    with pytest.raises(TencentCloudSDKException) as info:
        _client(emulator).call_json("DescribeZones", {})
    assert info.value.code == "InvalidParameterValue.Zone"
    assert info.value.message == "no such zone"
    assert info.value.requestId


def test_octet_stream_round_trip(emulator: ApiEmulator) -> None:
    """call_octet_stream delivers the body bytes to the emulator, signed."""
    emulator.register("cvm", "UploadBlob", lambda p: {"Ok": True})
    doc = _client(emulator).call_octet_stream("UploadBlob", None, b"\x00\xffpayload")
    assert doc["Response"]["Ok"] is True
    assert emulator.requests[0].body == b"\x00\xffpayload"
    assert emulator.requests[0].secret_id == "AKIDemulator"


def test_sse_first_event_arrives_before_the_server_finishes(emulator: ApiEmulator) -> None:
    """The first event is in the caller's hands while the server still holds the second."""
    gate = threading.Event()
    waited: List[bool] = []

    def chat(_p: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        yield {"data": "first", "id": "1"}
        waited.append(gate.wait(5))
        yield {"data": "second\nline", "event": "delta"}

    emulator.register("hunyuan", "ChatCompletions", chat)
    client = CommonClient(
        "hunyuan", "2023-09-01", CRED, "ap-guangzhou", _profile(emulator.endpoint)
    )
    events = client.call_sse("ChatCompletions", {"Stream": True})
    started = time.monotonic()
    assert next(events) == {"data": "first", "id": "1"}
    assert time.monotonic() - started < 4
    gate.set()
    assert list(events) == [{"data": "second\nline", "event": "delta"}]
    assert waited == [True]


def test_sse_stream_closed_before_iterating_gives_the_connection_back(
    emulator: ApiEmulator,
) -> None:
    """call_sse then close() before reading any event returns the pooled connection slot at
    once (a generator that never started would hold it until garbage collection)."""
    gate = threading.Event()

    def chat(_p: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        yield {"data": "first"}
        gate.wait(5)
        yield {"data": "second"}

    emulator.register("hunyuan", "ChatCompletions", chat)
    client = CommonClient(
        "hunyuan", "2023-09-01", CRED, "ap-guangzhou", _profile(emulator.endpoint)
    )
    try:
        events = client.call_sse("ChatCompletions", {"Stream": True})
        transport = client._transport
        assert isinstance(transport, Urllib3Transport)
        pool = transport._route("http", emulator.endpoint).opener
        size = pool.pool.maxsize
        assert pool.pool.qsize() == size - 1  # the stream holds one connection
        events.close()
        assert pool.pool.qsize() == size
        assert list(events) == []
    finally:
        gate.set()
    again = client.call_sse("ChatCompletions", {"Stream": True})
    assert [event["data"] for event in again] == ["first", "second"]
    assert pool.pool.qsize() == size


def test_sse_error_answer_raises_from_the_call(emulator: ApiEmulator) -> None:
    """An API error instead of a stream raises before any event is read."""
    emulator.inject_fault("api_error", code="AuthFailure.UnauthorizedOperation", message="no")
    with pytest.raises(TencentCloudSDKException) as info:
        _client(emulator).call_sse("DescribeZones", {})
    assert info.value.code == "AuthFailure.UnauthorizedOperation"


def test_eight_threads_share_one_client(emulator: ApiEmulator) -> None:
    """8 threads x 50 calls through one client: all succeed, each answer is its own."""
    client = _client(emulator)
    errors: List[BaseException] = []
    mismatches: List[Any] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                doc = client.call_json("DescribeZones", {"Thread": n, "Call": i})
                if doc["Response"]["Echo"] != {"Thread": n, "Call": i}:
                    mismatches.append((n, i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert mismatches == []
    assert len(emulator.requests) == 400
    assert all(r.error_code is None for r in emulator.requests)


def test_clock_skew_is_corrected_from_the_server_date() -> None:
    """A client an hour behind gets SignatureExpire once, corrects, and stays corrected."""
    with ApiEmulator(CREDS, clock=lambda: time.time() + 3600) as emu:
        emu.register("cvm", "DescribeZones", _zones)
        client = _client(emu)
        assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 1
        codes = [r.error_code for r in emu.requests]
        assert codes == ["AuthFailure.SignatureExpire", None]
        client.call_json("DescribeZones", {})
        assert [r.error_code for r in emu.requests][2:] == [None]


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("reset", "ClientNetworkError"),
        ("stall", "ClientNetworkError"),
        ("http_error", "ServerNetworkError"),
        ("truncated_json", "ClientNetworkError"),
        ("malformed_json", "ClientError.ParseJsonError"),
        ("rate_limit", "RequestLimitExceeded"),
        ("api_error", "InternalError"),
    ],
)
def test_every_fault_reaches_the_caller_as_an_sdk_exception(
    emulator: ApiEmulator, kind: str, code: str
) -> None:
    """Each injected fault surfaces as TencentCloudSDKException with the expected code."""
    emulator.inject_fault(kind, delay=2.0)
    with pytest.raises(TencentCloudSDKException) as info:
        _client(emulator, reqTimeout=0.5).call_json("RunInstances", {})
    assert info.value.code == code


def test_retries_recover_from_transient_faults(emulator: ApiEmulator) -> None:
    """A read-only call survives a reset, a 502 and a rate limit with StandardRetryer."""
    emulator.inject_fault("reset")
    emulator.inject_fault("http_error")
    emulator.inject_fault("rate_limit")
    retryer = StandardRetryer(max_attempts=4, sleep=lambda _s: None)
    doc = _client(emulator, retryer=retryer).call_json("DescribeZones", {})
    assert doc["Response"]["TotalCount"] == 1
    assert len(emulator.requests) == 4


def test_non_idempotent_call_is_not_repeated_after_a_reset(emulator: ApiEmulator) -> None:
    """RunInstances whose connection was reset after sending is not sent again."""
    emulator.inject_fault("reset")
    retryer = StandardRetryer(max_attempts=4, sleep=lambda _s: None)
    with pytest.raises(TencentCloudSDKException) as info:
        _client(emulator, retryer=retryer).call_json("RunInstances", {})
    assert info.value.code == "ClientNetworkError"
    assert len(emulator.requests) == 1


# ------------------------------------------------------------------ failover


class HostMapTransport:
    """Connects to loopback ports in place of named hosts; Host header and signature unchanged."""

    def __init__(self, ports: Mapping[str, str]) -> None:
        self._ports = dict(ports)
        self._inner = Urllib3Transport(HttpProfile(protocol="http"))
        self.hosts: List[str] = []

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        _scheme, rest = request.url.split("://", 1)
        host, _, path = rest.partition("/")
        self.hosts.append(host)
        target = self._ports.get(host, host)
        moved = attrs.evolve(request, url=f"http://{target}/{path}")
        return self._inner.send(moved, timeout, stream=stream)


def test_breaker_fails_over_to_a_backup_signed_for_it() -> None:
    """After the primary fails 5 times the breaker sends to <service>.<backup>, signed for it."""
    backup_host = "cvm.ap-shanghai.tencentcloudapi.com"
    with ApiEmulator(CREDS) as primary, ApiEmulator(CREDS) as backup:
        primary.inject_fault("http_error", times=-1)
        backup.register("cvm", "DescribeZones", _zones)
        transport = HostMapTransport({backup_host: backup.endpoint})
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=primary.endpoint, reqTimeout=5),
            disable_region_breaker=False,
            region_breaker_profile=RegionBreakerProfile(
                backup_endpoint="ap-shanghai.tencentcloudapi.com"
            ),
        )
        client = CommonClient(
            "cvm", "2017-03-12", CRED, "ap-guangzhou", profile, transport=transport
        )
        for _ in range(5):
            with pytest.raises(TencentCloudSDKException) as info:
                client.call_json("DescribeZones", {})
            assert info.value.code == "ServerNetworkError"
        doc = client.call_json("DescribeZones", {})
        assert doc["Response"]["TotalCount"] == 1
        assert transport.hosts == [primary.endpoint] * 5 + [backup_host]
        recorded = backup.requests[0]
        assert recorded.error_code is None
        assert recorded.secret_id == "AKIDemulator"
        host = {k.lower(): v for k, v in recorded.headers.items()}["host"]
        assert host == backup_host


def test_clients_with_one_profile_share_one_transport_until_the_last_closes() -> None:
    """Clients with the same connection settings share a transport; the last close ends it."""
    import gc

    from tcfunc import _urllib3

    with ApiEmulator({"AKIDshare": "share-key"}) as emu:
        emu.register("cvm", "DescribeZones", lambda _p: {"TotalCount": 0})
        emu.register("cbs", "DescribeDisks", lambda _p: {"TotalCount": 0})
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, pool_size=3)
        )
        cred = Credential("AKIDshare", "share-key")
        first = CommonClient("cvm", "2017-03-12", cred, "ap-guangzhou", profile)
        second = CommonClient("cbs", "2017-03-12", cred, "ap-shanghai", profile)
        first.call_json("DescribeZones", {})
        second.call_json("DescribeDisks", {})
        assert first._transport is second._transport
        shared = next(s for s in _urllib3._registry.values() if s.transport is first._transport)
        assert shared.users == 2
        other = CommonClient(
            "cvm",
            "2017-03-12",
            cred,
            "ap-guangzhou",
            ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)),
        )
        other.call_json("DescribeZones", {})
        assert other._transport is not first._transport
        first.close()
        assert shared.users == 1
        second.call_json("DescribeDisks", {})  # still works after another client closed
        first.call_json("DescribeZones", {})  # a closed client stays usable
        assert shared.users == 2
        del first
        gc.collect()
        assert shared.users == 1  # a collected client released its share
        second.close()
        assert shared.users == 0
        assert all(s is not shared for s in _urllib3._registry.values())
        other.close()
