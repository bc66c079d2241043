"""Retry policies as values: :class:`NoopRetryer` and :class:`StandardRetryer`."""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, Optional, Protocol, TypeVar

import attrs

from ._validate import fail

__all__ = ["NoopRetryer", "Retryer", "StandardRetryer"]

T = TypeVar("T")


class Retryer(Protocol):
    """The official SDK's retry protocol: run ``fn`` under the policy."""

    def send_request(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` and return its result, retrying as the policy says."""
        ...


@attrs.frozen
class NoopRetryer:
    """One attempt, no retry."""

    def send_request(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` once."""
        return fn()


def _check_attempts(_inst: object, _attr: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail("ClientError", f"StandardRetryer.max_attempts must be an integer >= 1, got {value!r}")


@attrs.frozen
class StandardRetryer:
    """Retry network errors, 5xx answers and rate limiting, with backoff.

    Args:
        max_attempts: attempts in all, including the first.
        backoff_fn: ``attempt -> seconds`` before the next attempt; default
            exponential with full jitter, capped.
        logger: gets one line per retry.
        sleep: injectable for tests.
        rand: ``() -> float in [0, 1)``, injectable for tests.
    """

    max_attempts: int = attrs.field(default=3, validator=_check_attempts)
    backoff_fn: Optional[Callable[[int], float]] = None
    logger: Optional[logging.Logger] = None
    base: float = attrs.field(default=0.5, kw_only=True)
    cap: float = attrs.field(default=20.0, kw_only=True)
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, kw_only=True, repr=False)
    rand: Callable[[], float] = attrs.field(default=random.random, kw_only=True, repr=False)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        if self.backoff_fn is not None:
            return float(self.backoff_fn(attempt))
        return float(self.rand() * min(self.cap, self.base * (2.0**attempt)))

    def send_request(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` under this policy (placeholder until the client issue lands)."""
        return fn()
