"""Waiters: the expression subset, tccli's waiter JSON, and wait_until through both drivers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Iterator, List

import pytest

from tcfunc.aio import AsyncCommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.retry import StandardRetryer
from tcfunc.testing.emulator import ApiEmulator
from tcfunc.waiter import WaiterSpec, compile_expression

from ._support.bulk import ManualClock, cvm
from ._support.drivers import DRIVERS, Driver

SECRET = "waiter-secret-key"
CRED = Credential("AKIDwaiter", SECRET)
STATE = "InstanceSet[0].InstanceState"

DOC = {
    "TotalCount": 2,
    "InstanceSet": [
        {"InstanceId": "ins-1", "InstanceState": "RUNNING", "Tags": [{"Key": "a"}]},
        {"InstanceId": "ins-2", "InstanceState": "PENDING", "Tags": []},
    ],
    "Nested": {"Deeper": {"Value": 7}},
}

KNOWN = [
    ("TotalCount", 2),
    ("Nested.Deeper.Value", 7),
    ("Nested.Missing.Value", None),
    ("InstanceSet[0].InstanceId", "ins-1"),
    ("InstanceSet[-1].InstanceState", "PENDING"),
    ("InstanceSet[5].InstanceId", None),
    ("InstanceSet[*].InstanceState", ["RUNNING", "PENDING"]),
    ("InstanceSet[*].Missing", []),
    ("InstanceSet[*].Tags[0].Key", ["a"]),
    ("length(InstanceSet)", 2),
    ("length(InstanceSet[0].InstanceId)", 5),
    ("length(Missing)", None),
    ("TotalCount.Foo", None),
    (" InstanceSet [ 1 ] . InstanceId ", "ins-2"),
]


@pytest.mark.parametrize(("expr", "value"), KNOWN)
def test_expressions(expr: str, value: Any) -> None:
    """Each supported form reads what JMESPath would read."""
    assert compile_expression(expr).search(DOC) == value


@pytest.mark.parametrize(
    "expr",
    ["", "a.", ".a", "a..b", "a[?x]", "a[0:2]", "a | b", "sort(a)", "length(a", "a == 'x'",
     "a.[0]", "a b", "`1`", "a[x]"],
)  # fmt: skip
def test_unsupported_expressions_are_refused(expr: str) -> None:
    """Anything outside a.b, a[0], a[*].b and length() is ClientError.WaiterExpression."""
    with pytest.raises(TencentCloudSDKException) as caught:
        compile_expression(expr)
    assert caught.value.code == "ClientError.WaiterExpression"


def test_tccli_waiter_json_is_accepted() -> None:
    """tccli's --waiter JSON: expr and to required, timeout 180 and interval 5 by default,
    interval never above timeout."""
    spec = WaiterSpec.from_json('{"expr": "InstanceSet[0].InstanceState", "to": "RUNNING"}')
    assert (spec.expr.source, spec.to, spec.timeout, spec.interval) == (STATE, "RUNNING", 180, 5)
    spec = WaiterSpec.from_json({"expr": "TotalCount", "to": 3, "timeout": 2, "interval": 10})
    assert (spec.timeout, spec.interval) == (2, 2)
    for bad in ('{"to": 1}', '{"expr": "a"}', "[1]", "not json", '{"expr": "a", "to": 1, "x": 2}'):
        with pytest.raises(TencentCloudSDKException) as caught:
            WaiterSpec.from_json(bad)
        assert caught.value.code == "ClientError"
    for kw in ({"timeout": -1}, {"interval": "5"}, {"failure": "FAILED"}):
        with pytest.raises(TencentCloudSDKException):
            WaiterSpec(STATE, "RUNNING", **kw)


# ------------------------------------------------------------- wait_until


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    made = Driver(request.param)
    yield made
    made.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[ApiEmulator]:
    with ApiEmulator({CRED.secret_id: SECRET}, clock=clock) as emulator:
        cvm(emulator, launch_seconds=10)
        yield emulator


def _client(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> Any:
    http = HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=5)
    # The retryer's sleep is the one wait_until uses by default: it moves the fake clock.
    retryer = StandardRetryer(sleep=clock.sleep)
    return driver.client(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", ClientProfile(httpProfile=http, retryer=retryer)
    )


def _launch(driver: Driver, client: Any) -> List[str]:
    answer = driver.call(client, "call_json", "RunInstances", {})
    ids: List[str] = answer["Response"]["InstanceIdSet"]
    return ids


def test_wait_until_running(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> None:
    """Polls every interval until the instance is RUNNING and returns that Response."""
    client = _client(driver, emu, clock)
    ids = _launch(driver, client)
    got = driver.call(
        client, "wait_until", "DescribeInstances", {"InstanceIds": ids}, STATE, "RUNNING",
        interval=3, clock=clock,
    )  # fmt: skip
    assert got["InstanceSet"][0]["InstanceState"] == "RUNNING"
    assert clock.slept == [3, 3, 3, 3]  # polls at 0, 3, 6, 9 see PENDING; 12 sees RUNNING
    assert len([r for r in emu.requests if r.action == "DescribeInstances"]) == 5


def test_wait_until_times_out(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> None:
    """After timeout seconds: ClientError.WaiterTimeout naming the last value; the last poll
    is at the deadline, never after it."""
    client = _client(driver, emu, clock)
    ids = _launch(driver, client)
    start = clock()
    with pytest.raises(TencentCloudSDKException) as caught:
        driver.call(
            client, "wait_until", "DescribeInstances", {"InstanceIds": ids}, STATE, "STOPPED",
            timeout=7, interval=3, clock=clock,
        )  # fmt: skip
    assert caught.value.code == "ClientError.WaiterTimeout"
    assert "still 'PENDING'" in str(caught.value.message)
    assert clock.slept == [3, 3, 1]
    assert clock() - start == pytest.approx(7)


def test_a_failure_state_stops_early(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> None:
    """A value in failure raises ClientError.WaiterFailure at once, without waiting further."""
    client = _client(driver, emu, clock)
    ids = _launch(driver, client)
    with pytest.raises(TencentCloudSDKException) as caught:
        driver.call(
            client, "wait_until", "DescribeInstances", {"InstanceIds": ids},
            "InstanceSet[*].InstanceState", ["STOPPED"], failure=("PENDING",), clock=clock,
        )  # fmt: skip
    assert caught.value.code == "ClientError.WaiterFailure"
    assert clock.slept == []


def test_a_bad_expression_sends_nothing(
    driver: Driver, emu: ApiEmulator, clock: ManualClock
) -> None:
    """An unsupported expression fails before the first poll."""
    client = _client(driver, emu, clock)
    with pytest.raises(TencentCloudSDKException) as caught:
        driver.call(client, "wait_until", "DescribeInstances", {}, "a[?b]", 1)
    assert caught.value.code == "ClientError.WaiterExpression"
    assert emu.requests == []


def test_call_errors_propagate(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> None:
    """An API error while polling is raised as it is, not turned into a timeout."""
    client = _client(driver, emu, clock)
    with pytest.raises(TencentCloudSDKException) as caught:
        driver.call(
            client, "wait_until", "DescribeInstances", {"Limit": 0}, STATE, "RUNNING", clock=clock
        )
    assert caught.value.code == "InvalidParameterValue.LimitExceeded"


def test_the_async_waiter_does_not_block_the_loop() -> None:
    """With the default asyncio.sleep, other tasks run while a waiter waits between polls."""
    with ApiEmulator({CRED.secret_id: SECRET}) as emu:
        cvm(emu, launch_seconds=0.3)
        http = HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=5)

        async def main() -> int:
            async with AsyncCommonClient(
                "cvm", "2017-03-12", CRED, "ap-guangzhou", ClientProfile(httpProfile=http)
            ) as client:
                ids = (await client.call_json("RunInstances", {}))["Response"]["InstanceIdSet"]
                ticks = 0

                async def ticker() -> None:
                    nonlocal ticks
                    while True:
                        ticks += 1
                        await asyncio.sleep(0.01)

                task = asyncio.ensure_future(ticker())
                started = time.monotonic()
                await client.wait_until(
                    "DescribeInstances", {"InstanceIds": ids}, STATE, "RUNNING", interval=0.1
                )
                assert time.monotonic() - started < 2
                task.cancel()
                return ticks

        assert asyncio.run(main()) >= 10


def test_cli_waiter_polls_until_the_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """tcfunc call --waiter '<tccli JSON>' polls until the value and prints that Response;
    a bad waiter is a usage error, a timeout exits 1 with WaiterTimeout."""
    from tcfunc.cli import main

    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", CRED.secret_id)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with ApiEmulator({CRED.secret_id: SECRET}) as emu:
        backend = cvm(emu, launch_seconds=0.4)
        request = type("R", (), {"region": "ap-guangzhou"})()
        ids = backend.run_instances({}, request)["InstanceIdSet"]
        base = ["call", "cvm", "2017-03-12", "DescribeInstances", "--region", "ap-guangzhou",
                "--params", json.dumps({"InstanceIds": ids}), "--endpoint",
                f"http://{emu.endpoint}", "--waiter"]  # fmt: skip
        waiter = {"expr": STATE, "to": "RUNNING", "interval": 0.1, "timeout": 5}
        assert main([*base, json.dumps(waiter)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["InstanceSet"][0]["InstanceState"] == "RUNNING"
        assert len([r for r in emu.requests if r.action == "DescribeInstances"]) >= 2
        waiter = {"expr": STATE, "to": "STOPPED", "interval": 0.1, "timeout": 0.3}
        assert main([*base, json.dumps(waiter)]) == 1
        assert "ClientError.WaiterTimeout" in capsys.readouterr().err
        emu.clear_requests()
        with pytest.raises(SystemExit) as exited:
            main([*base, '{"expr": "a[?b]", "to": 1}'])
        assert exited.value.code == 2
        assert "--waiter" in capsys.readouterr().err
        assert emu.requests == []
