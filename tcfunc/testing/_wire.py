"""What the emulator answers, as plain values: :class:`Answer` and its builders.

The emulator's core returns an :class:`Answer`; the HTTP server and the
in-process transports only carry it out. Nothing here does I/O.
"""

from __future__ import annotations

import http
import json
import logging
import uuid
from collections.abc import Iterable as IterableABC
from typing import Any, Iterator, List, Mapping, Optional, Tuple

import attrs

from ..errors import TencentCloudSDKException

__all__ = [
    "Answer",
    "BrokenStream",
    "error_answer",
    "event_answer",
    "format_event",
    "is_event_stream",
    "json_answer",
    "json_bytes",
    "request_id",
]

logger = logging.getLogger("tcfunc.testing")

JSON_TYPE = "application/json"

#: What an answer does to the connection instead of (or on top of) answering.
CONNECTION_FAULTS = frozenset(("reset", "stall", "truncate"))


class BrokenStream(Exception):
    """Raised by an answer's event iterator when the stream must end broken.

    The HTTP server then closes the connection without the last chunk; an
    in-process transport raises what a client would see (a network error).
    """


@attrs.frozen
class Answer:
    """One answer of the emulator, for any transport to carry out.

    Attributes:
        status: the HTTP status.
        headers: header pairs without framing (the carrier adds
            ``Content-Length`` or chunked framing).
        body: the whole body, unless ``events`` is set.
        events: the body as a stream of SSE wire chunks; the iterator may
            raise :class:`BrokenStream`. Close it when abandoning it.
        delay: seconds to wait before answering (the emulator's latency).
        connection: a connection fault instead of a normal answer:
            ``"reset"`` (TCP RST, nothing answered), ``"stall"`` (nothing for
            ``stall`` seconds, then closed) or ``"truncate"`` (status and
            headers, then half the body, then closed).
        stall: seconds a ``"stall"`` lasts.
        close: close the connection after answering.
    """

    status: int = 200
    headers: Tuple[Tuple[str, str], ...] = (("Content-Type", JSON_TYPE),)
    body: bytes = attrs.field(default=b"", repr=lambda b: f"<{len(b)} bytes>")
    events: Optional[Iterator[bytes]] = attrs.field(default=None, repr=False, eq=False)
    delay: float = 0.0
    connection: Optional[str] = None
    stall: float = 0.0
    close: bool = False

    @property
    def truncated_body(self) -> bytes:
        """What a ``"truncate"`` answer sends of its body: the first half."""
        return self.body[: len(self.body) // 2]


def request_id() -> str:
    """A fresh RequestId, as every answer of the real API carries."""
    return str(uuid.uuid4())


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_body(code: str, message: str) -> bytes:
    """The real API's error envelope, with a fresh RequestId."""
    return json_bytes(
        {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id()}}
    )


def json_answer(body: bytes, *, status: int = 200, close: bool = False) -> Answer:
    """An ``application/json`` answer."""
    return Answer(status=status, body=body, close=close)


def error_answer(code: str, message: str, *, status: int = 200, close: bool = False) -> Answer:
    """An API error, answered HTTP 200 as the real API does (unless ``status``)."""
    return Answer(status=status, body=error_body(code, message), close=close)


def html_answer(status: int) -> Answer:
    """The HTML error page a gateway (nginx) answers with."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    page = (
        f"<html><head><title>{status} {reason}</title></head><body>"
        f"<center><h1>{status} {reason}</h1></center><hr><center>nginx</center>"
        "</body></html>"
    )
    return Answer(
        status=status,
        headers=(("Content-Type", "text/html; charset=utf-8"),),
        body=page.encode("utf-8"),
    )


_END = object()


def event_answer(first: Any, events: Iterator[Any], action: str) -> Answer:
    """A ``text/event-stream`` answer over a handler's events (``first`` already taken)."""
    return Answer(
        headers=(("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")),
        events=_wire_events(first, events, action),
    )


def _wire_events(first: Any, events: Iterator[Any], action: str) -> Iterator[bytes]:
    event = first
    try:
        while event is not _END:
            yield format_event(event)
            event = next(events, _END)
    except TencentCloudSDKException as exc:
        # Headers are gone; the error travels as a last event, as streaming APIs do.
        error = {
            "Error": {"Code": exc.code, "Message": exc.message or ""},
            "RequestId": request_id(),
        }
        yield format_event({"data": {"Response": error}})
    except Exception:
        logger.exception("emulator event stream for %s failed", action)
        raise BrokenStream(f"the event stream of {action} broke off") from None
    finally:
        close_iterator(events)


def first_event(events: Iterator[Any]) -> Any:
    """The first event, or the end marker for an empty stream."""
    return next(events, _END)


def is_event_stream(result: Any) -> bool:
    """Whether a handler's result is a stream of events rather than a Response dict."""
    return isinstance(result, IterableABC) and not isinstance(
        result, (Mapping, str, bytes, bytearray)
    )


def close_iterator(events: Iterator[Any]) -> None:
    """Close a handler's event iterator (a generator's ``finally`` runs)."""
    close = getattr(events, "close", None)
    if callable(close):
        try:
            close()
        except Exception:
            logger.debug("closing an event stream failed", exc_info=True)


def format_event(event: Any) -> bytes:
    """One server-sent event on the wire, from a dict (``data``, ``event``, ``id``,
    ``retry``) or a string."""
    fields: Mapping[str, Any]
    if isinstance(event, (str, bytes)):
        fields = {"data": event}
    elif isinstance(event, Mapping):
        fields = event
    else:
        raise TypeError(f"an event must be a dict or a string, not {type(event).__name__}")
    lines: List[str] = []
    for key in ("event", "id"):
        if fields.get(key) is not None:
            lines.append(f"{key}: {_one_line(str(fields[key]))}")
    if fields.get("retry") is not None:
        lines.append(f"retry: {int(fields['retry'])}")
    data = fields.get("data", "")
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    elif not isinstance(data, str):
        data = json.dumps(data, ensure_ascii=False)
    lines.extend(f"data: {line}" for line in data.replace("\r\n", "\n").split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")
