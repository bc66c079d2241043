"""Credentials under an event loop: snapshots that never block it, one refresh for all.

The fetches here really take time (a worker thread sleeping, or the emulator
with latency); a ticker task on the same loop shows the loop kept running.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException
from tcfunc._credential import snapshot_async
from tcfunc._refresh import RefreshingCredential
from tcfunc.credential import (
    DefaultCredentialProvider,
    EnvironmentVariableCredential,
    ProfileCredential,
    STSAssumeRoleCredential,
)
from tcfunc.testing.emulator import ApiEmulator
from tests._support.chain import assert_no_secret
from tests.test_credential_support import FakeClock, clean_environment

START = 1_700_000_000.0
HOUR = 3600.0
LONG_ID = "AKIDlongterm"
LONG_KEY = "long-term-key"
ROLE = "qcs::cam::uin/100000000001:roleName/app"


class SlowSource:
    """A fetch that takes ``delay`` seconds (in whatever thread runs it) and counts calls."""

    def __init__(self, clock: FakeClock, delay: float = 0.3, lifetime: float = HOUR) -> None:
        self.clock = clock
        self.delay = delay
        self.lifetime = lifetime
        self.calls = 0
        self.threads: List[str] = []
        self.fail_with: Optional[BaseException] = None
        self.gate: Optional[threading.Event] = None
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> Credential:
        with self._lock:
            self.calls += 1
            n = self.calls
            self.threads.append(threading.current_thread().name)
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(5), "test gate never opened"
        time.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        return Credential(
            f"AKID{n}", f"key-{n}", f"token-{n}", expires_at=self.clock() + self.lifetime
        )


class Ticker:
    """A task that counts 10 ms ticks: it only advances while the loop is free."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task: Optional[asyncio.Task[None]] = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self.ticks += 1

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> int:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return self.ticks


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_two_hundred_tasks_share_one_fetch_while_the_loop_keeps_running() -> None:
    """No snapshot yet: 200 concurrent tasks cause one fetch, run off the loop, and a ticker
    on the same loop keeps ticking during the 0.3 s fetch."""
    clock = FakeClock(START)
    source = SlowSource(clock, delay=0.3)
    provider = RefreshingCredential(source, clock=clock)

    async def main() -> int:
        ticker = Ticker()
        ticker.start()
        creds = await asyncio.gather(*(provider.get_credential_async() for _ in range(200)))
        assert {c.secret_id for c in creds} == {"AKID1"}
        return await ticker.stop()

    ticks = run(main())
    assert source.calls == 1
    assert source.threads != [threading.current_thread().name]
    assert ticks >= 10  # 0.3 s of 10 ms ticks, with room for a slow machine


def test_fresh_snapshot_is_returned_without_a_thread() -> None:
    """A fresh snapshot is returned at once: no fetch, no worker thread."""
    clock = FakeClock(START)
    source = SlowSource(clock, delay=0)
    provider = RefreshingCredential(source, clock=clock)
    first = provider.get_credential()
    before = threading.active_count()

    async def main() -> List[Credential]:
        return [await provider.get_credential_async() for _ in range(50)]

    assert all(c is first for c in run(main()))
    assert source.calls == 1
    assert threading.active_count() == before


def test_advisory_window_returns_the_old_snapshot_and_refreshes_once_in_the_background() -> None:
    """Ten minutes before expiry: every task gets the current snapshot at once while one
    refresh runs in a worker thread; afterwards the new snapshot is served."""
    clock = FakeClock(START)
    source = SlowSource(clock, delay=0)
    provider = RefreshingCredential(source, clock=clock)
    first = provider.get_credential()
    clock.advance(HOUR - 10 * 60)
    source.gate = threading.Event()

    async def main() -> None:
        started = time.monotonic()
        got = await asyncio.gather(*(provider.get_credential_async() for _ in range(50)))
        assert all(c is first for c in got)
        assert time.monotonic() - started < 0.5  # nobody waited for the blocked fetch
        assert await asyncio.to_thread(source.entered.wait, 5)
        source.gate.set()  # type: ignore[union-attr]
        for _ in range(200):
            if provider.expires_at != first.expires_at:
                break
            await asyncio.sleep(0.01)
        assert (await provider.get_credential_async()).secret_id == "AKID2"

    run(main())
    assert source.calls == 2


def test_mandatory_failure_reaches_every_task_without_a_chain() -> None:
    """A failing mandatory refresh: every waiting task gets the error (one fetch), and no
    error carries the fetch's own exception with the secret in its message."""
    clock = FakeClock(START)
    source = SlowSource(clock, delay=0.2)
    source.fail_with = RuntimeError("token=SECRET-IN-MESSAGE")
    provider = RefreshingCredential(source, clock=clock)

    async def main() -> List[BaseException]:
        results = await asyncio.gather(
            *(provider.get_credential_async() for _ in range(20)), return_exceptions=True
        )
        return [r for r in results if isinstance(r, BaseException)]

    errors = run(main())
    assert len(errors) == 20
    assert source.calls == 1
    for error in errors:
        assert isinstance(error, TencentCloudSDKException)
        assert error.code == "ClientError.CredentialRefreshError"
        assert_no_secret(error, ["SECRET-IN-MESSAGE"])


def test_threads_and_tasks_share_one_flight() -> None:
    """A thread refreshing with get_credential() and tasks calling get_credential_async()
    at the same time: one fetch, the same credential for all."""
    clock = FakeClock(START)
    source = SlowSource(clock, delay=0)
    source.gate = threading.Event()
    provider = RefreshingCredential(source, clock=clock)
    from_thread: List[Credential] = []
    thread = threading.Thread(target=lambda: from_thread.append(provider.get_credential()))
    thread.start()
    assert source.entered.wait(5)

    async def main() -> List[Credential]:
        tasks = [asyncio.ensure_future(provider.get_credential_async()) for _ in range(10)]
        await asyncio.sleep(0.05)
        source.gate.set()  # type: ignore[union-attr]
        return list(await asyncio.gather(*tasks))

    creds = run(main())
    thread.join(5)
    assert source.calls == 1
    assert {c.secret_id for c in [*creds, *from_thread]} == {"AKID1"}


def test_a_cancelled_waiter_leaves_the_refresh_to_the_others() -> None:
    """Cancelling one awaiting task raises CancelledError in it only; the others and the
    provider get the refreshed snapshot."""
    clock = FakeClock(START)
    source = SlowSource(clock, delay=0.2)
    provider = RefreshingCredential(source, clock=clock)

    async def main() -> None:
        doomed = asyncio.ensure_future(provider.get_credential_async())
        others = [asyncio.ensure_future(provider.get_credential_async()) for _ in range(3)]
        await asyncio.sleep(0.05)
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        assert {c.secret_id for c in await asyncio.gather(*others)} == {"AKID1"}

    run(main())
    assert source.calls == 1


class BlockingProvider:
    """A user provider with only a blocking get_credential()."""

    def __init__(self) -> None:
        self.thread: Optional[str] = None

    def get_credential(self) -> Credential:
        self.thread = threading.current_thread().name
        time.sleep(0.3)
        return Credential("AKIDuser", "key")


def test_a_sync_only_provider_is_read_in_a_worker_thread() -> None:
    """snapshot_async runs a provider without get_credential_async() off the loop."""
    provider = BlockingProvider()

    async def main() -> int:
        ticker = Ticker()
        ticker.start()
        cred = await snapshot_async(provider, skip_sign=False)
        assert cred is not None
        assert cred.secret_id == "AKIDuser"
        return await ticker.stop()

    assert run(main()) >= 10
    assert provider.thread != threading.current_thread().name


def test_snapshot_async_rules_match_snapshot() -> None:
    """Credential as is, None only unsigned, a failing provider named by type only."""
    cred = Credential("AKID", "k")

    class Failing:
        async def get_credential_async(self) -> Credential:
            raise ValueError("secret=SHOWN")

        def get_credential(self) -> Credential:
            raise ValueError("secret=SHOWN")

    async def main() -> None:
        assert await snapshot_async(cred, skip_sign=False) is cred
        assert await snapshot_async(None, skip_sign=True) is None
        with pytest.raises(TencentCloudSDKException) as info:
            await snapshot_async(None, skip_sign=False)
        assert info.value.code == "InvalidCredential"
        with pytest.raises(TencentCloudSDKException) as info:
            await snapshot_async(Failing(), skip_sign=False)
        assert info.value.code == "InvalidCredential"
        assert_no_secret(info.value, ["SHOWN"])

    run(main())


def test_environment_file_and_chain_providers_read_under_a_loop(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The simple providers and the default chain have get_credential_async() too."""
    home = clean_environment(monkeypatch, tmp_path)
    path = home / "creds"
    path.write_text("[default]\nsecret_id = AKIDfile\nsecret_key = k\n", encoding="utf-8")

    async def main() -> None:
        assert await EnvironmentVariableCredential().get_credential_async() is None
        assert (await ProfileCredential(str(path)).get_credential_async()).secret_id == "AKIDfile"  # type: ignore[union-attr]
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "k")
        chain = DefaultCredentialProvider()
        assert (await chain.get_credential_async()).secret_id == "AKIDenv"
        assert isinstance(chain.source, EnvironmentVariableCredential)

    run(main())


# ------------------------------------------------------------ STS at the emulator


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator({LONG_ID: LONG_KEY}) as emulator:
        emulator.enable_sts()
        yield emulator


def test_two_hundred_tasks_cause_one_assume_role_at_the_emulator(emu: ApiEmulator) -> None:
    """200 concurrent tasks needing an STS credential: one AssumeRole reaches the emulator
    (slowed to 0.3 s), and the loop keeps ticking meanwhile."""
    emu.set_latency(0.3)
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))
    provider = STSAssumeRoleCredential(LONG_ID, LONG_KEY, ROLE, "s1", profile=profile)

    async def main() -> int:
        ticker = Ticker()
        ticker.start()
        creds = await asyncio.gather(*(provider.get_credential_async() for _ in range(200)))
        assert len({c.secret_id for c in creds}) == 1
        return await ticker.stop()

    ticks = run(main())
    assert sum(1 for r in emu.requests if r.action == "AssumeRole") == 1
    assert ticks >= 10
