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
_EXCERPT = 200


class ServerNetworkError(TencentCloudSDKException):
    """A 5xx answer: code ``ServerNetworkError``, and the HTTP ``status``.

    The status decides whether a retry is safe (see :mod:`tcfunc.retry`):
    a 503 says the server did not process the request, while a 500, 502 or
    504 comes from a server that may have run it.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__("ServerNetworkError", message)
        self.status = status


def header_value(headers: Mapping[str, str], name: str) -> Optional[str]:
    """``headers[name]`` ignoring case, for any mapping (None when absent)."""
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        for key, val in headers.items():
            if key.lower() == lower:
                return val
    return value


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


def body_excerpt(body: bytes, limit: int = _EXCERPT) -> str:
    """The start of ``body`` as one line of text, for error messages and logs."""
    text = body[: limit * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    if len(text) > limit or len(body) > limit * 4:
        return text[:limit] + "..."
    return text


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
        message = f"HTTP status {status}: {body_excerpt(body) or '(empty body)'}"
        if 500 <= status <= 599:
            raise ServerNetworkError(status, message)
        raise TencentCloudSDKException(HTTP_STATUS_ERROR, message)
    try:
        document = _decode(body, headers)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError, UnicodeDecodeError and the
        # int-size limit; RecursionError absurdly deep nesting.
        raise TencentCloudSDKException(
            PARSE_JSON_ERROR,
            f"the answer is not valid JSON ({type(exc).__name__}): {body_excerpt(body)}",
        ) from None
    response = document.get("Response") if isinstance(document, dict) else None
    if not isinstance(response, dict):
        raise TencentCloudSDKException(
            PARSE_JSON_ERROR, f"the answer has no Response object: {body_excerpt(body)}"
        )
    if "Error" in response:
        raise _api_error(response, body)
    result: Dict[str, Any] = document
    return result


def _api_error(response: Dict[str, Any], body: bytes) -> TencentCloudSDKException:
    error = response["Error"]
    request_id = response.get("RequestId")
    request_id = request_id if isinstance(request_id, str) else None
    if not isinstance(error, dict) or not isinstance(error.get("Code"), str):
        return TencentCloudSDKException(
            PARSE_JSON_ERROR, f"the answer has a malformed Error: {body_excerpt(body)}", request_id
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
