"""The emulator's HTTP/1.1 server: a thin adapter over its sans-I/O core.

It frames requests (``Content-Length`` or chunked, with the API's size
limits), hands ``(method, target, header pairs, body)`` to the core, and
carries out the :class:`~tcfunc.testing._wire.Answer` it gets back,
connection faults included. It knows nothing of signatures, handlers or
specs.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import re
import socket
import struct
import threading
import time
from email.utils import formatdate
from typing import Any, Callable, List, Optional, Set, Tuple

from ..request import TC3_BODY_LIMIT as BODY_LIMIT
from ._wire import Answer, BrokenStream, error_answer

__all__ = ["App", "EmulatorServer"]

logger = logging.getLogger("tcfunc.testing")

#: The core: ``app(method, target, header_pairs, body) -> Answer``.
App = Callable[[str, str, List[Tuple[str, str]], bytes], Answer]

# How much of an oversized body is read and thrown away so that the client,
# still sending, gets to read the error instead of a connection reset.
_DRAIN_LIMIT = 32 * 1024 * 1024
_DRAIN_SECONDS = 2.0
_IDLE_TIMEOUT = 60.0
_QUERY = re.compile(r"\?[^\s'\"]*")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_CHUNK_LINE_LIMIT = 1024
_MAX_TRAILERS = 100


class EmulatorServer(http.server.ThreadingHTTPServer):
    """Serves ``app`` on ``address``, one thread per connection.

    ``clock`` drives the ``Date`` header; :meth:`wait` sleeps until a time
    passes or :meth:`close_connections` is called (stop wakes stalls).
    """

    daemon_threads = True
    block_on_close = False
    # socketserver's default of 5 makes a burst of connects wait for SYN
    # retransmits (seconds each) whenever the accept loop falls behind.
    request_queue_size = max(128, socket.SOMAXCONN)

    def __init__(self, address: Tuple[str, int], app: App, clock: Callable[[], float]) -> None:
        self.app = app
        self.clock = clock
        self.stopping = threading.Event()
        self.reset_sockets: Set[socket.socket] = set()
        self._reset_lock = threading.Lock()
        # Every accepted connection, from accept until closed; tracked here, in
        # the accept loop, so that none slips past close_connections() while
        # its handler thread is still starting.
        self._open: Set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._closing = False
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    @property
    def endpoint(self) -> str:
        """``host:port`` (IPv6 hosts in brackets)."""
        host, port = self.server_address[:2]
        host = str(host)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, cut short when the server stops."""
        if seconds > 0:
            self.stopping.wait(seconds)

    def mark_reset(self, conn: socket.socket) -> None:
        with self._reset_lock:
            self.reset_sockets.add(conn)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            closing = self._closing
            if not closing:
                self._open.add(request)
        if closing:
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def close_connections(self) -> None:
        """Close every open connection, and any accepted from now on, at once."""
        self.stopping.set()
        with self._open_lock:
            self._closing = True
            # Under the lock: shutdown_request forgets a socket before closing
            # it, so none of these has been closed (and its fd reused) yet.
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        with self._reset_lock:
            reset = request in self.reset_sockets
            self.reset_sockets.discard(request)
        if reset:
            # No FIN first: SO_LINGER 0 makes the close an RST.
            self.close_request(request)
            return
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("emulator connection error from %s", client_address, exc_info=True)


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tcfunc-emulator"
    sys_version = ""
    # Error pages for unreadable request lines get a status line too.
    default_request_version = "HTTP/1.0"
    timeout = _IDLE_TIMEOUT
    server: EmulatorServer

    # --- plumbing ---

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without TCP_NODELAY,
        # Nagle plus delayed ACK holds the second one ~40 ms on loopback.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        # v1 GET queries carry the SecretId and the session Token: keep them out of logs.
        safe = tuple(_QUERY.sub("?<query>", a) if isinstance(a, str) else a for a in args)
        logger.debug("emulator: " + format, *safe)

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        when = self.server.clock() if timestamp is None else timestamp
        return formatdate(when, usegmt=True)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    # --- answering ---

    def _head(self, answer: Answer, framing: Tuple[str, str]) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header(*framing)
        if answer.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def _answer(self, answer: Answer) -> None:
        self.server.wait(answer.delay)
        if answer.connection == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.mark_reset(self.connection)
            self.close_connection = True
        elif answer.connection == "stall":
            self.server.wait(answer.stall)
            self.close_connection = True
        elif answer.connection == "truncate":
            self._head(answer, ("Content-Length", str(len(answer.body))))
            self.wfile.write(answer.truncated_body)
            self.close_connection = True
        elif answer.events is not None:
            self._head(answer, ("Transfer-Encoding", "chunked"))
            self._stream(answer.events)
        else:
            self._head(answer, ("Content-Length", str(len(answer.body))))
            self.wfile.write(answer.body)

    def _send_error(
        self, code: str, message: str, *, status: int = 200, close: bool = False
    ) -> None:
        self._answer(error_answer(code, message, status=status, close=close))

    def _stream(self, events: Any) -> None:
        try:
            for data in events:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
        except BrokenStream:
            # End without the last chunk: the client sees a broken stream.
            self.close_connection = True
            return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            events.close()
            return
        self.wfile.write(b"0\r\n\r\n")

    # --- reading ---

    def _read_body(self) -> Optional[bytes]:
        """The body, or None after answering (too large, malformed framing)."""
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding and encoding != "identity":
            if encoding != "chunked":
                self._send_error(
                    "InvalidParameter", "unsupported Transfer-Encoding", status=501, close=True
                )
                return None
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        raw_length = raw_length.strip()
        if not raw_length.isdigit() or len(raw_length) > 18:
            self._send_error("InvalidParameter", "malformed Content-Length", status=400, close=True)
            return None
        length = int(raw_length)
        if length > BODY_LIMIT:
            self._too_large(length)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _read_chunked(self) -> Optional[bytes]:
        # One buffer: a list of one-byte chunks would cost ~90 bytes per byte.
        parts = bytearray()
        total = 0
        while True:
            line = self._framing_line(_CHUNK_LINE_LIMIT)
            if line is None:
                return None
            # Chunk extensions (";name=value") carry nothing we need.
            size_text = line.split(b";", 1)[0].strip()
            # Exactly hex digits: int(_, 16) would also take "-1", "+1", "0x1"
            # and "1_0", and a negative size would read until EOF.
            if not _CHUNK_SIZE.fullmatch(size_text):
                self._bad_chunking("malformed chunk size")
                return None
            size = int(size_text, 16)
            if size == 0:
                return self._skip_trailers(bytes(parts))
            total += size
            if total > BODY_LIMIT:
                self._too_large(total)
                return None
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                self.close_connection = True
                return None
            end = self.rfile.readline(3)
            if end not in (b"\r\n", b"\n"):
                if end:
                    self._bad_chunking("chunk data longer than its size")
                else:
                    self.close_connection = True
                return None
            parts += chunk
            del chunk

    def _skip_trailers(self, body: bytes) -> Optional[bytes]:
        for _ in range(_MAX_TRAILERS):
            trailer = self._framing_line(8192, eof_ends=True)
            if trailer is None:
                return None
            if trailer.strip() == b"":
                return body
        self._bad_chunking("too many trailer fields")
        return None

    def _framing_line(self, limit: int, *, eof_ends: bool = False) -> Optional[bytes]:
        """One line of chunked framing; None after answering or when the client left."""
        line = self.rfile.readline(limit + 1)
        if line.endswith(b"\n"):
            return line
        if len(line) > limit:
            self._bad_chunking("chunked framing line too long")
            return None
        if eof_ends and not line:
            self.close_connection = True
            return b""
        self.close_connection = True
        return None

    def _bad_chunking(self, message: str) -> None:
        self._send_error("InvalidParameter", message, status=400, close=True)

    def _too_large(self, length: int) -> None:
        self._send_error(
            "RequestSizeLimitExceeded",
            f"The request body of {length} bytes exceeds the 10 MB limit.",
            close=True,
        )
        self._linger()

    def _linger(self) -> None:
        """Read and drop what the client is still sending, so it can read our answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _DRAIN_SECONDS
            drained = 0
            while drained < _DRAIN_LIMIT and time.monotonic() < deadline:
                self.connection.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = self.rfile.read1(65536) if hasattr(self.rfile, "read1") else b""
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass

    # --- serving ---

    def _serve(self, method: str) -> None:
        try:
            body = self._read_body()
            if body is None:
                return
            # items() lists a repeated header as often as it came: the core refuses those.
            headers = [(str(k), str(v)) for k, v in self.headers.items()]
            answer = self.server.app(method, self.path, headers, body)
            if answer.close or answer.connection is not None:
                self.close_connection = True
            self._answer(answer)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception:
            # A bug of ours must not take the server down; the client sees a closed connection.
            logger.exception("emulator failed to serve a request")
            self.close_connection = True
