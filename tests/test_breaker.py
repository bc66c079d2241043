"""The region breaker: pure transitions and the thread-safe holder."""

from __future__ import annotations

import threading
from typing import List

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


def test_holder_counts_every_result_under_concurrency() -> None:
    """Counters change under the lock: 8 threads x 500 successes are all counted."""
    profile = RegionBreakerProfile(window_interval=3600)
    breaker = RegionBreaker(profile, clock=lambda: 0.0)

    def work() -> None:
        for _ in range(500):
            generation, _ = breaker.before_request()
            breaker.after_request(generation, True)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert breaker.state.total == 4000
