"""In-process transports: a client talks to the emulator's core with no socket.

:class:`InProcessTransport` is a :class:`tcfunc.transport.Transport` and
:class:`AsyncInProcessTransport` a :class:`tcfunc.transport.AsyncTransport`;
both hand a :class:`~tcfunc.request.PreparedRequest` to the emulator's
:meth:`~tcfunc.testing.ApiEmulator.handle` as an HTTP client would send it
(its ``Host`` included), and turn the answer into a response. What the
network would do, they do too: latency and stalls wait (bounded by the
call's timeout, then a read timeout), a reset or a truncated body raises
:class:`~tcfunc.transport.NetworkError` with ``reached_server=True``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    List,
    Optional,
    Tuple,
)

from ..transport import AsyncHttpResponse, Headers, HttpResponse, NetworkError
from ._wire import Answer, BrokenStream

if TYPE_CHECKING:
    from ..request import PreparedRequest

__all__ = ["AsyncInProcessTransport", "InProcessTransport"]

App = Callable[[str, str, List[Tuple[str, str]], bytes], Answer]

logger = logging.getLogger("tcfunc.testing")


def _split(request: PreparedRequest) -> Tuple[str, str, str]:
    """``(host, target, scheme)`` of the request's URL."""
    url = request.url
    scheme, _, rest = url.partition("://")
    host, slash, tail = rest.partition("/")
    return host, slash + tail if slash else "/", scheme


def _wire_headers(request: PreparedRequest, host: str) -> List[Tuple[str, str]]:
    headers = list(request.headers.items())
    names = {name.lower() for name, _ in headers}
    # What an HTTP client adds: the Host (v1 requests leave it to the client)
    # and the framing of a body.
    if "host" not in names:
        headers.append(("Host", host))
    if request.body and "content-length" not in names:
        headers.append(("Content-Length", str(len(request.body))))
    return headers


def _run(app: App, request: PreparedRequest, host: str, target: str) -> Answer:
    try:
        return app(request.method, target, _wire_headers(request, host), request.body)
    except Exception:
        # A bug of the emulator's: over HTTP the client would see the
        # connection close without an answer, so raise what that raises.
        logger.exception("the emulator failed to answer a request in process")
        raise _broken(host, "the server closed the connection without answering") from None


def _timed_out(host: str, timeout: float) -> NetworkError:
    return NetworkError(f"read from {host} timed out after {timeout:g}s", reached_server=True)


def _broken(host: str, reason: str) -> NetworkError:
    return NetworkError(
        f"connection to {host} failed after the request was sent: {reason}", reached_server=True
    )


def _headers_of(answer: Answer, length: Optional[int]) -> Headers:
    pairs = list(answer.headers)
    if length is not None:
        pairs.append(("Content-Length", str(length)))
    else:
        pairs.append(("Transfer-Encoding", "chunked"))
    return Headers(pairs)


def _truncated(answer: Answer) -> str:
    sent = len(answer.truncated_body)
    return f"IncompleteRead({sent} bytes read, {len(answer.body) - sent} more expected)"


class InProcessTransport:
    """The emulator as a synchronous transport (see the module docs)."""

    def __init__(self, app: App, *, sleep: Optional[Callable[[float], None]] = None) -> None:
        self._app = app
        self._sleep = time.sleep if sleep is None else sleep

    def _wait(self, seconds: float, timeout: float, host: str) -> None:
        if seconds <= 0:
            return
        if seconds >= timeout:
            self._sleep(timeout)
            raise _timed_out(host, timeout)
        self._sleep(seconds)

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        """Answer ``request`` with the emulator; see :class:`tcfunc.transport.Transport`."""
        host, target, _scheme = _split(request)
        answer = _run(self._app, request, host, target)
        self._wait(answer.delay, timeout, host)
        if answer.connection == "reset":
            raise _broken(host, "connection reset by peer")
        if answer.connection == "stall":
            self._wait(answer.stall, timeout, host)
            raise _broken(host, "the server closed the connection without answering")
        if answer.connection == "truncate":
            if not stream:
                raise _broken(host, _truncated(answer))
            return HttpResponse(
                answer.status,
                _headers_of(answer, len(answer.body)),
                chunks=_cut_short(answer, host),
            )
        if answer.events is None:
            return HttpResponse(answer.status, _headers_of(answer, len(answer.body)), answer.body)
        events = answer.events
        if not stream:
            try:
                body = b"".join(_events(events, host))
            finally:
                _close(events)
            return HttpResponse(answer.status, _headers_of(answer, len(body)), body)
        return HttpResponse(
            answer.status,
            _headers_of(answer, None),
            chunks=_events(events, host),
            close=lambda: _close(events),
        )

    def close(self) -> None:
        """Nothing to release: no connection was opened."""


def _cut_short(answer: Answer, host: str) -> Iterator[bytes]:
    yield answer.truncated_body
    raise _broken(host, _truncated(answer))


def _events(events: Iterator[bytes], host: str) -> Iterator[bytes]:
    try:
        yield from events
    except BrokenStream:
        raise _broken(host, "the event stream ended without its last chunk") from None


def _close(events: Iterator[bytes]) -> None:
    close = getattr(events, "close", None)
    if callable(close):
        close()


class AsyncInProcessTransport:
    """The emulator as an asyncio transport (see the module docs).

    The emulator's core runs on the event loop's thread, as a handler
    registered with :meth:`~tcfunc.testing.ApiEmulator.register` would in a
    mock: keep handlers quick.
    """

    def __init__(
        self, app: App, *, sleep: Optional[Callable[[float], Awaitable[Any]]] = None
    ) -> None:
        self._app = app
        self._sleep = asyncio.sleep if sleep is None else sleep

    async def _wait(self, seconds: float, timeout: float, host: str) -> None:
        if seconds <= 0:
            return
        if seconds >= timeout:
            await self._sleep(timeout)
            raise _timed_out(host, timeout)
        await self._sleep(seconds)

    async def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> AsyncHttpResponse:
        """Answer ``request``; see :class:`tcfunc.transport.AsyncTransport`."""
        host, target, _scheme = _split(request)
        answer = _run(self._app, request, host, target)
        await self._wait(answer.delay, timeout, host)
        if answer.connection == "reset":
            raise _broken(host, "connection reset by peer")
        if answer.connection == "stall":
            await self._wait(answer.stall, timeout, host)
            raise _broken(host, "the server closed the connection without answering")
        if answer.connection == "truncate":
            if not stream:
                raise _broken(host, _truncated(answer))
            return AsyncHttpResponse(
                answer.status,
                _headers_of(answer, len(answer.body)),
                chunks=_async_cut_short(answer, host),
            )
        if answer.events is None:
            return AsyncHttpResponse(
                answer.status, _headers_of(answer, len(answer.body)), answer.body
            )
        events = answer.events
        if not stream:
            try:
                body = b"".join(_events(events, host))
            finally:
                _close(events)
            return AsyncHttpResponse(answer.status, _headers_of(answer, len(body)), body)

        async def close() -> None:
            _close(events)

        return AsyncHttpResponse(
            answer.status,
            _headers_of(answer, None),
            chunks=_async_events(events, host),
            close=close,
        )

    async def aclose(self) -> None:
        """Nothing to release: no connection was opened."""


async def _async_cut_short(answer: Answer, host: str) -> AsyncIterator[bytes]:
    yield answer.truncated_body
    raise _broken(host, _truncated(answer))


async def _async_events(events: Iterator[bytes], host: str) -> AsyncIterator[bytes]:
    for chunk in _events(events, host):
        yield chunk
        # Let other tasks run between events, as a socket read would.
        await asyncio.sleep(0)
