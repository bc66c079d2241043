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
the official SDK yields.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, Dict, Iterable, Iterator, List, Optional

__all__ = ["EventStreamParser", "iter_events"]

_EOL = re.compile(r"\r\n|\r|\n")


class EventStreamParser:
    """Feed bytes as they arrive; get the events completed so far."""

    def __init__(self) -> None:
        # utf-8-sig drops a BOM at the very start only; invalid bytes are
        # replaced, as the standard says, rather than failing the stream.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._partial = ""
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
        text = self._partial + text
        lines = _EOL.split(text)
        self._partial = lines.pop()
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
