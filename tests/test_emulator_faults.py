"""Injected faults as a plain urllib3 client sees them, and robustness against bad input."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException, prepare_request
from tcfunc.testing.emulator import ApiEmulator

SECRET_ID = "AKIDfaulttest"
SECRET_KEY = "fault-test-key"


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emulator:
        emulator.register("cvm", "DescribeZones", lambda _p: {"Ok": True})
        emulator.register("cvm", "DescribeRegions", lambda _p: {"Regions": True})
        yield emulator


def http_pool(read: float = 2.0) -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1, read=read))


def post(
    pool: urllib3.PoolManager, emu: ApiEmulator, action: str = "DescribeZones", **kw: Any
) -> urllib3.BaseHTTPResponse:
    prepared = prepare_request(
        action,
        {},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=Credential(SECRET_ID, SECRET_KEY),
        profile=ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)),
    )
    return pool.request(
        prepared.method, prepared.url, headers=dict(prepared.headers), body=prepared.body, **kw
    )


def api_answer(resp: urllib3.BaseHTTPResponse) -> Dict[str, Any]:
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    answer: Dict[str, Any] = json.loads(resp.data)["Response"]
    return answer


def emu_address(emu: ApiEmulator) -> Tuple[str, int]:
    host, port = emu.endpoint.rsplit(":", 1)
    return host, int(port)


def raw_request(emu: ApiEmulator, action: str = "DescribeZones") -> bytes:
    """A signed keep-alive TC3 POST as raw HTTP/1.1 bytes."""
    prepared = prepare_request(
        action,
        {},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=Credential(SECRET_ID, SECRET_KEY),
        profile=ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)),
    )
    head = "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items())
    body = prepared.body
    return f"POST / HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def assert_closed_soon(sock: socket.socket, within: float = 2.0) -> None:
    """The peer closes ``sock`` within ``within`` seconds: recv sees EOF or a reset."""
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"the connection was still open {within} s later")
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return
        except ConnectionResetError:
            return
        except socket.timeout:
            pytest.fail(f"the connection was still open {within} s later")


# --- each fault kind ----------------------------------------------------------------------


def test_reset_is_a_connection_reset(emu: ApiEmulator) -> None:
    """reset: the client's read fails with ProtocolError wrapping ConnectionResetError."""
    emu.inject_fault("reset")
    with pytest.raises(ProtocolError) as info:
        post(http_pool(), emu)
    assert isinstance(info.value.args[1], ConnectionResetError)
    assert emu.requests[-1].fault == "reset"
    assert api_answer(post(http_pool(), emu))["Ok"] is True


def test_stall_outlasts_the_read_timeout(emu: ApiEmulator) -> None:
    """stall: a urllib3 client with a short read timeout gets ReadTimeoutError."""
    emu.inject_fault("stall", delay=30)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        post(http_pool(read=0.3), emu)
    assert time.monotonic() - started < 5


def test_stop_ends_a_stall_by_closing_the_connection(emu: ApiEmulator) -> None:
    """stop() during a 30 s stall closes the stalled connection: the client reads EOF or a reset."""
    emu.inject_fault("stall", delay=30)
    with socket.create_connection(emu_address(emu), timeout=5) as sock:
        sock.sendall(raw_request(emu))
        sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            sock.recv(1)  # stalled: no answer yet
        emu.stop()
        assert_closed_soon(sock)


def test_stall_ends_with_a_closed_connection() -> None:
    """A short stall closes the connection without an answer."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emu:
        emu.inject_fault("stall", delay=0.2)
        with pytest.raises(ProtocolError):
            post(http_pool(read=3), emu)


def test_http_error_is_an_html_page(emu: ApiEmulator) -> None:
    """http_error: the given status with a text/html body, like a gateway error page."""
    emu.inject_fault("http_error", status=503)
    resp = post(http_pool(), emu)
    assert resp.status == 503
    assert resp.headers["Content-Type"].startswith("text/html")
    assert b"<html>" in resp.data
    assert b"503 Service Unavailable" in resp.data


def read_byte_by_byte(resp: urllib3.BaseHTTPResponse, into: bytearray) -> None:
    while True:
        chunk = resp.read(1)
        if not chunk:
            return
        into += chunk


def test_truncated_json_breaks_off_mid_body(emu: ApiEmulator) -> None:
    """truncated_json: 200 application/json, but the body stops short of Content-Length."""
    emu.inject_fault("truncated_json")
    with pytest.raises(ProtocolError) as info:
        post(http_pool(), emu)
    assert "IncompleteRead" in repr(info.value)
    emu.inject_fault("truncated_json")
    resp = post(http_pool(), emu, preload_content=False)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    partial = bytearray()
    with pytest.raises(ProtocolError):
        read_byte_by_byte(resp, partial)
    assert partial.startswith(b'{"Response":')
    assert 0 < len(partial) < int(resp.headers["Content-Length"])


def test_malformed_json_is_a_complete_non_json_body(emu: ApiEmulator) -> None:
    """malformed_json: a whole 200 application/json answer that does not parse."""
    emu.inject_fault("malformed_json")
    resp = post(http_pool(), emu)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert len(resp.data) == int(resp.headers["Content-Length"])
    with pytest.raises(ValueError):
        json.loads(resp.data)


def test_rate_limit_is_request_limit_exceeded(emu: ApiEmulator) -> None:
    """rate_limit: the API error RequestLimitExceeded, HTTP 200."""
    emu.inject_fault("rate_limit")
    answer = api_answer(post(http_pool(), emu))
    assert answer["Error"]["Code"] == "RequestLimitExceeded"
    assert answer["RequestId"]


def test_api_error_uses_code_and_message(emu: ApiEmulator) -> None:
    """api_error: any code and message; InternalError by default."""
    emu.inject_fault("api_error", code="ResourceInsufficient", message="sold out")
    emu.inject_fault("api_error")
    first = api_answer(post(http_pool(), emu))["Error"]
    second = api_answer(post(http_pool(), emu))["Error"]
    assert first == {"Code": "ResourceInsufficient", "Message": "sold out"}
    assert second["Code"] == "InternalError"


# --- fault scheduling -------------------------------------------------------------------------


def test_faults_count_down_and_then_stop(emu: ApiEmulator) -> None:
    """times=N fails exactly the next N requests; the one after is answered normally."""
    emu.inject_fault("rate_limit", times=2)
    codes = [api_answer(post(http_pool(), emu)).get("Error", {}).get("Code") for _ in range(3)]
    assert codes == ["RequestLimitExceeded", "RequestLimitExceeded", None]
    assert [r.fault for r in emu.requests] == ["rate_limit", "rate_limit", None]


def test_action_faults_only_hit_that_action_in_order(emu: ApiEmulator) -> None:
    """An action filter spares other actions; matching faults are used first-in, first-out."""
    emu.inject_fault("api_error", action="DescribeRegions", code="First")
    emu.inject_fault("api_error", code="Second")
    assert api_answer(post(http_pool(), emu, "DescribeZones"))["Error"]["Code"] == "Second"
    assert api_answer(post(http_pool(), emu, "DescribeRegions"))["Error"]["Code"] == "First"
    assert api_answer(post(http_pool(), emu, "DescribeRegions"))["Regions"] is True


def test_forever_faults_last_until_cleared(emu: ApiEmulator) -> None:
    """times=-1 keeps failing until clear_faults()."""
    emu.inject_fault("rate_limit", times=-1)
    for _ in range(3):
        assert api_answer(post(http_pool(), emu))["Error"]["Code"] == "RequestLimitExceeded"
    emu.clear_faults()
    assert api_answer(post(http_pool(), emu))["Ok"] is True


def test_latency_delays_every_answer(emu: ApiEmulator) -> None:
    """set_latency adds the delay before answering; 0 turns it off."""
    emu.set_latency(0.3)
    started = time.monotonic()
    assert api_answer(post(http_pool(), emu))["Ok"] is True
    assert time.monotonic() - started >= 0.3
    emu.set_latency(0)
    started = time.monotonic()
    post(http_pool(), emu)
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("explode", {}),
        ("reset", {"times": 0}),
        ("reset", {"times": -2}),
        ("http_error", {"status": 99}),
        ("stall", {"delay": -1}),
        ("api_error", {"code": ""}),
        ("reset", {"action": ""}),
    ],
)
def test_bad_fault_arguments_are_refused(
    emu: ApiEmulator, kind: str, kwargs: Dict[str, Any]
) -> None:
    """inject_fault validates its arguments (ClientError) and queues nothing on failure."""
    with pytest.raises(TencentCloudSDKException) as info:
        emu.inject_fault(kind, **kwargs)
    assert info.value.code == "ClientError"
    assert api_answer(post(http_pool(), emu))["Ok"] is True


def test_set_latency_refuses_negative(emu: ApiEmulator) -> None:
    """Latency is a non-negative number of seconds."""
    with pytest.raises(TencentCloudSDKException):
        emu.set_latency(-1)


# --- bad input ------------------------------------------------------------------------------


def raw_exchange(emu: ApiEmulator, payload: bytes, *, shutdown: bool = False) -> bytes:
    """Send raw bytes, read until the server closes (or 5 s pass)."""
    host, port = emu.endpoint.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(payload)
        if shutdown:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        return data


def status_of(reply: bytes) -> Optional[int]:
    line = reply.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[1].isdigit() else None


def assert_still_serving(emu: ApiEmulator) -> None:
    assert api_answer(post(http_pool(), emu))["Ok"] is True


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505),
        (b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"POST / HTTP/1.1\r\n" + b"X-H: v\r\n" * 150 + b"\r\n", 431),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"DELETE / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 501),
    ],
    ids=[
        "tls-hello",
        "garbage",
        "bad-version",
        "huge-header",
        "many-headers",
        "huge-url",
        "delete",
    ],
)
def test_malformed_http_is_answered_and_the_server_keeps_serving(
    emu: ApiEmulator, payload: bytes, status: int
) -> None:
    """Garbage request lines and absurd headers get an HTTP error; later requests still work."""
    assert status_of(raw_exchange(emu, payload)) == status
    assert_still_serving(emu)


def test_oversized_body_is_refused_without_reading_it(emu: ApiEmulator) -> None:
    """A Content-Length over 10 MB answers RequestSizeLimitExceeded before the body arrives."""
    head = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 50000000000\r\n\r\n{"
    )
    reply = raw_exchange(emu, head)
    assert status_of(reply) == 200
    assert b"Connection: close" in reply
    body = json.loads(reply.split(b"\r\n\r\n", 1)[1])
    assert body["Response"]["Error"]["Code"] == "RequestSizeLimitExceeded"
    assert_still_serving(emu)


def test_oversized_body_sent_by_a_client_gets_the_error(emu: ApiEmulator) -> None:
    """A client actually sending 11 MB reads the JSON error instead of a reset."""
    resp = http_pool(read=10).request(
        "POST",
        f"http://{emu.endpoint}/",
        body=b"x" * (11 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert api_answer(resp)["Error"]["Code"] == "RequestSizeLimitExceeded"
    assert_still_serving(emu)


@pytest.mark.parametrize(
    "payload",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["negative-length", "float-length", "unknown-coding", "bad-chunk"],
)
def test_bad_framing_is_refused(emu: ApiEmulator, payload: bytes) -> None:
    """Bad body framing answers an HTTP 4xx/5xx JSON error and closes that connection only."""
    reply = raw_exchange(emu, payload)
    status = status_of(reply)
    assert status is not None
    assert status >= 400
    assert b'"Code":"InvalidParameter"' in reply
    assert_still_serving(emu)


def chunked_head(emu: ApiEmulator) -> bytes:
    """Headers of a signed chunked POST whose body is ``{}`` (unsigned payload would differ)."""
    prepared = prepare_request(
        "DescribeZones",
        {},
        service="cvm",
        version="2017-03-12",
        region=None,
        credential=Credential(SECRET_ID, SECRET_KEY),
        profile=ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)),
    )
    head = "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items())
    return f"POST / HTTP/1.1\r\n{head}Transfer-Encoding: chunked\r\n\r\n".encode()


def reply_within(emu: ApiEmulator, payload: bytes, within: float = 3.0) -> bytes:
    """Send ``payload`` on a connection left open; what arrives before close or ``within`` s."""
    with socket.create_connection(emu_address(emu), timeout=within) as sock:
        sock.sendall(payload)
        deadline = time.monotonic() + within
        data = b""
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        return data


@pytest.mark.parametrize(
    "size_line",
    [b"-1", b"-0", b"+2", b"0x2", b"1_0", b"2 2", b"", b"g", b"1" * 17, b"2" + b" " * 1100],
    ids=[
        "negative",
        "minus-zero",
        "plus",
        "0x-prefix",
        "underscore",
        "inner-space",
        "empty",
        "not-hex",
        "17-digits",
        "overlong-line",
    ],
)
def test_malformed_chunk_size_is_a_400(emu: ApiEmulator, size_line: bytes) -> None:
    """A chunk size that is not 1-16 hex digits answers 400 at once, even with the connection
    left open (a negative size used to read until EOF); the server keeps serving."""
    payload = chunked_head(emu) + b"1;ext=1\r\n{\r\n" + size_line + b"\r\n}\r\n0\r\n\r\n"
    reply = reply_within(emu, payload)
    assert status_of(reply) == 400
    assert b'"Code":"InvalidParameter"' in reply
    assert_still_serving(emu)


def test_chunk_without_its_crlf_is_a_400(emu: ApiEmulator) -> None:
    """Chunk data longer than its declared size (no CRLF after it) answers 400."""
    payload = chunked_head(emu) + b"1\r\n{}\r\n0\r\n\r\n"
    assert status_of(reply_within(emu, payload)) == 400
    assert_still_serving(emu)


def test_chunked_total_over_the_limit_is_refused(emu: ApiEmulator) -> None:
    """Chunks whose sizes add up past 10 MB answer RequestSizeLimitExceeded before the
    oversized chunk's data is read; a single 16-digit size does too."""
    nine_mb = 9 * 1024 * 1024
    payload = chunked_head(emu) + b"%x\r\n" % nine_mb + b" " * nine_mb + b"\r\n200000\r\n"
    reply = reply_within(emu, payload, within=10)
    assert status_of(reply) == 200
    assert b'"Code":"RequestSizeLimitExceeded"' in reply
    reply = reply_within(emu, chunked_head(emu) + b"FFFFFFFFFFFFFFFF\r\n")
    assert b'"Code":"RequestSizeLimitExceeded"' in reply
    assert_still_serving(emu)


def test_chunked_request_body_is_accepted(emu: ApiEmulator) -> None:
    """A chunked body is de-chunked and verified like any other."""
    prepared = prepare_request(
        "DescribeZones",
        {"Limit": 1},
        service="cvm",
        version="2017-03-12",
        region=None,
        credential=Credential(SECRET_ID, SECRET_KEY),
        profile=ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint)),
    )
    head = "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items())
    body = prepared.body
    chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (3, body[:3], len(body) - 3, body[3:])
    payload = (
        f"POST / HTTP/1.1\r\n{head}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode() + chunks
    reply = raw_exchange(emu, payload)
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["Response"]["Ok"] is True
    assert emu.requests[-1].params == {"Limit": 1}


def test_garbage_body_and_half_requests_do_not_hurt(emu: ApiEmulator) -> None:
    """Unparseable JSON, a body cut short and a silent client leave the server serving."""
    reply = raw_exchange(
        emu,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: SKIP\r\nX-TC-Action: A\r\nX-TC-Version: 2020-01-01\r\n"
        b"Content-Length: 4\r\nConnection: close\r\n\r\n{\xff\xfe}",
    )
    assert status_of(reply) == 200
    assert b"Error" in reply
    raw_exchange(
        emu, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort", shutdown=True
    )
    host, port = emu.endpoint.rsplit(":", 1)
    silent = socket.create_connection((host, int(port)), timeout=5)
    try:
        assert_still_serving(emu)
    finally:
        silent.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from([b"GET / HTTP/1.1\r\n", b"POST / HTTP/1.1\r\n", b"POST /"]),
            st.binary(max_size=200),
        ),
    )
)
def test_random_bytes_never_stop_the_server(emu: ApiEmulator, payload: bytes) -> None:
    """Whatever bytes a client sends, the server answers or hangs up, and keeps serving."""
    raw_exchange(emu, payload, shutdown=True)
    assert_still_serving(emu)


def test_concurrent_clients_are_served(emu: ApiEmulator) -> None:
    """Many threads at once all get their answers (the server is threaded)."""
    emu.set_latency(0.1)
    results = []
    pool = http_pool()

    def worker() -> None:
        results.append(api_answer(post(pool, emu))["Ok"])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == [True] * 8
    assert time.monotonic() - started < 0.8
