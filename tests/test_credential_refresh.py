"""The shared refresh machinery: windows, single flight, failures, with a fake clock."""

from __future__ import annotations

import logging
import threading
from typing import List, Optional

import pytest

from tcfunc import Credential, TencentCloudSDKException
from tcfunc._refresh import RefreshingCredential, SingleFlight
from tests.test_credential_support import FakeClock

START = 1_700_000_000.0
HOUR = 3600.0


class FakeSource:
    """A fetch function handing out numbered credentials that live ``lifetime`` seconds."""

    def __init__(self, clock: FakeClock, lifetime: float = HOUR) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0
        self.fail_with: Optional[BaseException] = None
        self.gate: Optional[threading.Event] = None
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> Credential:
        with self._lock:
            self.calls += 1
            n = self.calls
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(5), "test gate never opened"
        if self.fail_with is not None:
            raise self.fail_with
        return Credential(
            f"AKID{n}", f"key-{n}", f"token-{n}", expires_at=self.clock() + self.lifetime
        )


def make(clock: FakeClock, lifetime: float = HOUR) -> tuple[RefreshingCredential, FakeSource]:
    source = FakeSource(clock, lifetime)
    return RefreshingCredential(source, clock=clock), source


def test_first_call_fetches_and_later_calls_reuse_the_snapshot() -> None:
    """No snapshot means a fetch; a fresh snapshot is handed out without fetching."""
    clock = FakeClock(START)
    provider, source = make(clock)
    first = provider.get_credential()
    clock.advance(HOUR / 2 - 1)
    assert provider.get_credential() is first
    assert source.calls == 1
    assert first.expires_at == START + HOUR


def test_snapshot_in_advisory_window_is_refreshed_by_the_next_call() -> None:
    """With an hour's lifetime the advisory window is the last 15 minutes."""
    clock = FakeClock(START)
    provider, source = make(clock)
    first = provider.get_credential()
    clock.advance(HOUR - 15 * 60 - 1)  # just before the window
    assert provider.get_credential() is first
    clock.advance(2)  # inside it
    second = provider.get_credential()
    assert second.secret_id == "AKID2"
    assert source.calls == 2


def test_advisory_window_is_half_the_lifetime_when_that_is_shorter() -> None:
    """A 10-minute credential enters the advisory window after 5 minutes, not 15 before expiry."""
    clock = FakeClock(START)
    provider, source = make(clock, lifetime=600)
    provider.get_credential()
    clock.advance(299)
    provider.get_credential()
    assert source.calls == 1
    clock.advance(2)
    assert provider.get_credential().secret_id == "AKID2"


def test_advisory_refresh_failure_keeps_the_old_snapshot_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed advisory refresh is logged (without secrets) and calls keep working."""
    clock = FakeClock(START)
    provider, source = make(clock)
    first = provider.get_credential()
    clock.advance(HOUR - 10 * 60)
    source.fail_with = TencentCloudSDKException("InternalError", "sts is down")
    with caplog.at_level(logging.WARNING, logger="tcfunc.credential"):
        assert provider.get_credential() is first
    assert source.calls == 2
    assert "sts is down" in caplog.text
    assert "key-1" not in caplog.text
    assert "token-1" not in caplog.text


def test_after_an_advisory_failure_the_next_attempt_waits_for_the_retry_delay() -> None:
    """A failing source is not hammered: no new fetch within retry_delay seconds."""
    clock = FakeClock(START)
    provider, source = make(clock)
    first = provider.get_credential()
    clock.advance(HOUR - 10 * 60)
    source.fail_with = TencentCloudSDKException("InternalError", "down")
    for _ in range(5):
        assert provider.get_credential() is first
    assert source.calls == 2
    clock.advance(11)
    source.fail_with = None
    assert provider.get_credential().secret_id == "AKID3"


def test_mandatory_window_refresh_failure_is_raised() -> None:
    """In the last minute a failed refresh raises its own error to the caller."""
    clock = FakeClock(START)
    provider, source = make(clock)
    provider.get_credential()
    clock.advance(HOUR - 30)
    source.fail_with = TencentCloudSDKException("AuthFailure.SecretIdNotFound", "gone")
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "AuthFailure.SecretIdNotFound"


def test_mandatory_window_ignores_the_advisory_retry_delay() -> None:
    """An advisory failure does not stop the refresh once it becomes mandatory."""
    clock = FakeClock(START)
    provider, source = make(clock)
    provider.get_credential()
    clock.advance(HOUR - 65)
    source.fail_with = TencentCloudSDKException("InternalError", "down")
    provider.get_credential()  # advisory: failure swallowed
    clock.advance(6)  # now 59 s left, within the retry delay
    source.fail_with = None
    assert provider.get_credential().secret_id == "AKID3"


def test_expired_snapshot_is_refreshed_before_use() -> None:
    """An expired snapshot is never handed out when the refresh succeeds."""
    clock = FakeClock(START)
    provider, source = make(clock)
    provider.get_credential()
    clock.advance(2 * HOUR)
    assert provider.get_credential().secret_id == "AKID2"
    assert source.calls == 2


def test_credential_without_expiry_is_never_refreshed() -> None:
    """expires_at=None means the snapshot is kept for good."""
    calls: List[int] = []

    def fetch() -> Credential:
        calls.append(1)
        return Credential("AKID", "key")

    clock = FakeClock(START)
    provider = RefreshingCredential(fetch, clock=clock)
    provider.get_credential()
    clock.advance(100 * HOUR)
    provider.get_credential()
    assert len(calls) == 1


def test_sixteen_threads_starting_together_cause_one_fetch() -> None:
    """Single flight: concurrent callers with no snapshot share one fetch."""
    clock = FakeClock(START)
    provider, source = make(clock)
    source.gate = threading.Event()
    barrier = threading.Barrier(16)
    results: List[Credential] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(5)
        cred = provider.get_credential()
        with lock:
            results.append(cred)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    assert source.entered.wait(5)
    threading.Event().wait(0.2)  # let the others pile up behind the flight
    source.gate.set()
    for t in threads:
        t.join(5)
    assert len(results) == 16
    assert source.calls == 1
    assert {c.secret_id for c in results} == {"AKID1"}


def test_during_an_advisory_refresh_other_callers_do_not_wait() -> None:
    """While one thread refreshes, others get the still-valid snapshot at once (no lock held)."""
    clock = FakeClock(START)
    provider, source = make(clock)
    first = provider.get_credential()
    clock.advance(HOUR - 10 * 60)
    source.gate = threading.Event()
    got: List[Credential] = []
    refresher = threading.Thread(target=lambda: got.append(provider.get_credential()))
    refresher.start()
    try:
        assert source.entered.wait(5)
        # The refresh is blocked inside fetch; these calls must not block.
        for _ in range(3):
            assert provider.get_credential() is first
    finally:
        source.gate.set()
        refresher.join(5)
    assert got[0].secret_id == "AKID2"
    assert source.calls == 2


def test_mandatory_waiters_share_the_leaders_error() -> None:
    """Callers waiting on a failed mandatory refresh each get its error; one fetch in all."""
    clock = FakeClock(START)
    provider, source = make(clock)
    source.gate = threading.Event()
    source.fail_with = TencentCloudSDKException("ResourceUnavailable", "try later", "req-1")
    errors: List[Optional[str]] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            provider.get_credential()
        except TencentCloudSDKException as exc:
            with lock:
                errors.append(exc.code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    assert source.entered.wait(5)
    threading.Event().wait(0.3)
    source.gate.set()
    for t in threads:
        t.join(5)
    assert errors == ["ResourceUnavailable"] * 8
    assert source.calls == 1


def test_unexpected_exception_is_wrapped_without_its_message() -> None:
    """A non-SDK error becomes ClientError.CredentialRefreshError naming only its type."""
    clock = FakeClock(START)
    provider, source = make(clock)
    source.fail_with = ValueError("token=super-secret-value")
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "ClientError.CredentialRefreshError"
    assert "ValueError" in str(info.value)
    assert "super-secret-value" not in str(info.value)


def test_fetch_returning_something_else_is_an_error() -> None:
    """A fetch that does not return a Credential is refused, not handed to a signer."""
    provider = RefreshingCredential(lambda: None, clock=FakeClock())  # type: ignore[arg-type,return-value]
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "ClientError.CredentialRefreshError"


def test_interrupt_during_fetch_releases_waiters() -> None:
    """A BaseException in the leader propagates and does not leave the flight stuck."""
    clock = FakeClock(START)
    provider, source = make(clock)
    source.fail_with = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        provider.get_credential()
    source.fail_with = None
    assert provider.get_credential().secret_id == "AKID2"


def test_repr_shows_expiry_but_never_key_or_token() -> None:
    """The repr names the class and the expiry, and no secret."""
    clock = FakeClock(START)
    provider, _source = make(clock)
    assert "not fetched" in repr(provider)
    provider.get_credential()
    text = repr(provider)
    assert "expires_at" in text
    assert "key-1" not in text
    assert "token-1" not in text


def test_get_credential_info_returns_one_snapshot() -> None:
    """The official accessor returns the id, key and token of one snapshot."""
    provider, _source = make(FakeClock(START))
    assert provider.get_credential_info() == ("AKID1", "key-1", "token-1")


def test_single_flight_shares_the_result_with_concurrent_callers() -> None:
    """SingleFlight.run: one call of fn for callers that arrive while it runs."""
    flight: SingleFlight[int] = SingleFlight()
    gate = threading.Event()
    entered = threading.Event()
    calls: List[int] = []

    def fn() -> int:
        calls.append(1)
        entered.set()
        assert gate.wait(5)
        return 42

    results: List[int] = []
    leader = threading.Thread(target=lambda: results.append(flight.run(fn, "test")))
    leader.start()
    assert entered.wait(5)
    followers = [
        threading.Thread(target=lambda: results.append(flight.run(fn, "test"))) for _ in range(4)
    ]
    for t in followers:
        t.start()
    threading.Event().wait(0.3)
    gate.set()
    for t in [leader, *followers]:
        t.join(5)
    assert results == [42] * 5
    assert len(calls) == 1
