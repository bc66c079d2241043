"""The executor: the only module that talks HTTP.

:class:`Urllib3Transport` sends a :class:`~tcfunc.request.PreparedRequest`
with urllib3 and hands back an :class:`HttpResponse`. Anything with the same
``send`` method (:class:`Transport`) can take its place, which is how
:class:`tcfunc.testing.FakeTransport` plugs into a client.

urllib3 is imported when the first :class:`Urllib3Transport` is built, never
when this module is imported, so ``import tcfunc`` stays cheap.

Every failure leaves here as :class:`NetworkError` (code
``ClientNetworkError``), whose message names the host and what went wrong and
never carries a query string, token, key or signature, and whose
``reached_server`` says whether the request may have reached the server
(which decides whether a non-idempotent call may be retried). Only a failure
while connecting counts as "not reached": DNS, connection refused or timed
out, the TLS handshake (certificate verification included), the proxy or
its tunnel. The pools' connections mark any error raised while they connect,
so that this holds whatever urllib3 wraps the error in; every failure after
that, an ``SSLError`` while reading the answer included, may have reached it.

urllib3 2 is required. urllib3's own debug lines name the request target,
which for a v1 GET carries ``Signature``, ``Token`` and ``SecretId``: a
filter on its ``urllib3.connectionpool`` logger masks those (and any other
secret-named field) in its records.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import warnings
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    Iterator,
    Mapping,
    Optional,
    Protocol,
    Set,
    Tuple,
    Type,
)
from urllib.parse import unquote, urlsplit, urlunsplit

from ._logging import redact_query
from .errors import TencentCloudSDKException
from .profile import HttpProfile

if TYPE_CHECKING:
    from .request import PreparedRequest

__all__ = [
    "AsyncHttpResponse",
    "AsyncTransport",
    "Headers",
    "HttpResponse",
    "NetworkError",
    "Transport",
    "Urllib3Transport",
    "select_proxy",
]

# Streamed reads ask for at most this much; read1 returns what has arrived.
_CHUNK = 64 * 1024
_QUERY = re.compile(r"\?[^\s'\"]*")
# Set on an exception raised while a pool's connection was connecting.
_CONNECT_FAILED = "_tcfunc_connect_failed"


class NetworkError(TencentCloudSDKException):
    """``ClientNetworkError`` that knows whether the server may have seen the request.

    ``reached_server`` is False for failures before a byte of the request
    could reach the server (DNS, connect refused or timed out, TLS handshake
    or certificate, proxy unreachable or refusing the tunnel) and True
    otherwise (read timeout, connection reset or TLS error while waiting for
    or reading the answer). A plain
    ``TencentCloudSDKException("ClientNetworkError")`` from elsewhere is
    treated as True, the safe assumption.
    """

    def __init__(self, message: str, *, reached_server: bool) -> None:
        super().__init__("ClientNetworkError", message)
        self.reached_server = reached_server


class Headers(Mapping[str, str]):
    """A read-only, case-insensitive header mapping that keeps the names' spelling."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[Tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: Dict[str, Tuple[str, str]] = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class HttpResponse:
    """An HTTP answer: ``status``, case-insensitive ``headers``, and a body.

    The body is either known (``body=``) or streamed (``chunks=``, with
    ``close=`` to give the connection back). :meth:`read` returns the whole
    body; :meth:`iter_chunks` yields it as it arrives.
    """

    __slots__ = ("_body", "_chunks", "_closer", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        body: Optional[bytes] = None,
        *,
        chunks: Optional[Iterable[bytes]] = None,
        close: Optional[Callable[[], None]] = None,
    ) -> None:
        self.status = status
        # A plain dict (from a test or a user transport) gets case-insensitive
        # lookups; urllib3's HTTPHeaderDict already has them and passes as is.
        self.headers: Mapping[str, str] = Headers(headers) if type(headers) is dict else headers
        self._body = body if body is not None or chunks is not None else b""
        self._chunks = chunks
        self._closer = close

    @property
    def data(self) -> bytes:
        """The whole body (read on first use)."""
        return self.read()

    def read(self) -> bytes:
        """The whole body; a streamed body is read to its end and the response closed."""
        if self._body is None:
            try:
                self._body = b"".join(self._chunks or ())
            finally:
                self._chunks = None
                self.close()
        return self._body

    def iter_chunks(self) -> Iterator[bytes]:
        """The body in pieces as they arrive; closes the response at the end."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        chunks, self._chunks = self._chunks, None
        try:
            for chunk in chunks or ():
                if chunk:
                    yield chunk
        finally:
            self.close()

    def close(self) -> None:
        """Release the connection (idempotent)."""
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()


class Transport(Protocol):
    """What a client needs from an HTTP executor."""

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        """Send ``request``; raise ``TencentCloudSDKException`` (``ClientNetworkError``) on failure.

        ``timeout`` is used for connecting and for each read. With ``stream``
        the body is not read before returning (server-sent events).
        """
        ...


class AsyncHttpResponse:
    """An HTTP answer for the asyncio client: :class:`HttpResponse` with awaited reads.

    The body is known (``body=``) or streamed (``chunks=``, an async iterable,
    with ``close=`` an async callable that gives the connection back).
    """

    __slots__ = ("_body", "_chunks", "_closer", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        body: Optional[bytes] = None,
        *,
        chunks: Optional[AsyncIterable[bytes]] = None,
        close: Optional[Callable[[], Awaitable[None]]] = None,
    ) -> None:
        self.status = status
        self.headers: Mapping[str, str] = Headers(headers) if type(headers) is dict else headers
        self._body = body if body is not None or chunks is not None else b""
        self._chunks = chunks
        self._closer = close

    async def read(self) -> bytes:
        """The whole body; a streamed body is read to its end and the response closed."""
        if self._body is None:
            parts = []
            try:
                async for chunk in self._chunks or _no_chunks():
                    parts.append(chunk)
            finally:
                self._chunks = None
                await self.aclose()
            self._body = b"".join(parts)
        return self._body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body in pieces as they arrive; closes the response at the end."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        chunks, self._chunks = self._chunks, None
        try:
            async for chunk in chunks or _no_chunks():
                if chunk:
                    yield chunk
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        closer, self._closer = self._closer, None
        if closer is not None:
            await closer()


async def _no_chunks() -> AsyncIterator[bytes]:
    empty: Tuple[bytes, ...] = ()
    for chunk in empty:  # an async generator that yields nothing
        yield chunk


class AsyncTransport(Protocol):
    """What an asyncio client needs from an HTTP executor (see :class:`Transport`)."""

    async def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> AsyncHttpResponse:
        """Send ``request``; raise ``TencentCloudSDKException`` (``ClientNetworkError``) on failure.

        ``timeout`` has the meaning it has for :meth:`Transport.send`.
        """
        ...

    async def aclose(self) -> None:
        """Close every pooled connection."""
        ...


def _split_url(url: str) -> Tuple[str, str]:
    # prepare_request builds "<scheme>://<host>/..."; plain string work is
    # cheaper than a URL parser on every call.
    scheme, _, rest = url.partition("://")
    return scheme.lower(), rest.split("/", 1)[0].split("?", 1)[0]


def select_proxy(
    scheme: str, host: str, configured: Optional[str], environment: Mapping[str, str]
) -> Optional[str]:
    """The proxy URL to use for ``scheme://host``, or None to go direct.

    ``configured`` (``HttpProfile.proxy``) always applies, as in the official
    SDK. Otherwise ``environment`` (as from
    :func:`urllib.request.getproxies_environment`: ``https``, ``http``, ``no``
    keys) is read with the standard library's rules, including ``NO_PROXY``
    suffix matching by domain (never substring matching).
    """
    if configured:
        return configured if "://" in configured else "http://" + configured
    proxy = environment.get(scheme)
    if not proxy:
        return None
    import urllib.request

    # Not in typeshed, but public since Python 3.0.
    if urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
        host, dict(environment)
    ):
        return None
    return proxy if "://" in proxy else "http://" + proxy


def _describe(exc: BaseException) -> str:
    """A short reason for ``exc``: class and message, query strings removed."""
    reason: BaseException = exc
    # urllib3 wraps the interesting error (ProtocolError(msg, OSError(...))).
    for arg in getattr(exc, "args", ())[1:]:
        if isinstance(arg, BaseException):
            reason = arg
    text = str(reason) or type(reason).__name__
    return _QUERY.sub("", text)[:300]


class Urllib3Transport:
    """The default executor: urllib3 pools (or proxy pools), one per host.

    Safe to share between threads; connections are kept alive and pooled
    (``HttpProfile.pool_size`` per host). urllib3's own retries and redirects
    are off, so tcfunc's retry policy alone decides. TLS is verified against
    the system's CA store, or ``HttpProfile.certification`` when it names a
    bundle; ``certification=False`` turns verification off with one
    :class:`urllib3.exceptions.InsecureRequestWarning` here instead of one per
    request.

    Proxies: ``HttpProfile.proxy`` when set (credentials in its URL become a
    ``Proxy-Authorization`` header), else ``HTTPS_PROXY`` / ``HTTP_PROXY`` /
    ``NO_PROXY`` from the environment as read once when the transport is
    built, with the standard library's rules.
    """

    def __init__(self, http_profile: HttpProfile) -> None:
        import urllib.request
        from http.client import HTTPException

        import urllib3
        from urllib3 import exceptions as u3e

        self._profile = http_profile
        self._u3 = urllib3
        self._env_proxies = urllib.request.getproxies_environment()
        verify = http_profile.certification is not False
        kw: Dict[str, Any] = {
            # One transport serves every client with the same settings (see
            # client._SharedTransport), so many services and regions' hosts.
            "num_pools": 128,
            "maxsize": http_profile.pool_size,
            "block": False,
            "retries": False,
        }
        if verify:
            kw["cert_reqs"] = "CERT_REQUIRED"
            if isinstance(http_profile.certification, str):
                kw["ca_certs"] = http_profile.certification
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
        # (scheme, host) -> (pool or proxy manager, direct); a client talks to
        # one or two hosts, so the proxy decision is made once per host.
        self._routes: Dict[Tuple[str, str], Tuple[Any, bool]] = {}
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
        # read that it does not wrap; all of them become NetworkError.
        self._errors: Tuple[Type[BaseException], ...] = (
            u3e.HTTPError,
            OSError,
            ValueError,
            HTTPException,
        )
        _redact_urllib3_logs()

    def _new_manager(self, proxy: Optional[str]) -> Any:
        urllib3 = self._u3
        if proxy is None:
            manager = urllib3.PoolManager(**self._pool_kw)
        else:
            parts = urlsplit(proxy)
            headers = None
            if parts.username is not None or parts.password is not None:
                auth = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
                headers = urllib3.util.make_headers(proxy_basic_auth=auth)
            # The pool is given the URL without user info, so the password
            # cannot surface in urllib3's reprs or error messages.
            netloc = parts.hostname or ""
            if ":" in netloc:
                netloc = f"[{netloc}]"
            if parts.port is not None:
                netloc = f"{netloc}:{parts.port}"
            bare = urlunsplit((parts.scheme, netloc, "", "", ""))
            manager = urllib3.ProxyManager(bare, proxy_headers=headers, **self._pool_kw)
        manager.pool_classes_by_scheme = _pool_classes(quiet=not self._verify)
        return manager

    def _route(self, scheme: str, host: str) -> Tuple[Any, bool]:
        """``(opener, direct)``: a connection pool for direct hosts, else a ProxyManager."""
        key = (scheme, host)
        route = self._routes.get(key)
        if route is None:
            with self._lock:
                route = self._routes.get(key)
                if route is None:
                    route = self._new_route(scheme, host)
                    self._routes[key] = route
        return route

    def _new_route(self, scheme: str, host: str) -> Tuple[Any, bool]:
        proxy = select_proxy(scheme, host, self._profile.proxy, self._env_proxies)
        if proxy is None:
            parsed = self._u3.util.parse_url(f"{scheme}://{host}")
            pool = self._direct.connection_from_host(parsed.host, parsed.port, scheme)
            return pool, True
        manager = self._proxies.get(proxy)
        if manager is None:
            manager = self._new_manager(proxy)
            self._proxies[proxy] = manager
        return manager, False

    def _timeout(self, seconds: float) -> Any:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._u3.Timeout(connect=seconds, read=seconds)
            self._timeouts[seconds] = timeout
        return timeout

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        """Send ``request``; see :class:`Transport`."""
        url = request.url
        scheme, host = _split_url(url)
        for _ in range(2):
            try:
                opener, direct = self._route(scheme, host)
                # A direct host's pool is kept and called with the path: it
                # skips PoolManager's URL parsing and pool lookup, a measurable
                # share of a loopback call. Proxies need the absolute URL.
                target = (url[len(scheme) + 3 + len(host) :] or "/") if direct else url
                # preload_content reads the whole body inside urlopen and puts
                # the connection back in the pool at once: the cheapest path.
                raw = opener.urlopen(
                    request.method,
                    target,
                    body=request.body or None,
                    headers=request.headers,
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                    timeout=self._timeout(timeout),
                    preload_content=not stream,
                )
                break
            except self._closed_pool:
                # The manager closed a pool it evicted (more than num_pools
                # hosts); nothing was sent, so look the route up again.
                with self._lock:
                    self._routes.pop((scheme, host), None)
            except self._errors as exc:
                raise self._network_error(exc, host, timeout) from None
        else:
            raise NetworkError(f"no usable connection pool for {host}", reached_server=False)
        if not stream:
            return HttpResponse(raw.status, raw.headers, raw.data)
        return HttpResponse(
            raw.status,
            raw.headers,
            chunks=self._stream(raw, host, timeout),
            close=lambda: _release(raw),
        )

    def _stream(self, raw: Any, host: str, timeout: float) -> Iterator[bytes]:
        read1 = raw.read1
        try:
            # read1 returns as soon as some bytes have arrived, so an event is
            # handed on before the server sends the next one.
            while True:
                chunk = read1(_CHUNK)
                if not chunk:
                    return
                yield chunk
        except self._errors as exc:
            raise self._network_error(exc, host, timeout) from None

    def _network_error(self, exc: BaseException, host: str, timeout: float) -> NetworkError:
        reason = _describe(exc)
        # Before the read timeout: a TLS handshake that times out is raised
        # by urllib3 as a ReadTimeoutError, but it happened while connecting.
        if isinstance(exc, self._connect_errors) or _failed_connecting(exc):
            return NetworkError(f"could not connect to {host}: {reason}", reached_server=False)
        if isinstance(exc, self._read_timeout):
            return NetworkError(
                f"read from {host} timed out after {timeout:g}s", reached_server=True
            )
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


def _release(raw: Any) -> None:
    # A fully read answer gives its connection back for reuse; one abandoned
    # half way (an SSE consumer that stopped early) must be closed first, or
    # the next request would read the rest of the stream as its answer.
    if not raw.closed:
        raw.close()
    raw.release_conn()


def _failed_connecting(exc: BaseException) -> bool:
    """Whether ``exc`` arose while connecting: marked by our connections, or a bad certificate.

    urllib3 wraps what the socket raised (``SSLError(err)``,
    ``ProtocolError(msg, err)``, ``ProxyError(msg, err)``, ``raise ... from
    err``), so the arguments and the cause and context chain are searched.
    """
    import ssl  # only on failures; keeps import tcfunc.client light

    from urllib3.util.ssl_match_hostname import CertificateError

    todo = [exc]
    seen: Set[int] = set()
    while todo and len(seen) < 32:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if getattr(error, _CONNECT_FAILED, False) or isinstance(
            error, (ssl.SSLCertVerificationError, CertificateError)
        ):
            return True
        args = error.args if isinstance(error.args, tuple) else ()
        todo.extend(arg for arg in args if isinstance(arg, BaseException))
        todo.extend(link for link in (error.__cause__, error.__context__) if link is not None)
    return False


def _mark_connect_failure(exc: BaseException) -> None:
    with contextlib.suppress(AttributeError):  # an exception type without a __dict__
        setattr(exc, _CONNECT_FAILED, True)


_POOL_CLASSES: Dict[bool, Dict[str, Any]] = {}
# Bodies up to this size ride in the same write as the header block.
_ONE_WRITE_LIMIT = 64 * 1024


def _pool_classes(*, quiet: bool) -> Dict[str, Any]:
    """Pool classes whose connections mark errors raised while connecting.

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
                super().send(held)  # type: ignore[misc]

        def send(self, data: Any) -> None:
            if self._hold:
                if self._held is None:
                    self._held = bytes(data)
                    return
                data = self._held + bytes(data)
                self._held = None
                self._hold = False
            super().send(data)  # type: ignore[misc]

    class _MarkConnectFailures:
        """Errors raised while connecting are marked: nothing was sent yet."""

        def connect(self) -> None:
            try:
                super().connect()  # type: ignore[misc]
            except BaseException as exc:
                _mark_connect_failure(exc)
                raise

    class _Connection(_OneWrite, _MarkConnectFailures, HTTPConnection):
        pass

    class _TLSConnection(_OneWrite, _MarkConnectFailures, HTTPSConnection):
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
            log.addFilter(_RedactQueries())
