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

import random
import time
from collections import abc
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Protocol, TypeVar

import attrs

from ._validate import fail
from ._value import FrozenValue
from .errors import TencentCloudSDKException

if TYPE_CHECKING:
    import logging

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

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Query", "Inquiry")
# The one 5xx that says the request was not processed.
_SERVICE_UNAVAILABLE = 503
# No wait between attempts is longer than a day, whatever backoff_fn says.
_MAX_DELAY = 86400.0
_OFFICIAL_RETRY_MODULES = ("tencentcloud.common.retry", "tencentcloud.common.retry_async")


class Retryer(Protocol):
    """The official SDK's retry protocol: run ``fn`` under the policy."""

    def send_request(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` and return its result, retrying as the policy says."""
        ...


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
    """Whether a failed attempt may be tried again (see the module doc)."""
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


@attrs.frozen(repr=False, eq=False)
class NoopRetryer(FrozenValue):
    """One attempt, no retry."""

    def delay_after(
        self, attempt: int, error: BaseException, *, safe_to_repeat: bool = False
    ) -> Optional[float]:
        """Always None: there is no second attempt."""
        return None

    def send_request(self, fn: Callable[[], T], *, safe_to_repeat: bool = False) -> T:
        """Run ``fn`` once."""
        return fn()


def _check_attempts(_inst: object, _attr: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail("ClientError", f"StandardRetryer.max_attempts must be an integer >= 1, got {value!r}")


def _check_callable(name: str) -> Any:
    def check(_inst: object, _attr: object, value: object) -> None:
        if value is not None and not callable(value):
            fail("ClientError", f"StandardRetryer.{name} must be callable")

    return check


def _check_seconds(_inst: object, _attr: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        fail("ClientError", f"StandardRetryer base and cap must be numbers >= 0, got {value!r}")


@attrs.frozen(repr=False, eq=False)
class StandardRetryer(FrozenValue):
    """Retry network errors, 5xx answers and rate limiting, with backoff (see the module doc).

    Args:
        max_attempts: attempts in all, including the first.
        backoff_fn: ``attempt -> seconds`` before the next attempt (attempt
            counts from 0); default ``rand() * min(cap, base * 2**attempt)``,
            exponential with full jitter, capped.
        logger: gets one line per retry.
        base, cap: seconds, for the default backoff.
        sleep: injectable for tests.
        rand: ``() -> float in [0, 1)``, injectable for tests.
    """

    max_attempts: int = attrs.field(default=3, validator=_check_attempts)
    backoff_fn: Optional[Callable[[int], float]] = attrs.field(
        default=None, validator=_check_callable("backoff_fn")
    )
    logger: Optional[logging.Logger] = None
    base: float = attrs.field(default=0.5, kw_only=True, validator=_check_seconds)
    cap: float = attrs.field(default=20.0, kw_only=True, validator=_check_seconds)
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, kw_only=True, repr=False)
    rand: Callable[[], float] = attrs.field(default=random.random, kw_only=True, repr=False)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        if self.backoff_fn is not None:
            return float(self.backoff_fn(attempt))
        return float(self.rand() * min(self.cap, self.base * (2.0**attempt)))

    def delay_after(
        self, attempt: int, error: BaseException, *, safe_to_repeat: bool = False
    ) -> Optional[float]:
        """Seconds to wait before trying again after attempt ``attempt`` (1-based) failed.

        None means give up and raise ``error``: it is not retryable (see
        :func:`is_retryable`), or ``attempt`` was the last one. A pure
        decision: it neither sleeps nor logs, so a sync and an async driver
        share it. A ``backoff_fn`` answer is kept between 0 and one day.
        """
        if attempt >= self.max_attempts or not is_retryable(error, safe_to_repeat=safe_to_repeat):
            return None
        delay = self.backoff(attempt - 1)
        # NaN fails both comparisons and becomes 0; an infinite wait is refused by capping.
        return min(delay, _MAX_DELAY) if delay > 0.0 else 0.0

    def log_retry(self, attempt: int, delay: float, error: TencentCloudSDKException) -> None:
        """The one line the ``logger`` gets before attempt ``attempt + 1``."""
        if self.logger is not None:
            self.logger.info(
                "retry %d/%d in %.3fs after %s: %s",
                attempt + 1,
                self.max_attempts,
                delay,
                error.code,
                error.message,
            )

    def send_request(self, fn: Callable[[], T], *, safe_to_repeat: bool = False) -> T:
        """Run ``fn`` under this policy and return its first success.

        The official protocol, for code that drives a retryer itself; the
        clients use :meth:`delay_after` instead.

        Args:
            fn: one attempt; it raises ``TencentCloudSDKException`` on failure.
            safe_to_repeat: whether a failure after the request may have
                reached the server can be retried (the client passes
                :func:`is_safe_to_repeat` of the action and params).

        Raises:
            TencentCloudSDKException: the last attempt's error, or the first
                error that is not retryable. Other exceptions pass through.
        """
        attempt = 1
        while True:
            try:
                return fn()
            except TencentCloudSDKException as err:
                delay = self.delay_after(attempt, err, safe_to_repeat=safe_to_repeat)
                if delay is None:
                    raise
                self.log_retry(attempt, delay, err)
            self.sleep(delay)
            attempt += 1


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
