"""The edge's interface: transport protocols and the values they exchange.

A transport sends a :class:`~tcfunc.request.PreparedRequest` and hands back
an :class:`HttpResponse` (:class:`Transport`, sync) or an
:class:`AsyncHttpResponse` (:class:`AsyncTransport`, asyncio). The defaults
are :class:`Urllib3Transport` (in :mod:`tcfunc._urllib3`, loaded on first
use so that ``import tcfunc.transport`` loads no urllib3) and the aiohttp
transport of :mod:`tcfunc.aio`; anything with the same ``send`` can take
their place, which is how :class:`tcfunc.testing.FakeTransport` plugs in.

This module also holds the rules both default transports follow, so they
behave alike:

**What a deadline bounds.** The ``timeout`` given to ``send`` (the client
passes ``HttpProfile.reqTimeout``) is a deadline for one attempt: from the
moment ``send`` is called, connecting (TCP, the proxy's tunnel, the TLS
handshake), sending the request, the answer's status line and headers and,
unless streamed, its whole body must be done within ``timeout`` seconds,
whatever the server does (dribbling headers or body a byte at a time,
stalling). ``HttpProfile.connectTimeout``, when set, bounds connecting more
tightly; it never extends the deadline. With ``stream=True`` (server-sent
events) the deadline covers everything up to the answer's headers; after
that each wait for the next piece of the body is bounded by ``timeout`` (an
idle timeout) and the stream as a whole is not, since a model may
legitimately stream for minutes. Name resolution (DNS) is done by the
operating system's resolver and is not bounded by tcfunc. A retry policy
gives each attempt a fresh deadline.

**How big an answer may be.** The decoded body (after ``gzip``/``deflate``,
which tcfunc never asks for but decodes when a server sends them) may hold
at most ``HttpProfile.max_response_size`` bytes (default
:data:`DEFAULT_MAX_RESPONSE_SIZE`, 64 MiB), counted as it is read, streamed
or not; past it the transport raises ``ClientError.ResponseTooLarge``
(:func:`response_too_large`) and drops the connection.

**Which proxy.** :func:`proxy_environment` reads ``HTTP(S)_PROXY`` and
``NO_PROXY`` as the standard library does, without importing
:mod:`urllib.request`; :func:`select_proxy` applies the profile's proxy or
those variables with the standard library's ``NO_PROXY`` rules.

**How failures read.** Every network failure is a :class:`NetworkError`
(code ``ClientNetworkError``) whose message names the host (and the proxy,
without its user info, when one is used) and never carries a query string,
token, key or signature, and which has no exception chain (the foreign
error may quote a v1 URL with its ``Signature``). ``reached_server`` says
whether the request may have reached the server, which decides whether a
non-idempotent call may be retried: only a failure while connecting (DNS,
refused, connect timeout, TLS handshake and certificate, the proxy or its
tunnel) counts as "not reached".
"""

from __future__ import annotations

import os
from collections import abc
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
    Tuple,
)

from .errors import TencentCloudSDKException
from .profile import (
    DEFAULT_MAX_RESPONSE_SIZE,
    MAX_POOL_SIZE,
    MAX_RESPONSE_SIZE,
    MAX_TIMEOUT,
)

if TYPE_CHECKING:
    from .request import PreparedRequest

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "MAX_POOL_SIZE",
    "MAX_RESPONSE_SIZE",
    "MAX_TIMEOUT",
    "AsyncHttpResponse",
    "AsyncTransport",
    "BodyDecoder",
    "Headers",
    "HttpResponse",
    "NetworkError",
    "Transport",
    "Urllib3Transport",  # noqa: F822 - resolved by the module __getattr__
    "check_timeout",
    "connect_failed",
    "deadline_exceeded",
    "idle_timeout",
    "proxy_authentication_required",
    "proxy_environment",
    "response_too_large",
    "select_proxy",
]


def __getattr__(name: str) -> Any:
    # The urllib3 transport lives in its own module so that importing this
    # one (for the protocols, in type hints and user transports) loads no
    # urllib3; the old import path keeps working.
    if name == "Urllib3Transport":
        from ._urllib3 import Urllib3Transport

        return Urllib3Transport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


# The base class: the typed one for checkers, the plain ABC at run time
# (subscripting typing's alias, and its Generic base, costs at import).
if TYPE_CHECKING:
    _StrMapping = Mapping[str, str]
else:
    _StrMapping = abc.Mapping


class Headers(_StrMapping):
    """A read-only, case-insensitive header mapping that keeps the names' spelling."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[Tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, abc.Mapping) else items
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

    @property
    def loaded(self) -> Optional[bytes]:
        """The whole body if it is known already (None while it is still to be read)."""
        return self._body

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

        ``timeout`` is the deadline of this attempt in seconds (see the
        module notes: connect, send, headers and, unless ``stream``, the whole
        body). With ``stream`` the body is not read before returning
        (server-sent events) and each later wait for it is bounded by
        ``timeout``.
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

    @property
    def loaded(self) -> Optional[bytes]:
        """The whole body if it is known already (None while it is still to be read)."""
        return self._body

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
    SDK. Otherwise ``environment`` (as from :func:`proxy_environment`:
    ``https``, ``http``, ``no`` keys) is read with the standard library's
    rules, including ``NO_PROXY`` suffix matching by domain (never substring
    matching). :mod:`urllib.request` is imported only when a proxy variable
    applies, for its ``NO_PROXY`` matching.
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


def proxy_environment(environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The ``*_proxy`` variables of ``environ`` (default ``os.environ``), read as the stdlib does.

    Returns ``{"https": ..., "http": ..., "no": ...}`` (only those set), the
    same answer as :func:`urllib.request.getproxies_environment` without
    importing it (about 20 ms of a cold start): names in any case, the
    all-lowercase spelling winning and an empty lowercase value removing
    the entry, and ``HTTP_PROXY`` in upper case ignored under CGI (when
    ``REQUEST_METHOD`` is set, where a client's ``Proxy:`` header becomes
    that variable).
    """
    env = os.environ if environ is None else environ
    proxies: Dict[str, str] = {}
    for name, value in env.items():
        lower = name.lower()
        if value and lower[-6:] == "_proxy":
            proxies[lower[:-6]] = value
    if "REQUEST_METHOD" in env:
        proxies.pop("http", None)
    for name, value in env.items():
        if name[-6:] == "_proxy":
            if value:
                proxies[name[:-6].lower()] = value
            else:
                proxies.pop(name[:-6].lower(), None)
    return proxies


def check_timeout(timeout: Any) -> float:
    """``timeout`` as a float deadline in seconds, or ``ClientError`` if it cannot be one.

    A transport calls this at its edge so that a value built without an
    :class:`~tcfunc.profile.HttpProfile` (NaN, infinity, a negative, 1e10)
    fails as a ``ClientError`` and never as an ``OverflowError`` or
    ``ValueError`` from the socket layer.
    """
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout <= MAX_TIMEOUT
    ):
        raise TencentCloudSDKException(
            "ClientError",
            f"the timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
            f"got {timeout!r}",
        )
    return float(timeout)


def deadline_exceeded(host: str, timeout: float) -> NetworkError:
    """The answer from ``host`` was not complete within the attempt's deadline."""
    return NetworkError(
        f"timed out: no complete answer from {host} within {timeout:g}s (HttpProfile.reqTimeout "
        "bounds connect, send, headers and body together)",
        reached_server=True,
    )


def idle_timeout(host: str, timeout: float) -> NetworkError:
    """A streamed answer from ``host`` sent nothing for ``timeout`` seconds."""
    return NetworkError(
        f"timed out: the stream from {host} sent nothing for {timeout:g}s (HttpProfile.reqTimeout "
        "bounds each wait for the next event)",
        reached_server=True,
    )


def connect_failed(host: str, reason: str, proxy: Optional[str] = None) -> NetworkError:
    """Connecting to ``host`` (through ``proxy``, a URL without user info) failed."""
    where = f"{host} through the proxy {proxy}" if proxy else host
    return NetworkError(f"could not connect to {where}: {reason}", reached_server=False)


def proxy_authentication_required(proxy: str, host: str) -> TencentCloudSDKException:
    """The proxy (a URL without user info) answered 407 for a request to ``host``."""
    return TencentCloudSDKException(
        "ClientError.ProxyAuthenticationRequired",
        f"the proxy {proxy} answered 407 Proxy Authentication Required for {host}: proxy "
        "authentication required; give the credentials in the proxy URL, "
        "http://user:password@host:port (HttpProfile.proxy or HTTPS_PROXY)",
    )


def response_too_large(host: str, limit: int) -> TencentCloudSDKException:
    """The answer from ``host`` exceeds ``HttpProfile.max_response_size``."""
    return TencentCloudSDKException(
        "ClientError.ResponseTooLarge",
        f"the answer from {host} is larger than {limit} bytes "
        "(HttpProfile.max_response_size); the connection was dropped",
    )


class BodyDecoder:
    """Decodes a body as it arrives and counts it against a size limit.

    ``Content-Encoding`` ``gzip``/``x-gzip`` and ``deflate`` (zlib or raw)
    are decoded with a bound on the output of every step, so a small
    compressed answer can never expand past ``limit`` in memory; any other
    coding (tcfunc sends no ``Accept-Encoding``, so a server has no reason to
    use one) is handed on as it came, and counted. :meth:`feed` raises
    ``ClientError.ResponseTooLarge`` (:func:`response_too_large`) once more
    than ``limit`` bytes came out, and ``ClientNetworkError`` for a body that
    does not decode.
    """

    __slots__ = ("_host", "_limit", "_members", "_mode", "_total", "_zlib", "_zobj")

    def __init__(self, encoding: Optional[str], limit: int, host: str) -> None:
        coding = (encoding or "").strip().lower()
        self._mode = coding if coding in ("gzip", "x-gzip", "deflate") else ""
        self._limit = limit
        self._host = host
        self._total = 0
        self._members = 0
        self._zlib: Any = None
        self._zobj: Any = None
        if self._mode:
            import zlib  # only for a compressed answer

            self._zlib = zlib
            # 16 + MAX_WBITS: a gzip member; MAX_WBITS: a zlib stream.
            self._zobj = zlib.decompressobj(31 if self._mode != "deflate" else 15)

    @property
    def total(self) -> int:
        """Decoded bytes so far."""
        return self._total

    def feed(self, data: bytes) -> bytes:
        """The decoded bytes of ``data`` (possibly empty)."""
        if not self._mode:
            self._count(len(data))
            return data
        if self._mode == "done":
            return b""
        return self._inflate(data)

    def _count(self, size: int) -> None:
        self._total += size
        if self._total > self._limit:
            raise response_too_large(self._host, self._limit)

    def _inflate(self, data: bytes) -> bytes:
        zlib = self._zlib
        out = []
        while data:
            # One byte past the limit is enough to know it is exceeded.
            room = self._limit - self._total + 1
            broken = False
            try:
                piece = self._zobj.decompress(data, room)
            except zlib.error:
                broken = True
            if broken:
                # Outside the except block: a ClientNetworkError raised by
                # _recover carries no zlib error in its chain.
                recovered = self._recover(data)
                if recovered is None:
                    break
                piece = recovered
            if piece:
                self._count(len(piece))
                out.append(piece)
            if self._zobj.eof:
                # Another gzip member may follow (concatenated gzip is valid).
                data = self._zobj.unused_data
                if data and self._mode in ("gzip", "x-gzip"):
                    self._members += 1
                    self._zobj = zlib.decompressobj(31)
                    continue
                break
            data = self._zobj.unconsumed_tail
        return b"".join(out)

    def _recover(self, data: bytes) -> Optional[bytes]:
        zlib = self._zlib
        if self._members:
            # Bytes after a complete gzip member that are not gzip: ignored,
            # as browsers and urllib3 do.
            self._zobj = zlib.decompressobj(31)
            self._mode = "done"
            return None
        if self._mode == "deflate" and self._total == 0:
            # "deflate" is meant to be a zlib stream; some servers send raw deflate.
            self._mode = "raw-deflate"
            self._zobj = zlib.decompressobj(-15)
            try:
                piece: bytes = self._zobj.decompress(data, self._limit - self._total + 1)
            except zlib.error:
                piece = b""
            else:
                return piece
        raise NetworkError(
            f"the answer from {self._host} does not decode as its Content-Encoding says "
            f"({self._mode.replace('raw-', '')})",
            reached_server=True,
        )

    def end(self) -> bytes:
        """What the decoder still holds once the body has ended."""
        if not self._mode or self._mode == "done":
            return b""
        piece: bytes = self._zobj.flush()
        if piece:
            self._count(len(piece))
        return piece
