"""Logging: the package logger, redaction, and lazily formatted debug lines.

The ``tcfunc`` logger gets a :class:`logging.NullHandler` and nothing else:
tcfunc never adds handlers to, or sets levels on, the application's loggers.

Debug lines show requests and answers with secrets replaced by ``***``: the
signature and secret id in ``Authorization``, ``X-TC-Token``,
``Proxy-Authorization``, cookies, proxy passwords, and every value whose
name looks secret (:func:`is_secret_name`: ``secret``, ``token``,
``password``, ``credential``, ``signature``, ... in any case) wherever it
appears: a header, a query string or form field (the v1 ``Signature``,
``Token`` and ``SecretId`` among them), a JSON object key at any depth
(STS answers' ``Credentials``, an OIDC request's ``WebIdentityToken``), or
the JSON data of a server-sent event. A JSON body keeps its structure, with
``"***"`` in place of each secret value. Bodies are cut at
:data:`BODY_LIMIT` characters. The line objects format themselves only
when a handler asks (``%s``), so a disabled level costs nothing.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Match, Tuple
from urllib.parse import unquote_plus

from ._secrets import is_not_secret_name
from ._secrets import is_secret_name as ends_like_secret

if TYPE_CHECKING:
    from .request import PreparedRequest

__all__ = [
    "BODY_LIMIT",
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

BODY_LIMIT = 2048
MASK = "***"

_SECRET_HEADERS = frozenset(("x-tc-token", "proxy-authorization", "cookie", "set-cookie"))
_SECRET_NAME = re.compile(
    r"secret|token|passw(?:or)?d|credential|signature|private_?key|authorization|cookie", re.I
)
# A query string or form field: name=value (the name cannot hold ?, & or =).
_FIELD = re.compile(r"(^|[&?])([^=&?#\s]+)=([^&#\s]*)")
_TC3_CREDENTIAL = re.compile(r"Credential=[^/,\s]*")
_TC3_SIGNATURE = re.compile(r"Signature=[^,\s]*")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@/\s]*@")
# For JSON text that does not parse (cut short, or not quite JSON): a string
# key, a colon and a scalar value; an unterminated string at the end counts.
_JSON_MEMBER = re.compile(
    r""""((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*(?:"|\\?$)|-?[0-9][0-9.eE+-]*|true|false)"""
)
# Bodies larger than this are not parsed for a debug line; the text redaction
# of their first part is used instead.
_PARSE_LIMIT = 1024 * 1024


def is_secret_name(name: str) -> bool:
    """Whether a header, field or JSON key named ``name`` holds a secret (its value is masked).

    Logs mask more than model reprs do: the model rule (names ending like a
    secret: ``ApiKey``, ``Plaintext``, ``DbPwd``, ...) plus any name that
    merely contains secret, token, password, credential or signature (so
    ``SecretId`` too). Cursors, idempotency keys and token counts
    (``NextToken``, ``ClientToken``, ``TotalTokens``) stay visible.
    """
    if is_not_secret_name(name):
        return False
    return _SECRET_NAME.search(name) is not None or ends_like_secret(name)


def redact_header(name: str, value: str) -> str:
    """``value`` as it may appear in a log."""
    lower = name.lower()
    if lower == "authorization":
        if value == "SKIP":
            return value
        value = _TC3_CREDENTIAL.sub("Credential=" + MASK, value)
        return _TC3_SIGNATURE.sub("Signature=" + MASK, value)
    if lower in _SECRET_HEADERS or is_secret_name(lower):
        return MASK
    return value


def _mask_field(match: Match[str]) -> str:
    name = match.group(2)
    if is_secret_name(unquote_plus(name)):
        return f"{match.group(1)}{name}={MASK}"
    return match.group(0)


def redact_query(text: str) -> str:
    """A URL, query string or form body with secret fields (and URL passwords) masked."""
    text = _FIELD.sub(_mask_field, text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)


def _mask_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_all(item) for item in value]
    return None if value is None else MASK


def _mask_secrets(value: Any) -> Tuple[Any, bool]:
    if isinstance(value, dict):
        out = {}
        changed = False
        for key, item in value.items():
            if isinstance(key, str) and is_secret_name(key):
                out[key] = _mask_all(item)
                changed = True
            else:
                out[key], masked = _mask_secrets(item)
                changed = changed or masked
        return out, changed
    if isinstance(value, list):
        items = [_mask_secrets(item) for item in value]
        return [item for item, _ in items], any(masked for _, masked in items)
    return value, False


def _mask_member(match: Match[str]) -> str:
    try:
        name = json.loads(f'"{match.group(1)}"')
    except ValueError:
        name = match.group(1)
    if is_secret_name(name):
        return f'"{match.group(1)}"{match.group(2)}"{MASK}"'
    return match.group(0)


def redact_json(text: str) -> str:
    """JSON text with the value of every secret-named key (at any depth) replaced by ``"***"``.

    Text that is not valid JSON (a body cut short, say) has the values of
    secret-named keys masked in place; everything else is left as it is.
    """
    if len(text) <= _PARSE_LIMIT:
        try:
            masked, changed = _mask_secrets(json.loads(text))
        except (ValueError, RecursionError):
            pass
        else:
            return json.dumps(masked, ensure_ascii=False) if changed else text
    return _JSON_MEMBER.sub(_mask_member, text)


def redact_text(text: str) -> str:
    """Text of unknown kind: JSON-looking text through :func:`redact_json`, else unchanged."""
    if text.lstrip()[:1] in ("{", "["):
        return redact_json(text)
    return text


def redact_body(body: bytes, content_type: str) -> str:
    """A body as loggable text: secrets masked (JSON or form), cut at :data:`BODY_LIMIT`."""
    if "octet-stream" in content_type or "multipart" in content_type:
        return f"<{len(body)} bytes of {content_type.split(';', 1)[0]}>"
    whole = len(body) <= _PARSE_LIMIT
    text = (body if whole else body[: BODY_LIMIT * 4]).decode("utf-8", "replace")
    form = "x-www-form-urlencoded" in content_type
    text = redact_query(text) if form else redact_text(text)
    if len(text) > BODY_LIMIT or not whole:
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
