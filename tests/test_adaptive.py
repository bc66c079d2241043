"""AdaptiveRetryer: the per-action rate limiter, the retry quota, and both drivers using them."""

from __future__ import annotations

import pickle
import threading
import time
from typing import Any, Iterator, List

import attrs
import pytest

import tcfunc
from tcfunc.adaptive import AdaptiveRetryer, RateLimiter
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.retry import StandardRetryer
from tcfunc.testing.emulator import ApiEmulator
from tcfunc.transport import NetworkError

from ._support.bulk import ManualClock, rate_limit
from ._support.drivers import DRIVERS, Driver

SECRET = "adaptive-secret-key"
CRED = Credential("AKIDadaptive", SECRET)
KEY = ("cvm", "DescribeZones")
THROTTLE = TencentCloudSDKException("RequestLimitExceeded", "slow down", "req-1")


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    made = Driver(request.param)
    yield made
    made.close()


# ------------------------------------------------------------- the limiter


def test_the_limiter_starts_unlimited() -> None:
    """Until a throttle, no attempt waits, however many are made."""
    clock = ManualClock(1000.0)
    limiter = RateLimiter(clock)
    for _ in range(1000):
        limiter.succeeded(KEY)
        assert limiter.wait_before(KEY) == 0.0
    assert limiter.rate(KEY) is None


def test_the_first_throttle_engages_at_the_accepted_rate() -> None:
    """At the first throttle the rate is 0.8x what the server accepted over the last second,
    and attempts are then paced 1/rate apart, each reserving its slot."""
    clock = ManualClock(1000.0)
    limiter = RateLimiter(clock)
    for _ in range(50):
        clock.advance(0.01)
        limiter.succeeded(KEY)
    limiter.throttled(KEY)
    assert limiter.rate(KEY) == pytest.approx(40.0)
    waits = [limiter.wait_before(KEY) for _ in range(4)]
    # (The rate climbs meanwhile, so each later slot is a little closer.)
    assert waits == pytest.approx([0.0, 0.025, 0.05, 0.075], rel=0.02)
    # Another action is not limited.
    assert limiter.wait_before(("cvm", "DescribeInstances")) == 0.0


def test_throttles_in_the_cooldown_count_once() -> None:
    """Throttles right after a decrease answer requests sent before it: no second decrease."""
    clock = ManualClock(1000.0)
    limiter = RateLimiter(clock)
    for _ in range(100):
        clock.advance(0.005)
        limiter.succeeded(KEY)
    limiter.throttled(KEY)
    first = limiter.rate(KEY)
    assert first is not None
    for _ in range(8):
        clock.advance(0.01)
        limiter.throttled(KEY)
    assert limiter.rate(KEY) == pytest.approx(first + 0.08 * (100 - 80) / 2.0)
    clock.advance(0.5)
    limiter.throttled(KEY)
    after = limiter.rate(KEY)
    assert after is not None
    assert after < first  # a throttle after the cooldown decreases again


def test_the_rate_recovers_and_then_probes_upward() -> None:
    """After a decrease the rate climbs back in recover_seconds, then grows ever faster."""
    clock = ManualClock(1000.0)
    limiter = RateLimiter(clock, recover_seconds=2.0)
    for _ in range(100):
        clock.advance(0.001)
        limiter.succeeded(KEY)
    limiter.throttled(KEY)
    seen = []
    for _ in range(4):
        seen.append(limiter.rate(KEY))
        clock.advance(1.0)
    seen.append(limiter.rate(KEY))
    assert seen == pytest.approx([80.0, 90.0, 100.0, 112.5, 150.0])


def test_a_throttle_with_nothing_accepted_uses_the_offered_rate() -> None:
    """With no success in the last second, the first throttle sets the rate from the throttles."""
    clock = ManualClock(1000.0)
    limiter = RateLimiter(clock)
    limiter.throttled(KEY)
    assert limiter.rate(KEY) == pytest.approx(0.8)


def test_the_limiter_is_thread_safe() -> None:
    """Many threads reserving slots at once each get a distinct slot, paced by the rate."""
    clock = ManualClock(1000.0)
    limiter = RateLimiter(clock)
    for _ in range(10):
        limiter.succeeded(KEY)
    limiter.throttled(KEY)  # 8 per second
    waits: List[float] = []
    lock = threading.Lock()

    def reserve() -> None:
        for _ in range(25):
            wait = limiter.wait_before(KEY)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=reserve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(waits)
    gaps = [b - a for a, b in zip(ordered, ordered[1:])]
    assert len(set(ordered)) == 200
    # The rate starts at 8/s and climbs (the probe) while the slots reach into the future.
    assert all(0.0 < gap <= 1 / 8.0 + 1e-9 for gap in gaps)
    assert gaps[0] == pytest.approx(1 / 8.0, rel=0.01)


# ---------------------------------------------------------------- the quota


def test_the_retry_quota_runs_out_and_refills() -> None:
    """500 tokens: 100 retries at 5 each, then none until successes give tokens back."""
    retryer = AdaptiveRetryer(max_attempts=3, rand=lambda: 0.0)
    allowed = [retryer.delay_after(1, THROTTLE) for _ in range(101)]
    assert allowed[:100] == [0.0] * 100
    assert allowed[100] is None
    for _ in range(5):
        retryer.after_success(*KEY)
    assert retryer.delay_after(1, THROTTLE) == 0.0
    assert retryer.delay_after(1, THROTTLE) is None


def test_a_timeout_retry_costs_ten() -> None:
    """A retry after a read timeout takes 10 tokens; other retries 5."""
    retryer = AdaptiveRetryer(quota=20, rand=lambda: 0.0)
    timeout = NetworkError("timed out: no complete answer from h within 1s", reached_server=True)
    assert retryer.delay_after(1, timeout, safe_to_repeat=True) == 0.0
    assert retryer.retry_quota.tokens == 10
    assert retryer.delay_after(1, THROTTLE) == 0.0
    assert retryer.retry_quota.tokens == 5
    assert retryer.delay_after(1, timeout, safe_to_repeat=True) is None
    # The standard rules still hold: not retryable, or the last attempt, costs nothing.
    assert retryer.delay_after(3, THROTTLE) is None
    assert retryer.delay_after(1, TencentCloudSDKException("InvalidParameter", "x")) is None
    assert retryer.retry_quota.tokens == 5


@pytest.mark.parametrize(
    "kw",
    [{"decrease": 1.5}, {"decrease": 0}, {"recover_seconds": -1}, {"quota": -1},
     {"retry_cost": 1.5}, {"clock": 3}, {"max_attempts": 0}],
)  # fmt: skip
def test_bad_settings_fail_at_construction(kw: Any) -> None:
    """Each bad setting is a ClientError when the retryer is built."""
    with pytest.raises(TencentCloudSDKException) as caught:
        AdaptiveRetryer(**kw)
    assert caught.value.code == "ClientError"


def test_copies_start_afresh() -> None:
    """A pickled or evolved AdaptiveRetryer has its own limiter and quota, settings kept."""
    retryer = AdaptiveRetryer(max_attempts=5, quota=50)
    retryer.delay_after(1, THROTTLE)
    copy = pickle.loads(pickle.dumps(retryer))
    assert (copy.max_attempts, copy.quota, copy.retry_quota.tokens) == (5, 50, 50)
    assert attrs.evolve(retryer, max_attempts=4).retry_quota.tokens == 50
    assert copy.limiter is not retryer.limiter
    assert tcfunc.AdaptiveRetryer is AdaptiveRetryer
    assert isinstance(retryer, StandardRetryer)


# ----------------------------------------------------- through the drivers


@pytest.fixture
def emu_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emu(emu_clock: ManualClock) -> Iterator[ApiEmulator]:
    with ApiEmulator({CRED.secret_id: SECRET}, clock=emu_clock) as emulator:
        emulator.register("cvm", "DescribeZones", lambda p: {"TotalCount": 0, "ZoneSet": []})
        yield emulator


def _client(driver: Driver, emu: ApiEmulator, retryer: Any) -> Any:
    http = HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=5)
    profile = ClientProfile(httpProfile=http, retryer=retryer)
    return driver.client("cvm", "2017-03-12", CRED, "ap-guangzhou", profile)


def test_a_rate_limited_action_is_paced_not_failed(
    driver: Driver, emu: ApiEmulator, emu_clock: ManualClock
) -> None:
    """Against 10 requests/s (one clock for emulator and limiter, sleeps move it), 60 calls
    all succeed, few are throttled, and they run at 80% of the limit or more."""
    rate_limit(emu, "cvm", "DescribeZones", 10)
    retryer = AdaptiveRetryer(clock=emu_clock, sleep=emu_clock.sleep, rand=lambda: 0.5)
    client = _client(driver, emu, retryer)
    started = emu_clock()
    for _ in range(60):
        driver.call(client, "call_json", "DescribeZones", {})
    elapsed = emu_clock() - started
    throttled = [r for r in emu.requests if r.error_code == "RequestLimitExceeded"]
    assert len(throttled) <= 6
    # 10 at once from the full bucket, then the rest at the refill rate.
    assert 60 / elapsed >= 0.8 * 10
    # The flow slept for the limiter (its waits are not the backoff's 0.25 / 0.5).
    assert any(0 < s < 0.2 for s in emu_clock.slept)


def test_the_standard_retryer_passes_throttles_on(
    driver: Driver, emu: ApiEmulator, emu_clock: ManualClock
) -> None:
    """The same job with StandardRetryer and no backoff: throttles reach the caller."""
    rate_limit(emu, "cvm", "DescribeZones", 10)
    retryer = StandardRetryer(sleep=emu_clock.sleep, rand=lambda: 0.0)
    client = _client(driver, emu, retryer)
    failed = 0
    for _ in range(30):
        try:
            driver.call(client, "call_json", "DescribeZones", {})
        except TencentCloudSDKException as exc:
            assert exc.code == "RequestLimitExceeded"
            failed += 1
    assert failed >= 15


def test_an_empty_quota_stops_retrying(driver: Driver, emu: ApiEmulator) -> None:
    """With the quota spent, a throttled call is not retried again, whatever max_attempts says."""
    emu.inject_fault("rate_limit", times=-1)
    retryer = AdaptiveRetryer(max_attempts=5, quota=10, sleep=lambda _s: None)
    client = _client(driver, emu, retryer)
    with pytest.raises(TencentCloudSDKException) as caught:
        driver.call(client, "call_json", "DescribeZones", {})
    assert caught.value.code == "RequestLimitExceeded"
    assert len(emu.requests) == 3  # the first attempt, then two retries at 5 tokens each
    emu.clear_requests()
    with pytest.raises(TencentCloudSDKException):
        driver.call(client, "call_json", "DescribeZones", {})
    assert len(emu.requests) == 1


def test_threads_share_one_limiter(emu: ApiEmulator) -> None:
    """8 threads on one client against 40/s on real time: every call succeeds."""
    emu._clock = time.time  # real time for this one (threads really wait)
    rate_limit(emu, "cvm", "DescribeZones", 40)
    client = tcfunc.CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou",
        ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=5),
            retryer=AdaptiveRetryer(),
        ),
    )  # fmt: skip
    errors: List[BaseException] = []

    def work() -> None:
        for _ in range(10):
            try:
                client.call_json("DescribeZones", {})
            except TencentCloudSDKException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert errors == []


def test_a_call_that_succeeds_on_a_retry_returns_its_answer(emu: ApiEmulator) -> None:
    """One throttle, then success: the caller gets the answer. (The official StandardRetryer
    keeps the first attempt's error after a later attempt succeeds, sleeps once more and
    raises it: the cause of its failures in ``make bench NAME=bulk``.)"""
    emu.inject_fault("rate_limit", times=1)
    client = tcfunc.CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou",
        ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=5),
            retryer=AdaptiveRetryer(sleep=lambda _s: None),
        ),
    )  # fmt: skip
    assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 0
    client.close()
    official = pytest.importorskip("tencentcloud.common.common_client")
    from tencentcloud.common.credential import Credential as OfficialCredential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
        TencentCloudSDKException as OfficialError,
    )
    from tencentcloud.common.profile.client_profile import ClientProfile as OfficialProfile
    from tencentcloud.common.profile.http_profile import HttpProfile as OfficialHttp
    from tencentcloud.common.retry import StandardRetryer as OfficialRetryer

    emu.clear_requests()
    emu.inject_fault("rate_limit", times=1)
    profile = OfficialProfile(httpProfile=OfficialHttp(protocol="http", endpoint=emu.endpoint))
    profile.retryer = OfficialRetryer(max_attempts=3, backoff_fn=lambda _n: 0)
    theirs = official.CommonClient(
        "cvm", "2017-03-12", OfficialCredential(CRED.secret_id, SECRET), "ap-guangzhou", profile
    )
    with pytest.raises(OfficialError) as caught:
        theirs.call_json("DescribeZones", {})
    assert caught.value.get_code() == "RequestLimitExceeded"
    # The second attempt was answered, the third too: the error raised is the first one's.
    assert [r.fault for r in emu.requests] == ["rate_limit", None, None]


# ------------------------------------------------------- the flow, by hand


def _throttle_response() -> Any:
    import json as _json

    from tcfunc.transport import HttpResponse

    doc = {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "m"},
                        "RequestId": "r"}}  # fmt: skip
    return HttpResponse(200, {"Content-Type": "application/json"}, _json.dumps(doc).encode())


def test_the_flow_sleeps_for_the_limiter_before_sending() -> None:
    """Stepped by hand: once throttled, the next attempt is Sleep(limiter wait) then Send, and the
    retry after a throttle is the backoff's Sleep, the limiter's Sleep, then Send."""
    from tcfunc._flow import Call, Send, Sleep, call_flow
    from tcfunc.request import RequestOptions

    clock = ManualClock(1000.0)
    retryer = AdaptiveRetryer(clock=clock, rand=lambda: 0.5)
    for _ in range(10):
        retryer.after_success("cvm", "DescribeZones")
    client = tcfunc.CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", ClientProfile(retryer=retryer)
    )
    call = Call("DescribeZones", {}, {"X-TC-TraceId": "t"}, RequestOptions(), False)
    flow = call_flow(client, call)
    assert isinstance(next(flow), Send)  # unlimited: no Sleep before the first send
    backoff = flow.send(_throttle_response())
    assert isinstance(backoff, Sleep)
    assert backoff.seconds == pytest.approx(0.25)  # 0.5 * base 0.5
    # The limiter engaged at 8/s; its first slot is now, the next 1/8 s later.
    assert isinstance(flow.send(None), Send)
    second = call_flow(client, call)
    pause = next(second)
    assert isinstance(pause, Sleep)
    assert pause.seconds == pytest.approx(0.125, rel=0.05)
    assert isinstance(second.send(None), Send)
    flow.close()
    second.close()


def test_many_tasks_share_one_limiter(emu: ApiEmulator) -> None:
    """30 tasks on one asyncio client against 30/s, real time: every call succeeds, the loop
    is never blocked (the limiter's waits are asyncio sleeps)."""
    import asyncio

    from tcfunc.aio import AsyncCommonClient

    emu._clock = time.time
    rate_limit(emu, "cvm", "DescribeZones", 30)
    http = HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=5)
    profile = ClientProfile(httpProfile=http, retryer=AdaptiveRetryer())

    async def main() -> List[Any]:
        async with AsyncCommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", profile) as c:

            async def two() -> None:
                for _ in range(2):
                    await c.call_json("DescribeZones", {})

            return await asyncio.gather(*(two() for _ in range(30)), return_exceptions=True)

    results = asyncio.run(main())
    assert [r for r in results if r is not None] == []
