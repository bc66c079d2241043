"""Loopback servers that misbehave on purpose, for timeout, size and proxy tests.

:class:`MisbehavingServer` binds 127.0.0.1 only, reads each request (head
and ``Content-Length`` body) and hands it to a *handler* together with a
:class:`Peer`, the server side of the connection. A handler writes the
answer the way the test wants it: whole, one byte every N seconds, after a
stall, cut short, as a reset, as a gzip bomb. Canned handlers cover the usual
cases (:func:`answer`, :func:`dribbled_head`, :func:`dribbled_body`,
:func:`stalled_body`, :func:`stall`, :func:`gzip_bomb`, :func:`sse`,
:func:`reset`).

Every wait is interruptible: ``close()`` stops dribbling and stalling at
once, so a client that gives up leaves no thread behind for long, and a
broken client fails its test instead of hanging it. :class:`ConnectProxy` is
a small forwarding proxy (absolute-form requests and ``CONNECT`` tunnels)
that can demand credentials and answer 407. :func:`self_signed` makes a
certificate for 127.0.0.1 with the ``openssl`` command (the ``ssl`` module
cannot make one).

Usage::

    with MisbehavingServer(dribbled_body(json_body({"ok": 1}), every=0.2)) as server:
        transport.send(request_for(server.url), 1.0)
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import socket
import ssl
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import attrs

__all__ = [
    "ConnectProxy",
    "Handler",
    "MisbehavingServer",
    "Peer",
    "ServedRequest",
    "Stopped",
    "answer",
    "chunk",
    "client_context",
    "dead_port",
    "dribbled_body",
    "dribbled_head",
    "gzip_answer",
    "gzip_bomb",
    "http_head",
    "json_body",
    "reset",
    "self_signed",
    "server_context",
    "sse",
    "stall",
    "stalled_body",
    "timed",
]

# No wait of the servers lasts longer than this, whatever a test asks for.
MAX_WAIT = 30.0
IO_TIMEOUT = 10.0


class Stopped(Exception):
    """The server is closing: the handler's wait was cut short."""


@attrs.frozen
class ServedRequest:
    """One request as it arrived."""

    method: str
    target: str
    headers: Tuple[Tuple[str, str], ...]
    body: bytes
    connection: int

    def header(self, name: str) -> Optional[str]:
        """The first header named ``name`` (any case), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class Peer:
    """The server side of one connection, as a handler sees it."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self._stop = stop
        self.sent = 0
        self.closed = False

    def send(self, data: bytes) -> None:
        """Send ``data`` at once."""
        self.sock.sendall(data)
        self.sent += len(data)

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` (or until the server closes: raises :class:`Stopped`)."""
        if self._stop.wait(min(seconds, MAX_WAIT)):
            raise Stopped

    def dribble(self, data: bytes, every: float, *, size: int = 1) -> None:
        """Send ``data`` ``size`` bytes at a time with ``every`` seconds between pieces."""
        for start in range(0, len(data), size):
            if start:
                self.pause(every)
            self.send(data[start : start + size])

    def reset(self) -> None:
        """Close with SO_LINGER 0: the client sees a TCP reset."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.closed = True

    def close(self) -> None:
        """An orderly close."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.closed = True


# A handler answers one request; it returns True to keep the connection for
# the next request (after a complete answer), anything else closes it.
Handler = Callable[[ServedRequest, Peer], Optional[bool]]


class MisbehavingServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 whose answers a handler writes.

    Args:
        handler: called for each request with the request and its :class:`Peer`.
        tls: a server-side context (see :func:`server_context`) to speak HTTPS.
        handshake: with ``tls``, False hands the raw TCP socket to the
            handler before any TLS (to stall or garble the handshake): the
            handler is then called with an empty request.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        tls: Optional[ssl.SSLContext] = None,
        handshake: bool = True,
    ) -> None:
        self._handler = handler
        self._tls = tls
        self._handshake = handshake
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests: List[ServedRequest] = []
        self.connections = 0
        self.errors: List[BaseException] = []
        self._socks: List[socket.socket] = []
        self._threads: List[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:<port>``."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:<port>/``."""
        return f"{'https' if self._tls else 'http'}://{self.endpoint}/"

    def __enter__(self) -> MisbehavingServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every handler's wait and close every connection."""
        self._stop.set()
        self._listener.close()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
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

    def _serve(self, sock: socket.socket, number: int) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(IO_TIMEOUT)
        except OSError:  # closed by stop() between accept and here
            return
        try:
            if self._tls is not None:
                if not self._handshake:
                    self._handler(ServedRequest("", "", (), b"", number), Peer(sock, self._stop))
                    return
                sock = self._tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._socks.append(sock)
            buffer = b""
            while not self._stop.is_set():
                request, buffer = _read_request(sock, buffer, number)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                peer = Peer(sock, self._stop)
                if self._handler(request, peer) is not True or peer.closed:
                    peer.close()
                    return
        except (Stopped, OSError):
            return
        except BaseException as exc:  # noqa: BLE001 - a broken handler is reported to the test
            self.errors.append(exc)
        finally:
            with contextlib.suppress(OSError):
                sock.close()


def _read_request(
    sock: socket.socket, buffer: bytes, number: int
) -> Tuple[Optional[ServedRequest], bytes]:
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
    return ServedRequest(method, target, headers, rest[:length], number), rest[length:]


# ------------------------------------------------------------------ answers


def json_body(response: Optional[Mapping[str, Any]] = None, request_id: str = "req-1") -> bytes:
    """``{"Response": {..., "RequestId": ...}}`` as bytes."""
    inner = dict(response or {})
    inner.setdefault("RequestId", request_id)
    return json.dumps({"Response": inner}).encode()


def http_head(
    *,
    status: int = 200,
    reason: str = "OK",
    length: Optional[int] = None,
    headers: Optional[Mapping[str, str]] = None,
    content_type: Optional[str] = "application/json",
) -> bytes:
    """An HTTP/1.1 status line and header block; ``length`` adds ``Content-Length``."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _whole(body: bytes, status: int, headers: Optional[Mapping[str, str]]) -> Tuple[bytes, bytes]:
    return http_head(status=status, length=len(body), headers=headers), body


def answer(
    body: bytes = b"{}",
    *,
    status: int = 200,
    headers: Optional[Mapping[str, str]] = None,
    keep: bool = True,
) -> Handler:
    """Answer every request with ``body`` at once (keep-alive unless ``keep`` is False)."""
    head, data = _whole(body, status, headers)

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        peer.send(head + data)
        return keep

    return handle


def dribbled_head(body: bytes = b"{}", *, every: float = 0.1, size: int = 1) -> Handler:
    """Send the status line and headers ``size`` bytes per ``every`` seconds, then the body."""
    head, data = _whole(body, 200, None)

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        peer.dribble(head, every, size=size)
        peer.send(data)
        return True

    return handle


def dribbled_body(
    body: bytes = b'{"Response": {"RequestId": "slow"}}',
    *,
    every: float = 0.1,
    size: int = 1,
    chunked: bool = False,
) -> Handler:
    """Send the head at once and the body ``size`` bytes per ``every`` seconds.

    With ``chunked`` each piece is one chunk of a chunked body, so a reader
    that returns what has arrived sees every piece.
    """

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        if chunked:
            peer.send(http_head(headers={"Transfer-Encoding": "chunked"}))
            for start in range(0, len(body), size):
                if start:
                    peer.pause(every)
                peer.send(chunk(body[start : start + size]))
            peer.send(b"0\r\n\r\n")
        else:
            peer.send(http_head(length=len(body)))
            peer.dribble(body, every, size=size)
        return True

    return handle


def stalled_body(
    body: bytes = b'{"Response": {"RequestId": "stalled"}}',
    *,
    sent: int = 5,
    seconds: float = MAX_WAIT,
) -> Handler:
    """Send the head and the first ``sent`` bytes of ``body``, then go quiet for ``seconds``."""

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        peer.send(http_head(length=len(body)) + body[:sent])
        peer.pause(seconds)
        peer.send(body[sent:])
        return True

    return handle


def stall(seconds: float = MAX_WAIT) -> Handler:
    """Read the request, then say nothing for ``seconds`` and close."""

    def handle(_request: ServedRequest, peer: Peer) -> None:
        peer.pause(seconds)

    return handle


def reset() -> Handler:
    """Read the request, then reset the connection (the request may have run)."""

    def handle(_request: ServedRequest, peer: Peer) -> None:
        peer.reset()

    return handle


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


_BOMBS: Dict[int, bytes] = {}


def gzip_bomb(
    decoded: int = 300 * 1024 * 1024,
    *,
    chunked: bool = False,
    encoding: str = "gzip",
    stream: bool = False,
) -> Handler:
    """Answer with ``decoded`` bytes of spaces gzip-compressed (about 1/1000 the size).

    The head says ``Content-Encoding: gzip`` (or ``encoding``, e.g.
    ``deflate``: then a zlib stream) and either the compressed length or,
    with ``chunked``, chunked transfer; ``stream`` makes it an event stream.
    """
    key = decoded if encoding == "gzip" else -decoded
    payload = _BOMBS.get(key)
    if payload is None:
        import zlib

        wbits = 31 if encoding == "gzip" else 15
        packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
        block = b" " * (1024 * 1024)
        parts = [packer.compress(block) for _ in range(decoded // len(block))]
        parts.append(packer.compress(b" " * (decoded % len(block))))
        parts.append(packer.flush())
        payload = _BOMBS[key] = b"".join(parts)
    content_type = "text/event-stream" if stream else "application/json"

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        headers = {"Content-Encoding": encoding}
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
            peer.send(http_head(headers=headers, content_type=content_type))
            for start in range(0, len(payload), 16384):
                peer.send(chunk(payload[start : start + 16384]))
            peer.send(b"0\r\n\r\n")
        else:
            peer.send(
                http_head(length=len(payload), headers=headers, content_type=content_type) + payload
            )
        return True

    return handle


def gzip_answer(body: bytes) -> Handler:
    """A well-behaved gzip-encoded answer (what a compressing gateway would send)."""
    data = gzip.compress(body)

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        peer.send(http_head(length=len(data), headers={"Content-Encoding": "gzip"}) + data)
        return True

    return handle


def sse(
    events: Sequence[Union[str, bytes]],
    *,
    every: float = 0.05,
    head_delay: float = 0.0,
    then_stall: float = 0.0,
) -> Handler:
    """An event stream: one event per chunk, ``every`` seconds apart.

    ``head_delay`` waits before the head; ``then_stall`` goes quiet after the
    last event (before the closing chunk) for that long.
    """
    head = http_head(headers={"Transfer-Encoding": "chunked"}, content_type="text/event-stream")

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        if head_delay:
            peer.pause(head_delay)
        peer.send(head)
        for number, event in enumerate(events):
            if number:
                peer.pause(every)
            data = event.encode() if isinstance(event, str) else event
            peer.send(chunk(data))
        if then_stall:
            peer.pause(then_stall)
        peer.send(b"0\r\n\r\n")
        return True

    return handle


# -------------------------------------------------------------------- proxy


class ConnectProxy:
    """A forwarding HTTP proxy on 127.0.0.1: ``CONNECT`` tunnels and absolute-form requests.

    Args:
        credentials: ``"user:password"``; requests without that
            ``Proxy-Authorization`` get a 407.
        refuse: answer every ``CONNECT`` with this status instead of tunnelling.
        tls: a server context: the proxy itself speaks TLS (an ``https://`` proxy).

    ``seen`` records each request line with its ``Proxy-Authorization``.
    """

    def __init__(
        self,
        *,
        credentials: Optional[str] = None,
        refuse: Optional[int] = None,
        tls: Optional[ssl.SSLContext] = None,
    ) -> None:
        self._tls = tls
        self._expected = (
            "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
        )
        self._refuse = refuse
        self.seen: List[Tuple[str, Optional[str]]] = []
        self._stop = threading.Event()
        self._socks: List[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._threads: List[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> ConnectProxy:
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
            with contextlib.suppress(OSError):
                sock.close()
        self._acceptor.join(2)
        for thread in self._threads:
            thread.join(2)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self._socks.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(IO_TIMEOUT)
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._socks.append(sock)
            with sock:
                request, rest = _read_request(sock, b"", 0)
                if request is None:
                    return
                auth = request.header("Proxy-Authorization")
                self.seen.append((f"{request.method} {request.target}", auth))
                if self._expected is not None and auth != self._expected:
                    sock.sendall(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                    )
                    return
                if request.method == "CONNECT":
                    if self._refuse is not None:
                        sock.sendall(
                            f"HTTP/1.1 {self._refuse} Refused\r\nContent-Length: 0\r\n\r\n".encode()
                        )
                        return
                    host, _, port = request.target.rpartition(":")
                    upstream = socket.create_connection((host, int(port)), timeout=IO_TIMEOUT)
                    sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    self._pipe(sock, upstream, rest)
                    return
                # Absolute form: http://host:port/path -> origin form upstream.
                without = request.target.split("://", 1)[1]
                hostport, _, path = without.partition("/")
                host, _, port = hostport.rpartition(":")
                upstream = socket.create_connection((host, int(port or 80)), timeout=IO_TIMEOUT)
                head = [f"{request.method} /{path} HTTP/1.1"]
                head += [
                    f"{k}: {v}" for k, v in request.headers if k.lower() != "proxy-authorization"
                ]
                upstream.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + request.body)
                self._pipe(sock, upstream, rest)
        except OSError:
            return

    def _pipe(self, client: socket.socket, upstream: socket.socket, pending: bytes) -> None:
        with self._lock:
            self._socks.append(upstream)
        if pending:
            upstream.sendall(pending)

        def pump(src: socket.socket, dst: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while not self._stop.is_set():
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream)
        back.join(MAX_WAIT)
        upstream.close()


# ---------------------------------------------------------------------- TLS


_CERTS: Dict[str, Tuple[Path, Path]] = {}


def self_signed(directory: Path) -> Tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: ``(cert, key)`` written into ``directory``.

    Made with the ``openssl`` command (the ``ssl`` module can only load
    certificates); raises ``OSError``/``SubprocessError`` when it is missing,
    which a test turns into a skip.
    """
    cached = _CERTS.get(str(directory))
    if cached is not None:
        return cached
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
    _CERTS[str(directory)] = (cert, key)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context for :func:`self_signed`'s certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context


def client_context(cert: Path) -> ssl.SSLContext:
    """A client-side context trusting ``cert`` (for checking a server by hand)."""
    return ssl.create_default_context(cafile=str(cert))


def dead_port() -> int:
    """A loopback port nobody listens on (bound then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def timed(fn: Callable[[], Any]) -> Tuple[float, Optional[BaseException]]:
    """Run ``fn``; ``(seconds it took, the exception it raised or None)``."""
    start = time.monotonic()
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - handed back to the test
        return time.monotonic() - start, exc
    return time.monotonic() - start, None
