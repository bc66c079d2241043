"""tcfunc.model: typed request/response models to and from the API's JSON."""

from __future__ import annotations

import importlib.util
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcfunc import TencentCloudSDKException
from tcfunc.model import (
    Model,
    RequestModel,
    check,
    check_list,
    check_request,
    check_required,
    check_required_list,
    is_secret_name,
)

from ._support.chain import assert_no_secret


@attrs.frozen(kw_only=True, repr=False)
class Filter(Model):
    Name: str
    Values: List[str]


@attrs.frozen(kw_only=True, repr=False)
class Placement(Model):
    Zone: Optional[str] = None
    ProjectId: Optional[int] = None


@attrs.frozen(kw_only=True, repr=False)
class Instance(Model):
    InstanceId: Optional[str] = None
    CPU: Optional[int] = None
    Price: Optional[float] = None
    Tags: Optional[List[Placement]] = None
    Children: Optional[List[Instance]] = None
    # Last: a member named like a type hides the type from later annotations.
    Placement: Optional[Placement] = None


@attrs.frozen(kw_only=True, repr=False)
class DescribeRequest(Model):
    InstanceIds: Optional[List[str]] = None
    Filters: Optional[List[Filter]] = None
    Limit: Optional[int] = None
    DryRun: Optional[bool] = None


@attrs.frozen(kw_only=True, repr=False)
class DescribeResponse(Model):
    TotalCount: Optional[int] = None
    InstanceSet: Optional[List[Instance]] = None
    RequestId: Optional[str] = None


@attrs.frozen(kw_only=True, repr=False)
class Credentials(Model):
    TmpSecretId: Optional[str] = None
    TmpSecretKey: Optional[str] = None
    Token: Optional[str] = None


@attrs.frozen(kw_only=True, repr=False)
class Tag(Model):
    Key: Optional[str] = None
    Value: Optional[str] = None


@attrs.frozen(kw_only=True, repr=False)
class TaggedTyping(Model):
    Tags: Optional[List[Tag]] = None
    Owner: Optional[Tag] = None


@attrs.frozen(kw_only=True, repr=False)
class TaggedPep604(Model):
    # Written as on Python 3.10+; the annotations are only resolved there.
    Tags: list[Tag] | None = None
    Owner: Tag | None = None


@attrs.frozen(kw_only=True, repr=False)
class Renamed(Model):
    From: Optional[int] = attrs.field(default=None, metadata={"api_name": "from"})


def test_to_api_omits_unset_fields_and_serialises_nested_models() -> None:
    """Unset (None) fields are left out; nested models and lists of them become JSON objects."""
    req = DescribeRequest(
        Filters=[Filter(Name="zone", Values=["ap-guangzhou-6"])], Limit=0, DryRun=False
    )
    assert req.to_api() == {
        "Filters": [{"Name": "zone", "Values": ["ap-guangzhou-6"]}],
        "Limit": 0,
        "DryRun": False,
    }
    assert DescribeRequest().to_api() == {}


def test_to_api_keeps_empty_lists_and_field_order() -> None:
    """An explicit empty list is sent (it is set); keys follow the declaration order."""
    body = DescribeRequest(Limit=5, InstanceIds=[]).to_api()
    assert list(body) == ["InstanceIds", "Limit"]
    assert body["InstanceIds"] == []


def test_to_api_merges_extra_without_overriding_declared_fields() -> None:
    """Fields in ``extra`` (newer API params) are sent, but declared fields win."""
    req = DescribeRequest(Limit=1, extra={"NewParam": {"A": 1}, "Limit": 99, "Gone": None})
    assert req.to_api() == {"Limit": 1, "NewParam": {"A": 1}}


def test_headers_are_kept_on_the_request_but_never_serialised() -> None:
    """Per-request headers live on the model and do not enter the JSON body."""
    req = DescribeRequest(Limit=1, headers={"X-TC-TraceId": "t-1"})
    assert req.headers == {"X-TC-TraceId": "t-1"}
    assert req.to_api() == {"Limit": 1}


def test_from_api_builds_nested_models_and_lists_of_models() -> None:
    """Nested JSON objects and arrays of objects become the declared models."""
    resp = DescribeResponse.from_api(
        {
            "TotalCount": 1,
            "InstanceSet": [
                {
                    "InstanceId": "ins-1",
                    "CPU": 2,
                    "Placement": {"Zone": "ap-guangzhou-3", "ProjectId": 0},
                    "Tags": [{"Zone": "z"}],
                    "Children": [{"InstanceId": "ins-2"}],
                }
            ],
            "RequestId": "req-1",
        }
    )
    assert resp.TotalCount == 1
    assert resp.InstanceSet is not None
    inst = resp.InstanceSet[0]
    assert isinstance(inst, Instance)
    assert inst.Placement == Placement(Zone="ap-guangzhou-3", ProjectId=0)
    assert inst.Tags == [Placement(Zone="z")]
    assert inst.Children == [Instance(InstanceId="ins-2")]


def test_from_api_keeps_unknown_fields_in_extra() -> None:
    """A field the model does not declare is kept in ``extra``, not rejected."""
    resp = DescribeResponse.from_api({"TotalCount": 0, "Brand": "new", "RequestId": "r"})
    assert resp.extra == {"Brand": "new"}
    assert resp.to_api() == {"TotalCount": 0, "RequestId": "r", "Brand": "new"}


def test_from_api_treats_missing_and_null_optional_fields_as_none() -> None:
    """Missing fields and JSON null (including null lists) read as None."""
    resp = DescribeResponse.from_api({"InstanceSet": None})
    assert resp.TotalCount is None
    assert resp.InstanceSet is None
    assert resp.extra == {}


def test_from_api_turns_integers_into_floats_where_a_float_is_declared() -> None:
    """JSON ``1`` where the API documents a float reads as ``1.0``; bools are left alone."""
    inst = Instance.from_api({"Price": 1})
    assert inst.Price == 1.0
    assert isinstance(inst.Price, float)


def test_from_api_reports_a_missing_required_field_with_the_api_code() -> None:
    """A required field that is absent raises MissingParameter naming the field."""
    with pytest.raises(TencentCloudSDKException) as info:
        DescribeRequest.from_api({"Filters": [{"Values": ["a"]}]})
    assert info.value.code == "MissingParameter"
    assert "DescribeRequest.Filters[0]" in str(info.value.message)
    assert "Name" in str(info.value.message)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"InstanceSet": {"InstanceId": "x"}}, "DescribeResponse.InstanceSet"),
        ({"InstanceSet": ["ins-1"]}, "DescribeResponse.InstanceSet[0]"),
        ({"InstanceSet": [{"Placement": "z"}]}, "DescribeResponse.InstanceSet[0].Placement"),
    ],
)
def test_from_api_names_the_path_of_a_shape_mismatch(data: Dict[str, Any], where: str) -> None:
    """A value of the wrong JSON shape raises ClientError with the path to it."""
    with pytest.raises(TencentCloudSDKException) as info:
        DescribeResponse.from_api(data)
    assert info.value.code == "ClientError"
    assert str(info.value.message).startswith(where + ":")


def test_from_api_refuses_a_non_object() -> None:
    """from_api of something that is not a JSON object is a ClientError, not a crash."""
    with pytest.raises(TencentCloudSDKException) as info:
        DescribeResponse.from_api(["x"])  # type: ignore[arg-type]
    assert info.value.code == "ClientError"


def test_api_name_metadata_maps_a_python_name_to_the_wire_name() -> None:
    """A field may carry its wire name in ``metadata['api_name']`` (keywords, collisions)."""
    assert Renamed(From=3).to_api() == {"from": 3}
    assert Renamed.from_api({"from": 4}).From == 4


def test_json_string_helpers_round_trip() -> None:
    """to_json_string/from_json_string, the official models' helpers, round-trip."""
    req = DescribeRequest(Filters=[Filter(Name="n", Values=["中文"])])
    text = req.to_json_string()
    assert "中文" in text
    assert DescribeRequest.from_json_string(text) == req
    with pytest.raises(TencentCloudSDKException) as info:
        DescribeRequest.from_json_string("{not json")
    assert info.value.code == "ClientError"


def test_repr_shows_set_fields_only() -> None:
    """The repr lists the fields that are set, nested models included, in API names."""
    resp = DescribeResponse(TotalCount=1, InstanceSet=[Instance(InstanceId="ins-1")])
    assert (
        repr(resp) == "DescribeResponse(TotalCount=1, InstanceSet=[Instance(InstanceId='ins-1')])"
    )


def test_repr_masks_secrets_in_fields_extra_and_headers() -> None:
    """Secret-looking fields, extra keys and header values never appear in a repr."""
    creds = Credentials(
        TmpSecretId="AKIDtmp",
        TmpSecretKey="very-secret",
        Token="tok-secret",
        extra={"Nested": {"Password": "pw-secret"}, "Plain": [1]},
        headers={"X-TC-Token": "hdr-secret", "X-TC-TraceId": "trace"},
    )
    text = repr(creds)
    for secret in ("very-secret", "tok-secret", "pw-secret", "hdr-secret"):
        assert secret not in text
    assert "AKIDtmp" in text
    assert "trace" in text
    assert "'Plain': [1]" in text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("SecretKey", True),
        ("TmpSecretKey", True),
        ("Token", True),
        ("Password", True),
        ("SecretString", True),
        ("Plaintext", True),
        ("DbPwd", True),
        ("secret_access_key", True),
        ("x-tc-token", True),
        ("SecretId", False),
        ("TokenId", False),
        ("KeyName", False),
        ("NextToken", False),
        ("ClientToken", False),
    ],
)
def test_is_secret_name(name: str, secret: bool) -> None:
    """Secret-looking names are recognised by ending; ids, names and cursors are not secrets."""
    assert is_secret_name(name) is secret


# Members of real APIs that hold secrets (ssm GetSecretValue, kms Decrypt, sts,
# database passwords, certificate keys, ...); each must be found in tccli's specs.
KNOWN_SECRET_MEMBERS = (
    "SecretString",
    "SecretBinary",
    "SecretValue",
    "Plaintext",
    "PlainText",
    "ApiKey",
    "APIKey",
    "ApiTokens",
    "AccessKey",
    "AccessKeySecret",
    "SecretAccessKey",
    "SecretKey",
    "TmpSecretKey",
    "Token",
    "SessionToken",
    "WebIdentityToken",
    "Password",
    "PassWord",
    "Passwd",
    "Pwd",
    "DbPwd",
    "OldPwd",
    "PasswordNew",
    "PasswordValue",
    "Passphrase",
    "SessionKey",
    "VodSessionKey",
    "PrivateKey",
    "CertificatePrivateKey",
    "PrivateKeyPassword",
    "PrivateMapKey",
    "ClientSecret",
    "AppSecret",
    "Secrets",
    "Credential",
    "CredentialSecret",
    "Authorization",
    "Cookie",
    "AuthKey",
    "PreShareKey",
    "KeyContent",
    "KeyTabContent",
    "EncryptedKeyMaterial",
    "LicenseKey",
)
# Members that describe a secret or page through results: shown.
KNOWN_VISIBLE_MEMBERS = (
    "SecretId",
    "TmpSecretId",
    "SecretName",
    "SecretKeyId",
    "SecretVersionId",
    "SecretType",
    "TokenId",
    "PasswordLength",
    "KeyId",
    "KeyName",
    "PublicKey",
    "PrimaryKey",
    "TagKey",
    "NextToken",
    "PageToken",
    "ClientToken",
    "TotalTokens",
    "InputTokens",
)


def _tccli_member_names() -> Set[str]:
    spec = importlib.util.find_spec("tccli")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("tccli (test-only dependency) is not installed")
    services = Path(next(iter(spec.submodule_search_locations))) / "services"
    names: Set[str] = set()
    for path in services.glob("*/v*/api.json"):
        objects = json.loads(path.read_text(encoding="utf-8")).get("objects", {})
        for obj in objects.values():
            names.update(m["name"] for m in obj.get("members", []) if "name" in m)
    return names


def test_repr_masks_the_secret_members_of_every_tccli_spec() -> None:
    """Every known secret-bearing member name of the real APIs is masked; descriptive names show.

    The names are looked up in all of tccli's api.json files, so the lists stay
    tied to members that exist.
    """
    names = _tccli_member_names()
    assert len(names) > 1000
    assert not set(KNOWN_SECRET_MEMBERS) - names
    assert not set(KNOWN_VISIBLE_MEMBERS) - names
    for name in names:
        if name in KNOWN_SECRET_MEMBERS:
            text = repr(Model(extra={name: "s3cr3t-value", "Nested": [{name: "s3cr3t-2"}]}))
            assert is_secret_name(name), name
            assert "s3cr3t" not in text, name
            assert f"'{name}': '***'" in text
        elif name in KNOWN_VISIBLE_MEMBERS:
            assert not is_secret_name(name), name
            assert "shown-value" in repr(Model(extra={name: "shown-value"})), name


def test_repr_masks_typed_secret_fields_whole_but_shows_flags_and_counts() -> None:
    """A typed secret field is masked (nested models and lists too); bools and numbers show."""
    creds = Credentials(TmpSecretId="AKIDtmp", TmpSecretKey="k-secret", Token="t-secret")
    text = repr(
        Model(
            extra={
                "Credentials": creds.to_api(),
                "SecretString": "ssm-secret",
                "Plaintext": "kms-secret",
                "ApiTokens": ["a-secret"],
                "NeedResetPassword": True,
                "CompletionTokens": 12,
                "snake_secret_key": "py-secret",
            },
            headers={"X-TC-Token": "hdr-secret", "Cookie": "c-secret"},
        )
    )
    values = ("k-secret", "t-secret", "ssm-secret", "kms-secret", "a-secret", "py-secret")
    for secret in (*values, "hdr-secret", "c-secret"):
        assert secret not in text
    assert "'NeedResetPassword': True" in text
    assert "'CompletionTokens': 12" in text


def test_models_are_frozen_and_changed_with_evolve() -> None:
    """Setting a member is a ClientError saying what works; attrs.evolve makes a changed copy."""
    req = DescribeRequest(Limit=1)
    with pytest.raises(TencentCloudSDKException) as info:
        req.Limit = 2  # type: ignore[misc]
    assert info.value.code == "ClientError"
    message = str(info.value.message)
    assert "DescribeRequest models are frozen" in message
    assert "(setting 'Limit'): pass Limit=... to the constructor, DescribeRequest(Limit=...)" in (
        message
    )
    assert "attrs.evolve(model, Limit=...)" in message
    # Code that caught attrs' error (an AttributeError) keeps working; it pickles intact.
    assert isinstance(info.value, attrs.exceptions.FrozenInstanceError)
    again = pickle.loads(pickle.dumps(info.value))
    assert (type(again), again.code, again.message) == (type(info.value), "ClientError", message)
    with pytest.raises(TencentCloudSDKException, match="frozen"):
        del req.Limit
    assert req.Limit == 1
    assert attrs.evolve(req, Limit=2).to_api() == {"Limit": 2}


def test_the_official_in_place_from_json_string_raises_instead_of_doing_nothing() -> None:
    """``req.from_json_string(s)`` on an instance raises; ``Req.from_json_string(s)`` returns one.

    The official SDK fills ``req`` in place; a frozen model cannot, and
    returning a new model the statement drops would be a silent no-op.
    """
    req = DescribeRequest()
    with pytest.raises(TencentCloudSDKException) as info:
        req.from_json_string('{"Limit": 3}')
    assert info.value.code == "ClientError"
    assert "write req = DescribeRequest.from_json_string(s)" in str(info.value.message)
    assert req.Limit is None
    built = DescribeRequest.from_json_string('{"Limit": 3}')
    assert isinstance(built, DescribeRequest)
    assert built.Limit == 3


@attrs.frozen(kw_only=True, repr=False)
class CheckedFilter(RequestModel):
    Name: str
    Values: List[str]
    Weight: Optional[float] = None
    Password: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        check_required(self, "Name", self.Name, str)
        check_required_list(self, "Values", self.Values, str)
        check(self, "Weight", self.Weight, float)
        check(self, "Password", self.Password, str)


@attrs.frozen(kw_only=True, repr=False)
class CheckedRequest(RequestModel):
    Filters: Optional[List[CheckedFilter]] = None
    Limit: Optional[int] = None
    DryRun: Optional[bool] = None
    File: Optional[bytes] = None

    def __attrs_post_init__(self) -> None:
        check_list(self, "Filters", self.Filters, CheckedFilter)
        check(self, "Limit", self.Limit, int)
        check(self, "DryRun", self.DryRun, bool)
        check(self, "File", self.File, bytes)


@attrs.frozen(kw_only=True, repr=False)
class CheckedResponse(Model):
    Total: Optional[int] = None
    Items: Optional[List[CheckedFilter]] = None

    def __attrs_post_init__(self) -> None:
        check(self, "Total", self.Total, int)
        check_list(self, "Items", self.Items, CheckedFilter)


@pytest.mark.parametrize(
    ("model", "kwargs", "needle"),
    [
        (CheckedRequest, {"Limit": "10"}, "CheckedRequest.Limit: expected int, got str"),
        (CheckedRequest, {"Limit": True}, "CheckedRequest.Limit: expected int, got bool"),
        (CheckedRequest, {"DryRun": 1}, "CheckedRequest.DryRun: expected bool, got int"),
        (CheckedRequest, {"File": "x"}, "CheckedRequest.File: expected bytes, got str"),
        (
            CheckedRequest,
            {"Filters": {"Name": "zone"}},
            "CheckedRequest.Filters: expected a list of CheckedFilter, got dict",
        ),
        (
            CheckedRequest,
            {"Filters": [{"Name": "zone", "Values": []}]},
            "CheckedRequest.Filters[0]: expected CheckedFilter, got dict",
        ),
        (
            CheckedFilter,
            {"Name": "zone", "Values": "ap-guangzhou-3"},
            "CheckedFilter.Values: expected a list of str, got str",
        ),
        (
            CheckedFilter,
            {"Name": "zone", "Values": ["a", 3]},
            "CheckedFilter.Values[1]: expected str, got int",
        ),
        (CheckedFilter, {"Name": None, "Values": []}, "CheckedFilter.Name: expected str, got"),
        (CheckedFilter, {"Name": "n", "Values": None}, "CheckedFilter.Values: expected a list"),
    ],
)
def test_checked_models_refuse_a_wrong_member_type_when_built(
    model: Any, kwargs: Dict[str, Any], needle: str
) -> None:
    """A wrong member type is a ClientError naming the model and the member, at construction."""
    with pytest.raises(TencentCloudSDKException) as info:
        model(**kwargs)
    assert info.value.code == "ClientError"
    assert needle in str(info.value.message)


def test_checked_models_accept_what_the_api_accepts() -> None:
    """None for optional members, ints for floats, tuples for lists, bytearray for bytes."""
    values: Any = ("a", "b")
    filters: Any = (CheckedFilter(Name="zone", Values=values, Weight=1),)
    data: Any = bytearray(b"x")
    req = CheckedRequest(Filters=filters, Limit=0, DryRun=False, File=data)
    assert req.to_api()["Filters"] == [{"Name": "zone", "Values": ["a", "b"], "Weight": 1}]
    assert CheckedRequest().to_api() == {}


def test_a_refused_member_value_is_never_shown() -> None:
    """The error names the type, never the value: a member may hold a secret."""
    secret = "-".join(("hunter2", "secret"))  # not in the source a traceback shows
    with pytest.raises(TencentCloudSDKException) as info:
        CheckedFilter(Name="n", Values=[], Password=secret.encode())  # type: ignore[arg-type]
    assert "Password" in str(info.value.message)
    assert_no_secret(info.value, [secret])


def test_responses_are_read_leniently_requests_strictly() -> None:
    """from_api keeps an answer's unexpected scalar types and new members; a request refuses them.

    An answer must never break on a number sent as a string or on a member
    the model does not know; a request read from JSON gets the checks a
    constructed one gets.
    """
    resp = CheckedResponse.from_api(
        {"Total": "3", "Items": [{"Name": "n", "Values": [1]}], "NewMember": {"a": 1}}
    )
    total: Any = resp.Total  # typed int; the answer's string is kept as sent
    assert total == "3"
    assert resp.Items is not None
    read_values: Any = resp.Items[0].Values
    assert read_values == [1]
    assert resp.extra == {"NewMember": {"a": 1}}
    with pytest.raises(TencentCloudSDKException, match=r"CheckedRequest\.Limit: expected int"):
        CheckedRequest.from_api({"Limit": "3"})
    with pytest.raises(TencentCloudSDKException, match=r"CheckedFilter\.Values\[0\]"):
        CheckedRequest.from_json_string('{"Filters": [{"Name": "n", "Values": [1]}]}')
    kept = CheckedRequest.from_api({"Limit": 3, "Newer": True})
    assert kept.to_api() == {"Limit": 3, "Newer": True}
    # Still a required member missing from an answer is reported, and a shape that
    # cannot be a model.
    with pytest.raises(TencentCloudSDKException) as info:
        CheckedResponse.from_api({"Items": [{"Values": []}]})
    assert info.value.code == "MissingParameter"
    with pytest.raises(TencentCloudSDKException, match="expected a JSON array"):
        CheckedResponse.from_api({"Items": "x"})


def test_a_leniently_read_model_is_a_normal_frozen_model() -> None:
    """A model read without __init__ (it has checks) equals, reprs, evolves like a built one."""
    data = {"Total": 1, "Items": [{"Name": "n", "Values": ["v"]}]}
    read = CheckedResponse.from_api(data)
    built = CheckedResponse(Total=1, Items=[CheckedFilter(Name="n", Values=["v"])])
    assert read == built
    assert repr(read) == repr(built)
    assert read.headers is None
    assert read.extra == {}
    assert read.to_api() == data
    assert pickle.loads(pickle.dumps(read)) == read  # the frozen __setattr__ does not stop it
    assert attrs.evolve(read, Total=2).Total == 2
    with pytest.raises(TencentCloudSDKException, match="frozen"):
        read.Total = 3  # type: ignore[misc]
    # A model without checks is built through its own __init__, as before.
    plain = DescribeResponse.from_api({"TotalCount": 1, "InstanceSet": [{"InstanceId": "i"}]})
    assert plain == DescribeResponse(TotalCount=1, InstanceSet=[Instance(InstanceId="i")])


def test_check_request_refuses_a_dict_or_another_actions_model() -> None:
    """Generated methods refuse what is not their request model, with what to pass instead."""
    req = CheckedRequest(Limit=1)
    assert check_request("Describe", req, CheckedRequest) is req
    with pytest.raises(TencentCloudSDKException) as info:
        check_request("Describe", {"Limit": 1}, CheckedRequest)
    assert info.value.code == "ClientError"
    assert str(info.value.message) == (
        "Describe takes a CheckedRequest, got dict: build one with CheckedRequest(**params), "
        "or CheckedRequest.from_api(params)"
    )
    with pytest.raises(TencentCloudSDKException, match="Describe takes a CheckedRequest, got Tag"):
        check_request("Describe", Tag(Key="k"), CheckedRequest)


def test_required_fields_are_required_at_construction() -> None:
    """A required field without a default must be given to the constructor."""
    with pytest.raises(TypeError):
        Filter(Name="zone")  # type: ignore[call-arg]


def test_optional_list_of_models_reads_into_models() -> None:
    """Optional[List[Tag]] and Optional[Tag] fields read nested JSON into Tag models."""
    got = TaggedTyping.from_api({"Tags": [{"Key": "env", "Value": "prod"}], "Owner": {"Key": "o"}})
    assert got.Tags == [Tag(Key="env", Value="prod")]
    assert got.Owner == Tag(Key="o")


@pytest.mark.skipif(sys.version_info < (3, 10), reason="X | None needs Python 3.10 at run time")
def test_pep604_optional_fields_read_into_models() -> None:
    """``list[Tag] | None`` and ``Tag | None`` (types.UnionType) read like Optional[...]."""
    got = TaggedPep604.from_api({"Tags": [{"Key": "env", "Value": "prod"}], "Owner": {"Key": "o"}})
    assert got.Tags == [Tag(Key="env", Value="prod")]
    assert isinstance(got.Owner, Tag)
    assert got.Owner == Tag(Key="o")
    assert TaggedPep604.from_api({}).Tags is None


def test_a_model_defined_in_a_function_gets_a_clear_error() -> None:
    """Field types are resolved from module names; a local model says so clearly."""

    @attrs.frozen(kw_only=True, repr=False)
    class Local(Model):
        Child: Optional[Local] = None

    with pytest.raises(TypeError, match="module level"):
        Local.from_api({})


def test_importing_tcfunc_model_stays_light() -> None:
    """tcfunc.model loads neither urllib3 nor the HTTP client."""
    code = "import sys, tcfunc.model; print(sorted(m for m in sys.modules if 'urllib3' in m))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "[]"


_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_json = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    total=st.one_of(st.none(), st.integers()),
    ids=st.one_of(st.none(), st.lists(st.text(max_size=8), max_size=3)),
    extra=st.dictionaries(st.sampled_from(["Alpha", "Beta"]), _json, max_size=2),
)
def test_from_api_inverts_to_api(
    total: Optional[int], ids: Optional[List[str]], extra: Dict[str, Any]
) -> None:
    """Reading what to_api wrote gives back an equal model (JSON round trip included)."""
    instances = None if ids is None else [Instance(InstanceId=i, CPU=1) for i in ids]
    resp = DescribeResponse(TotalCount=total, InstanceSet=instances, extra=extra)
    wire = json.loads(json.dumps(resp.to_api()))
    again = DescribeResponse.from_api(wire)
    assert again.to_api() == resp.to_api()
    assert again.TotalCount == total
    assert again.InstanceSet == instances
