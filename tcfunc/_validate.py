"""Small validators shared by the frozen configuration values."""

from __future__ import annotations

import re
from typing import Any, NoReturn, Optional

import attrs

from .errors import TencentCloudSDKException

# C0 controls, DEL and the C1 range: none may reach a header or a request line.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# host, host:port, [v6]:port; no scheme, path, user info or spaces.
HOST_PATTERN = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9._-]*)|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


def fail(code: str, message: str) -> NoReturn:
    raise TencentCloudSDKException(code, message)


def check_no_control(where: str, value: str, code: str = "ClientError") -> None:
    """Refuse CR, LF and other control characters (header injection)."""
    if CONTROL_CHARS.search(value):
        fail(code, f"{where} must not contain control characters (CR, LF, ...)")


def check_host(where: str, value: Any) -> None:
    """A bare host name with an optional port, as the SDK puts it in ``Host``."""
    if not isinstance(value, str) or not HOST_PATTERN.match(value):
        fail(
            "ClientError",
            f"{where} must be a host name with an optional port, such as "
            f"'cvm.tencentcloudapi.com' or '127.0.0.1:8080' (no scheme or path), got {value!r}",
        )


class FrozenValueError(TencentCloudSDKException, attrs.exceptions.FrozenInstanceError):
    """Raised on setting (or deleting) an attribute of a frozen value (a profile, a model).

    Code ``ClientError``; also an :class:`attrs.exceptions.FrozenInstanceError`,
    and so an ``AttributeError``, so code that catches either keeps working.
    """

    # attrs' FrozenError has an __init__ of its own (no arguments) and, in
    # older releases, a class-level ``args``: restore the exception's own
    # ``args`` and initialise as the SDK exception.
    args = BaseException.args

    def __init__(
        self,
        code: Optional[str] = "ClientError",
        message: Optional[str] = None,
        requestId: Optional[str] = None,
    ) -> None:
        Exception.__init__(self, code, message, requestId)
        self.code = code
        self.message = message
        self.requestId = requestId
        self.msg = message or ""


class FrozenProfileError(FrozenValueError):
    """Raised on setting (or deleting) an attribute of a frozen profile.

    Code ``ClientError``; also an :class:`attrs.exceptions.FrozenInstanceError`
    and so an ``AttributeError``, so code that catches either keeps working.
    """

    # Defined here so that RegionBreakerProfile (made on first use, in
    # tcfunc._breaker_values) and the other profiles share it without an
    # import cycle; public, pickled and documented as tcfunc.profile's.
    __module__ = "tcfunc.profile"


def _refuse_change(value: Any, name: str) -> NoReturn:
    kind = type(value).__name__
    raise FrozenProfileError(
        "ClientError",
        f"{kind} values are frozen and cannot be changed after construction (setting "
        f"{name!r}): pass {name}=... to the constructor, {kind}({name}=...), or make a "
        f"changed copy with attrs.evolve(profile, {name}=...)",
    )


def _frozen_setattr(self: Any, name: str, _value: Any) -> None:
    _refuse_change(self, name)


def _frozen_delattr(self: Any, name: str) -> None:
    _refuse_change(self, name)


def refuse_changes(cls: type) -> None:
    """Make setting or deleting an attribute of ``cls``'s values raise FrozenProfileError.

    attrs refuses a frozen class with its own __setattr__ in the body; set
    after the class is made, these replace attrs' bare FrozenInstanceError
    with one that says what to do instead. attrs' __init__ sets fields with
    object.__setattr__, so construction and evolve are unaffected.
    """
    cls.__setattr__ = _frozen_setattr  # type: ignore[assignment]
    cls.__delattr__ = _frozen_delattr  # type: ignore[assignment]


def check_positive_int(name: str) -> Any:
    """An attrs validator: ``name`` must be an int (not a bool) above 0."""

    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            fail("ClientError", f"{name} must be a positive integer, got {value!r}")

    return check
