"""prepare_request refuses bad input before building anything, without echoing secrets."""

from __future__ import annotations

from typing import Any, Dict

import attrs
import pytest

import tcfunc
from tcfunc import TencentCloudSDKException

from ._support.chain import assert_no_secret

SECRET_KEY = "SuperSecretKeyValue0123"
TOKEN = "SessionTokenValue0456"
CRED = tcfunc.Credential("AKIDrefusal0001", SECRET_KEY, TOKEN)


def _call(**overrides: Any) -> tcfunc.PreparedRequest:
    kwargs: Dict[str, Any] = {
        "action": "DescribeInstances",
        "params": {"Limit": 1},
        "service": "cvm",
        "version": "2017-03-12",
        "region": "ap-guangzhou",
        "credential": CRED,
        "timestamp": 1_700_000_000,
    }
    kwargs.update(overrides)
    action = kwargs.pop("action")
    params = kwargs.pop("params")
    return tcfunc.prepare_request(action, params, **kwargs)


GET = tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(reqMethod="GET"))
V1 = tcfunc.ClientProfile(signMethod="HmacSHA256")
V1_GET = tcfunc.ClientProfile(
    signMethod="HmacSHA1", httpProfile=tcfunc.HttpProfile(reqMethod="GET")
)

# Values Python cannot put on the wire: str() of an int over the digit limit
# raises ValueError, UTF-8 of a lone surrogate UnicodeEncodeError.
HUGE_INT = 10**5000
_UNENCODABLE = (
    ("huge int", {"A": HUGE_INT}, "4300 digits"),
    ("nested huge int", {"A": [{"B": HUGE_INT}]}, "4300 digits"),
    ("lone surrogate", {"A": "x\ud800"}, "UTF-8"),
    ("lone surrogate name", {"\ud800": "x"}, ""),  # "UTF-8", or "ASCII" for multipart
)
_ENCODINGS: Dict[str, Dict[str, Any]] = {
    "TC3 POST": {},
    "TC3 GET": {"profile": GET},
    "v1 POST": {"profile": V1},
    "v1 GET": {"profile": V1_GET},
    "multipart": {"options": {"IsMultipart": True}},
    "multipart binary": {"options": {"IsMultipart": True, "BinaryParams": ["A"]}},
}

_CYCLIC: Dict[str, Any] = {"A": []}
_CYCLIC["A"].append(_CYCLIC)

REFUSALS = {
    "CR in action": ({"action": "Describe\rInstances"}, "action"),
    "LF in region": ({"region": "ap-guangzhou\nX-Evil: 1"}, "region"),
    "NUL in version": ({"version": "2017\x00"}, "version"),
    "LF in service": ({"service": "cvm\n"}, "service"),
    "bad header name": ({"headers": {"X-Bad Name": "v"}}, "header name"),
    "CRLF in header value": ({"headers": {"X-Trace": "a\r\nInjected: 1"}}, "X-Trace"),
    "non-latin-1 header": ({"headers": {"X-Trace": "\u4e2d"}}, "X-Trace"),
    "DEL in header value": ({"headers": {"X-Trace": "a\x7fb"}}, "X-Trace"),
    "tab in header value": ({"headers": {"X-Trace": "a\tb"}}, "X-Trace"),
    "C1 control in header value": ({"headers": {"X-Trace": "a\x85b"}}, "X-Trace"),
    "empty action": ({"action": ""}, "action"),
    "multipart with GET": (
        {"profile": GET, "options": {"IsMultipart": True}},
        "multipart",
    ),
    "multipart with v1": ({"profile": V1, "options": {"IsMultipart": True}}, "TC3"),
    "octet-stream with v1": (
        {"profile": V1, "params": None, "options": {"IsOctetStream": True, "body": b"x"}},
        "TC3",
    ),
    "octet-stream without body": ({"params": None, "options": {"IsOctetStream": True}}, "body"),
    "not JSON-serialisable": ({"params": {"A": object()}}, "JSON"),
    "NaN": ({"params": {"A": float("nan")}}, "JSON"),
    "params that contain themselves": ({"params": _CYCLIC}, "nested too deeply"),
    "GET query over 32 KB": ({"profile": GET, "params": {"A": "x" * 33_000}}, "32 KB"),
    "v1 body over 1 MB": ({"profile": V1, "params": {"A": "x" * 1_100_000}}, "1 MB"),
    "TC3 body over 10 MB": ({"params": {"A": "x" * (10 * 1024 * 1024)}}, "10 MB"),
    "params not a dict": ({"params": ["a"]}, "dict"),
    "bytes in a GET param": ({"profile": GET, "params": {"A": b"x"}}, "bytes"),
    "lone surrogate in GET": ({"profile": GET, "params": {"A": "\ud800"}}, "UTF-8"),
    "unknown option": ({"options": {"Bogus": True}}, "Bogus"),
    "negative timestamp": ({"timestamp": -1}, "timestamp"),
    "bad host override": ({"host": "https://evil/"}, "host"),
    "unhashable action": ({"action": ["x"]}, "action"),
    "space in action": ({"action": "Describe Instances"}, "action must look like"),
    "space in region": ({"region": "ap guangzhou"}, "region must look like"),
    "version not a date": ({"version": "v3"}, "version must look like"),
    "upper-case service": ({"service": "CVM"}, "service must look like"),
    "BinaryParams not a list": ({"options": {"BinaryParams": 5}}, "binary_params"),
    "Endpoint not a string": ({"options": {"Endpoint": 5}}, "endpoint"),
    "flag not a bool": ({"options": {"SkipSign": "yes"}}, "skip_sign"),
    "boundary with CRLF": (
        {"options": {"IsMultipart": True, "boundary": "x\r\nEvil: 1"}},
        "boundary",
    ),
    "timestamp past 9999": ({"timestamp": 10**15}, "timestamp"),
    "v1 names that sign alike": (
        {"profile": V1, "params": {"A_B": 1, "A": {"B": 2}}},
        "same name",
    ),
    **{
        f"{what} in {where}": ({**overrides, "params": params}, needle)
        for where, overrides in _ENCODINGS.items()
        for what, params, needle in _UNENCODABLE
        if not (where == "TC3 POST" and "surrogate" in what)  # JSON escapes it as \\ud800
    },
}


@pytest.mark.parametrize("overrides,needle", REFUSALS.values(), ids=list(REFUSALS))
def test_refusal_is_a_client_error_without_secrets(overrides: Dict[str, Any], needle: str) -> None:
    """Each refusal raises ClientError naming the problem; the key and token never appear."""
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _call(**overrides)
    exc = excinfo.value
    assert exc.get_code() == "ClientError"
    assert needle in (exc.get_message() or "")
    for text in (str(exc), repr(exc)):
        assert SECRET_KEY not in text
        assert TOKEN not in text


def test_caller_headers_are_never_mutated_and_lose_to_signed_ones() -> None:
    """The caller's dict is untouched; a caller's Host or Authorization cannot override signing."""
    headers = {"X-TC-TraceId": "trace-1", "host": "evil.example.com", "Authorization": "x"}
    before = dict(headers)
    prepared = _call(headers=headers)
    assert headers == before
    assert prepared.headers["X-TC-TraceId"] == "trace-1"
    assert prepared.headers["Host"] == "cvm.tencentcloudapi.com"
    assert "host" not in prepared.headers
    assert prepared.headers["Authorization"].startswith("TC3-HMAC-SHA256 ")


def test_same_inputs_give_identical_bytes() -> None:
    """With timestamp and nonce given, building twice gives equal values, including multipart."""
    for overrides in ({}, {"profile": V1, "nonce": 9}, {"options": {"IsMultipart": True}}):
        assert _call(**overrides) == _call(**overrides)


def test_region_is_omitted_when_empty_and_date_is_utc() -> None:
    """An empty region sends no X-TC-Region; the scope date is the UTC date of the timestamp."""
    prepared = _call(region="", timestamp=1_704_067_199)  # 2023-12-31T23:59:59Z
    assert "X-TC-Region" not in prepared.headers
    assert "/2023-12-31/cvm/" in prepared.headers["Authorization"]


def test_request_client_header_and_endpoint_overrides() -> None:
    """X-TC-RequestClient is tcfunc/<version>[; custom]; endpoint and apigw route the request."""
    profile = tcfunc.ClientProfile(
        request_client="MyApp-1.0",
        httpProfile=tcfunc.HttpProfile(
            endpoint="cvm.ap-beijing.tencentcloudapi.com", apigw_endpoint="gw.example.com"
        ),
    )
    prepared = _call(profile=profile)
    assert prepared.headers["X-TC-RequestClient"] == f"tcfunc/{tcfunc.__version__}; MyApp-1.0"
    assert prepared.url == "https://gw.example.com/"
    assert prepared.headers["Host"] == "gw.example.com"
    # Signed for the service endpoint, as the official SDK does behind a gateway.
    assert tcfunc.verify_request(
        "POST",
        prepared.url,
        {**prepared.headers, "Host": "cvm.ap-beijing.tencentcloudapi.com"},
        prepared.body,
        lookup_secret=lambda _sid: tcfunc.Credential("AKIDrefusal0001", SECRET_KEY, TOKEN),
        now=1_700_000_000,
    )
    rooted = attrs.evolve(
        tcfunc.ClientProfile(),
        httpProfile=tcfunc.HttpProfile(rootDomain="internal.tencentcloudapi.com"),
    )
    assert _call(profile=rooted).url == "https://cvm.internal.tencentcloudapi.com/"


def test_a_provider_is_refused_and_never_asked() -> None:
    """prepare_request is pure: a provider (which may fetch) is refused without being called;
    a signed request with no credential is InvalidCredential; SkipSign needs none."""

    class Provider:
        calls = 0

        def get_credential(self) -> tcfunc.Credential:
            Provider.calls += 1
            return CRED

    with pytest.raises(TencentCloudSDKException) as excinfo:
        _call(credential=Provider())
    assert excinfo.value.get_code() == "ClientError"
    assert "get_credential()" in (excinfo.value.get_message() or "")
    assert Provider.calls == 0
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _call(credential=None)
    assert excinfo.value.get_code() == "InvalidCredential"
    unsigned = _call(credential=None, options={"SkipSign": True})
    assert unsigned.headers["Authorization"] == "SKIP"


def test_prepared_request_repr_hides_v1_secrets() -> None:
    """The repr of a v1 GET request masks Signature, Token and SecretId in its URL."""
    profile = tcfunc.ClientProfile(
        signMethod="HmacSHA1", httpProfile=tcfunc.HttpProfile(reqMethod="GET")
    )
    prepared = _call(profile=profile, nonce=1)
    assert TOKEN in prepared.url
    text = repr(prepared)
    assert TOKEN not in text
    assert "AKIDrefusal0001" not in text
    assert "Signature=***" in text


def test_framing_headers_from_the_caller_are_dropped() -> None:
    """A caller's Content-Length or Transfer-Encoding cannot contradict the body."""
    prepared = _call(headers={"Content-Length": "1", "transfer-encoding": "chunked"})
    names = {name.lower() for name in prepared.headers}
    assert "content-length" not in names
    assert "transfer-encoding" not in names


@pytest.mark.parametrize("where", list(_ENCODINGS))
@pytest.mark.parametrize("what,params", [(w, p) for w, p, _ in _UNENCODABLE])
def test_unencodable_values_leave_no_secret_in_the_chain(
    where: str, what: str, params: Dict[str, Any]
) -> None:
    """A huge int or lone surrogate fails as ClientError whose chain (which would hold the v1
    string to sign) carries neither the token nor the secret id, nor a ValueError."""
    if where == "TC3 POST" and "surrogate" in what:
        _call(params=params, **_ENCODINGS[where])  # JSON escapes it: no error at all
        return
    with pytest.raises(TencentCloudSDKException) as info:
        _call(params=params, **_ENCODINGS[where])
    assert info.value.code == "ClientError"
    assert info.value.__context__ is None
    assert_no_secret(info.value, [SECRET_KEY, TOKEN, "AKIDrefusal0001"])


def test_unencodable_value_through_a_client_is_refused_before_sending() -> None:
    """Through CommonClient too: ClientError, and the server never sees a request."""
    from tcfunc.client import CommonClient
    from tcfunc.testing.emulator import ApiEmulator

    with ApiEmulator({CRED.secret_id: SECRET_KEY}) as emu:
        for profile in (V1, V1_GET, GET):
            http = attrs.evolve(profile.httpProfile, protocol="http", endpoint=emu.endpoint)
            client = CommonClient(
                "cvm", "2017-03-12", CRED, "ap-guangzhou", attrs.evolve(profile, httpProfile=http)
            )
            for params in ({"A": HUGE_INT}, {"A": "\ud800"}):
                with pytest.raises(TencentCloudSDKException) as info:
                    client.call_json("DescribeInstances", params)
                assert info.value.code == "ClientError"
        assert emu.requests == []


def test_latin1_header_values_pass_and_are_sent_as_given() -> None:
    """Printable Latin-1 beyond ASCII is a legal header value, kept byte for byte."""
    prepared = _call(headers={"X-Note": "caf\xe9 \xa0~"})
    assert prepared.headers["X-Note"] == "caf\xe9 \xa0~"


def test_reserved_names_are_dropped_in_any_spelling_every_time() -> None:
    """The names cache remembers a name is reserved: the second request drops it too."""
    for _ in range(2):
        prepared = _call(headers={"X-Tc-Timestamp": "1", "x-tc-action": "RunInstances"})
        assert prepared.headers["X-TC-Timestamp"] == "1700000000"
        assert prepared.headers["X-TC-Action"] == "DescribeInstances"
        lowered = [n.lower() for n in prepared.headers]
        assert lowered.count("x-tc-timestamp") == 1
        assert lowered.count("x-tc-action") == 1


def test_one_plan_serves_every_region_and_each_request_names_its_own() -> None:
    """A client's action keeps one plan whatever the region; every request still carries
    (and is signed with) its own region, a token only when it has one, and a bad region
    is refused even when the plan is already there."""
    from tcfunc import request

    profile = tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(endpoint="cvm.example.com"))
    plain = tcfunc.Credential("AKIDplain0001", SECRET_KEY)
    regions = ["", "ap-guangzhou", "ap-shanghai", "na-siliconvalley"]
    for region, cred in zip(regions * 2, [plain] * 4 + [CRED] * 4):
        prepared = _call(region=region, profile=profile, credential=cred)
        headers = prepared.headers
        assert headers.get("X-TC-Region") == (region or None)
        assert headers.get("X-TC-Token") == cred.token
        verified = tcfunc.verify_request(
            prepared.method, prepared.url, dict(headers), prepared.body,
            lookup_secret=lambda _id: SECRET_KEY, now=1_700_000_000,
        )  # fmt: skip
        assert (verified.region or "") == region
    plans = [k for k in request._PLANS if k[:3] == ("DescribeInstances", "cvm", "2017-03-12")]
    assert len([k for k in plans if k[4] == id(profile)]) == 1
    for bad in ("ap guangzhou", "AP-GUANGZHOU", "ap-guangzhou\n", ["ap-guangzhou"]):
        with pytest.raises(TencentCloudSDKException) as excinfo:
            _call(region=bad, profile=profile)
        assert excinfo.value.get_code() == "ClientError"
        assert "region" in (excinfo.value.get_message() or "")
