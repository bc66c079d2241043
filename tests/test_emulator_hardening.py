"""The emulator against a hostile client: memory, connection bursts, tampered requests."""

from __future__ import annotations

import gc
import json
import socket
import time
import tracemalloc
from typing import Iterator, List

import pytest

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
