"""A local, signature-verifying Tencent Cloud API for tests.

:class:`ApiEmulator` answers API 3.0 requests the way the real endpoint does,
closely enough that the official SDK cannot tell the difference on anything
it checks. Its core is sans-I/O: :meth:`ApiEmulator.handle` takes a request
(method, target, header pairs, body) and returns an
:class:`~tcfunc.testing._wire.Answer`; two carriers run it:

* :meth:`ApiEmulator.start` serves it over HTTP/1.1 on loopback (a thin
  adapter, :mod:`tcfunc.testing._http`), for any client, official or ours;
* :meth:`ApiEmulator.transport` and :meth:`ApiEmulator.async_transport` give
  a tcfunc client the emulator in process: no socket, no thread, the same
  verification, and connection faults raised as the network would.

What the core does:

* Every request is verified with :func:`tcfunc.verify_request` (TC3-HMAC-SHA256,
  HmacSHA1 and HmacSHA256; GET and POST; JSON, form, multipart and
  octet-stream bodies). A bad signature, an unknown SecretId, a stale
  timestamp or a wrong token is answered like the real API: HTTP 200 with
  ``{"Response": {"Error": {"Code": "AuthFailure...", "Message": ...},
  "RequestId": ...}}``. Every answer carries a fresh RequestId.
  ``strict_signing=True`` also refuses TC3 requests that leave
  ``X-TC-Action`` unsigned (see :func:`tcfunc.verify_request`).
* You decide what each action answers with :meth:`ApiEmulator.register`.
* With ``spec_dir`` pointing at a tccli-style tree (the ``tccli`` package ships
  one for every service), params are validated against the real API schema
  (``MissingParameter``, ``InvalidParameter``, ``UnknownParameter`` for a
  member the action does not define), octet-stream actions read their params
  from ``X-<SERVICE>-<Name>`` headers as the real API does, and actions
  without a handler answer with their documented example output.
* :meth:`ApiEmulator.inject_fault` makes the next requests fail the ways
  networks and gateways fail; :meth:`ApiEmulator.set_latency` slows every
  answer down.
* :meth:`ApiEmulator.enable_sts` adds STS ``AssumeRole`` and
  ``AssumeRoleWithWebIdentity``.
* :attr:`ApiEmulator.requests` records what arrived (the newest 10 000).

Naming the service: TC3 requests name it in their credential scope. v1
requests name it only by their ``Host`` (``cvm.tencentcloudapi.com``); sent
to ``127.0.0.1:PORT`` an action several services define (``DescribeZones``)
is ambiguous: register a handler for it, call
:meth:`ApiEmulator.prefer_service`, or use the in-process transport with the
default endpoint (which sends the real host name).

Example::

    from tcfunc.testing import ApiEmulator, TEST_CREDENTIAL

    emu = ApiEmulator.for_tests()
    emu.register("cvm", "DescribeZones", lambda params: {"TotalCount": 0, "ZoneSet": []})
    client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                          emu.client_profile(), transport=emu.transport())

Run it standalone with ``python -m tcfunc.testing --credential ID:KEY``.
"""

from __future__ import annotations

import collections
import copy
import inspect
import json
import logging
import os
import re
import threading
import time
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Deque,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import attrs

from .._credential import Credential
from ..errors import TencentCloudSDKException
from ..request import GET_QUERY_LIMIT, V1_BODY_LIMIT
from ..request import TC3_BODY_LIMIT as BODY_LIMIT
from ..verify import VerifiedRequest, parse_request, verify_request
from . import _sts
from ._faults import FAULT_KINDS, Fault, FaultQueue, make_fault
from ._spec import SpecTree, version_dir
from ._wire import (
    Answer,
    error_answer,
    event_answer,
    first_event,
    html_answer,
    is_event_stream,
    json_answer,
    json_bytes,
    request_id,
)

if TYPE_CHECKING:
    from ..profile import ClientProfile
    from ._cli import build_parser, main
    from ._cvm import CvmBackend
    from ._http import EmulatorServer
    from ._inproc import AsyncInProcessTransport, InProcessTransport

__all__ = [
    "FAULT_KINDS",
    "TEST_CREDENTIAL",
    "Answer",
    "ApiEmulator",
    "Handler",
    "RecordedRequest",
    "build_parser",
    "main",
    "tccli_spec_dir",
]

logger = logging.getLogger("tcfunc.testing")

#: A credential for tests: the emulator of :meth:`ApiEmulator.for_tests` and of
#: the ``tc_emulator`` pytest fixture accepts it. Not a secret.
TEST_CREDENTIAL = Credential("AKIDtcfuncTESTKEY00000000000000", "tcfunc-test-secret-key-not-secret")

#: ``handler(params)`` or ``handler(params, request)`` -> Response dict or
#: iterator of events; may raise :class:`TencentCloudSDKException` to answer
#: with that API error (see :meth:`ApiEmulator.register`).
Handler = Union[
    Callable[[Dict[str, Any]], Any],
    Callable[[Dict[str, Any], "RecordedRequest"], Any],
]

_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ACTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TC3_SCOPE = re.compile(r"Credential=[^/\s,]+/\d{4}-\d{2}-\d{2}/([^/\s,]+)/tc3_request")
_NO_CREDENTIALS: Mapping[str, str] = MappingProxyType({})
_DEFAULT_MAX_RECORDED = 10_000
# What the record keeps of a request whose signature did not hold.
_REJECTED_HEADERS = 32
_REJECTED_VALUE = 256
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_OCTET = "application/octet-stream"


@attrs.frozen
class RecordedRequest:
    """One request the emulator read, as it understood it.

    ``secret_id`` is the SecretId whose signature held, None for unsigned or
    rejected requests. ``params`` are the action's params (string values for
    GET and v1 requests; for octet-stream actions with specs, those read from
    the ``X-<SERVICE>-<Name>`` headers). ``body`` is the raw request body (the
    uploaded bytes of an octet-stream or multipart call). A rejected request
    (its signature did not hold) is kept without body and params, and with
    bounded headers. ``error_code`` is the API error answered, if any, and
    ``fault`` the injected fault kind that answered instead, if any; both are
    None in the value a handler receives.
    """

    service: Optional[str]
    action: str
    version: str
    region: Optional[str]
    secret_id: Optional[str]
    params: Dict[str, Any] = attrs.field(repr=False)
    headers: Dict[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    method: str = "POST"
    error_code: Optional[str] = None
    fault: Optional[str] = None


@attrs.frozen
class _Registration:
    service: str
    action: str
    version: Optional[str]
    handler: Handler
    allow_unsigned: bool
    takes_request: bool


def _takes_request(handler: Handler) -> bool:
    """Whether ``handler`` accepts two positional arguments ``(params, request)``."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return False  # builtins without a signature: the classic one-argument call
    positional = [p for p in signature.parameters.values() if p.kind in _POSITIONAL]
    return len(positional) >= 2


def _client_error(message: str) -> TencentCloudSDKException:
    return TencentCloudSDKException("ClientError", message)


def _api_error(code: str, message: str) -> TencentCloudSDKException:
    return TencentCloudSDKException(code, message)


class ApiEmulator:
    """A signature-verifying Tencent Cloud API endpoint (see the module docs).

    Args:
        credentials: ``{secret_id: secret_key}`` accepted from the start;
            :meth:`add_credential` adds more at any time.
        host: where :meth:`start` listens; loopback by default.
        port: 0 picks a free port (read :attr:`endpoint` after :meth:`start`).
        max_skew: seconds a request's timestamp may differ from ``clock()``
            before it is answered ``AuthFailure.SignatureExpire``.
        spec_dir: a tccli-style services tree (``<svc>/v<yyyymmdd>/api.json``
            and ``examples.json``) for param validation and example answers.
        clock: Unix seconds; drives the signature window, STS expiry and the
            ``Date`` header, so a test can move time without sleeping.
        max_recorded: how many requests :attr:`requests` keeps (the newest;
            bodies can be 10 MB each); None keeps every one.
        strict_signing: verify with ``verify_request(strict=True)``: TC3
            requests must sign ``x-tc-action`` (tcfunc clients do with
            ``ClientProfile(sign_action=True)``; the official SDKs do not, so
            their requests are refused) and v1 names may not hold ``_``.

    Thread-safe: configure it from any thread while it serves.
    """

    def __init__(
        self,
        credentials: Mapping[str, str] = _NO_CREDENTIALS,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_skew: float = 300,
        spec_dir: Optional[Union[str, os.PathLike[str]]] = None,
        clock: Callable[[], float] = time.time,
        max_recorded: Optional[int] = _DEFAULT_MAX_RECORDED,
        strict_signing: bool = False,
    ) -> None:
        if not isinstance(host, str) or not host:
            raise _client_error("host must be a non-empty string")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise _client_error("port must be an integer between 0 and 65535")
        if isinstance(max_skew, bool) or not isinstance(max_skew, (int, float)) or max_skew < 0:
            raise _client_error("max_skew must be a non-negative number of seconds")
        if not callable(clock):
            raise _client_error("clock must be a callable returning Unix seconds")
        if not isinstance(credentials, Mapping):
            raise _client_error("credentials must be a mapping of secret id to secret key")
        if spec_dir is not None and not os.path.isdir(spec_dir):
            raise _client_error(f"spec_dir {os.fspath(spec_dir)!r} is not a directory")
        if max_recorded is not None and (
            isinstance(max_recorded, bool) or not isinstance(max_recorded, int) or max_recorded < 0
        ):
            raise _client_error("max_recorded must be None or a non-negative integer")
        if not isinstance(strict_signing, bool):
            raise _client_error("strict_signing must be True or False")
        self._strict_signing = strict_signing
        self._host = host
        self._port = port
        self._max_skew = float(max_skew)
        self._clock = clock
        self._lock = threading.RLock()
        self._initial = {str(k): str(v) for k, v in credentials.items()}
        self._credentials: Dict[str, Credential] = {}
        self._expiry: Dict[str, float] = {}
        self._handlers: Dict[Tuple[str, str], Dict[Optional[str], _Registration]] = {}
        self._preferred: List[str] = []
        self._faults = FaultQueue()
        self._latency = 0.0
        self._requests: Deque[RecordedRequest] = collections.deque(maxlen=max_recorded)
        self._specs = SpecTree(spec_dir) if spec_dir is not None else None
        self._server: Optional[EmulatorServer] = None
        self._thread: Optional[threading.Thread] = None
        for secret_id, secret_key in credentials.items():
            self.add_credential(secret_id, secret_key)

    @classmethod
    def for_tests(cls, **kwargs: Any) -> ApiEmulator:
        """An emulator that accepts :data:`TEST_CREDENTIAL` (keyword arguments as the class)."""
        return cls({TEST_CREDENTIAL.secret_id: TEST_CREDENTIAL.secret_key}, **kwargs)

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> ApiEmulator:
        """Bind and serve over HTTP in a background thread; returns self. Idempotent."""
        from ._http import EmulatorServer

        with self._lock:
            if self._server is not None:
                return self
            server = EmulatorServer((self._host, self._port), self.handle, self._clock)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"tcfunc-emulator-{server.server_address[1]}",
                daemon=True,
            )
            self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake stalled requests and close every open connection."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        # Once shutdown() returns the accept loop is over, so every accepted
        # connection is in the server's set: none is missed by the close below.
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> ApiEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the HTTP server is up (:meth:`start` called, :meth:`stop` not yet)."""
        return self._server is not None

    @property
    def endpoint(self) -> str:
        """``"127.0.0.1:PORT"``: for ``HttpProfile(protocol="http", endpoint=...)``."""
        server = self._server
        if server is None:
            raise _client_error("the emulator is not running; call start() first")
        return server.endpoint

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the emulator reads (Unix seconds)."""
        return self._clock

    # --- in process ----------------------------------------------------------

    def transport(self, *, sleep: Optional[Callable[[float], None]] = None) -> InProcessTransport:
        """A :class:`tcfunc.transport.Transport` that runs this emulator in process.

        No socket and no thread: the request a client prepared is verified
        and answered here, exactly as over HTTP. Latency and stalls wait with
        ``sleep`` (``time.sleep`` by default; pass a fake to keep tests fast),
        bounded by the call's timeout, after which a read-timeout
        :class:`~tcfunc.transport.NetworkError` is raised; a reset or a
        truncated answer raises the ``NetworkError`` a real transport would
        (``reached_server=True``).
        """
        from ._inproc import InProcessTransport

        return InProcessTransport(self.handle, sleep=sleep)

    def async_transport(
        self, *, sleep: Optional[Callable[[float], Any]] = None
    ) -> AsyncInProcessTransport:
        """A :class:`tcfunc.transport.AsyncTransport` over this emulator (see :meth:`transport`).

        ``sleep`` is an async callable (``asyncio.sleep`` by default).
        """
        from ._inproc import AsyncInProcessTransport

        return AsyncInProcessTransport(self.handle, sleep=sleep)

    def client_profile(self, **http_overrides: Any) -> ClientProfile:
        """A ``ClientProfile`` for this emulator; keywords go to its ``HttpProfile``.

        While the HTTP server runs, it points at :attr:`endpoint` over plain
        HTTP. Otherwise it keeps the real endpoints
        (``<service>.tencentcloudapi.com``), for the in-process transports,
        which never open a connection: v1 requests then name their service
        by their host, as they do in production.
        """
        from ..profile import ClientProfile, HttpProfile

        settings: Dict[str, Any] = {}
        server = self._server
        if server is not None:
            settings = {"protocol": "http", "endpoint": server.endpoint}
        settings.update(http_overrides)
        return ClientProfile(httpProfile=HttpProfile(**settings))

    # --- configuration -----------------------------------------------------

    def add_credential(self, secret_id: str, secret_key: str, token: Optional[str] = None) -> None:
        """Accept requests signed with this key; with ``token``, only those carrying it."""
        credential = Credential(secret_id, secret_key, token)
        with self._lock:
            self._credentials[secret_id] = credential
            self._expiry.pop(secret_id, None)

    def reset(self) -> None:
        """Back to just after construction: handlers, faults, latency, records,
        preferred services and credentials added later are all forgotten.

        The HTTP server (if running) keeps serving: the pytest fixture shares
        one server across tests and resets it for each.
        """
        with self._lock:
            self._handlers.clear()
            self._preferred.clear()
            self._latency = 0.0
            self._requests.clear()
            self._credentials.clear()
            self._expiry.clear()
            for secret_id, secret_key in self._initial.items():
                self._credentials[secret_id] = Credential(secret_id, secret_key)
        self._faults.clear()

    def prefer_service(self, *services: str) -> None:
        """Take requests that do not name their service as one of these, in this order.

        TC3 requests name their service; v1 requests sent to a loopback
        endpoint do not, and an action several services define
        (``DescribeZones``) is otherwise answered ``InvalidAction``.
        """
        for service in services:
            if not isinstance(service, str) or not _SERVICE_NAME.match(service):
                raise _client_error(f"service must be a lower-case service name, got {service!r}")
        with self._lock:
            for service in services:
                if service not in self._preferred:
                    self._preferred.append(service)

    def register(
        self,
        service: str,
        action: str,
        handler: Handler,
        *,
        version: Optional[str] = None,
        allow_unsigned: bool = False,
    ) -> None:
        """Answer ``service``'s ``action`` with ``handler``.

        The handler is called with a copy of the request's params and returns
        the ``Response`` dict (the RequestId is added), raises
        :class:`TencentCloudSDKException` ``(code, message)`` to answer that
        API error, or returns an iterator of events (dicts with ``data`` and
        optional ``event``, ``id``, ``retry``; or plain strings) to answer as
        ``text/event-stream``, sent as it yields. Any other exception answers
        ``InternalError`` and is logged.

        A handler that accepts two positional parameters is called as
        ``handler(params, request)``, where ``request`` is a
        :class:`RecordedRequest` (service, action, version, region,
        secret_id, params, headers, body; ``error_code`` and ``fault`` are
        None): ``request.body`` holds the raw bytes of an octet-stream upload
        or of a multipart body. One-parameter handlers get the params alone.

        Args:
            version: only requests of this version (``"2017-03-12"``); any when None.
            allow_unsigned: also accept requests with no signature
                (``Authorization: SKIP``), as STS ``AssumeRoleWithWebIdentity`` does.
        """
        if not isinstance(service, str) or not _SERVICE_NAME.match(service):
            raise _client_error(f"service must be a lower-case service name, got {service!r}")
        if not isinstance(action, str) or not _ACTION_NAME.match(action):
            raise _client_error(
                f"action must be an action name such as 'DescribeZones', got {action!r}"
            )
        if version is not None and (not isinstance(version, str) or version_dir(version) is None):
            raise _client_error(f"version must look like '2017-03-12', got {version!r}")
        if not callable(handler):
            raise _client_error("handler must be callable")
        registration = _Registration(
            service, action, version, handler, bool(allow_unsigned), _takes_request(handler)
        )
        with self._lock:
            self._handlers.setdefault((service, action), {})[version] = registration

    @property
    def requests(self) -> List[RecordedRequest]:
        """A snapshot of the requests read so far, oldest first (the newest
        :attr:`max_recorded` of them)."""
        with self._lock:
            return list(self._requests)

    @property
    def max_recorded(self) -> Optional[int]:
        """How many requests :attr:`requests` keeps; None: all of them."""
        return self._requests.maxlen

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def inject_fault(
        self,
        kind: str,
        *,
        times: int = 1,
        action: Optional[str] = None,
        code: Optional[str] = None,
        message: Optional[str] = None,
        status: int = 502,
        delay: float = 10.0,
    ) -> None:
        """Make the next ``times`` requests (of ``action``, or any) fail.

        Kinds, all applied after the whole request was read and whatever its
        signature:

        * ``"reset"``: the connection is reset (TCP RST) without an answer.
        * ``"stall"``: no answer for ``delay`` seconds (cut short when the
          emulator stops), then the connection is closed.
        * ``"http_error"``: HTTP ``status`` with an HTML body, as a gateway answers.
        * ``"truncated_json"``: HTTP 200 ``application/json`` whose body stops
          halfway: the connection closes before ``Content-Length`` bytes arrive.
        * ``"malformed_json"``: HTTP 200 ``application/json`` with a complete
          body that is not JSON.
        * ``"rate_limit"``: the API error ``RequestLimitExceeded``.
        * ``"api_error"``: the API error ``code`` (default ``InternalError``)
          with ``message``.

        ``times=-1`` repeats until :meth:`clear_faults`. Faults are used in
        the order they were injected, the first that matches a request wins.
        """
        fault = make_fault(
            kind, action=action, code=code, message=message, status=status, delay=delay
        )
        self._faults.add(fault, times)

    def set_latency(self, seconds: float) -> None:
        """Wait this long before every answer (0 to turn off)."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise _client_error("latency must be a non-negative number of seconds")
        with self._lock:
            self._latency = float(seconds)

    def clear_faults(self) -> None:
        """Drop every injected fault (latency stays; ``set_latency(0)`` clears it)."""
        self._faults.clear()

    def enable_sts(self, *, duration_limit: int = 43200) -> None:
        """Serve STS ``AssumeRole`` and ``AssumeRoleWithWebIdentity`` (2018-08-13).

        Each call mints a fresh temporary credential, accepted by the emulator
        with its token until ``ExpiredTime`` (by ``clock``), and answers as
        the real STS does: ``{"Credentials": {"Token", "TmpSecretId",
        "TmpSecretKey"}, "ExpiredTime": <unix>, "Expiration": "<ISO 8601 UTC>"}``.
        ``DurationSeconds`` defaults to 7200; above ``duration_limit`` it
        answers ``InvalidParameter.OverTimeError``. ``AssumeRoleWithWebIdentity``
        needs no signature; any non-empty ``WebIdentityToken`` is accepted.
        """
        if (
            isinstance(duration_limit, bool)
            or not isinstance(duration_limit, int)
            or duration_limit < 1
        ):
            raise _client_error("duration_limit must be a positive number of seconds")

        def accept(secret_id: str, secret_key: str, token: str, expires: float) -> None:
            with self._lock:
                self._credentials[secret_id] = Credential(secret_id, secret_key, token)
                self._expiry[secret_id] = expires

        def assume_role(params: Dict[str, Any]) -> Dict[str, Any]:
            required = ("RoleArn", "RoleSessionName")
            return _sts.mint(params, required, duration_limit, self._clock(), accept)

        def assume_role_with_web_identity(params: Dict[str, Any]) -> Dict[str, Any]:
            required = ("ProviderId", "WebIdentityToken", "RoleArn", "RoleSessionName")
            return _sts.mint(params, required, duration_limit, self._clock(), accept)

        self.register("sts", "AssumeRole", assume_role, version=_sts.STS_VERSION)
        self.register(
            "sts",
            "AssumeRoleWithWebIdentity",
            assume_role_with_web_identity,
            version=_sts.STS_VERSION,
            allow_unsigned=True,
        )

    def enable_cvm(self, *, launch_seconds: float = 10.0) -> CvmBackend:
        """Serve a stateful CVM (2017-03-12): Run/Describe/Start/Stop/TerminateInstances.

        Instances move PENDING -> RUNNING after ``launch_seconds`` of :attr:`clock`
        (see :mod:`tcfunc.testing._cvm`); returns the backend, whose state tests may read.
        """
        from ._cvm import enable_cvm

        return enable_cvm(self, launch_seconds=launch_seconds)

    def set_rate_limit(self, service: str, action: str, per_second: Optional[float]) -> None:
        """Answer ``RequestLimitExceeded`` above ``per_second`` requests of this action's
        handlers registered now (a token bucket on :attr:`clock`); again: a fresh limit;
        None: no limit."""
        from ._cvm import limit_registrations

        with self._lock:
            registrations = dict(self._handlers.get((service, action)) or {})
        limit_registrations(self, registrations, service, action, per_second)

    # --- the core ------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Iterable[Tuple[str, str]], body: bytes
    ) -> Answer:
        """Answer one request: the emulator's whole behaviour, without I/O.

        Args:
            method: ``"GET"`` or ``"POST"``.
            target: the request target (``"/"``, ``"/?Action=..."``).
            headers: the header pairs as received; a repeated header must
                appear twice (it is refused).
            body: the whole body.

        Returns:
            The :class:`~tcfunc.testing._wire.Answer` to carry out. Its wait
            (latency, stall) is for the carrier to do.
        """
        pairs = [(str(k), str(v)) for k, v in headers]
        with self._lock:
            latency = self._latency
        answer = self._answer(method.upper(), target, pairs, bytes(body))
        return attrs.evolve(answer, delay=latency) if latency else answer

    def _answer(
        self, method: str, target: str, headers: List[Tuple[str, str]], body: bytes
    ) -> Answer:
        query = target.split("?", 1)[1] if "?" in target else ""
        if len(query) > GET_QUERY_LIMIT:
            return error_answer(
                "RequestSizeLimitExceeded",
                f"The query string of {len(query)} bytes exceeds the 32 KB limit.",
            )
        if len(body) > BODY_LIMIT:
            return error_answer(
                "RequestSizeLimitExceeded",
                f"The request body of {len(body)} bytes exceeds the 10 MB limit.",
                close=True,
            )
        tc3 = _header(headers, "x-tc-action") is not None or (
            _header(headers, "authorization") or ""
        ).startswith("TC3-HMAC-SHA256")
        if len(body) > V1_BODY_LIMIT and not tc3:
            return error_answer(
                "RequestSizeLimitExceeded",
                f"The request body of {len(body)} bytes exceeds the 1 MB limit of v1 signing.",
            )

        # What the request claims to be, for fault matching and the record;
        # read only when needed (a verified request says it again).
        claimed: Optional[VerifiedRequest] = None
        fault: Optional[Fault] = None
        if self._faults:
            claimed = _claimed(method, target, headers, body)
            fault = self._faults.take(claimed.action if claimed is not None else None)
        request: Optional[VerifiedRequest] = None
        service: Optional[str] = None
        registration: Optional[_Registration] = None
        try:
            request, service, registration = self._authenticate(method, target, headers, body)
        except TencentCloudSDKException as exc:
            error: Optional[TencentCloudSDKException] = exc
        else:
            error = None
        if request is None and claimed is None:
            claimed = _claimed(method, target, headers, body)

        def remember(error_code: Optional[str], params: Optional[Dict[str, Any]] = None) -> None:
            shown = request or claimed
            if shown is None:
                return
            # A request whose signature did not hold is recorded without its
            # body and params, and with bounded headers: anyone can send
            # those, and 10 MB each would let them fill the emulator's memory.
            # The record keeps the verifier's own params: handlers get copies.
            trusted = request is not None
            self._record(
                RecordedRequest(
                    service=service or self._guess_service(headers, shown),
                    action=shown.action,
                    version=shown.version,
                    region=shown.region,
                    secret_id=request.secret_id if request is not None else None,
                    params=(params if params is not None else shown.params) if trusted else {},
                    headers=dict(headers) if trusted else _bounded_headers(headers),
                    body=body if trusted else b"",
                    method=method,
                    error_code=error_code,
                    fault=fault.kind if fault is not None else None,
                )
            )

        if fault is not None:
            remember(None)
            return _fault_answer(fault)
        if error is not None or request is None or service is None:
            failure = error or _api_error("InternalError", "The request could not be read.")
            code = str(failure.code or "InternalError")
            remember(code)
            return error_answer(code, failure.message or "")
        params = self._params_of(request, service, headers)
        answer, error_code = self._run(
            request, service, registration, params, headers, body, method
        )
        remember(error_code, params)
        return answer

    def _run(
        self,
        request: VerifiedRequest,
        service: str,
        registration: Optional[_Registration],
        params: Dict[str, Any],
        headers: List[Tuple[str, str]],
        body: bytes,
        method: str,
    ) -> Tuple[Answer, Optional[str]]:
        """Run the handler (or find the example): the answer and the error code it carries."""
        try:
            result = self._dispatch(request, service, registration, params, headers, body, method)
            if is_event_stream(result):
                events = iter(result)
                # The first event is fetched before any header is sent, so that a
                # handler failing at once still answers a normal API error.
                return event_answer(first_event(events), events, request.action), None
            if result is None:
                result = {}
            if not isinstance(result, Mapping):
                raise TypeError(f"the handler returned {type(result).__name__}, not a dict")
            response = dict(result)
            response["RequestId"] = request_id()
            return json_answer(json_bytes({"Response": response})), None
        except TencentCloudSDKException as exc:
            code = str(exc.code or "InternalError")
            return error_answer(code, exc.message or ""), code
        except Exception:
            logger.exception("emulator handler for %s %s failed", service, request.action)
            message = "An internal error occurred in the handler."
            return error_answer("InternalError", message), "InternalError"

    # --- request handling ----------------------------------------------------

    def _lookup(self, secret_id: str) -> Union[str, Credential, None]:
        with self._lock:
            credential = self._credentials.get(secret_id)
        if credential is None:
            return None
        return credential if credential.token else credential.secret_key

    def _registrations_for(self, action: str) -> Set[str]:
        with self._lock:
            return {svc for (svc, act), regs in self._handlers.items() if act == action and regs}

    def _registration(self, service: str, action: str, version: str) -> Optional[_Registration]:
        with self._lock:
            regs = self._handlers.get((service, action)) or {}
            return regs.get(version) or regs.get(None)

    def _resolve_service(self, claimed: Optional[str], action: str, version: str) -> str:
        if claimed:
            return claimed
        # Registered handlers first: a test that registers cvm DescribeZones
        # means cvm even though postgres documents a DescribeZones too.
        candidates = self._registrations_for(action)
        if not candidates and self._specs is not None:
            candidates = set(self._specs.services_with(action, version))
        if len(candidates) > 1:
            with self._lock:
                preferred = [s for s in self._preferred if s in candidates]
            if preferred:
                return preferred[0]
        if len(candidates) == 1:
            return next(iter(candidates))
        how = (
            "sign with TC3, send Host: <service>.tencentcloudapi.com, or call "
            "emulator.prefer_service('<service>') to name the service"
        )
        if not candidates:
            raise _api_error(
                "InvalidAction", f"The action `{action}` is not found; no service has it ({how})."
            )
        raise _api_error(
            "InvalidAction",
            f"The action `{action}` exists in several services ({', '.join(sorted(candidates))}); "
            f"{how}.",
        )

    def _guess_service(
        self, headers: Sequence[Tuple[str, str]], request: VerifiedRequest
    ) -> Optional[str]:
        """The service a request was meant for, for the record; None when unclear."""
        try:
            return self._resolve_service(
                _claimed_service(headers, request), request.action, request.version
            )
        except TencentCloudSDKException:
            return None

    def _authenticate(
        self, method: str, target: str, headers: List[Tuple[str, str]], body: bytes
    ) -> Tuple[VerifiedRequest, str, Optional[_Registration]]:
        """Verify (or accept unsigned), resolve the service and find the handler."""
        try:
            verified = verify_request(
                method,
                target,
                headers,
                body,
                lookup_secret=self._lookup,
                now=self._clock(),
                max_skew=self._max_skew,
                strict=self._strict_signing,
            )
        except TencentCloudSDKException as exc:
            if exc.code != "AuthFailure.InvalidAuthorization" or not _looks_unsigned(headers):
                raise
            try:
                parsed = parse_request(method, target, headers, body)
                service = self._resolve_service(
                    _claimed_service(headers, parsed), parsed.action, parsed.version
                )
            except TencentCloudSDKException:
                raise exc from None
            registration = self._registration(service, parsed.action, parsed.version)
            if registration is None or not registration.allow_unsigned:
                raise exc from None
            return parsed, service, registration
        if verified.secret_id is not None:
            with self._lock:
                expires = self._expiry.get(verified.secret_id)
            if expires is not None and self._clock() > expires:
                raise _api_error(
                    "AuthFailure.TokenFailure", "The temporary credential has expired."
                )
        service = self._resolve_service(verified.service, verified.action, verified.version)
        return verified, service, self._registration(service, verified.action, verified.version)

    def _record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(entry)

    def _params_of(
        self, request: VerifiedRequest, service: str, headers: Sequence[Tuple[str, str]]
    ) -> Dict[str, Any]:
        """The action's params; an octet-stream action's come from its headers."""
        if self._specs is None or request.content_type.split(";", 1)[0].strip().lower() != _OCTET:
            return request.params
        spec = self._specs.get(service, request.version)
        if spec is None or request.action not in spec.actions:
            return request.params
        # The real API reads an octet-stream action's params from headers
        # named X-<SERVICE>-<Member> (cls UploadLog: X-CLS-TopicId).
        prefix = f"x-{service.lower()}-"
        sent = {k.lower()[len(prefix) :]: v for k, v in headers if k.lower().startswith(prefix)}
        params = dict(request.params)
        for member in spec.members(request.action):
            if member.lower() in sent:
                params[member] = sent[member.lower()]
        return params

    @staticmethod
    def _handler_params(request: VerifiedRequest, params: Dict[str, Any]) -> Dict[str, Any]:
        """A copy of ``params`` the handler may change freely."""
        if (
            params is request.params
            and request.body
            and request.content_type.startswith("application/json")
        ):
            # Decoding the JSON body again is the cheapest deep copy (C speed).
            decoded = json.loads(request.body)
            if type(decoded) is dict:
                return decoded
        copied: Dict[str, Any] = _copy_params(params)
        return copied

    def _dispatch(
        self,
        request: VerifiedRequest,
        service: str,
        registration: Optional[_Registration],
        params: Dict[str, Any],
        headers: List[Tuple[str, str]],
        body: bytes,
        method: str,
    ) -> Any:
        """The handler's result, or the documented example; raises API errors."""
        spec = self._specs.get(service, request.version) if self._specs is not None else None
        documented = spec is not None and request.action in spec.actions
        if spec is not None and documented:
            spec.validate(request.action, params)
        if registration is not None:
            handler: Callable[..., Any] = registration.handler
            copied = self._handler_params(request, params)
            if not registration.takes_request:
                return handler(copied)
            incoming = RecordedRequest(
                service=service,
                action=request.action,
                version=request.version,
                region=request.region,
                secret_id=request.secret_id,
                params=copied,
                headers=dict(headers),
                body=body,
                method=method,
            )
            return handler(copied, incoming)
        if spec is not None and documented:
            return spec.example_response(request.action, params)
        if (
            self._specs is not None
            and self._specs.has_service(service)
            and request.version not in self._specs.versions(service)
        ):
            raise _api_error(
                "NoSuchVersion",
                f"The API version `{request.version}` of service `{service}` does not exist.",
            )
        raise _api_error(
            "InvalidAction",
            f"The action `{request.action}` of service `{service}` "
            f"(version {request.version}) is not found.",
        )


def _fault_answer(fault: Fault) -> Answer:
    kind = fault.kind
    if kind == "reset":
        return Answer(connection="reset", close=True)
    if kind == "stall":
        return Answer(connection="stall", stall=fault.delay, close=True)
    if kind == "http_error":
        return html_answer(fault.status)
    if kind == "truncated_json":
        body = json_bytes({"Response": {"Data": "x" * 64, "RequestId": request_id()}})
        return Answer(body=body, connection="truncate", close=True)
    if kind == "malformed_json":
        return json_answer(b'{"Response": {"RequestId": <!-- upstream reset -->')
    if kind == "rate_limit":
        return error_answer(
            "RequestLimitExceeded",
            fault.message or "The number of requests exceeds the frequency limit.",
        )
    return error_answer(fault.code or "InternalError", fault.message or "An injected API error.")


def tccli_spec_dir() -> Optional[str]:
    """The services tree of the installed ``tccli`` package, for ``spec_dir``; None if absent.

    ``pip install --no-deps tccli`` is enough: only its data files are read.
    """
    try:
        import tccli  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    folder = os.path.join(os.path.dirname(os.path.abspath(tccli.__file__)), "services")
    return folder if os.path.isdir(folder) else None


def _claimed(
    method: str, target: str, headers: List[Tuple[str, str]], body: bytes
) -> Optional[VerifiedRequest]:
    try:
        return parse_request(method, target, headers, body)
    except TencentCloudSDKException:
        return None


def _copy_params(value: Any) -> Any:
    """A deep copy of decoded params (dicts, lists and immutable scalars), much
    cheaper than ``copy.deepcopy``; anything else falls back to it."""
    if type(value) is dict:
        return {k: _copy_params(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_params(v) for v in value]
    if value is None or type(value) in (str, int, float, bool, bytes):
        return value
    return copy.deepcopy(value)


def _header(headers: Sequence[Tuple[str, str]], name: str) -> Optional[str]:
    found = None
    for key, value in headers:
        if key.lower() == name:
            found = value
    return found


def _bounded_headers(headers: Sequence[Tuple[str, str]]) -> Dict[str, str]:
    """At most :data:`_REJECTED_HEADERS` headers, each value cut to :data:`_REJECTED_VALUE`."""
    return {k: v[:_REJECTED_VALUE] for k, v in headers[:_REJECTED_HEADERS]}


def _looks_unsigned(headers: Sequence[Tuple[str, str]]) -> bool:
    auth = _header(headers, "authorization")
    return auth is None or auth.strip() == "SKIP"


def _claimed_service(headers: Sequence[Tuple[str, str]], parsed: VerifiedRequest) -> Optional[str]:
    auth = _header(headers, "authorization") or ""
    match = _TC3_SCOPE.search(auth)
    return match[1] if match else parsed.service


def __getattr__(name: str) -> Any:
    # The command line lives in its own module (which imports this one);
    # build_parser and main stay importable from here, resolved on first use.
    if name in ("build_parser", "main"):
        from . import _cli

        return getattr(_cli, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
