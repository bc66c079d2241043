"""Loopback servers with exact byte control, shared by the client and transport tests.

:class:`ScriptedServer` answers each request with a script of steps: bytes
to send, pauses, gates (a :class:`threading.Event` the test sets), a TCP
reset or a close. It binds 127.0.0.1 only and every wait is bounded, so a
broken client fails a test instead of hanging it. The few tests here pin the
helper itself.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, Union

import attrs

GATE_TIMEOUT = 5.0
IO_TIMEOUT = 5.0


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


RESET = _Marker("RESET")  # close with SO_LINGER 0: the peer sees a reset
CLOSE = _Marker("CLOSE")  # orderly close after the steps
Step = Union[bytes, float, threading.Event, _Marker]
Script = Union[bytes, Sequence[Step], Callable[["RawRequest"], Sequence[Step]]]


@attrs.frozen
class RawRequest:
    """One request as it arrived."""

    method: str
    target: str
    headers: Tuple[Tuple[str, str], ...]
    body: bytes
    connection: int

    def header(self, name: str) -> Optional[str]:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def http_answer(
    body: Union[bytes, str] = b"",
    *,
    status: int = 200,
    reason: str = "OK",
    headers: Optional[Mapping[str, str]] = None,
    content_type: Optional[str] = "application/json",
) -> bytes:
    """A complete HTTP/1.1 answer with Content-Length."""
    data = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} {reason}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def json_answer(
    response: Optional[Mapping[str, Any]] = None,
    *,
    content_type: str = "application/json",
    headers: Optional[Mapping[str, str]] = None,
    request_id: str = "req-1",
) -> bytes:
    """``{"Response": {..., "RequestId": ...}}`` as a complete answer."""
    inner = dict(response or {})
    inner.setdefault("RequestId", request_id)
    return http_answer(json.dumps({"Response": inner}), content_type=content_type, headers=headers)


def error_answer(code: str, message: str = "", *, content_type: str = "application/json") -> bytes:
    """An API error answer (HTTP 200, as the real API)."""
    body = {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "req-err"}}
    return http_answer(json.dumps(body), content_type=content_type)


SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)
LAST_CHUNK = b"0\r\n\r\n"


def chunk(data: Union[bytes, str]) -> bytes:
    """One chunk of a chunked body."""
    raw = data.encode() if isinstance(data, str) else data
    return f"{len(raw):x}\r\n".encode() + raw + b"\r\n"


class ScriptedServer:
    """A loopback HTTP/1.1 server playing one script per request, in order.

    A script is bytes (sent whole; the connection stays open for the next
    request), a sequence of steps, or a callable taking the
    :class:`RawRequest` and returning steps. Unscripted requests get a 599.
    """

    def __init__(
        self,
        *scripts: Script,
        default: Optional[Script] = None,
        tls: Optional[ssl.SSLContext] = None,
    ) -> None:
        self._tls = tls
        self._scripts: List[Script] = list(scripts)
        self._default = default
        self._lock = threading.Lock()
        self.requests: List[RawRequest] = []
        self.connections = 0
        self.gate_timeouts = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._socks: List[socket.socket] = []
        self._threads: List[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add(self, *scripts: Script) -> None:
        with self._lock:
            self._scripts.extend(scripts)

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._acceptor.join(timeout=2)
        for thread in self._threads:
            thread.join(timeout=2)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.connections += 1
                number = self.connections
                self._socks.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next_script(self) -> Optional[Script]:
        with self._lock:
            if self._scripts:
                return self._scripts.pop(0)
        return self._default

    def _serve(self, sock: socket.socket, number: int) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(IO_TIMEOUT)
        buffer = b""
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._socks.append(sock)  # close() must shut the wrapped one down
            while not self._stop.is_set():
                request, buffer = _read_request(sock, buffer, number)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                script = self._next_script()
                if script is None:
                    steps: Sequence[Step] = [http_answer(b"unscripted", status=599)]
                elif isinstance(script, bytes):
                    steps = [script]
                elif callable(script):
                    steps = script(request)
                else:
                    steps = script
                if not self._play(sock, steps):
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _play(self, sock: socket.socket, steps: Sequence[Step]) -> bool:
        """Play ``steps``; False when the connection is finished."""
        for step in steps:
            if isinstance(step, bytes):
                sock.sendall(step)
            elif isinstance(step, float):
                time.sleep(step)
            elif isinstance(step, threading.Event):
                if not step.wait(GATE_TIMEOUT):
                    with self._lock:
                        self.gate_timeouts += 1
            elif step is RESET:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                return False
            elif step is CLOSE:
                sock.shutdown(socket.SHUT_RDWR)
                return False
        return True


def _read_request(
    sock: socket.socket, buffer: bytes, number: int
) -> Tuple[Optional[RawRequest], bytes]:
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = tuple(
        (name.strip(), value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:])
    )
    length = 0
    for name, value in headers:
        if name.lower() == "content-length":
            length = int(value)
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            return None, b""
        rest += data
    return RawRequest(method, target, headers, rest[:length], number), rest[length:]


def make_certificate(directory: Path) -> Tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key), made with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context


def dead_port() -> int:
    """A loopback port nobody listens on (bound then closed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


# ----------------------------------------------------------------- self-tests


def _raw_exchange(port: int, payload: bytes, expect: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
        sock.sendall(payload)
        data = b""
        while len(data) < expect:
            more = sock.recv(65536)
            if not more:
                break
            data += more
        return data


def test_scripted_server_replays_exact_bytes_and_records_the_request() -> None:
    """The helper sends the scripted bytes verbatim and records method, target, headers, body."""
    answer = http_answer(b'{"a":1}', content_type="application/json; charset=utf-8")
    with ScriptedServer(answer) as server:
        got = _raw_exchange(
            server.port,
            b"POST /x?y=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}",
            len(answer),
        )
        assert got == answer
        assert server.requests[0].method == "POST"
        assert server.requests[0].target == "/x?y=1"
        assert server.requests[0].header("host") == "h"
        assert server.requests[0].body == b"{}"


def test_scripted_server_answers_599_when_unscripted() -> None:
    """A request the test did not script is answered 599, never hangs."""
    with ScriptedServer() as server:
        got = _raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 12)
        assert got.startswith(b"HTTP/1.1 599")
