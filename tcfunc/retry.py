"""Retry policies as values: :class:`NoopRetryer` and :class:`StandardRetryer`.

What is retried (:func:`is_retryable`) depends on whether the failed request
may have been carried out by the server:

- Rate limiting (``RequestLimitExceeded`` and its sub-codes) and HTTP 503
  (``ServerNetworkError`` with ``status`` 503): the server says it did not
  process the request, so sending it again is always safe.
- ``ClientNetworkError`` raised *before the request could reach the server*
  (DNS failure, connection refused or timed out, TLS handshake or
  certificate failure, proxy unreachable): always, since nothing was sent.
- Everything else that is worth another attempt happened after the request
  may have reached a server that may have run it: other 5xx answers (500,
  502, 504: a gateway that timed out may still have passed the request on)
  and ``ClientNetworkError`` after sending (read timeout, connection reset
  while waiting for or reading the answer). These are retried only when
  repeating the request is harmless (:func:`is_safe_to_repeat`): read-only
  actions (``Describe*``, ``Get*``, ``List*``, ``Query*``, ``Inquiry*``) or
  params that carry a ``ClientToken``, which the API uses to run a request
  at most once. Retrying a ``RunInstances`` whose answer was lost could
  otherwise start the instances twice. An error that does not say (a plain
  ``ServerNetworkError`` without ``status``, a ``ClientNetworkError``
  without ``reached_server``) is taken to have reached the server.

Nothing else is retried: API errors such as ``InvalidParameter`` and HTTP 4xx
answers fail at once. Each attempt is signed afresh (new timestamp) by the
client. The wait between attempts is exponential with full jitter and a cap,
and there is never a wait after the last attempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar

from ._retry_rules import READ_ONLY_PREFIXES, is_retryable, is_safe_to_repeat
from .errors import TencentCloudSDKException

if TYPE_CHECKING:
    from ._retryers import NoopRetryer, StandardRetryer

__all__ = [
    "READ_ONLY_PREFIXES",
    "NoopRetryer",
    "Retryer",
    "StandardRetryer",
    "adapt_retryer",
    "is_retryable",
    "is_safe_to_repeat",
]

T = TypeVar("T")

_OFFICIAL_RETRY_MODULES = ("tencentcloud.common.retry", "tencentcloud.common.retry_async")
_CLASSES = ("NoopRetryer", "StandardRetryer")


def __getattr__(name: str) -> Any:
    # The two classes are built on first use (tcfunc._retryers): the default
    # profile has no retryer, and a cold start need not build them.
    if name in _CLASSES:
        from . import _retryers

        value = getattr(_retryers, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Retryer(Protocol):
    """The official SDK's retry protocol: run ``fn`` under the policy."""

    def send_request(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` and return its result, retrying as the policy says."""
        ...


def adapt_retryer(retryer: Any) -> Any:
    """The retryer a client uses for ``ClientProfile.retryer``.

    The official SDK's ``StandardRetryer`` (sync or async) catches the
    official exception class, so it would never see tcfunc's errors and never
    retry: it is turned into a :class:`StandardRetryer` with the same
    ``max_attempts``, ``backoff_fn`` and ``logger`` (tcfunc's safety rule
    then applies on top). The official ``NoopRetryer`` becomes ours. Any
    other object is returned as it is.
    """
    module = type(retryer).__module__
    if module not in _OFFICIAL_RETRY_MODULES:
        return retryer
    from ._retryers import NoopRetryer, StandardRetryer

    name = type(retryer).__name__
    if name == "NoopRetryer":
        return NoopRetryer()
    if name == "StandardRetryer":
        return StandardRetryer(
            max_attempts=getattr(retryer, "_max_attempts", 3),
            backoff_fn=getattr(retryer, "_backoff_fn", None),
            logger=getattr(retryer, "_logger", None),
        )
    raise TencentCloudSDKException(
        "ClientError",
        f"ClientProfile.retryer: the official {name} cannot retry tcfunc's errors; "
        "use tcfunc.StandardRetryer(max_attempts=..., backoff_fn=..., logger=...)",
    )
