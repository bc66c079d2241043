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
