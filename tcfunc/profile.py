"""Frozen client configuration: HttpProfile, ClientProfile, RegionBreakerProfile.

Keyword names and defaults are those of the official SDK 3.1.195 so that code
ports with little change. Unlike the official classes these are immutable and
validated when built: a bad value raises :class:`TencentCloudSDKException`
(code ``ClientError``) naming the field. Change a value with
``attrs.evolve(profile, reqTimeout=10)``, which validates again; setting an
attribute raises :class:`FrozenProfileError` (``ClientError``, and an
``AttributeError``) saying so.

Limits (each refused at construction with ``ClientError`` past its bound):
``reqTimeout`` and ``connectTimeout`` above 0 and at most :data:`MAX_TIMEOUT`
(24 h); ``pool_size`` at most :data:`MAX_POOL_SIZE` (1000);
``max_response_size`` from 1 KiB to :data:`MAX_RESPONSE_SIZE` (1 GiB), default
:data:`DEFAULT_MAX_RESPONSE_SIZE` (64 MiB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple, Union
from urllib.parse import urlsplit

import attrs

from ._redact import (
    LazyPattern,
    redact_url,  # the one rule; re-exported for older imports
)
from ._validate import FrozenProfileError, check_host, check_no_control, fail, refuse_changes
from ._value import FrozenValue

if TYPE_CHECKING:
    from ._breaker_values import RegionBreakerProfile

    # Only for the annotation: the retry module (and logging) stay off the pure path.
    from .retry import Retryer

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "MAX_POOL_SIZE",
    "MAX_RESPONSE_SIZE",
    "MAX_TIMEOUT",
    "ClientProfile",
    "FrozenProfileError",
    "HttpProfile",
    "RegionBreakerProfile",
    "redact_url",
]

#: Longest ``reqTimeout``/``connectTimeout`` accepted, in seconds (24 h):
#: beyond it a socket timeout overflows on some platforms, and no API call
#: needs a day.
MAX_TIMEOUT = 24 * 60 * 60.0
#: Most connections a pool may keep per host.
MAX_POOL_SIZE = 1000
#: Connections per host when the profile does not say: aiohttp's and httpx's
#: own default. A smaller cap makes an asyncio fan-out queue for connections
#: (against a real endpoint that caps the calls in flight) and a larger
#: thread pool discard them; a pool only opens what concurrent calls use.
DEFAULT_POOL_SIZE = 100
#: Default bound of a decoded answer's size: far above the API's largest
#: answers (a few MiB), far below what would hurt a small container.
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
#: Largest ``max_response_size`` accepted (1 GiB).
MAX_RESPONSE_SIZE = 1024 * 1024 * 1024
_MIN_RESPONSE_SIZE = 1024

_REQUEST_CLIENT = LazyPattern(r"^[0-9a-zA-Z\-_,;.]+$")  # only when request_client is set
_SIGN_METHODS = ("TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256")
_LANGUAGES = ("zh-CN", "en-US")


def _default_https(value: Optional[str]) -> str:
    return "https" if value is None else value


def _default_timeout(value: Union[int, float, None]) -> Union[int, float]:
    return 60 if value is None else value


def _default_root(value: Optional[str]) -> str:
    return "tencentcloudapi.com" if value is None else value


def _default_sign_method(value: Optional[str]) -> str:
    return "TC3-HMAC-SHA256" if value is None else value


def _default_language(value: Optional[str]) -> str:
    return "zh-CN" if value is None else value


def _default_http_profile(value: Optional[HttpProfile]) -> HttpProfile:
    return HttpProfile() if value is None else value


def _upper_method(value: Optional[str]) -> str:
    if value is None:
        return "POST"
    return value.upper() if isinstance(value, str) else value


def _check_choice(name: str, choices: tuple[str, ...]) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value not in choices:
            fail("ClientError", f"{name} must be one of {', '.join(choices)}, got {value!r}")

    return check


def _check_optional_host(name: str) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value is not None:
            check_host(name, value)

    return check


def _timeout_ok(value: Any) -> bool:
    # "not 0 < value" also catches NaN; the upper bound catches inf and 1e10.
    return (
        not isinstance(value, bool) and isinstance(value, (int, float)) and 0 < value <= MAX_TIMEOUT
    )


def _check_timeout(_inst: Any, _attr: Any, value: Any) -> None:
    if not _timeout_ok(value):
        fail(
            "ClientError",
            f"HttpProfile.reqTimeout must be a number of seconds above 0 and at most "
            f"{MAX_TIMEOUT:g} (24 h), got {value!r}",
        )


def _check_connect_timeout(_inst: Any, _attr: Any, value: Any) -> None:
    if value is not None and not _timeout_ok(value):
        fail(
            "ClientError",
            f"HttpProfile.connectTimeout must be None or a number of seconds above 0 and at "
            f"most {MAX_TIMEOUT:g} (24 h), got {value!r}",
        )


def _check_bool(name: str) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if not isinstance(value, bool):
            fail("ClientError", f"{name} must be True or False, got {value!r}")

    return check


def _check_response_size(_inst: Any, _attr: Any, value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not _MIN_RESPONSE_SIZE <= value <= MAX_RESPONSE_SIZE
    ):
        fail(
            "ClientError",
            f"HttpProfile.max_response_size must be a number of bytes from {_MIN_RESPONSE_SIZE} "
            f"to {MAX_RESPONSE_SIZE} (1 GiB), got {value!r}",
        )


def _check_pool_size(_inst: Any, _attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_POOL_SIZE:
        fail(
            "ClientError",
            f"HttpProfile.pool_size must be an integer from 1 to {MAX_POOL_SIZE}, got {value!r}",
        )


def _check_pre_conn(_inst: Any, _attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POOL_SIZE:
        fail(
            "ClientError",
            f"HttpProfile.pre_conn_pool_size must be an integer from 0 to {MAX_POOL_SIZE}, "
            f"got {value!r}",
        )


def _check_proxy(_inst: Any, _attr: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        fail("ClientError", "HttpProfile.proxy must be a URL string")
    check_no_control("HttpProfile.proxy", value)
    try:
        parts = urlsplit(value if "://" in value else "http://" + value)
        _ = parts.port  # raises on a bad port
    except ValueError:
        fail("ClientError", f"HttpProfile.proxy is not a valid URL: {redact_url(value)!r}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(
            "ClientError",
            "HttpProfile.proxy must look like http(s)://[user:password@]host:port, "
            f"got {redact_url(value)!r}",
        )


def _check_certification(_inst: Any, _attr: Any, value: Any) -> None:
    if value is None or value is False:
        return
    if not isinstance(value, str) or not value:
        fail(
            "ClientError",
            "HttpProfile.certification must be the path of a CA bundle (or of a directory of "
            f"CA certificates), False or None, got {value!r}",
        )
    import os  # only when a path is given

    if os.path.isdir(value):
        readable = os.access(value, os.R_OK | os.X_OK)
    else:
        readable = os.path.isfile(value) and os.access(value, os.R_OK)
    if not readable:
        fail(
            "ClientError",
            f"HttpProfile.certification names no readable CA bundle file or directory: {value!r}",
        )


@attrs.frozen(init=False, repr=False, eq=False)
class HttpProfile(FrozenValue):
    """How requests travel: scheme, host, method, timeout, proxy, TLS, limits.

    Args:
        protocol: ``"https"`` (default) or ``"http"``.
        endpoint: host to send to, e.g. ``"cvm.tencentcloudapi.com"`` or
            ``"127.0.0.1:8080"``; default ``<service>.<rootDomain>``.
        reqMethod: ``"POST"`` (default) or ``"GET"``.
        reqTimeout: the deadline of one attempt in seconds (default 60, at
            most 24 h): connecting, sending, the answer's headers and its
            whole body must be done within it, whatever the server does. For
            a streamed answer (server-sent events) it bounds the time to the
            headers and then each wait for the next event, not the whole
            stream. See :mod:`tcfunc.transport` for the details.
        keepAlive: ``True`` or ``False``, kept for porting; tcfunc always
            pools and reuses connections.
        proxy: ``http(s)://[user:password@]host:port`` (a bare
            ``host:port`` means ``http://host:port``); the user info never
            appears in a repr, a log line or an error.
        rootDomain: default ``"tencentcloudapi.com"``.
        certification: the path of a CA bundle file or of a directory of CA
            certificates (hashed names, as ``c_rehash`` makes them); it must
            exist and be readable when the profile is built. ``False``
            disables TLS verification; ``None`` (default) uses the system's
            store.
        apigw_endpoint: send to this API-gateway host instead (signed for the
            normal endpoint, as the official SDK does).
        pool_size: connections kept per host, 1 to 1000 (default 100); at
            least the threads or tasks that call one host at once.
        connectTimeout: keyword only; seconds allowed for connecting (TCP,
            proxy tunnel, TLS handshake) within the deadline. Default None:
            connecting may use the whole ``reqTimeout``.
        max_response_size: keyword only; most bytes a decoded answer may
            hold, 1 KiB to 1 GiB (default 64 MiB), streamed or not; past it
            the call fails with ``ClientError.ResponseTooLarge``.
        pre_conn_pool_size: keyword only; the official SDK's pre-connected
            pool: when a host is first used, this many connections are
            opened in the background and kept in the pool (which grows to
            hold them). Default 0.
        scheme: keyword only; the official SDK's alias of ``protocol``.
    """

    protocol: str = attrs.field(
        converter=_default_https,
        validator=_check_choice("HttpProfile.protocol", ("http", "https")),
    )
    endpoint: Optional[str] = attrs.field(validator=_check_optional_host("HttpProfile.endpoint"))
    reqMethod: str = attrs.field(
        converter=_upper_method,
        validator=_check_choice("HttpProfile.reqMethod", ("GET", "POST")),
    )
    reqTimeout: Union[int, float] = attrs.field(
        converter=_default_timeout, validator=_check_timeout
    )
    keepAlive: bool = attrs.field(validator=_check_bool("HttpProfile.keepAlive"))
    proxy: Optional[str] = attrs.field(validator=_check_proxy, repr=lambda v: repr(redact_url(v)))
    rootDomain: str = attrs.field(
        converter=_default_root,
        validator=_check_optional_host("HttpProfile.rootDomain"),
    )
    certification: Union[str, bool, None] = attrs.field(validator=_check_certification)
    apigw_endpoint: Optional[str] = attrs.field(
        validator=_check_optional_host("HttpProfile.apigw_endpoint")
    )
    pool_size: int = attrs.field(validator=_check_pool_size)
    connectTimeout: Union[int, float, None] = attrs.field(validator=_check_connect_timeout)
    max_response_size: int = attrs.field(validator=_check_response_size)
    pre_conn_pool_size: int = attrs.field(validator=_check_pre_conn)

    def __init__(
        self,
        protocol: Optional[str] = "https",
        endpoint: Optional[str] = None,
        reqMethod: Optional[str] = "POST",
        reqTimeout: Union[int, float, None] = 60,
        keepAlive: bool = False,
        proxy: Optional[str] = None,
        rootDomain: Optional[str] = "tencentcloudapi.com",
        certification: Union[str, bool, None] = None,
        apigw_endpoint: Optional[str] = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        *,
        connectTimeout: Union[int, float, None] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        pre_conn_pool_size: int = 0,
        scheme: Optional[str] = None,
    ) -> None:
        # A hand-written __init__ only to take the official ``scheme``
        # attribute as a keyword; everything else is attrs' own (converters,
        # validators, evolve).
        if scheme is not None:
            if protocol not in (None, "https", scheme):
                fail(
                    "ClientError",
                    f"HttpProfile got protocol={protocol!r} and scheme={scheme!r}; "
                    "scheme is the official alias of protocol: give one",
                )
            protocol = scheme
        self.__attrs_init__(
            protocol,
            endpoint,
            reqMethod,
            reqTimeout,
            keepAlive,
            proxy,
            rootDomain,
            certification,
            apigw_endpoint,
            pool_size,
            connectTimeout,
            max_response_size,
            pre_conn_pool_size,
        )

    @property
    def scheme(self) -> str:
        """The official SDK's alias of :attr:`protocol`."""
        return self.protocol


def _check_request_client(_inst: Any, _attr: Any, value: Any) -> None:
    if value is None:
        return
    # The official SDK warns and drops or truncates a bad value; a silent
    # change of what goes on the wire is worse than an error at construction.
    if not isinstance(value, str) or not _REQUEST_CLIENT.match(value):
        fail(
            "ClientError",
            f"ClientProfile.request_client must match ^[0-9a-zA-Z-_,;.]+$, got {value!r}",
        )
    if len(value) > 128:
        fail("ClientError", "ClientProfile.request_client must be at most 128 characters")


def _check_retryer(_inst: Any, _attr: Any, value: Any) -> None:
    if value is not None and not callable(getattr(value, "send_request", None)):
        fail("ClientError", "ClientProfile.retryer must be a StandardRetryer, NoopRetryer or None")


def _hooks_tuple(value: Any) -> Any:
    # A list is accepted and frozen; anything else is left for the validator to name.
    return tuple(value) if isinstance(value, list) else value


def _check_hooks(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, tuple):
        fail("ClientError", "ClientProfile.hooks must be a tuple of hooks (see tcfunc.hooks)")
    for hook in value:
        if hook is None or isinstance(hook, (str, bytes, int, float)):
            fail("ClientError", f"ClientProfile.hooks: a {type(hook).__name__} is not a hook")


def _check_breaker_profile(_inst: Any, _attr: Any, value: Any) -> None:
    if value is None:
        return
    from ._breaker_values import RegionBreakerProfile  # loaded by whoever made the value

    if not isinstance(value, RegionBreakerProfile):
        fail("ClientError", "ClientProfile.region_breaker_profile must be a RegionBreakerProfile")


def _check_http_profile(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, HttpProfile):
        fail("ClientError", "ClientProfile.httpProfile must be an HttpProfile")


@attrs.frozen(repr=False, eq=False)
class ClientProfile(FrozenValue):
    """Everything a client needs besides credential and region.

    Args:
        signMethod: ``"TC3-HMAC-SHA256"`` (default), ``"HmacSHA1"`` or ``"HmacSHA256"``.
        httpProfile: an :class:`HttpProfile`.
        language: ``"zh-CN"`` (default) or ``"en-US"``; the language of API messages.
        disable_region_breaker: ``True`` (default) turns region failover off.
        region_breaker_profile: failover settings; defaults to
            ``RegionBreakerProfile()`` when the breaker is on.
        request_client: appended to ``X-TC-RequestClient``.
        retryer: ``StandardRetryer(...)``, ``NoopRetryer()`` or ``None`` (one attempt).
        unsignedPayload: sign ``UNSIGNED-PAYLOAD`` instead of the body hash (TC3).
        hooks: observers of every call (see :mod:`tcfunc.hooks`), keyword only.
        sign_action: also sign ``X-TC-Action`` (TC3 ``SignedHeaders``
            ``content-type;host;x-tc-action``, as the signature documentation's
            example does), keyword only. Off by default: the official SDK signs
            ``content-type;host`` only, and the bytes stay identical to its
            own; on, a captured request cannot be replayed as another action,
            which a server checking with ``verify_request(strict=True)`` or
            ``ApiEmulator(strict_signing=True)`` requires.
    """

    signMethod: str = attrs.field(
        default="TC3-HMAC-SHA256",
        converter=_default_sign_method,
        validator=_check_choice("ClientProfile.signMethod", _SIGN_METHODS),
    )
    httpProfile: HttpProfile = attrs.field(
        factory=HttpProfile,
        converter=_default_http_profile,
        validator=_check_http_profile,
    )
    language: str = attrs.field(
        default="zh-CN",
        converter=_default_language,
        validator=_check_choice("ClientProfile.language", _LANGUAGES),
    )
    disable_region_breaker: bool = True
    region_breaker_profile: Optional[RegionBreakerProfile] = attrs.field(
        default=None, validator=_check_breaker_profile
    )
    request_client: Optional[str] = attrs.field(default=None, validator=_check_request_client)
    retryer: Optional[Retryer] = attrs.field(default=None, validator=_check_retryer)
    unsignedPayload: bool = False
    hooks: Tuple[Any, ...] = attrs.field(
        default=(), kw_only=True, converter=_hooks_tuple, validator=_check_hooks
    )
    sign_action: bool = attrs.field(
        default=False,
        kw_only=True,
        validator=lambda _i, _a, v: (
            None
            if isinstance(v, bool)
            else fail("ClientError", "ClientProfile.sign_action must be True or False")
        ),
    )

    def __attrs_post_init__(self) -> None:
        # The official profile fills in a default breaker profile when the
        # breaker is switched on; do the same once, at construction.
        if not self.disable_region_breaker and self.region_breaker_profile is None:
            from ._breaker_values import RegionBreakerProfile

            object.__setattr__(self, "region_breaker_profile", RegionBreakerProfile())


refuse_changes(HttpProfile)
refuse_changes(ClientProfile)


def __getattr__(name: str) -> Any:
    # RegionBreakerProfile is made on first use (PEP 562): a client without
    # failover, the default, never pays for building the class.
    if name == "RegionBreakerProfile":
        from ._breaker_values import RegionBreakerProfile

        globals()[name] = RegionBreakerProfile  # later lookups skip this function
        return RegionBreakerProfile
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
