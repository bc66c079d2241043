"""Small validators shared by the frozen configuration values."""

from __future__ import annotations

import re
from typing import Any, Callable, List, Match, NoReturn, Optional, Pattern, Union

import attrs

from .errors import TencentCloudSDKException


class LazyPattern:
    """A regular expression compiled on first use.

    For the patterns only an error, a redaction or a rarely used option needs:
    nothing is redacted on a call that succeeds, and compiling the package's
    patterns at import was about a millisecond of every cold start.
    """

    __slots__ = ("_args", "_re")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._re: Optional[Pattern[str]] = None

    def _get(self) -> Pattern[str]:
        compiled = self._re
        if compiled is None:
            # Two threads may both compile: re's own cache makes that cheap.
            compiled = self._re = re.compile(*self._args)
        return compiled

    def search(self, string: str) -> Optional[Match[str]]:
        return self._get().search(string)

    def match(self, string: str, pos: int = 0) -> Optional[Match[str]]:
        return self._get().match(string, pos)

    def sub(self, repl: Union[str, Callable[[Match[str]], str]], string: str) -> str:
        return self._get().sub(repl, string)

    def split(self, string: str) -> List[str]:
        return self._get().split(string)


class FastPattern(LazyPattern):
    """A :class:`LazyPattern` with a plain-Python answer for the common case.

    ``sure(value)`` returns True only where the pattern's answer is known
    without it: for :meth:`match` that it matches, for :meth:`search` that it
    finds nothing. Every other value goes to the pattern (compiled then), so
    the answers are the pattern's own; a valid name, host or secret on the
    cold path never compiles it. The answers are only for truth tests.
    """

    __slots__ = ("_sure",)

    def __init__(self, pattern: str, sure: Callable[[str], bool]) -> None:
        super().__init__(pattern)
        self._sure = sure

    def match(self, string: str, pos: int = 0) -> Any:
        if not pos and self._sure(string):
            return True
        return self._get().match(string, pos)

    def search(self, string: str) -> Any:
        if self._sure(string):
            return None
        return self._get().search(string)


def _printable_ascii(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _plain_host(value: str) -> bool:
    # name or name:port with name of [A-Za-z0-9._-] not starting with . or -
    name, colon, port = value.partition(":")
    return (
        value.isascii()
        and name[:1] not in ("", ".", "-")
        and name.replace(".", "").replace("-", "").replace("_", "a").isalnum()
        and (not colon or (port.isdigit() and len(port) <= 5))
    )


# C0 controls, DEL and the C1 range: none may reach a header or a request line.
# (Printable ASCII has none of them: no regex needed for the common value.)
CONTROL_CHARS = FastPattern(r"[\x00-\x1f\x7f-\x9f]", _printable_ascii)
# host, host:port, [v6]:port; no scheme, path, user info or spaces.
HOST_PATTERN = FastPattern(
    r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9._-]*)|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$", _plain_host
)


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
