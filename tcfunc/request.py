"""Building a signed request: :func:`prepare_request` and :class:`PreparedRequest`.

Everything here is pure once ``timestamp`` (and, for v1, ``nonce``) are given:
no clock, randomness, environment or I/O, and the caller's mappings are never
mutated. The bytes produced equal what the official SDK 3.1.195 puts on the
wire for the same inputs (its ``_build_req_inter``), which the differential
tests check.

Differences from the official SDK, all refusals of input it would mangle:
control characters anywhere in the request line or headers, multipart with
GET, octet-stream or multipart with a v1 sign method (the official silently
switches to TC3), NaN/Infinity or other non-JSON params, and payloads over the
documented limits. Each raises ``TencentCloudSDKException("ClientError", ...)``
before anything is built.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections import abc
from types import MappingProxyType
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode, urlsplit

import attrs

from . import signing
from ._credential import Credential
from ._redact import (
    LazyPattern,
    redact_query,  # the one rule: v1 Signature, Token, WebIdentityToken, ...
)
from ._validate import CONTROL_CHARS, FastPattern, check_host, fail
from ._value import FrozenValue
from ._version import __version__
from .errors import TencentCloudSDKException
from .profile import ClientProfile

__all__ = [
    "GET_QUERY_LIMIT",
    "TC3_BODY_LIMIT",
    "V1_BODY_LIMIT",
    "PreparedRequest",
    "RequestOptions",
    "prepare_request",
    "request_client_header",
]

# Documented limits of API 3.0 requests.
GET_QUERY_LIMIT = 32 * 1024
V1_BODY_LIMIT = 1024 * 1024
TC3_BODY_LIMIT = 10 * 1024 * 1024

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"
OCTET_TYPE = "application/octet-stream"

SDK_REQUEST_CLIENT = f"tcfunc/{__version__}"

# Each name rule with a plain test that passes the usual names without the
# regex (FastPattern): a cold start compiles none of them.
_HEADER_NAME = FastPattern(
    r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$", lambda v: v.isascii() and v.replace("-", "").isalnum()
)
_SIGNED_HEADERS = "content-type;host"
_SIGNED_WITH_ACTION = "content-type;host;x-tc-action"
_ACTION = FastPattern(
    r"^[A-Za-z][A-Za-z0-9_]*$",
    lambda v: v.isascii() and v[:1].isalpha() and v.replace("_", "a").isalnum(),
)
_VERSION = FastPattern(
    r"^\d{4}-\d{2}-\d{2}$",
    lambda v: (
        len(v) == 10 and v.isascii() and v[4] == v[7] == "-" and (v[:4] + v[5:7] + v[8:]).isdigit()
    ),
)
_REGION = FastPattern(
    r"^[a-z0-9][a-z0-9-]*$|^$",
    lambda v: (
        not v or (v.isascii() and v[0] != "-" and v.replace("-", "").isalnum() and v.islower())
    ),
)
_SERVICE = FastPattern(
    r"^[a-z0-9][a-z0-9_-]*$",
    lambda v: (
        v.isascii()
        and v[:1] not in ("", "_", "-")
        and v.replace("-", "").replace("_", "a").isalnum()
        and v == v.lower()
    ),
)


def _frozen_names(value: Iterable[str]) -> FrozenSet[str]:
    if isinstance(value, str):
        return frozenset((value,))
    try:
        names = frozenset(value)
    except TypeError:
        fail("ClientError", "RequestOptions.binary_params must be a list of param names")
    if not all(isinstance(name, str) for name in names):
        fail("ClientError", "RequestOptions.binary_params must be a list of param names")
    return names


def _check_flag(inst: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        fail("ClientError", f"RequestOptions.{attribute.name} must be True or False")


def _check_optional_str(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        fail("ClientError", f"RequestOptions.{attribute.name} must be a string")


def _check_body(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, (bytes, bytearray, memoryview)):
        fail("ClientError", "RequestOptions.body must be bytes")


# RFC 2046: 1 to 70 characters from a small safe set (no CR, LF or quotes).
_BOUNDARY = LazyPattern(r"^[0-9A-Za-z'()+_,./:=?-]{1,70}$")


def _check_boundary(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _BOUNDARY.match(value)):
        fail(
            "ClientError",
            "RequestOptions.boundary must be 1-70 characters of [0-9A-Za-z'()+_,./:=?-]",
        )


@attrs.frozen(repr=False, eq=False)
class RequestOptions(FrozenValue):
    """How to build one request beyond the profile.

    Args:
        skip_sign: send ``Authorization: SKIP`` (actions that need no signature).
        multipart: ``multipart/form-data`` body (TC3, POST only).
        binary_params: names of multipart params sent as file parts.
        octet_stream: the body is :attr:`body`, sent as ``application/octet-stream``.
        body: raw body for octet-stream requests.
        unsigned_payload: sign ``UNSIGNED-PAYLOAD`` instead of the body hash.
        endpoint: a URL whose host is used when the profile names no endpoint
            (the official ``Endpoint`` option).
        boundary: multipart boundary; by default one is derived from the
            content, so the same input gives the same bytes.

    ``RequestOptions.coerce`` also accepts the official options dict
    (``SkipSign``, ``IsMultipart``, ``BinaryParams``, ``IsOctetStream``,
    ``Endpoint``).
    """

    skip_sign: bool = attrs.field(default=False, validator=_check_flag)
    multipart: bool = attrs.field(default=False, validator=_check_flag)
    binary_params: FrozenSet[str] = attrs.field(default=frozenset(), converter=_frozen_names)
    octet_stream: bool = attrs.field(default=False, validator=_check_flag)
    body: Optional[bytes] = attrs.field(
        default=None,
        validator=_check_body,
        repr=lambda b: f"<{len(b)} bytes>" if b is not None else "None",
    )
    unsigned_payload: bool = attrs.field(default=False, validator=_check_flag)
    endpoint: Optional[str] = attrs.field(default=None, validator=_check_optional_str)
    boundary: Optional[str] = attrs.field(default=None, validator=_check_boundary)

    @classmethod
    def coerce(cls, value: Union[RequestOptions, Mapping[str, Any], None]) -> RequestOptions:
        """A :class:`RequestOptions` from itself, None, or an official-style dict."""
        if value is None:
            return _NO_OPTIONS
        if isinstance(value, RequestOptions):
            return value
        if not isinstance(value, Mapping):
            fail("ClientError", "options must be a RequestOptions or a dict")
        known = {
            "SkipSign": "skip_sign",
            "IsMultipart": "multipart",
            "BinaryParams": "binary_params",
            "IsOctetStream": "octet_stream",
            "Endpoint": "endpoint",
            "UnsignedPayload": "unsigned_payload",
        }
        fields = {f.name for f in attrs.fields(cls)}
        kwargs: Dict[str, Any] = {}
        for key, val in value.items():
            name = known.get(key, key)
            if name not in fields:
                fail("ClientError", f"unknown request option {key!r}")
            kwargs[name] = val
        return cls(**kwargs)


_NO_OPTIONS = RequestOptions()
_DEFAULT_PROFILE = ClientProfile()


@attrs.frozen(repr=False, eq=False)
class PreparedRequest(FrozenValue):
    """A signed request, ready for any HTTP client: method, URL, headers, body."""

    method: str
    url: str = attrs.field(repr=lambda url: repr(redact_query(url)))
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")


def request_client_header(profile: ClientProfile) -> str:
    """The ``X-TC-RequestClient`` value: ``tcfunc/<version>[; <request_client>]``."""
    if profile.request_client:
        return f"{SDK_REQUEST_CLIENT}; {profile.request_client}"
    return SDK_REQUEST_CLIENT


# Header names seen valid, each mapped to whether the request builder owns it
# (see _RESERVED): a client sends the same few headers thousands of times.
# Bounded; cleared when full (as is the plan cache, _PLANS).
_VALID_HEADER_NAMES: Dict[str, bool] = {}
_VALID_REGIONS: Dict[str, None] = {}
_CACHE_LIMIT = 4096
# Printable Latin-1 only: no C0/C1 controls (CR, LF, NUL, ...), nothing that
# http.client would fail to encode.
# Compiled on first use: only a value that is not printable ASCII is searched.
_BAD_HEADER_VALUE = LazyPattern(r"[^\x20-\x7e\xa0-\xff]")


def _check_text(name: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        fail("ClientError", f"{name} must be a string, got {type(value).__name__}")
    if not value and not allow_empty:
        fail("ClientError", f"{name} must not be empty")
    if CONTROL_CHARS.search(value):
        fail("ClientError", f"{name} must not contain control characters (CR, LF, ...)")
    if not value.isascii():
        # These travel in headers (TC3) and in the signed v1 string; the API's
        # names are all ASCII, and anything else would be mangled on the wire.
        fail("ClientError", f"{name} must be ASCII, got {value!r}")
    return value


def _check_names(action: Any, service: Any, version: Any) -> None:
    # The shapes every API 3.0 name has; anything else is a typo that the
    # server would only answer with a less precise error, after a round trip.
    for name, value, pattern, example in (
        ("action", action, _ACTION, "'DescribeInstances'"),
        ("service", service, _SERVICE, "'cvm'"),
        ("version", version, _VERSION, "'2017-03-12'"),
    ):
        _check_text(name, value)
        if not pattern.match(value):
            fail("ClientError", f"{name} must look like {example}, got {value!r}")


def _check_region(region: Any) -> None:
    """Refuse a region that is not ``''`` or shaped like ``ap-guangzhou``; remember good ones."""
    try:
        if region in _VALID_REGIONS:
            return
    except TypeError:  # unhashable: the checks below say what is wrong
        pass
    _check_text("region", region, allow_empty=True)
    if not _REGION.match(region):
        fail("ClientError", f"region must look like 'ap-guangzhou', got {region!r}")
    if len(_VALID_REGIONS) >= _CACHE_LIMIT:
        _VALID_REGIONS.clear()
    _VALID_REGIONS[region] = None


def _check_headers(headers: Optional[Mapping[str, str]]) -> Dict[str, str]:
    """A new dict of the caller's headers, checked, without the names the builder owns."""
    if not headers:
        if headers is not None and not isinstance(headers, abc.Mapping):
            fail("ClientError", "headers must be a dict of str to str")
        return {}
    if type(headers) is not dict and not isinstance(headers, abc.Mapping):
        fail("ClientError", "headers must be a dict of str to str")
    out: Dict[str, str] = {}
    for name, value in headers.items():
        reserved = _VALID_HEADER_NAMES.get(name)
        if reserved is None:
            if not isinstance(name, str) or not _HEADER_NAME.match(name):
                fail("ClientError", f"header name {name!r} is not a valid HTTP token")
            reserved = name.lower() in _RESERVED
            if len(_VALID_HEADER_NAMES) >= _CACHE_LIMIT:
                _VALID_HEADER_NAMES.clear()
            _VALID_HEADER_NAMES[name] = reserved
        if not isinstance(value, str):
            fail("ClientError", f"header {name} must have a str value")
        # Printable ASCII (the common case) passes without the regex.
        if not (value.isascii() and value.isprintable()) and _BAD_HEADER_VALUE.search(value):
            # The value may be a secret; name the header, never echo the value.
            fail(
                "ClientError",
                f"header {name} must be printable Latin-1 text: no control characters "
                "(CR, LF, ...) and nothing HTTP headers cannot carry",
            )
        if not reserved:
            out[name] = value
    return out


# What an unsigned (SkipSign) request without a credential signs with: nothing of it is sent.
_UNSIGNED = Credential("SKIP", "SKIP")


def _credential_for(credential: Optional[Credential], skip_sign: bool) -> Credential:
    # A provider may fetch over the network; a pure function takes the snapshot, not the source.
    if isinstance(credential, Credential):
        return credential
    if credential is None:
        if skip_sign:
            return _UNSIGNED
        fail("InvalidCredential", "a signed request needs a Credential (None only with SkipSign)")
    raise TencentCloudSDKException(
        "ClientError",
        f"credential must be a Credential, got {type(credential).__name__}; for a provider "
        "pass one snapshot: credential=provider.get_credential()",
    )


_DAY = 86400
_sha256 = hashlib.sha256
_MAX_TIMESTAMP = 253402300800  # 10000-01-01T00:00:00Z: the date must have four digits
_date_cache: Dict[int, str] = {}


def _utc_date(timestamp: int) -> str:
    # strftime costs as much as the signature itself; dates repeat all day.
    day = timestamp // _DAY
    date = _date_cache.get(day)
    if date is None:
        if len(_date_cache) >= 64:
            _date_cache.clear()
        # time.gmtime, not datetime: datetime alone costs ~10 ms to import.
        date = time.strftime("%Y-%m-%d", time.gmtime(day * _DAY))
        _date_cache[day] = date
    return date


# One encoder, built once: json.dumps builds a new JSONEncoder on every call
# whenever any option differs from the defaults (allow_nan here). Default
# separators and ensure_ascii, exactly as the official SDK's json.dumps(params);
# allow_nan=False refuses NaN and Infinity, which are not JSON.
_JSON = json.JSONEncoder(allow_nan=False)


def _c_encoder() -> Any:
    """The C encoder behind ``_JSON.encode``, made once (``encode`` makes one per call).

    Without the circular-reference markers (a cycle in params ends as a
    RecursionError instead); None where the C accelerator is missing or its
    signature differs, and ``_JSON.encode`` is used.
    """
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        made = make(
            None, _JSON.default, encoder.encode_basestring_ascii, None,
            ": ", ", ", False, False, False,
        )  # fmt: skip
        probe = {"A": [1, 2.5, "\u00e9", None, True, {"B": {}}]}
        if "".join(made(probe, 0)) != _JSON.encode(probe):
            return None
    except Exception:  # noqa: BLE001 - any surprise: the documented path
        return None
    return made


_ENCODE = _c_encoder()


def _unencodable(exc: Exception) -> str:
    """What is wrong with a value the wire format cannot carry, for a ClientError.

    Said from the error's type (and, for ``TypeError``, its short message),
    never by quoting the failing text: a ``UnicodeEncodeError`` holds the
    whole string it failed on, and a v1 string to sign holds the token. The
    ClientError is raised outside the ``except`` block so that the original
    is not kept as its ``__context__`` either.
    """
    if isinstance(exc, UnicodeError):
        return (
            "params contain text that cannot be encoded as UTF-8 "
            "(a lone surrogate such as '\\ud800')"
        )
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
        return f"params contain an integer of more than {limit} digits, which cannot be sent"
    if isinstance(exc, TypeError):
        return f"params are not JSON-serialisable: TypeError: {exc}"
    return f"params are not JSON-serialisable: {type(exc).__name__}"


def _json_body(params: Any) -> bytes:
    try:
        if _ENCODE is not None:
            return "".join(_ENCODE(params, 0)).encode("ascii")
        return _JSON.encode(params).encode("ascii")
    except RecursionError:
        problem = "params are nested too deeply (or contain themselves) to serialise"
    except (TypeError, ValueError) as exc:
        problem = _unencodable(exc)
    raise TencentCloudSDKException("ClientError", problem)


def _check_form_value(value: Any) -> None:
    # urlencode renders with str(); refuse what str() would render as
    # something the server cannot mean (objects, bytes reprs).
    if isinstance(value, (str, int, float)):
        return
    fail(
        "ClientError",
        f"params contain a value of type {type(value).__name__} that cannot be form-encoded",
    )


def _flat_form(params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    try:
        flat = signing.flatten_params(params)
    except AttributeError:
        fail("ClientError", "params must be a dict")
    for key, value in flat.items():
        _check_form_value(value)
        if isinstance(value, float) and not math.isfinite(value):
            fail("ClientError", f"param {key} is not a finite number")
    return flat


def _urlencode(flat: Mapping[str, Any]) -> str:
    try:
        return urlencode(flat)
    except ValueError as exc:
        # Lone surrogates cannot be UTF-8 encoded (JSON can escape them, a
        # query cannot); an int over Python's digit limit has no str().
        problem = _unencodable(exc)
    raise TencentCloudSDKException("ClientError", problem)


def _utf8(value: Any) -> bytes:
    try:
        return str(value).encode("utf-8")
    except ValueError as exc:  # a lone surrogate; an int over the digit limit
        problem = _unencodable(exc)
    raise TencentCloudSDKException("ClientError", problem)


def _multipart(params: Mapping[str, Any], options: RequestOptions) -> Tuple[bytes, str]:
    # urllib3 is imported here, not at module level, so that building
    # ordinary requests never loads it.
    from urllib3.fields import RequestField
    from urllib3.filepost import encode_multipart_formdata

    fields: List[RequestField] = []
    digest = hashlib.sha256()
    for name, value in params.items():
        if value is None:
            continue
        name = _check_text("multipart param name", name)
        content_type: Optional[str] = None
        filename: Optional[str] = None
        if name in options.binary_params:
            filename = name
            data: bytes = value if isinstance(value, bytes) else _utf8(value)
        elif isinstance(value, bytes):
            data = value
        elif isinstance(value, str):
            data = _utf8(value)
        elif isinstance(value, (list, tuple, dict)):
            data = _json_body(value)
            content_type = JSON_TYPE
        else:
            data = _json_body(value)
        field = RequestField(name=name, data=data, filename=filename)
        field.make_multipart(content_type=content_type)
        fields.append(field)
        digest.update(name.encode("utf-8") + b"\0" + data + b"\0")
    # A boundary derived from the content keeps the function pure, and a
    # SHA-256 of the parts cannot plausibly occur inside them.
    boundary = options.boundary or digest.hexdigest()[:32]
    body, content_type_header = encode_multipart_formdata(fields, boundary=boundary)
    return body, content_type_header


def _endpoint(
    service: str, profile: ClientProfile, options: RequestOptions, host: Optional[str]
) -> str:
    if host is not None:
        check_host("host", host)
        return host
    http = profile.httpProfile
    if http.endpoint:
        return http.endpoint
    if options.endpoint:
        try:
            parsed = urlsplit(options.endpoint).hostname
        except ValueError:
            fail("ClientError", "the Endpoint option is not a valid URL")
        if parsed:
            check_host("options endpoint", parsed)
            return parsed
    return f"{service}.{http.rootDomain}"


def prepare_request(
    action: str,
    params: Optional[Mapping[str, Any]],
    *,
    service: str,
    version: str,
    region: Optional[str],
    credential: Optional[Credential],
    profile: Optional[ClientProfile] = None,
    timestamp: Optional[int] = None,
    nonce: Optional[int] = None,
    headers: Optional[Mapping[str, str]] = None,
    options: Union[RequestOptions, Mapping[str, Any], None] = None,
    host: Optional[str] = None,
) -> PreparedRequest:
    """Build and sign one API 3.0 request.

    Args:
        action: e.g. ``"DescribeInstances"`` (the first letter is upper-cased).
        params: the action's parameters; ``None`` means none.
        service, version, region: e.g. ``"cvm"``, ``"2017-03-12"``, ``"ap-guangzhou"``;
            an empty or None region is omitted.
        credential: a :class:`Credential` (a provider's snapshot: this function
            does no I/O), or None for a ``SkipSign`` request.
        profile: sign method, HTTP method, endpoint, language; default ``ClientProfile()``.
        timestamp: Unix seconds; read from the clock only when None.
        nonce: v1 nonce; random only when None.
        headers: extra headers (e.g. ``X-TC-TraceId``); never mutated, and
            overridden by the headers the signature needs.
        options: a :class:`RequestOptions` or the official options dict.
        host: send to and sign for this host, overriding the profile (the
            region breaker uses it for the backup region).

    Returns:
        A frozen :class:`PreparedRequest`.

    Raises:
        TencentCloudSDKException: ``ClientError`` for bad input, with a
            message that never contains a secret; ``InvalidCredential`` when a
            signed request has no credential.
    """
    return _prepare(
        action, params, service, version, region, credential, profile, timestamp,
        _check_headers(headers), options, host, nonce,
    )  # fmt: skip


def _prepare(
    action: str,
    params: Optional[Mapping[str, Any]],
    service: str,
    version: str,
    region: Optional[str],
    credential: Optional[Credential],
    profile: Optional[ClientProfile],
    timestamp: Optional[int],
    extra_headers: Dict[str, str],
    options: Union[RequestOptions, Mapping[str, Any], None],
    host: Optional[str],
    nonce: Optional[int] = None,
) -> PreparedRequest:
    """:func:`prepare_request` with the headers already checked: ``extra_headers``
    is :func:`_check_headers`'s dict (or a copy of one), which the request takes."""
    profile = _DEFAULT_PROFILE if profile is None else profile
    if type(options) is RequestOptions:  # the call flow's, already coerced
        opts = options
    else:
        opts = _NO_OPTIONS if options is None else RequestOptions.coerce(options)
    if region is None:
        region = ""
    # Not the region: one plan serves a client's action in every region.
    key = (
        action, service, version, host, id(profile),
        None if opts is _NO_OPTIONS else (
            opts.skip_sign, opts.multipart, opts.octet_stream, opts.unsigned_payload, opts.endpoint
        ),
    )  # fmt: skip
    try:
        plan = _PLANS.get(key)
    except TypeError:  # an unhashable name (a list, say): the checks say what is wrong
        plan = None
    if plan is None or plan.profile is not profile:
        plan = _Plan(action, service, version, profile, opts, host)
        if len(_PLANS) >= _PLAN_LIMIT:
            _PLANS.clear()
        _PLANS[key] = plan
    if type(region) is not str or region not in _VALID_REGIONS:
        _check_region(region)
    if timestamp is None:
        timestamp = int(time.time())
    elif type(timestamp) is not int or not 0 <= timestamp < _MAX_TIMESTAMP:
        fail("ClientError", "timestamp must be Unix seconds between 1970 and 9999")
    if params is not None and type(params) is not dict and not isinstance(params, abc.Mapping):
        fail("ClientError", f"params must be a dict, got {type(params).__name__}")
    if opts.octet_stream:
        if not isinstance(opts.body, (bytes, bytearray, memoryview)):
            fail("ClientError", "octet-stream requests need options.body as bytes")
        if params:
            fail(
                "ClientError",
                "octet-stream requests carry their data in the body; params must be empty",
            )
    cred = credential
    if type(cred) is not Credential:
        cred = _credential_for(credential, opts.skip_sign)
    if plan.v1:
        return _build_v1(
            plan, params, version, region, cred, profile, timestamp, nonce, extra_headers
        )
    return _build_tc3(plan, params, region, cred, opts, timestamp, extra_headers)


class _Plan:
    """What every request with the same action, service, version, profile, options and host shares.

    Made once, with every check of those inputs, and kept in ``_PLANS``: a
    client sends the same action of the same service thousands of times, and
    only the params, headers, region, credential and clock differ between
    them. The region is left out so that a client used in many regions keeps
    one plan per action (a plan is about a kilobyte).
    """

    __slots__ = (
        "action", "canonical_head", "endpoint", "header_block", "headers", "method",
        "profile", "request_client", "scopes", "service", "signed_headers", "unsigned",
        "url", "v1",
    )  # fmt: skip

    def __init__(
        self,
        action: str,
        service: str,
        version: str,
        profile: ClientProfile,
        opts: RequestOptions,
        host: Optional[str],
    ) -> None:
        _check_names(action, service, version)
        action = action[0].upper() + action[1:]
        http = profile.httpProfile
        method = http.reqMethod
        if opts.multipart and method == "GET":
            fail("ClientError", "Invalid request method GET for multipart.")
        if opts.octet_stream and method != "POST":
            fail("ClientError", "octet-stream requests must use POST")
        if opts.multipart and opts.octet_stream:
            fail("ClientError", "a request cannot be both multipart and octet-stream")
        self.profile = profile
        self.action = action
        self.service = service
        self.method = method
        self.endpoint = endpoint = _endpoint(service, profile, opts, host)
        self.request_client = request_client = request_client_header(profile)
        self.v1 = not opts.skip_sign and profile.signMethod != signing.TC3_ALGORITHM
        if self.v1 and (opts.multipart or opts.octet_stream):
            fail(
                "ClientError",
                f"{'multipart' if opts.multipart else 'octet-stream'} requests need "
                f"TC3-HMAC-SHA256, not {profile.signMethod}",
            )
        # As the official SDK: signed for the service endpoint, sent to the gateway.
        send_host = http.apigw_endpoint or endpoint
        self.url = f"{http.protocol}://{send_host}/"
        # The rest is TC3's (a v1 request signs its params instead).
        if opts.octet_stream:
            content_type = OCTET_TYPE
        elif method == "GET":
            content_type = FORM_TYPE
        else:
            content_type = JSON_TYPE  # a multipart request's is set per request
        self.unsigned = opts.unsigned_payload or profile.unsignedPayload
        headers: Dict[str, str] = {
            "Content-Type": content_type,
            "Host": send_host,
            "X-TC-Action": action,
            "X-TC-RequestClient": request_client,
            "X-TC-Timestamp": "",
            "X-TC-Version": version,
        }
        if self.unsigned:
            headers["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD"
        # Set for each request, or removed when it has none (the names keep
        # their order either way).
        headers["X-TC-Region"] = ""
        headers["X-TC-Token"] = ""
        headers["X-TC-Language"] = profile.language
        headers["Authorization"] = "SKIP" if opts.skip_sign else ""
        self.headers = headers
        sign_action = profile.sign_action
        self.signed_headers = _SIGNED_WITH_ACTION if sign_action else _SIGNED_HEADERS
        self.header_block = _header_block(content_type, endpoint, action, sign_action)
        # The canonical request up to its last line, the payload hash.
        self.canonical_head = signing.canonical_request(
            method, "/", "", self.header_block, self.signed_headers, ""
        )
        # UTC day number -> (date, credential scope): a day's requests share them.
        self.scopes: Dict[int, Tuple[str, str]] = {}

    def scope(self, timestamp: int) -> Tuple[str, str]:
        """``(date, credential scope)`` for a request signed at ``timestamp``."""
        day = timestamp // _DAY
        found = self.scopes.get(day)
        if found is None:
            if len(self.scopes) >= 4:
                self.scopes.clear()
            date = _utc_date(timestamp)
            found = self.scopes[day] = (date, signing.credential_scope(date, self.service))
        return found


_PLANS: Dict[Tuple[Any, ...], _Plan] = {}
_PLAN_LIMIT = 1024


def _header_block(content_type: str, endpoint: str, action: str, sign_action: bool) -> str:
    """The canonical header lines TC3 signs."""
    if sign_action:
        # The signature documentation's form: the action signed too (so a
        # captured request cannot be replayed as another action), every
        # value lower-cased as its example shows.
        return (
            f"content-type:{content_type.lower()}\nhost:{endpoint.lower()}\n"
            f"x-tc-action:{action.lower()}\n"
        )
    # The official SDK signs exactly these two headers, with their values as
    # sent; built inline, without the generic sort.
    return f"content-type:{content_type}\nhost:{endpoint}\n"


# Headers the request builder owns; a caller's header with one of these names
# (any case) is dropped rather than allowed to contradict the signature.
_RESERVED = frozenset(
    (
        "content-type",
        "host",
        "authorization",
        "x-tc-action",
        "x-tc-requestclient",
        "x-tc-timestamp",
        "x-tc-version",
        "x-tc-content-sha256",
        "x-tc-region",
        "x-tc-token",
        "x-tc-language",
        # The transport frames the body; a caller's value could contradict it.
        "content-length",
        "transfer-encoding",
    )
)


def _merge(extra: Dict[str, str], computed: Dict[str, str]) -> Mapping[str, str]:
    # extra is _check_headers's own dict, the reserved names already dropped.
    if extra:
        extra.update(computed)
        computed = extra
    return MappingProxyType(computed)


def _build_tc3(
    plan: _Plan,
    params: Optional[Mapping[str, Any]],
    region: str,
    cred: Credential,
    opts: RequestOptions,
    timestamp: int,
    extra: Dict[str, str],
) -> PreparedRequest:
    method = plan.method
    query = ""
    content_type = None
    if opts.octet_stream:
        body = bytes(opts.body or b"")
    elif opts.multipart:
        body, content_type = _multipart(params or {}, opts)
    elif method == "GET":
        query = _urlencode(_flat_form(params))
        body = b""
        if len(query) > GET_QUERY_LIMIT:
            fail(
                "ClientError", f"GET query of {len(query)} bytes exceeds the 32 KB limit; use POST"
            )
    else:
        body = _json_body({} if params is None else params)
    if len(body) > TC3_BODY_LIMIT:
        fail("ClientError", f"request body of {len(body)} bytes exceeds the 10 MB limit")

    token = None if opts.skip_sign else cred.token
    # Into _check_headers's own dict, after the caller's (reserved names
    # already dropped): the signed names win, and no second dict is made.
    headers = extra
    headers.update(plan.headers)
    headers["X-TC-Timestamp"] = str(timestamp)
    if region:
        headers["X-TC-Region"] = region
    else:
        del headers["X-TC-Region"]
    if token:
        headers["X-TC-Token"] = token
    else:
        del headers["X-TC-Token"]
    if content_type is not None:
        headers["Content-Type"] = content_type
    if not opts.skip_sign:
        date, scope = plan.scopes.get(timestamp // _DAY) or plan.scope(timestamp)
        payload_hash = _sha256(b"UNSIGNED-PAYLOAD" if plan.unsigned else body).hexdigest()
        if content_type is None and not query:
            canonical = plan.canonical_head + payload_hash
        else:
            block = plan.header_block
            if content_type is not None:
                block = _header_block(
                    content_type, plan.endpoint, plan.action, plan.profile.sign_action
                )
            canonical = signing.canonical_request(
                method, "/", query, block, plan.signed_headers, payload_hash
            )
        to_sign = signing.string_to_sign(timestamp, scope, canonical)
        key = signing._signing_key(cred.secret_key, date, plan.service)
        signature = key.sign(to_sign.encode("utf-8"))
        headers["Authorization"] = signing.authorization_header(
            cred.secret_id, scope, plan.signed_headers, signature
        )
    url = f"{plan.url}?{query}" if query else plan.url
    return PreparedRequest(method, url, MappingProxyType(headers), body)


def _build_v1(
    plan: _Plan,
    params: Optional[Mapping[str, Any]],
    version: str,
    region: str,
    cred: Credential,
    profile: ClientProfile,
    timestamp: int,
    nonce: Optional[int],
    extra: Dict[str, str],
) -> PreparedRequest:
    action, endpoint, request_client = plan.action, plan.endpoint, plan.request_client
    http = profile.httpProfile
    method = http.reqMethod
    if nonce is None:
        # os.urandom rather than the secrets module: same source, no import cost.
        nonce = int.from_bytes(os.urandom(8), "big") % sys.maxsize + 1
    elif isinstance(nonce, bool) or not isinstance(nonce, int) or nonce < 0:
        fail("ClientError", "nonce must be a non-negative integer")
    flat = _flat_form(params)
    flat["Action"] = action
    flat["RequestClient"] = request_client
    flat["Nonce"] = nonce
    flat["Timestamp"] = timestamp
    flat["Version"] = version
    if region:
        flat["Region"] = region
    if cred.token:
        flat["Token"] = cred.token
    flat["SecretId"] = cred.secret_id
    flat["SignatureMethod"] = profile.signMethod
    flat["Language"] = profile.language
    if any("_" in name for name in flat):
        # v1 signs "_" as "."; two names that meet there would let a server
        # see a value nobody signed, so refuse them.
        signed = [name.replace("_", ".") for name in flat]
        if len(set(signed)) != len(signed):
            fail("ClientError", "two params have the same name once '_' is signed as '.'")
    problem = None
    try:
        to_sign = signing.v1_string_to_sign(method, endpoint, "/", flat)
        flat["Signature"] = signing.sign_v1(cred.secret_key, to_sign, profile.signMethod)
    except ValueError as exc:
        # str() of a huge int, or UTF-8 of a lone surrogate. The error holds
        # the string to sign (token, secret id): raise outside this block.
        problem = _unencodable(exc)
    if problem is not None:
        raise TencentCloudSDKException("ClientError", problem)
    encoded = _urlencode(flat)

    computed = {"Content-Type": FORM_TYPE}
    send_host = endpoint
    if http.apigw_endpoint:
        send_host = http.apigw_endpoint
        computed["Host"] = send_host
    url = f"{http.protocol}://{send_host}/"
    if method == "GET":
        if len(encoded) > GET_QUERY_LIMIT:
            fail(
                "ClientError",
                f"GET query of {len(encoded)} bytes exceeds the 32 KB limit; use POST",
            )
        return PreparedRequest(method, f"{url}?{encoded}", _merge(extra, computed), b"")
    body = encoded.encode("ascii")
    if len(body) > V1_BODY_LIMIT:
        fail(
            "ClientError", f"request body of {len(body)} bytes exceeds the 1 MB limit of v1 signing"
        )
    return PreparedRequest(method, url, _merge(extra, computed), body)
