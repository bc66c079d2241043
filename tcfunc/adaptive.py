"""Adaptive retries: :class:`AdaptiveRetryer`, a client-side rate limiter and a retry quota.

:class:`AdaptiveRetryer` is a :class:`~tcfunc.retry.StandardRetryer` (the same
``delay_after`` decision, so both drivers use it unchanged) with two additions
that the call flow consults:

**A rate limiter per (service, action).** It starts unlimited. The first
``RequestLimitExceeded`` of an action engages it, and from then on every
attempt of that action first asks :meth:`AdaptiveRetryer.before_send` how long
to wait; the flow yields that as a ``Sleep`` before the send, so the sync and
the asyncio client wait alike. The algorithm is AIMD on a paced schedule:

- *Pacing*: at rate ``r`` each attempt reserves the next slot, ``1/r`` after the
  previous one (a virtual schedule, so concurrent callers queue up instead of
  bursting together).
- *Multiplicative decrease*: at a throttle the rate becomes ``decrease`` (0.8)
  times the lower of the current rate and the rate the server accepted over
  the last second (successes counted per action; at the first throttle, that
  accepted rate, or if nothing was accepted, the rate offered); throttles within
  ``cooldown`` (0.5 s) of the last decrease answer requests sent before it and
  are not counted again.
- *Increase*: from there the rate climbs linearly, back to the rate before
  the decrease after ``recover_seconds`` (2 s); past it, it probes upward
  slowly at first and faster the longer no throttle comes
  (``before * (1 + x*x/2)``, ``x`` in units of ``recover_seconds``), the
  shape of CUBIC's probe, so a low first estimate recovers in seconds. Near
  a steady limit this is a sawtooth between 80% and a little over 100%.

**A retry quota** shared by every call made through this retryer (botocore's
numbers): a bucket of ``quota`` (500) tokens; a retry takes ``retry_cost``
(5), a retry after a timeout ``timeout_cost`` (10); each success gives
``success_refund`` (1) back. With the bucket empty a failure is not retried
and its error is raised at once, so a failing region cannot turn every call
into three.

State lives in the retryer, behind one small lock that is never held while
waiting (thread-safe, and safe under asyncio since nothing awaits inside it).
Clients whose profiles hold the same retryer share its limiter and quota;
``attrs.evolve`` gives a fresh one. The clock (``clock``, default
``time.monotonic``) is injectable, and the randomness of the backoff is
:class:`StandardRetryer`'s ``rand``.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any, Callable, Deque, Dict, Optional, Tuple

import attrs

from ._validate import fail
from .errors import TencentCloudSDKException
from .retry import StandardRetryer

__all__ = ["AdaptiveRetryer", "RateLimiter", "RetryQuota"]

_Key = Tuple[str, str]
# Successes remembered per action to measure the accepted rate over a second.
_MEASURE_WINDOW = 1.0
_MEASURE_MAX = 4096


def _is_throttle(error: BaseException) -> bool:
    code = getattr(error, "code", None) or ""
    return code == "RequestLimitExceeded" or code.startswith("RequestLimitExceeded.")


def _is_timeout(error: BaseException) -> bool:
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or ""
    return code == "ClientNetworkError" and "timed out" in message


class RetryQuota:
    """A token bucket of retries: ``take(cost)`` before a retry, ``give(n)`` after a success."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.tokens = capacity
        self._lock = threading.Lock()

    def take(self, cost: int) -> bool:
        """Whether a retry costing ``cost`` may go (the tokens are taken)."""
        with self._lock:
            if self.tokens < cost:
                return False
            self.tokens -= cost
            return True

    def give(self, amount: int) -> None:
        """Return ``amount`` tokens, up to the capacity."""
        with self._lock:
            self.tokens = min(self.capacity, self.tokens + amount)


class _Lane:
    """One action's limiter state."""

    __slots__ = ("base", "before", "engaged", "next_free", "since", "successes", "throttles")

    def __init__(self) -> None:
        self.engaged = False
        self.before = 0.0  # requests/s just before the last decrease
        self.base = 0.0  # requests/s just after it
        self.since = 0.0  # when it happened
        self.next_free = 0.0  # the next free slot of the paced schedule
        self.successes: Deque[float] = collections.deque(maxlen=_MEASURE_MAX)
        self.throttles: Deque[float] = collections.deque(maxlen=_MEASURE_MAX)

    def rate(self, now: float, recover: float, ceiling: float) -> float:
        elapsed = max(0.0, now - self.since)
        if elapsed <= recover:  # climbing back, linearly
            return self.base + (self.before - self.base) * elapsed / recover
        # Past the old rate: probe, slowly at first, faster the longer no throttle comes.
        beyond = (elapsed - recover) / recover
        return min(ceiling, self.before * (1.0 + 0.5 * beyond * beyond))


def _per_second(times: Deque[float], now: float) -> float:
    """Events over the last second, per second (older ones are dropped)."""
    edge = now - _MEASURE_WINDOW
    while times and times[0] < edge:
        times.popleft()
    return len(times) / _MEASURE_WINDOW


class RateLimiter:
    """The AIMD limiter of the module doc, per (service, action); thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        decrease: float = 0.8,
        recover_seconds: float = 2.0,
        cooldown: float = 0.5,
        min_rate: float = 0.5,
        max_rate: float = 1e6,
    ) -> None:
        self._clock = clock
        self.decrease = decrease
        self.recover_seconds = recover_seconds
        self.cooldown = cooldown
        self.min_rate = min_rate
        self.max_rate = max_rate
        self._lock = threading.Lock()
        self._lanes: Dict[_Key, _Lane] = {}

    def wait_before(self, key: _Key) -> float:
        """Seconds to wait before sending ``key``'s next attempt (its slot is reserved)."""
        lane = self._lanes.get(key)
        if lane is None or not lane.engaged:
            return 0.0
        with self._lock:
            now = self._clock()
            start = max(now, lane.next_free)
            rate = lane.rate(start, self.recover_seconds, self.max_rate)
            lane.next_free = start + 1.0 / rate
            return start - now

    def succeeded(self, key: _Key) -> None:
        """``key``'s attempt was answered (counted for the accepted rate)."""
        with self._lock:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = _Lane()
            lane.successes.append(self._clock())

    def throttled(self, key: _Key) -> None:
        """``key``'s attempt was answered ``RequestLimitExceeded``: decrease its rate."""
        with self._lock:
            now = self._clock()
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = _Lane()
            lane.throttles.append(now)
            if lane.engaged and now - lane.since < self.cooldown:
                return  # an answer to a request sent at the old rate
            accepted = _per_second(lane.successes, now)
            if lane.engaged:
                current = lane.rate(now, self.recover_seconds, self.max_rate)
                before = min(current, accepted) if accepted else current
            else:
                # What the server took over the last second; nothing at all: what was offered.
                before = accepted or _per_second(lane.throttles, now)
            lane.before = max(self.min_rate, before)
            lane.base = max(self.min_rate, lane.before * self.decrease)
            lane.since = now
            if not lane.engaged:
                lane.engaged = True
                lane.next_free = now

    def rate(self, key: _Key) -> Optional[float]:
        """``key``'s current rate in requests per second; None while it is unlimited."""
        with self._lock:
            lane = self._lanes.get(key)
            if lane is None or not lane.engaged:
                return None
            return lane.rate(self._clock(), self.recover_seconds, self.max_rate)


class _State:
    """The mutable part of an AdaptiveRetryer, made once per retryer."""

    __slots__ = ("limiter", "quota")

    def __init__(self, retryer: AdaptiveRetryer) -> None:
        self.limiter = RateLimiter(
            retryer.clock,
            decrease=retryer.decrease,
            recover_seconds=retryer.recover_seconds,
            cooldown=retryer.cooldown,
        )
        self.quota = RetryQuota(retryer.quota)


def _check_fraction(_inst: object, attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        fail("ClientError", f"AdaptiveRetryer.{attr.name} must be a number between 0 and 1")


def _check_positive(_inst: object, attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e9:
        fail("ClientError", f"AdaptiveRetryer.{attr.name} must be a positive number")


def _check_count(_inst: object, attr: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        fail("ClientError", f"AdaptiveRetryer.{attr.name} must be an integer >= 0")


@attrs.frozen
class AdaptiveRetryer(StandardRetryer):
    """:class:`~tcfunc.retry.StandardRetryer` plus a rate limiter and a retry quota.

    Args (besides StandardRetryer's ``max_attempts``, ``backoff_fn``, ``logger``,
    ``base``, ``cap``, ``sleep``, ``rand``):
        clock: monotonic seconds for the limiter (injectable for tests).
        decrease, recover_seconds, cooldown: the limiter's AIMD settings.
        quota, retry_cost, timeout_cost, success_refund: the retry quota.
    """

    clock: Callable[[], float] = attrs.field(
        default=time.monotonic, kw_only=True, repr=False, eq=False
    )
    decrease: float = attrs.field(default=0.8, kw_only=True, validator=_check_fraction)
    recover_seconds: float = attrs.field(default=2.0, kw_only=True, validator=_check_positive)
    cooldown: float = attrs.field(default=0.5, kw_only=True, validator=_check_positive)
    quota: int = attrs.field(default=500, kw_only=True, validator=_check_count)
    retry_cost: int = attrs.field(default=5, kw_only=True, validator=_check_count)
    timeout_cost: int = attrs.field(default=10, kw_only=True, validator=_check_count)
    success_refund: int = attrs.field(default=1, kw_only=True, validator=_check_count)
    _state: _State = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not callable(self.clock):
            fail("ClientError", "AdaptiveRetryer.clock must be callable")
        object.__setattr__(self, "_state", _State(self))

    def __getstate__(self) -> Dict[str, Any]:
        # The limiter and quota hold locks; a copy starts afresh.
        return {f.name: getattr(self, f.name) for f in attrs.fields(type(self)) if f.init}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__attrs_post_init__()

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter (per service and action)."""
        return self._state.limiter

    @property
    def retry_quota(self) -> RetryQuota:
        """The retry quota's bucket."""
        return self._state.quota

    def delay_after(
        self, attempt: int, error: BaseException, *, safe_to_repeat: bool = False
    ) -> Optional[float]:
        """As :meth:`StandardRetryer.delay_after`, and None when the retry quota is spent."""
        delay = super().delay_after(attempt, error, safe_to_repeat=safe_to_repeat)
        if delay is None:
            return None
        cost = self.timeout_cost if _is_timeout(error) else self.retry_cost
        if not self._state.quota.take(cost):
            return None
        return delay

    # What the call flow calls around each attempt.

    def before_send(self, service: str, action: str) -> float:
        """Seconds to wait before this attempt of ``service``'s ``action`` (0: go now)."""
        return self._state.limiter.wait_before((service, action))

    def after_success(self, service: str, action: str) -> None:
        """The attempt was answered: counted for the limiter; the quota gets its refund."""
        self._state.limiter.succeeded((service, action))
        if self.success_refund:
            self._state.quota.give(self.success_refund)

    def after_error(self, service: str, action: str, error: TencentCloudSDKException) -> None:
        """The attempt failed with ``error``; a throttle decreases the action's rate."""
        if _is_throttle(error):
            self._state.limiter.throttled((service, action))
        elif getattr(error, "requestId", None):
            # Any other API answer still shows the server took the request.
            self._state.limiter.succeeded((service, action))
