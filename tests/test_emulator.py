"""The API emulator, driven by tcfunc's pure core over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

import pytest
import urllib3

from tcfunc import (
    ClientProfile,
    Credential,
    HttpProfile,
    RequestOptions,
    TencentCloudSDKException,
    prepare_request,
)
from tcfunc.client import CommonClient
from tcfunc.testing._cli import _make_emulator
from tcfunc.testing._http import _RequestHandler
from tcfunc.testing.emulator import (
    ApiEmulator,
    Handler,
    RecordedRequest,
    build_parser,
    main,
)

SECRET_ID = "AKIDemulatortest"
SECRET_KEY = "emulator-test-key"
CRED = Credential(SECRET_ID, SECRET_KEY)

Answer = Tuple[int, Mapping[str, str], Dict[str, Any]]


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emulator:
        yield emulator


class Wire(urllib3.PoolManager):
    """A pool that also says how :func:`send` reaches the emulator: ``"http"`` (over
    loopback) or ``"inproc"`` (``emu.transport()``, no socket). Raw ``request`` calls
    always go over HTTP."""

    def __init__(self, mode: str) -> None:
        super().__init__(retries=False, timeout=urllib3.Timeout(connect=2, read=5))
        self.mode = mode


# The suite runs over both carriers of the emulator's core: every test that sends with
# send() runs twice, and must see the same answers.
@pytest.fixture(scope="module", params=["http", "inproc"])
def pool(request: pytest.FixtureRequest) -> Iterator[urllib3.PoolManager]:
    manager = Wire(request.param)
    yield manager
    manager.clear()


def send(
    pool: urllib3.PoolManager,
    emu: ApiEmulator,
    action: str,
    params: Optional[Mapping[str, Any]] = None,
    *,
    service: str = "cvm",
    version: str = "2017-03-12",
    credential: Credential = CRED,
    sign: str = "TC3-HMAC-SHA256",
    method: str = "POST",
    options: Union[RequestOptions, Mapping[str, Any], None] = None,
    host: Optional[str] = None,
    timestamp: Optional[int] = None,
) -> Answer:
    """Build with prepare_request, send with urllib3, decode the JSON answer."""
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, reqMethod=method),
        signMethod=sign,
    )
    prepared = prepare_request(
        action,
        params or {},
        service=service,
        version=version,
        region="ap-guangzhou",
        credential=credential,
        profile=profile,
        options=options,
        host=host,
        timestamp=timestamp,
    )
    if isinstance(pool, Wire) and pool.mode == "inproc" and isinstance(emu, ApiEmulator):
        got = emu.transport().send(prepared, 5)
        return got.status, got.headers, json.loads(got.read())
    parts = urlsplit(prepared.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = dict(prepared.headers)
    # v1 requests sign the Host without sending it as a header; send what was signed.
    headers.setdefault("Host", parts.netloc)
    conn = pool.connection_from_host("127.0.0.1", int(emu.endpoint.rsplit(":", 1)[1]), "http")
    resp = conn.urlopen(
        prepared.method,
        target,
        headers=headers,
        body=prepared.body or None,
        retries=False,
    )
    return resp.status, resp.headers, json.loads(resp.data)


def recording(into: List[Dict[str, Any]], answer: Dict[str, Any]) -> Handler:
    """A handler that keeps the params it gets and answers ``answer``."""

    def handler(params: Dict[str, Any]) -> Dict[str, Any]:
        into.append(params)
        return answer

    return handler


def error_code(answer: Answer) -> Optional[str]:
    code: Optional[str] = answer[2]["Response"].get("Error", {}).get("Code")
    return code


# --- answers -------------------------------------------------------------------


def test_registered_handler_answers_with_a_fresh_request_id(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """A handler's dict becomes the Response; every answer gets a new uuid4 RequestId."""
    emu.register("cvm", "DescribeZones", lambda params: {"TotalCount": 1, "Echo": params})
    first = send(pool, emu, "DescribeZones", {"Limit": 3})
    second = send(pool, emu, "DescribeZones", {"Limit": 3})
    status, headers, body = first
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body["Response"]["TotalCount"] == 1
    assert body["Response"]["Echo"] == {"Limit": 3}
    ids = {first[2]["Response"]["RequestId"], second[2]["Response"]["RequestId"]}
    assert len(ids) == 2
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_errors_also_carry_fresh_request_ids(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Error answers are HTTP 200 JSON with Error.Code/Message and their own RequestId."""
    first = send(pool, emu, "Nope")
    second = send(pool, emu, "Nope")
    assert first[0] == 200
    assert error_code(first) == "InvalidAction"
    assert first[2]["Response"]["Error"]["Message"]
    assert first[2]["Response"]["RequestId"] != second[2]["Response"]["RequestId"]


def test_handler_request_id_is_replaced(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A RequestId returned by the handler is overwritten with the emulator's own."""
    emu.register("cvm", "DescribeZones", lambda _p: {"RequestId": "mine"})
    assert send(pool, emu, "DescribeZones")[2]["Response"]["RequestId"] != "mine"


def test_date_header_follows_the_clock() -> None:
    """The Date header is taken from the injected clock, not the wall clock."""
    fixed = 1_700_000_000.0
    with ApiEmulator({SECRET_ID: SECRET_KEY}, clock=lambda: fixed) as emu:
        emu.register("cvm", "DescribeZones", lambda _p: {})
        pool = urllib3.PoolManager(retries=False, timeout=5)
        _status, headers, body = send(pool, emu, "DescribeZones", timestamp=int(fixed))
    assert "Error" not in body["Response"]
    assert parsedate_to_datetime(headers["Date"]).timestamp() == fixed


def test_keep_alive_serves_several_requests_on_one_connection(emu: ApiEmulator) -> None:
    """HTTP/1.1 keep-alive: two requests travel on the same TCP connection."""
    emu.register("cvm", "DescribeZones", lambda _p: {"Ok": True})
    host, port = emu.endpoint.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        for _ in range(2):
            prepared = prepare_request(
                "DescribeZones",
                {},
                service="cvm",
                version="2017-03-12",
                region=None,
                credential=CRED,
                profile=ClientProfile(
                    httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)
                ),
            )
            conn.request("POST", "/", body=prepared.body, headers=dict(prepared.headers))
            resp = conn.getresponse()
            assert json.loads(resp.read())["Response"]["Ok"] is True
            assert resp.getheader("Connection", "keep-alive").lower() != "close"
            sock = conn.sock
        assert conn.sock is sock
    finally:
        conn.close()


def test_handler_api_error_is_answered(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A handler raising TencentCloudSDKException answers that code and message."""

    def handler(_params: Dict[str, Any]) -> Dict[str, Any]:
        raise TencentCloudSDKException("ResourceNotFound.InstanceNotFound", "no such instance")

    emu.register("cvm", "DescribeInstances", handler)
    answer = send(pool, emu, "DescribeInstances")
    assert answer[2]["Response"]["Error"] == {
        "Code": "ResourceNotFound.InstanceNotFound",
        "Message": "no such instance",
    }
    assert emu.requests[-1].error_code == "ResourceNotFound.InstanceNotFound"


def test_handler_crash_answers_internal_error_and_keeps_serving(
    emu: ApiEmulator, pool: urllib3.PoolManager, caplog: pytest.LogCaptureFixture
) -> None:
    """Any other handler exception (or a non-dict result) is InternalError, logged, not fatal."""
    emu.register("cvm", "Boom", lambda _p: 1 / 0)
    emu.register("cvm", "Weird", lambda _p: 42)
    emu.register("cvm", "DescribeZones", lambda _p: {"Ok": True})
    with caplog.at_level("ERROR", logger="tcfunc.testing"):
        assert error_code(send(pool, emu, "Boom")) == "InternalError"
    assert any("ZeroDivisionError" in (r.exc_text or "") for r in caplog.records)
    assert error_code(send(pool, emu, "Weird")) == "InternalError"
    assert send(pool, emu, "DescribeZones")[2]["Response"]["Ok"] is True


def test_handler_gets_a_copy_of_the_params(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A handler mutating its params cannot change what was recorded."""

    def handler(params: Dict[str, Any]) -> Dict[str, Any]:
        params["Injected"] = True
        return {}

    emu.register("cvm", "DescribeZones", handler)
    send(pool, emu, "DescribeZones", {"A": 1})
    assert emu.requests[-1].params == {"A": 1}


# --- routing -------------------------------------------------------------------


def test_version_specific_registration_wins(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A handler registered for a version answers that version; version=None answers the rest."""
    emu.register("cvm", "DescribeZones", lambda _p: {"Which": "any"})
    emu.register("cvm", "DescribeZones", lambda _p: {"Which": "old"}, version="2016-01-01")
    assert send(pool, emu, "DescribeZones")[2]["Response"]["Which"] == "any"
    answer = send(pool, emu, "DescribeZones", version="2016-01-01")
    assert answer[2]["Response"]["Which"] == "old"


def test_service_comes_from_the_tc3_scope(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Two services with the same action are told apart by the TC3 credential scope."""
    emu.register("cvm", "DescribeZones", lambda _p: {"Service": "cvm"})
    emu.register("cbs", "DescribeZones", lambda _p: {"Service": "cbs"})
    assert send(pool, emu, "DescribeZones", service="cbs")[2]["Response"]["Service"] == "cbs"
    assert emu.requests[-1].service == "cbs"


@pytest.mark.parametrize("sign", ["HmacSHA1", "HmacSHA256"])
def test_v1_service_comes_from_the_host(
    emu: ApiEmulator, pool: urllib3.PoolManager, sign: str
) -> None:
    """v1 requests carry no service; the Host <service>.tencentcloudapi.com names it."""
    emu.register("cvm", "DescribeZones", lambda _p: {"Service": "cvm"})
    emu.register("cbs", "DescribeZones", lambda _p: {"Service": "cbs"})
    answer = send(pool, emu, "DescribeZones", sign=sign, host="cbs.tencentcloudapi.com")
    assert answer[2]["Response"]["Service"] == "cbs"


def test_v1_without_host_uses_the_only_registered_service(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """With a loopback Host the only service that registered the action answers."""
    emu.register("cbs", "DescribeDisks", lambda _p: {"Service": "cbs"})
    assert send(pool, emu, "DescribeDisks", sign="HmacSHA256")[2]["Response"]["Service"] == "cbs"
    assert emu.requests[-1].service == "cbs"


def test_v1_ambiguous_action_is_an_error(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Two registered services with the action and no way to choose: InvalidAction naming both."""
    emu.register("cvm", "DescribeZones", lambda _p: {})
    emu.register("cbs", "DescribeZones", lambda _p: {})
    answer = send(pool, emu, "DescribeZones", sign="HmacSHA1")
    assert error_code(answer) == "InvalidAction"
    assert "cbs, cvm" in answer[2]["Response"]["Error"]["Message"]


def test_unknown_action_and_service(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """An action nobody registered answers InvalidAction, for TC3 and v1 alike."""
    emu.register("cvm", "DescribeZones", lambda _p: {})
    assert error_code(send(pool, emu, "DescribeZones", service="cbs")) == "InvalidAction"
    assert error_code(send(pool, emu, "Missing", sign="HmacSHA1")) == "InvalidAction"


# --- signatures, tokens, unsigned -------------------------------------------------


@pytest.mark.parametrize(
    ("credential", "code"),
    [
        (Credential(SECRET_ID, "wrong-key"), "AuthFailure.SignatureFailure"),
        (Credential("AKIDunknown", SECRET_KEY), "AuthFailure.SecretIdNotFound"),
    ],
)
@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA1"])
def test_bad_credentials_are_refused(
    emu: ApiEmulator, pool: urllib3.PoolManager, credential: Credential, code: str, sign: str
) -> None:
    """A wrong key or an unknown SecretId answers the real AuthFailure code; nothing runs."""
    called: List[Dict[str, Any]] = []
    emu.register("cvm", "DescribeZones", recording(called, {}))
    assert error_code(send(pool, emu, "DescribeZones", credential=credential, sign=sign)) == code
    assert called == []
    assert emu.requests[-1].secret_id is None
    assert emu.requests[-1].error_code == code


def test_stale_timestamp_is_refused(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A timestamp more than max_skew away answers AuthFailure.SignatureExpire."""
    emu.register("cvm", "DescribeZones", lambda _p: {})
    stale = int(time.time()) - 301
    answer = send(pool, emu, "DescribeZones", timestamp=stale)
    assert error_code(answer) == "AuthFailure.SignatureExpire"


def test_credentials_can_be_added_while_running(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """add_credential takes effect for the next request."""
    emu.register("cvm", "DescribeZones", lambda _p: {})
    late = Credential("AKIDlate", "late-key")
    assert error_code(send(pool, emu, "DescribeZones", credential=late)) == (
        "AuthFailure.SecretIdNotFound"
    )
    emu.add_credential("AKIDlate", "late-key")
    assert error_code(send(pool, emu, "DescribeZones", credential=late)) is None


def test_token_credential_needs_its_token(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A credential added with a token accepts only requests carrying that X-TC-Token."""
    emu.register("cvm", "DescribeZones", lambda _p: {})
    emu.add_credential("AKIDtmp", "tmp-key", "the-token")
    good = Credential("AKIDtmp", "tmp-key", "the-token")
    wrong = Credential("AKIDtmp", "tmp-key", "other-token")
    missing = Credential("AKIDtmp", "tmp-key")
    assert error_code(send(pool, emu, "DescribeZones", credential=good)) is None
    assert error_code(send(pool, emu, "DescribeZones", credential=wrong)) == (
        "AuthFailure.TokenFailure"
    )
    assert error_code(send(pool, emu, "DescribeZones", credential=missing)) == (
        "AuthFailure.TokenFailure"
    )


def test_unsigned_requests_need_allow_unsigned(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Authorization: SKIP is accepted only for actions registered with allow_unsigned=True."""
    emu.register("sts", "Open", lambda _p: {"Open": True}, allow_unsigned=True)
    emu.register("sts", "Closed", lambda _p: {"Open": False})
    skip = {"SkipSign": True}
    answer = send(pool, emu, "Open", service="sts", options=skip, host="sts.tencentcloudapi.com")
    assert answer[2]["Response"]["Open"] is True
    assert emu.requests[-1].secret_id is None
    # Without a service in the Host, the only registered service with the action is used.
    assert send(pool, emu, "Open", service="sts", options=skip)[2]["Response"]["Open"] is True
    refused = send(pool, emu, "Closed", service="sts", options=skip)
    assert error_code(refused) == "AuthFailure.InvalidAuthorization"
    # A signed request to an allow_unsigned action is still verified.
    bad = Credential(SECRET_ID, "wrong-key")
    assert error_code(send(pool, emu, "Open", service="sts", credential=bad)) == (
        "AuthFailure.SignatureFailure"
    )


# --- bodies ----------------------------------------------------------------------------


def test_form_multipart_and_octet_stream_bodies_are_verified(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """GET query, v1 form, multipart and octet-stream requests all verify and reach the handler."""
    seen: List[Dict[str, Any]] = []
    emu.register("cvm", "Upload", recording(seen, {}))
    send(pool, emu, "Upload", {"Name": "x", "Ids": ["a", "b"]}, method="GET")
    send(pool, emu, "Upload", {"Name": "x"}, sign="HmacSHA256")
    send(
        pool,
        emu,
        "Upload",
        {"Name": "x", "File": b"\x00\x01"},
        options={"IsMultipart": True, "BinaryParams": ["File"]},
    )
    send(pool, emu, "Upload", options=RequestOptions(octet_stream=True, body=b"raw bytes"))
    assert [r.error_code for r in emu.requests] == [None, None, None, None]
    assert seen[0] == {"Name": "x", "Ids": ["a", "b"]}
    assert seen[1] == {"Name": "x"}
    assert seen[2] == {"Name": "x", "File": b"\x00\x01"}
    assert emu.requests[3].body == b"raw bytes"
    assert emu.requests[3].headers["Content-Type"] == "application/octet-stream"


def test_unsigned_v1_form_request(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A v1 form request without Signature is unsigned: allowed only where registered so."""
    emu.register("sts", "Open", lambda _p: {"Open": True}, allow_unsigned=True)
    emu.register("cvm", "Closed", lambda _p: {})
    url = f"http://{emu.endpoint}/"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for action, expected in (("Open", None), ("Closed", "AuthFailure.InvalidAuthorization")):
        resp = pool.request(
            "POST", url, body=f"Action={action}&Version=2018-08-13&X=1", headers=form
        )
        assert json.loads(resp.data)["Response"].get("Error", {}).get("Code") == expected
    assert emu.requests[0].params == {"X": "1"}


def test_request_size_limits(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """v1 bodies over 1 MB and GET queries over 32 KB answer RequestSizeLimitExceeded."""
    emu.register("cvm", "DescribeZones", lambda _p: {})
    url = f"http://{emu.endpoint}/"
    big_form = pool.request(
        "POST", url, body=b"Action=A&Pad=" + b"x" * (1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    big_query = pool.request("GET", url + "?Action=A&Pad=" + "x" * (33 * 1024))
    for resp in (big_form, big_query):
        assert json.loads(resp.data)["Response"]["Error"]["Code"] == "RequestSizeLimitExceeded"
    # A TC3 body may be up to 10 MB.
    answer = send(pool, emu, "DescribeZones", {"Pad": "x" * (2 * 1024 * 1024)})
    assert error_code(answer) is None


def test_rejected_v1_requests_are_recorded_with_their_service(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """Even a refused request is recorded, with the service it was meant for and its error."""
    emu.register("cbs", "DescribeDisks", lambda _p: {})
    send(pool, emu, "DescribeDisks", sign="HmacSHA1", credential=Credential(SECRET_ID, "bad"))
    recorded = emu.requests[-1]
    assert (recorded.service, recorded.secret_id, recorded.error_code) == (
        "cbs",
        None,
        "AuthFailure.SignatureFailure",
    )


# --- the record ----------------------------------------------------------------------------


def test_requests_are_recorded(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """requests lists what arrived, and is a snapshot the caller may keep."""
    emu.register("cvm", "DescribeZones", lambda _p: {})
    send(pool, emu, "DescribeZones", {"Limit": 1})
    snapshot = emu.requests
    send(pool, emu, "DescribeZones")
    assert len(snapshot) == 1
    first = snapshot[0]
    assert isinstance(first, RecordedRequest)
    assert (first.service, first.action, first.version, first.region, first.secret_id) == (
        "cvm",
        "DescribeZones",
        "2017-03-12",
        "ap-guangzhou",
        SECRET_ID,
    )
    assert first.params == {"Limit": 1}
    assert first.headers["X-TC-Action"] == "DescribeZones"
    assert json.loads(first.body) == {"Limit": 1}
    assert "emulator-test-key" not in repr(first)
    emu.clear_requests()
    assert emu.requests == []


def test_the_record_keeps_only_the_latest_max_recorded(
    pool: urllib3.PoolManager,
) -> None:
    """With max_recorded=3, requests holds the 3 newest calls only; None keeps all."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}, max_recorded=3) as emu:
        emu.register("cvm", "DescribeZones", lambda _p: {})
        for n in range(5):
            send(pool, emu, "DescribeZones", {"N": n})
        assert [r.params["N"] for r in emu.requests] == [2, 3, 4]
        assert emu.max_recorded == 3
        emu.clear_requests()
        assert emu.requests == []
    with ApiEmulator({SECRET_ID: SECRET_KEY}, max_recorded=None) as emu:
        emu.register("cvm", "DescribeZones", lambda _p: {})
        for n in range(5):
            send(pool, emu, "DescribeZones", {"N": n})
        assert len(emu.requests) == 5


def test_the_record_is_bounded_by_default() -> None:
    """The library keeps at most 10 000 requests by default, and the standalone runner as many."""
    assert ApiEmulator().max_recorded == 10_000
    args = build_parser().parse_args([])
    assert _make_emulator(args, {}, None).max_recorded == 10_000
    args = build_parser().parse_args(["--max-recorded", "5"])
    assert _make_emulator(args, {}, None).max_recorded == 5


# --- handlers that see the raw request ---------------------------------------------------------


def test_two_parameter_handler_sees_the_octet_stream_body(emu: ApiEmulator) -> None:
    """A handler taking (params, request) gets the uploaded bytes of an octet-stream call
    (CommonClient.call_octet_stream) as request.body, with service, action and secret_id."""
    seen: List[RecordedRequest] = []

    def upload(params: Dict[str, Any], request: RecordedRequest) -> Dict[str, Any]:
        seen.append(request)
        return {
            "Length": len(request.body),
            "Sha256": hashlib.sha256(request.body).hexdigest(),
            "Params": params,
        }

    emu.register("cvm", "UploadBlob", upload)
    payload = bytes(range(256)) * 1000
    client = CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou",
        ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)),
    )  # fmt: skip
    doc = client.call_octet_stream("UploadBlob", {"X-TC-Custom": "1"}, payload)
    assert doc["Response"]["Length"] == len(payload)
    assert doc["Response"]["Sha256"] == hashlib.sha256(payload).hexdigest()
    assert doc["Response"]["Params"] == {}
    request = seen[0]
    assert (request.service, request.action, request.version, request.region) == (
        "cvm", "UploadBlob", "2017-03-12", "ap-guangzhou",
    )  # fmt: skip
    assert request.secret_id == SECRET_ID
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.error_code is None
    assert request.fault is None


def test_two_parameter_handler_sees_the_multipart_body(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """A multipart upload gives a (params, request) handler its file in params and the raw
    multipart bytes in request.body; one-parameter handlers still get params alone."""
    seen: List[Tuple[Dict[str, Any], bytes]] = []
    emu.register("cvm", "Upload", lambda params, request: seen.append((params, request.body)))
    emu.register("cvm", "Plain", lambda params: {"Got": sorted(params)})
    options = {"IsMultipart": True, "BinaryParams": ["File"]}
    send(pool, emu, "Upload", {"Name": "x", "File": b"\x00\xffdata"}, options=options)
    params, body = seen[0]
    assert params == {"Name": "x", "File": b"\x00\xffdata"}
    assert b"\x00\xffdata" in body
    assert body == emu.requests[-1].body
    answer = send(pool, emu, "Plain", {"Name": "x", "File": b"1"}, options=options)
    assert answer[2]["Response"]["Got"] == ["File", "Name"]


# --- event streams ----------------------------------------------------------------------------


def test_event_stream_is_sent_as_the_handler_yields(emu: ApiEmulator) -> None:
    """An iterator answers text/event-stream; the first event arrives before the handler ends."""
    release = threading.Event()
    released_in_time = []

    def handler(_params: Dict[str, Any]) -> Iterator[Any]:
        yield {"data": {"Choices": [{"Delta": "hel"}]}, "id": "1"}
        # Only a client that saw the first event can release us before the timeout.
        released_in_time.append(release.wait(3))
        yield {"data": "lo\nworld", "event": "done", "retry": 10}
        yield "plain"

    emu.register("hunyuan", "ChatCompletions", handler)
    prepared = prepare_request(
        "ChatCompletions",
        {"Stream": True},
        service="hunyuan",
        version="2023-09-01",
        region=None,
        credential=CRED,
        profile=ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)),
    )
    pool = urllib3.PoolManager(retries=False, timeout=5)
    resp = pool.request(
        "POST", prepared.url, headers=dict(prepared.headers), body=prepared.body,
        preload_content=False,
    )  # fmt: skip
    assert resp.headers["Content-Type"] == "text/event-stream"
    first = b""
    while not first.endswith(b"\n\n"):
        first += resp.read1(1) if hasattr(resp, "read1") else resp.read(1)
    assert first == b'id: 1\ndata: {"Choices": [{"Delta": "hel"}]}\n\n'
    release.set()
    rest = resp.read()
    assert rest == b"event: done\nretry: 10\ndata: lo\ndata: world\n\ndata: plain\n\n"
    assert released_in_time == [True]
    resp.release_conn()


def test_event_stream_failing_at_once_answers_json(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """A stream whose first step raises an API error answers a normal JSON error."""

    def handler(_params: Dict[str, Any]) -> Iterator[Any]:
        yield from ()
        raise TencentCloudSDKException("FailedOperation", "no stream today")

    emu.register("cvm", "Stream", handler)
    assert error_code(send(pool, emu, "Stream")) == "FailedOperation"


def test_event_stream_errors_after_the_first_event(emu: ApiEmulator) -> None:
    """Mid-stream: an API error becomes a last event; a crash breaks the stream off."""

    def api_error(_params: Dict[str, Any]) -> Iterator[Any]:
        yield "one"
        raise TencentCloudSDKException("FailedOperation", "stopped")

    def crash(_params: Dict[str, Any]) -> Iterator[Any]:
        yield "one"
        raise RuntimeError("bug")

    emu.register("cvm", "ApiError", api_error)
    emu.register("cvm", "Crash", crash)
    pool = urllib3.PoolManager(retries=False, timeout=5)
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))

    def stream(action: str) -> urllib3.BaseHTTPResponse:
        prepared = prepare_request(
            action, {}, service="cvm", version="2017-03-12", region=None, credential=CRED,
            profile=profile,
        )  # fmt: skip
        return pool.request(
            "POST", prepared.url, headers=dict(prepared.headers), body=prepared.body,
            preload_content=False,
        )  # fmt: skip

    events = stream("ApiError").read().split(b"\n\n")
    assert events[0] == b"data: one"
    last = json.loads(events[1].removeprefix(b"data: "))
    assert last["Response"]["Error"] == {"Code": "FailedOperation", "Message": "stopped"}
    broken = stream("Crash")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        broken.read()


# --- STS ----------------------------------------------------------------------------------------


def test_sts_mints_working_temporary_credentials(
    emu: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """AssumeRole answers like STS, and the minted credential signs requests with its token."""
    emu.enable_sts()
    emu.register("cvm", "DescribeZones", lambda _p: {"Ok": True})
    params = {"RoleArn": "qcs::cam::uin/1:roleName/r", "RoleSessionName": "s1"}
    before = int(time.time())
    answer = send(pool, emu, "AssumeRole", params, service="sts", version="2018-08-13")
    response = answer[2]["Response"]
    creds = response["Credentials"]
    assert set(creds) == {"Token", "TmpSecretId", "TmpSecretKey"}
    assert before + 7200 <= response["ExpiredTime"] <= int(time.time()) + 7200
    assert response["Expiration"].endswith("Z")
    temp = Credential(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"])
    assert send(pool, emu, "DescribeZones", credential=temp)[2]["Response"]["Ok"] is True
    no_token = Credential(creds["TmpSecretId"], creds["TmpSecretKey"])
    assert error_code(send(pool, emu, "DescribeZones", credential=no_token)) == (
        "AuthFailure.TokenFailure"
    )


def test_sts_web_identity_is_unsigned(emu: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """AssumeRoleWithWebIdentity needs no signature; DurationSeconds is honoured."""
    emu.enable_sts(duration_limit=3600)
    params = {
        "ProviderId": "OIDC",
        "WebIdentityToken": "eyJ.token",
        "RoleArn": "qcs::cam::uin/1:roleName/r",
        "RoleSessionName": "oidc",
        "DurationSeconds": 1800,
    }
    answer = send(
        pool, emu, "AssumeRoleWithWebIdentity", params, service="sts", version="2018-08-13",
        options={"SkipSign": True},
    )  # fmt: skip
    response = answer[2]["Response"]
    assert response["ExpiredTime"] - time.time() == pytest.approx(1800, abs=5)
    too_long = dict(params, DurationSeconds=7200)
    refused = send(
        pool, emu, "AssumeRoleWithWebIdentity", too_long, service="sts", version="2018-08-13",
        options={"SkipSign": True},
    )  # fmt: skip
    assert error_code(refused) == "InvalidParameter.OverTimeError"
    missing = {k: v for k, v in params.items() if k != "WebIdentityToken"}
    refused = send(
        pool, emu, "AssumeRoleWithWebIdentity", missing, service="sts", version="2018-08-13",
        options={"SkipSign": True},
    )  # fmt: skip
    assert error_code(refused) == "MissingParameter"


def test_sts_credentials_expire_by_the_clock(pool: urllib3.PoolManager) -> None:
    """A minted credential is refused with AuthFailure.TokenFailure once its ExpiredTime passed."""
    now = [time.time()]
    with ApiEmulator({SECRET_ID: SECRET_KEY}, clock=lambda: now[0], max_skew=10**9) as emu:
        emu.enable_sts()
        emu.register("cvm", "DescribeZones", lambda _p: {})
        params = {"RoleArn": "qcs::cam::uin/1:roleName/r", "RoleSessionName": "s1",
                  "DurationSeconds": "900"}  # fmt: skip
        creds = send(pool, emu, "AssumeRole", params, service="sts", version="2018-08-13")[2][
            "Response"
        ]["Credentials"]
        temp = Credential(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"])
        assert error_code(send(pool, emu, "DescribeZones", credential=temp)) is None
        now[0] += 901
        assert error_code(send(pool, emu, "DescribeZones", credential=temp)) == (
            "AuthFailure.TokenFailure"
        )


# --- configuration errors and lifecycle ----------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"port": -1},
        {"port": 70000},
        {"max_skew": -1},
        {"host": ""},
        {"clock": 5},
        {"credentials": [("AKID", "key")]},
        {"spec_dir": "/nonexistent/specs"},
        {"max_recorded": -1},
        {"max_recorded": True},
        {"max_recorded": 2.5},
    ],
)
def test_bad_constructor_arguments_are_refused(kwargs: Dict[str, Any]) -> None:
    """Bad configuration fails at construction with ClientError."""
    with pytest.raises(TencentCloudSDKException) as info:
        ApiEmulator(**kwargs)
    assert info.value.code == "ClientError"


def test_bad_registrations_are_refused() -> None:
    """register and add_credential validate their input."""
    emu = ApiEmulator()
    cases: List[Tuple[Tuple[Any, ...], Dict[str, Any]]] = [
        (("CVM", "DescribeZones", dict), {}),
        (("cvm", "", dict), {}),
        (("cvm", "DescribeZones", "not callable"), {}),
        (("cvm", "DescribeZones", dict), {"version": "v3"}),
    ]
    for args, kwargs in cases:
        with pytest.raises(TencentCloudSDKException) as info:
            emu.register(*args, **kwargs)
        assert info.value.code == "ClientError"
    with pytest.raises(TencentCloudSDKException) as info:
        emu.add_credential("AKID", " spaced ")
    assert info.value.code == "InvalidCredential"
    with pytest.raises(TencentCloudSDKException):
        emu.enable_sts(duration_limit=0)


def test_lifecycle() -> None:
    """endpoint needs a running server; start is idempotent; stop twice is harmless; restart."""
    emu = ApiEmulator({SECRET_ID: SECRET_KEY})
    with pytest.raises(TencentCloudSDKException):
        _ = emu.endpoint
    assert emu.start() is emu
    endpoint = emu.endpoint
    assert emu.start().endpoint == endpoint
    assert endpoint.startswith("127.0.0.1:")
    emu.stop()
    emu.stop()
    with emu:
        emu.register("cvm", "DescribeZones", lambda _p: {"Ok": True})
        pool = urllib3.PoolManager(retries=False, timeout=5)
        assert send(pool, emu, "DescribeZones")[2]["Response"]["Ok"] is True


def assert_closed_soon(sock: socket.socket, within: float = 2.0) -> None:
    """The peer closes ``sock`` within ``within`` seconds: recv sees EOF or a reset."""
    sock.settimeout(within)
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return
    except socket.timeout:
        pytest.fail(f"the connection was still open {within} s after stop()")
    assert data == b""


def test_stop_closes_idle_keep_alive_connections() -> None:
    """stop() promptly closes an idle keep-alive connection: the client reads EOF, not silence."""
    emu = ApiEmulator({SECRET_ID: SECRET_KEY}).start()
    emu.register("cvm", "DescribeZones", lambda _p: {})
    host, port = emu.endpoint.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("POST", "/", body=b"{}", headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        assert answer.getheader("Connection") != "close"
        answer.read()
        assert conn.sock is not None  # kept alive, idle
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 2
        assert_closed_soon(conn.sock)
    finally:
        conn.close()


def test_stop_closes_a_connection_accepted_while_stopping(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection accepted but not yet set up by its handler thread when stop() runs is
    closed too, instead of waiting out the 60 s idle timeout (the thread's start is delayed)."""
    entered, release = threading.Event(), threading.Event()
    original = _RequestHandler.setup

    def late_setup(self: _RequestHandler) -> None:
        entered.set()
        release.wait(5)
        original(self)

    monkeypatch.setattr(_RequestHandler, "setup", late_setup)
    emu = ApiEmulator().start()
    host, port = emu.endpoint.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            assert entered.wait(5)
            emu.stop()
            release.set()
            assert_closed_soon(sock)
    finally:
        release.set()
        emu.stop()


# --- the standalone runner ------------------------------------------------------------------------


def test_standalone_runner_prints_endpoint_and_stops_on_ctrl_c(pool: urllib3.PoolManager) -> None:
    """python -m tcfunc.testing serves with --credential and exits 0 on SIGINT."""
    env = dict(os.environ, TENCENTCLOUD_SECRET_ID="", TENCENTCLOUD_SECRET_KEY="")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tcfunc.testing", "--credential", f"{SECRET_ID}:{SECRET_KEY}",
         "--sts"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("tcfunc emulator listening on 127.0.0.1:")
        endpoint = line.rsplit(" ", 1)[1].strip()

        class Remote:
            pass

        remote: Any = Remote()
        remote.endpoint = endpoint
        answer = send(
            pool, remote, "AssumeRole",
            {"RoleArn": "qcs::cam::uin/1:roleName/r", "RoleSessionName": "s1"},
            service="sts", version="2018-08-13",
        )  # fmt: skip
        assert "TmpSecretId" in answer[2]["Response"]["Credentials"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_quickstart_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/emulator_quickstart.py runs to completion and shows each step."""
    path = Path(__file__).resolve().parent.parent / "examples" / "emulator_quickstart.py"
    namespace = runpy.run_path(str(path), run_name="quickstart")
    assert namespace["main"]() == 0
    out = capsys.readouterr().out
    assert "AuthFailure.SignatureFailure" in out
    assert "RequestLimitExceeded" in out
    assert "5. recorded requests" in out


def test_access_log_hides_query_strings(caplog: pytest.LogCaptureFixture) -> None:
    """The debug access log never shows a v1 GET query (SecretId, Token)."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emu, caplog.at_level("DEBUG", "tcfunc.testing"):
        emu.register("cvm", "DescribeZones", lambda _p: {})
        emu.add_credential("AKIDtok", "tok-key", "secret-session-token")
        pool = urllib3.PoolManager(retries=False, timeout=5)
        cred = Credential("AKIDtok", "tok-key", "secret-session-token")
        send(pool, emu, "DescribeZones", sign="HmacSHA256", method="GET", credential=cred)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /?<query>" in text
    assert "secret-session-token" not in text


def test_runner_rejects_malformed_credential_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """--credential without a colon is a usage error (exit status 2)."""
    with pytest.raises(SystemExit) as info:
        main(["--credential", "no-colon"])
    assert info.value.code == 2
    assert "ID:KEY" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_runner_rejects_a_bad_port_with_usage(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--port outside 0..65535 is a usage error (exit 2), not a traceback or exit 1."""
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(["--port", port])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage:")
    assert "--port" in err


# --- the command's one-line errors (issue 13, item 7) --------------------------------------


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_runner_refuses_a_missing_spec_dir_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--spec-dir naming no directory: exit 2 and one line naming it (no exception repr)."""
    missing = tmp_path / "nope"
    assert main(["--spec-dir", str(missing), "--credential", "A:B"]) == 2
    line = _one_error_line(capsys)
    assert line == f"error: --spec-dir {missing}: not a directory"


def test_runner_refuses_a_directory_that_is_not_a_spec_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--spec-dir naming a directory without <service>/v<date>/api.json: exit 2, one line."""
    (tmp_path / "cvm").mkdir()
    assert main(["--spec-dir", str(tmp_path), "--credential", "A:B"]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"error: --spec-dir {tmp_path}: no <service>/v<yyyymmdd>/api.json")


def test_runner_names_a_port_in_use_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A port another socket holds: exit 2 and one line saying which and why."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--credential", "A:B"]) == 2
    line = _one_error_line(capsys)
    assert line == f"error: cannot listen on 127.0.0.1:{port}: the port is already in use"


def test_runner_strict_signing_flag_makes_a_strict_emulator() -> None:
    """--strict-signing builds an emulator that refuses TC3 requests leaving x-tc-action
    unsigned and serves those that sign it."""
    emu = _make_emulator(
        build_parser().parse_args(["--strict-signing"]), {SECRET_ID: SECRET_KEY}, None
    )
    emu.register("cvm", "DescribeZones", lambda _p: {})

    def code_for(sign_action: bool) -> Optional[str]:
        prepared = prepare_request(
            "DescribeZones",
            {},
            service="cvm",
            version="2017-03-12",
            region="ap-guangzhou",
            credential=CRED,
            profile=ClientProfile(sign_action=sign_action),
        )
        answer = json.loads(emu.transport().send(prepared, 5).read())
        code: Optional[str] = answer["Response"].get("Error", {}).get("Code")
        return code

    assert code_for(False) == "AuthFailure.InvalidAuthorization"
    assert code_for(True) is None
