"""The retry rules, pure functions: :func:`is_safe_to_repeat` and :func:`is_retryable`.

Public in :mod:`tcfunc.retry` (whose module doc says what is retried and
why); a leaf of their own so that the call flow can ask them without
building the retryer classes, which a client without a retryer (the
default) never needs.
"""

from __future__ import annotations

from collections import abc
from typing import Any, Mapping, Optional

from .errors import TencentCloudSDKException

__all__ = ["READ_ONLY_PREFIXES", "is_retryable", "is_safe_to_repeat"]

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Query", "Inquiry")
# The one 5xx that says the request was not processed.
_SERVICE_UNAVAILABLE = 503


def is_safe_to_repeat(action: str, params: Optional[Mapping[str, Any]]) -> bool:
    """Whether sending ``action`` twice cannot do something twice.

    True for read-only actions (``Describe*``, ``Get*``, ``List*``,
    ``Query*``, ``Inquiry*``) and for params that carry a non-empty
    ``ClientToken`` (the API's idempotency key).
    """
    if action.startswith(READ_ONLY_PREFIXES):
        return True
    return isinstance(params, abc.Mapping) and bool(params.get("ClientToken"))


def is_retryable(error: BaseException, *, safe_to_repeat: bool) -> bool:
    """Whether a failed attempt may be tried again (see :mod:`tcfunc.retry`)."""
    if not isinstance(error, TencentCloudSDKException):
        return False
    code = error.code or ""
    if code == "RequestLimitExceeded" or code.startswith("RequestLimitExceeded."):
        return True
    if code == "ServerNetworkError":
        # response.ServerNetworkError carries the status; without one, assume
        # the server may have run the request.
        return safe_to_repeat or getattr(error, "status", None) == _SERVICE_UNAVAILABLE
    if code == "ClientNetworkError":
        # A ClientNetworkError that does not say otherwise may have reached
        # the server; only transport.NetworkError knows it did not.
        return safe_to_repeat or getattr(error, "reached_server", True) is False
    return False
