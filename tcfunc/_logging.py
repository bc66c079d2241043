"""Logging: the package logger, redaction, and lazily formatted debug lines.

The ``tcfunc`` logger gets a :class:`logging.NullHandler` and nothing else:
tcfunc never adds handlers to, or sets levels on, the application's loggers.

Debug lines show requests and answers with secrets replaced by ``***``
by the one rule of :mod:`tcfunc._redact` (re-exported here for older
imports): headers, URLs, query strings, forms, JSON at any depth, and
bodies of any other kind (text, HTML echoing a request), with the data of
server-sent events too. Bodies are cut at :data:`BODY_LIMIT` characters,
after they are redacted. The line objects format themselves only when a
handler asks (``%s``), so a disabled level costs nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Tuple

from ._headers import header_value
from ._redact import (
    BODY_LIMIT,
    MASK,
    is_secret_name,
    redact_body,
    redact_header,
    redact_json,
    redact_query,
    redact_text,
)

if TYPE_CHECKING:
    from .request import PreparedRequest

__all__ = [
    "BODY_LIMIT",
    "MASK",
    "PACKAGE_LOGGER",
    "EventLine",
    "RequestLine",
    "ResponseLine",
    "is_secret_name",
    "redact_body",
    "redact_header",
    "redact_json",
    "redact_query",
    "redact_text",
]

PACKAGE_LOGGER = logging.getLogger("tcfunc")
if not any(isinstance(h, logging.NullHandler) for h in PACKAGE_LOGGER.handlers):
    PACKAGE_LOGGER.addHandler(logging.NullHandler())


def _header_lines(headers: Iterable[Tuple[str, str]]) -> str:
    return "".join(f"\n{name}: {redact_header(name, value)}" for name, value in headers)


def _content_type(headers: Mapping[str, str]) -> str:
    return (header_value(headers, "Content-Type") or "").lower()


class RequestLine:
    """A prepared request, formatted (and redacted) only when logged."""

    __slots__ = ("_request",)

    def __init__(self, request: PreparedRequest) -> None:
        self._request = request

    def __str__(self) -> str:
        req = self._request
        text = f"{req.method} {redact_query(req.url)}{_header_lines(req.headers.items())}"
        if req.body:
            text += "\n\n" + redact_body(req.body, _content_type(req.headers))
        return text


class ResponseLine:
    """An answer's status, headers and (optionally) body, formatted only when logged."""

    __slots__ = ("_body", "_headers", "_status")

    def __init__(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        self._status = status
        self._headers = headers
        self._body = body

    def __str__(self) -> str:
        text = f"HTTP {self._status}{_header_lines(self._headers.items())}"
        if isinstance(self._body, bytes) and self._body:
            text += "\n\n" + redact_body(self._body, _content_type(self._headers))
        elif isinstance(self._body, str):
            text += "\n\n" + self._body
        return text


class EventLine:
    """A server-sent event, formatted (its JSON data redacted) only when logged."""

    __slots__ = ("_event",)

    def __init__(self, event: Mapping[str, Any]) -> None:
        self._event = event

    def __str__(self) -> str:
        event = dict(self._event)
        data = event.get("data")
        if isinstance(data, str):
            data = redact_text(data)
            if len(data) > BODY_LIMIT:
                data = f"{data[:BODY_LIMIT]}... ({len(data)} characters)"
            event["data"] = data
        return str(event)
