"""The retry policies as values (public as ``tcfunc.retry.NoopRetryer`` and ``StandardRetryer``).

A module of its own so that a client without a retryer, the default, never
builds these attrs classes: :mod:`tcfunc.retry` loads this module on first
use of either name. See :mod:`tcfunc.retry` for what is retried.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

import attrs

from ._retry_rules import is_retryable
from ._validate import fail
from ._value import FrozenValue
from .errors import TencentCloudSDKException

if TYPE_CHECKING:
    import logging

__all__ = ["NoopRetryer", "StandardRetryer"]

T = TypeVar("T")

# No wait between attempts is longer than a day, whatever backoff_fn says.
_MAX_DELAY = 86400.0


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


# Their public home, for reprs, docs and pickles (tcfunc.retry resolves the names).
NoopRetryer.__module__ = StandardRetryer.__module__ = "tcfunc.retry"
