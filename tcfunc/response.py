"""Reading an API answer: :func:`parse_response`, a pure function.

Given the status, headers and body of an HTTP answer it returns the decoded
JSON document (``{"Response": {...}}``) or raises
:class:`TencentCloudSDKException`, whatever the bytes:

- a status other than 200: :class:`ServerNetworkError` (code
  ``ServerNetworkError``, with the ``status``) for 5xx,
  ``ClientError.HttpStatusCodeError`` otherwise, naming the status and a
  short excerpt of the body;
- an API error (``Response.Error``): its code, message and RequestId, for any
  content type, ``application/json; charset=utf-8`` included (the official
  SDK compares the whole header to ``application/json`` and misses those);
- a body that is not a JSON document with a ``Response`` object:
  ``ClientError.ParseJsonError``.

It emits no warning: :func:`deprecation_notice` reads the ``DeprecatedWarning``
that the client turns into one :class:`DeprecationWarning` (application
filters left alone).
"""

from __future__ import annotations

import codecs
import json
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from ._headers import header_value
from ._redact import EXCERPT_LIMIT, excerpt
from .errors import TencentCloudSDKException

__all__ = [
    "HTTP_STATUS_ERROR",
    "PARSE_JSON_ERROR",
    "ServerNetworkError",
    "body_excerpt",
    "content_type",
    "deprecation_notice",
    "header_value",
    "is_event_stream",
    "parse_response",
]

HTTP_STATUS_ERROR = "ClientError.HttpStatusCodeError"
PARSE_JSON_ERROR = "ClientError.ParseJsonError"


class ServerNetworkError(TencentCloudSDKException):
    """A 5xx answer: code ``ServerNetworkError``, and the HTTP ``status``.

    The status decides whether a retry is safe (see :mod:`tcfunc.retry`):
    a 503 says the server did not process the request, while a 500, 502 or
    504 comes from a server that may have run it.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__("ServerNetworkError", message)
        self.status = status


# Content-Type value -> (media type lower-cased, charset or None): a client
# sees the same one or two values all day, and splitting them again for
# every answer is a tenth of reading one. Bounded; emptied when full.
_MEDIA: Dict[str, Tuple[str, Optional[str]]] = {}
_MEDIA_LIMIT = 64


def _media(headers: Mapping[str, str]) -> Tuple[str, Optional[str]]:
    # The transports' header mappings answer any case at once.
    value = headers.get("Content-Type") or header_value(headers, "Content-Type") or ""
    found = _MEDIA.get(value)
    if found is not None:
        return found
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip('"').lower() or None
            break
    found = (media.strip().lower(), charset)
    if len(_MEDIA) >= _MEDIA_LIMIT:
        _MEDIA.clear()
    _MEDIA[value] = found
    return found


def content_type(headers: Mapping[str, str]) -> str:
    """The media type of the answer, lower-cased, without parameters."""
    return _media(headers)[0]


def is_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether the answer is ``text/event-stream`` (server-sent events)."""
    return _media(headers)[0] == "text/event-stream"


def body_excerpt(body: bytes, limit: int = EXCERPT_LIMIT, content_type: str = "") -> str:
    """The start of ``body`` as one line of text, every secret masked (see :func:`excerpt`)."""
    return excerpt(body, content_type, limit)


def _excerpt(body: bytes, headers: Mapping[str, str]) -> str:
    # Every body quoted in an error message goes through the redaction rule:
    # an STS answer cut short, or a 502 that carries one, holds TmpSecretKey.
    return excerpt(body, header_value(headers, "Content-Type") or "")


# The scanner json.loads ends in: (document, end index) for a str at an index.
# An attribute of every JSONDecoder that typeshed does not declare.
_SCAN: Callable[[str, int], Tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009
_SPACE = " \t\n\r"


def _decode(body: bytes, charset: Optional[str]) -> Any:
    if charset and charset not in ("utf-8", "utf8"):
        # json.loads detects UTF-8/16/32 itself; other declared charsets
        # (rare, but legal) are honoured when Python knows them.
        data: Any = body
        try:
            codecs.lookup(charset)
            data = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            data = body
        return json.loads(data)
    if body[:1] == b"{":
        # An API answer: strict UTF-8 and the decoder's scanner directly,
        # which skips json.loads's encoding detection (most of its time on a
        # small answer). Anything this path does not take whole goes to
        # json.loads, so the result and the errors are exactly its own.
        try:
            text = body.decode("utf-8")
            document, end = _SCAN(text, 0)
        except (ValueError, StopIteration, RecursionError):
            pass
        else:
            if end == len(text) or not text[end:].strip(_SPACE):
                return document
    return json.loads(body)


def parse_response(status: int, headers: Mapping[str, str], body: bytes) -> Dict[str, Any]:
    """The JSON document of a successful answer; raise for anything else.

    Args:
        status: the HTTP status code.
        headers: the answer's headers (any mapping; names compared ignoring case).
        body: the whole body.

    Returns:
        The decoded document, ``{"Response": {..., "RequestId": ...}}``.

    Raises:
        TencentCloudSDKException: the API error (its code, message and
            RequestId), :class:`ServerNetworkError` for 5xx,
            ``ClientError.HttpStatusCodeError`` for other statuses than 200,
            ``ClientError.ParseJsonError`` for a body that is not an API answer.
    """
    return _parse(status, headers, body, None if status != 200 else _media(headers)[1])


def _parse(
    status: int, headers: Mapping[str, str], body: bytes, charset: Optional[str]
) -> Dict[str, Any]:
    """:func:`parse_response` for a caller that has read the charset already (the call flow)."""
    if status != 200:
        message = f"HTTP status {status}: {_excerpt(body, headers) or '(empty body)'}"
        if 500 <= status <= 599:
            raise ServerNetworkError(status, message)
        raise TencentCloudSDKException(HTTP_STATUS_ERROR, message)
    problem = None
    try:
        document = _decode(body, charset)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError, UnicodeDecodeError and the
        # int-size limit; RecursionError absurdly deep nesting. Only the
        # type is kept: a JSONDecodeError holds the whole body (an STS
        # answer's secrets), so it must not become our error's __context__,
        # which "raise ... from None" would still set: raise after the block.
        problem = type(exc).__name__
    if problem is not None:
        raise TencentCloudSDKException(
            PARSE_JSON_ERROR, f"the answer is not valid JSON ({problem}): {_excerpt(body, headers)}"
        )
    response = document.get("Response") if isinstance(document, dict) else None
    if not isinstance(response, dict):
        raise TencentCloudSDKException(
            PARSE_JSON_ERROR, f"the answer has no Response object: {_excerpt(body, headers)}"
        )
    if "Error" in response:
        raise _api_error(response, body, headers)
    result: Dict[str, Any] = document
    return result


def _api_error(
    response: Dict[str, Any], body: bytes, headers: Mapping[str, str]
) -> TencentCloudSDKException:
    error = response["Error"]
    request_id = response.get("RequestId")
    request_id = request_id if isinstance(request_id, str) else None
    if not isinstance(error, dict) or not isinstance(error.get("Code"), str):
        return TencentCloudSDKException(
            PARSE_JSON_ERROR,
            f"the answer has a malformed Error: {_excerpt(body, headers)}",
            request_id,
        )
    message = error.get("Message")
    if not isinstance(message, str):
        message = "" if message is None else json.dumps(message)
    return TencentCloudSDKException(error["Code"], message, request_id)


def deprecation_notice(document: Mapping[str, Any]) -> Optional[str]:
    """The text of a ``DeprecationWarning`` for an answer that carries ``DeprecatedWarning``."""
    response = document.get("Response")
    if isinstance(response, dict) and "DeprecatedWarning" in response:
        return f"This action is deprecated, detail: {response['DeprecatedWarning']}"
    return None
