"""A local, signature-verifying Tencent Cloud API server for tests.

:class:`ApiEmulator` is a real HTTP/1.1 server on loopback that answers API 3.0
requests the way the real endpoint does, closely enough that the official SDK
cannot tell the difference on anything it checks:

* Every request is verified with :func:`tcfunc.verify_request` (TC3-HMAC-SHA256,
  HmacSHA1 and HmacSHA256; GET and POST; JSON, form, multipart and
  octet-stream bodies). A bad signature, an unknown SecretId, a stale
  timestamp or a wrong token is answered like the real API: HTTP 200 with
  ``{"Response": {"Error": {"Code": "AuthFailure...", "Message": ...},
  "RequestId": ...}}``. Every answer carries a fresh RequestId.
* You decide what each action answers with :meth:`ApiEmulator.register`: a
  handler gets the request's params (and, if it takes a second parameter, the
  whole request with its raw body) and returns the ``Response`` dict, raises
  :class:`~tcfunc.TencentCloudSDKException` to answer an API error, or
  returns an iterator of events to stream ``text/event-stream``.
* With ``spec_dir`` pointing at a tccli-style tree (the ``tccli`` package ships
  one for every service), params are validated against the real API schema
  (``MissingParameter``, ``InvalidParameter``) and actions without a handler
  answer with their documented example output.
* :meth:`ApiEmulator.inject_fault` makes the next requests fail the ways
  networks and gateways fail (reset, stall, 5xx HTML, truncated or malformed
  JSON, rate limiting, any API error); :meth:`ApiEmulator.set_latency` slows
  every answer down.
* :meth:`ApiEmulator.enable_sts` adds STS ``AssumeRole`` and
  ``AssumeRoleWithWebIdentity``; the temporary credentials they mint are
  accepted by the emulator (with their token) until they expire.
* :attr:`ApiEmulator.requests` records what arrived (the newest 10 000), for assertions.

Example::

    from tcfunc.testing.emulator import ApiEmulator

    with ApiEmulator({"AKIDtest": "secret"}) as emu:
        emu.register("cvm", "DescribeZones", lambda params: {"TotalCount": 0, "ZoneSet": []})
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))
        ...  # call "cvm" DescribeZones with any client, official or tcfunc

Run it standalone with ``python -m tcfunc.testing --credential ID:KEY``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import http.server
import inspect
import json
import logging
import os
import re
import secrets
import signal
import socket
import string
import struct
import sys
import threading
import time
import uuid
from collections.abc import Iterable as IterableABC
from datetime import datetime, timezone
from email.utils import formatdate
from types import MappingProxyType
from typing import (
    Any,
    Callable,
    Deque,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import attrs

from ..credential import Credential
from ..errors import TencentCloudSDKException
from ..request import GET_QUERY_LIMIT, V1_BODY_LIMIT
from ..request import TC3_BODY_LIMIT as BODY_LIMIT
from ..verify import VerifiedRequest, parse_request, verify_request
from ._faults import FAULT_KINDS, Fault, FaultQueue, make_fault
from ._spec import SpecTree, version_dir

__all__ = [
    "FAULT_KINDS",
    "ApiEmulator",
    "Handler",
    "RecordedRequest",
    "build_parser",
    "main",
    "tccli_spec_dir",
]

logger = logging.getLogger("tcfunc.testing")

#: ``handler(params)`` or ``handler(params, request)`` -> Response dict or
#: iterator of events; may raise :class:`TencentCloudSDKException` to answer
#: with that API error (see :meth:`ApiEmulator.register`).
Handler = Union[
    Callable[[Dict[str, Any]], Any],
    Callable[[Dict[str, Any], "RecordedRequest"], Any],
]

# How much of an oversized body is read and thrown away so that the client,
# still sending, gets to read the error instead of a connection reset.
_DRAIN_LIMIT = 32 * 1024 * 1024
_DRAIN_SECONDS = 2.0
_IDLE_TIMEOUT = 60.0
_STS_VERSION = "2018-08-13"
_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ACTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TC3_SCOPE = re.compile(r"Credential=[^/\s,]+/\d{4}-\d{2}-\d{2}/([^/\s,]+)/tc3_request")
_ROLE_SESSION = re.compile(r"^[\w+=,.@-]{2,128}$")
_NO_CREDENTIALS: Mapping[str, str] = MappingProxyType({})
_ALNUM = string.ascii_letters + string.digits
_QUERY = re.compile(r"\?[^\s'\"]*")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_CHUNK_LINE_LIMIT = 1024
_MAX_TRAILERS = 100
# What the record keeps of a request whose signature did not hold.
_REJECTED_HEADERS = 32
_REJECTED_VALUE = 256
_DEFAULT_MAX_RECORDED = 10_000
# The standalone runner serves for days: keep its record small.
_RUNNER_MAX_RECORDED = 1000
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@attrs.frozen
class RecordedRequest:
    """One request the emulator read, as it understood it.

    ``secret_id`` is the SecretId whose signature held, None for unsigned or
    rejected requests. ``params`` are the action's params (string values for
    GET and v1 requests). ``body`` is the raw request body (the uploaded bytes
    of an octet-stream or multipart call). ``error_code`` is the API error
    answered, if any, and ``fault`` the injected fault kind that answered
    instead, if any; both are None in the value a handler receives.
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
class _Seen:
    """The request as it arrived on the wire, for handlers that want it."""

    method: str
    headers: List[Tuple[str, str]]
    body: bytes


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


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error_body(code: str, message: str) -> bytes:
    return _json_bytes(
        {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": _request_id()}}
    )


def _request_id() -> str:
    return str(uuid.uuid4())


class ApiEmulator:
    """A signature-verifying local Tencent Cloud API endpoint (see the module docs).

    Args:
        credentials: ``{secret_id: secret_key}`` accepted from the start;
            :meth:`add_credential` adds more at any time.
        host: where to listen; loopback by default.
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
        self._credentials: Dict[str, Credential] = {}
        self._expiry: Dict[str, float] = {}
        self._handlers: Dict[Tuple[str, str], Dict[Optional[str], _Registration]] = {}
        self._faults = FaultQueue()
        self._latency = 0.0
        self._requests: Deque[RecordedRequest] = collections.deque(maxlen=max_recorded)
        self._specs = SpecTree(spec_dir) if spec_dir is not None else None
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        for secret_id, secret_key in credentials.items():
            self.add_credential(secret_id, secret_key)

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> ApiEmulator:
        """Bind and serve in a background thread; returns self. Idempotent."""
        with self._lock:
            if self._server is not None:
                return self
            self._stopping.clear()
            server = _Server((self._host, self._port), self)
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
        self._stopping.set()
        # Once shutdown() returns the accept loop is over, so every accepted
        # connection is in the server's set: none is missed by the close below.
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
    def endpoint(self) -> str:
        """``"127.0.0.1:PORT"``: for ``HttpProfile(protocol="http", endpoint=...)``."""
        server = self._server
        if server is None:
            raise _client_error("the emulator is not running; call start() first")
        host, port = server.server_address[:2]
        host = str(host)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    # --- configuration -----------------------------------------------------

    def add_credential(self, secret_id: str, secret_key: str, token: Optional[str] = None) -> None:
        """Accept requests signed with this key; with ``token``, only those carrying it."""
        credential = Credential(secret_id, secret_key, token)
        with self._lock:
            self._credentials[secret_id] = credential
            self._expiry.pop(secret_id, None)

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
        (whose ``params`` are ``{}``) or of a multipart body. One-parameter
        handlers get the params alone.

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

        def assume_role(params: Dict[str, Any]) -> Dict[str, Any]:
            return self._mint(params, ("RoleArn", "RoleSessionName"), duration_limit)

        def assume_role_with_web_identity(params: Dict[str, Any]) -> Dict[str, Any]:
            required = ("ProviderId", "WebIdentityToken", "RoleArn", "RoleSessionName")
            return self._mint(params, required, duration_limit)

        self.register("sts", "AssumeRole", assume_role, version=_STS_VERSION)
        self.register(
            "sts",
            "AssumeRoleWithWebIdentity",
            assume_role_with_web_identity,
            version=_STS_VERSION,
            allow_unsigned=True,
        )

    # --- STS ---------------------------------------------------------------

    def _mint(
        self, params: Mapping[str, Any], required: Sequence[str], limit: int
    ) -> Dict[str, Any]:
        for name in required:
            value = params.get(name)
            if value is None or value == "":
                raise _api_error(
                    "MissingParameter", f"The request is missing a required parameter `{name}`."
                )
            if not isinstance(value, str):
                raise _api_error("InvalidParameter", f"The parameter `{name}` must be a string.")
        if not str(params["RoleArn"]).startswith("qcs::cam::"):
            raise _api_error(
                "InvalidParameter.ResouceError", "RoleArn is not a valid role resource description."
            )
        if not _ROLE_SESSION.match(str(params["RoleSessionName"])):
            raise _api_error(
                "InvalidParameter.ParamError",
                "RoleSessionName must be 2 to 128 characters of letters, digits and =,.@_-",
            )
        duration = _duration_seconds(params.get("DurationSeconds"), limit)
        now = self._clock()
        expired = int(now) + duration
        tmp_id = "AKID" + "".join(secrets.choice(_ALNUM) for _ in range(32))
        tmp_key = "".join(secrets.choice(_ALNUM) for _ in range(32))
        token = secrets.token_urlsafe(96)
        with self._lock:
            self._credentials[tmp_id] = Credential(tmp_id, tmp_key, token)
            self._expiry[tmp_id] = float(expired)
        expiration = datetime.fromtimestamp(expired, tz=timezone.utc)
        return {
            "Credentials": {"Token": token, "TmpSecretId": tmp_id, "TmpSecretKey": tmp_key},
            "ExpiredTime": expired,
            "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    # --- request handling (called from the server threads) ------------------

    def _lookup(self, secret_id: str) -> Union[str, Credential, None]:
        with self._lock:
            credential = self._credentials.get(secret_id)
        if credential is None:
            return None
        return credential if credential.token else credential.secret_key

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    @property
    def _current_latency(self) -> float:
        with self._lock:
            return self._latency

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
        if len(candidates) == 1:
            return next(iter(candidates))
        if not candidates:
            raise _api_error(
                "InvalidAction",
                f"The action `{action}` is not found; no service has it "
                "(sign with TC3 or send Host: <service>.tencentcloudapi.com to name the service).",
            )
        raise _api_error(
            "InvalidAction",
            f"The action `{action}` exists in several services ({', '.join(sorted(candidates))}); "
            "sign with TC3 or send Host: <service>.tencentcloudapi.com to name the service.",
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

    def _dispatch(
        self,
        request: VerifiedRequest,
        service: str,
        registration: Optional[_Registration],
        seen: _Seen,
    ) -> Any:
        """The handler's result, or the documented example; raises API errors."""
        spec = self._specs.get(service, request.version) if self._specs is not None else None
        documented = spec is not None and request.action in spec.actions
        if spec is not None and documented:
            spec.validate(request.action, request.params)
        if registration is not None:
            params = copy.deepcopy(request.params)
            handler: Callable[..., Any] = registration.handler
            if not registration.takes_request:
                return handler(params)
            incoming = RecordedRequest(
                service=service,
                action=request.action,
                version=request.version,
                region=request.region,
                secret_id=request.secret_id,
                params=params,
                headers=dict(seen.headers),
                body=seen.body,
                method=seen.method,
            )
            return handler(params, incoming)
        if spec is not None and documented:
            return spec.example_response(request.action, request.params)
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


def _duration_seconds(raw: Any, limit: int) -> int:
    if raw is None or raw == "":
        duration = 7200
    elif isinstance(raw, bool):
        raise _api_error("InvalidParameter.ParamError", "DurationSeconds must be an integer.")
    elif isinstance(raw, int):
        duration = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        duration = int(raw.strip())
    else:
        raise _api_error("InvalidParameter.ParamError", "DurationSeconds must be an integer.")
    if duration < 1:
        raise _api_error("InvalidParameter.ParamError", "DurationSeconds must be positive.")
    if duration > limit:
        raise _api_error(
            "InvalidParameter.OverTimeError",
            f"DurationSeconds {duration} exceeds the maximum of {limit} seconds.",
        )
    return duration


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


def _is_event_stream(result: Any) -> bool:
    return isinstance(result, IterableABC) and not isinstance(
        result, (Mapping, str, bytes, bytearray)
    )


def _format_event(event: Any) -> bytes:
    fields: Mapping[str, Any]
    if isinstance(event, (str, bytes)):
        fields = {"data": event}
    elif isinstance(event, Mapping):
        fields = event
    else:
        raise TypeError(f"an event must be a dict or a string, not {type(event).__name__}")
    lines: List[str] = []
    for key in ("event", "id"):
        if fields.get(key) is not None:
            lines.append(f"{key}: {_one_line(str(fields[key]))}")
    if fields.get("retry") is not None:
        lines.append(f"retry: {int(fields['retry'])}")
    data = fields.get("data", "")
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    elif not isinstance(data, str):
        data = json.dumps(data, ensure_ascii=False)
    lines.extend(f"data: {line}" for line in data.replace("\r\n", "\n").split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


# --- the HTTP server ---------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default of 5 makes a burst of connects wait for SYN
    # retransmits (seconds each) whenever the accept loop falls behind.
    request_queue_size = max(128, socket.SOMAXCONN)

    def __init__(self, address: Tuple[str, int], emulator: ApiEmulator) -> None:
        self.emulator = emulator
        self.reset_sockets: Set[socket.socket] = set()
        self._reset_lock = threading.Lock()
        # Every accepted connection, from accept until closed; tracked here, in
        # the accept loop, so that none slips past close_connections() while
        # its handler thread is still starting.
        self._open: Set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._closing = False
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    def mark_reset(self, conn: socket.socket) -> None:
        with self._reset_lock:
            self.reset_sockets.add(conn)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            closing = self._closing
            if not closing:
                self._open.add(request)
        if closing:
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def close_connections(self) -> None:
        """Close every open connection, and any accepted from now on, at once."""
        with self._open_lock:
            self._closing = True
            # Under the lock: shutdown_request forgets a socket before closing
            # it, so none of these has been closed (and its fd reused) yet.
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        with self._reset_lock:
            reset = request in self.reset_sockets
            self.reset_sockets.discard(request)
        if reset:
            # No FIN first: SO_LINGER 0 makes the close an RST.
            self.close_request(request)
            return
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("emulator connection error from %s", client_address, exc_info=True)


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tcfunc-emulator"
    sys_version = ""
    # Error pages for unreadable request lines get a status line too.
    default_request_version = "HTTP/1.0"
    timeout = _IDLE_TIMEOUT
    server: _Server

    # --- plumbing ---

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without TCP_NODELAY,
        # Nagle plus delayed ACK holds the second one ~40 ms on loopback.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        # v1 GET queries carry the SecretId and the session Token: keep them out of logs.
        safe = tuple(_QUERY.sub("?<query>", a) if isinstance(a, str) else a for a in args)
        logger.debug("emulator: " + format, *safe)

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        when = self.server.emulator._clock() if timestamp is None else timestamp
        return formatdate(when, usegmt=True)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        *,
        close: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _send_error(
        self, code: str, message: str, *, status: int = 200, close: bool = False
    ) -> None:
        self._send(status, _error_body(code, message), close=close)

    # --- reading ---

    def _read_body(self) -> Optional[bytes]:
        """The body, or None after answering (too large, malformed framing)."""
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding and encoding != "identity":
            if encoding != "chunked":
                self._send_error(
                    "InvalidParameter", "unsupported Transfer-Encoding", status=501, close=True
                )
                return None
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        raw_length = raw_length.strip()
        if not raw_length.isdigit() or len(raw_length) > 18:
            self._send_error("InvalidParameter", "malformed Content-Length", status=400, close=True)
            return None
        length = int(raw_length)
        if length > BODY_LIMIT:
            self._too_large(length)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _read_chunked(self) -> Optional[bytes]:
        # One buffer: a list of one-byte chunks would cost ~90 bytes per byte.
        parts = bytearray()
        total = 0
        while True:
            line = self._framing_line(_CHUNK_LINE_LIMIT)
            if line is None:
                return None
            # Chunk extensions (";name=value") carry nothing we need.
            size_text = line.split(b";", 1)[0].strip()
            # Exactly hex digits: int(_, 16) would also take "-1", "+1", "0x1"
            # and "1_0", and a negative size would read until EOF.
            if not _CHUNK_SIZE.fullmatch(size_text):
                self._bad_chunking("malformed chunk size")
                return None
            size = int(size_text, 16)
            if size == 0:
                return self._skip_trailers(bytes(parts))
            total += size
            if total > BODY_LIMIT:
                self._too_large(total)
                return None
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                self.close_connection = True
                return None
            end = self.rfile.readline(3)
            if end not in (b"\r\n", b"\n"):
                if end:
                    self._bad_chunking("chunk data longer than its size")
                else:
                    self.close_connection = True
                return None
            parts += chunk
            del chunk

    def _skip_trailers(self, body: bytes) -> Optional[bytes]:
        for _ in range(_MAX_TRAILERS):
            trailer = self._framing_line(8192, eof_ends=True)
            if trailer is None:
                return None
            if trailer.strip() == b"":
                return body
        self._bad_chunking("too many trailer fields")
        return None

    def _framing_line(self, limit: int, *, eof_ends: bool = False) -> Optional[bytes]:
        """One line of chunked framing; None after answering or when the client left."""
        line = self.rfile.readline(limit + 1)
        if line.endswith(b"\n"):
            return line
        if len(line) > limit:
            self._bad_chunking("chunked framing line too long")
            return None
        if eof_ends and not line:
            self.close_connection = True
            return b""
        self.close_connection = True
        return None

    def _bad_chunking(self, message: str) -> None:
        self._send_error("InvalidParameter", message, status=400, close=True)

    def _too_large(self, length: int) -> None:
        self._send_error(
            "RequestSizeLimitExceeded",
            f"The request body of {length} bytes exceeds the 10 MB limit.",
            close=True,
        )
        self._linger()

    def _linger(self) -> None:
        """Read and drop what the client is still sending, so it can read our answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _DRAIN_SECONDS
            drained = 0
            while drained < _DRAIN_LIMIT and time.monotonic() < deadline:
                self.connection.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = self.rfile.read1(65536) if hasattr(self.rfile, "read1") else b""
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass

    # --- serving ---

    def _serve(self, method: str) -> None:
        emulator = self.server.emulator
        try:
            self._serve_inner(method, emulator)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception:
            # A bug of ours must not take the server down; the client sees a closed connection.
            logger.exception("emulator failed to serve a request")
            self.close_connection = True

    def _serve_inner(self, method: str, emulator: ApiEmulator) -> None:
        target = self.path
        query = target.split("?", 1)[1] if "?" in target else ""
        if len(query) > GET_QUERY_LIMIT:
            self._send_error(
                "RequestSizeLimitExceeded",
                f"The query string of {len(query)} bytes exceeds the 32 KB limit.",
                close=bool(
                    self.headers.get("Content-Length") or self.headers.get("Transfer-Encoding")
                ),
            )
            return
        body = self._read_body()
        if body is None:
            return
        headers = [(str(k), str(v)) for k, v in self.headers.items()]
        tc3 = _header(headers, "x-tc-action") is not None or (
            _header(headers, "authorization") or ""
        ).startswith("TC3-HMAC-SHA256")
        if len(body) > V1_BODY_LIMIT and not tc3:
            self._send_error(
                "RequestSizeLimitExceeded",
                f"The request body of {len(body)} bytes exceeds the 1 MB limit of v1 signing.",
            )
            return

        # What the request claims to be, for fault matching and the record.
        try:
            claimed: Optional[VerifiedRequest] = parse_request(method, target, headers, body)
        except TencentCloudSDKException:
            claimed = None
        fault = emulator._faults.take(claimed.action if claimed is not None else None)
        request: Optional[VerifiedRequest] = None
        service: Optional[str] = None
        registration: Optional[_Registration] = None
        try:
            request, service, registration = emulator._authenticate(method, target, headers, body)
        except TencentCloudSDKException as exc:
            error: Optional[TencentCloudSDKException] = exc
        else:
            error = None

        def remember(error_code: Optional[str]) -> None:
            shown = request or claimed
            if shown is None:
                return
            # A request whose signature did not hold is recorded without its
            # body and params, and with bounded headers: anyone can send
            # those, and 10 MB each would let them fill the server's memory.
            trusted = request is not None
            emulator._record(
                RecordedRequest(
                    service=service or emulator._guess_service(headers, shown),
                    action=shown.action,
                    version=shown.version,
                    region=shown.region,
                    secret_id=request.secret_id if request is not None else None,
                    params=copy.deepcopy(shown.params) if trusted else {},
                    headers=dict(headers) if trusted else _bounded_headers(headers),
                    body=body if trusted else b"",
                    method=method,
                    error_code=error_code,
                    fault=fault.kind if fault is not None else None,
                )
            )

        if fault is not None:
            remember(None)
            emulator._wait(emulator._current_latency)
            self._apply_fault(fault, emulator)
            return
        if error is not None or request is None or service is None:
            failure = error or _api_error("InternalError", "The request could not be read.")
            code = str(failure.code or "InternalError")
            remember(code)
            emulator._wait(emulator._current_latency)
            self._send_error(code, failure.message or "")
            return
        outcome = _outcome(emulator, request, service, registration, _Seen(method, headers, body))
        remember(outcome.error_code)
        emulator._wait(emulator._current_latency)
        if outcome.events is not None:
            self._stream(outcome.first, outcome.events, request.action)
        else:
            self._send(200, outcome.body)

    def _stream(self, first: Any, events: Iterator[Any], action: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        event = first
        try:
            while event is not _END:
                self._chunk(_format_event(event))
                event = next(events, _END)
        except TencentCloudSDKException as exc:
            # Headers are gone; the error travels as a last event, as streaming APIs do.
            error = {
                "Error": {"Code": exc.code, "Message": exc.message or ""},
                "RequestId": _request_id(),
            }
            self._chunk(_format_event({"data": {"Response": error}}))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            _close_iterator(events)
            return
        except Exception:
            logger.exception("emulator event stream for %s failed", action)
            # End without the last chunk: the client sees a broken stream.
            self.close_connection = True
            _close_iterator(events)
            return
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _apply_fault(self, fault: Fault, emulator: ApiEmulator) -> None:
        kind = fault.kind
        if kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.mark_reset(self.connection)
            self.close_connection = True
        elif kind == "stall":
            emulator._wait(fault.delay)
            self.close_connection = True
        elif kind == "http_error":
            reason = self.responses.get(fault.status, ("Error",))[0]
            page = (
                f"<html><head><title>{fault.status} {reason}</title></head><body>"
                f"<center><h1>{fault.status} {reason}</h1></center><hr><center>nginx</center>"
                "</body></html>"
            )
            self._send(fault.status, page.encode("utf-8"), "text/html; charset=utf-8")
        elif kind == "truncated_json":
            body = _json_bytes({"Response": {"Data": "x" * 64, "RequestId": _request_id()}})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif kind == "malformed_json":
            self._send(
                200, b'{"Response": {"RequestId": <!-- upstream reset -->', "application/json"
            )
        elif kind == "rate_limit":
            self._send_error(
                "RequestLimitExceeded",
                fault.message or "The number of requests exceeds the frequency limit.",
            )
        else:  # api_error
            self._send_error(
                fault.code or "InternalError", fault.message or "An injected API error."
            )


_END = object()


@attrs.frozen
class _Outcome:
    body: bytes = b""
    error_code: Optional[str] = None
    events: Optional[Iterator[Any]] = None
    first: Any = None


def _failed(code: str, message: str) -> _Outcome:
    return _Outcome(body=_error_body(code, message), error_code=code)


def _outcome(
    emulator: ApiEmulator,
    request: VerifiedRequest,
    service: str,
    registration: Optional[_Registration],
    seen: _Seen,
) -> _Outcome:
    """Run the handler (or find the example) and say what to answer."""
    try:
        result = emulator._dispatch(request, service, registration, seen)
        if _is_event_stream(result):
            events = iter(result)
            # The first event is fetched before any header is sent, so that a
            # handler failing at once still answers a normal API error.
            return _Outcome(events=events, first=next(events, _END))
        if result is None:
            result = {}
        if not isinstance(result, Mapping):
            raise TypeError(f"the handler returned {type(result).__name__}, not a dict")
        response = dict(result)
        response["RequestId"] = _request_id()
        return _Outcome(body=_json_bytes({"Response": response}))
    except TencentCloudSDKException as exc:
        return _failed(str(exc.code or "InternalError"), exc.message or "")
    except Exception:
        logger.exception("emulator handler for %s %s failed", service, request.action)
        return _failed("InternalError", "An internal error occurred in the handler.")


def _close_iterator(events: Iterator[Any]) -> None:
    close = getattr(events, "close", None)
    if callable(close):
        try:
            close()
        except Exception:
            logger.debug("closing an event stream failed", exc_info=True)


# --- the standalone runner -----------------------------------------------------


def _port(text: str) -> int:
    """An argparse type: a TCP port number, 0 to 65535 (0 picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, got {port}")
    return port


def build_parser(prog: str = "python -m tcfunc.testing") -> argparse.ArgumentParser:
    """The command line of the standalone emulator."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a local, signature-verifying Tencent Cloud API emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (0 picks a free one)")
    parser.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="ID:KEY",
        help="accept this SecretId:SecretKey (repeatable); default: "
        "TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY",
    )
    specs = parser.add_mutually_exclusive_group()
    specs.add_argument(
        "--spec-dir",
        default=None,
        help="tccli-style services tree for validation and example answers",
    )
    specs.add_argument(
        "--tccli",
        action="store_true",
        help="use the installed tccli package's services tree as --spec-dir",
    )
    parser.add_argument("--sts", action="store_true", help="serve STS AssumeRole*")
    parser.add_argument(
        "--strict-signing",
        action="store_true",
        help="refuse TC3 requests that do not sign x-tc-action (the official SDKs do not)",
    )
    parser.add_argument(
        "--max-skew", type=float, default=300, help="allowed timestamp skew, seconds (300)"
    )
    parser.add_argument(
        "--max-recorded",
        type=int,
        default=_RUNNER_MAX_RECORDED,
        metavar="N",
        help=f"keep only the newest N requests in memory ({_RUNNER_MAX_RECORDED})",
    )
    return parser


def _make_emulator(
    args: argparse.Namespace, credentials: Mapping[str, str], spec_dir: Optional[str]
) -> ApiEmulator:
    """The runner's emulator, configured from its flags (not started)."""
    emulator = ApiEmulator(
        credentials,
        host=args.host,
        port=args.port,
        max_skew=args.max_skew,
        spec_dir=spec_dir,
        max_recorded=args.max_recorded,
        strict_signing=args.strict_signing,
    )
    if args.sts:
        emulator.enable_sts()
    return emulator


def _credentials_from(
    args: argparse.Namespace, environ: Mapping[str, str]
) -> Tuple[Dict[str, str], Optional[str]]:
    found: Dict[str, str] = {}
    for item in args.credential:
        secret_id, sep, secret_key = str(item).partition(":")
        if not sep or not secret_id or not secret_key:
            return {}, "--credential must be ID:KEY"
        found[secret_id] = secret_key
    if not found:
        env_id = environ.get("TENCENTCLOUD_SECRET_ID")
        env_key = environ.get("TENCENTCLOUD_SECRET_KEY")
        if env_id and env_key:
            found[env_id] = env_key
    return found, None


def main(argv: Optional[Sequence[str]] = None, *, prog: str = "python -m tcfunc.testing") -> int:
    """Run the emulator until Ctrl-C (or SIGTERM); returns the exit status.

    ``prog`` names the command in usage messages (``tcfunc emulator`` reuses this).
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    credentials, problem = _credentials_from(args, os.environ)
    if problem:
        parser.error(problem)
    spec_dir = args.spec_dir
    if args.tccli:
        spec_dir = tccli_spec_dir()
        if spec_dir is None:
            parser.error("--tccli needs the tccli package (pip install --no-deps tccli)")
    try:
        emulator = _make_emulator(args, credentials, spec_dir)
        emulator.start()
    except (TencentCloudSDKException, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"tcfunc emulator listening on {emulator.endpoint}", flush=True)
    if credentials:
        print(f"accepting SecretIds: {', '.join(sorted(credentials))}", flush=True)
    else:
        print("warning: no credentials; only unsigned actions will be accepted", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("tcfunc emulator stopped", flush=True)
    return 0
