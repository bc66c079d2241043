"""The emulator's stateful CVM and per-action rate limits, and the ClientToken option,
through both drivers over loopback HTTP."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterator, List, Mapping

import pytest

from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.retry import StandardRetryer
from tcfunc.testing.emulator import ApiEmulator

from ._support.bulk import ManualClock, cvm, rate_limit
from ._support.drivers import DRIVERS, Driver

SECRET = "cvm-emulator-secret"
CRED = Credential("AKIDcvmemu", SECRET)
REGION = "ap-guangzhou"


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


def _client(driver: Driver, emu: ApiEmulator, region: str = REGION, **profile: Any) -> Any:
    timeout = profile.pop("timeout", 5)
    http = HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=timeout)
    return driver.client(
        "cvm", "2017-03-12", CRED, region, ClientProfile(httpProfile=http, **profile)
    )


def _call(driver: Driver, client: Any, action: str, params: Any, **kw: Any) -> Dict[str, Any]:
    response: Dict[str, Any] = driver.call(client, "call_json", action, params, **kw)["Response"]
    return response


def _states(driver: Driver, client: Any, **params: Any) -> List[str]:
    got = _call(driver, client, "DescribeInstances", params)
    return [i["InstanceState"] for i in got["InstanceSet"]]


def _error(driver: Driver, client: Any, action: str, params: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as caught:
        _call(driver, client, action, params)
    return str(caught.value.code)


def test_instances_launch_then_run(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> None:
    """RunInstances makes InstanceCount PENDING instances, RUNNING after launch_seconds."""
    client = _client(driver, emu)
    ids = _call(driver, client, "RunInstances", {"InstanceCount": 3, "ImageId": "img-1"})[
        "InstanceIdSet"
    ]
    assert len(set(ids)) == 3
    assert all(i.startswith("ins-") and len(i) == 12 for i in ids)
    assert _states(driver, client) == ["PENDING"] * 3
    clock.advance(9.9)
    assert _states(driver, client) == ["PENDING"] * 3
    clock.advance(0.2)
    assert _states(driver, client) == ["RUNNING"] * 3


def test_stop_start_terminate(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> None:
    """Stop: STOPPING then STOPPED; Start: STARTING then RUNNING; Terminate: SHUTDOWN, then gone."""
    client = _client(driver, emu)
    (one,) = _call(driver, client, "RunInstances", {})["InstanceIdSet"]
    ids = {"InstanceIds": [one]}
    assert (
        _error(driver, client, "StopInstances", ids) == "UnsupportedOperation.InstanceStatePending"
    )
    clock.advance(10)
    _call(driver, client, "StopInstances", ids)
    assert _states(driver, client, **ids) == ["STOPPING"]
    clock.advance(10)
    assert _states(driver, client, **ids) == ["STOPPED"]
    _call(driver, client, "StartInstances", ids)
    assert _states(driver, client, **ids) == ["STARTING"]
    clock.advance(10)
    assert _states(driver, client, **ids) == ["RUNNING"]
    _call(driver, client, "TerminateInstances", ids)
    assert _states(driver, client, **ids) == ["SHUTDOWN"]
    clock.advance(10)
    assert _call(driver, client, "DescribeInstances", {})["TotalCount"] == 0
    assert _error(driver, client, "StartInstances", ids) == "InvalidInstanceId.NotFound"


def test_describe_filters(driver: Driver, emu: ApiEmulator, clock: ManualClock) -> None:
    """Filters on zone, instance-state, instance-name and instance-id; values OR, filters AND."""
    client = _client(driver, emu)
    web = _call(
        driver, client, "RunInstances",
        {"InstanceCount": 2, "InstanceName": "web", "Placement": {"Zone": "ap-guangzhou-3"}},
    )["InstanceIdSet"]  # fmt: skip
    clock.advance(10)
    db = _call(driver, client, "RunInstances", {"InstanceName": "db"})["InstanceIdSet"]

    def names(*filters: Mapping[str, Any]) -> List[str]:
        got = _call(driver, client, "DescribeInstances", {"Filters": list(filters)})
        return [i["InstanceName"] for i in got["InstanceSet"]]

    assert names({"Name": "zone", "Values": ["ap-guangzhou-3"]}) == ["web-1", "web-2"]
    assert names({"Name": "instance-state", "Values": ["PENDING"]}) == ["db"]
    assert names({"Name": "instance-name", "Values": ["db", "web-2"]}) == ["web-2", "db"]
    assert names({"Name": "instance-id", "Values": [web[0], db[0]]}) == ["web-1", "db"]
    assert names(
        {"Name": "zone", "Values": ["ap-guangzhou-3"]},
        {"Name": "instance-name", "Values": ["web-1"]},
    ) == ["web-1"]
    assert (
        _error(
            driver, client, "DescribeInstances", {"Filters": [{"Name": "vpc-id", "Values": ["v"]}]}
        )
        == "InvalidFilter"
    )
    assert _error(
        driver, client, "DescribeInstances",
        {"InstanceIds": db, "Filters": [{"Name": "zone", "Values": ["ap-guangzhou-1"]}]},
    ) == "InvalidParameterConflict"  # fmt: skip


def test_offset_limit_defaults_and_bounds(driver: Driver, emu: ApiEmulator) -> None:
    """Offset 0 and Limit 20 by default, Limit 1-100, TotalCount counts every match."""
    client = _client(driver, emu)
    _call(driver, client, "RunInstances", {"InstanceCount": 30})
    page = _call(driver, client, "DescribeInstances", {})
    assert (page["TotalCount"], len(page["InstanceSet"])) == (30, 20)
    page = _call(driver, client, "DescribeInstances", {"Offset": 25, "Limit": 100})
    assert (page["TotalCount"], len(page["InstanceSet"])) == (30, 5)
    for bad in (0, 101):
        code = _error(driver, client, "DescribeInstances", {"Limit": bad})
        assert code == "InvalidParameterValue.LimitExceeded"
    assert _error(driver, client, "DescribeInstances", {"Offset": -1}) == "InvalidParameterValue"
    assert _error(driver, client, "RunInstances", {"InstanceCount": 101}) == "InvalidParameterValue"
    malformed = {"InstanceIds": ["i-nope"]}
    assert _error(driver, client, "DescribeInstances", malformed) == "InvalidInstanceId.Malformed"


def test_regions_are_separate(driver: Driver, emu: ApiEmulator) -> None:
    """Instances live in the region they were launched in; a zone of another region is refused."""
    guangzhou, shanghai = _client(driver, emu), _client(driver, emu, "ap-shanghai")
    _call(driver, guangzhou, "RunInstances", {"InstanceCount": 2})
    _call(driver, shanghai, "RunInstances", {})
    assert _call(driver, guangzhou, "DescribeInstances", {})["TotalCount"] == 2
    zones = [
        i["Placement"]["Zone"]
        for i in _call(driver, shanghai, "DescribeInstances", {})["InstanceSet"]
    ]
    assert zones == ["ap-shanghai-1"]
    wrong = {"Placement": {"Zone": "ap-guangzhou-3"}}
    assert _error(driver, shanghai, "RunInstances", wrong) == "InvalidZone.MismatchRegion"


def test_the_same_client_token_launches_once(driver: Driver, emu: ApiEmulator) -> None:
    """RunInstances with a ClientToken seen before answers the same ids and launches nothing."""
    client = _client(driver, emu)
    params = {"InstanceCount": 2, "ClientToken": "once-only"}
    first = _call(driver, client, "RunInstances", params)["InstanceIdSet"]
    again = _call(driver, client, "RunInstances", params)["InstanceIdSet"]
    assert first == again
    assert _call(driver, client, "DescribeInstances", {})["TotalCount"] == 2


def _spec_objects() -> Dict[str, Any]:
    import tccli

    path = os.path.join(os.path.dirname(tccli.__file__), "services", "cvm", "v20170312", "api.json")
    with open(path, encoding="utf-8") as fh:
        objects: Dict[str, Any] = json.load(fh)["objects"]
    return objects


_JSON_TYPES: Dict[str, Any] = {
    "string": str,
    "int": int,
    "bool": bool,
    "list": list,
    "object": dict,
    "float": float,
}


def _check_shape(objects: Dict[str, Any], name: str, value: Mapping[str, Any]) -> None:
    members = {m["name"]: m for m in objects[name]["members"]}
    for key, item in value.items():
        assert key in members, f"{name}.{key} is not in the spec"
        if item is None:
            continue
        member = members[key]
        assert isinstance(item, _JSON_TYPES[member["type"]]), f"{name}.{key}"
        if member["type"] == "object":
            _check_shape(objects, member["member"], item)
        elif member["type"] == "list" and member["member"] in objects:
            for element in item:
                _check_shape(objects, member["member"], element)


def test_answers_have_the_spec_shapes(driver: Driver, emu: ApiEmulator) -> None:
    """Every member of every answer is one the spec declares, with the declared type."""
    objects = _spec_objects()
    client = _client(driver, emu)
    run = _call(driver, client, "RunInstances", {"InstanceCount": 2})
    _check_shape(objects, "RunInstancesResponse", run)
    described = _call(driver, client, "DescribeInstances", {})
    _check_shape(objects, "DescribeInstancesResponse", described)
    ids = {"InstanceIds": run["InstanceIdSet"]}
    _check_shape(
        objects, "TerminateInstancesResponse", _call(driver, client, "TerminateInstances", ids)
    )


def test_a_rate_limit_answers_request_limit_exceeded(
    driver: Driver, emu: ApiEmulator, clock: ManualClock
) -> None:
    """Above per_second requests of one action the emulator answers RequestLimitExceeded,
    refilled as its clock moves; other actions are not limited."""
    rate_limit(emu, "cvm", "DescribeInstances", 5)
    client = _client(driver, emu, retryer=StandardRetryer(max_attempts=1))
    for _ in range(5):
        _call(driver, client, "DescribeInstances", {})
    assert _error(driver, client, "DescribeInstances", {}) == "RequestLimitExceeded"
    _call(driver, client, "RunInstances", {})
    clock.advance(0.2)
    _call(driver, client, "DescribeInstances", {})
    assert _error(driver, client, "DescribeInstances", {}) == "RequestLimitExceeded"


def test_a_new_rate_limit_replaces_the_old_one(
    driver: Driver, emu: ApiEmulator, clock: ManualClock
) -> None:
    """Setting a limit again starts a fresh, full bucket (limits do not stack); None removes it."""
    client = _client(driver, emu, retryer=StandardRetryer(max_attempts=1))
    rate_limit(emu, "cvm", "DescribeInstances", 3)
    for _ in range(3):
        _call(driver, client, "DescribeInstances", {})
    assert _error(driver, client, "DescribeInstances", {}) == "RequestLimitExceeded"
    rate_limit(emu, "cvm", "DescribeInstances", 3)
    for _ in range(3):
        _call(driver, client, "DescribeInstances", {})
    assert _error(driver, client, "DescribeInstances", {}) == "RequestLimitExceeded"
    rate_limit(emu, "cvm", "DescribeInstances", None)
    for _ in range(10):
        _call(driver, client, "DescribeInstances", {})


def test_rate_limit_needs_a_handler(emu: ApiEmulator) -> None:
    """A rate limit for an action with no handler is a ClientError, as is a bad rate."""
    with pytest.raises(TencentCloudSDKException):
        rate_limit(emu, "cvm", "DescribeZones", 5)
    for bad in (0, -1, True, float("inf")):
        with pytest.raises(TencentCloudSDKException):
            rate_limit(emu, "cvm", "DescribeInstances", bad)


# ---------------------------------------------------------------- ClientToken


def test_client_token_option_makes_a_lost_create_safe_to_retry(
    driver: Driver, emu: ApiEmulator
) -> None:
    """{"ClientToken": True} fills one UUID4 per call: when the answer to RunInstances is
    lost (the instances exist), the retry carries the same token and launches nothing new."""
    emu.set_latency(1.0)
    retryer = StandardRetryer(max_attempts=3, sleep=lambda _s: emu.set_latency(0))
    client = _client(driver, emu, retryer=retryer, timeout=0.3)
    got = _call(driver, client, "RunInstances", {"InstanceCount": 2}, options={"ClientToken": True})
    tokens = [r.params["ClientToken"] for r in emu.requests if r.action == "RunInstances"]
    assert len(tokens) == 2
    assert tokens[0] == tokens[1]
    assert len(tokens[0]) == 36
    assert tokens[0][14] == "4"
    listed = _call(driver, client, "DescribeInstances", {})
    assert listed["TotalCount"] == 2
    assert sorted(got["InstanceIdSet"]) == sorted(i["InstanceId"] for i in listed["InstanceSet"])


def test_without_the_option_a_lost_create_is_not_retried(driver: Driver, emu: ApiEmulator) -> None:
    """Without a ClientToken a RunInstances whose answer is lost is not sent again."""
    emu.set_latency(1.0)
    retryer = StandardRetryer(max_attempts=3, sleep=lambda _s: emu.set_latency(0))
    client = _client(driver, emu, retryer=retryer, timeout=0.3)
    assert _error(driver, client, "RunInstances", {}) == "ClientNetworkError"
    assert len([r for r in emu.requests if r.action == "RunInstances"]) == 1


def test_client_token_option_keeps_a_given_token(driver: Driver, emu: ApiEmulator) -> None:
    """A ClientToken the caller set is sent as it is; each call gets its own fresh token."""
    client = _client(driver, emu)
    opts = {"ClientToken": True}
    _call(driver, client, "RunInstances", {"ClientToken": "mine"}, options=opts)
    _call(driver, client, "RunInstances", {}, options=opts)
    _call(driver, client, "RunInstances", None, options=opts)
    tokens = [r.params.get("ClientToken") for r in emu.requests]
    assert tokens[0] == "mine"
    assert tokens[1]
    assert tokens[2]
    assert tokens[1] != tokens[2]
    with pytest.raises(TencentCloudSDKException) as caught:
        _call(driver, client, "RunInstances", {}, options={"ClientToken": "yes"})
    assert caught.value.code == "ClientError"
