"""The clients users call: :class:`AbstractClient` and :class:`CommonClient`.

A client holds a :class:`~tcfunc.profile.ClientProfile`, a credential (or a
provider), a transport and, when failover is on, a region breaker. Every call
style (``call_json``, ``call``, ``call_octet_stream``, ``call_sse`` and the
service clients' ``_call_model``) runs the same path::

    retry policy ( snapshot credential -> pick host (breaker) -> prepare_request
                   -> transport.send -> parse_response -> count for breaker )

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

Logging, a deliberate choice: each client logs to its *own* child logger of
``tcfunc`` (``tcfunc.client.<service>.<n>``), but that logger is made lazily,
the first time the client's :attr:`~AbstractClient.logger` is asked for (by
the ``set_*_logger`` methods, say). Until then the client logs to the shared
``tcfunc.client``. The logging module keeps every named logger for the life
of the process, so one logger per client made eagerly would leave one entry
behind for each of the thousands of short-lived clients a service may make;
made lazily, only clients whose logging is configured pay for it, and the
lines of all others still reach handlers on ``tcfunc`` or ``tcfunc.client``.

One client is safe to share between threads.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
import warnings
import weakref
from typing import (
    Any,
    Callable,
    ClassVar,
    Dict,
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

from ._logging import RequestLine, ResponseLine
from ._validate import fail
from .breaker import RegionBreaker
from .credential import Credential, CredentialProvider
from .errors import TencentCloudSDKException
from .profile import ClientProfile, HttpProfile, redact_url
from .request import RequestOptions, prepare_request
from .response import (
    HTTP_STATUS_ERROR,
    PARSE_JSON_ERROR,
    deprecation_notice,
    header_value,
    is_event_stream,
    parse_response,
)
from .retry import NoopRetryer, Retryer, StandardRetryer, is_safe_to_repeat
from .sse import EventStream, iter_events
from .transport import HttpResponse, Transport

__all__ = ["AbstractClient", "ModelLike", "ResponseModelLike", "CommonClient"]

_DEBUG = logging.DEBUG
_SHARED_LOGGER = logging.getLogger("tcfunc.client")
_LOGGER_IDS = itertools.count(1)
_TRACE_HEADER = "X-TC-TraceId"
_SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"
# A SignatureExpire for a request signed this close to the server's Date has
# another cause than the clock: it is not tried again.
_SKEW_TOLERANCE = 60.0
# Placeholder for SkipSign calls made without any credential; never sent.
_UNSIGNED = Credential("SKIP", "SKIP")

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
    """A random (version 4) UUID string.

    Written out instead of ``uuid.uuid4()`` because importing ``uuid`` (and
    the ``platform`` module it pulls in) costs more than the rest of a call.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _with_trace_id(headers: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    """``headers`` plus a fresh ``X-TC-TraceId`` unless the caller gave one; never mutated."""
    if headers is None:
        return {_TRACE_HEADER: _uuid4()}
    if not isinstance(headers, Mapping):
        fail("ClientError", "headers must be a dict of str to str")
    for name in headers:
        if isinstance(name, str) and name.lower() == "x-tc-traceid":
            return headers
    out = dict(headers)
    out[_TRACE_HEADER] = _uuid4()
    return out


def _counts_as_success(error: TencentCloudSDKException) -> bool:
    """For the breaker: an API answer (RequestId) shows the region works, unless InternalError."""
    code = error.code or ""
    if not error.requestId or code in ("ServerNetworkError", HTTP_STATUS_ERROR, PARSE_JSON_ERROR):
        return False
    return code != "InternalError" and not code.startswith("InternalError.")


def _server_time(headers: Mapping[str, str]) -> Optional[float]:
    value = header_value(headers, "Date")
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # rare path; keeps import tcfunc light

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class _SharedTransport:
    """One default transport per set of connection settings, shared by clients.

    A urllib3 pool manager and its pools cost more memory than the client
    itself (about 9 KiB of the 11 KiB a client holds after its first call),
    and clients for many services and regions with one profile can share
    them: pools are keyed by host, and the transport is thread-safe. The key
    is everything the transport reads when built: proxy, certification,
    pool size, and the proxy variables of the environment at that moment.
    Users are counted; the last release closes the pools.
    """

    _registry: ClassVar[Dict[Tuple[Any, ...], _SharedTransport]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, key: Tuple[Any, ...], transport: Transport) -> None:
        self.key = key
        self.transport = transport
        self.users = 0

    @classmethod
    def acquire(cls, http: HttpProfile) -> _SharedTransport:
        import urllib.request

        from .transport import Urllib3Transport

        env = tuple(sorted(urllib.request.getproxies_environment().items()))
        key = (http.proxy, http.certification, http.pool_size, env)
        with cls._registry_lock:
            shared = cls._registry.get(key)
            if shared is None:
                shared = cls._registry[key] = cls(key, Urllib3Transport(http))
            shared.users += 1
            return shared

    def release(self) -> None:
        with self._registry_lock:
            self.users -= 1
            last = self.users == 0 and self._registry.get(self.key) is self
            if last:
                del self._registry[self.key]
        if last:
            closer: Optional[Callable[[], None]] = getattr(self.transport, "close", None)
            if closer is not None:
                closer()


class AbstractClient:
    """Base of every client: signs, sends, retries, fails over and logs.

    Subclasses (service clients) set the class attributes ``_service`` and
    ``_apiVersion``; :class:`CommonClient` takes them as arguments.

    Args:
        credential: a :class:`~tcfunc.credential.Credential` or any provider
            with ``get_credential()``; one snapshot is taken per attempt.
        region: e.g. ``"ap-guangzhou"``; empty for global services.
        profile: a :class:`~tcfunc.profile.ClientProfile`; default ``ClientProfile()``.
        transport: an executor with ``send(prepared, timeout, *, stream)``;
            default a :class:`~tcfunc.transport.Urllib3Transport` made at the
            first call (so urllib3 loads only then).
        clock: Unix seconds for request timestamps (default ``time.time``);
            for tests. When given, the region breaker reads its time from it
            too (otherwise from ``time.monotonic``), so a test can walk the
            breaker through its states.
    """

    _service: str = ""
    _apiVersion: str = ""
    _requestPath = "/"
    FMT = "%(asctime)s %(process)d %(filename)s L%(lineno)s %(levelname)s %(message)s"

    def __init__(
        self,
        credential: Union[Credential, CredentialProvider, None],
        region: Optional[str],
        profile: Optional[ClientProfile] = None,
        *,
        transport: Optional[Transport] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        if profile is None:
            profile = ClientProfile()
        elif not isinstance(profile, ClientProfile):
            fail("ClientError", "profile must be a ClientProfile")
        self.credential = credential
        self.region = region
        self.profile = profile
        self._transport = transport
        self._release: Optional[Callable[[], Any]] = None
        self._lock = threading.Lock()
        # Read on every attempt; the profile is frozen and already validated,
        # so these are computed once here rather than per call.
        self._timeout = float(profile.httpProfile.reqTimeout)
        retryer = profile.retryer
        # Our retryers take the safe_to_repeat hint; one from elsewhere (the
        # official's, say) gets the official one-argument protocol.
        self._retryer: Optional[StandardRetryer] = None
        self._foreign_retryer: Optional[Retryer] = None
        if isinstance(retryer, StandardRetryer):
            self._retryer = retryer
        elif retryer is not None and not isinstance(retryer, NoopRetryer):
            self._foreign_retryer = retryer
        self._breaker: Optional[RegionBreaker] = None
        self._backup_host: Optional[str] = None
        rbp = profile.region_breaker_profile
        if not profile.disable_region_breaker and rbp is not None:
            self._breaker = RegionBreaker(rbp) if clock is None else RegionBreaker(rbp, clock)
            self._backup_host = f"{self._service}.{rbp.backup_endpoint}"
        # Seconds to add to the local clock, learnt from SignatureExpire
        # answers; a float store is atomic, writers also take the lock.
        self._clock_offset = 0.0
        self._clock: Callable[[], float] = clock or time.time
        self._log = _SHARED_LOGGER
        self._own_logger: Optional[logging.Logger] = None
        self._handlers: Dict[str, logging.Handler] = {}

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
                (``ClientNetworkError``, ``ServerNetworkError``, ``ClientError...``).
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
        document = self._execute(action, params, headers, RequestOptions.coerce(options))
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
        document = self._execute(action, None, headers, opts)
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
        result = self._execute(action, params, headers, RequestOptions.coerce(options), stream=True)
        if isinstance(result, HttpResponse):
            return EventStream(iter_events(result.iter_chunks()), result.close, self._log)
        return EventStream(iter([{"data": json.dumps(result, ensure_ascii=False)}]))

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

    def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: bool = False,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Union[R, EventStream]:
        """The one helper generated service clients call.

        Sends ``request.to_api()`` with ``request.headers``; returns
        ``response_type.from_api(document["Response"])``, or with ``sse`` the
        event iterator of :meth:`call_sse`. ``options`` are the action's
        request options, as for :meth:`call_json` (generated clients pass
        ``RequestOptions(multipart=True, binary_params=...)`` for actions
        with ``binary`` members, which travel as file parts).
        """
        params = request.to_api()
        headers = getattr(request, "headers", None)
        if sse:
            return self.call_sse(action, params, headers, options)
        document = cast(
            Dict[str, Any], self._execute(action, params, headers, RequestOptions.coerce(options))
        )
        _warn_if_deprecated(document, 4)
        return response_type.from_api(document["Response"])

    # -------------------------------------------------------------- the path

    def _execute(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]],
        options: RequestOptions,
        *,
        stream: bool = False,
    ) -> Union[Dict[str, Any], HttpResponse]:
        if not isinstance(action, str) or not action:
            fail("ClientError", "action must be a non-empty string")
        sent_headers = _with_trace_id(headers)

        def attempt() -> Union[Dict[str, Any], HttpResponse]:
            return self._attempt(action, params, sent_headers, options, stream)

        if self._retryer is not None:
            return self._retryer.send_request(
                attempt, safe_to_repeat=is_safe_to_repeat(action, params)
            )
        if self._foreign_retryer is not None:
            return self._foreign_retryer.send_request(attempt)
        return attempt()  # NoopRetryer or none: one attempt

    def _snapshot(self, options: RequestOptions) -> Credential:
        credential = self.credential
        if isinstance(credential, Credential):  # the common case, no call
            return credential
        if credential is None:
            if options.skip_sign:
                return _UNSIGNED
            fail("InvalidCredential", "the client has no credential")
        get = getattr(credential, "get_credential", None)
        if get is None:
            fail(
                "ClientError", "credential must be a Credential or a provider with get_credential()"
            )
        try:
            snapshot = get()
        except TencentCloudSDKException:
            raise
        except Exception as exc:
            # The provider's own message may quote what it read; keep only its type.
            raise TencentCloudSDKException(
                "InvalidCredential", f"the credential provider failed: {type(exc).__name__}"
            ) from exc
        if not isinstance(snapshot, Credential):
            fail("InvalidCredential", "the credential provider returned no credential")
        return snapshot

    def _get_transport(self) -> Transport:
        transport = self._transport
        if transport is None:
            with self._lock:
                if self._transport is None:
                    http = self.profile.httpProfile
                    shared = _SharedTransport.acquire(http)
                    self._transport = shared.transport
                    # Released once: by close(), or when the client is collected.
                    self._release = weakref.finalize(self, shared.release)
                    if self._log.isEnabledFor(_DEBUG):
                        self._log.debug(
                            "transport: %s://%s, timeout %ss, proxy %s",
                            http.protocol,
                            http.endpoint or f"{self._service}.{http.rootDomain}",
                            http.reqTimeout,
                            redact_url(http.proxy) or "from the environment, if any",
                        )
                transport = self._transport
        return transport

    def _attempt(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Mapping[str, str],
        options: RequestOptions,
        stream: bool,
    ) -> Union[Dict[str, Any], HttpResponse]:
        """One attempt (plus one after a clock correction); see the module doc."""
        transport = self._transport or self._get_transport()
        breaker = self._breaker
        log = self._log
        corrected = False
        while True:
            credential = self._snapshot(options)
            generation, host = 0, None
            if breaker is not None:
                generation, use_backup = breaker.before_request()
                if use_backup:
                    host = self._backup_host
            # Kept for a SignatureExpire: what this attempt signed with.
            offset = self._clock_offset
            timestamp = int(self._clock() + offset)
            prepared = prepare_request(
                action,
                params,
                service=self._service,
                version=self._apiVersion,
                region=self.region,
                credential=credential,
                profile=self.profile,
                timestamp=timestamp,
                headers=headers,
                options=options,
                host=host,
            )
            # isEnabledFor is cached by logging; nothing is formatted unless
            # a handler takes the record.
            debug = log.isEnabledFor(_DEBUG)
            if debug:
                log.debug("request %s", RequestLine(prepared))
            try:
                response = transport.send(prepared, self._timeout, stream=stream)
                if stream and response.status == 200 and is_event_stream(response.headers):
                    if breaker is not None:
                        breaker.after_request(generation, True)
                    if debug:
                        log.debug(
                            "response %s", ResponseLine(200, response.headers, "<event stream>")
                        )
                    return response
                body = response.read()  # already in memory unless streamed
            except TencentCloudSDKException as exc:
                if breaker is not None:
                    breaker.after_request(generation, False)
                if debug:
                    log.debug("request failed: %s: %s", exc.code, exc.message)
                raise
            if debug:
                log.debug("response %s", ResponseLine(response.status, response.headers, body))
            try:
                document = parse_response(response.status, response.headers, body)
            except TencentCloudSDKException as exc:
                if breaker is not None:
                    breaker.after_request(generation, _counts_as_success(exc))
                if exc.code == _SIGNATURE_EXPIRE and not corrected:
                    corrected = self._correct_clock(response.headers, timestamp, offset)
                    if corrected:
                        continue
                raise
            if breaker is not None:
                breaker.after_request(generation, True)
            return document

    def _correct_clock(self, headers: Mapping[str, str], signed: int, offset: float) -> bool:
        """Whether to try once more after SignatureExpire; learns the offset from ``Date``.

        ``signed`` and ``offset`` are the timestamp and clock offset the
        failed attempt was signed with. Comparing with those, not with the
        clock as it is now, matters when threads race: another thread may
        have corrected the offset while this attempt's answer was on its way.
        """
        if self._clock_offset != offset:
            # Learnt by another thread after this attempt was signed.
            return True
        server = _server_time(headers)
        if server is None or abs(server - signed) <= _SKEW_TOLERANCE:
            return False
        now = self._clock()
        with self._lock:
            if abs(now + self._clock_offset - server) <= _SKEW_TOLERANCE:
                return True  # corrected meanwhile
            self._clock_offset = server - now
        if self._log.isEnabledFor(logging.INFO):
            self._log.info(
                "local clock is %.0fs off the server's; signing with the server's time",
                -(server - now),
            )
        return True

    # ---------------------------------------------------------------- logging

    @property
    def logger(self) -> logging.Logger:
        """This client's own logger, a child of ``tcfunc`` (made on first use).

        Until it exists the client logs to the shared ``tcfunc.client``;
        making one per client only on demand keeps thousands of clients from
        leaving thousands of loggers in the logging registry.
        """
        own = self._own_logger
        if own is None:
            with self._lock:
                if self._own_logger is None:
                    name = f"tcfunc.client.{self._service or 'client'}.{next(_LOGGER_IDS)}"
                    self._own_logger = logging.getLogger(name)
                    self._log = self._own_logger
                own = self._own_logger
        return own

    def _install(self, kind: str, handler: logging.Handler, level: int, fmt: Optional[str]) -> None:
        handler.setLevel(level)
        handler.setFormatter(logging.Formatter(fmt or self.FMT))
        logger = self.logger
        with self._lock:
            old = self._handlers.pop(kind, None)
            if old is not None:
                logger.removeHandler(old)
                old.close()
            self._handlers[kind] = handler
            logger.addHandler(handler)
            logger.setLevel(min(h.level for h in self._handlers.values()))
            # The client's own handlers show its lines; passing them on to
            # the root's handlers too would print every line twice.
            logger.propagate = False

    def set_stream_logger(
        self, stream: Any = None, level: int = logging.DEBUG, log_format: Optional[str] = None
    ) -> None:
        """Log this client's lines to ``stream`` (default ``sys.stderr``).

        Calling it again replaces the previous stream handler.
        """
        self._install("stream", logging.StreamHandler(stream), level, log_format)

    def set_file_logger(
        self, file_path: str, level: int = logging.DEBUG, log_format: Optional[str] = None
    ) -> None:
        """Log this client's lines to a rotating file (512 MB x 10).

        A directory gets a ``tcfunc.log`` inside it. Calling it again
        replaces the previous file handler.
        """
        import logging.handlers  # only for file logging; keeps import tcfunc light

        path = os.fspath(file_path)
        if os.path.isdir(path):
            path = os.path.join(path, "tcfunc.log")
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=512 * 1024 * 1024, backupCount=10, encoding="utf-8"
        )
        self._install("file", handler, level, log_format)

    def set_default_logger(self) -> None:
        """Remove this client's handlers; its lines go to ``tcfunc`` again."""
        logger = self.logger
        with self._lock:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            for handler in self._handlers.values():
                handler.close()
            self._handlers.clear()
            logger.setLevel(logging.NOTSET)
            logger.propagate = True

    # --------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Release the client's connections (the client stays usable).

        A transport given to the constructor is closed. The default transport
        is shared by every client with the same connection settings; closing
        the last of them closes its pooled connections.
        """
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
    if isinstance(document, dict):
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
