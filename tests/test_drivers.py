"""Every client scenario through both drivers: the sync client and the asyncio client.

Both run one call flow (tcfunc._flow); these tests pin that they behave the
same against the signature-verifying emulator over real loopback HTTP
(urllib3 for the sync driver, aiohttp for the async one).
"""

from __future__ import annotations

import io
import logging
import socket
import time
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from tcfunc._flow import EVENT_STREAM_ANSWER
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile, RegionBreakerProfile
from tcfunc.retry import StandardRetryer
from tcfunc.testing.emulator import ApiEmulator

from ._support.drivers import DRIVERS, Driver

SECRET = "driver-secret-key"
CREDS = {"AKIDdriver": SECRET}
CRED = Credential("AKIDdriver", SECRET)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    made = Driver(request.param)
    yield made
    made.close()


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator(CREDS) as emulator:
        emulator.register("cvm", "DescribeZones", lambda p: {"TotalCount": 1, "Echo": p})
        emulator.register("cvm", "RunInstances", lambda p: {"InstanceIdSet": ["ins-1"]})
        yield emulator


def _profile(endpoint: str, *, timeout: float = 5, **kw: Any) -> ClientProfile:
    method = kw.pop("reqMethod", "POST")
    http = HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=timeout, reqMethod=method)
    return ClientProfile(httpProfile=http, **kw)


def _retrying(endpoint: str, **kw: Any) -> ClientProfile:
    return _profile(endpoint, retryer=StandardRetryer(max_attempts=4, sleep=lambda _s: None), **kw)


def _cvm(driver: Driver, emu: ApiEmulator, profile: Any = None, **kw: Any) -> Any:
    return driver.client(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", profile or _profile(emu.endpoint), **kw
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# ------------------------------------------------------------------ answers


@pytest.mark.parametrize(
    ("sign_method", "method"),
    [("TC3-HMAC-SHA256", "POST"), ("TC3-HMAC-SHA256", "GET"), ("HmacSHA1", "POST"),
     ("HmacSHA256", "GET")],
)  # fmt: skip
def test_every_sign_method_verifies(
    driver: Driver, emu: ApiEmulator, sign_method: str, method: str
) -> None:
    """TC3 and v1, GET and POST: the emulator verifies the request and echoes the params."""
    profile = _profile(emu.endpoint, signMethod=sign_method, reqMethod=method)
    client = _cvm(driver, emu, profile)
    doc = driver.call(client, "call_json", "DescribeZones", {"Limit": 2, "Name": "zone"})
    # GET and v1 carry params as form fields: the emulator sees strings there.
    limit = 2 if (method, sign_method) == ("POST", "TC3-HMAC-SHA256") else "2"
    assert doc["Response"]["Echo"] == {"Limit": limit, "Name": "zone"}
    assert emu.requests[0].error_code is None
    assert emu.requests[0].secret_id == "AKIDdriver"


def test_api_errors_carry_code_message_and_request_id(driver: Driver, emu: ApiEmulator) -> None:
    """An API error reaches the caller as TencentCloudSDKException with its three fields."""
    emu.inject_fault("api_error", code="InvalidParameter.Bad", message="no such zone")
    with pytest.raises(TencentCloudSDKException) as info:
        driver.call(_cvm(driver, emu), "call_json", "DescribeZones", {})
    assert (info.value.code, info.value.message) == ("InvalidParameter.Bad", "no such zone")
    assert info.value.requestId


def test_trace_id_is_added_and_a_callers_is_kept(driver: Driver, emu: ApiEmulator) -> None:
    """Each call carries an X-TC-TraceId; one the caller passes is sent as is."""
    client = _cvm(driver, emu)
    driver.call(client, "call_json", "DescribeZones", {})
    driver.call(client, "call_json", "DescribeZones", {}, {"X-TC-TraceId": "mine"})
    traces = [
        {k.lower(): v for k, v in r.headers.items()}.get("x-tc-traceid") for r in emu.requests
    ]
    assert traces[0]
    assert traces[0] != "mine"
    assert traces[1] == "mine"


def test_octet_stream_body_arrives_signed(driver: Driver, emu: ApiEmulator) -> None:
    """call_octet_stream delivers the exact bytes, signed."""
    emu.register("cvm", "UploadBlob", lambda p: {"Ok": True})
    doc = driver.call(_cvm(driver, emu), "call_octet_stream", "UploadBlob", None, b"\x00\xffab")
    assert doc["Response"]["Ok"] is True
    assert emu.requests[0].body == b"\x00\xffab"
    assert emu.requests[0].error_code is None


def test_multipart_file_part_arrives(driver: Driver, emu: ApiEmulator) -> None:
    """A multipart call sends the binary param as a file part the emulator decodes."""
    seen: List[Dict[str, Any]] = []
    emu.register("cvm", "Upload", lambda params, _request: seen.append(params) or {"Ok": 1})
    options = {"IsMultipart": True, "BinaryParams": ["File"]}
    client = _cvm(driver, emu)
    driver.call(client, "call_json", "Upload", {"Name": "x", "File": b"\x00data"}, None, options)
    assert seen == [{"Name": "x", "File": b"\x00data"}]


def test_sse_events_and_a_plain_answer(driver: Driver, emu: ApiEmulator) -> None:
    """call_sse yields the stream's events as the sync parser does; plain JSON is one event."""

    def chat(_p: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        yield {"data": "first", "id": "1"}
        yield {"data": "second\nline", "event": "delta"}

    emu.register("hunyuan", "ChatCompletions", chat)
    client = driver.client("hunyuan", "2023-09-01", CRED, "", _profile(emu.endpoint))
    events = driver.events(client, "ChatCompletions", {"Stream": True})
    assert events == [{"data": "first", "id": "1"}, {"data": "second\nline", "event": "delta"}]
    zones = _cvm(driver, emu)
    (one,) = driver.events(zones, "DescribeZones", {})
    assert '"TotalCount": 1' in one["data"]


def test_call_json_on_an_event_stream_says_to_use_call_sse(
    driver: Driver, emu: ApiEmulator
) -> None:
    """call_json given an event stream raises ClientError.EventStreamAnswer naming call_sse."""
    emu.register("hunyuan", "ChatCompletions", lambda _p: iter([{"data": "x"}]))
    client = driver.client("hunyuan", "2023-09-01", CRED, "", _profile(emu.endpoint))
    with pytest.raises(TencentCloudSDKException) as info:
        driver.call(client, "call_json", "ChatCompletions", {"Stream": True})
    assert info.value.code == EVENT_STREAM_ANSWER
    assert "call_sse" in (info.value.message or "")


# ------------------------------------------------------------------ retries


def test_retries_recover_from_transient_faults(driver: Driver, emu: ApiEmulator) -> None:
    """A read-only call survives a reset, a 502 and a rate limit: four attempts, one answer."""
    for kind in ("reset", "http_error", "rate_limit"):
        emu.inject_fault(kind)
    client = _cvm(driver, emu, _retrying(emu.endpoint))
    assert driver.call(client, "call_json", "DescribeZones", {})["Response"]["TotalCount"] == 1
    assert len(emu.requests) == 4


def test_unsafe_action_is_not_repeated_after_a_reset(driver: Driver, emu: ApiEmulator) -> None:
    """RunInstances whose connection was reset after sending is sent once only."""
    emu.inject_fault("reset")
    client = _cvm(driver, emu, _retrying(emu.endpoint))
    with pytest.raises(TencentCloudSDKException) as info:
        driver.call(client, "call_json", "RunInstances", {})
    assert info.value.code == "ClientNetworkError"
    assert getattr(info.value, "reached_server", None) is True
    assert len(emu.requests) == 1


def test_client_token_makes_an_unsafe_action_safe_to_repeat(
    driver: Driver, emu: ApiEmulator
) -> None:
    """With a ClientToken in its params RunInstances is retried after a 502."""
    emu.inject_fault("http_error")
    client = _cvm(driver, emu, _retrying(emu.endpoint))
    doc = driver.call(client, "call_json", "RunInstances", {"ClientToken": "t-1"})
    assert doc["Response"]["InstanceIdSet"] == ["ins-1"]
    assert len(emu.requests) == 2


def test_connect_failure_is_retried_for_any_action(driver: Driver) -> None:
    """Nothing reached a closed port: RunInstances is tried max_attempts times, then raised."""
    attempts: List[int] = []
    retryer = StandardRetryer(max_attempts=3, sleep=lambda _s: None)
    hook = _Recorder()
    endpoint = f"127.0.0.1:{_closed_port()}"
    profile = _profile(endpoint, retryer=retryer, hooks=(hook,))
    client = driver.client("cvm", "2017-03-12", CRED, "ap-guangzhou", profile)
    with pytest.raises(TencentCloudSDKException) as info:
        driver.call(client, "call_json", "RunInstances", {})
    assert info.value.code == "ClientNetworkError"
    assert getattr(info.value, "reached_server", None) is False
    attempts = [info_.attempt for name, info_ in hook.seen if name == "before_send"]
    assert attempts == [1, 2, 3]
    assert [name for name, _ in hook.seen if name in ("on_retry", "on_error")] == [
        "on_retry",
        "on_retry",
        "on_error",
    ]


def test_official_retryer_is_adapted_so_it_retries(driver: Driver, emu: ApiEmulator) -> None:
    """The official StandardRetryer catches the official exception class; tcfunc adapts it."""
    from tencentcloud.common import retry as official_retry

    emu.inject_fault("rate_limit")
    official = official_retry.StandardRetryer(max_attempts=2, backoff_fn=lambda _n: 0)
    client = _cvm(driver, emu, _profile(emu.endpoint, retryer=official))
    assert driver.call(client, "call_json", "DescribeZones", {})["Response"]["TotalCount"] == 1
    assert len(emu.requests) == 2


def test_a_stalled_answer_is_bounded_by_req_timeout(driver: Driver, emu: ApiEmulator) -> None:
    """A server that never answers costs reqTimeout, not more, and raises ClientNetworkError."""
    emu.inject_fault("stall", delay=5.0)
    client = _cvm(driver, emu, _profile(emu.endpoint, timeout=0.5))
    started = time.monotonic()
    with pytest.raises(TencentCloudSDKException) as info:
        driver.call(client, "call_json", "RunInstances", {})
    assert time.monotonic() - started < 2.5
    assert info.value.code == "ClientNetworkError"


# ------------------------------------------------------------------ breaker and clock


def test_breaker_fails_over_to_a_backup_signed_for_it(driver: Driver) -> None:
    """After five failures the breaker sends to <service>.<backup>, signed for that host."""
    backup_host = "cvm.ap-shanghai.tencentcloudapi.com"
    with ApiEmulator(CREDS) as primary, ApiEmulator(CREDS) as backup:
        primary.inject_fault("http_error", times=-1)
        backup.register("cvm", "DescribeZones", lambda p: {"TotalCount": 7})
        transport = driver.host_map({backup_host: backup.endpoint})
        profile = _profile(
            primary.endpoint,
            disable_region_breaker=False,
            region_breaker_profile=RegionBreakerProfile(
                backup_endpoint="ap-shanghai.tencentcloudapi.com"
            ),
        )
        client = driver.client(
            "cvm", "2017-03-12", CRED, "ap-guangzhou", profile, transport=transport
        )
        for _ in range(5):
            with pytest.raises(TencentCloudSDKException) as info:
                driver.call(client, "call_json", "DescribeZones", {})
            assert info.value.code == "ServerNetworkError"
        assert driver.call(client, "call_json", "DescribeZones", {})["Response"]["TotalCount"] == 7
        assert transport.hosts == [primary.endpoint] * 5 + [backup_host]
        recorded = backup.requests[0]
        assert recorded.error_code is None
        assert {k.lower(): v for k, v in recorded.headers.items()}["host"] == backup_host


def test_clock_skew_is_learnt_and_the_call_retried_once(driver: Driver) -> None:
    """A server an hour ahead refuses the first signature; the client learns from Date."""
    ahead = time.time() + 3600
    with ApiEmulator(CREDS, clock=lambda: ahead) as emu:
        emu.register("cvm", "DescribeZones", lambda p: {"TotalCount": 1})
        client = _cvm(driver, emu)
        assert driver.call(client, "call_json", "DescribeZones", {})["Response"]["TotalCount"] == 1
        assert [r.error_code for r in emu.requests] == ["AuthFailure.SignatureExpire", None]
        assert abs(client._clock_offset - 3600) < 5
        driver.call(client, "call_json", "DescribeZones", {})
        assert len(emu.requests) == 3  # the offset is kept: no refusal any more


# ------------------------------------------------------------------ hooks and logging


class _Recorder:
    """A hook that records what it is told, and adds a header to every attempt."""

    def __init__(self) -> None:
        self.seen: List[Tuple[str, Any]] = []

    def request_headers(self, info: Any) -> Dict[str, str]:
        return {"X-Hook": f"attempt-{info.attempt}"}

    def before_send(self, info: Any, prepared: Any) -> None:
        self.seen.append(("before_send", info))

    def after_response(self, info: Any, status: int, headers: Any, elapsed: float) -> None:
        assert elapsed >= 0
        self.seen.append(("after_response", status))

    def on_retry(self, info: Any, delay: float, error: Any) -> None:
        self.seen.append(("on_retry", error.code))

    def on_error(self, info: Any, error: Any) -> None:
        self.seen.append(("on_error", error.code))


class _Broken:
    """A hook whose every method raises: the call must go on."""

    def request_headers(self, info: Any) -> Dict[str, str]:
        raise RuntimeError("boom")

    def before_send(self, info: Any, prepared: Any) -> None:
        raise RuntimeError("boom")

    def after_response(self, *args: Any) -> None:
        raise RuntimeError("boom")


def test_hooks_see_every_attempt_and_their_headers_are_signed(
    driver: Driver, emu: ApiEmulator
) -> None:
    """Hooks observe each attempt with its number; their headers are sent and signed."""
    emu.inject_fault("http_error")
    hook = _Recorder()
    client = _cvm(driver, emu, _retrying(emu.endpoint, hooks=(hook, _Broken())))
    driver.call(client, "call_json", "DescribeZones", {})
    names = [name for name, _ in hook.seen]
    assert names == ["before_send", "after_response", "on_retry", "before_send", "after_response"]
    infos = [value for name, value in hook.seen if name == "before_send"]
    assert [(i.service, i.action, i.region, i.attempt) for i in infos] == [
        ("cvm", "DescribeZones", "ap-guangzhou", 1),
        ("cvm", "DescribeZones", "ap-guangzhou", 2),
    ]
    assert [value for name, value in hook.seen if name == "after_response"] == [502, 200]
    # The public value, built on first use: equal by value, a readable repr, pickles.
    import pickle

    import tcfunc.hooks

    assert type(infos[0]) is tcfunc.hooks.CallInfo
    expected = tcfunc.hooks.CallInfo("cvm", "2017-03-12", "DescribeZones", "ap-guangzhou", 1)
    assert infos[0] == expected
    assert repr(infos[0]).startswith("CallInfo(service='cvm', version='2017-03-12'")
    assert pickle.loads(pickle.dumps(infos[1])) == infos[1]
    headers = {k.lower(): v for k, v in emu.requests[1].headers.items()}
    assert headers["x-hook"] == "attempt-2"
    assert emu.requests[1].error_code is None


def test_debug_lines_are_redacted(driver: Driver, emu: ApiEmulator) -> None:
    """The client's debug lines show the request and answer with secrets masked."""
    token_cred = Credential("AKIDdriver", SECRET, "driver-session-token")
    emu.add_credential("AKIDdriver", SECRET, "driver-session-token")
    profile = _profile(emu.endpoint, signMethod="HmacSHA256", reqMethod="GET")
    client = driver.client("cvm", "2017-03-12", token_cred, "ap-guangzhou", profile)
    out = io.StringIO()
    client.set_stream_logger(out, level=logging.DEBUG)
    driver.call(client, "call_json", "DescribeZones", {"Password": "hunter2", "Limit": 1})
    text = out.getvalue()
    assert "X-TC-Action: DescribeZones" in text or "Action=DescribeZones" in text
    assert "HTTP 200" in text
    for secret in (SECRET, "driver-session-token", "hunter2"):
        assert secret not in text
    # A v1 GET carries its signature, token and id in the URL: the logged URL masks them.
    assert "Signature=***" in text
    assert "Token=***" in text


# ------------------------------------------------------------------ service-client helpers


class _ZonesRequest:
    headers = None

    def to_api(self) -> Dict[str, Any]:
        return {"Limit": 1}


class _Answer:
    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def from_api(cls, data: Dict[str, Any]) -> _Answer:
        return cls(data)


def _service_client(driver: Driver, service: str, version: str, endpoint: str) -> Any:
    from tcfunc.aio import AsyncAbstractClient
    from tcfunc.client import AbstractClient

    base: Any = AbstractClient if driver.kind == "sync" else AsyncAbstractClient
    cls = type("ServiceClient", (base,), {"_service": service, "_apiVersion": version})
    client = cls(CRED, "ap-guangzhou", _profile(endpoint))
    driver._clients.append(client)
    return client


def test_a_model_call_lets_the_answer_decide_with_sse_auto(
    driver: Driver, emu: ApiEmulator
) -> None:
    """_call_model(sse="auto"): a model for a JSON answer, an event stream for an SSE one."""
    emu.register("hunyuan", "ChatCompletions", lambda p: iter([{"data": "a"}, {"data": "b"}]))
    emu.register("hunyuan", "GetEmbedding", lambda p: {"Data": [1]})
    client = _service_client(driver, "hunyuan", "2023-09-01", emu.endpoint)
    answer = driver.call(
        client, "_call_model", "GetEmbedding", _ZonesRequest(), _Answer, sse="auto"
    )
    assert isinstance(answer, _Answer)
    assert answer.data["Data"] == [1]
    stream = driver.call(
        client, "_call_model", "ChatCompletions", _ZonesRequest(), _Answer, sse="auto"
    )
    if driver.kind == "sync":
        assert [e["data"] for e in stream] == ["a", "b"]
    else:

        async def read() -> List[str]:
            return [e["data"] async for e in stream]

        assert driver.run(read()) == ["a", "b"]
    with pytest.raises(TencentCloudSDKException) as info:
        driver.call(client, "_call_model", "ChatCompletions", _ZonesRequest(), _Answer)
    assert info.value.code == EVENT_STREAM_ANSWER


def test_a_model_call_refuses_what_is_not_a_request_model(driver: Driver, emu: ApiEmulator) -> None:
    """A dict (or anything without to_api) given as the request is a ClientError, never sent."""
    client = _service_client(driver, "cvm", "2017-03-12", emu.endpoint)
    with pytest.raises(TencentCloudSDKException) as info:
        driver.call(client, "_call_model", "DescribeZones", {"Limit": 1}, _Answer)
    assert info.value.code == "ClientError"
    assert "request model" in (info.value.message or "")
    assert emu.requests == []


def test_a_service_client_refuses_a_region_of_none(driver: Driver) -> None:
    """Every client, generated ones too, needs a region string ('' for global services)."""
    from tcfunc.aio import AsyncAbstractClient
    from tcfunc.client import AbstractClient

    base: Any = AbstractClient if driver.kind == "sync" else AsyncAbstractClient
    cls = type("CvmClient", (base,), {"_service": "cvm", "_apiVersion": "2017-03-12"})
    with pytest.raises(TencentCloudSDKException) as info:
        cls(CRED, None)
    assert info.value.code == "ClientError"
    assert "region" in (info.value.message or "")


@pytest.mark.parametrize("style", ["call_json", "call"])
def test_a_deprecation_notice_warns_at_the_callers_line(
    driver: Driver, emu: ApiEmulator, style: str
) -> None:
    """An answer with DeprecatedWarning gives one DeprecationWarning pointing at the caller,
    from call_json and from the official name call alike, with the document returned."""
    import warnings

    emu.register("cvm", "DescribeOld", lambda p: {"DeprecatedWarning": "use DescribeNew"})
    client = _cvm(driver, emu)
    method = getattr(client, style)

    async def awaiting() -> Any:
        return await method("DescribeOld", {})

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        document = method("DescribeOld", {}) if driver.kind == "sync" else driver.run(awaiting())
    assert document["Response"]["DeprecatedWarning"] == "use DescribeNew"
    (warning,) = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert "use DescribeNew" in str(warning.message)
    assert warning.filename == __file__
