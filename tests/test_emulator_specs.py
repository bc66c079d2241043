"""The emulator with a tccli-style spec tree: validation and documented example answers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

import pytest
import urllib3

from tcfunc import ClientProfile, Credential, HttpProfile, RequestOptions, prepare_request
from tcfunc.testing._spec import SpecTree, parse_example_input
from tcfunc.testing.emulator import ApiEmulator, tccli_spec_dir

SECRET_ID = "AKIDspectest"
SECRET_KEY = "spec-test-key"
CRED = Credential(SECRET_ID, SECRET_KEY)


TCCLI = tccli_spec_dir()
needs_tccli = pytest.mark.skipif(TCCLI is None, reason="tccli (test-only) is not installed")

# A small tree of our own, so the behaviours are pinned without tccli too.
DEMO_API = {
    "actions": {
        "CreateThing": {"input": "CreateThingRequest", "output": "CreateThingResponse"},
        "Quiet": {"input": "QuietRequest", "output": "QuietResponse"},
    },
    "objects": {
        "CreateThingRequest": {
            "type": "object",
            "members": [
                {"name": "Name", "type": "string", "member": "string", "required": True},
                {"name": "Count", "type": "int", "member": "int64", "required": False},
                {"name": "Ratio", "type": "float", "member": "float", "required": False},
                {"name": "Enabled", "type": "bool", "member": "bool", "required": False},
                {"name": "Ids", "type": "list", "member": "uint64", "required": False},
                {"name": "Tags", "type": "list", "member": "Tag", "required": False},
                {"name": "Owner", "type": "object", "member": "Tag", "required": False},
            ],
        },
        "Tag": {
            "type": "object",
            "members": [
                {"name": "Key", "type": "string", "member": "string", "required": True},
                {"name": "Value", "type": "string", "member": "string", "required": False},
            ],
        },
        "QuietRequest": {"type": "object", "members": []},
    },
}
DEMO_EXAMPLES = {
    "actions": {
        "CreateThing": [
            {
                "title": "simple",
                "input": "POST / HTTP/1.1\nHost: demo.tencentcloudapi.com\n<公共请求参数>\n\n"
                '{"Name": "a"}',
                "output": '{"Response": {"ThingId": "thing-a", "RequestId": "doc-1"}}',
            },
            {
                "title": "with count",
                "input": "https://demo.tencentcloudapi.com/?Action=CreateThing\r\n&Name=b"
                "\r\n&Count=2\r\n&<公共请求参数>",
                "output": '{"Response": {"ThingId": "thing-b", "RequestId": "doc-2"}}',
            },
        ]
    }
}


@pytest.fixture
def demo_tree(tmp_path: Path) -> Path:
    folder = tmp_path / "demo" / "v20200101"
    folder.mkdir(parents=True)
    (folder / "api.json").write_text(json.dumps(DEMO_API), encoding="utf-8")
    (folder / "examples.json").write_text(json.dumps(DEMO_EXAMPLES), encoding="utf-8")
    return tmp_path


@pytest.fixture
def demo(demo_tree: Path) -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}, spec_dir=demo_tree) as emulator:
        yield emulator


class Wire(urllib3.PoolManager):
    """A pool that says how :func:`call` reaches the emulator: over loopback HTTP, or in
    process through ``emu.transport()``."""

    def __init__(self, mode: str) -> None:
        super().__init__(retries=False, timeout=5)
        self.mode = mode


# Every test that calls through call() runs over both carriers of the emulator's core.
@pytest.fixture(scope="module", params=["http", "inproc"])
def pool(request: pytest.FixtureRequest) -> Iterator[urllib3.PoolManager]:
    manager = Wire(request.param)
    yield manager
    manager.clear()


def call(
    pool: urllib3.PoolManager,
    emu: ApiEmulator,
    action: str,
    params: Optional[Mapping[str, Any]] = None,
    *,
    service: str = "demo",
    version: str = "2020-01-01",
    method: str = "POST",
) -> Dict[str, Any]:
    prepared = prepare_request(
        action,
        params or {},
        service=service,
        version=version,
        region="ap-guangzhou",
        credential=CRED,
        profile=ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, reqMethod=method)
        ),
    )
    if isinstance(pool, Wire) and pool.mode == "inproc":
        got = emu.transport().send(prepared, 5)
        status, data = got.status, got.read()
    else:
        resp = pool.request(
            prepared.method,
            prepared.url,
            headers=dict(prepared.headers),
            body=prepared.body or None,
        )
        status, data = resp.status, resp.data
    assert status == 200
    answer: Dict[str, Any] = json.loads(data)["Response"]
    return answer


def code_of(answer: Mapping[str, Any]) -> Optional[str]:
    error = answer.get("Error")
    return error["Code"] if error else None


# --- validation against a spec of our own ---------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code", "path"),
    [
        ({}, "MissingParameter", "`Name`"),
        ({"Name": None}, "MissingParameter", "`Name`"),
        ({"Name": "a", "Count": "ten"}, "InvalidParameter", "`Count`"),
        ({"Name": "a", "Count": 1.5}, "InvalidParameter", "`Count`"),
        ({"Name": "a", "Count": True}, "InvalidParameter", "`Count`"),
        ({"Name": "a", "Ratio": "fast"}, "InvalidParameter", "`Ratio`"),
        ({"Name": "a", "Enabled": "maybe"}, "InvalidParameter", "`Enabled`"),
        ({"Name": ["a"]}, "InvalidParameter", "`Name`"),
        ({"Name": "a", "Ids": "1"}, "InvalidParameter", "`Ids`"),
        ({"Name": "a", "Ids": [1, "x"]}, "InvalidParameter", "`Ids.1`"),
        ({"Name": "a", "Tags": [{"Value": "v"}]}, "MissingParameter", "`Tags.0.Key`"),
        ({"Name": "a", "Tags": ["k"]}, "InvalidParameter", "`Tags.0`"),
        ({"Name": "a", "Owner": {"Key": 5, "Value": {}}}, "InvalidParameter", "`Owner.Value`"),
    ],
)
def test_params_are_validated_against_the_spec(
    demo: ApiEmulator, pool: urllib3.PoolManager, params: Dict[str, Any], code: str, path: str
) -> None:
    """Missing required members are MissingParameter, wrong shapes InvalidParameter, by path."""
    answer = call(pool, demo, "CreateThing", params)
    assert code_of(answer) == code
    assert path in answer["Error"]["Message"]


def test_lenient_where_the_wire_is(demo: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Numbers and booleans as strings (GET, v1, documented JSON) pass."""
    params = {
        "Name": 7,
        "Count": "3",
        "Ratio": "0.5",
        "Enabled": "true",
        "Ids": ["1", 2],
        "Tags": [{"Key": "k", "Value": "v"}],
    }
    assert code_of(call(pool, demo, "CreateThing", params)) is None
    assert code_of(call(pool, demo, "CreateThing", params, method="GET")) is None


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"Name": "a", "Limt": 1}, "`Limt`"),
        ({"Name": "a", "Tags": [{"Key": "k", "Valeu": "v"}]}, "`Tags.0.Valeu`"),
        ({"Name": "a", "Owner": {"Key": "k", "Extra": {"x": 1}}}, "`Owner.Extra`"),
    ],
)
def test_a_member_the_action_does_not_define_is_unknown_parameter(
    demo: ApiEmulator, pool: urllib3.PoolManager, params: Dict[str, Any], path: str, method: str
) -> None:
    """A misspelt or undefined member answers UnknownParameter naming it, as the real API
    does, at any depth and whatever the method (a handler would never see it)."""
    answer = call(pool, demo, "CreateThing", params, method=method)
    assert code_of(answer) == "UnknownParameter"
    assert path in answer["Error"]["Message"]


def test_handlers_run_after_validation(demo: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """A registered handler answers valid requests; invalid ones never reach it."""
    calls: List[Dict[str, Any]] = []

    def handler(params: Dict[str, Any]) -> Dict[str, Any]:
        calls.append(params)
        return {"ThingId": "mine"}

    demo.register("demo", "CreateThing", handler)
    assert code_of(call(pool, demo, "CreateThing", {})) == "MissingParameter"
    assert call(pool, demo, "CreateThing", {"Name": "x"})["ThingId"] == "mine"
    assert calls == [{"Name": "x"}]


def test_unhandled_actions_answer_their_documented_example(
    demo: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """The example whose input equals the request answers, else the first; RequestId is fresh."""
    first = call(pool, demo, "CreateThing", {"Name": "zzz"})
    assert first["ThingId"] == "thing-a"
    assert first["RequestId"] != "doc-1"
    matched = call(pool, demo, "CreateThing", {"Name": "b", "Count": 2})
    assert matched["ThingId"] == "thing-b"
    # A GET request carries strings; it still matches the documented input.
    assert call(pool, demo, "CreateThing", {"Name": "b", "Count": 2}, method="GET")["ThingId"] == (
        "thing-b"
    )
    quiet = call(pool, demo, "Quiet")
    assert set(quiet) == {"RequestId"}


def test_unknown_actions_and_versions(demo: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Actions absent from api.json: InvalidAction; versions absent from the tree: NoSuchVersion."""
    assert code_of(call(pool, demo, "Nope")) == "InvalidAction"
    assert code_of(call(pool, demo, "CreateThing", {"Name": "a"}, version="2021-01-01")) == (
        "NoSuchVersion"
    )
    assert code_of(call(pool, demo, "CreateThing", service="other")) == "InvalidAction"


def test_unreadable_spec_files_are_ignored(
    tmp_path: Path, pool: urllib3.PoolManager, caplog: pytest.LogCaptureFixture
) -> None:
    """A corrupt api.json means no spec (logged); the emulator keeps answering from handlers."""
    folder = tmp_path / "demo" / "v20200101"
    folder.mkdir(parents=True)
    (folder / "api.json").write_text("{not json", encoding="utf-8")
    with ApiEmulator({SECRET_ID: SECRET_KEY}, spec_dir=tmp_path) as emu:
        emu.register("demo", "Handled", lambda _p: {"Ok": True})
        with caplog.at_level("WARNING", logger="tcfunc.testing"):
            assert code_of(call(pool, emu, "CreateThing", {"Name": "a"})) == "InvalidAction"
        assert call(pool, emu, "Handled")["Ok"] is True
    assert any("cannot read spec" in r.getMessage() for r in caplog.records)


# --- examples.json parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ('POST / HTTP/1.1\nHost: x\n<公共请求参数>\n\n{"A": 1}', {"A": 1}),
        ("POST / HTTP/1.1\r\nHost: x\r\n\r\n{\n  // note\n  \"A\": [1,],\n}", {"A": [1]}),
        ("POST / HTTP/1.1\nHost: x\n<公共请求参数>\n\n", {}),
        ("https://x.tencentcloudapi.com/?Action=Do\r\n&Ids.0=a\r\n&Ids.1=b\r\n&<公共请求参数>",
         {"Ids": ["a", "b"]}),
        ("https://x.tencentcloudapi.com/?Action=Do&Mail=a%40b.c&F.Name=n\n&<公共请求参数>",
         {"Mail": "a@b.c", "F": {"Name": "n"}}),
        ('{"Id": "i"}', {"Id": "i"}),
        ('Path : /x\n\n<body>\n{"Id": 2}', {"Id": 2}),
        (
            "POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=BB\r\n\r\n"
            '--BB\r\nContent-Disposition: form-data; name="File"; filename="f.jpg"\r\n\r\n'
            "data\r\n--BB--",
            {"File": "data"},
        ),
        ('POST / HTTP/1.1\n\n{"A": "{"broken"}"}', None),
    ],
    ids=["post", "comments", "empty", "query", "encoded", "bare", "marker", "multipart", "bad"],
)  # fmt: skip
def test_example_inputs_are_parsed(text: str, params: Optional[Dict[str, Any]]) -> None:
    """Each shape of documented input found in tccli reads as params (None when unreadable)."""
    assert parse_example_input(text) == params


# --- the real specs shipped with tccli ----------------------------------------------------------


@needs_tccli
@pytest.mark.parametrize(("service", "version"), [("cvm", "2017-03-12"), ("sts", "2018-08-13")])
def test_every_cvm_and_sts_example_passes_validation(service: str, version: str) -> None:
    """Every documented example input of cvm and sts is readable and valid, with no exemption."""
    assert TCCLI is not None
    spec = SpecTree(TCCLI).get(service, version)
    assert spec is not None
    checked = 0
    for action in spec.actions.values():
        assert action.exempt == frozenset(), action.name
        for example in action.examples:
            assert example.params is not None, (action.name, example.title)
            spec.validate(action.name, example.params)
            checked += 1
    assert checked > (100 if service == "cvm" else 5)


@needs_tccli
@pytest.mark.slow
def test_every_documented_example_of_every_service_passes() -> None:
    """Across all ~260 services, readable examples pass; docs/api.json conflicts stay rare.

    Where an example omits a member api.json calls required (or shapes it
    differently) the example wins for that member of that action: the docs
    are the ground truth for how strict to be.
    """
    assert TCCLI is not None
    tree = SpecTree(TCCLI)
    total = unreadable = 0
    actions = exempt_actions = 0
    for service in sorted(os.listdir(TCCLI)):
        for version in tree.versions(service):
            spec = tree.get(service, version)
            assert spec is not None
            for action in spec.actions.values():
                actions += 1
                exempt_actions += bool(action.exempt)
                for example in action.examples:
                    total += 1
                    if example.params is None:
                        unreadable += 1
                        continue
                    spec.validate(action.name, example.params)
    assert total > 15000
    assert unreadable / total < 0.001
    assert exempt_actions / actions < 0.01


@pytest.fixture
def real() -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}, spec_dir=TCCLI) as emulator:
        yield emulator


@needs_tccli
def test_cvm_validation_errors(real: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Real cvm actions: missing required members and wrong types are refused like the API."""
    cvm: Dict[str, Any] = {"service": "cvm", "version": "2017-03-12"}
    missing = call(pool, real, "AssociateSecurityGroups", {"SecurityGroupIds": ["sg-1"]}, **cvm)
    assert code_of(missing) == "MissingParameter"
    assert "`InstanceIds`" in missing["Error"]["Message"]
    wrong = call(pool, real, "DescribeInstances", {"Limit": "ten"}, **cvm)
    assert code_of(wrong) == "InvalidParameter"
    nested = call(pool, real, "DescribeInstances", {"Filters": [{"Values": ["z"]}]}, **cvm)
    assert code_of(nested) == "MissingParameter"
    assert "`Filters.0.Name`" in nested["Error"]["Message"]


@needs_tccli
def test_cvm_example_answers(real: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Real cvm actions without handlers answer their documented output, matched by input."""
    cvm: Dict[str, Any] = {"service": "cvm", "version": "2017-03-12"}
    zones = call(pool, real, "DescribeZones", **cvm)
    assert zones["ZoneSet"][0]["Zone"] == "ap-guangzhou-3"
    private = {"Filters": [{"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}], "Offset": 0,
               "Limit": 1}  # fmt: skip
    assert call(pool, real, "DescribeImages", private, **cvm)["TotalCount"] == 408
    assert call(pool, real, "DescribeImages", private, method="GET", **cvm)["TotalCount"] == 408
    assert call(pool, real, "DescribeImages", {}, **cvm)["TotalCount"] == 1


@needs_tccli
def test_sts_validation_and_examples(real: ApiEmulator, pool: urllib3.PoolManager) -> None:
    """Real sts AssumeRole: validated, answered from the docs, or minted once STS is enabled."""
    sts: Dict[str, Any] = {"service": "sts", "version": "2018-08-13"}
    missing = call(pool, real, "AssumeRole", {"RoleArn": "qcs::cam::uin/1:roleName/r"}, **sts)
    assert code_of(missing) == "MissingParameter"
    assert "`RoleSessionName`" in missing["Error"]["Message"]
    params = {"RoleArn": "qcs::cam::uin/1:roleName/r", "RoleSessionName": "s"}
    bad = call(pool, real, "AssumeRole", dict(params, DurationSeconds="long"), **sts)
    assert code_of(bad) == "InvalidParameter"
    documented = call(pool, real, "AssumeRole", dict(params, RoleSessionName="cts"), **sts)
    assert documented["Credentials"]["TmpSecretId"] == "AKID***"
    real.enable_sts()
    minted = call(pool, real, "AssumeRole", dict(params, RoleSessionName="cts"), **sts)
    assert minted["Credentials"]["TmpSecretId"] != "AKID***"
    assert code_of(call(pool, real, "AssumeRole", {"RoleArn": "x"}, **sts)) == "MissingParameter"


@needs_tccli
def test_official_client_reads_example_answers(real: ApiEmulator) -> None:
    """The official generated CVM client deserialises a documented example answer."""
    pytest.importorskip("tencentcloud.cvm")
    from tencentcloud.common.credential import Credential as OfficialCredential
    from tencentcloud.common.profile.client_profile import ClientProfile as OfficialClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile as OfficialHttpProfile
    from tencentcloud.cvm.v20170312 import cvm_client, models

    profile = OfficialClientProfile(
        httpProfile=OfficialHttpProfile(protocol="http", endpoint=real.endpoint, reqTimeout=5)
    )
    client = cvm_client.CvmClient(
        OfficialCredential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile
    )
    response = client.DescribeZones(models.DescribeZonesRequest())
    assert [zone.Zone for zone in response.ZoneSet][:1] == ["ap-guangzhou-3"]


@needs_tccli
def test_misspelt_cvm_param_is_unknown_parameter(
    real: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """DescribeInstances with {"Limt": 1} answers UnknownParameter, as production does."""
    answer = call(pool, real, "DescribeInstances", {"Limt": 1}, service="cvm", version="2017-03-12")
    assert code_of(answer) == "UnknownParameter"
    assert "`Limt`" in answer["Error"]["Message"]


def _upload_log(emu: ApiEmulator, headers: Mapping[str, str]) -> Dict[str, Any]:
    prepared = prepare_request(
        "UploadLog",
        None,
        service="cls",
        version="2020-10-16",
        region="ap-guangzhou",
        credential=CRED,
        profile=emu.client_profile(),
        headers=headers,
        options=RequestOptions(octet_stream=True, body=b"\x0a\x03log"),
    )
    resp = emu.transport().send(prepared, 5)
    answer: Dict[str, Any] = json.loads(resp.read())["Response"]
    return answer


@needs_tccli
def test_octet_stream_params_come_from_the_headers() -> None:
    """cls UploadLog sent with its documented X-CLS-TopicId header passes validation and the
    handler sees TopicId; without the header it is MissingParameter TopicId."""
    emu = ApiEmulator({SECRET_ID: SECRET_KEY}, spec_dir=TCCLI)
    assert code_of(_upload_log(emu, {"X-CLS-TopicId": "topic-1"})) is None
    seen: List[Dict[str, Any]] = []

    def upload(params: Dict[str, Any], request: Any) -> Dict[str, Any]:
        seen.append(params)
        assert request.body == b"\x0a\x03log"
        return {}

    emu.register("cls", "UploadLog", upload)
    headers = {"X-CLS-TopicId": "topic-1", "X-CLS-CompressType": "lz4"}
    assert code_of(_upload_log(emu, headers)) is None
    assert seen == [{"TopicId": "topic-1", "CompressType": "lz4"}]
    missing = _upload_log(emu, {})
    assert code_of(missing) == "MissingParameter"
    assert "TopicId" in missing["Error"]["Message"]


@needs_tccli
def test_v1_requests_to_loopback_can_name_their_service(
    real: ApiEmulator, pool: urllib3.PoolManager
) -> None:
    """v1 DescribeZones to 127.0.0.1 is ambiguous (several services define it): the error says
    how to name the service, and prefer_service("cvm") makes it cvm's documented answer."""
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=real.endpoint), signMethod="HmacSHA256"
    )
    prepared = prepare_request(
        "DescribeZones",
        {},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=CRED,
        profile=profile,
    )

    def ask() -> Dict[str, Any]:
        resp = pool.request(
            "POST", prepared.url, headers=dict(prepared.headers), body=prepared.body
        )
        answer: Dict[str, Any] = json.loads(resp.data)["Response"]
        return answer

    ambiguous = ask()
    assert code_of(ambiguous) == "InvalidAction"
    assert "prefer_service('<service>')" in ambiguous["Error"]["Message"]
    real.prefer_service("cvm")
    answer = ask()
    assert code_of(answer) is None
    assert "ZoneSet" in answer
    assert real.requests[-1].service == "cvm"
