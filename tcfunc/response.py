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
from typing import Any, Dict, Mapping, Optional

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


def content_type(headers: Mapping[str, str]) -> str:
    """The media type of the answer, lower-cased, without parameters."""
    value = header_value(headers, "Content-Type") or ""
    return value.split(";", 1)[0].strip().lower()


def is_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether the answer is ``text/event-stream`` (server-sent events)."""
    return content_type(headers) == "text/event-stream"


def _charset(headers: Mapping[str, str]) -> Optional[str]:
    value = header_value(headers, "Content-Type") or ""
    for param in value.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            return val.strip().strip('"').lower() or None
    return None


def body_excerpt(body: bytes, limit: int = EXCERPT_LIMIT, content_type: str = "") -> str:
    """The start of ``body`` as one line of text, every secret masked (see :func:`excerpt`)."""
    return excerpt(body, content_type, limit)


def _excerpt(body: bytes, headers: Mapping[str, str]) -> str:
    # Every body quoted in an error message goes through the redaction rule:
    # an STS answer cut short, or a 502 that carries one, holds TmpSecretKey.
    return excerpt(body, header_value(headers, "Content-Type") or "")


def _decode(body: bytes, headers: Mapping[str, str]) -> Any:
    charset = _charset(headers)
    data: Any = body
    if charset and charset not in ("utf-8", "utf8"):
        # json.loads detects UTF-8/16/32 itself; other declared charsets
        # (rare, but legal) are honoured when Python knows them.
        try:
            codecs.lookup(charset)
            data = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            data = body
    return json.loads(data)


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
    if status != 200:
        message = f"HTTP status {status}: {_excerpt(body, headers) or '(empty body)'}"
        if 500 <= status <= 599:
            raise ServerNetworkError(status, message)
        raise TencentCloudSDKException(HTTP_STATUS_ERROR, message)
    problem = None
    try:
        document = _decode(body, headers)
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
