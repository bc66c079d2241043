"""Server-sent events: an incremental parser of ``text/event-stream``.

It follows the WHATWG rules (HTML Living Standard, "Parsing an event
stream"): UTF-8 with one leading BOM ignored; lines end with CRLF, LF or CR,
even when a chunk boundary falls between CR and LF; lines starting with
``:`` are comments; a line without a colon is a field with an empty value;
one space after the colon is dropped; ``data`` lines accumulate, joined by
``\\n``; a blank line dispatches the event, but only when it has data, so
runs of blank lines and blocks of comments produce nothing; an ``id`` holding
NUL and a ``retry`` that is not all digits are ignored; a last event not
closed by a blank line when the stream ends is discarded.

Events are dicts: ``data`` always, and ``event``, ``id`` (both str) and
``retry`` (int) when the event's own block carried them, which is the shape
the official SDK yields. That is the one deliberate deviation from WHATWG,
where the last event ID persists and every later event reports it: here an
event carries ``id`` only if its own block set one, so that code ported from
the official SDK sees the same dicts (a caller that wants to resume keeps
the last ``id`` it saw).

:class:`EventStream` is what :meth:`tcfunc.client.AbstractClient.call_sse`
returns: an iterator over the events that holds the connection and gives it
back when the events run out, on an error, or on ``close()``.
"""

from __future__ import annotations

import codecs
import collections
import logging
from collections import abc
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
)

from ._logging import EventLine
from ._redact import LazyPattern

__all__ = ["AsyncEventStream", "EventStream", "EventStreamParser", "iter_events"]

_EOL = LazyPattern(r"\r\n|\r|\n")  # compiled at the first event stream

# The base class: the typed one for checkers, the plain ABC at run time
# (subscripting typing's alias, and its Generic base, costs at import).
if TYPE_CHECKING:
    _EventIterator = Iterator[Dict[str, Any]]
else:
    _EventIterator = abc.Iterator


class EventStreamParser:
    """Feed bytes as they arrive; get the events completed so far."""

    def __init__(self) -> None:
        # utf-8-sig drops a BOM at the very start only; invalid bytes are
        # replaced, as the standard says, rather than failing the stream.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        # The line not finished yet, in pieces: joined once when its end
        # arrives, so a long line fed in many chunks costs linear time.
        self._partial: List[str] = []
        self._skip_lf = False
        self._data: List[str] = []
        self._event: Optional[str] = None
        self._id: Optional[str] = None
        self._retry: Optional[int] = None

    def feed(self, chunk: bytes) -> List[Dict[str, Any]]:
        """Parse ``chunk``; return the events it completed (possibly none)."""
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if self._skip_lf:
            # The previous chunk ended with CR; a LF here belongs to it.
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        lines = _EOL.split(text)
        rest = lines.pop()
        if not lines:  # no line end in this chunk
            if rest:
                self._partial.append(rest)
            return []
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = "".join(self._partial)
        self._partial = [rest] if rest else []
        self._skip_lf = text.endswith("\r")
        events: List[Dict[str, Any]] = []
        for line in lines:
            self._line(line, events)
        return events

    def _line(self, line: str, events: List[Dict[str, Any]]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line[0] == ":":
            return
        field, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: List[Dict[str, Any]]) -> None:
        if self._data:
            event: Dict[str, Any] = {"data": "\n".join(self._data)}
            if self._event is not None:
                event["event"] = self._event
            if self._id is not None:
                event["id"] = self._id
            if self._retry is not None:
                event["retry"] = self._retry
            events.append(event)
        self._data = []
        self._event = None
        self._id = None
        self._retry = None


def iter_events(chunks: Iterable[bytes]) -> Iterator[Dict[str, Any]]:
    """The events of a byte stream, each yielded as soon as its blank line arrives."""
    parser = EventStreamParser()
    for chunk in chunks:
        yield from parser.feed(chunk)


class EventStream(_EventIterator):
    """An iterator of events that owns the connection they come from.

    The connection is released (``close`` called once) when the events run
    out, when reading them raises, or on :meth:`close`, which may come
    before the first event is read. It is also a context manager, and
    garbage collection closes a stream that was dropped unclosed.

    Args:
        events: the events (as from :func:`iter_events`).
        close: releases the connection; called at most once.
        logger: gets one debug line per event (data redacted), when enabled.
    """

    __slots__ = ("_close", "_events", "_logger")

    def __init__(
        self,
        events: Iterator[Dict[str, Any]],
        close: Optional[Callable[[], None]] = None,
        logger: Optional[logging.Logger] = None,
    ) -> None:
        self._events: Optional[Iterator[Dict[str, Any]]] = events
        self._close = close
        self._logger = logger

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> Dict[str, Any]:
        events = self._events
        if events is None:
            raise StopIteration
        try:
            event = next(events)
        except BaseException:
            # StopIteration included: the stream ended, give the connection back.
            self.close()
            raise
        logger = self._logger
        if logger is not None and logger.isEnabledFor(logging.DEBUG):
            logger.debug("event %s", EventLine(event))
        return event

    def close(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        events, self._events = self._events, None
        close, self._close = self._close, None
        try:
            closer = getattr(events, "close", None)
            if closer is not None:
                closer()  # runs a started generator's cleanup now
        finally:
            if close is not None:
                close()

    @property
    def closed(self) -> bool:
        """Whether the stream was closed or read to its end."""
        return self._events is None

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A backstop only: a caller that drops the stream unread must not
        # keep its connection out of the pool until the process ends.
        # Nothing may escape __del__; contextlib.suppress is avoided because
        # module globals may already be gone when it runs at interpreter exit.
        try:  # noqa: SIM105
            self.close()
        except Exception:  # noqa: BLE001, S110
            pass


class AsyncEventStream:
    """:class:`EventStream` for the asyncio client: ``async for``, ``async with``, ``aclose()``.

    The connection is released (``close`` awaited once) when the events run
    out, when reading them raises, or on :meth:`aclose`. Unlike the sync
    stream it cannot be closed by garbage collection (closing awaits), so a
    caller that may stop early should use ``async with`` or ``aclose()``.

    Args:
        chunks: the body's bytes as they arrive, or None for no more bytes.
        close: releases the connection; awaited at most once.
        logger: gets one debug line per event (data redacted), when enabled.
        events: events known before any bytes (a plain JSON answer's one event).
    """

    __slots__ = ("_chunks", "_close", "_logger", "_parser", "_pending")

    def __init__(
        self,
        chunks: Optional[AsyncIterator[bytes]],
        close: Optional[Callable[[], Awaitable[None]]] = None,
        logger: Optional[logging.Logger] = None,
        events: Iterable[Dict[str, Any]] = (),
    ) -> None:
        self._chunks = chunks
        self._close = close
        self._logger = logger
        self._parser = EventStreamParser()
        self._pending: Deque[Dict[str, Any]] = collections.deque(events)

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> Dict[str, Any]:
        pending = self._pending
        try:
            while not pending:
                chunks = self._chunks
                if chunks is None:
                    raise StopAsyncIteration
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    self._chunks = None
                    continue
                pending.extend(self._parser.feed(chunk))
        except BaseException:
            # StopAsyncIteration included: the stream ended, give the connection back.
            await self.aclose()
            raise
        event = pending.popleft()
        logger = self._logger
        if logger is not None and logger.isEnabledFor(logging.DEBUG):
            logger.debug("event %s", EventLine(event))
        return event

    async def aclose(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        chunks, self._chunks = self._chunks, None
        close, self._close = self._close, None
        self._pending.clear()
        try:
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                await closer()  # runs a started async generator's cleanup now
        finally:
            if close is not None:
                await close()

    @property
    def closed(self) -> bool:
        """Whether the stream was closed or read to its end."""
        return self._chunks is None and self._close is None and not self._pending

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()
