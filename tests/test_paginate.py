"""Paginators through both drivers, against the emulator's stateful CVM over loopback HTTP."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterator, List

import pytest

from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.paginate import Pager, PageScheme, classify_spec
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.testing._cvm import CvmBackend, enable_cvm
from tcfunc.testing.emulator import ApiEmulator

from ._support.bulk import all_items, all_pages
from ._support.drivers import DRIVERS, Driver

SECRET = "paginate-secret-key"
CRED = Credential("AKIDpaginate", SECRET)
REGION = "ap-guangzhou"


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    made = Driver(request.param)
    yield made
    made.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ApiEmulator]:
    with ApiEmulator({CRED.secret_id: SECRET}) as emulator:
        yield emulator


@pytest.fixture
def emu(server: ApiEmulator) -> Iterator[ApiEmulator]:
    server.reset()
    yield server
    server.reset()


def _client(driver: Driver, emu: ApiEmulator, service: str = "cvm", region: str = REGION) -> Any:
    http = HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=5)
    return driver.client(service, "2017-03-12", CRED, region, ClientProfile(httpProfile=http))


def _launch(emu: ApiEmulator, count: int) -> CvmBackend:
    backend = enable_cvm(emu, launch_seconds=0)
    request = type("R", (), {"region": REGION})()
    left = count
    while left:
        batch = min(left, 100)
        backend.run_instances({"InstanceCount": batch, "InstanceName": "web"}, request)
        left -= batch
    return backend


def _sent(emu: ApiEmulator, action: str) -> List[Dict[str, Any]]:
    return [r.params for r in emu.requests if r.action == action]


def test_offset_paging_walks_every_page(driver: Driver, emu: ApiEmulator) -> None:
    """TotalCount plus one list pages by Offset/Limit: 45 instances at Limit 20 are 3 requests."""
    _launch(emu, 45)
    client = _client(driver, emu)
    pages = all_pages(driver, client.paginate("DescribeInstances", {"Limit": 20}))
    assert [len(p["InstanceSet"]) for p in pages] == [20, 20, 5]
    assert [p.get("Offset") for p in _sent(emu, "DescribeInstances")] == [None, 20, 40]
    emu.clear_requests()
    names = [i["InstanceName"] for i in all_items(driver, client.paginate("DescribeInstances"))]
    assert names == [f"web-{n}" for n in range(1, 46)]
    # With no Limit the API's default page (20) is used, and items are not repeated.
    assert len(_sent(emu, "DescribeInstances")) == 3


def test_pages_are_fetched_when_asked_and_each_walk_starts_again(emu: ApiEmulator) -> None:
    """Nothing is sent by paginate(); the next page only when the loop asks; a second walk
    starts from the first page."""
    _launch(emu, 45)
    driver = Driver("sync")
    client = _client(driver, emu)
    paginator = client.paginate("DescribeInstances", {"Limit": 20})
    assert _sent(emu, "DescribeInstances") == []
    first = next(iter(paginator))
    assert len(first["InstanceSet"]) == 20
    assert len(_sent(emu, "DescribeInstances")) == 1
    assert len(list(paginator.items())) == 45
    assert len(_sent(emu, "DescribeInstances")) == 4
    driver.close()


def test_max_items_stops_without_another_request(driver: Driver, emu: ApiEmulator) -> None:
    """max_items ends the paging on the page that reaches it, and lowers the last Limit."""
    _launch(emu, 45)
    client = _client(driver, emu)
    got = all_items(driver, client.paginate("DescribeInstances", {"Limit": 20}, max_items=25))
    assert len(got) == 25
    assert [(p.get("Offset"), p["Limit"]) for p in _sent(emu, "DescribeInstances")] == [
        (None, 20),
        (20, 5),
    ]
    emu.clear_requests()
    got = all_items(driver, client.paginate("DescribeInstances", {"Limit": 20}, max_items=20))
    assert len(got) == 20
    assert len(_sent(emu, "DescribeInstances")) == 1


def test_filters_are_kept_on_every_page(driver: Driver, emu: ApiEmulator) -> None:
    """The caller's params (Filters) go with every page; only Offset moves."""
    backend = _launch(emu, 30)
    request = type("R", (), {"region": REGION})()
    backend.run_instances({"InstanceCount": 5, "InstanceName": "db"}, request)
    client = _client(driver, emu)
    params = {
        "Filters": [{"Name": "instance-name", "Values": ["db-1", "db-2", "db-3"]}],
        "Limit": 2,
    }
    got = all_items(driver, client.paginate("DescribeInstances", params))
    assert [i["InstanceName"] for i in got] == ["db-1", "db-2", "db-3"]
    assert all(p["Filters"] == params["Filters"] for p in _sent(emu, "DescribeInstances"))


def test_a_shrinking_list_stops_at_the_latest_total(driver: Driver, emu: ApiEmulator) -> None:
    """Instances removed while paging: paging believes each page's TotalCount and stops
    once the next offset reaches it (shifted items are skipped, never an endless loop)."""
    backend = _launch(emu, 30)
    client = _client(driver, emu)
    first_ids: List[str] = []

    def on_page(page: Dict[str, Any]) -> None:
        if not first_ids:
            request = type("R", (), {"region": REGION})()
            listed = backend.describe_instances({"Limit": 100}, request)["InstanceSet"]
            first_ids.extend(i["InstanceId"] for i in listed)
            # The first 15 go away (SHUTDOWN, then gone at once: launch_seconds=0).
            backend.terminate_instances({"InstanceIds": first_ids[:15]}, request)

    pages = []
    if driver.loop is None:
        for page in client.paginate("DescribeInstances", {"Limit": 10}):
            pages.append(page)
            on_page(page)
    else:

        async def walk() -> None:
            async for page in client.paginate("DescribeInstances", {"Limit": 10}):
                pages.append(page)
                on_page(page)

        driver.run(walk())
    assert [p["TotalCount"] for p in pages] == [30, 15]
    assert [len(p["InstanceSet"]) for p in pages] == [10, 5]


def _token_handler(pages: List[Dict[str, Any]], request_name: str) -> Any:
    def handler(params: Dict[str, Any]) -> Dict[str, Any]:
        token = params.get(request_name)
        index = 0 if not token else int(str(token).split("-")[1])
        return pages[index]

    return handler


@pytest.mark.parametrize(
    ("request_name", "answer_name"),
    [("NextToken", "NextToken"), ("Context", "Context"), ("Cursor", "NextCursor")],
)
def test_token_paging(
    driver: Driver, emu: ApiEmulator, request_name: str, answer_name: str
) -> None:
    """A next-token member in the answer pages by token, sent back as the request member."""
    pages = [
        {"Items": [1, 2], answer_name: "t-1"},
        {"Items": [3], answer_name: "t-2"},
        {"Items": [4], answer_name: ""},
    ]
    emu.register("cls", "ListThings", _token_handler(pages, request_name))
    client = _client(driver, emu, "cls")
    assert all_items(driver, client.paginate("ListThings", {"Limit": 2})) == [1, 2, 3, 4]
    sent = [p.get(request_name) for p in _sent(emu, "ListThings")]
    assert sent == [None, "t-1", "t-2"]


def test_max_items_with_token_paging(driver: Driver, emu: ApiEmulator) -> None:
    """With a token scheme, max_items lowers Limit for the last page and leaves the token be."""
    pages = [
        {"Items": [1, 2], "NextToken": "t-1"},
        {"Items": [3, 4], "NextToken": "t-2"},
        {"Items": [5], "NextToken": ""},
    ]
    emu.register("cls", "ListThings", _token_handler(pages, "NextToken"))
    client = _client(driver, emu, "cls")
    got = all_items(driver, client.paginate("ListThings", {"Limit": 2}, max_items=3))
    assert got == [1, 2, 3]
    sent = [(p.get("NextToken"), p["Limit"]) for p in _sent(emu, "ListThings")]
    assert sent == [(None, 2), ("t-1", 1)]


def test_a_repeated_token_is_stuck(driver: Driver, emu: ApiEmulator) -> None:
    """A token the server already gave raises ClientError.PaginationStuck instead of looping."""
    pages = [{"Items": [1], "NextToken": "t-1"}, {"Items": [2], "NextToken": "t-1"}]
    emu.register("cls", "ListThings", _token_handler(pages, "NextToken"))
    client = _client(driver, emu, "cls")
    with pytest.raises(TencentCloudSDKException) as caught:
        all_items(driver, client.paginate("ListThings"))
    assert caught.value.code == "ClientError.PaginationStuck"
    assert len(_sent(emu, "ListThings")) == 2


def test_an_empty_page_below_the_total_is_stuck(driver: Driver, emu: ApiEmulator) -> None:
    """An offset page that adds nothing while TotalCount says more raises PaginationStuck."""
    emu.register(
        "cvm",
        "DescribeThings",
        lambda p: {"TotalCount": 10, "Things": [1, 2] if not p.get("Offset") else []},
    )
    client = _client(driver, emu)
    with pytest.raises(TencentCloudSDKException) as caught:
        all_pages(driver, client.paginate("DescribeThings"))
    assert caught.value.code == "ClientError.PaginationStuck"
    assert "TotalCount says 10" in str(caught.value.message)


def test_ambiguous_lists_need_a_scheme(driver: Driver, emu: ApiEmulator) -> None:
    """TotalCount with two lists is ambiguous until scheme= names the list to page."""

    def handler(p: Dict[str, Any]) -> Dict[str, Any]:
        offset = p.get("Offset", 0)
        return {"TotalCount": 3, "A": [offset], "B": ["x"]}

    emu.register("cvm", "DescribeMixed", handler)
    client = _client(driver, emu)
    with pytest.raises(TencentCloudSDKException) as caught:
        all_pages(driver, client.paginate("DescribeMixed"))
    assert caught.value.code == "ClientError.PaginationAmbiguous"
    assert "A, B" in str(caught.value.message)
    paged = client.paginate("DescribeMixed", scheme=PageScheme.offset(items="A"))
    assert all_items(driver, paged) == [0, 1, 2]


def test_page_number_paging(driver: Driver, emu: ApiEmulator) -> None:
    """PageNumber/PageSize in the params pages by number, from the page given."""
    data = list(range(7))

    def handler(p: Dict[str, Any]) -> Dict[str, Any]:
        size, number = p["PageSize"], p.get("PageNumber", 1)
        return {"TotalCount": len(data), "Rows": data[(number - 1) * size : number * size]}

    emu.register("cvm", "DescribeRows", handler)
    client = _client(driver, emu)
    assert all_items(driver, client.paginate("DescribeRows", {"PageSize": 3})) == data
    assert [p.get("PageNumber") for p in _sent(emu, "DescribeRows")] == [None, 2, 3]
    emu.clear_requests()
    paged = client.paginate("DescribeRows", {"PageSize": 3, "PageNumber": 2})
    assert all_items(driver, paged) == [3, 4, 5, 6]


def test_an_answer_without_paging_is_one_page(driver: Driver, emu: ApiEmulator) -> None:
    """No token and no TotalCount: the answer is the only page."""
    emu.register("cvm", "DescribeOne", lambda p: {"Zones": ["a", "b"]})
    client = _client(driver, emu)
    assert all_items(driver, client.paginate("DescribeOne")) == ["a", "b"]
    assert len(_sent(emu, "DescribeOne")) == 1


@pytest.mark.parametrize("bad", [0, -1, True, "3", 1.5])
def test_bad_max_items_fails_before_sending(driver: Driver, emu: ApiEmulator, bad: Any) -> None:
    """A bad max_items is a ClientError from paginate() itself; nothing is sent."""
    client = _client(driver, emu)
    with pytest.raises(TencentCloudSDKException) as caught:
        client.paginate("DescribeInstances", max_items=bad)
    assert caught.value.code == "ClientError"
    assert emu.requests == []


def test_bad_scheme_fails_at_once() -> None:
    """A scheme that is not offset/page/token is refused when the paginator is built."""
    with pytest.raises(TencentCloudSDKException):
        Pager("X", None, scheme="sideways")
    with pytest.raises(TencentCloudSDKException):
        PageScheme("diagonal")


def test_api_errors_reach_the_caller(driver: Driver, emu: ApiEmulator) -> None:
    """An API error on a later page propagates from the iteration, with its code."""
    enable_cvm(emu)
    client = _client(driver, emu)
    with pytest.raises(TencentCloudSDKException) as caught:
        all_pages(driver, client.paginate("DescribeInstances", {"Limit": 500}))
    assert caught.value.code == "InvalidParameterValue.LimitExceeded"


def _spec_dir() -> str:
    import tccli

    return os.path.join(os.path.dirname(tccli.__file__), "services")


def classify_all() -> Dict[str, int]:
    """How the inference rules classify every action of tccli's latest API versions."""
    counts: Dict[str, int] = {}
    root = _spec_dir()
    for service in sorted(os.listdir(root)):
        folder = os.path.join(root, service)
        if not os.path.isdir(folder):
            continue
        versions = sorted(
            v for v in os.listdir(folder) if v.startswith("v") and os.path.isdir(f"{folder}/{v}")
        )
        if not versions:
            continue
        with open(os.path.join(folder, versions[-1], "api.json"), encoding="utf-8") as fh:
            api = json.load(fh)
        objects = api["objects"]
        for action in api["actions"]:
            request = objects.get(f"{action}Request", {}).get("members", [])
            response = objects.get(f"{action}Response", {}).get("members", [])
            kind = classify_spec(
                [m["name"] for m in request], [(m["name"], m["type"]) for m in response]
            )
            key = kind or "none"
            counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.slow
def test_classification_of_tccli_specs() -> None:
    """The rules classify tccli 3.1.189.1's latest versions as the issue counted them."""
    counts = classify_all()
    # Offset: 1,375 actions have Offset+Limit, TotalCount and one list; 5 of them also
    # answer a next token and count as token paging here.
    assert counts == {
        "offset": 1370, "token": 120, "page": 72, "ambiguous": 64, "none": 12800
    }  # fmt: skip
    assert sum(counts.values()) == 14426


def test_cli_paginate_prints_every_item(
    emu: ApiEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """tcfunc call --paginate prints each item of every page, one JSON per line."""
    from tcfunc.cli import main

    _launch(emu, 25)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", CRED.secret_id)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    argv = ["call", "cvm", "2017-03-12", "DescribeInstances", "--region", REGION,
            "--params", '{"Limit": 10}', "--endpoint", f"http://{emu.endpoint}",
            "--paginate"]  # fmt: skip
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["InstanceName"] for line in lines] == [
        f"web-{n}" for n in range(1, 26)
    ]
    assert len(_sent(emu, "DescribeInstances")) == 3


def test_cli_paginate_and_sse_are_exclusive(
    emu: ApiEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """--paginate with --sse (or --waiter) is a usage error; nothing is sent."""
    from tcfunc.cli import main

    argv = ["call", "cvm", "2017-03-12", "DescribeInstances", "--endpoint",
            f"http://{emu.endpoint}", "--paginate", "--sse"]  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "--sse and --paginate cannot be used together" in capsys.readouterr().err
    assert emu.requests == []
