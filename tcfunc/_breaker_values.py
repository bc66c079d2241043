"""The region breaker's values and its pure state machine, loaded with failover.

:class:`RegionBreakerProfile` (public as ``tcfunc.profile.RegionBreakerProfile``)
and :class:`BreakerState` with its transitions (public in :mod:`tcfunc.breaker`)
live here so that a client without failover, the default, never builds these
two attrs classes: a cold start loads this module only when something uses
the breaker. See :mod:`tcfunc.breaker` for the semantics.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._redact import LazyPattern
from ._validate import check_positive_int, fail, refuse_changes
from ._value import FrozenValue

__all__ = [
    "CLOSED",
    "CONSECUTIVE_FAILURES_TO_OPEN",
    "HALF_OPEN",
    "OPEN",
    "BreakerState",
    "RegionBreakerProfile",
    "initial_state",
    "on_result",
    "on_time",
]

_BACKUP_ENDPOINT = LazyPattern(r"^(?:[a-z0-9]+-[a-z0-9]+\.)?tencentcloudapi\.com$")


def _check_backup_endpoint(_inst: Any, _attr: Any, value: Any) -> None:
    # The official rule: "tencentcloudapi.com" or "<region>.tencentcloudapi.com"
    # where the region has exactly one dash (ap-guangzhou); the official check
    # lets "https://ap-guangzhou.tencentcloudapi.com" through (the region part
    # "https://ap-guangzhou" has one dash), so the region's characters are
    # checked too.
    ok = isinstance(value, str) and _BACKUP_ENDPOINT.match(value) is not None
    if not ok:
        hint = ""
        if isinstance(value, str) and "://" in value:
            hint = " (no scheme or path: it is a domain suffix, not a URL)"
        fail(
            "ClientError",
            "RegionBreakerProfile.backup_endpoint must be a domain suffix, tencentcloudapi.com "
            "or <region>.tencentcloudapi.com such as ap-guangzhou.tencentcloudapi.com; "
            f"requests then go to <service>.<backup_endpoint>{hint}, got {value!r}",
        )


def _check_percent(_inst: Any, _attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        fail(
            "ClientError",
            f"RegionBreakerProfile.max_fail_percent must be between 0 and 1, got {value!r}",
        )


@attrs.frozen(repr=False, eq=False)
class RegionBreakerProfile(FrozenValue):
    """Region failover settings; the official semantics.

    Args:
        backup_endpoint: ``<region>.tencentcloudapi.com``; requests go to
            ``<service>.<backup_endpoint>`` while the breaker is open.
        max_fail_num: failures in the window needed (with the percentage) to open.
        max_fail_percent: failure ratio in the window needed to open, 0..1.
        window_interval: seconds after which a closed breaker's counters reset.
        timeout: seconds an open breaker waits before trying half-open.
        max_requests: successes in half-open needed to close again.
    """

    backup_endpoint: str = attrs.field(
        default="ap-guangzhou.tencentcloudapi.com", validator=_check_backup_endpoint
    )
    max_fail_num: int = attrs.field(
        default=5, validator=check_positive_int("RegionBreakerProfile.max_fail_num")
    )
    max_fail_percent: float = attrs.field(default=0.75, validator=_check_percent)
    window_interval: int = attrs.field(
        default=60 * 5, validator=check_positive_int("RegionBreakerProfile.window_interval")
    )
    timeout: int = attrs.field(
        default=60, validator=check_positive_int("RegionBreakerProfile.timeout")
    )
    max_requests: int = attrs.field(
        default=5, validator=check_positive_int("RegionBreakerProfile.max_requests")
    )


refuse_changes(RegionBreakerProfile)


CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"

# The official's extra rule: this many failures in a row open the breaker
# whatever the ratio.
CONSECUTIVE_FAILURES_TO_OPEN = 5


@attrs.frozen(repr=False, eq=False)
class BreakerState(FrozenValue):
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
