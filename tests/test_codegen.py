"""tcfunc.codegen: typed service clients generated from tccli's api.json."""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import attrs
import pytest

from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException
from tcfunc.codegen import (
    clean_doc,
    generate,
    latest_version,
    load_spec,
    version_dir,
    write_package,
)
from tcfunc.codegen.__main__ import main as codegen_main
from tcfunc.sse import EventStream
from tcfunc.testing.emulator import ApiEmulator
from tcfunc.testing.fake import FakeTransport
from tcfunc.verify import verify_request

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tcfunc_gen_under_test"
SECRET_ID, SECRET_KEY = "AKIDcodegen", "codegen-secret"


def _tccli_services() -> Path:
    spec = importlib.util.find_spec("tccli")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("tccli (test-only dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "services"


def _member(name: str, kind: str, member: str, **extra: Any) -> Dict[str, Any]:
    return {"name": name, "type": kind, "member": member, "document": f"{name} doc", **extra}


# A small spec with the awkward cases: members named like types, request-only
# objects with required members, a streaming action, HTML and look-alike
# characters in documentation, an API name that is not CapWords.
DEMO_SPEC: Dict[str, Any] = {
    "version": "1.0",
    "metadata": {"apiVersion": "2024-01-01", "serviceShortName": "demo"},
    "actions": {
        "DescribeThings": {
            "name": "查询",
            "document": (
                '<p>Lists things\uff0cquoted \u2018x\u2019 \u2013 a """ b \\ c.</p>'
                "<li>one</li><li>two</li>"
            ),
            "input": "DescribeThingsRequest",
            "output": "DescribeThingsResponse",
            "status": "online",
        },
        "UploadThing": {
            "name": "upload",
            "document": "Uploads a file.",
            "input": "UploadThingRequest",
            "output": "UploadThingResponse",
            "status": "online",
        },
        "StreamChat": {
            "name": "chat",
            "document": "Streams.",
            "input": "StreamChatRequest",
            "output": "StreamChatResponse",
            "status": "deprecated",
        },
    },
    "objects": {
        "DescribeThingsRequest": {
            "type": "object",
            "document": "req",
            "members": [
                _member("Filters", "list", "Filter", required=False),
                _member("Limit", "int", "int64", required=True),
                _member("Ratio", "float", "float", required=False),
            ],
        },
        "DescribeThingsResponse": {
            "type": "object",
            "document": "resp",
            "members": [
                _member("List", "list", "Thing"),
                _member("Thing", "object", "Thing"),
                _member("Others", "list", "Thing"),
                _member("Best", "object", "Thing"),
                _member("Names", "list", "string"),
                _member("RequestId", "string", "string"),
            ],
        },
        "Filter": {
            "usage": "in",
            "document": "filter",
            "members": [
                _member("Name", "string", "string", required=True),
                _member("Values", "list", "string", required=True),
            ],
        },
        "Thing": {
            "usage": "both",
            "document": "A thing.",
            "members": [
                _member("Id", "string", "string", required=True),
                _member("Size", "int", "uint64", required=False),
                _member("On", "bool", "bool", disabled=True),
                _member("Secret_Box", "object", "Secret_Box"),
            ],
        },
        "Secret_Box": {
            "usage": "out",
            "document": "box",
            "members": [_member("Token", "string", "string")],
        },
        "UploadThingRequest": {
            "type": "object",
            "document": "upload",
            "members": [
                _member("File", "binary", "binary", required=True),
                _member("Name", "string", "string", required=False),
            ],
        },
        "UploadThingResponse": {
            "type": "object",
            "document": "upload",
            "members": [_member("Size", "int", "int64"), _member("RequestId", "string", "string")],
        },
        "StreamChatRequest": {
            "type": "object",
            "document": "chat",
            "members": [
                _member("Prompt", "string", "string", required=True),
                _member("Stream", "bool", "bool", required=False),
            ],
        },
        "StreamChatResponse": {
            "type": "object",
            "document": "chat",
            "members": [
                _member("Words", "list", "string"),
                _member("RequestId", "string", "string"),
            ],
        },
    },
}


# Small tccli specs with the awkward cases, generated beside cvm and sts so that
# the ruff and mypy tests below check them too (tests/test_codegen_specs.py
# checks every spec, marked slow): a member named List (tsi), an object named
# Model (tia), a boolean Stream member (es), binary members (cii), a member
# named Optional (faceid 2018-03-01).
SAMPLE_SPECS = (
    ("tsi", "2021-03-25"),
    ("tia", "2018-02-26"),
    ("es", "2025-01-01"),
    ("cii", "2021-04-08"),
    ("faceid", "2018-03-01"),
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """cvm, sts and the sample specs from tccli plus the demo spec, in one importable package."""
    services = _tccli_services()
    out = tmp_path_factory.mktemp("generated")
    for service in ("cvm", "sts"):
        write_package(services, service, out, package=PACKAGE)
    for service, version in SAMPLE_SPECS:
        if (services / service / version_dir(version) / "api.json").is_file():
            write_package(services, service, out, version=version, package=PACKAGE)
    demo_dir = tmp_path_factory.mktemp("specs") / "demo" / "v20240101"
    demo_dir.mkdir(parents=True)
    (demo_dir / "api.json").write_text(json.dumps(DEMO_SPEC), encoding="utf-8")
    # No sse_actions: StreamChat's request has a boolean Stream member, which is enough.
    write_package(demo_dir.parent.parent, "demo", out, package=PACKAGE)
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_layout_is_package_service_version(generated: Path) -> None:
    """The files land in NAME/<svc>/v<yyyymmdd>/ with package __init__ files."""
    names = sorted(str(p.relative_to(generated)) for p in generated.rglob("*.py"))
    for expected in (
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/cvm/__init__.py",
        f"{PACKAGE}/cvm/v20170312/__init__.py",
        f"{PACKAGE}/cvm/v20170312/client.py",
        f"{PACKAGE}/cvm/v20170312/models.py",
        f"{PACKAGE}/sts/v20180813/client.py",
    ):
        assert expected in names


def test_generated_code_passes_ruff_check_and_format(generated: Path) -> None:
    """Generated code is clean under the project's ruff rules and already formatted."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed")
    config = str(ROOT / "pyproject.toml")
    check = _run("ruff", "check", "--config", config, "--no-cache", PACKAGE, cwd=generated)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = _run(
        "ruff", "format", "--config", config, "--check", "--no-cache", PACKAGE, cwd=generated
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_generated_code_passes_ruff_in_a_project_with_ruff_defaults(generated: Path) -> None:
    """The ruff.toml written at the package root keeps the code clean without the project's config.

    ruff runs from the output directory, outside this repository, so only the
    generated ruff.toml applies (ruff's default line length is 88; the code is
    laid out for 100).
    """
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed")
    assert not any((d / "pyproject.toml").exists() for d in (generated, *generated.parents))
    config = (generated / PACKAGE / "ruff.toml").read_text("utf-8")
    assert "line-length = 100" in config
    fmt = _run("ruff", "format", "--check", "--no-cache", PACKAGE, cwd=generated)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    # Exactly what a user runs: the generated ruff.toml alone decides the rules.
    check = _run("ruff", "check", "--no-cache", PACKAGE, cwd=generated)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_generated_ruff_toml_selects_tcfunc_s_own_rules(generated: Path) -> None:
    """ruff.toml names a real rule set, at least pyproject's selection, with reasons for ignores.

    ruff's default rules change between versions (0.17 includes pyupgrade's),
    so a configuration that selects nothing checks something else each time.
    """
    if sys.version_info < (3, 11):
        pytest.skip("tomllib is Python 3.11+")
    import tomllib

    generated_config = tomllib.loads((generated / PACKAGE / "ruff.toml").read_text("utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["ruff"]["lint"]
    assert set(project["select"]) <= set(generated_config["lint"]["select"])
    # Each rule left out is one the project leaves out too.
    assert set(generated_config["lint"]["ignore"]) <= set(project["ignore"])
    text = (generated / PACKAGE / "ruff.toml").read_text("utf-8")
    for rule in generated_config["lint"]["ignore"]:
        line = text.index(f'"{rule}"')
        assert text[:line].rstrip().splitlines()[-1].lstrip().startswith(("#", '"')), rule


def test_the_package_ruff_toml_is_kept_when_present(tmp_path: Path) -> None:
    """write_package writes ruff.toml once: a project's own edits to it survive regeneration."""
    services = _tccli_services()
    written = write_package(services, "sts", tmp_path, package="p")
    config = tmp_path / "p" / "ruff.toml"
    assert config in written
    config.write_text("line-length = 120\n", encoding="utf-8")
    again = write_package(services, "sts", tmp_path, package="p")
    assert config not in again
    assert config.read_text("utf-8") == "line-length = 120\n"


def test_generated_code_passes_mypy_strict(generated: Path, tmp_path: Path) -> None:
    """Generated clients and models type-check under mypy --strict."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    result = _run(
        "mypy",
        "--strict",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(tmp_path / "mypy"),
        "-p",
        PACKAGE,
        cwd=generated,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generation_is_reproducible(tmp_path: Path) -> None:
    """The same spec gives the same bytes, whichever directory it is written to."""
    services = _tccli_services()
    first = write_package(services, "cvm", tmp_path / "a", package="p")
    second = write_package(services, "cvm", tmp_path / "b", package="p")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    _vdir, spec = load_spec(services, "cvm")
    again = generate(copy.deepcopy(spec), service="cvm")
    assert again["models.py"] == (tmp_path / "a/p/cvm/v20170312/models.py").read_text("utf-8")


def test_the_default_version_is_the_latest_in_the_tree(tmp_path: Path) -> None:
    """Without --version the newest vYYYYMMDD directory that has an api.json is used."""
    for vdir in ("v20170312", "v20200101", "v20990101"):
        (tmp_path / "svc" / vdir).mkdir(parents=True)
    for vdir in ("v20170312", "v20200101"):
        spec = dict(DEMO_SPEC, metadata={"apiVersion": "x"})
        (tmp_path / "svc" / vdir / "api.json").write_text(json.dumps(spec), encoding="utf-8")
    assert latest_version(tmp_path, "svc") == "v20200101"
    written = write_package(tmp_path, "svc", tmp_path / "out")
    assert any("v20200101" in str(p) for p in written)
    client = (tmp_path / "out/tcfunc_services/svc/v20200101/client.py").read_text("utf-8")
    assert '_apiVersion = "2020-01-01"' in client
    assert "class SvcClient(AbstractClient):" in client


def test_generated_client_has_one_pascalcase_method_per_action(generated: Path) -> None:
    """CvmClient mirrors the official one: DescribeInstances(req) -> typed response."""
    mod = importlib.import_module(f"{PACKAGE}.cvm.v20170312")
    spec = json.loads((_tccli_services() / "cvm/v20170312/api.json").read_text(encoding="utf-8"))
    for action in spec["actions"]:
        assert callable(getattr(mod.CvmClient, action))
    assert mod.CvmClient._service == "cvm"
    assert mod.CvmClient._apiVersion == "2017-03-12"
    assert "DescribeInstances" in (mod.CvmClient.DescribeInstances.__doc__ or "")


def test_every_documented_cvm_example_parses_into_its_response_model(generated: Path) -> None:
    """Each examples.json output of cvm reads into the generated model and writes back the same."""
    models = importlib.import_module(f"{PACKAGE}.cvm.v20170312.models")
    folder = _tccli_services() / "cvm/v20170312"
    api = json.loads((folder / "api.json").read_text(encoding="utf-8"))
    examples = json.loads((folder / "examples.json").read_text(encoding="utf-8"))

    def without_nulls(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: without_nulls(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [without_nulls(v) for v in value]
        return value

    checked = 0
    for action, cases in examples["actions"].items():
        response_type = getattr(models, api["actions"][action]["output"])
        for case in cases:
            document = json.loads(case["output"])["Response"]
            parsed = response_type.from_api(document)
            assert parsed.extra == {}, f"{action}: undeclared fields {list(parsed.extra)}"
            assert parsed.to_api() == without_nulls(document), action
            checked += 1
    assert checked > 100


def test_describe_instances_and_assume_role_through_generated_clients(generated: Path) -> None:
    """Generated cvm and sts clients call the spec-validating emulator and return typed models."""
    cvm = importlib.import_module(f"{PACKAGE}.cvm.v20170312")
    cvm_models = importlib.import_module(f"{PACKAGE}.cvm.v20170312.models")
    sts = importlib.import_module(f"{PACKAGE}.sts.v20180813")
    sts_models = importlib.import_module(f"{PACKAGE}.sts.v20180813.models")
    with ApiEmulator({SECRET_ID: SECRET_KEY}, spec_dir=_tccli_services()) as emu:
        emu.enable_sts()
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))
        cred = Credential(SECRET_ID, SECRET_KEY)
        client = cvm.CvmClient(cred, "ap-guangzhou", profile)
        request = cvm_models.DescribeInstancesRequest(
            Filters=[cvm_models.Filter(Name="zone", Values=["ap-guangzhou-3"])],
            Limit=1,
            headers={"X-TC-TraceId": "trace-codegen"},
        )
        resp = client.DescribeInstances(request)
        assert isinstance(resp, cvm_models.DescribeInstancesResponse)
        assert isinstance(resp.TotalCount, int)
        assert resp.InstanceSet
        assert isinstance(resp.InstanceSet[0], cvm_models.Instance)
        assert isinstance(resp.InstanceSet[0].Placement, cvm_models.Placement)
        assert resp.RequestId
        seen = emu.requests[-1]
        assert seen.params == {
            "Filters": [{"Name": "zone", "Values": ["ap-guangzhou-3"]}],
            "Limit": 1,
        }

        # The spec is enforced: a wrong type for a documented member is refused.
        bad = cvm_models.DescribeInstancesRequest(extra={"Limit": "many"})
        with pytest.raises(TencentCloudSDKException) as info:
            client.DescribeInstances(bad)
        assert info.value.code == "InvalidParameter"

        sts_client = sts.StsClient(cred, "ap-guangzhou", profile)
        role = sts_client.AssumeRole(
            sts_models.AssumeRoleRequest(
                RoleArn="qcs::cam::uin/100000000001:roleName/demo", RoleSessionName="codegen"
            )
        )
        assert isinstance(role.Credentials, sts_models.Credentials)
        assert role.Credentials.TmpSecretKey
        assert role.Credentials.TmpSecretKey not in repr(role)
        assert isinstance(role.ExpiredTime, int)


def test_required_request_members_are_required_constructor_arguments(generated: Path) -> None:
    """Request-side required members have no default; response-side members are all optional."""
    sts_models = importlib.import_module(f"{PACKAGE}.sts.v20180813.models")
    with pytest.raises(TypeError):
        sts_models.AssumeRoleRequest(RoleSessionName="x")
    fields = {f.name: f for f in attrs.fields(sts_models.AssumeRoleRequest)}
    assert fields["RoleArn"].default is attrs.NOTHING
    assert fields["DurationSeconds"].default is None
    assert all(
        f.default is None
        for f in attrs.fields(sts_models.AssumeRoleResponse)
        if f.name not in ("headers", "extra")
    )


def test_members_named_like_types_keep_their_types(generated: Path) -> None:
    """A member named List or Thing does not hide those types from later members."""
    models = importlib.import_module(f"{PACKAGE}.demo.v20240101.models")
    source = Path(models.__file__ or "").read_text("utf-8")
    assert "Others: Optional[list[_Thing]] = None" in source
    assert "_Thing = Thing" in source
    resp = models.DescribeThingsResponse.from_api(
        {
            "List": [{"Id": "a"}],
            "Thing": {"Id": "b", "Secret_Box": {"Token": "tok"}},
            "Others": [{"Id": "c", "Size": 2}],
            "Best": {"Id": "d"},
            "Names": ["x"],
        }
    )
    assert resp.List == [models.Thing(Id="a")]
    assert resp.Others == [models.Thing(Id="c", Size=2)]
    assert isinstance(resp.Best, models.Thing)
    assert resp.Thing is not None
    assert resp.Thing.Secret_Box == models.Secret_Box(Token="tok")
    assert "tok" not in repr(resp)


def test_documentation_becomes_clean_docstrings(generated: Path) -> None:
    """HTML is stripped, look-alike punctuation turned ASCII, quotes and backslashes escaped."""
    client = importlib.import_module(f"{PACKAGE}.demo.v20240101.client")
    doc = client.DemoClient.DescribeThings.__doc__ or ""
    assert "<p>" not in doc
    assert 'Lists things,quoted \'x\' - a """ b \\ c.' in doc
    assert "- one\n" in doc
    stream_doc = client.DemoClient.StreamChat.__doc__ or ""
    assert "deprecated" in stream_doc
    models = importlib.import_module(f"{PACKAGE}.demo.v20240101.models")
    source = Path(models.__file__ or "").read_text("utf-8")
    assert "Hidden in the API documentation." in source
    assert "class Secret_Box(Model):  # noqa: N801" in source


def test_clean_doc_keeps_text_and_drops_markup() -> None:
    """clean_doc: tags out, entities decoded, list items and breaks kept as lines."""
    text = clean_doc("<p>a&amp;b<br/>c</p><ul><li>x</li></ul>\u3000end")
    assert text == "a&b\nc\n\n- x\n\nend"
    assert clean_doc(None) == ""


def _chat(params: Dict[str, Any]) -> Any:
    """The emulator's StreamChat: events with Stream=True, one JSON answer otherwise."""
    words = str(params["Prompt"]).split()
    if not params.get("Stream"):
        return {"Words": words}
    return iter([{"data": json.dumps({"Word": word})} for word in words])


def test_a_streaming_action_decides_from_the_answer_at_run_time(generated: Path) -> None:
    """An action whose request has Stream returns events for an event stream, else its model.

    The method is generated with ``sse="auto"``: the answer's Content-Type
    decides, as in the official SDK; the return type says both.
    """
    client_mod = importlib.import_module(f"{PACKAGE}.demo.v20240101")
    models = importlib.import_module(f"{PACKAGE}.demo.v20240101.models")
    source = Path(client_mod.client.__file__).read_text("utf-8")
    assert "-> Union[models.StreamChatResponse, EventStream]:" in source
    assert 'sse="auto"' in source
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emu:
        emu.register("demo", "StreamChat", _chat)
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))
        client = client_mod.DemoClient(Credential(SECRET_ID, SECRET_KEY), "", profile)
        stream = client.StreamChat(models.StreamChatRequest(Prompt="hello there", Stream=True))
        assert isinstance(stream, EventStream)
        with stream:
            words = [json.loads(e["data"])["Word"] for e in stream]
        assert words == ["hello", "there"]
        answer = client.StreamChat(models.StreamChatRequest(Prompt="hello there"))
        assert isinstance(answer, models.StreamChatResponse)
        assert answer.Words == ["hello", "there"]


def test_actions_without_stream_are_plain_methods() -> None:
    """Only actions with a boolean Stream member (or named by --sse) get sse="auto"."""
    spec = copy.deepcopy(DEMO_SPEC)
    spec["objects"]["DescribeThingsRequest"]["members"].append(
        _member("Stream", "string", "string")  # a stream's name, not a streaming flag
    )
    client = generate(spec, service="demo")["client.py"]
    describe = client[client.index("def DescribeThings") :].split("def ", 2)[1]
    assert "Union[" not in describe
    assert "sse=" not in describe
    named = generate(spec, service="demo", sse_actions=["DescribeThings"])["client.py"]
    describe = named[named.index("def DescribeThings") :].split("def ", 2)[1]
    assert "Union[models.DescribeThingsResponse, EventStream]" in describe
    assert 'sse="auto"' in describe


def test_binary_members_are_sent_as_multipart_file_parts(generated: Path) -> None:
    """An action with a binary member sends multipart/form-data, the bytes as a file part."""
    client_mod = importlib.import_module(f"{PACKAGE}.demo.v20240101")
    models = importlib.import_module(f"{PACKAGE}.demo.v20240101.models")
    fake = FakeTransport().add_json({"Size": 5}, action="UploadThing")
    client = client_mod.DemoClient(
        Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", transport=fake
    )
    data = b"\x00\xff\r\nfile-bytes"
    resp = client.UploadThing(models.UploadThingRequest(File=data, Name="scan.dcm"))
    assert resp.Size == 5
    sent = fake.requests[0]
    content_type = {k.lower(): v for k, v in sent.headers.items()}["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert b'name="File"; filename="File"' in sent.body
    verified = verify_request(
        sent.method,
        sent.url,
        dict(sent.headers),
        sent.body,
        lookup_secret={SECRET_ID: SECRET_KEY}.get,
    )
    assert verified.action == "UploadThing"
    assert verified.params == {"File": data, "Name": "scan.dcm"}
    # Actions without binary members keep the JSON body.
    assert "RequestOptions" not in Path(
        importlib.import_module(f"{PACKAGE}.cvm.v20170312.client").__file__ or ""
    ).read_text("utf-8")


def test_cii_upload_actions_are_generated_as_multipart() -> None:
    """cii's UploadMedicalFile (File: binary) passes multipart options, as the official SDK."""
    _vdir, spec = load_spec(_tccli_services(), "cii", "2021-04-08")
    client = generate(spec, service="cii", actions=["UploadMedicalFile"])["client.py"]
    assert "from tcfunc.request import RequestOptions" in client
    assert 'options=RequestOptions(multipart=True, binary_params=("File",))' in client


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (
            lambda s: s["objects"]["Filter"]["members"][0].update(type="weird"),
            "unknown member type",
        ),
        (lambda s: s["objects"]["Filter"]["members"][0].update(name="class"), "not usable"),
        (lambda s: s["objects"]["Filter"]["members"][1].update(name="Name"), "duplicate"),
        (lambda s: s["objects"]["Filter"]["members"][1].update(member="Nope"), "unknown type"),
        (lambda s: s["actions"]["DescribeThings"].update(output="Nope"), "unknown input or output"),
    ],
)
def test_specs_that_cannot_become_python_are_refused(mutate: Any, needle: str) -> None:
    """A spec with an unknown type or an unusable name raises ClientError saying what."""
    spec = copy.deepcopy(DEMO_SPEC)
    mutate(spec)
    with pytest.raises(TencentCloudSDKException) as info:
        generate(spec, service="demo")
    assert info.value.code == "ClientError"
    assert needle in str(info.value.message)


def test_actions_option_keeps_only_those_actions_and_the_models_they_reach() -> None:
    """--action DescribeThings generates that method and only the objects it uses."""
    files = generate(DEMO_SPEC, service="demo", actions=["DescribeThings"])
    assert "def DescribeThings(" in files["client.py"]
    assert "StreamChat" not in files["client.py"]
    models = files["models.py"]
    for name in (
        "DescribeThingsRequest",
        "DescribeThingsResponse",
        "Filter",
        "Thing",
        "Secret_Box",
    ):
        assert f"class {name}(" in models
    assert "StreamChatRequest" not in models
    with pytest.raises(TencentCloudSDKException, match="no action Nope"):
        generate(DEMO_SPEC, service="demo", actions=["Nope"])


def test_an_unknown_sse_action_is_refused() -> None:
    """--sse must name an action of the service."""
    with pytest.raises(TencentCloudSDKException, match="NoSuchAction"):
        generate(DEMO_SPEC, service="demo", sse_actions=["NoSuchAction"])


def test_the_command_line_reports_errors_with_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """python -m tcfunc.codegen: 0 with the files listed, 1 for a missing service, 2 for usage."""
    spec_dir = tmp_path / "specs" / "demo" / "v20240101"
    spec_dir.mkdir(parents=True)
    (spec_dir / "api.json").write_text(json.dumps(DEMO_SPEC), encoding="utf-8")
    out = tmp_path / "out"
    assert codegen_main([str(tmp_path / "specs"), "--service", "demo", "--out", str(out)]) == 0
    assert "client.py" in capsys.readouterr().out
    code = codegen_main(
        [str(tmp_path / "specs"), "--service", "cvm", "--version", "2017-03-12", "--out", str(out)]
    )
    assert code == 1
    assert capsys.readouterr().err.startswith("ClientError: no api.json for cvm v20170312")
    with pytest.raises(SystemExit) as info:
        codegen_main([str(tmp_path / "specs"), "--service", "demo"])
    assert info.value.code == 2
    assert "--out" in capsys.readouterr().err
    bad_version = [str(tmp_path / "specs"), "--service", "demo", "--out", str(out)]
    assert codegen_main([*bad_version, "--version", "yesterday"]) == 1


# ---------------------------------------------------------------------------
# python -m tcfunc.codegen: --sse and --action with several --service values
# (SERVICE:ACTION or a bare ACTION). Kept apart from the generator tests above.


def _cli_spec(version: str, *actions: str) -> Dict[str, Any]:
    """A minimal valid spec with ``actions``, each taking and returning one string."""
    spec: Dict[str, Any] = {
        "version": "1.0",
        "metadata": {"apiVersion": version},
        "actions": {},
        "objects": {},
    }
    for action in actions:
        spec["actions"][action] = {
            "name": action,
            "document": f"{action}.",
            "input": f"{action}Request",
            "output": f"{action}Response",
            "status": "online",
        }
        for suffix in ("Request", "Response"):
            spec["objects"][f"{action}{suffix}"] = {
                "type": "object",
                "document": suffix,
                "members": [_member("Text", "string", "string", required=False)],
            }
    return spec


@pytest.fixture
def two_services(tmp_path: Path) -> Path:
    """A services tree: alpha (Describe, Chat) and beta (Describe, Chat, Upload)."""
    for service, version, actions in (
        ("alpha", "2020-01-01", ("Describe", "Chat")),
        ("beta", "2021-02-02", ("Describe", "Chat", "Upload")),
    ):
        vdir = tmp_path / "specs" / service / f"v{version.replace('-', '')}"
        vdir.mkdir(parents=True)
        text = json.dumps(_cli_spec(version, *actions))
        (vdir / "api.json").write_text(text, encoding="utf-8")
    return tmp_path / "specs"


def _signature(client: str, action: str) -> str:
    """The ``def`` line(s) of ``action`` in a generated client.py."""
    start = client.index(f"def {action}(")
    return client[start : client.index(":\n", start)]


def _client_text(out: Path, service: str) -> str:
    return next((out / "gen" / service).glob("v*/client.py")).read_text("utf-8")


def _codegen(services: Path, out: Path, *flags: str) -> int:
    base = [str(services), "--service", "alpha", "--service", "beta", "--out", str(out)]
    return codegen_main([*base, "--package", "gen", *flags])


def test_codegen_cli_qualified_sse_marks_only_that_services_action(
    two_services: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--sse beta:Chat streams beta's Chat; alpha's Chat stays a plain call."""
    out = tmp_path / "out"
    assert _codegen(two_services, out, "--sse", "beta:Chat") == 0
    assert "EventStream]" in _signature(_client_text(out, "beta"), "Chat")
    assert "EventStream]" not in _signature(_client_text(out, "alpha"), "Chat")
    assert "client.py" in capsys.readouterr().out


def test_codegen_cli_bare_sse_applies_to_every_service_that_has_it(
    two_services: Path, tmp_path: Path
) -> None:
    """A bare --sse Upload names beta's action and does not fail on alpha, which lacks it."""
    out = tmp_path / "out"
    assert _codegen(two_services, out, "--sse", "Upload", "--sse", "Chat") == 0
    beta, alpha = _client_text(out, "beta"), _client_text(out, "alpha")
    assert "EventStream]" in _signature(beta, "Upload")
    assert "EventStream]" in _signature(beta, "Chat")
    assert "EventStream]" in _signature(alpha, "Chat")
    assert "EventStream]" not in _signature(alpha, "Describe")


def test_codegen_cli_action_limits_only_the_services_it_names(
    two_services: Path, tmp_path: Path
) -> None:
    """--action beta:Upload keeps only Upload in beta; alpha, not named, is generated whole."""
    out = tmp_path / "out"
    assert _codegen(two_services, out, "--action", "beta:Upload") == 0
    beta, alpha = _client_text(out, "beta"), _client_text(out, "alpha")
    assert "def Upload(" in beta
    assert "def Describe(" not in beta
    assert "def Describe(" in alpha
    assert "def Chat(" in alpha
    # A bare --action applies to each service that has it.
    again = tmp_path / "again"
    assert _codegen(two_services, again, "--action", "Upload", "--action", "Describe") == 0
    beta, alpha = _client_text(again, "beta"), _client_text(again, "alpha")
    assert "def Upload(" in beta
    assert "def Describe(" in beta
    assert "def Chat(" not in beta
    assert "def Describe(" in alpha
    assert "def Chat(" not in alpha


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--sse", "Nope"], "--sse Nope: no listed service (alpha, beta) has that action"),
        (["--action", "Nope"], "--action Nope: no listed service"),
        (["--sse", "alpha:Upload"], "alpha has no action Upload"),
        (["--action", "gamma:Chat"], "gamma is not one of the --service values"),
        (["--sse", ":Chat"], "must be ACTION or SERVICE:ACTION"),
        (["--action", "beta:"], "must be ACTION or SERVICE:ACTION"),
        (["--version", "2020-01-01"], "--version applies to a single --service"),
    ],
)
def test_codegen_cli_actions_no_service_has_are_usage_errors(
    two_services: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: List[str],
    needle: str,
) -> None:
    """An --sse/--action no listed service has prints usage and the problem; exit 2, no files."""
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        _codegen(two_services, out, *flags)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m tcfunc.codegen")
    assert needle in err
    assert not out.exists()


def test_codegen_cli_cvm_and_hunyuan_with_a_bare_sse_action(tmp_path: Path) -> None:
    """The reported case: --service cvm --service hunyuan --sse ChatCompletions succeeds."""
    services = _tccli_services()
    if not (services / "hunyuan").is_dir():
        pytest.skip("this tccli has no hunyuan spec")
    out = tmp_path / "out"
    flags = ["--sse", "ChatCompletions", "--action", "cvm:DescribeZones", "--package", "gen"]
    args = [str(services), "--service", "cvm", "--service", "hunyuan", "--out", str(out)]
    code = codegen_main([*args, *flags])
    assert code == 0
    hunyuan = _client_text(out, "hunyuan")
    assert "EventStream]" in _signature(hunyuan, "ChatCompletions")
    assert "def DescribeZones(" in _client_text(out, "cvm")


def test_generated_models_refuse_wrong_member_types(generated: Path) -> None:
    """DescribeInstancesRequest(Limit="10"), Filters={...}, Filter(Values="str") raise ClientError.

    The message names the model and the member; the checks are generated code.
    """
    models = importlib.import_module(f"{PACKAGE}.cvm.v20170312.models")
    cases: List[Tuple[Callable[[], object], str]] = [
        (lambda: models.DescribeInstancesRequest(Limit="10"), "DescribeInstancesRequest.Limit"),
        (
            lambda: models.DescribeInstancesRequest(Filters={"Name": "zone"}),
            "DescribeInstancesRequest.Filters: expected a list of Filter, got dict",
        ),
        (
            lambda: models.Filter(Name="zone", Values="ap-guangzhou-3"),
            "Filter.Values: expected a list of str, got str",
        ),
        (
            lambda: models.RunInstancesRequest(Placement={"Zone": "z"}),
            "RunInstancesRequest.Placement: expected Placement, got dict",
        ),
    ]
    for build, needle in cases:
        with pytest.raises(TencentCloudSDKException) as info:
            build()
        assert info.value.code == "ClientError"
        assert needle in str(info.value.message)
    ok = models.DescribeInstancesRequest(
        Filters=[models.Filter(Name="zone", Values=["ap-guangzhou-3"])], Limit=10
    )
    assert ok.to_api() == {"Filters": [{"Name": "zone", "Values": ["ap-guangzhou-3"]}], "Limit": 10}


def test_generated_responses_are_read_leniently(generated: Path) -> None:
    """An answer with a string where the spec says int, and a new member, still parses."""
    models = importlib.import_module(f"{PACKAGE}.cvm.v20170312.models")
    resp = models.DescribeInstancesResponse.from_api(
        {
            "TotalCount": "1",
            "InstanceSet": [{"InstanceId": "ins-1", "CPU": "2", "Brand": "new"}],
            "RequestId": "r",
        }
    )
    assert resp.InstanceSet is not None
    assert resp.InstanceSet[0].InstanceId == "ins-1"
    assert resp.InstanceSet[0].extra == {"Brand": "new"}
    count: Any = resp.TotalCount
    assert count == "1"
    # A request read from JSON is checked like a constructed one.
    with pytest.raises(TencentCloudSDKException, match=r"DescribeInstancesRequest\.Limit"):
        models.DescribeInstancesRequest.from_json_string('{"Limit": "10"}')


def test_a_generated_method_refuses_a_dict_or_another_actions_model(generated: Path) -> None:
    """DescribeInstances({...}) and DescribeInstances(DescribeZonesRequest()) are ClientErrors.

    Nothing is sent: before the fix a dict failed with AttributeError
    ('dict' object has no attribute 'to_api') and the wrong model was sent.
    """
    cvm = importlib.import_module(f"{PACKAGE}.cvm.v20170312")
    models = importlib.import_module(f"{PACKAGE}.cvm.v20170312.models")
    fake = FakeTransport().add_json({"TotalCount": 0, "InstanceSet": []})
    client = cvm.CvmClient(Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", transport=fake)
    with pytest.raises(TencentCloudSDKException) as info:
        client.DescribeInstances({"Limit": 1})
    assert info.value.code == "ClientError"
    assert "DescribeInstances takes a DescribeInstancesRequest, got dict" in str(info.value.message)
    assert "DescribeInstancesRequest(**params)" in str(info.value.message)
    with pytest.raises(TencentCloudSDKException) as info:
        client.DescribeInstances(models.DescribeZonesRequest())
    assert "got DescribeZonesRequest" in str(info.value.message)
    assert fake.requests == []
    assert client.DescribeInstances(models.DescribeInstancesRequest()).TotalCount == 0


def test_the_official_in_place_idioms_fail_loudly_on_generated_models(generated: Path) -> None:
    """req.from_json_string(s) and req.Limit = 1 raise ClientErrors that say what to write."""
    models = importlib.import_module(f"{PACKAGE}.cvm.v20170312.models")
    req = models.DescribeInstancesRequest()
    with pytest.raises(TencentCloudSDKException) as info:
        req.from_json_string('{"Limit": 1}')
    assert "req = DescribeInstancesRequest.from_json_string(s)" in str(info.value.message)
    with pytest.raises(TencentCloudSDKException) as info:
        req.Limit = 1
    assert "pass Limit=... to the constructor, DescribeInstancesRequest(Limit=...)" in str(
        info.value.message
    )
    assert models.DescribeInstancesRequest.from_json_string('{"Limit": 1}').Limit == 1


def test_the_async_client_is_written_beside_the_sync_one(generated: Path) -> None:
    """async_client.py has AsyncCvmClient: async def DescribeInstances(self, request, opts=None)."""
    source = (generated / PACKAGE / "cvm/v20170312/async_client.py").read_text("utf-8")
    assert "class AsyncCvmClient(AsyncAbstractClient):" in source
    assert (
        "    async def DescribeInstances(\n"
        "        self, request: models.DescribeInstancesRequest, "
        "opts: Optional[Mapping[str, Any]] = None\n"
        "    ) -> models.DescribeInstancesResponse:"
    ) in source
    demo = (generated / PACKAGE / "demo/v20240101/async_client.py").read_text("utf-8")
    assert "-> Union[models.StreamChatResponse, AsyncEventStream]:" in demo


def test_generated_async_clients_call_the_emulator(generated: Path) -> None:
    """AsyncCvmClient, AsyncStsClient and AsyncDemoClient, awaited against the emulator.

    Typed models come back; a streaming action gives an AsyncEventStream for
    an event-stream answer and its model otherwise; a binary action sends
    multipart with the caller's opts merged in; a dict is refused unsent.
    """
    import asyncio

    cvm = importlib.import_module(f"{PACKAGE}.cvm.v20170312.async_client")
    cvm_models = importlib.import_module(f"{PACKAGE}.cvm.v20170312.models")
    demo = importlib.import_module(f"{PACKAGE}.demo.v20240101.async_client")
    demo_models = importlib.import_module(f"{PACKAGE}.demo.v20240101.models")
    from tcfunc.sse import AsyncEventStream

    uploads: List[bytes] = []

    def upload(params: Dict[str, Any], request: Any) -> Dict[str, Any]:
        uploads.append(request.body)
        return {"Size": len(params["File"])}

    async def scenario(endpoint: str, emu: ApiEmulator) -> None:
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))
        cred = Credential(SECRET_ID, SECRET_KEY)
        async with cvm.AsyncCvmClient(cred, "ap-guangzhou", profile) as client:
            resp = await client.DescribeInstances(
                cvm_models.DescribeInstancesRequest(Limit=1, headers={"X-TC-TraceId": "t-aio"})
            )
            assert isinstance(resp, cvm_models.DescribeInstancesResponse)
            assert resp.InstanceSet
            assert isinstance(resp.InstanceSet[0], cvm_models.Instance)
            assert dict(emu.requests[-1].headers)["X-TC-TraceId"] == "t-aio"
            sent = len(emu.requests)
            with pytest.raises(TencentCloudSDKException, match="takes a DescribeInstancesRequest"):
                await client.DescribeInstances({"Limit": 1})
            assert len(emu.requests) == sent
        async with demo.AsyncDemoClient(cred, "", profile) as client:
            stream = await client.StreamChat(
                demo_models.StreamChatRequest(Prompt="a b", Stream=True)
            )
            assert isinstance(stream, AsyncEventStream)
            async with stream:
                words = [json.loads(e["data"])["Word"] async for e in stream]
            assert words == ["a", "b"]
            answer = await client.StreamChat(demo_models.StreamChatRequest(Prompt="a b"))
            assert isinstance(answer, demo_models.StreamChatResponse)
            assert answer.Words == ["a", "b"]
            done = await client.UploadThing(
                demo_models.UploadThingRequest(File=b"\x00bin", Name="n"),
                opts={"Endpoint": f"http://{endpoint}"},
            )
            assert done.Size == 4
            assert b'name="File"; filename="File"' in uploads[-1]

    with ApiEmulator({SECRET_ID: SECRET_KEY}, spec_dir=_tccli_services()) as emu:
        emu.register("demo", "StreamChat", _chat)
        emu.register("demo", "UploadThing", upload)
        asyncio.run(scenario(emu.endpoint, emu))


def test_a_real_streaming_spec_decides_at_run_time(generated: Path) -> None:
    """es ChatCompletions (Stream in its request, no --sse): events with Stream=True, else a model.

    The emulator validates the request against tccli's spec.
    """
    es_dir = _tccli_services() / "es" / "v20250101"
    if not (es_dir / "api.json").is_file():
        pytest.skip("this tccli has no es 2025-01-01 spec")
    client_mod = importlib.import_module(f"{PACKAGE}.es.v20250101")
    models = importlib.import_module(f"{PACKAGE}.es.v20250101.models")

    def chat(params: Dict[str, Any]) -> Any:
        if params.get("Stream"):
            return iter([{"data": json.dumps({"Id": "c1", "Choices": []})}])
        return {"Id": "c1", "Choices": [{"Message": {"Role": "assistant", "Content": "hi"}}]}

    with ApiEmulator({SECRET_ID: SECRET_KEY}, spec_dir=_tccli_services()) as emu:
        emu.register("es", "ChatCompletions", chat)
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))
        client = client_mod.EsClient(Credential(SECRET_ID, SECRET_KEY), "ap-beijing", profile)
        messages = [models.Message(Role="user", Content="hello")]
        answer = client.ChatCompletions(
            models.ChatCompletionsRequest(Messages=messages, ModelName="m")
        )
        assert isinstance(answer, models.ChatCompletionsResponse)
        assert answer.Id == "c1"
        stream = client.ChatCompletions(
            models.ChatCompletionsRequest(Messages=messages, ModelName="m", Stream=True)
        )
        assert isinstance(stream, EventStream)
        with stream:
            assert [json.loads(e["data"])["Id"] for e in stream] == ["c1"]
        assert emu.requests[-1].params["Stream"] is True
