"""The clients users call: :class:`AbstractClient` and :class:`CommonClient`.

A client holds a :class:`~tcfunc.profile.ClientProfile`, a credential (or a
provider), a transport and, when failover is on, a region breaker. Every call
style (``call_json``, ``call``, ``call_octet_stream``, ``call_sse`` and the
service clients' ``_call_model``) runs the same call flow
(:mod:`tcfunc._flow`)::

    retry policy ( snapshot credential -> pick host (breaker) -> prepare_request
                   -> transport.send -> parse_response -> count for breaker )

The flow decides and this module's driver does the I/O (send, read, sleep,
credential snapshot); :mod:`tcfunc.aio` drives the same flow with ``await``.

Differences from the official SDK, each pinned by a test in
``tests/test_official_defects.py``: errors always reach the caller as
:class:`TencentCloudSDKException` (with the breaker on, the official returns
None and the caller gets an AttributeError); a request sent to the backup
region is signed for the backup host; 4xx answers are not retried and there
is no sleep after the last attempt; API errors are found whatever the JSON
content type's parameters; the caller's headers dict is never changed;
secrets never reach a log; warning filters are left alone. Added: a
``AuthFailure.SignatureExpire`` answer corrects the client's clock from the
server's ``Date`` and the call is tried once more. Each attempt remembers the
timestamp and clock offset it signed with, so when several threads sign with
a wrong clock at once, each of them retries once, including those whose
answer arrives after another thread has already learnt the offset.

Logging: each client logs to the shared ``tcfunc.client`` logger until its
own logger is asked for (:attr:`~AbstractClient.logger`, or a ``set_*_logger``
method). That own logger (``tcfunc.client.<service>.<n>``, a child of
``tcfunc.client``) is kept out of the logging module's registry, which would
otherwise hold one entry per client for the life of the process; it goes
with its client, and :meth:`~AbstractClient.close` (or collection) closes its
handlers and their files.

One client is safe to share between threads.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import warnings
import weakref
from collections import abc
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    Literal,
    Mapping,
    Optional,
    Protocol,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
    overload,
)

import attrs

from ._credential import Credential, CredentialProvider, snapshot
from ._flow import (
    Call,
    GetCredential,
    ReadBody,
    Send,
    call_flow,
    single_event,
)
from ._validate import fail
from .errors import TencentCloudSDKException
from .hooks import DEFAULT_FORMAT, Hooks, LogHook
from .profile import ClientProfile, redact_url
from .request import _NO_OPTIONS, RequestOptions
from .response import deprecation_notice
from .skew import ClockSkew
from .transport import Transport

if TYPE_CHECKING:
    from ._retryers import StandardRetryer
    from .breaker import RegionBreaker
    from .paginate import PageScheme, Paginator
    from .sse import EventStream

__all__ = ["AbstractClient", "ModelLike", "ResponseModelLike", "CommonClient"]

_TRACE_HEADER = "X-TC-TraceId"
# A generator of the client's own: an application's random.seed() (common in
# tests and simulations) must not make two processes send the same trace ids.
_trace_rng = random.Random()
if hasattr(os, "register_at_fork"):  # a forked child draws its own sequence
    os.register_at_fork(after_in_child=_trace_rng.seed)
_bits = _trace_rng.getrandbits
_SSE_MODES = (False, True, "auto")

R = TypeVar("R", bound="ResponseModelLike")
_Self = TypeVar("_Self")


class ModelLike(Protocol):
    """What :meth:`AbstractClient._call_model` needs from a request model."""

    @property
    def headers(self) -> Optional[Mapping[str, str]]:
        """Extra headers for this request, or None."""
        ...

    def to_api(self) -> Dict[str, Any]:
        """The action's params as API JSON."""
        ...


class ResponseModelLike(Protocol):
    """What :meth:`AbstractClient._call_model` needs from a response model type."""

    @classmethod
    def from_api(cls: Type[_Self], data: Mapping[str, Any]) -> _Self:
        """A model from the answer's ``Response`` object."""
        ...


def _uuid4() -> str:
    """A random (version 4) UUID string, from ``os.urandom`` (ClientToken values).

    Written out instead of ``uuid.uuid4()`` because importing ``uuid`` (and
    the ``platform`` module it pulls in) costs more than the rest of a call.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Version 4 and the RFC 4122 variant, set on 128 random bits.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def _trace_id() -> str:
    """A version 4 UUID string for ``X-TC-TraceId``, one per call.

    A trace id only has to be unique, not unguessable: it comes from a
    ``random.Random`` of tcfunc's own (seeded from the OS, reseeded in a
    forked child, untouched by ``random.seed``), which saves the system call
    of ``os.urandom`` on every call.
    """
    h = ((_bits(128) & _UUID_CLEAR) | _UUID_SET).to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _with_trace_id(headers: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    """``headers`` plus a fresh ``X-TC-TraceId`` unless the caller gave one; never mutated."""
    if headers is None:
        return {_TRACE_HEADER: _trace_id()}
    if not isinstance(headers, abc.Mapping):
        fail("ClientError", "headers must be a dict of str to str")
    for name in headers:
        if isinstance(name, str) and name.lower() == "x-tc-traceid":
            return headers
    out = dict(headers)
    out[_TRACE_HEADER] = _trace_id()
    return out


def _with_client_token(
    params: Optional[Mapping[str, Any]], options: Mapping[str, Any]
) -> Tuple[Optional[Mapping[str, Any]], Dict[str, Any]]:
    """The ``{"ClientToken": True}`` option: an empty ``ClientToken`` param gets a UUID4.

    Once per call (every retry sends the same token), so the retry-safety
    rule may repeat a create whose answer was lost; the API runs a request
    with a given token at most once. The other options pass through.
    """
    rest = dict(options)
    wanted = rest.pop("ClientToken")
    if not isinstance(wanted, bool):
        fail("ClientError", "the ClientToken option must be True or False")
    # Params that are not a dict are left for prepare_request to refuse.
    fillable = params is None or isinstance(params, Mapping)
    if wanted and fillable and not (params or {}).get("ClientToken"):
        filled = dict(params or {})
        filled["ClientToken"] = _uuid4()
        params = filled
    return params, rest


class _ClientCore:
    """What both clients hold and the call flow reads: configuration and small shared state.

    Subclasses (service clients) set the class attributes ``_service`` and
    ``_apiVersion``; :class:`CommonClient` takes them as arguments.
    """

    _service: str = ""
    _apiVersion: str = ""
    _requestPath = "/"
    FMT = DEFAULT_FORMAT

    def __init__(
        self,
        credential: Union[Credential, CredentialProvider, None],
        region: Optional[str],
        profile: Optional[ClientProfile],
        clock: Optional[Callable[[], float]],
    ) -> None:
        if profile is None:
            profile = ClientProfile()
        elif not isinstance(profile, ClientProfile):
            fail("ClientError", "profile must be a ClientProfile")
        if not isinstance(region, str):
            fail("ClientError", "region must be a string ('' for a global service)")
        self.credential = credential
        self.region = region
        self.profile = profile
        self._lock = threading.Lock()
        # Read on every attempt; the profile is frozen and already validated.
        self._timeout = float(profile.httpProfile.reqTimeout)
        # Ours decide (delay_after) and the flow waits; another object with
        # only the official send_request(fn) protocol drives attempts itself.
        self._retry: Optional[StandardRetryer] = None
        self._foreign: Any = None
        self._sleep: Callable[[float], None] = time.sleep
        # An AdaptiveRetryer (tcfunc.adaptive) also paces attempts in the flow.
        self._adaptive: Any = None
        if profile.retryer is not None:
            # Only here are the retryer classes needed (and built, on first use).
            from .retry import NoopRetryer, StandardRetryer, adapt_retryer

            retryer = adapt_retryer(profile.retryer)
            if isinstance(retryer, StandardRetryer):
                self._retry = retryer
                self._sleep = retryer.sleep
                if hasattr(retryer, "before_send"):
                    self._adaptive = retryer
            elif not isinstance(retryer, NoopRetryer):
                self._foreign = retryer
        self._breaker: Optional[RegionBreaker] = None
        self._backup_host: Optional[str] = None
        rbp = profile.region_breaker_profile
        if not profile.disable_region_breaker and rbp is not None:
            from .breaker import RegionBreaker  # loaded only with failover on

            self._breaker = RegionBreaker(rbp) if clock is None else RegionBreaker(rbp, clock)
            self._backup_host = f"{self._service}.{rbp.backup_endpoint}"
        self._skew = ClockSkew()
        self._clock: Callable[[], float] = clock or time.time
        self._hooks = Hooks(profile.hooks)
        self._log_hook = LogHook(self._service, self)

    @property
    def _clock_offset(self) -> float:
        """Seconds added to the local clock when signing (learnt from SignatureExpire)."""
        return self._skew.offset

    def _new_call(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]],
        options: Union[RequestOptions, Mapping[str, Any], None],
        stream: bool,
    ) -> Call:
        if not isinstance(action, str) or not action:
            fail("ClientError", "action must be a non-empty string")
        if headers is None and options is None:  # most calls
            # The one header is tcfunc's own: nothing to check.
            trace = {_TRACE_HEADER: _trace_id()}
            return Call(action, params, trace, _NO_OPTIONS, stream, trace)
        # A dict of options, checked without typing.Mapping's slow isinstance (every call).
        if (
            options is not None
            and type(options) is not RequestOptions
            and (isinstance(options, abc.Mapping) and "ClientToken" in options)
        ):
            params, options = _with_client_token(params, options)
        return Call(action, params, _with_trace_id(headers), RequestOptions.coerce(options), stream)

    @staticmethod
    def _model_params(request: Any) -> Tuple[Dict[str, Any], Optional[Mapping[str, str]]]:
        to_api = getattr(request, "to_api", None)
        if not callable(to_api):
            fail(
                "ClientError",
                f"request must be a request model (with to_api()), got {type(request).__name__}",
            )
        return to_api(), getattr(request, "headers", None)

    def _note_clock(self, offset: float) -> None:
        log = self._log_hook.log
        if log.isEnabledFor(logging.INFO):
            log.info(
                "local clock is %.0fs off the server's; signing with the server's time", -offset
            )

    def _describe_transport(self) -> None:
        log = self._log_hook.log
        if log.isEnabledFor(logging.DEBUG):
            http = self.profile.httpProfile
            log.debug(
                "transport: %s://%s, timeout %ss, proxy %s",
                http.protocol,
                http.endpoint or f"{self._service}.{http.rootDomain}",
                http.reqTimeout,
                redact_url(http.proxy) or "from the environment, if any",
            )

    # ---------------------------------------------------------------- logging

    @property
    def logger(self) -> logging.Logger:
        """This client's own logger, a child of ``tcfunc.client`` (made on first use)."""
        return self._log_hook.logger

    def set_stream_logger(
        self, stream: Any = None, level: int = logging.DEBUG, log_format: Optional[str] = None
    ) -> None:
        """Log this client's lines to ``stream`` (default ``sys.stderr``) at ``level`` (DEBUG).

        Calling it again replaces the previous stream handler.
        """
        self._log_hook.stream_handler(stream, level, log_format)

    def set_file_logger(
        self, file_path: str, level: int = logging.DEBUG, log_format: Optional[str] = None
    ) -> None:
        """Log this client's lines to a rotating file (512 MB x 10).

        A directory gets a ``tcfunc.log`` inside it. Calling it again
        replaces the previous file handler.
        """
        self._log_hook.file_handler(file_path, level, log_format)

    def set_default_logger(self) -> None:
        """Remove this client's handlers; its lines go to ``tcfunc`` again."""
        self._log_hook.reset()


class AbstractClient(_ClientCore):
    """Base of every client: signs, sends, retries, fails over and logs.

    Subclasses (service clients) set the class attributes ``_service`` and
    ``_apiVersion``; :class:`CommonClient` takes them as arguments.

    Args:
        credential: a :class:`~tcfunc.credential.Credential` or any provider
            with ``get_credential()``; one snapshot is taken per attempt.
        region: e.g. ``"ap-guangzhou"``; ``""`` for global services.
        profile: a :class:`~tcfunc.profile.ClientProfile`; default ``ClientProfile()``.
        transport: an executor with ``send(prepared, timeout, *, stream)``;
            default a :class:`~tcfunc.transport.Urllib3Transport` made at the
            first call (so urllib3 loads only then).
        clock: Unix seconds for request timestamps (default ``time.time``);
            for tests. When given, the region breaker reads its time from it
            too (otherwise from ``time.monotonic``), so a test can walk the
            breaker through its states.
    """

    def __init__(
        self,
        credential: Union[Credential, CredentialProvider, None],
        region: Optional[str],
        profile: Optional[ClientProfile] = None,
        *,
        transport: Optional[Transport] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(credential, region, profile, clock)
        self._transport = transport
        self._release: Optional[Callable[[], Any]] = None

    # ----------------------------------------------------------- call styles

    def call_json(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]] = None,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Dict[str, Any]:
        """Call ``action`` with ``params``; return the answer's JSON document.

        Args:
            action: e.g. ``"DescribeInstances"``.
            params: the action's params.
            headers: extra headers (e.g. ``{"X-TC-TraceId": ...}``); not modified.
            options: :class:`~tcfunc.request.RequestOptions` or the official
                options dict (``SkipSign``, ``IsMultipart``, ``BinaryParams``, ...).

        Returns:
            ``{"Response": {..., "RequestId": ...}}``.

        Raises:
            TencentCloudSDKException: the API error, or a tcfunc code
                (``ClientNetworkError``, ``ServerNetworkError``, ``ClientError...``;
                ``ClientError.EventStreamAnswer`` when the answer is an event
                stream, which :meth:`call_sse` reads).
        """
        return self._call_document(action, params, headers, options)

    def call(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]] = None,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Dict[str, Any]:
        """The official ``call``; returns the decoded document, as :meth:`call_json`."""
        return self._call_document(action, params, headers, options)

    def _call_document(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]],
        options: Union[RequestOptions, Mapping[str, Any], None],
    ) -> Dict[str, Any]:
        document = self._run(self._new_call(action, params, headers, options, False))
        # stacklevel 4: this helper, call/call_json, then the caller's line.
        _warn_if_deprecated(document, 4)
        return cast(Dict[str, Any], document)

    def call_octet_stream(
        self,
        action: str,
        headers: Optional[Mapping[str, str]],
        body: bytes,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Dict[str, Any]:
        """Call ``action`` with ``body`` as ``application/octet-stream`` (TC3, POST).

        Retries, failover and logging apply as for every call (the official
        SDK skips them here).
        """
        opts = attrs.evolve(RequestOptions.coerce(options), octet_stream=True, body=body)
        document = self._run(self._new_call(action, None, headers, opts, False))
        _warn_if_deprecated(document, 3)
        return cast(Dict[str, Any], document)

    def call_sse(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]] = None,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> EventStream:
        """Call ``action`` and iterate over the server-sent events of the answer.

        The request is sent (and retried, and API errors raised) before this
        returns; events are then parsed as their bytes arrive. Each event is a
        dict with ``data`` and, where the event carried them, ``event``,
        ``id`` and ``retry``. An answer that is plain JSON rather than an
        event stream (an action called without streaming) is one event whose
        ``data`` is that JSON text.

        The connection is held until the events run out, an error is raised
        from them, or the returned :class:`~tcfunc.sse.EventStream` is closed
        (``close()``, or leaving a ``with`` block); a caller that may stop
        early, or never start, should close it (garbage collection closes it
        too, but later).
        """
        return self._stream_of(self._run(self._new_call(action, params, headers, options, True)))

    def _stream_of(self, result: Any) -> EventStream:
        from .sse import EventStream, iter_events  # loaded by the first streaming call

        if isinstance(result, dict):
            return EventStream(iter([single_event(result)]))
        return EventStream(iter_events(result.iter_chunks()), result.close, self._log_hook.log)

    @overload
    def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Literal[False] = ...,
        options: Union[RequestOptions, Mapping[str, Any], None] = ...,
    ) -> R: ...

    @overload
    def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Literal[True],
        options: Union[RequestOptions, Mapping[str, Any], None] = ...,
    ) -> EventStream: ...

    @overload
    def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Literal["auto"],
        options: Union[RequestOptions, Mapping[str, Any], None] = ...,
    ) -> Union[R, EventStream]: ...

    def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Union[bool, str] = False,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Union[R, EventStream]:
        """The one helper generated service clients call.

        Sends ``request.to_api()`` with ``request.headers``. With ``sse`` False
        it returns ``response_type.from_api(document["Response"])`` (and an
        event-stream answer raises ``ClientError.EventStreamAnswer``); with
        ``"auto"`` the answer decides, as in the official SDK: an
        :class:`~tcfunc.sse.EventStream` for ``text/event-stream``, the model
        otherwise; ``True`` always gives the events (as :meth:`call_sse`).
        ``options`` are the action's request options, as for :meth:`call_json`.
        """
        if sse not in _SSE_MODES:
            fail("ClientError", "sse must be False, True or 'auto'")
        params, headers = self._model_params(request)
        result = self._run(self._new_call(action, params, headers, options, sse is not False))
        if sse is True or not isinstance(result, dict):
            return self._stream_of(result)
        _warn_if_deprecated(result, 4)
        return response_type.from_api(result["Response"])

    # ------------------------------------------------------------ bulk work

    def paginate(
        self,
        action: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        max_items: Optional[int] = None,
        scheme: Union[PageScheme, str, None] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Paginator:
        """Every page of ``action``: iterate for each ``Response``, ``.items()`` for the items.

        The paging scheme (token, Offset/Limit, PageNumber/PageSize) is
        inferred from the first answer unless ``scheme`` names it; see
        :mod:`tcfunc.paginate`. Nothing is sent until iteration starts;
        ``headers`` go with every request.
        """
        from .paginate import Paginator

        return Paginator(
            lambda page: self.call_json(action, page, headers), action, params,
            max_items=max_items, scheme=scheme,
        )  # fmt: skip

    def wait_until(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        expr: str,
        to: Any,
        *,
        timeout: float = 180,
        interval: float = 5,
        failure: Iterable[Any] = (),
        headers: Optional[Mapping[str, str]] = None,
        sleep: Optional[Callable[[float], Any]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> Dict[str, Any]:
        """Poll ``action`` until ``expr`` over its ``Response`` equals ``to``; that ``Response``.

        Raises ``ClientError.WaiterTimeout`` (naming the last value seen)
        after ``timeout`` seconds, ``ClientError.WaiterFailure`` as soon as
        the value is in ``failure``; see :mod:`tcfunc.waiter`. ``sleep``
        defaults to the retryer's (``time.sleep``), ``clock`` to
        ``time.monotonic``.
        """
        from .waiter import WaiterSpec, wait

        spec = WaiterSpec(expr, to, timeout, interval, tuple(failure))
        return wait(
            lambda sent: self.call_json(action, sent, headers), action, params, spec,
            sleep=sleep or self._sleep, clock=clock or time.monotonic,
        )  # fmt: skip

    # ------------------------------------------------------------ the driver

    def _run(self, call: Call) -> Any:
        if self._foreign is not None:
            # The official protocol: the retryer runs whole single attempts.
            return self._foreign.send_request(
                lambda: self._drive(call_flow(self, call, retry=False))
            )
        return self._drive(call_flow(self, call))

    def _drive(self, flow: Any) -> Any:
        """Perform the flow's effects until it returns; its errors propagate."""
        transport = self._transport or self._get_transport()
        value: Any = None
        error: Optional[TencentCloudSDKException] = None
        while True:
            try:
                effect = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            kind = type(effect)
            try:
                if kind is Send:
                    value = transport.send(effect.request, effect.timeout, stream=effect.stream)
                elif kind is ReadBody:
                    value = effect.response.read()
                elif kind is GetCredential:
                    value = snapshot(self.credential, skip_sign=effect.skip_sign)
                else:  # Sleep
                    self._sleep(effect.seconds)
            except TencentCloudSDKException as exc:
                error = exc

    def _get_transport(self) -> Transport:
        transport = self._transport
        if transport is None:
            with self._lock:
                if self._transport is None:
                    # urllib3 loads here, at the first call, not at import.
                    from ._urllib3 import acquire

                    shared, release = acquire(self.profile.httpProfile)
                    self._transport = shared
                    # Released once: by close(), or when the client is collected.
                    self._release = weakref.finalize(self, release)
                    self._describe_transport()
                transport = self._transport
        return transport

    # --------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Release the client's connections and close its log handlers (it stays usable).

        A transport given to the constructor is closed. The default transport
        is shared by every client with the same connection settings; closing
        the last of them closes its pooled connections.
        """
        self._log_hook.close()
        with self._lock:
            release, self._release = self._release, None
            if release is not None:
                self._transport = None
        if release is not None:
            release()
            return
        closer: Optional[Callable[[], None]] = getattr(self._transport, "close", None)
        if closer is not None:
            closer()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _warn_if_deprecated(document: Any, stacklevel: int) -> None:
    # Every answer passes here: the plain one leaves after one lookup.
    response = document.get("Response") if type(document) is dict else None
    if type(response) is dict and "DeprecatedWarning" in response:
        notice = deprecation_notice(document)
        if notice is not None:
            # The application's filters decide whether it shows; the official
            # SDK resets them to "default" here, for the whole process.
            warnings.warn(notice, DeprecationWarning, stacklevel=stacklevel)


class CommonClient(AbstractClient):
    """A client for any service: ``CommonClient("cvm", "2017-03-12", cred, "ap-guangzhou")``."""

    def __init__(
        self,
        service: str,
        version: str,
        credential: Union[Credential, CredentialProvider, None],
        region: Optional[str],
        profile: Optional[ClientProfile] = None,
        *,
        transport: Optional[Transport] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        if service is None or version is None or region is None:
            fail(
                "ClientError",
                "CommonClient needs service, version and region (region may be '')",
            )
        for name, value in (("service", service), ("version", version), ("region", region)):
            if not isinstance(value, str):
                fail("ClientError", f"CommonClient {name} must be a string")
        self._service = service
        self._apiVersion = version
        super().__init__(credential, region, profile, transport=transport, clock=clock)
