"""Small helpers the providers share: argument checks, credentials with context, expiry times."""

from __future__ import annotations

import re
from typing import Any, Callable, List, Mapping, Optional

from .._credential import Credential
from .._validate import CONTROL_CHARS
from ..errors import TencentCloudSDKException

# An answer's expiry must fall in [_EARLIEST, now + _LONGEST]: anything else
# (NaN, infinity, 1e400, the year 1970 or 3000) is a broken answer, and taking
# it would make a credential that is never refreshed, or refreshed on every call.
_EARLIEST = 946684800.0  # 2000-01-01T00:00:00Z
_LONGEST = 30 * 86400.0  # STS grants at most 12 hours; a month leaves room for odd clocks
_SESSION_NAME = re.compile(r"^[A-Za-z0-9=,.@_-]{2,128}$")
_DIGITS = re.compile(r"^\d{1,12}(?:\.\d{1,9})?$")


def config_error(message: str) -> TencentCloudSDKException:
    """``ClientError.CredentialConfigError``: a bad provider argument or a missing variable."""
    return TencentCloudSDKException("ClientError.CredentialConfigError", message)


def check_arg(name: str, value: Any) -> str:
    """A non-empty string without control characters (never echoed: it may be secret)."""
    if not isinstance(value, str) or not value.strip():
        raise config_error(f"{name} must be a non-empty string")
    if CONTROL_CHARS.search(value):
        raise config_error(f"{name} must not contain control characters")
    return value


def check_duration(value: Any) -> int:
    """STS ``DurationSeconds``: an int in 1..43200."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 43200:
        raise config_error(f"duration_seconds must be an integer in 1..43200, got {value!r}")
    return value


def check_session_name(value: Any) -> str:
    """STS ``RoleSessionName``: 2 to 128 of letters, digits and ``=,.@_-`` (STS's own rule)."""
    name = check_arg("role_session_name", value)
    if not _SESSION_NAME.match(name):
        raise config_error(
            "role_session_name must be 2 to 128 characters of letters, digits and =,.@_-, "
            f"got {name[:140]!r}"
        )
    return name


def make_credential(
    secret_id: str, secret_key: str, token: Optional[str], where: str, **kw: Any
) -> Credential:
    """A Credential, with validation errors that say where the values came from."""
    try:
        return Credential(secret_id, secret_key, token, **kw)
    except TencentCloudSDKException as exc:
        message = exc.message
    raise TencentCloudSDKException("InvalidCredential", f"{where}: {message}")


def expiry(expired: Any, now: float) -> Optional[float]:
    """``ExpiredTime`` of a temporary-credential answer as Unix seconds, or None when unusable.

    A number, or decimal digits in a string, between 2000-01-01 and 30 days
    after ``now``. Bools, NaN, infinities, numbers too large for a float and
    anything else give None.
    """
    if isinstance(expired, bool):
        return None
    if isinstance(expired, int):
        # Compared as an int first: float(10**400) would raise OverflowError.
        if not _EARLIEST <= expired <= now + _LONGEST:
            return None
        return float(expired)
    if isinstance(expired, float):
        value = expired
    elif isinstance(expired, str) and _DIGITS.match(expired):
        value = float(expired)
    else:
        return None
    # NaN compares false with everything, so it fails here too.
    if not _EARLIEST <= value <= now + _LONGEST:
        return None
    return value


def temporary_credential(
    fields: Mapping[str, Any],
    expired: Any,
    now: float,
    prefix: str,
    fail: Callable[[str], TencentCloudSDKException],
) -> Credential:
    """The credential in a temporary-credential answer, checked field by field.

    Args:
        fields: holds ``TmpSecretId``, ``TmpSecretKey`` and ``Token``.
        expired: the answer's ``ExpiredTime``.
        now: the provider's clock, to judge the expiry.
        prefix: how the fields are named in messages (``"Credentials."`` for STS).
        fail: builds the exception for a message (the source's code, its RequestId).
    """
    missing: List[str] = [
        prefix + name
        for name in ("TmpSecretId", "TmpSecretKey", "Token")
        if not isinstance(fields.get(name), str) or not fields.get(name)
    ]
    if expired is None:
        missing.append("ExpiredTime")
    if missing:
        raise fail(f"lacks {', '.join(missing)}")
    expires_at = expiry(expired, now)
    if expires_at is None:
        raise fail(
            "has an unusable ExpiredTime (not Unix seconds between 2000 and 30 days "
            f"from now): {_short(expired)}"
        )
    error: Optional[str] = None
    try:
        return Credential(
            fields["TmpSecretId"], fields["TmpSecretKey"], fields["Token"], expires_at=expires_at
        )
    except TencentCloudSDKException as exc:
        error = exc.message
    raise fail(f"holds an unusable credential: {error}")


def _short(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return "a number too large"  # its repr could be thousands of digits
    text = repr(value)
    return text[:40] + ("..." if len(text) > 40 else "")
