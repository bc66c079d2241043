"""The call, written once: a generator of effects that a sync or an async driver performs.

:func:`call_flow` holds every decision of a call (credential snapshot, region
breaker, clock skew, signing, hooks and debug lines, parsing, the retry
policy) and does no I/O: where it needs the outside world it yields an effect
value and is resumed with the result, or has the effect's
``TencentCloudSDKException`` thrown in:

- :class:`GetCredential` -> the credential snapshot (``None`` for an unsigned call);
- :class:`Send` -> the transport's response object (status and headers read);
- :class:`ReadBody` -> that response's whole body (asked only when the
  response's ``loaded`` attribute does not hold it already);
- :class:`Sleep` -> nothing, after waiting.

The sync client performs them with its transport, ``time.sleep`` and the
provider's ``get_credential()``; the asyncio client with ``await``. Shared
state (the breaker's counters, the clock offset) lives in small locked
holders that the flow touches between yields, never across one.

The flow returns the answer's JSON document, or, for a call that accepts an
event stream and got one, the still-open response.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Dict, Generator, Mapping, Optional, Union

from ._credential import Credential
from ._retry_rules import is_safe_to_repeat
from .errors import TencentCloudSDKException
from .request import RequestOptions, _check_headers, _prepare
from .response import HTTP_STATUS_ERROR, PARSE_JSON_ERROR, _media, _parse

if TYPE_CHECKING:
    from ._callinfo import CallInfo
    from .client import _ClientCore

__all__ = [
    "EVENT_STREAM_ANSWER",
    "Call",
    "GetCredential",
    "ReadBody",
    "Send",
    "Sleep",
    "attempt_flow",
    "call_flow",
]

_SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"
_DEBUG = 10  # logging.DEBUG, without importing logging here
# The code of a call_json/call whose answer is an event stream.
EVENT_STREAM_ANSWER = "ClientError.EventStreamAnswer"


class GetCredential:
    """Effect: take one credential snapshot of the client's credential source."""

    __slots__ = ("skip_sign",)

    def __init__(self, skip_sign: bool) -> None:
        self.skip_sign = skip_sign


class Send:
    """Effect: send ``request`` within ``timeout``; with ``stream`` the body is left unread."""

    __slots__ = ("request", "stream", "timeout")

    def __init__(self, request: Any, timeout: float, stream: bool) -> None:
        self.request = request
        self.timeout = timeout
        self.stream = stream


class ReadBody:
    """Effect: read the whole body of ``response`` (a response :class:`Send` returned)."""

    __slots__ = ("response",)

    def __init__(self, response: Any) -> None:
        self.response = response


class Sleep:
    """Effect: wait ``seconds`` before the next attempt."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


Effect = Union[GetCredential, Send, ReadBody, Sleep]
Flow = Generator[Effect, Any, Any]


class Call:
    """One call's inputs, checked once: what every attempt of it sends.

    ``checked`` is the headers once :func:`~tcfunc.request._check_headers`
    has passed them (None until the first attempt checks them; a call whose
    only header is tcfunc's own trace id starts with it set).
    """

    __slots__ = ("action", "checked", "headers", "options", "params", "stream")

    def __init__(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Mapping[str, str],
        options: RequestOptions,
        stream: bool,
        checked: Optional[Dict[str, str]] = None,
    ) -> None:
        self.action = action
        self.params = params
        self.headers = headers
        self.options = options
        self.stream = stream
        self.checked = checked

    @property
    def safe(self) -> bool:
        """Whether the retry policy may send it again after it may have arrived."""
        # Asked only after a failure: most calls never pay for it.
        return is_safe_to_repeat(self.action, self.params)


def counts_as_success(error: TencentCloudSDKException) -> bool:
    """For the breaker: an API answer (RequestId) shows the region works, unless InternalError."""
    code = error.code or ""
    if not error.requestId or code in ("ServerNetworkError", HTTP_STATUS_ERROR, PARSE_JSON_ERROR):
        return False
    return code != "InternalError" and not code.startswith("InternalError.")


def _info(core: _ClientCore, call: Call, attempt: int) -> CallInfo:
    # Only with hooks: a client without them never builds the class.
    from ._callinfo import CallInfo

    return CallInfo(core._service, core._apiVersion, call.action, core.region or "", attempt)


def call_flow(core: _ClientCore, call: Call, *, retry: bool = True) -> Flow:
    """The whole call: attempts under the retry policy (``retry=False``: one attempt)."""
    policy = core._retry if retry else None
    hooks = core._hooks
    # An AdaptiveRetryer's limiter: asked before each attempt, told how it went.
    adaptive = core._adaptive
    attempt = 1
    while True:
        # One value per attempt, so a hook can key its own state (a span) on it.
        info = _info(core, call, attempt) if hooks.active else None
        if adaptive is not None:
            wait = adaptive.before_send(core._service, call.action)
            if wait > 0.0:
                yield Sleep(wait)
        try:
            result = yield from attempt_flow(core, call, attempt, info)
        except TencentCloudSDKException as err:
            if adaptive is not None:
                adaptive.after_error(core._service, call.action, err)
            delay = None
            if policy is not None:
                delay = policy.delay_after(attempt, err, safe_to_repeat=call.safe)
            if delay is None:
                if hooks.on_error:
                    hooks.run(hooks.on_error, info, err)
                raise
            log_retry = getattr(policy, "log_retry", None)
            if log_retry is not None:
                log_retry(attempt, delay, err)
            if hooks.on_retry:
                hooks.run(hooks.on_retry, info, delay, err)
        else:
            if adaptive is not None:
                adaptive.after_success(core._service, call.action)
            return result
        yield Sleep(delay)
        attempt += 1


def attempt_flow(
    core: _ClientCore, call: Call, attempt: int, info: Optional[CallInfo] = None
) -> Flow:
    """One attempt, plus one more after a clock correction (see :mod:`tcfunc.skew`)."""
    breaker = core._breaker
    hooks = core._hooks
    log = core._log_hook
    options = call.options
    corrected = False
    while True:
        source = core.credential
        # The common case, a plain Credential, needs no effect.
        credential = (
            source if type(source) is Credential else (yield GetCredential(options.skip_sign))
        )
        generation, host = 0, None
        if breaker is not None:
            generation, use_backup = breaker.before_request()
            if use_backup:
                host = core._backup_host
        timestamp, offset = core._skew.timestamp(core._clock())
        checked = call.checked
        if checked is None:
            checked = call.checked = _check_headers(call.headers)
        # A copy each attempt: the request builder takes the dict it is given.
        headers = dict(checked)
        if hooks.request_headers:
            assert info is not None
            extra = hooks.extra_headers(info)
            if extra:
                merged = _check_headers(extra)
                merged.update(headers)  # the caller's own headers win
                headers = merged
        prepared = _prepare(
            call.action,
            call.params,
            core._service,
            core._apiVersion,
            core.region,
            credential,
            core.profile,
            timestamp,
            headers,
            options,
            host,
        )
        # One level check an attempt: most clients never log at DEBUG.
        debug = log.log.isEnabledFor(_DEBUG)
        if debug:
            log.before_send(info, prepared)
        if hooks.before_send:
            hooks.run(hooks.before_send, info, prepared)
        started = time.monotonic() if hooks.after_response else 0.0
        try:
            response = yield Send(prepared, core._timeout, call.stream)
            status, answer_headers = response.status, response.headers
            if hooks.after_response:
                hooks.run(
                    hooks.after_response, info, status, answer_headers, time.monotonic() - started
                )
            # The Content-Type read once: for the stream check and the charset.
            media, charset = _media(answer_headers)
            streaming = status == 200 and media == "text/event-stream"
            if streaming and call.stream:
                if breaker is not None:
                    breaker.after_request(generation, True)
                if debug:
                    log.response(200, answer_headers, "<event stream>")
                return response
            # A transport that read the body already (all but streams) is not asked again.
            body = getattr(response, "loaded", None)
            if body is None:
                body = yield ReadBody(response)
        except TencentCloudSDKException as exc:
            if breaker is not None:
                breaker.after_request(generation, False)
            log.failed(exc)
            raise
        if debug:
            log.response(status, answer_headers, body)
        if streaming:
            # call_json/call/a model method: the answer streams; say which call reads it.
            if breaker is not None:
                breaker.after_request(generation, True)
            raise TencentCloudSDKException(
                EVENT_STREAM_ANSWER,
                f"{call.action} answered with an event stream (text/event-stream); "
                "read it with call_sse(), or a generated method of a streaming action",
            )
        try:
            document: Dict[str, Any] = _parse(status, answer_headers, body, charset)
        except TencentCloudSDKException as exc:
            if breaker is not None:
                breaker.after_request(generation, counts_as_success(exc))
            if exc.code == _SIGNATURE_EXPIRE and not corrected:
                corrected, learnt = core._skew.learn(
                    answer_headers, timestamp, offset, core._clock()
                )
                if learnt is not None:
                    core._note_clock(learnt)
                if corrected:
                    continue
            raise
        if breaker is not None:
            breaker.after_request(generation, True)
        return document


def single_event(document: Any) -> Dict[str, Any]:
    """The one event a plain JSON answer is, for ``call_sse`` (its ``data`` is the JSON text)."""
    return {"data": json.dumps(document, ensure_ascii=False)}
