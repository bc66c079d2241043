"""The asyncio client's default transport, on aiohttp (the optional extra ``aio``).

:class:`AiohttpTransport` is :class:`tcfunc.transport.AsyncTransport` for
:class:`tcfunc.transport.Urllib3Transport`'s asyncio twin: the same bytes on
the wire, the same deadline and size-limit rules, the same error codes and
the same connect-versus-after-send classification, so one retry-safety rule
serves both clients.

aiohttp is imported when the first transport is built, never by ``import
tcfunc`` or the sync client; without it, building one raises ``ClientError``
naming ``pip install 'tcfunc[aio]'``.

One event loop: the ``ClientSession`` is made on the first :meth:`send`,
inside the running loop, and belongs to it. A send from another loop while
that session is open raises ``ClientError`` (aiohttp's connections cannot
cross loops); after :meth:`aclose` the next send opens a new session in its
own loop, so one client can serve successive ``asyncio.run`` calls if it is
closed at the end of each.
"""

from __future__ import annotations

import asyncio
import re
import warnings
import weakref
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import TencentCloudSDKException, detach
from .profile import HttpProfile
from .transport import AsyncHttpResponse, NetworkError, select_proxy

if TYPE_CHECKING:
    import ssl

    from .request import PreparedRequest

__all__ = ["DEFAULT_MAX_RESPONSE_SIZE", "AiohttpTransport"]

#: Bytes of decoded body accepted when the profile does not say (``max_response_size``).
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
_LIMIT_FIELD = "max_response_size"
# URL objects kept per URL string: a client POSTs to one or two URLs all day.
_URL_CACHE_LIMIT = 256
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"]*")
_INSTALL_HINT = "the asyncio client needs aiohttp, an optional extra: pip install 'tcfunc[aio]'"


def _import_aiohttp() -> Any:
    try:
        import aiohttp
    except ImportError:
        failure = TencentCloudSDKException("ClientError", _INSTALL_HINT)
    else:
        return aiohttp
    # Raised outside the except block: the ImportError adds nothing the hint lacks.
    raise detach(failure)


class _Expiry:
    """The deadline's timer callback: cancels the task it guards, and remembers it did."""

    __slots__ = ("fired", "task")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.fired = False

    def __call__(self) -> None:
        self.fired = True
        self.task.cancel()


def _uncancel(task: asyncio.Task[Any]) -> None:
    # Python 3.11+ counts cancel requests; the one the deadline made is
    # answered here (as asyncio.timeout does), so an enclosing
    # asyncio.timeout or TaskGroup does not mistake it for its own.
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:
        uncancel()


class _Route:
    """How to reach one ``(scheme, host)``: direct, or through a proxy (decided once)."""

    __slots__ = ("extra_headers", "proxy", "proxy_headers")

    def __init__(
        self,
        proxy: Any = None,
        proxy_headers: Optional[Dict[str, str]] = None,
        extra_headers: Optional[Dict[str, str]] = None,
    ) -> None:
        self.proxy = proxy
        # Sent to the proxy on CONNECT (https targets) ...
        self.proxy_headers = proxy_headers
        # ... or added to the request itself (http targets, sent to the proxy as is).
        self.extra_headers = extra_headers


_DIRECT = _Route()


def _proxy_route(aiohttp: Any, proxy: str, scheme: str) -> _Route:
    parts = urlsplit(proxy)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    # aiohttp gets the proxy URL without user info, so the password cannot
    # surface in its reprs or error messages; it travels in a header.
    bare = aiohttp.helpers.URL(urlunsplit((parts.scheme, netloc, "", "", "")))
    if parts.username is None and parts.password is None:
        return _Route(bare)
    import base64

    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    auth = {"Proxy-Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}
    if scheme == "https":
        return _Route(bare, proxy_headers=auth)
    return _Route(bare, extra_headers=auth)


_CONNECTOR_CLASSES: Dict[int, Any] = {}


def _connector_class(aiohttp: Any) -> Any:
    """A ``TCPConnector`` that marks the task whose connect failed.

    Everything aiohttp raises inside ``connect`` (DNS, refused, connect or
    pool-wait timeout, TLS handshake and certificate, proxy unreachable or
    refusing the tunnel, the deadline cancelling the task there) happened
    before a byte of the request was written: the mark is how
    :meth:`AiohttpTransport.send` tells those from failures after sending,
    whatever aiohttp wraps them in (its total timeout, for one, turns a
    cancelled connect into a bare ``TimeoutError``).
    """
    cls = _CONNECTOR_CLASSES.get(id(aiohttp))
    if cls is not None:
        return cls

    class _MarkingConnector(aiohttp.TCPConnector):  # type: ignore[misc]
        def __init__(self, failed: weakref.WeakSet[asyncio.Task[Any]], **kw: Any) -> None:
            super().__init__(**kw)
            self._tcfunc_failed = failed

        async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
            try:
                return await super().connect(req, traces, timeout)
            except BaseException:
                task = asyncio.current_task()
                if task is not None:
                    self._tcfunc_failed.add(task)
                raise

    _CONNECTOR_CLASSES[id(aiohttp)] = _MarkingConnector
    return _MarkingConnector


def _reason(exc: BaseException) -> str:
    """A short reason for ``exc`` that never quotes a URL's query or user info.

    aiohttp's messages embed the request URL (``url='http://host/?Signature=...'``,
    ``Connection timeout to host http://host/?...``), so the reason is built
    from the parts that cannot hold one.
    """
    name = type(exc).__name__
    status = getattr(exc, "status", None)
    message = getattr(exc, "message", None)
    if isinstance(status, int) and isinstance(message, str):  # ClientResponseError
        text = f"{status}, {message}" if status else message
        return f"{name}: {_strip_urls(text)}"[:300]
    os_error = getattr(exc, "os_error", None)  # ClientConnectorError
    if isinstance(os_error, OSError):
        exc = os_error
        name = type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return f"{name}: {exc.strerror}"
    text = _strip_urls(str(exc))
    return f"{name}: {text}"[:300] if text else name


def _strip_urls(text: str) -> str:
    # Whole URLs go: a host is named by the caller's message, and a query or
    # user info must never be shown.
    return _URL.sub("<url>", text)


def _max_response_size(profile: HttpProfile) -> int:
    value = getattr(profile, _LIMIT_FIELD, None)
    return DEFAULT_MAX_RESPONSE_SIZE if value is None else int(value)


def _ssl_setting(profile: HttpProfile) -> Union[bool, ssl.SSLContext]:
    """aiohttp's ``ssl=``: True (system CAs), an SSLContext for a bundle, or False."""
    certification = profile.certification
    if certification is False:
        from urllib3.exceptions import InsecureRequestWarning

        # The sync transport's warning class, so one filter covers both clients.
        warnings.warn(
            "HttpProfile.certification=False: TLS certificates are not verified; "
            "anyone on the network path can read and change the requests",
            InsecureRequestWarning,
            stacklevel=4,
        )
        return False
    if not isinstance(certification, str):
        return True
    import ssl

    try:
        return ssl.create_default_context(cafile=certification)
    except (OSError, ssl.SSLError) as exc:
        failure = TencentCloudSDKException(
            "ClientError",
            f"HttpProfile.certification: cannot load the CA bundle {certification!r} "
            f"({type(exc).__name__})",
        )
    raise detach(failure)


class _TooLarge(Exception):
    """The decoded body passed the size limit (internal; becomes ``ClientError``)."""


class AiohttpTransport:
    """The asyncio executor on aiohttp: one ``ClientSession`` on the first loop that sends.

    Like :class:`~tcfunc.transport.Urllib3Transport`:

    * ``timeout`` bounds one attempt: waiting for a pooled connection,
      connecting, sending, the answer's headers and (not streamed) its whole
      body. Streamed, it bounds everything up to the headers, then each wait
      for the next piece of the body, not the whole stream.
    * The decoded body may be at most ``HttpProfile.max_response_size`` bytes
      (default :data:`DEFAULT_MAX_RESPONSE_SIZE`); past it the connection is
      dropped and ``ClientError`` raised.
    * Failures raise :class:`~tcfunc.transport.NetworkError` whose
      ``reached_server`` is False only for failures while connecting.
    * Proxies: ``HttpProfile.proxy`` (its credentials become a
      ``Proxy-Authorization`` header), else ``HTTPS_PROXY`` / ``HTTP_PROXY`` /
      ``NO_PROXY`` as read when the transport is built.
    * TLS against the system's CAs, ``certification``'s bundle, or not at all
      (``certification=False``, one warning here).
    * ``pool_size`` caps the connections per host; a task beyond it waits
      for a free one, within its timeout. Connections are always kept alive
      (``keepAlive`` is accepted for porting, as in the sync client). No
      redirects, no cookies, no hidden retries.

    The request's headers are sent as given (``Host`` included, exactly as
    signed), plus ``Accept-Encoding: identity`` unless they name one (what
    urllib3 sends) and aiohttp's ``User-Agent``; a compressed answer is
    decoded all the same, as urllib3 does.
    """

    def __init__(self, http_profile: HttpProfile) -> None:
        import urllib.request

        aiohttp = _import_aiohttp()
        self._aiohttp = aiohttp
        self._url_class = aiohttp.helpers.URL
        self._profile = http_profile
        self._env_proxies = urllib.request.getproxies_environment()
        self._ssl = _ssl_setting(http_profile)
        self._limit = _max_response_size(http_profile)
        self._session: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._routes: Dict[Tuple[str, str], _Route] = {}
        # url -> (yarl URL, host, route) for URLs without a query (POST's).
        self._targets: Dict[str, Tuple[Any, str, _Route]] = {}
        self._failed_connecting: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        # Our own deadline bounds each attempt; aiohttp's timers stay off.
        self._no_timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=None, sock_read=None
        )
        self._errors: Tuple[type[BaseException], ...] = (
            aiohttp.ClientError,
            OSError,
            ValueError,
            asyncio.TimeoutError,
        )

    # --- the session -------------------------------------------------------

    def _open(self, loop: asyncio.AbstractEventLoop) -> Any:
        session = self._session
        if session is not None:
            if self._loop is loop:
                return session
            failure = TencentCloudSDKException(
                "ClientError",
                "this async client's transport belongs to another event loop: use one "
                "client per loop, or await client.aclose() before using it in a new one",
            )
            raise failure
        aiohttp = self._aiohttp
        connector = _connector_class(aiohttp)(
            self._failed_connecting,
            limit=0,
            limit_per_host=self._profile.pool_size,
            ssl=self._ssl,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._no_timeout,
            trust_env=False,  # the environment's proxies are read once, by select_proxy
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            # urllib3 sends no Accept and asks for identity; an explicit
            # Content-Type is never replaced, and none is invented.
            skip_auto_headers=("Accept", "Content-Type"),
            headers={"Accept-Encoding": "identity"},
            requote_redirect_url=False,
        )
        # aiohttp silently resends GETs that fail on a reused connection;
        # tcfunc's retry policy alone decides (an API GET need not be idempotent).
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        self._session, self._loop = session, loop
        return session

    async def aclose(self) -> None:
        """Close the session and every pooled connection; the next send opens a new one."""
        session, self._session, self._loop = self._session, None, None
        if session is not None:
            await session.close()

    # --- routing -----------------------------------------------------------

    def _route(self, scheme: str, host: str) -> _Route:
        key = (scheme, host)
        route = self._routes.get(key)
        if route is None:
            proxy = select_proxy(scheme, host, self._profile.proxy, self._env_proxies)
            route = _DIRECT if proxy is None else _proxy_route(self._aiohttp, proxy, scheme)
            self._routes[key] = route
        return route

    def _target(self, url: str) -> Tuple[Any, str, _Route]:
        """``(yarl URL, host, route)`` for ``url``, cached for query-less URLs."""
        cached = self._targets.get(url)
        if cached is not None:
            return cached
        scheme, _, rest = url.partition("://")
        host = rest.split("/", 1)[0].split("?", 1)[0]
        # encoded=True: the URL is sent exactly as prepared and signed (a v1
        # GET's query string would otherwise be re-quoted).
        target = (self._url_class(url, encoded=True), host, self._route(scheme.lower(), host))
        if "?" not in url:
            if len(self._targets) >= _URL_CACHE_LIMIT:
                self._targets.clear()
            self._targets[url] = target
        return target

    # --- sending -----------------------------------------------------------

    async def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> AsyncHttpResponse:
        """Send ``request``; see :class:`~tcfunc.transport.AsyncTransport` and the class notes."""
        loop = asyncio.get_running_loop()
        session = self._session if self._loop is loop else self._open(loop)
        task = asyncio.current_task()
        assert task is not None  # send is awaited inside a task
        try:
            url, host, route = self._target(request.url)
        except ValueError:
            failure: BaseException = NetworkError(
                "the request URL is not valid", reached_server=False
            )
            raise detach(failure) from None
        headers: Mapping[str, str] = request.headers
        if route.extra_headers is not None:
            headers = {**headers, **route.extra_headers}
        expiry = _Expiry(task)
        handle = loop.call_later(timeout, expiry)
        resp: Any = None
        try:
            resp = await session.request(
                request.method,
                url,
                data=request.body or None,
                headers=headers,
                allow_redirects=False,
                proxy=route.proxy,
                proxy_headers=route.proxy_headers,
            )
            if stream:
                handle.cancel()
                return AsyncHttpResponse(
                    resp.status,
                    resp.headers,
                    chunks=self._stream(resp, host, timeout),
                    close=_closer(resp),
                )
            body = await self._read(resp)
            handle.cancel()
            return AsyncHttpResponse(resp.status, resp.headers, body)
        except asyncio.CancelledError:
            handle.cancel()
            if resp is not None:
                resp.close()
            connecting = self._connect_mark(task)
            if not expiry.fired:
                raise  # the caller cancelled: CancelledError is theirs
            _uncancel(task)
            failure = self._timed_out(host, timeout, connecting)
        except _TooLarge:
            handle.cancel()
            resp.close()
            failure = self._too_large(host)
        except self._errors as exc:
            handle.cancel()
            if resp is not None:
                resp.close()
            connecting = self._connect_mark(task)
            if expiry.fired:  # the deadline's cancel surfaced as another error
                _uncancel(task)
                failure = self._timed_out(host, timeout, connecting)
            else:
                failure = self._network_error(exc, host, connecting)
        except BaseException:
            handle.cancel()
            if resp is not None:
                resp.close()
            self._connect_mark(task)
            raise
        # Outside the except blocks: no __context__ leads back to aiohttp's
        # exception, whose message and locals name the URL.
        raise detach(failure)

    def _connect_mark(self, task: asyncio.Task[Any]) -> bool:
        failed = self._failed_connecting
        marked = task in failed
        if marked:
            failed.discard(task)
        return marked

    async def _read(self, resp: Any) -> bytes:
        """The decoded body, at most the limit; raises :class:`_TooLarge` past it."""
        limit = self._limit
        length = resp.content_length
        if length is not None and "Content-Encoding" not in resp.headers:
            if length > limit:
                raise _TooLarge
            # Content-Length bounds what aiohttp reads: the cheapest path.
            body: bytes = await resp.read()
            return body
        content = resp.content
        parts = []
        size = 0
        while True:
            chunk = await content.readany()
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            parts.append(chunk)
        resp.release()
        return b"".join(parts)

    async def _stream(self, resp: Any, host: str, timeout: float) -> AsyncIterator[bytes]:
        """The body as it arrives; each wait for a piece is bounded by ``timeout``."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None  # iterated inside a task
        readany = resp.content.readany
        limit = self._limit
        size = 0
        while True:
            expiry = _Expiry(task)
            handle = loop.call_later(timeout, expiry)
            try:
                chunk = await readany()
            except asyncio.CancelledError:
                handle.cancel()
                resp.close()
                if not expiry.fired:
                    raise
                _uncancel(task)
                failure: BaseException = NetworkError(
                    f"read from {host} timed out after {timeout:g}s", reached_server=True
                )
            except self._errors as exc:
                handle.cancel()
                resp.close()
                if expiry.fired:
                    _uncancel(task)
                    failure = NetworkError(
                        f"read from {host} timed out after {timeout:g}s", reached_server=True
                    )
                else:
                    failure = self._network_error(exc, host, connecting=False)
            else:
                handle.cancel()
                if not chunk:
                    return
                size += len(chunk)
                if size > limit:
                    resp.close()
                    failure = self._too_large(host)
                else:
                    yield chunk
                    continue
            raise detach(failure)

    # --- errors ------------------------------------------------------------

    def _too_large(self, host: str) -> TencentCloudSDKException:
        return TencentCloudSDKException(
            "ClientError",
            f"the answer from {host} is larger than HttpProfile.{_LIMIT_FIELD} "
            f"({self._limit} bytes); the connection was dropped",
        )

    @staticmethod
    def _timed_out(host: str, timeout: float, connecting: bool) -> NetworkError:
        if connecting:
            return NetworkError(
                f"could not connect to {host}: timed out after {timeout:g}s",
                reached_server=False,
            )
        return NetworkError(f"read from {host} timed out after {timeout:g}s", reached_server=True)

    def _network_error(self, exc: BaseException, host: str, connecting: bool) -> NetworkError:
        reason = _reason(exc)
        if connecting or isinstance(exc, self._aiohttp.ClientConnectorError):
            return NetworkError(f"could not connect to {host}: {reason}", reached_server=False)
        return NetworkError(
            f"connection to {host} failed after the request was sent: {reason}",
            reached_server=True,
        )


def _closer(resp: Any) -> Any:
    async def close() -> None:
        # A stream read to its end gives its connection back for reuse; one
        # abandoned half way must be closed, or the next request on that
        # connection would read the rest of this answer as its own.
        if resp.content.at_eof():
            resp.release()
        else:
            resp.close()

    return close
