"""Logging: the package logger, redaction, and lazily formatted debug lines.

The ``tcfunc`` logger gets a :class:`logging.NullHandler` and nothing else:
tcfunc never adds handlers to, or sets levels on, the application's loggers.

Debug lines show requests and answers with secrets replaced by ``***``: the
signature and secret id in ``Authorization``, ``X-TC-Token``,
``Proxy-Authorization``, the v1 ``Signature``, ``Token`` and ``SecretId``
fields (in a query string or a form body) and proxy passwords. Bodies are
cut at :data:`BODY_LIMIT` characters. The line objects format themselves only
when a handler asks (``%s``), so a disabled level costs nothing.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Tuple

if TYPE_CHECKING:
    from .request import PreparedRequest

__all__ = [
    "BODY_LIMIT",
    "PACKAGE_LOGGER",
    "RequestLine",
    "ResponseLine",
    "redact_body",
    "redact_header",
    "redact_query",
]

PACKAGE_LOGGER = logging.getLogger("tcfunc")
if not any(isinstance(h, logging.NullHandler) for h in PACKAGE_LOGGER.handlers):
    PACKAGE_LOGGER.addHandler(logging.NullHandler())

BODY_LIMIT = 2048
MASK = "***"

_SECRET_HEADERS = frozenset(("x-tc-token", "proxy-authorization", "cookie"))
# v1 fields, in a query string or a form body (names may be percent-encoded
# only if odd; these three never are).
_V1_FIELDS = re.compile(r"(^|[&?])(Signature|Token|SecretId)=[^&]*")
_TC3_CREDENTIAL = re.compile(r"Credential=[^/,\s]*")
_TC3_SIGNATURE = re.compile(r"Signature=[^,\s]*")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@/\s]*@")


def redact_header(name: str, value: str) -> str:
    """``value`` as it may appear in a log."""
    lower = name.lower()
    if lower == "authorization":
        if value == "SKIP":
            return value
        value = _TC3_CREDENTIAL.sub("Credential=" + MASK, value)
        return _TC3_SIGNATURE.sub("Signature=" + MASK, value)
    if lower in _SECRET_HEADERS:
        return MASK
    return value


def redact_query(text: str) -> str:
    """A query string or form body with v1 secrets (and URL passwords) masked."""
    text = _V1_FIELDS.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)


def redact_body(body: bytes, content_type: str) -> str:
    """A body as loggable text: v1 fields masked in forms, cut at :data:`BODY_LIMIT`."""
    if "octet-stream" in content_type or "multipart" in content_type:
        return f"<{len(body)} bytes of {content_type.split(';', 1)[0]}>"
    text = body[: BODY_LIMIT * 4].decode("utf-8", "replace")
    if "x-www-form-urlencoded" in content_type:
        text = redact_query(text)
    if len(text) > BODY_LIMIT or len(body) > BODY_LIMIT * 4:
        text = f"{text[:BODY_LIMIT]}... ({len(body)} bytes)"
    return text


def _header_lines(headers: Iterable[Tuple[str, str]]) -> str:
    return "".join(f"\n{name}: {redact_header(name, value)}" for name, value in headers)


def _content_type(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.lower()
    return ""


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
