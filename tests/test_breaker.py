"""The region breaker: pure transitions and the thread-safe holder."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, List, Set

from tcfunc.breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    BreakerState,
    RegionBreaker,
    initial_state,
    on_result,
    on_time,
)
from tcfunc.profile import RegionBreakerProfile

PROFILE = RegionBreakerProfile(
    max_fail_num=3, max_fail_percent=0.5, window_interval=60, timeout=10, max_requests=2
)


def _results(state: BreakerState, outcomes: List[bool], now: float = 0.0) -> BreakerState:
    for ok in outcomes:
        state = on_result(state, PROFILE, state.generation, ok, now)
    return state


def test_starts_closed_on_the_primary() -> None:
    """A new breaker is closed, generation 0, and sends to the primary."""
    state = initial_state(PROFILE, 100.0)
    assert (state.state, state.generation, state.use_backup) == (CLOSED, 0, False)
    assert state.expiry == 160.0


def test_opens_when_count_and_ratio_are_both_reached() -> None:
    """max_fail_num failures at max_fail_percent or more open the breaker."""
    state = _results(initial_state(PROFILE, 0), [False, True, False, True, False])
    assert state.state == OPEN
    assert state.use_backup
    assert state.generation == 1


def test_stays_closed_below_the_ratio() -> None:
    """Enough failures but a low ratio keeps it closed."""
    state = _results(initial_state(PROFILE, 0), [False, True, True, False, True, True, False])
    assert (state.state, state.failures, state.total) == (CLOSED, 3, 7)


def test_five_failures_in_a_row_open_whatever_the_profile() -> None:
    """Five consecutive failures open the breaker even with a high failure count setting."""
    profile = RegionBreakerProfile(max_fail_num=100, max_fail_percent=1.0)
    state = initial_state(profile, 0)
    for _ in range(5):
        state = on_result(state, profile, state.generation, False, 0)
    assert state.state == OPEN


def test_window_end_resets_the_counters() -> None:
    """When the closed window ends, counters start again in a new generation."""
    state = _results(initial_state(PROFILE, 0), [False, False])
    later = on_time(state, PROFILE, 60.0)
    assert (later.total, later.failures, later.generation, later.expiry) == (0, 0, 1, 120.0)


def test_open_turns_half_open_after_timeout() -> None:
    """An open breaker is half-open once timeout seconds passed, back on the primary."""
    state = _results(initial_state(PROFILE, 0), [False] * 3)
    assert on_time(state, PROFILE, 9.9).state == OPEN
    half = on_time(state, PROFILE, 10.0)
    assert (half.state, half.use_backup) == (HALF_OPEN, False)


def test_half_open_closes_after_max_requests_successes() -> None:
    """max_requests successes in half-open close the breaker."""
    half = on_time(_results(initial_state(PROFILE, 0), [False] * 3), PROFILE, 10.0)
    one = on_result(half, PROFILE, half.generation, True, 11.0)
    assert one.state == HALF_OPEN
    closed = on_result(one, PROFILE, one.generation, True, 11.0)
    assert closed.state == CLOSED
    assert closed.expiry == 71.0


def test_half_open_failure_opens_again() -> None:
    """One failure in half-open opens the breaker for another timeout."""
    half = on_time(_results(initial_state(PROFILE, 0), [False] * 3), PROFILE, 10.0)
    again = on_result(half, PROFILE, half.generation, False, 12.0)
    assert (again.state, again.expiry) == (OPEN, 22.0)


def test_results_of_an_older_generation_are_ignored() -> None:
    """A result from a request sent before the last change of state does not count."""
    state = _results(initial_state(PROFILE, 0), [False] * 3)
    assert on_result(state, PROFILE, 0, False, 1.0) == state


def test_results_while_open_are_ignored() -> None:
    """Results of requests sent to the backup say nothing about the primary."""
    state = _results(initial_state(PROFILE, 0), [False] * 3)
    assert on_result(state, PROFILE, state.generation, True, 1.0) == state


def test_holder_uses_the_injected_clock() -> None:
    """RegionBreaker reads time from its clock: open, then half-open after timeout."""
    now = [0.0]
    breaker = RegionBreaker(PROFILE, clock=lambda: now[0])
    for _ in range(3):
        generation, backup = breaker.before_request()
        assert not backup
        breaker.after_request(generation, False)
    assert breaker.before_request()[1] is True
    now[0] = 10.0
    assert breaker.before_request()[1] is False
    assert breaker.state.state == HALF_OPEN


class _RecordingLock:
    """Wraps the breaker's own lock: records which threads are inside it, and whether two
    ever were at once (which a real lock never allows)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._meta = threading.Lock()
        self._holders: Set[int] = set()
        self.overlaps = 0

    def __enter__(self) -> _RecordingLock:
        self._inner.__enter__()
        with self._meta:
            if self._holders:
                self.overlaps += 1
            self._holders.add(threading.get_ident())
        return self

    def __exit__(self, *exc: Any) -> Any:
        with self._meta:
            self._holders.discard(threading.get_ident())
        return self._inner.__exit__(*exc)

    def held_by_caller(self) -> bool:
        with self._meta:
            return threading.get_ident() in self._holders


class _CheckedBreaker(RegionBreaker):
    """A RegionBreaker whose state value notes every read or write made outside the lock."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        self.unguarded: List[str] = []
        super().__init__(*args, **kw)

    def _check(self, what: str) -> None:
        lock = self.__dict__.get("_lock")
        if isinstance(lock, _RecordingLock) and not lock.held_by_caller():
            self.unguarded.append(what)

    @property
    def _state(self) -> BreakerState:
        self._check("read")
        value: BreakerState = self.__dict__["_state_value"]
        return value

    @_state.setter
    def _state(self, value: BreakerState) -> None:
        self._check("write")
        self.__dict__["_state_value"] = value


def test_holder_reads_and_changes_its_state_only_under_its_lock() -> None:
    """Counters change under the lock: with thread switches forced inside every update
    (a clock that yields, a tiny switch interval), 8 threads x 500 successes are all counted,
    no two threads are ever inside the lock together, and no read or write of the state
    happens outside it."""

    def yielding_clock() -> float:
        time.sleep(0)  # hand the GIL over between reading the state and writing it back
        return 0.0

    breaker = _CheckedBreaker(RegionBreakerProfile(window_interval=3600), clock=yielding_clock)
    recorder = _RecordingLock(breaker._lock)
    breaker._lock = recorder  # type: ignore[assignment]

    def work() -> None:
        for _ in range(500):
            generation, _ = breaker.before_request()
            breaker.after_request(generation, True)

    threads = [threading.Thread(target=work) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sys.setswitchinterval(interval)
    assert breaker.unguarded == []
    assert recorder.overlaps == 0
    assert breaker.state.total == 4000
