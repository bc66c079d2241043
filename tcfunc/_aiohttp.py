"""The asyncio client's default transport, on aiohttp (the optional extra ``aio``).

:class:`AiohttpTransport` implements :class:`tcfunc.transport.AsyncTransport`
as the asyncio twin of the urllib3 transport: the same bytes on the wire, the
rules of :mod:`tcfunc.transport` for deadlines, size limits and proxies, the
same error codes and the same connect-versus-after-send classification, so
one retry-safety rule serves both clients.

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
import collections
import re
import warnings
import weakref
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Deque,
    Dict,
    Mapping,
    Optional,
    Set,
    Tuple,
    Union,
)
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import TencentCloudSDKException, detach
from .profile import DEFAULT_MAX_RESPONSE_SIZE, HttpProfile
from .transport import (
    AsyncHttpResponse,
    BodyDecoder,
    NetworkError,
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
    import ssl

    from .request import PreparedRequest

__all__ = ["AiohttpTransport"]

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
    """The deadline's timer callback: cancels the task it guards, and remembers it did.

    Used as a ``call_later`` callback (a stream's waits) or queued in
    :class:`_Deadlines` (sends); :meth:`cancel` ends it either way.
    """

    __slots__ = ("fired", "queue", "task", "when")

    def __init__(
        self,
        task: asyncio.Task[Any],
        when: float = 0.0,
        queue: Optional[_Deadlines] = None,
    ) -> None:
        self.task: Optional[asyncio.Task[Any]] = task
        self.when = when
        self.queue = queue
        self.fired = False

    def __call__(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            self.fired = True
            task.cancel()

    def cancel(self) -> None:
        """The guarded wait is over: the deadline no longer applies."""
        if self.task is not None:
            self.task = None
            if self.queue is not None:
                self.queue.ended()


class _Deadlines:
    """One loop's send deadlines for one timeout, served by a single timer.

    Sends with the same timeout expire in the order they start (the loop's
    clock only moves forward), so they queue first in, first out, and one
    timer armed for the oldest serves them all. A send then costs a queue
    entry and a flag instead of a timer of its own (``call_later`` and its
    ``cancel`` took 1.6 us here, an eighth of the client's own work in a
    call; the queue takes under half of that). Entries that ended are
    dropped from the front as they end; those stuck behind a slow send are
    swept when they outnumber the live ones.
    """

    __slots__ = ("_live", "_loop", "_queue", "_timeout", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._loop = loop
        self._timeout = timeout
        self._queue: Deque[_Expiry] = collections.deque()
        self._live = 0
        self._timer: Optional[asyncio.TimerHandle] = None

    def start(self, task: asyncio.Task[Any]) -> _Expiry:
        """Guard ``task`` until ``timeout`` from now (or until the entry's ``cancel``)."""
        expiry = _Expiry(task, self._loop.time() + self._timeout, self)
        self._queue.append(expiry)
        self._live += 1
        if self._timer is None:
            self._timer = self._loop.call_at(expiry.when, self._fire)
        return expiry

    @property
    def idle(self) -> bool:
        """Whether no send is guarded now."""
        return self._live == 0

    def ended(self) -> None:
        self._live -= 1
        queue = self._queue
        while queue and queue[0].task is None:
            queue.popleft()
        if len(queue) > 2 * self._live + 64:
            self._queue = collections.deque(e for e in queue if e.task is not None)

    def _fire(self) -> None:
        self._timer = None
        now = self._loop.time()
        queue = self._queue
        while queue:
            head = queue[0]
            if head.task is None:
                queue.popleft()
            elif head.when <= now:
                queue.popleft()
                self._live -= 1
                head()
            else:
                self._timer = self._loop.call_at(head.when, self._fire)
                return


def _uncancel(task: asyncio.Task[Any]) -> bool:
    """Answer the deadline's own cancel request; True if another (the caller's) remains.

    Python 3.11+ counts cancel requests: answering ours (as asyncio.timeout
    does) keeps an enclosing asyncio.timeout or TaskGroup from taking it for
    theirs, and a caller's cancel that came at the same moment still wins.
    """
    uncancel = getattr(task, "uncancel", None)
    return uncancel is not None and uncancel() > 0


class _Route:
    """How to reach one ``(scheme, host)``: direct, or through a proxy (decided once)."""

    __slots__ = ("extra_headers", "proxy", "proxy_headers", "shown")

    def __init__(
        self,
        proxy: Any = None,
        shown: Optional[str] = None,
        proxy_headers: Optional[Dict[str, str]] = None,
        extra_headers: Optional[Dict[str, str]] = None,
    ) -> None:
        self.proxy = proxy
        # The proxy's URL without user info, for messages.
        self.shown = shown
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
    shown = urlunsplit((parts.scheme, netloc, "", "", ""))
    import yarl  # aiohttp's URL type, one of its dependencies

    bare = yarl.URL(shown)
    if parts.username is None and parts.password is None:
        return _Route(bare, shown)
    import base64

    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    auth = {"Proxy-Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}
    if scheme == "https":
        return _Route(bare, shown, proxy_headers=auth)
    return _Route(bare, shown, extra_headers=auth)


_CONNECTOR_CLASS: Dict[str, Any] = {}

# asyncio's selector transport reads each time into a new buffer of its
# max_size, 256 KiB: above glibc's mmap threshold (128 KiB), so every answer
# read costs an mmap, an mremap and a munmap, and its pages fault in afresh
# (about a tenth of a small call's time on loopback). A 64 KiB buffer comes
# from the heap; a large answer takes a few more reads. Other transports
# (TLS, uvloop) are left as they are.
_READ_SIZE = 64 * 1024
# Distinct send timeouts a transport keeps a deadline queue for (a client
# sends with one); past it the idle queues are dropped.
_DEADLINE_QUEUES = 16
_SELECTOR_TRANSPORT = getattr(asyncio.selector_events, "_SelectorSocketTransport", None)


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
    cls = _CONNECTOR_CLASS.get("marking")
    if cls is not None:
        return cls

    class _MarkingConnector(aiohttp.TCPConnector):  # type: ignore[misc]
        def __init__(self, failed: weakref.WeakSet[asyncio.Task[Any]], **kw: Any) -> None:
            super().__init__(**kw)
            self._tcfunc_failed = failed

        async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
            try:
                connection = await super().connect(req, traces, timeout)
            except BaseException:
                task = asyncio.current_task()
                if task is not None:
                    self._tcfunc_failed.add(task)
                raise
            transport = connection.transport
            if type(transport) is _SELECTOR_TRANSPORT and transport.max_size != _READ_SIZE:
                transport.max_size = _READ_SIZE
            return connection

    _CONNECTOR_CLASS["marking"] = _MarkingConnector
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
    import os
    import ssl

    try:
        if os.path.isdir(certification):
            return ssl.create_default_context(capath=certification)
        return ssl.create_default_context(cafile=certification)
    except (OSError, ssl.SSLError) as exc:
        failure = TencentCloudSDKException(
            "ClientError",
            f"HttpProfile.certification: cannot load the CA certificates {certification!r} "
            f"({type(exc).__name__})",
        )
    raise detach(failure)


class AiohttpTransport:
    """The asyncio executor on aiohttp: one ``ClientSession`` on the first loop that sends.

    It follows the rules of :mod:`tcfunc.transport`, as the urllib3
    transport does:

    * ``timeout`` is the deadline of one attempt: waiting for a pooled
      connection, connecting, sending, the answer's headers and (not
      streamed) its whole body. Streamed, it bounds everything up to the
      headers, then each wait for the next piece of the body, not the whole
      stream. ``HttpProfile.connectTimeout`` bounds connecting more tightly.
    * The decoded body may hold at most ``HttpProfile.max_response_size``
      bytes, streamed or not; past it the connection is dropped and
      ``ClientError.ResponseTooLarge`` raised. Decoding is
      :class:`~tcfunc.transport.BodyDecoder`'s (aiohttp's own is off), so both
      clients decode the same codings the same way.
    * Failures raise :class:`~tcfunc.transport.NetworkError` (no exception
      chain, no URL query in the message) whose ``reached_server`` is False
      only for failures while connecting; a proxy answering 407 raises
      ``ClientError.ProxyAuthenticationRequired``.
    * Proxies: ``HttpProfile.proxy`` (its credentials become a
      ``Proxy-Authorization`` header), else ``HTTPS_PROXY`` / ``HTTP_PROXY`` /
      ``NO_PROXY`` as read when the transport is built.
    * TLS against the system's CAs, ``certification``'s bundle, or not at all
      (``certification=False``, one warning here).
    * ``pool_size`` caps the connections per host; a task beyond it waits
      for a free one, within its deadline. Connections are always kept alive
      (``keepAlive`` is accepted for porting, as in the sync client);
      TCP_NODELAY is on (aiohttp sets it on every connection). No redirects,
      no cookies, no hidden resends. Plain connections read in 64 KiB
      pieces (see ``_READ_SIZE``). ``pre_conn_pool_size`` opens that many
      connections (at most ``pool_size``) in the background when a host is
      first used.

    The request's headers are sent as given (``Host`` included, exactly as
    signed), plus ``Accept-Encoding: identity`` unless they name one (what
    urllib3 sends), and aiohttp's ``User-Agent`` and ``Accept: */*`` (neither
    is signed); aiohttp never invents a ``Content-Type``. The URL is sent as
    prepared, never re-quoted.
    """

    def __init__(self, http_profile: HttpProfile) -> None:
        aiohttp = _import_aiohttp()
        self._aiohttp = aiohttp
        import yarl  # aiohttp's URL type, one of its dependencies

        self._url_class = yarl.URL
        self._profile = http_profile
        self._env_proxies = proxy_environment()
        self._ssl = _ssl_setting(http_profile)
        limit = getattr(http_profile, "max_response_size", None)
        self._limit: int = DEFAULT_MAX_RESPONSE_SIZE if limit is None else limit
        self._session: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._routes: Dict[Tuple[str, str], _Route] = {}
        # url -> (yarl URL, host, route) for URLs without a query (POST's).
        self._targets: Dict[str, Tuple[Any, str, _Route]] = {}
        self._failed_connecting: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        # The deadline is ours (one timer per attempt); aiohttp's timers are
        # off but for connectTimeout, never rounded up to whole seconds.
        connect = getattr(http_profile, "connectTimeout", None)
        self._aio_timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None else float(connect),
            sock_connect=None,
            sock_read=None,
            ceil_threshold=float("inf"),
        )
        self._errors: Tuple[type[BaseException], ...] = (
            aiohttp.ClientError,
            OSError,
            ValueError,
            asyncio.TimeoutError,
        )
        self._proxy_error = aiohttp.ClientHttpProxyError
        self._prewarm_count: int = getattr(http_profile, "pre_conn_pool_size", 0)
        self._warming: Set[asyncio.Task[None]] = set()
        self._checked: float = -1.0
        # timeout -> the send deadlines of the session's loop (see _Deadlines).
        self._deadlines: Dict[float, _Deadlines] = {}

    # --- the session -------------------------------------------------------

    def _open(self, loop: asyncio.AbstractEventLoop) -> Any:
        session = self._session
        if session is not None:
            if self._loop is loop:
                return session
            raise TencentCloudSDKException(
                "ClientError",
                "this async client's transport belongs to another event loop: use one "
                "client per loop, or await client.aclose() before using it in a new one",
            )
        aiohttp = self._aiohttp
        connector = _connector_class(aiohttp)(
            self._failed_connecting,
            limit=0,
            limit_per_host=self._profile.pool_size,
            ssl=self._ssl,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._aio_timeout,
            trust_env=False,  # the environment's proxies were read once, by proxy_environment
            cookie_jar=aiohttp.DummyCookieJar(),
            # BodyDecoder decodes, with its bound on every step.
            auto_decompress=False,
            # What urllib3 asks for. aiohttp's other automatic headers
            # (Accept, User-Agent) are not signed and left alone: skipping
            # them costs a third of aiohttp's request set-up on every call.
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
        self._deadlines = {}
        # Routes are made again for the next session, so that it pre-connects too.
        self._routes.clear()
        self._targets.clear()
        warming, self._warming = self._warming, set()
        for task in warming:
            task.cancel()
        if warming:
            await asyncio.gather(*warming, return_exceptions=True)
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
            if self._prewarm_count and self._session is not None:
                self._start_prewarm(scheme, host, route)
        return route

    def _start_prewarm(self, scheme: str, host: str, route: _Route) -> None:
        """``HttpProfile.pre_conn_pool_size``: connect to a new host in the background.

        At most ``pool_size`` connections (aiohttp's limit per host), each
        connect bounded by ``reqTimeout``; failures are ignored, as a call
        that finds no pooled connection opens its own.
        """
        loop = self._loop
        assert loop is not None  # routes are made inside send, after _open
        task = loop.create_task(self._prewarm(self._session.connector, scheme, host, route))
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def _prewarm(self, connector: Any, scheme: str, host: str, route: _Route) -> None:
        aiohttp = self._aiohttp
        loop = asyncio.get_running_loop()
        url = self._url_class(f"{scheme}://{host}/", encoded=True)
        limit = float(self._profile.reqTimeout)

        async def connect() -> Any:
            request = aiohttp.ClientRequest(
                "GET",
                url,
                loop=loop,
                proxy=route.proxy,
                proxy_headers=route.proxy_headers,
                ssl=True,
            )
            return await asyncio.wait_for(connector.connect(request, [], self._aio_timeout), limit)

        count = min(self._prewarm_count, self._profile.pool_size)
        # All are held until all are open: a released one would be reused by the next.
        opened = await asyncio.gather(*(connect() for _ in range(count)), return_exceptions=True)
        for connection in opened:
            if not isinstance(connection, BaseException):
                connection.release()

    def _target(self, url: str) -> Optional[Tuple[Any, str, _Route]]:
        """``(yarl URL, host, route)`` for ``url`` (None if unusable), cached without a query."""
        cached = self._targets.get(url)
        if cached is not None:
            return cached
        scheme, _, rest = url.partition("://")
        host = rest.split("/", 1)[0].split("?", 1)[0]
        try:
            # encoded=True: the URL is sent exactly as prepared and signed (a
            # v1 GET's query string would otherwise be re-quoted).
            parsed = self._url_class(url, encoded=True)
        except ValueError:
            return None
        target = (parsed, host, self._route(scheme.lower(), host))
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
        if timeout != self._checked:  # a client sends with one timeout all day
            self._checked = check_timeout(timeout)
        # The loop from the task: on Python 3.11 every get_running_loop() is a getpid() call.
        task = asyncio.current_task()
        assert task is not None  # send is awaited inside a task
        loop = task.get_loop()
        session = self._session if self._loop is loop else self._open(loop)
        target = self._target(request.url)
        if target is None:
            raise NetworkError("the request URL is not valid", reached_server=False)
        url, host, route = target
        headers: Mapping[str, str] = request.headers
        if route.extra_headers is not None:
            headers = {**headers, **route.extra_headers}
        body = request.body or None
        # A body without a Content-Type (a hand-made request; prepare_request
        # always names one) must not get aiohttp's application/octet-stream.
        skip = None if body is None or "Content-Type" in headers else _no_type(headers)
        deadlines = self._deadlines.get(timeout)
        if deadlines is None:
            deadlines = self._new_deadlines(loop, timeout)
        expiry = deadlines.start(task)
        resp: Any = None
        failure: BaseException
        try:
            resp = await session.request(
                request.method,
                url,
                data=body,
                headers=headers,
                skip_auto_headers=skip,
                allow_redirects=False,
                proxy=route.proxy,
                proxy_headers=route.proxy_headers,
            )
            if resp.status == 407 and route.proxy is not None:
                raise _ProxyAuth
            if stream:
                expiry.cancel()
                return AsyncHttpResponse(
                    resp.status,
                    resp.headers,
                    chunks=self._stream(resp, host, timeout),
                    close=_closer(resp),
                )
            # The usual answer (a length, not encoded, not too large) read
            # here, without _read's coroutine; _read has the other cases.
            length = resp.content_length
            plain = "Content-Encoding" not in resp.headers
            if plain and length is not None and length <= self._limit:
                data = await resp.read()
            else:
                data = await self._read(resp, host)
            expiry.cancel()
            return AsyncHttpResponse(resp.status, resp.headers, data)
        except asyncio.CancelledError:
            expiry.cancel()
            if resp is not None:
                resp.close()
            connecting = self._connect_mark(task)
            if not expiry.fired or _uncancel(task):
                raise  # the caller cancelled: CancelledError is theirs
            failure = self._timed_out(host, route, timeout, connecting)
        except TencentCloudSDKException as exc:  # too large, or a body that does not decode
            expiry.cancel()
            if resp is not None:
                resp.close()
            failure = exc
        except _ProxyAuth:
            expiry.cancel()
            resp.close()
            failure = proxy_authentication_required(route.shown or "", host)
        except self._errors as exc:
            expiry.cancel()
            if resp is not None:
                resp.close()
            connecting = self._connect_mark(task)
            if expiry.fired:  # the deadline's cancel surfaced as another error
                _uncancel(task)
                failure = self._timed_out(host, route, timeout, connecting)
            else:
                failure = self._network_error(exc, host, route, connecting)
        except Exception as exc:  # noqa: BLE001 - no foreign exception leaves a call
            expiry.cancel()
            if resp is not None:
                resp.close()
            connecting = self._connect_mark(task)
            if expiry.fired:
                _uncancel(task)
            failure = NetworkError(
                f"connection to {host} failed: {type(exc).__name__}", reached_server=not connecting
            )
        except BaseException:
            expiry.cancel()
            if resp is not None:
                resp.close()
            self._connect_mark(task)
            raise
        # Outside the except blocks: no __context__ leads back to aiohttp's
        # exception, whose message and locals name the URL.
        raise detach(failure)

    def _new_deadlines(self, loop: asyncio.AbstractEventLoop, timeout: float) -> _Deadlines:
        deadlines = self._deadlines
        if len(deadlines) >= _DEADLINE_QUEUES:  # many timeouts: keep the busy queues
            for key in [key for key, queue in deadlines.items() if queue.idle]:
                del deadlines[key]
        made = deadlines[timeout] = _Deadlines(loop, timeout)
        return made

    def _connect_mark(self, task: asyncio.Task[Any]) -> bool:
        failed = self._failed_connecting
        marked = task in failed
        if marked:
            failed.discard(task)
        return marked

    async def _read(self, resp: Any, host: str) -> bytes:
        """The decoded body, at most the limit (``ClientError.ResponseTooLarge`` past it)."""
        limit = self._limit
        encoding = resp.headers.get("Content-Encoding")
        length = resp.content_length
        if length is not None and encoding is None:
            if length > limit:
                raise response_too_large(host, limit)
            # Content-Length bounds what aiohttp reads: the cheapest path.
            body: bytes = await resp.read()
            return body
        decoder = BodyDecoder(encoding, limit, host)
        feed = decoder.feed
        readany = resp.content.readany
        parts = []
        while True:
            chunk = await readany()
            if not chunk:
                break
            parts.append(feed(chunk))
        parts.append(decoder.end())
        resp.release()
        return b"".join(parts)

    async def _stream(self, resp: Any, host: str, timeout: float) -> AsyncIterator[bytes]:
        """The decoded body as it arrives; each wait for a piece is bounded by ``timeout``."""
        loop = asyncio.get_running_loop()
        readany = resp.content.readany
        decoder = BodyDecoder(resp.headers.get("Content-Encoding"), self._limit, host)
        failure: BaseException
        while True:
            # Looked up for each piece: the stream may be handed to another task.
            task = asyncio.current_task()
            assert task is not None  # iterated inside a task
            expiry = _Expiry(task)
            handle = loop.call_later(timeout, expiry)
            try:
                chunk = await readany()
                handle.cancel()
                piece = decoder.feed(chunk) if chunk else decoder.end()
            except asyncio.CancelledError:
                handle.cancel()
                resp.close()
                if not expiry.fired or _uncancel(task):
                    raise
                failure = idle_timeout(host, timeout)
            except TencentCloudSDKException as exc:
                resp.close()
                failure = exc
            except self._errors as exc:
                handle.cancel()
                resp.close()
                if expiry.fired:
                    _uncancel(task)
                    failure = idle_timeout(host, timeout)
                else:
                    failure = self._network_error(exc, host, _DIRECT, connecting=False)
            except Exception as exc:  # noqa: BLE001 - no foreign exception leaves a call
                handle.cancel()
                resp.close()
                if expiry.fired:
                    _uncancel(task)
                failure = NetworkError(
                    f"reading the stream from {host} failed: {type(exc).__name__}",
                    reached_server=True,
                )
            else:
                if piece:
                    yield piece
                if not chunk:
                    return
                continue
            raise detach(failure)

    # --- errors ------------------------------------------------------------

    @staticmethod
    def _timed_out(host: str, route: _Route, timeout: float, connecting: bool) -> NetworkError:
        if connecting:
            return connect_failed(host, f"timed out after {timeout:g}s", route.shown)
        return deadline_exceeded(host, timeout)

    def _network_error(
        self, exc: BaseException, host: str, route: _Route, connecting: bool
    ) -> BaseException:
        if isinstance(exc, self._proxy_error):
            status = getattr(exc, "status", None)
            if status == 407:
                return proxy_authentication_required(route.shown or "", host)
            return connect_failed(
                host, f"the proxy refused the tunnel with HTTP {status}", route.shown
            )
        reason = _reason(exc)
        if connecting or isinstance(exc, self._aiohttp.ClientConnectorError):
            return connect_failed(host, reason, route.shown)
        return NetworkError(
            f"connection to {host} failed after the request was sent: {reason}",
            reached_server=True,
        )


_SKIP_TYPE = ("Content-Type",)


def _no_type(headers: Mapping[str, str]) -> Optional[Tuple[str, ...]]:
    """``skip_auto_headers`` for a request with a body: Content-Type unless it names one."""
    if any(name.lower() == "content-type" for name in headers):
        return None
    return _SKIP_TYPE


class _ProxyAuth(Exception):
    """A proxy answered 407 to a plain-HTTP request it was to forward (internal)."""


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
