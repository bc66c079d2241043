"""AbstractClient and CommonClient over FakeTransport: the call path without a network.

Signing, retries, the breaker, clock correction and parsing all run for
real; only the HTTP exchange is scripted.
"""

from __future__ import annotations

import email.utils
import gc
import json
import threading
import warnings
from typing import Any, Dict, Iterator, List, Mapping, Optional

import attrs
import pytest

from tcfunc.client import AbstractClient, CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile, RegionBreakerProfile
from tcfunc.request import PreparedRequest, RequestOptions
from tcfunc.retry import NoopRetryer, StandardRetryer
from tcfunc.sse import EventStream
from tcfunc.testing.fake import FakeTransport
from tcfunc.transport import HttpResponse
from tcfunc.verify import verify_request

CRED = Credential("AKIDexample", "secretkey")
NOW = 1_700_000_000.0


def _client(
    fake: FakeTransport,
    *,
    profile: Optional[ClientProfile] = None,
    credential: Any = CRED,
    clock: Any = None,
    service: str = "cvm",
) -> CommonClient:
    return CommonClient(
        service,
        "2017-03-12",
        credential,
        "ap-guangzhou",
        profile or ClientProfile(),
        transport=fake,
        clock=clock or (lambda: NOW),
    )


def _retrying(**kw: Any) -> ClientProfile:
    retryer = StandardRetryer(sleep=lambda _s: None, **kw)
    return ClientProfile(retryer=retryer)


def _header(request: PreparedRequest, name: str) -> Optional[str]:
    for key, value in request.headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _verify(request: PreparedRequest, now: float = NOW, secrets: Any = None) -> Any:
    table = secrets or {"AKIDexample": "secretkey"}
    return verify_request(
        request.method,
        request.url,
        dict(request.headers),
        request.body,
        lookup_secret=table.get,
        now=now,
    )


# ------------------------------------------------------------- call styles


def test_call_json_returns_the_document_and_signs_the_request() -> None:
    """call_json sends a correctly signed request and returns {"Response": ...}."""
    fake = FakeTransport().add_json({"TotalCount": 3}, request_id="r-1")
    doc = _client(fake).call_json("DescribeInstances", {"Limit": 1})
    assert doc == {"Response": {"TotalCount": 3, "RequestId": "r-1"}}
    verified = _verify(fake.requests[0])
    assert (verified.action, verified.params) == ("DescribeInstances", {"Limit": 1})
    fake.assert_no_pending()


def test_call_returns_the_decoded_document() -> None:
    """call returns the same dict as call_json."""
    fake = FakeTransport().add_json({"A": 1}, request_id="r")
    assert _client(fake).call("DescribeA", {}) == {"Response": {"A": 1, "RequestId": "r"}}


def test_call_octet_stream_sends_the_body() -> None:
    """call_octet_stream posts the bytes as application/octet-stream, signed."""
    fake = FakeTransport().add_json({"Ok": True})
    doc = _client(fake).call_octet_stream("UploadFile", {"X-Custom": "1"}, b"\x00\x01binary")
    request = fake.requests[0]
    assert doc["Response"]["Ok"] is True
    assert request.body == b"\x00\x01binary"
    assert _header(request, "Content-Type") == "application/octet-stream"
    assert _header(request, "X-Custom") == "1"
    _verify(request)


def test_call_sse_yields_events_as_parsed() -> None:
    """call_sse returns an iterator of event dicts from a text/event-stream answer."""
    fake = FakeTransport().add_sse([b'data: {"a"', b": 1}\n\nevent: end\n", b"data: [DONE]\n\n"])
    events = list(_client(fake).call_sse("ChatCompletions", {"Stream": True}))
    assert events == [{"data": '{"a": 1}'}, {"data": "[DONE]", "event": "end"}]
    assert fake.sent[0].stream is True


def test_call_sse_with_plain_json_answer_is_one_event() -> None:
    """A JSON (non-stream) answer to call_sse is one event whose data is the JSON text."""
    fake = FakeTransport().add_json({"Choices": []}, request_id="r")
    events = list(_client(fake).call_sse("ChatCompletions", {"Stream": False}))
    assert [json.loads(e["data"]) for e in events] == [
        {"Response": {"Choices": [], "RequestId": "r"}}
    ]


def test_call_sse_raises_api_errors_before_iterating() -> None:
    """An API error answer to call_sse raises from the call itself."""
    fake = FakeTransport().add_error("InvalidParameter", "no")
    with pytest.raises(TencentCloudSDKException) as info:
        _client(fake).call_sse("ChatCompletions", {})
    assert info.value.code == "InvalidParameter"


def test_call_sse_closed_before_iterating_releases_the_stream() -> None:
    """close() on the event stream before the first event gives the connection back at once,
    and the stream then yields nothing."""
    fake = FakeTransport().add_sse([b"data: one\n\n", b"data: two\n\n"])
    events = _client(fake).call_sse("ChatCompletions", {})
    assert isinstance(events, EventStream)
    assert fake.open_streams == 1
    events.close()
    assert fake.open_streams == 0
    assert events.closed
    assert list(events) == []
    events.close()  # idempotent
    assert fake.open_streams == 0


def test_call_sse_stream_is_released_by_with_exhaustion_and_garbage_collection() -> None:
    """Leaving a with block, reading to the end, or dropping the stream unread each release it."""
    fake = FakeTransport()
    for _ in range(3):
        fake.add_sse([b"data: one\n\n", b"data: two\n\n"])
    client = _client(fake)
    with client.call_sse("ChatCompletions", {}) as events:
        assert next(events) == {"data": "one"}
        assert fake.open_streams == 1
    assert fake.open_streams == 0
    assert [e["data"] for e in client.call_sse("ChatCompletions", {})] == ["one", "two"]
    assert fake.open_streams == 0
    dropped = client.call_sse("ChatCompletions", {})
    assert fake.open_streams == 1
    del dropped
    gc.collect()
    assert fake.open_streams == 0


def test_call_sse_stream_is_released_when_reading_fails() -> None:
    """A network error while reading events reaches the caller and releases the stream."""
    closed: List[bool] = []

    def broken() -> Iterator[bytes]:
        yield b"data: one\n\n"
        raise FakeTransport.read_error("reset while streaming")

    class _Transport:
        def send(self, _req: PreparedRequest, _timeout: float, *, stream: bool = False) -> Any:
            return HttpResponse(
                200,
                {"Content-Type": "text/event-stream"},
                chunks=broken(),
                close=lambda: closed.append(True),
            )

    client = CommonClient("hunyuan", "2023-09-01", CRED, "", transport=_Transport())
    events = client.call_sse("ChatCompletions", {})
    assert next(events) == {"data": "one"}
    with pytest.raises(TencentCloudSDKException) as info:
        next(events)
    assert info.value.code == "ClientNetworkError"
    assert closed == [True]


@attrs.frozen
class _Req:
    Limit: int
    headers: Optional[Mapping[str, str]] = None

    def to_api(self) -> Dict[str, Any]:
        return {"Limit": self.Limit}


@attrs.frozen
class _Resp:
    TotalCount: int
    RequestId: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> _Resp:
        return cls(data["TotalCount"], data["RequestId"])


class _CvmClient(AbstractClient):
    _service = "cvm"
    _apiVersion = "2017-03-12"

    def DescribeInstances(self, request: _Req) -> _Resp:
        return self._call_model("DescribeInstances", request, _Resp)

    def Chat(self, request: _Req) -> Iterator[Dict[str, Any]]:
        return self._call_model("Chat", request, _Resp, sse=True)


def test_call_model_serialises_request_and_builds_response() -> None:
    """_call_model sends request.to_api() with request.headers and returns from_api(Response)."""
    fake = FakeTransport().add_json({"TotalCount": 7}, request_id="r-9")
    client = _CvmClient(CRED, "ap-guangzhou", transport=fake)
    resp = client.DescribeInstances(_Req(5, headers={"X-TC-TraceId": "t-1"}))
    assert resp == _Resp(7, "r-9")
    assert json.loads(fake.requests[0].body) == {"Limit": 5}
    assert _header(fake.requests[0], "X-TC-TraceId") == "t-1"


def test_call_model_with_sse_returns_the_event_iterator() -> None:
    """_call_model(sse=True) returns the events."""
    fake = FakeTransport().add_sse([{"data": "x"}])
    client = _CvmClient(CRED, "ap-guangzhou", transport=fake)
    assert list(client.Chat(_Req(1))) == [{"data": "x"}]


@attrs.frozen
class _FileReq:
    File: bytes
    Name: str
    headers: Optional[Mapping[str, str]] = None

    def to_api(self) -> Dict[str, Any]:
        return {"File": self.File, "Name": self.Name}


@pytest.mark.parametrize(
    "options",
    [
        RequestOptions(multipart=True, binary_params=("File",)),
        {"IsMultipart": True, "BinaryParams": ["File"]},
    ],
)
def test_call_model_sends_with_the_given_request_options(options: Any) -> None:
    """_call_model(options=...) builds the request with them: bytes travel as a multipart file."""
    fake = FakeTransport().add_json({"TotalCount": 1}, request_id="r-f")
    client = _CvmClient(CRED, "ap-guangzhou", transport=fake, clock=lambda: NOW)
    data = b"\x00\xffDICM-bytes"
    resp = client._call_model("UploadFile", _FileReq(data, "scan.dcm"), _Resp, options=options)
    assert resp == _Resp(1, "r-f")
    sent = fake.requests[0]
    assert (_header(sent, "Content-Type") or "").startswith("multipart/form-data; boundary=")
    assert b'filename="File"' in sent.body
    verified = _verify(sent)
    assert verified.params == {"File": data, "Name": "scan.dcm"}


def test_call_model_with_sse_sends_with_the_given_request_options() -> None:
    """_call_model(sse=True, options=...) passes the options on to the streaming call."""
    fake = FakeTransport().add_sse([{"data": "x"}])
    client = _CvmClient(None, "ap-guangzhou", transport=fake)
    events = client._call_model("Chat", _Req(1), _Resp, sse=True, options={"SkipSign": True})
    assert list(events) == [{"data": "x"}]
    assert _header(fake.requests[0], "Authorization") == "SKIP"


# ----------------------------------------------------------------- headers


def test_trace_id_is_added_when_missing() -> None:
    """Every call carries a fresh uuid4 X-TC-TraceId unless the caller gave one."""
    fake = FakeTransport(strict=False)
    client = _client(fake)
    client.call_json("DescribeA", {})
    client.call_json("DescribeA", {})
    ids = [_header(r, "X-TC-TraceId") for r in fake.requests]
    assert all(ids)
    assert ids[0] != ids[1]
    assert len(ids[0] or "") == 36


def test_trace_ids_are_version_4_uuids_that_random_seed_does_not_repeat() -> None:
    """The ids are RFC 4122 version 4, and an application seeding the random module (as
    two worker processes may, alike) does not make the client send the same ids again."""
    import random
    import uuid

    fake = FakeTransport(strict=False)
    client = _client(fake)
    runs = []
    for _ in range(2):
        random.seed(1234)
        for _ in range(3):
            client.call_json("DescribeA", {})
        runs.append([_header(r, "X-TC-TraceId") for r in fake.requests[-3:]])
    assert not set(runs[0]) & set(runs[1])
    for text in runs[0] + runs[1]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_a_forked_child_draws_other_trace_ids_than_its_parent() -> None:
    """After fork the child's generator is reseeded: it does not replay the parent's ids."""
    import os

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    from tcfunc.client import _trace_id

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send its next three ids and leave at once
        os.close(read)
        os.write(write, ",".join(_trace_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(write)
    parent = [_trace_id() for _ in range(3)]
    with os.fdopen(read) as pipe:
        child = pipe.read().split(",")
    os.waitpid(pid, 0)
    assert len(child) == 3
    assert not set(child) & set(parent)


def test_callers_trace_id_is_kept_in_any_case() -> None:
    """A caller's x-tc-traceid (any spelling) is sent as given, with no second one."""
    fake = FakeTransport(strict=False)
    _client(fake).call_json("DescribeA", {}, headers={"x-tc-TRACEID": "mine"})
    names = [k for k in fake.requests[0].headers if k.lower() == "x-tc-traceid"]
    assert names == ["x-tc-TRACEID"]
    assert fake.requests[0].headers["x-tc-TRACEID"] == "mine"


def test_headers_must_be_a_mapping() -> None:
    """Headers that are not a mapping are a ClientError before anything is sent."""
    fake = FakeTransport()
    with pytest.raises(TencentCloudSDKException) as info:
        _client(fake).call_json("DescribeA", {}, headers=[("a", "b")])  # type: ignore[arg-type]
    assert info.value.code == "ClientError"
    assert fake.requests == []


def test_apigw_endpoint_receives_the_request() -> None:
    """With apigw_endpoint the request goes to the gateway host."""
    fake = FakeTransport(strict=False)
    profile = ClientProfile(httpProfile=HttpProfile(apigw_endpoint="gw.example.com"))
    _client(fake, profile=profile).call_json("DescribeA", {})
    assert fake.requests[0].url == "https://gw.example.com/"


# ------------------------------------------------------ credentials, retry


class _RotatingProvider:
    """Hands out a new credential (id, key and token matching) on every call."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def get_credential(self) -> Credential:
        with self._lock:
            self.calls += 1
            n = self.calls
        return Credential(f"AKID{n}", f"key{n}", f"token{n}")


def test_each_attempt_signs_with_one_fresh_snapshot() -> None:
    """A provider is asked once per attempt, and each attempt is signed with that snapshot."""
    provider = _RotatingProvider()
    fake = FakeTransport()
    fake.add_exception(FakeTransport.connect_error()).add_error("RequestLimitExceeded")
    fake.add_json({})
    _client(fake, credential=provider, profile=_retrying()).call_json("RunInstances", {})
    assert provider.calls == 3
    table = {f"AKID{n}": Credential(f"AKID{n}", f"key{n}", f"token{n}") for n in (1, 2, 3)}
    for n, request in enumerate(fake.requests, start=1):
        assert _verify(request, secrets=table).secret_id == f"AKID{n}"
        assert _header(request, "X-TC-Token") == f"token{n}"


def test_each_attempt_is_signed_with_a_fresh_timestamp() -> None:
    """Retries re-sign: each attempt carries the clock's time at that attempt."""
    times = iter([NOW, NOW + 5, NOW + 9])
    fake = FakeTransport().add_error("RequestLimitExceeded").add_error("RequestLimitExceeded")
    fake.add_json({})
    _client(fake, profile=_retrying(), clock=lambda: next(times)).call_json("DescribeA", {})
    stamps = [_header(r, "X-TC-Timestamp") for r in fake.requests]
    assert stamps == [str(int(NOW)), str(int(NOW + 5)), str(int(NOW + 9))]


def test_provider_failure_is_an_sdk_exception_without_its_text() -> None:
    """A provider raising something else becomes InvalidCredential naming only the type."""

    class Broken:
        def get_credential(self) -> Credential:
            raise OSError("cannot read /secret/path with key SECRET")

    with pytest.raises(TencentCloudSDKException) as info:
        _client(FakeTransport(), credential=Broken()).call_json("DescribeA", {})
    assert info.value.code == "InvalidCredential"
    assert "SECRET" not in str(info.value)


def test_skip_sign_works_without_a_credential() -> None:
    """SkipSign calls need no credential; they carry Authorization: SKIP."""
    fake = FakeTransport().add_json({})
    _client(fake, credential=None).call_json(
        "AssumeRoleWithWebIdentity", {}, options={"SkipSign": True}
    )
    assert _header(fake.requests[0], "Authorization") == "SKIP"
    with pytest.raises(TencentCloudSDKException) as info:
        _client(FakeTransport(), credential=None).call_json("DescribeA", {})
    assert info.value.code == "InvalidCredential"


def test_no_retryer_means_one_attempt() -> None:
    """Without a retryer (or with NoopRetryer) a retryable error is raised at once."""
    for profile in (ClientProfile(), ClientProfile(retryer=NoopRetryer())):
        fake = FakeTransport().add_exception(FakeTransport.connect_error())
        with pytest.raises(TencentCloudSDKException):
            _client(fake, profile=profile).call_json("DescribeA", {})
        assert len(fake.requests) == 1


def test_unsafe_action_is_not_retried_after_a_read_failure() -> None:
    """RunInstances whose answer was lost is not sent again; with a ClientToken it is."""
    fake = FakeTransport().add_exception(FakeTransport.read_error())
    with pytest.raises(TencentCloudSDKException):
        _client(fake, profile=_retrying()).call_json("RunInstances", {})
    assert len(fake.requests) == 1
    fake = FakeTransport().add_exception(FakeTransport.read_error()).add_json({})
    _client(fake, profile=_retrying()).call_json("RunInstances", {"ClientToken": "abc"})
    assert len(fake.requests) == 2


def test_read_only_action_is_retried_after_a_read_failure() -> None:
    """A Describe* call whose answer was lost is retried."""
    fake = FakeTransport().add_exception(FakeTransport.read_error()).add_json({"A": 1})
    assert _client(fake, profile=_retrying()).call_json("DescribeA", {})["Response"]["A"] == 1


def test_gateway_timeout_is_not_repeated_for_an_unsafe_action() -> None:
    """A 504 (the request reached a server and may have run) is not retried for RunInstances,
    which gets one request and the error; DescribeInstances is retried and succeeds."""
    fake = FakeTransport().add_response(b"gateway timeout", status=504).add_json({"Id": 1})
    with pytest.raises(TencentCloudSDKException) as info:
        _client(fake, profile=_retrying()).call_json("RunInstances", {})
    assert info.value.code == "ServerNetworkError"
    assert getattr(info.value, "status", None) == 504
    assert len(fake.requests) == 1
    fake = FakeTransport().add_response(b"gateway timeout", status=504).add_json({"Id": 1})
    doc = _client(fake, profile=_retrying()).call_json("DescribeInstances", {})
    assert doc["Response"]["Id"] == 1
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [500, 502])
def test_other_5xx_are_retried_only_when_safe(status: int) -> None:
    """500 and 502 are retried for RunInstances only when it carries a ClientToken."""
    fake = FakeTransport().add_response(b"oops", status=status)
    with pytest.raises(TencentCloudSDKException):
        _client(fake, profile=_retrying()).call_json("RunInstances", {})
    assert len(fake.requests) == 1
    fake = FakeTransport().add_response(b"oops", status=status).add_json({})
    _client(fake, profile=_retrying()).call_json("RunInstances", {"ClientToken": "t-1"})
    assert len(fake.requests) == 2


def test_service_unavailable_is_retried_even_for_an_unsafe_action() -> None:
    """A 503 says the server did not process the request: RunInstances is sent again."""
    fake = FakeTransport().add_response(b"busy", status=503).add_json({"Id": 2})
    doc = _client(fake, profile=_retrying()).call_json("RunInstances", {})
    assert doc["Response"]["Id"] == 2
    assert len(fake.requests) == 2


def test_foreign_retryer_gets_the_official_protocol() -> None:
    """A retryer object from elsewhere is called as send_request(fn)."""

    class Twice:
        def send_request(self, fn: Any) -> Any:
            try:
                return fn()
            except TencentCloudSDKException:
                return fn()

    fake = FakeTransport().add_error("InternalError").add_json({"B": 2})
    profile = ClientProfile(retryer=Twice())  # type: ignore[arg-type]
    assert _client(fake, profile=profile).call_json("CreateB", {})["Response"]["B"] == 2


# -------------------------------------------------------------- clock skew


def test_signature_expire_corrects_the_clock_and_retries_once() -> None:
    """SignatureExpire with a Date header: the offset is learnt, the call retried once and kept."""
    server_now = NOW + 3600
    date = {"Date": email.utils.formatdate(server_now, usegmt=True)}
    fake = FakeTransport().add_error("AuthFailure.SignatureExpire", "expired", headers=date)
    fake.add_json({"A": 1})
    client = _client(fake)
    assert client.call_json("DescribeA", {})["Response"]["A"] == 1
    stamps = [int(_header(r, "X-TC-Timestamp") or 0) for r in fake.requests]
    assert stamps == [int(NOW), int(server_now)]
    _verify(fake.requests[1], now=server_now)
    fake.add_json({})
    client.call_json("DescribeA", {})
    assert _header(fake.requests[2], "X-TC-Timestamp") == str(int(server_now))


def test_signature_expire_is_retried_only_once() -> None:
    """A second SignatureExpire is raised (no loop)."""
    date = {"Date": email.utils.formatdate(NOW + 3600, usegmt=True)}
    fake = FakeTransport()
    for _ in range(2):
        fake.add_error("AuthFailure.SignatureExpire", "expired", headers=date)
    with pytest.raises(TencentCloudSDKException) as info:
        _client(fake).call_json("DescribeA", {})
    assert info.value.code == "AuthFailure.SignatureExpire"
    assert len(fake.requests) == 2


def test_signature_expire_without_date_is_raised() -> None:
    """Without a Date header (or with the clock already right) there is nothing to correct."""
    fake = FakeTransport().add_error("AuthFailure.SignatureExpire", "expired")
    with pytest.raises(TencentCloudSDKException):
        _client(fake).call_json("DescribeA", {})
    now_date = {"Date": email.utils.formatdate(NOW, usegmt=True)}
    fake = FakeTransport().add_error("AuthFailure.SignatureExpire", "x", headers=now_date)
    with pytest.raises(TencentCloudSDKException):
        _client(fake).call_json("DescribeA", {})
    assert len(fake.requests) == 1


class _SkewedServer:
    """Answers SignatureExpire to requests signed far from its clock, holding the first
    ``expired`` of them at a barrier so that they are all in flight together."""

    def __init__(self, server_now: float, expired: int) -> None:
        self.server_now = server_now
        self.barrier = threading.Barrier(expired)
        self.stamps: List[int] = []
        self._lock = threading.Lock()

    def send(self, request: PreparedRequest, _timeout: float, *, stream: bool = False) -> Any:
        stamp = int(_header(request, "X-TC-Timestamp") or 0)
        with self._lock:
            self.stamps.append(stamp)
        date = {"Content-Type": "application/json"}
        date["Date"] = email.utils.formatdate(self.server_now, usegmt=True)
        if abs(stamp - self.server_now) > 300:
            self.barrier.wait(5)
            body = {
                "Response": {"Error": {"Code": "AuthFailure.SignatureExpire"}, "RequestId": "e"}
            }
        else:
            body = {"Response": {"RequestId": "ok"}}
        return HttpResponse(200, date, json.dumps(body).encode())


def test_threads_racing_on_a_wrong_clock_each_retry_once() -> None:
    """Two threads sign with a clock an hour behind at the same time and both get
    SignatureExpire; the one whose answer is handled second, finding the offset already
    learnt by the other, still retries once with it and succeeds."""
    server = _SkewedServer(NOW + 3600, expired=2)
    client = CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", transport=server, clock=lambda: NOW
    )
    results: List[str] = []

    def call() -> None:
        try:
            results.append(client.call_json("DescribeA", {})["Response"]["RequestId"])
        except TencentCloudSDKException as exc:
            results.append(exc.code or "")

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == ["ok", "ok"]
    assert sorted(server.stamps) == [int(NOW)] * 2 + [int(NOW + 3600)] * 2


# ----------------------------------------------------------------- breaker


def _breaker_profile(**kw: Any) -> ClientProfile:
    return ClientProfile(
        disable_region_breaker=False,
        region_breaker_profile=RegionBreakerProfile(
            backup_endpoint="ap-shanghai.tencentcloudapi.com", **kw
        ),
    )


def test_breaker_counts_network_errors_and_fails_over_signed_for_the_backup() -> None:
    """Five failures open the breaker; the next request goes to, and is signed for, the backup."""
    fake = FakeTransport()
    for _ in range(5):
        fake.add_exception(FakeTransport.connect_error())
    fake.add_json({"B": 1})
    client = _client(fake, profile=_breaker_profile())
    for _ in range(5):
        with pytest.raises(TencentCloudSDKException) as info:
            client.call_json("DescribeA", {})
        assert info.value.code == "ClientNetworkError"
    assert client.call_json("DescribeA", {})["Response"]["B"] == 1
    backup = fake.requests[5]
    assert backup.url == "https://cvm.ap-shanghai.tencentcloudapi.com/"
    assert _header(backup, "Host") == "cvm.ap-shanghai.tencentcloudapi.com"
    _verify(backup)
    assert fake.requests[0].url == "https://cvm.tencentcloudapi.com/"


def test_api_errors_with_request_id_count_as_successes() -> None:
    """API errors (not InternalError) show the region works and do not open the breaker."""
    fake = FakeTransport()
    for _ in range(6):
        fake.add_error("InvalidParameter", "x")
    fake.add_json({})
    client = _client(fake, profile=_breaker_profile())
    for _ in range(6):
        with pytest.raises(TencentCloudSDKException):
            client.call_json("DescribeA", {})
    client.call_json("DescribeA", {})
    assert all(r.url == "https://cvm.tencentcloudapi.com/" for r in fake.requests)


def test_internal_errors_and_5xx_count_as_failures() -> None:
    """InternalError answers and 5xx open the breaker like network errors."""
    fake = FakeTransport()
    for i in range(5):
        if i % 2:
            fake.add_error("InternalError", "boom")
        else:
            fake.add_response("<html>502</html>", status=502)
    fake.add_json({})
    client = _client(fake, profile=_breaker_profile())
    for _ in range(5):
        with pytest.raises(TencentCloudSDKException):
            client.call_json("DescribeA", {})
    client.call_json("DescribeA", {})
    assert fake.requests[5].url.startswith("https://cvm.ap-shanghai.")


def test_breaker_walks_its_states_on_the_clients_clock() -> None:
    """With clock= given, the breaker reads time from it: five failures open it (the backup
    host gets the requests, signed for it), after timeout it is half-open (primary again),
    and max_requests successes close it (primary stays)."""
    now = [NOW]
    fake = FakeTransport()
    profile = _breaker_profile(timeout=30, max_requests=2)
    client = _client(fake, profile=profile, clock=lambda: now[0])
    for _ in range(5):
        fake.add_exception(FakeTransport.connect_error())
    for _ in range(5):
        with pytest.raises(TencentCloudSDKException):
            client.call_json("DescribeA", {})
    for _ in range(6):
        fake.add_json({})
    client.call_json("DescribeA", {})  # open: backup
    now[0] += 29
    client.call_json("DescribeA", {})  # still open: backup
    now[0] += 1
    client.call_json("DescribeA", {})  # half-open: primary
    client.call_json("DescribeA", {})  # second success closes it
    now[0] += 1000
    client.call_json("DescribeA", {})  # closed: primary
    client.call_json("DescribeA", {})
    primary, backup = "cvm.tencentcloudapi.com", "cvm.ap-shanghai.tencentcloudapi.com"
    hosts = [_header(r, "Host") for r in fake.requests]
    assert hosts == [primary] * 5 + [backup] * 2 + [primary] * 4
    for request, sent_at in zip(fake.requests[5:7], (NOW, NOW + 29)):
        assert request.url == f"https://{backup}/"
        assert _verify(request, now=sent_at).action == "DescribeA"
    assert client._breaker is not None
    assert client._breaker.state.state == "closed"
    fake.assert_no_pending()


# -------------------------------------------------------------- warnings


def test_deprecated_warning_becomes_one_deprecation_warning() -> None:
    """A DeprecatedWarning in the answer is one DeprecationWarning pointing at the caller."""
    fake = FakeTransport().add_json({"DeprecatedWarning": "use B"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _client(fake).call_json("DescribeA", {})
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    assert "use B" in str(deprecations[0].message)
    assert deprecations[0].filename == __file__


# ------------------------------------------------------------- validation


def test_common_client_needs_service_version_and_region() -> None:
    """None for service, version or region is a ClientError at construction."""
    for args in (
        (None, "v", "r"),
        ("cvm", None, "r"),
        ("cvm", "v", None),
    ):
        with pytest.raises(TencentCloudSDKException) as info:
            CommonClient(args[0], args[1], CRED, args[2])  # type: ignore[arg-type]
        assert info.value.code == "ClientError"


def test_bad_profile_is_refused() -> None:
    """A profile that is not a ClientProfile is refused at construction."""
    with pytest.raises(TencentCloudSDKException):
        CommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", {"a": 1})  # type: ignore[arg-type]


def test_bad_action_never_reaches_the_transport() -> None:
    """An empty action is a ClientError and nothing is sent."""
    fake = FakeTransport()
    with pytest.raises(TencentCloudSDKException):
        _client(fake).call_json("", {})
    assert fake.requests == []


def test_client_is_safe_to_share_between_threads() -> None:
    """Eight threads on one client over the fake: every call answered, every request signed."""
    fake = FakeTransport(strict=False)
    client = _client(fake, profile=_breaker_profile())
    errors: List[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                client.call_json("DescribeA", {"X": 1})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(fake.requests) == 400
    assert len({_header(r, "X-TC-TraceId") for r in fake.requests}) == 400


def test_trace_ids_are_distinct_version_4_uuids() -> None:
    """The X-TC-TraceId a client adds is a fresh RFC 4122 version-4 UUID every call."""
    import uuid

    from tcfunc.client import _uuid4

    seen = {_uuid4() for _ in range(1000)}
    assert len(seen) == 1000
    for text in list(seen)[:50]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text
