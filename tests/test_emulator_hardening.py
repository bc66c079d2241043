"""The emulator against a hostile client: memory, connection bursts, tampered requests."""

from __future__ import annotations

import gc
import json
import socket
import time
import tracemalloc
from typing import Any, Dict, Iterator, List, Optional

import pytest

from tcfunc import ClientProfile, Credential, HttpProfile, prepare_request
from tcfunc.client import CommonClient
from tcfunc.testing import ApiEmulator

SECRET_ID = "AKIDhardening"
SECRET_KEY = "hardening-key"


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emulator:
        emulator.register("cvm", "DescribeZones", lambda _p: {"TotalCount": 0})
        yield emulator


def _port(emu: ApiEmulator) -> int:
    return int(emu.endpoint.rsplit(":", 1)[1])


def _raw_exchange(emu: ApiEmulator, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", _port(emu)), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            piece = sock.recv(65536)
            if not piece:
                return bytes(got)
            got += piece


def _unsigned_post(body: bytes, *, chunked: bool = False) -> bytes:
    head = (
        "POST / HTTP/1.1\r\nHost: cvm.tencentcloudapi.com\r\n"
        "Content-Type: application/json\r\nX-TC-Action: DescribeZones\r\n"
        "X-TC-Version: 2017-03-12\r\nAuthorization: TC3-HMAC-SHA256 nonsense\r\n"
        "Connection: close\r\n"
    )
    if chunked:
        framed = b"".join(b"1\r\n%s\r\n" % body[i : i + 1] for i in range(len(body)))
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + framed + b"0\r\n\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_rejected_requests_are_recorded_without_their_body(emu: ApiEmulator) -> None:
    """A request whose signature fails is recorded with no body, no params and bounded headers,
    so unauthenticated senders cannot grow the emulator's memory with the record."""
    body = json.dumps({"Pad": "x" * (1024 * 1024)}).encode()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(8):
            answer = _raw_exchange(emu, _unsigned_post(body))
            assert b"AuthFailure" in answer
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    recorded = emu.requests
    assert len(recorded) == 8
    assert all(r.body == b"" and r.params == {} for r in recorded)
    assert all(r.error_code == "AuthFailure.InvalidAuthorization" for r in recorded)
    # Before the fix the record held 8 MB of bodies (and as much again of params).
    assert kept < 2 * 1024 * 1024, kept


def test_rejected_requests_keep_only_bounded_headers(emu: ApiEmulator) -> None:
    """Each recorded header value of a rejected request is cut to a few hundred characters."""
    request = _unsigned_post(b"{}").replace(
        b"Connection: close\r\n", b"Connection: close\r\nX-Junk: " + b"j" * 60000 + b"\r\n"
    )
    _raw_exchange(emu, request)
    (recorded,) = emu.requests
    assert max(len(v) for v in recorded.headers.values()) <= 256


def test_one_byte_chunks_are_assembled_in_one_buffer(emu: ApiEmulator) -> None:
    """A chunked body of 1-byte chunks costs a small multiple of its size while being read,
    not ~95 bytes per byte (a list of one-byte bytes objects)."""
    size = 60_000
    request = _unsigned_post(b"x" * size, chunked=True)
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        answer = _raw_exchange(emu, request, timeout=30)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert b"InvalidParameter" in answer or b"AuthFailure" in answer
    # Our own framed request (6 bytes a byte) is allocated before the peak is reset.
    assert peak < 12 * size, peak


def test_a_burst_of_connects_is_accepted_while_the_accept_loop_is_busy(emu: ApiEmulator) -> None:
    """The listen backlog holds a burst of connections: with the accept loop held up, 60
    connects still complete at once (a backlog of 5 makes all but ~6 wait for SYN retries)."""
    server = emu._server
    assert server is not None
    sockets: List[socket.socket] = []
    # Holding the server's connection-set lock stalls its accept loop after one accept.
    with server._open_lock:
        started = time.monotonic()
        try:
            for _ in range(60):
                sockets.append(socket.create_connection(("127.0.0.1", _port(emu)), timeout=0.5))
        finally:
            elapsed = time.monotonic() - started
            for sock in sockets:
                sock.close()
    assert len(sockets) == 60
    assert elapsed < 2.0


def _signed_wire(emu: ApiEmulator, action: str, *, sign_action: bool = False) -> bytes:
    """A TC3 request for ``action`` as bytes on the wire, headers in prepare_request's order."""
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint), sign_action=sign_action
    )
    prepared = prepare_request(
        action,
        {},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=Credential(SECRET_ID, SECRET_KEY),
        profile=profile,
    )
    head = "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items())
    return (
        f"POST / HTTP/1.1\r\n{head}Content-Length: {len(prepared.body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + prepared.body


def _code_of(answer: bytes) -> Optional[str]:
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    code: Optional[str] = body["Response"].get("Error", {}).get("Code")
    return code


def test_a_duplicated_action_header_is_refused_over_http(emu: ApiEmulator) -> None:
    """The emulator's HTTP layer hands repeated headers to verification, which refuses a
    second X-TC-Action: the handler of the smuggled action never runs."""
    ran: List[str] = []

    def terminate(_params: Dict[str, Any]) -> Dict[str, Any]:
        ran.append("terminate")
        return {}

    emu.register("cvm", "TerminateInstances", terminate)
    wire = _signed_wire(emu, "DescribeZones").replace(
        b"Connection: close\r\n", b"Connection: close\r\nX-TC-Action: TerminateInstances\r\n"
    )
    assert _code_of(_raw_exchange(emu, wire)) == "InvalidParameter"
    assert ran == []


def test_strict_emulator_needs_the_action_signed() -> None:
    """ApiEmulator(strict_signing=True) refuses a request signed the official way
    (content-type;host) and serves one signed with ClientProfile(sign_action=True)."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}, strict_signing=True) as strict:
        strict.register("cvm", "DescribeZones", lambda _p: {"TotalCount": 0})
        assert _code_of(_raw_exchange(strict, _signed_wire(strict, "DescribeZones"))) == (
            "AuthFailure.InvalidAuthorization"
        )
        wire = _signed_wire(strict, "DescribeZones", sign_action=True)
        assert _code_of(_raw_exchange(strict, wire)) is None
        replayed = wire.replace(b"X-TC-Action: DescribeZones", b"X-TC-Action: RunInstances")
        assert _code_of(_raw_exchange(strict, replayed)) == "AuthFailure.SignatureFailure"


def test_strict_emulator_serves_a_sign_action_client() -> None:
    """A CommonClient with sign_action=True works end to end against a strict emulator."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}, strict_signing=True) as strict:
        strict.register("cvm", "DescribeZones", lambda _p: {"TotalCount": 3})
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=strict.endpoint), sign_action=True
        )
        client = CommonClient(
            "cvm", "2017-03-12", Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile
        )
        assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 3


def test_unsigned_v1_names_colliding_once_renamed_are_refused(emu: ApiEmulator) -> None:
    """An unsigned v1 request with A_B next to A.B is refused before its handler runs."""
    seen: List[Dict[str, Any]] = []

    def probe(params: Dict[str, Any]) -> Dict[str, Any]:
        seen.append(params)
        return {}

    emu.register("sts", "Probe", probe, allow_unsigned=True)
    body = b"Action=Probe&Version=2018-08-13&Zone_Name=a&Zone.Name=b"
    wire = (
        "POST / HTTP/1.1\r\nHost: sts.tencentcloudapi.com\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    assert _code_of(_raw_exchange(emu, wire)) is not None
    assert seen == []
