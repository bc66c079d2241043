"""Frozen client configuration: HttpProfile, ClientProfile, RegionBreakerProfile.

Keyword names and defaults are those of the official SDK 3.1.195 so that code
ports with little change. Unlike the official classes these are immutable and
validated when built: a bad value raises :class:`TencentCloudSDKException`
(code ``ClientError``) naming the field. Change a value with
``attrs.evolve(profile, reqTimeout=10)``, which validates again.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

import attrs

from ._validate import check_host, check_no_control, fail
from .retry import Retryer

__all__ = ["ClientProfile", "HttpProfile", "RegionBreakerProfile", "redact_url"]

_REQUEST_CLIENT = re.compile(r"^[0-9a-zA-Z\-_,;.]+$")
_SIGN_METHODS = ("TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256")
_LANGUAGES = ("zh-CN", "en-US")


def redact_url(url: Optional[str]) -> Optional[str]:
    """``url`` with any password replaced by ``***`` (for reprs and logs)."""
    if not url:
        return url
    try:
        # Proxies may be written without a scheme (user:pw@host:port); parse
        # them the way the proxy validator and the transport read them.
        parts = urlsplit(url if "://" in url else "http://" + url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        redacted = urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
        return redacted if "://" in url else redacted.split("://", 1)[1]
    except ValueError:
        return "<unparseable url>"


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


def _check_timeout(_inst: Any, _attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        fail("ClientError", f"HttpProfile.reqTimeout must be a positive number, got {value!r}")


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
    if value is None or value is False or isinstance(value, str):
        return
    fail("ClientError", "HttpProfile.certification must be a CA bundle path, False or None")


def _check_positive_int(name: str) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            fail("ClientError", f"{name} must be a positive integer, got {value!r}")

    return check


@attrs.frozen(kw_only=False)
class HttpProfile:
    """How requests travel: scheme, host, method, timeout, proxy, TLS.

    Args:
        protocol: ``"https"`` (default) or ``"http"``.
        endpoint: host to send to, e.g. ``"cvm.tencentcloudapi.com"`` or
            ``"127.0.0.1:8080"``; default ``<service>.<rootDomain>``.
        reqMethod: ``"POST"`` (default) or ``"GET"``.
        reqTimeout: seconds, used as both connect and read timeout.
        keepAlive: kept for porting; tcfunc always pools and reuses connections.
        proxy: ``http(s)://[user:password@]host:port``; the password never
            appears in a repr or a log.
        rootDomain: default ``"tencentcloudapi.com"``.
        certification: CA bundle path; ``False`` disables TLS verification.
        apigw_endpoint: send to this API-gateway host instead (signed for the
            normal endpoint, as the official SDK does).
        pool_size: connections kept per host; size it to your thread pool.
    """

    protocol: str = attrs.field(
        default="https",
        converter=_default_https,
        validator=_check_choice("HttpProfile.protocol", ("http", "https")),
    )
    endpoint: Optional[str] = attrs.field(
        default=None, validator=_check_optional_host("HttpProfile.endpoint")
    )
    reqMethod: str = attrs.field(
        default="POST",
        converter=_upper_method,
        validator=_check_choice("HttpProfile.reqMethod", ("GET", "POST")),
    )
    reqTimeout: Union[int, float] = attrs.field(
        default=60, converter=_default_timeout, validator=_check_timeout
    )
    keepAlive: bool = False
    proxy: Optional[str] = attrs.field(
        default=None, validator=_check_proxy, repr=lambda v: repr(redact_url(v))
    )
    rootDomain: str = attrs.field(
        default="tencentcloudapi.com",
        converter=_default_root,
        validator=_check_optional_host("HttpProfile.rootDomain"),
    )
    certification: Union[str, bool, None] = attrs.field(
        default=None, validator=_check_certification
    )
    apigw_endpoint: Optional[str] = attrs.field(
        default=None, validator=_check_optional_host("HttpProfile.apigw_endpoint")
    )
    pool_size: int = attrs.field(default=16, validator=_check_positive_int("HttpProfile.pool_size"))

    @property
    def scheme(self) -> str:
        """The official SDK's alias of :attr:`protocol`."""
        return self.protocol


def _check_backup_endpoint(_inst: Any, _attr: Any, value: Any) -> None:
    # The official rule: "tencentcloudapi.com" or "<region>.tencentcloudapi.com"
    # where the region has exactly one dash (ap-guangzhou).
    ok = isinstance(value, str)
    if ok:
        parts = value.split(".")
        ok = len(parts) in (2, 3) and parts[-2:] == ["tencentcloudapi", "com"]
        if ok and len(parts) == 3:
            ok = len(parts[0].split("-")) == 2 and all(parts[0].split("-"))
    if not ok:
        fail(
            "ClientError",
            "RegionBreakerProfile.backup_endpoint must be tencentcloudapi.com or "
            f"${{region}}.tencentcloudapi.com, got {value!r}",
        )


def _check_percent(_inst: Any, _attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        fail(
            "ClientError",
            f"RegionBreakerProfile.max_fail_percent must be between 0 and 1, got {value!r}",
        )


@attrs.frozen
class RegionBreakerProfile:
    """Region failover settings; the official semantics.

    Args:
        backup_endpoint: ``<region>.tencentcloudapi.com``; requests go to
            ``<service>.<backup_endpoint>`` while the breaker is open.
        max_fail_num: failures in the window needed (with the percentage) to open.
        max_fail_percent: failure ratio in the window needed to open, 0..1.
        window_interval: seconds after which a closed breaker's counters reset.
        timeout: seconds an open breaker waits before trying half-open.
        max_requests: successes in half-open needed to close again.
    """

    backup_endpoint: str = attrs.field(
        default="ap-guangzhou.tencentcloudapi.com", validator=_check_backup_endpoint
    )
    max_fail_num: int = attrs.field(
        default=5, validator=_check_positive_int("RegionBreakerProfile.max_fail_num")
    )
    max_fail_percent: float = attrs.field(default=0.75, validator=_check_percent)
    window_interval: int = attrs.field(
        default=60 * 5, validator=_check_positive_int("RegionBreakerProfile.window_interval")
    )
    timeout: int = attrs.field(
        default=60, validator=_check_positive_int("RegionBreakerProfile.timeout")
    )
    max_requests: int = attrs.field(
        default=5, validator=_check_positive_int("RegionBreakerProfile.max_requests")
    )


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
    if value is not None and not isinstance(value, RegionBreakerProfile):
        fail("ClientError", "ClientProfile.region_breaker_profile must be a RegionBreakerProfile")


def _check_http_profile(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, HttpProfile):
        fail("ClientError", "ClientProfile.httpProfile must be an HttpProfile")


@attrs.frozen
class ClientProfile:
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
            object.__setattr__(self, "region_breaker_profile", RegionBreakerProfile())
