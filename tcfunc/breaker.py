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
from typing import Callable, Tuple

import attrs

from .profile import RegionBreakerProfile

__all__ = [
    "CLOSED",
    "HALF_OPEN",
    "OPEN",
    "BreakerState",
    "RegionBreaker",
    "initial_state",
    "on_result",
    "on_time",
]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"

# The official's extra rule: this many failures in a row open the breaker
# whatever the ratio.
CONSECUTIVE_FAILURES_TO_OPEN = 5


@attrs.frozen
class BreakerState:
    """One value of the breaker: state, generation, deadline and counters."""

    state: str
    generation: int
    expiry: float
    total: int = 0
    failures: int = 0
    consecutive_failures: int = 0

    @property
    def successes(self) -> int:
        """Successes counted in this generation."""
        return self.total - self.failures

    @property
    def use_backup(self) -> bool:
        """Whether requests go to the backup endpoint now."""
        return self.state == OPEN


def initial_state(profile: RegionBreakerProfile, now: float) -> BreakerState:
    """A closed breaker whose first window starts at ``now``."""
    return BreakerState(CLOSED, 0, now + profile.window_interval)


def _enter(
    state: BreakerState, new: str, profile: RegionBreakerProfile, now: float
) -> BreakerState:
    if new == CLOSED:
        expiry = now + profile.window_interval
    elif new == OPEN:
        expiry = now + profile.timeout
    else:  # half-open lasts until results decide
        expiry = now
    return BreakerState(new, state.generation + 1, expiry)


def on_time(state: BreakerState, profile: RegionBreakerProfile, now: float) -> BreakerState:
    """``state`` as it is at ``now``: a closed window may end, an open breaker half-open."""
    if state.expiry > now:
        return state
    if state.state == CLOSED:
        return _enter(state, CLOSED, profile, now)
    if state.state == OPEN:
        return _enter(state, HALF_OPEN, profile, now)
    return state


def _should_open(state: BreakerState, profile: RegionBreakerProfile) -> bool:
    if state.consecutive_failures >= CONSECUTIVE_FAILURES_TO_OPEN:
        return True
    return (
        state.failures >= profile.max_fail_num
        and state.failures / state.total >= profile.max_fail_percent
    )


def on_result(
    state: BreakerState,
    profile: RegionBreakerProfile,
    generation: int,
    success: bool,
    now: float,
) -> BreakerState:
    """``state`` after a request sent in ``generation`` succeeded or failed at ``now``."""
    state = on_time(state, profile, now)
    if generation != state.generation or state.state == OPEN:
        # Sent before the last change of state (or while open, to the
        # backup): it says nothing about the primary as it is now.
        return state
    if success:
        counted = attrs.evolve(state, total=state.total + 1, consecutive_failures=0)
        if counted.state == HALF_OPEN and counted.successes >= profile.max_requests:
            return _enter(counted, CLOSED, profile, now)
        return counted
    counted = attrs.evolve(
        state,
        total=state.total + 1,
        failures=state.failures + 1,
        consecutive_failures=state.consecutive_failures + 1,
    )
    if counted.state == HALF_OPEN or _should_open(counted, profile):
        return _enter(counted, OPEN, profile, now)
    return counted


class RegionBreaker:
    """The breaker of one client: the current :class:`BreakerState` behind a lock.

    Args:
        profile: the thresholds.
        clock: seconds, monotonic by default; injectable for tests.
    """

    def __init__(
        self, profile: RegionBreakerProfile, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.profile = profile
        self._clock = clock
        self._lock = threading.Lock()
        self._state = initial_state(profile, clock())

    @property
    def state(self) -> BreakerState:
        """The current value (a snapshot)."""
        with self._lock:
            self._state = on_time(self._state, self.profile, self._clock())
            return self._state

    def before_request(self) -> Tuple[int, bool]:
        """``(generation, use_backup)`` for a request about to be sent."""
        with self._lock:
            state = self._state = on_time(self._state, self.profile, self._clock())
        return state.generation, state.use_backup

    def after_request(self, generation: int, success: bool) -> None:
        """Count the result of a request sent in ``generation``."""
        with self._lock:
            self._state = on_result(self._state, self.profile, generation, success, self._clock())
