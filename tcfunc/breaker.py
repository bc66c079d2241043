"""The region breaker: a pure state machine and a small thread-safe holder.

Semantics are the official SDK's (``RegionBreakerProfile``):

- **closed**: requests go to the primary endpoint. Each result is counted;
  the breaker opens when, within one ``window_interval``, failures reach
  ``max_fail_num`` and the failure ratio reaches ``max_fail_percent``, or
  when 5 failures come in a row. The counters start again when the window
  ends.
- **open**: requests go to the backup endpoint for ``timeout`` seconds,
  then the breaker is half-open.
- **half-open**: requests go to the primary again; ``max_requests``
  successes close the breaker, one failure opens it again.

Every change of state starts a new *generation*; a result that comes back
from a request sent in an earlier generation is ignored, as the official
does. The functions here are pure (time is an argument); :class:`RegionBreaker`
holds the current value and changes it under a lock, so counters are never
updated outside it (the official updates them after releasing its lock).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Tuple

if TYPE_CHECKING:
    from ._breaker_values import (
        CLOSED,
        CONSECUTIVE_FAILURES_TO_OPEN,
        HALF_OPEN,
        OPEN,
        BreakerState,
        RegionBreakerProfile,
        initial_state,
        on_result,
        on_time,
    )

__all__ = [
    "CLOSED",
    "CONSECUTIVE_FAILURES_TO_OPEN",
    "HALF_OPEN",
    "OPEN",
    "BreakerState",
    "RegionBreaker",
    "initial_state",
    "on_result",
    "on_time",
]

# Public here, defined in tcfunc._breaker_values and loaded on first use
# (PEP 562): a client with failover on imports this module for RegionBreaker,
# and code that only reads the names should not build the classes.
_MACHINE = frozenset(__all__) - {"RegionBreaker"}


def __getattr__(name: str) -> Any:
    if name in _MACHINE:
        from . import _breaker_values

        value = getattr(_breaker_values, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class RegionBreaker:
    """The breaker of one client: the current :class:`BreakerState` behind a lock.

    Args:
        profile: the thresholds.
        clock: seconds, monotonic by default; injectable for tests.
    """

    def __init__(
        self, profile: RegionBreakerProfile, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # Made only when failover is on: the state machine loads here.
        from ._breaker_values import initial_state, on_result, on_time

        self._on_time = on_time
        self._on_result = on_result
        self.profile = profile
        self._clock = clock
        self._lock = threading.Lock()
        self._state = initial_state(profile, clock())

    @property
    def state(self) -> BreakerState:
        """The current value (a snapshot)."""
        with self._lock:
            self._state = self._on_time(self._state, self.profile, self._clock())
            return self._state

    def before_request(self) -> Tuple[int, bool]:
        """``(generation, use_backup)`` for a request about to be sent."""
        with self._lock:
            state = self._state = self._on_time(self._state, self.profile, self._clock())
        return state.generation, state.use_backup

    def after_request(self, generation: int, success: bool) -> None:
        """Count the result of a request sent in ``generation``."""
        with self._lock:
            self._state = self._on_result(
                self._state, self.profile, generation, success, self._clock()
            )
