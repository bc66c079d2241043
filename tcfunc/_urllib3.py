"""The default sync transport on urllib3, and the registry that shares it between clients.

:class:`Urllib3Transport` sends a :class:`~tcfunc.request.PreparedRequest`
with urllib3 pools and hands back an :class:`~tcfunc.transport.HttpResponse`,
following the rules written down in :mod:`tcfunc.transport` (what a deadline
bounds, the size limit, proxy selection, how failures read). :func:`acquire`
gives clients with the same connection settings one shared transport.

How the deadline is kept without a watchdog thread: ``send`` puts the
attempt's deadline in a thread-local slot; the pools' connection classes
(see :func:`_pool_classes`) read it when they connect (the connect timeout is
cut to what is left), before they write, and in the reader they give
http.client for the answer, which sets the socket's timeout to the time left
before every ``recv`` (so a server that dribbles a byte per second cannot
stretch a 2 s deadline: each wait gets only what remains). A streamed answer
switches that reader to an idle timeout once its headers are in. The
timeout is changed only when it would differ by more than
:data:`_SLACK` from what the socket already has, so a fast keep-alive call
makes no extra system call.

urllib3 2 is required. urllib3's own debug lines name the request target,
which for a v1 GET carries ``Signature``, ``Token`` and ``SecretId``: a
filter on its ``urllib3.connectionpool`` logger masks those (and any other
secret-named field) in its records.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import socket
import threading
import time
import warnings
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterator,
    Optional,
    Set,
    Tuple,
    Type,
)
from urllib.parse import unquote, urlsplit, urlunsplit

from ._logging import redact_query
from ._redact import LazyPattern
from .errors import TencentCloudSDKException
from .profile import HttpProfile
from .transport import (
    BodyDecoder,
    HttpResponse,
    NetworkError,
    Transport,
    _split_url,
    check_timeout,
    connect_failed,
    deadline_exceeded,
    idle_timeout,
    proxy_authentication_required,
    proxy_environment,
    response_too_large,
    select_proxy,
)

if TYPE_CHECKING:
    from .request import PreparedRequest

__all__ = ["Urllib3Transport", "acquire"]

# Streamed reads ask for at most this much; read1 returns what has arrived.
_CHUNK = 64 * 1024
# A socket timeout within this much of the time left is left alone: a read
# may end this much after the deadline, and a fast call makes no syscall.
_SLACK = 0.01
# Only an error message needs these: compiled on first use.
_QUERY = LazyPattern(r"\?[^\s'\"]*")
_URL_USERINFO = LazyPattern(r"(?<=://)[^/?#\s@]*@")
_TUNNEL_STATUS = LazyPattern(r"Tunnel connection failed: (\d{3})")
# Set on an exception raised while a pool's connection was connecting.
_CONNECT_FAILED = "_tcfunc_connect_failed"
_monotonic = time.monotonic
# What urllib3 maps to its timeout errors: TimeoutError itself from Python 3.10,
# an OSError of its own before.
_SocketTimeout = socket.timeout


class _Deadline:
    """One attempt's time limit, shared by the connection and the answer's reader.

    ``at`` is the monotonic deadline; once a streamed answer's headers are in
    it becomes None and every read waits at most ``idle`` seconds.
    """

    __slots__ = ("at", "connect", "idle")

    def __init__(self, at: float, idle: float, connect: Optional[float]) -> None:
        self.at: Optional[float] = at
        self.idle = idle
        self.connect = connect

    def left(self) -> float:
        """Seconds a wait may take now; raises ``socket.timeout`` when none are left."""
        at = self.at
        if at is None:
            return self.idle
        left = at - _monotonic()
        if left <= 0:
            raise _SocketTimeout("timed out")
        return left


# The deadline of the attempt this thread is sending; read by the connection
# classes, which urllib3 calls from inside urlopen on the same thread.
class _Current(threading.local):
    deadline: Optional[_Deadline] = None


_current = _Current()


def _bound(sock: Any, deadline: _Deadline) -> None:
    """Give ``sock`` at most the time ``deadline`` leaves (within :data:`_SLACK`)."""
    # deadline.left(), inlined: this runs before every read and write.
    at = deadline.at
    if at is None:
        left = deadline.idle
    else:
        left = at - _monotonic()
        if left <= 0:
            raise _SocketTimeout("timed out")
    now = sock.gettimeout()
    if now is None or not left <= now <= left + _SLACK:
        sock.settimeout(left)


class _DeadlineIO(socket.SocketIO):
    """The raw reader under http.client's buffer: every ``recv`` gets only the time left."""

    def __init__(self, sock: Any, deadline: _Deadline) -> None:
        super().__init__(sock, "rb")
        self._deadline = deadline

    def readinto(self, b: Any) -> Optional[int]:
        _bound(self._sock, self._deadline)  # type: ignore[attr-defined]
        return super().readinto(b)


class _SockView:
    """Given to http.client instead of the socket: its ``makefile`` keeps the deadline."""

    __slots__ = ("_deadline", "_sock")

    def __init__(self, sock: Any, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str, buffering: int = -1) -> Any:
        sock = self._sock
        raw = _DeadlineIO(sock, self._deadline)
        # socket.makefile counts the files open on a socket, so that closing
        # the socket waits for them; do the same (urllib3's TLS-in-TLS
        # wrapper counts on the socket it wraps).
        owner: Any = sock if isinstance(sock, socket.socket) else sock.socket
        owner._io_refs += 1
        return io.BufferedReader(raw, io.DEFAULT_BUFFER_SIZE)


def _response_class() -> Any:
    from http.client import HTTPResponse

    class _BoundedResponse(HTTPResponse):
        """http.client's answer reader, reading through a :class:`_DeadlineIO`."""

        def __init__(self, sock: Any, *args: Any, **kw: Any) -> None:
            deadline = _current.deadline
            if deadline is not None and (
                isinstance(sock, socket.socket) or hasattr(sock, "_decref_socketios")
            ):
                sock = _SockView(sock, deadline)
            super().__init__(sock, *args, **kw)

    return _BoundedResponse


def _describe(exc: BaseException) -> str:
    """A short reason for ``exc``: class and message, query strings and user info removed."""
    reason: BaseException = exc
    # urllib3 wraps the interesting error (ProtocolError(msg, OSError(...))).
    for arg in getattr(exc, "args", ())[1:]:
        if isinstance(arg, BaseException):
            reason = arg
    text = str(reason) or type(reason).__name__
    return _URL_USERINFO.sub("***@", _QUERY.sub("", text))[:300]


def _bare_proxy(proxy: str) -> Tuple[str, Optional[str]]:
    """``(proxy URL without user info, basic credentials "user:password" or None)``."""
    parts = urlsplit(proxy)
    auth = None
    if parts.username is not None or parts.password is not None:
        auth = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, "", "", "")), auth


class _Route:
    """How to reach one ``(scheme, host)``: a direct pool or a proxy manager."""

    # A slotted class, not a NamedTuple: typing.NamedTuple builds its class
    # with exec, and this module is imported by every cold start's first call.
    __slots__ = ("direct", "opener", "proxy")

    def __init__(self, opener: Any, direct: bool, proxy: Optional[str]) -> None:
        self.opener = opener
        self.direct = direct
        self.proxy = proxy  # without user info, for messages


class Urllib3Transport:
    """The default executor: urllib3 pools (or proxy pools), one per host.

    Safe to share between threads; connections are kept alive and pooled
    (``HttpProfile.pool_size`` per host). urllib3's own retries and redirects
    are off, so tcfunc's retry policy alone decides. TLS is verified against
    the system's CA store, or ``HttpProfile.certification`` when it names a
    bundle file or a directory of certificates; ``certification=False`` turns
    verification off with one :class:`urllib3.exceptions.InsecureRequestWarning`
    here instead of one per request.

    ``timeout`` is the attempt's deadline (connect, send, headers and, unless
    streamed, the whole body); with ``stream=True`` it bounds the time to the
    headers and then each wait for more of the body, not the whole stream
    (see :mod:`tcfunc.transport`). Answers are bounded by
    ``HttpProfile.max_response_size`` as they are read.

    Proxies: ``HttpProfile.proxy`` when set (credentials in its URL become a
    ``Proxy-Authorization`` header), else ``HTTPS_PROXY`` / ``HTTP_PROXY`` /
    ``NO_PROXY`` from ``environment`` (default: the process environment as
    read when the transport is built), with the standard library's rules.
    """

    def __init__(
        self, http_profile: HttpProfile, environment: Optional[Dict[str, str]] = None
    ) -> None:
        from http.client import HTTPException

        import urllib3
        from urllib3 import exceptions as u3e

        self._profile = http_profile
        self._u3 = urllib3
        self._env_proxies = proxy_environment() if environment is None else dict(environment)
        self._limit: int = getattr(http_profile, "max_response_size", 64 * 1024 * 1024)
        self._connect_timeout: Optional[float] = getattr(http_profile, "connectTimeout", None)
        self._prewarm: int = getattr(http_profile, "pre_conn_pool_size", 0)
        verify = http_profile.certification is not False
        kw: Dict[str, Any] = {
            # One transport serves every client with the same settings (see
            # acquire), so many services and regions' hosts.
            "num_pools": 128,
            "maxsize": max(http_profile.pool_size, self._prewarm),
            "block": False,
            "retries": False,
        }
        if verify:
            kw["cert_reqs"] = "CERT_REQUIRED"
            cert = http_profile.certification
            if isinstance(cert, str):
                import os.path

                kw["ca_cert_dir" if os.path.isdir(cert) else "ca_certs"] = cert
        else:
            kw["cert_reqs"] = "CERT_NONE"
            warnings.warn(
                "HttpProfile.certification=False: TLS certificates are not verified; "
                "anyone on the network path can read and change the requests",
                u3e.InsecureRequestWarning,
                stacklevel=3,
            )
        self._pool_kw = kw
        self._verify = verify
        self._direct = self._new_manager(None)
        self._proxies: Dict[str, Any] = {}
        # (scheme, host) -> route; a client talks to one or two hosts, so the
        # proxy decision is made once per host.
        self._routes: Dict[Tuple[str, str], _Route] = {}
        self._lock = threading.Lock()
        self._timeouts: Dict[float, Any] = {}
        # Bound once: the except clauses below run on every failure. Errors
        # raised while connecting are found by their mark (see _failed_connecting);
        # these types say so themselves.
        self._connect_errors: Tuple[Type[BaseException], ...] = (
            u3e.ConnectTimeoutError,  # NewConnectionError and NameResolutionError derive from it
            u3e.LocationValueError,
        )
        self._read_timeout = u3e.ReadTimeoutError
        self._closed_pool = u3e.ClosedPoolError
        # OSError and http.client's errors can escape urllib3 from a socket
        # read that it does not wrap; ValueError and OverflowError come from
        # the socket layer for odd timeouts. All become NetworkError.
        self._errors: Tuple[Type[BaseException], ...] = (
            u3e.HTTPError,
            OSError,
            ValueError,
            OverflowError,
            HTTPException,
        )
        _redact_urllib3_logs()

    def _new_manager(self, proxy: Optional[str]) -> Any:
        urllib3 = self._u3
        if proxy is None:
            manager = urllib3.PoolManager(**self._pool_kw)
        else:
            # The pool is given the URL without user info, so the password
            # cannot surface in urllib3's reprs or error messages.
            bare, auth = _bare_proxy(proxy)
            headers = None if auth is None else urllib3.util.make_headers(proxy_basic_auth=auth)
            manager = urllib3.ProxyManager(bare, proxy_headers=headers, **self._pool_kw)
        manager.pool_classes_by_scheme = _pool_classes(quiet=not self._verify)
        return manager

    def _route(self, scheme: str, host: str) -> _Route:
        """A connection pool for a direct host, else a ProxyManager."""
        key = (scheme, host)
        route = self._routes.get(key)
        if route is None:
            with self._lock:
                route = self._routes.get(key)
                if route is None:
                    route = self._new_route(scheme, host)
                    self._routes[key] = route
        return route

    def _new_route(self, scheme: str, host: str) -> _Route:
        proxy = select_proxy(scheme, host, self._profile.proxy, self._env_proxies)
        if proxy is None:
            parsed = self._u3.util.parse_url(f"{scheme}://{host}")
            pool = self._direct.connection_from_host(parsed.host, parsed.port, scheme)
            if self._prewarm:
                connect = self._connect_timeout or self._profile.reqTimeout
                _start_prewarm(pool, self._prewarm, connect)
            return _Route(pool, True, None)
        manager = self._proxies.get(proxy)
        if manager is None:
            manager = self._new_manager(proxy)
            self._proxies[proxy] = manager
        return _Route(manager, False, _bare_proxy(proxy)[0])

    def _timeout(self, seconds: float) -> Any:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            connect = self._connect_timeout
            connect = seconds if connect is None else min(connect, seconds)
            timeout = self._u3.Timeout(connect=connect, read=seconds)
            if len(self._timeouts) < 64:
                self._timeouts[seconds] = timeout
        return timeout

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        """Send ``request`` within the deadline ``timeout``; see :mod:`tcfunc.transport`."""
        try:
            urltimeout = self._timeouts[timeout]
        except (KeyError, TypeError):
            urltimeout = None
        if urltimeout is None:
            # A bad value is a ClientError here, never an OverflowError or
            # ValueError from the socket layer.
            timeout = check_timeout(timeout)
            urltimeout = self._timeout(timeout)
        deadline = _Deadline(_monotonic() + timeout, timeout, self._connect_timeout)
        url = request.url
        scheme, host = _split_url(url)
        failure: Optional[TencentCloudSDKException] = None
        route = None
        raw = None
        _current.deadline = deadline
        try:
            for _ in range(2):
                try:
                    route = self._route(scheme, host)
                    # A direct host's pool is kept and called with the path: it
                    # skips PoolManager's URL parsing and pool lookup, a measurable
                    # share of a loopback call. Proxies need the absolute URL.
                    target = (url[len(scheme) + 3 + len(host) :] or "/") if route.direct else url
                    raw = route.opener.urlopen(
                        request.method,
                        target,
                        body=request.body or None,
                        headers=request.headers,
                        retries=False,
                        redirect=False,
                        assert_same_host=False,
                        timeout=urltimeout,
                        # The body is read below, counted against the size
                        # limit and decoded by BodyDecoder, never by urllib3.
                        preload_content=False,
                        decode_content=False,
                    )
                    break
                except self._closed_pool:
                    # The manager closed a pool it evicted (more than num_pools
                    # hosts); nothing was sent, so look the route up again.
                    with self._lock:
                        self._routes.pop((scheme, host), None)
                except TencentCloudSDKException as exc:
                    failure = exc
                    break
                except self._errors as exc:
                    failure = self._network_error(exc, host, timeout, route)
                    break
                except Exception as exc:  # noqa: BLE001 - no foreign exception leaves a call
                    failure = NetworkError(
                        f"connection to {host} failed: {type(exc).__name__}", reached_server=True
                    )
                    break
            else:
                failure = NetworkError(
                    f"no usable connection pool for {host}", reached_server=False
                )
            if failure is None and raw is not None:
                if route is not None and not route.direct and raw.status == 407:
                    _drop(raw)
                    failure = proxy_authentication_required(route.proxy or "", host)
                elif stream:
                    # Headers are in: from now on each wait is an idle timeout.
                    deadline.at = None
                    return HttpResponse(
                        raw.status,
                        raw.headers,
                        chunks=self._stream(raw, host, timeout),
                        close=lambda: _release(raw),
                    )
                else:
                    body, failure = self._read(raw, host, timeout)
                    if failure is None:
                        return HttpResponse(raw.status, raw.headers, body)
        finally:
            _current.deadline = None
        # Raised here, outside every except block, so the error has no
        # __context__: urllib3's errors may quote a v1 GET's URL.
        raise failure or NetworkError(f"no answer from {host}", reached_server=True)

    def _read(
        self, raw: Any, host: str, timeout: float
    ) -> Tuple[bytes, Optional[TencentCloudSDKException]]:
        """The whole body, or the error that stopped it (the connection then dropped)."""
        limit = self._limit
        try:
            length = raw.length_remaining
            if raw.headers.get("Content-Encoding") is None and length is not None:
                if length > limit:
                    _drop(raw)
                    return b"", response_too_large(host, limit)
                # The common answer: known length, not encoded. urllib3 reads
                # it in one go and puts the connection back in the pool.
                return raw.read(decode_content=False), None
            decoder = BodyDecoder(raw.headers.get("Content-Encoding"), limit, host)
            parts = []
            read = raw.read
            while True:
                data = read(_CHUNK, decode_content=False)
                if not data:
                    break
                parts.append(decoder.feed(data))
            parts.append(decoder.end())
            return b"".join(parts), None
        except TencentCloudSDKException as exc:
            _drop(raw)
            return b"", exc
        except self._errors as exc:
            _drop(raw)
            return b"", self._network_error(exc, host, timeout, None)
        except Exception as exc:  # noqa: BLE001 - no foreign exception leaves a call
            _drop(raw)
            return b"", NetworkError(
                f"reading the answer from {host} failed: {type(exc).__name__}",
                reached_server=True,
            )

    def _stream(self, raw: Any, host: str, timeout: float) -> Iterator[bytes]:
        read1 = raw.read1
        decoder = BodyDecoder(raw.headers.get("Content-Encoding"), self._limit, host)
        # read1 returns as soon as some bytes have arrived, so an event is
        # handed on before the server sends the next one.
        while True:
            failure: Optional[TencentCloudSDKException] = None
            chunk = data = b""
            try:
                data = read1(_CHUNK, decode_content=False)
                chunk = decoder.feed(data) if data else decoder.end()
            except TencentCloudSDKException as exc:
                failure = exc
            except self._errors as exc:
                failure = self._network_error(exc, host, timeout, None, streaming=True)
            except Exception as exc:  # noqa: BLE001 - no foreign exception leaves a call
                failure = NetworkError(
                    f"reading the stream from {host} failed: {type(exc).__name__}",
                    reached_server=True,
                )
            if failure is not None:
                _drop(raw)
                raise failure
            if chunk:
                yield chunk
            if not data:
                return

    def _network_error(
        self,
        exc: BaseException,
        host: str,
        timeout: float,
        route: Optional[_Route],
        *,
        streaming: bool = False,
    ) -> TencentCloudSDKException:
        proxy = route.proxy if route is not None and not route.direct else None
        reason = _describe(exc)
        # Before the read timeout: a TLS handshake that times out is raised
        # by urllib3 as a ReadTimeoutError, but it happened while connecting.
        if isinstance(exc, self._connect_errors) or _failed_connecting(exc):
            if proxy is not None:
                status = _TUNNEL_STATUS.search(_chain_text(exc))
                if status is not None and status.group(1) == "407":
                    return proxy_authentication_required(proxy, host)
                if status is not None:
                    reason = f"the proxy refused the tunnel with HTTP {status.group(1)}"
            if _timed_out(exc):
                reason = f"timed out ({reason})"
            return connect_failed(host, reason, proxy)
        if isinstance(exc, self._read_timeout) or _timed_out(exc):
            return idle_timeout(host, timeout) if streaming else deadline_exceeded(host, timeout)
        return NetworkError(
            f"connection to {host} failed after the request was sent: {reason}",
            reached_server=True,
        )

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            self._routes.clear()
            self._direct.clear()
            for manager in self._proxies.values():
                manager.clear()


def _drop(raw: Any) -> None:
    """Close the answer and its connection: it is not reused (half read, or over the limit)."""
    with contextlib.suppress(Exception):
        connection = raw.connection
        raw.close()
        if connection is not None:
            connection.close()
        raw.release_conn()


def _release(raw: Any) -> None:
    # A fully read answer gives its connection back for reuse; one abandoned
    # half way (an SSE consumer that stopped early) must be closed first, or
    # the next request would read the rest of the stream as its answer.
    if not raw.closed:
        raw.close()
    raw.release_conn()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the exceptions in its ``args`` and its cause/context chain, each once."""
    todo = [exc]
    seen: Set[int] = set()
    while todo and len(seen) < 32:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        args = error.args if isinstance(error.args, tuple) else ()
        todo.extend(arg for arg in args if isinstance(arg, BaseException))
        todo.extend(link for link in (error.__cause__, error.__context__) if link is not None)


def _chain_text(exc: BaseException) -> str:
    return " | ".join(str(error) for error in _chain(exc))


def _timed_out(exc: BaseException) -> bool:
    return any(isinstance(error, (_SocketTimeout, TimeoutError)) for error in _chain(exc))


def _failed_connecting(exc: BaseException) -> bool:
    """Whether ``exc`` arose while connecting: marked by our connections, or a bad certificate.

    urllib3 wraps what the socket raised (``SSLError(err)``,
    ``ProtocolError(msg, err)``, ``ProxyError(msg, err)``, ``raise ... from
    err``), so the arguments and the cause and context chain are searched.
    """
    import ssl  # only on failures

    from urllib3.util.ssl_match_hostname import CertificateError

    return any(
        getattr(error, _CONNECT_FAILED, False)
        or isinstance(error, (ssl.SSLCertVerificationError, CertificateError))
        for error in _chain(exc)
    )


def _mark_connect_failure(exc: BaseException) -> None:
    with contextlib.suppress(AttributeError):  # an exception type without a __dict__
        setattr(exc, _CONNECT_FAILED, True)


def _start_prewarm(pool: Any, count: int, timeout: float) -> None:
    """Open ``count`` connections to ``pool``'s host in the background and pool them.

    ``HttpProfile.pre_conn_pool_size``: the first calls to a host then find
    connected sockets waiting. Failures are ignored; a call that needs a
    connection opens its own. Each connect is bounded by ``timeout``.
    """

    def warm() -> None:
        connections = []
        try:
            for _ in range(count):
                connection = pool._get_conn()
                connections.append(connection)
                if connection.sock is None:
                    connection.timeout = timeout
                    connection.connect()
        except Exception:  # noqa: BLE001, S110 - pre-warming is best effort
            pass
        finally:
            for connection in connections:
                with contextlib.suppress(Exception):
                    pool._put_conn(connection)

    threading.Thread(target=warm, name="tcfunc-prewarm", daemon=True).start()


_POOL_CLASSES: Dict[bool, Dict[str, Any]] = {}
# Bodies up to this size ride in the same write as the header block.
_ONE_WRITE_LIMIT = 64 * 1024


def _pool_classes(*, quiet: bool) -> Dict[str, Any]:
    """Pool classes whose connections keep the deadline and mark errors raised while connecting.

    With ``quiet`` (verification off, warned about once already) a TLS
    connection also reports itself verified, which stops urllib3's
    per-request ``InsecureRequestWarning``: warning filters are global, so
    changing them would touch the application's.
    """
    classes = _POOL_CLASSES.get(quiet)
    if classes is not None:
        return classes
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    bounded_response = _response_class()

    class _OneWrite:
        """Send a small request's header block and body in one write.

        http.client writes the header block, then urllib3 writes the body:
        two syscalls, and on loopback the second costs as much as the
        client's own work for a whole call. The header block is held back
        and sent with the first body write; if no body write follows, it is
        sent on its own, so the bytes on the wire never change.
        """

        _held: Optional[bytes] = None
        _hold = False

        def request(
            self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any
        ) -> None:
            self._hold = isinstance(body, bytes) and 0 < len(body) <= _ONE_WRITE_LIMIT
            try:
                super().request(method, url, body=body, headers=headers, **kw)  # type: ignore[misc]
            except BaseException:
                self._held = None
                raise
            finally:
                self._hold = False
            held, self._held = self._held, None
            if held is not None:
                self._write(held)

        def send(self, data: Any) -> None:
            if self._hold:
                if self._held is None:
                    self._held = bytes(data)
                    return
                data = self._held + bytes(data)
                self._held = None
                self._hold = False
            self._write(data)

        def _write(self, data: Any) -> None:
            # A kept-alive socket still has the last call's timeout: give
            # the write what this attempt's deadline leaves.
            sock = self.sock  # type: ignore[attr-defined]
            deadline = _current.deadline
            if sock is not None and deadline is not None:
                _bound(sock, deadline)
            super().send(data)  # type: ignore[misc]

    class _Bounded:
        """Connect within the deadline; mark errors raised while connecting (nothing was sent)."""

        response_class = bounded_response

        def connect(self) -> None:
            deadline = _current.deadline
            if deadline is not None:
                # urllib3 set self.timeout to the connect timeout; never
                # more than what the attempt has left.
                try:
                    left = deadline.left()
                except _SocketTimeout as exc:
                    _mark_connect_failure(exc)
                    raise
                me: Any = self
                current = me.timeout
                me.timeout = left if current is None else min(current, left)
            try:
                super().connect()  # type: ignore[misc]
            except BaseException as exc:
                _mark_connect_failure(exc)
                raise

        def _new_conn(self) -> Any:
            sock = super()._new_conn()  # type: ignore[misc]
            deadline = _current.deadline
            if deadline is not None:
                # The proxy's tunnel and the TLS handshake come next: they get
                # what is left, not a fresh connect timeout.
                left = max(deadline.left(), 0.001)
                if deadline.connect is not None:
                    left = min(left, deadline.connect)
                sock.settimeout(left)
            return sock

    class _Connection(_OneWrite, _Bounded, HTTPConnection):
        pass

    class _TLSConnection(_OneWrite, _Bounded, HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            if quiet:
                self.is_verified = True

    class _Pool(HTTPConnectionPool):
        ConnectionCls = _Connection

    class _TLSPool(HTTPSConnectionPool):
        ConnectionCls = _TLSConnection

    classes = {"http": _Pool, "https": _TLSPool}
    _POOL_CLASSES[quiet] = classes
    return classes


class _RedactQueries(logging.Filter):
    """Masks secret fields in the request targets urllib3 logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) and "=" in arg else arg for arg in args
            )
        return True


_FILTER_LOCK = threading.Lock()


def _redact_urllib3_logs() -> None:
    log = logging.getLogger("urllib3.connectionpool")
    with _FILTER_LOCK:
        if not any(isinstance(f, _RedactQueries) for f in log.filters):
            redacting = _RedactQueries()
            log.addFilter(redacting)
            atexit.register(_drop_at_exit, log, redacting)


def _drop_at_exit(log: logging.Logger, redacting: _RedactQueries) -> None:
    """At interpreter exit, swap the redacting filter for one that drops the logger's records.

    The logging module lives until the very end of the interpreter's
    shutdown, and with it whatever its loggers' filters reach: from this
    filter, this module and, through ``typing``'s overload registry, nearly
    every loaded module, which then all take the slow path of the shutdown
    (about a millisecond of every short-lived process). A plain
    ``logging.Filter`` that matches no record reaches nothing, and nothing
    urllib3 logs while the process ends goes out unredacted.
    """
    log.addFilter(logging.Filter(_NO_RECORD))
    log.removeFilter(redacting)


# A logger name no record has: logging.Filter(_NO_RECORD) lets no record through.
_NO_RECORD = "\x00tcfunc: none"


# ------------------------------------------------------------------ sharing


class _Shared:
    """One transport and the number of clients using it."""

    __slots__ = ("key", "transport", "users")

    def __init__(self, key: Tuple[Any, ...], transport: Urllib3Transport) -> None:
        self.key = key
        self.transport = transport
        self.users = 0


_registry: Dict[Tuple[Any, ...], _Shared] = {}
_registry_lock = threading.Lock()


def acquire(http: HttpProfile) -> Tuple[Transport, Callable[[], None]]:
    """The shared transport for ``http``'s connection settings, and its release function.

    A urllib3 pool manager and its pools cost more memory than a client
    (about 9 KiB of the 11 KiB a client holds after its first call), and
    clients for many services and regions with one profile can share them:
    pools are keyed by host, and the transport is thread-safe. The key is
    everything the transport reads when built: proxy, certification, pool
    size, connect timeout, size limit, pre-warming, and the proxy variables
    of the environment at this moment. Each ``acquire`` must be matched by
    one call of its release function (calling it again does nothing); the
    last release closes the pools.
    """
    env = proxy_environment()
    key = (
        http.proxy,
        http.certification,
        http.pool_size,
        getattr(http, "connectTimeout", None),
        getattr(http, "max_response_size", None),
        getattr(http, "pre_conn_pool_size", 0),
        tuple(sorted(env.items())),
    )
    with _registry_lock:
        shared = _registry.get(key)
        if shared is None:
            shared = _registry[key] = _Shared(key, Urllib3Transport(http, env))
        shared.users += 1
    released = [False]

    def release() -> None:
        with _registry_lock:
            if released[0]:
                return
            released[0] = True
            shared.users -= 1
            last = shared.users == 0 and _registry.get(shared.key) is shared
            if last:
                del _registry[shared.key]
        if last:
            shared.transport.close()

    return shared.transport, release
