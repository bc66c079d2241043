"""verify_request: accepts what prepare_request signs, rejects every tamper, never crashes."""

from __future__ import annotations

from typing import Any, Dict, Optional, Union
from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tcfunc
from tcfunc import TencentCloudSDKException
from tests.test_request_differential import requests

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _wire_headers(prepared: tcfunc.PreparedRequest) -> Dict[str, str]:
    headers = dict(prepared.headers)
    # v1 requests carry no Host in the prepared headers; the HTTP client adds it.
    headers.setdefault("Host", prepared.url.split("/")[2])
    return headers


def _lookup_for(cred: tcfunc.Credential, *, with_token: bool = False) -> Any:
    def lookup(secret_id: str) -> Union[str, tcfunc.Credential, None]:
        if secret_id != cred.secret_id:
            return None
        return cred if with_token else cred.secret_key

    return lookup


def _verify(prepared: tcfunc.PreparedRequest, case: Dict[str, Any], **kw: Any) -> Any:
    kw.setdefault("lookup_secret", _lookup_for(case["credential"]))
    kw.setdefault("now", case["timestamp"])
    return tcfunc.verify_request(
        prepared.method,
        kw.pop("url", prepared.url),
        kw.pop("headers", _wire_headers(prepared)),
        kw.pop("body", prepared.body),
        **kw,
    )


def _code(excinfo: pytest.ExceptionInfo[TencentCloudSDKException]) -> Optional[str]:
    return excinfo.value.get_code()


@pytest.mark.slow
@SETTINGS
@given(requests())
def test_round_trip_accepts_every_generated_request(case: Dict[str, Any]) -> None:
    """Whatever prepare_request signs, verify_request accepts, recovering the request's identity."""
    prepared = tcfunc.prepare_request(**case)
    verified = _verify(
        prepared, case, lookup_secret=_lookup_for(case["credential"], with_token=True)
    )
    assert verified.secret_id == case["credential"].secret_id
    assert verified.action == case["action"]
    assert verified.version == case["version"]
    assert verified.region == (case["region"] or None)
    if case["profile"].signMethod == "TC3-HMAC-SHA256":
        assert verified.service == case["service"]
    if case["profile"].httpProfile.reqMethod == "POST" and case["profile"].signMethod.startswith(
        "TC3"
    ):
        assert verified.params == case["params"]


@pytest.mark.slow
@SETTINGS
@given(requests(), st.data())
def test_any_single_byte_tamper_is_rejected(case: Dict[str, Any], data: st.DataObject) -> None:
    """Flipping one byte of the signed body or query makes the signature fail."""
    prepared = tcfunc.prepare_request(**case)
    if prepared.body:
        i = data.draw(st.integers(0, len(prepared.body) - 1))
        body = bytearray(prepared.body)
        body[i] ^= data.draw(st.integers(1, 255))
        kwargs: Dict[str, Any] = {"body": bytes(body)}
    elif "?" in prepared.url:
        base, query = prepared.url.split("?", 1)
        i = data.draw(st.integers(0, len(query) - 1))
        swap = "Z" if query[i] != "Z" else "Y"
        kwargs = {"url": f"{base}?{query[:i]}{swap}{query[i + 1 :]}"}
    else:
        return
    if not case["profile"].signMethod.startswith("TC3"):
        # v1 signs the decoded parameters, so a tamper that only changes the
        # case of a percent-escape (%2F -> %2f) still means the same request.
        before = prepared.body.decode() or prepared.url.partition("?")[2]
        after = kwargs["body"].decode("latin-1") if "body" in kwargs else kwargs["url"]
        after = after.partition("?")[2] if "url" in kwargs else after
        if parse_qsl(before, keep_blank_values=True) == parse_qsl(after, keep_blank_values=True):
            return
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, **kwargs)
    assert _code(excinfo) in {
        "AuthFailure.SignatureFailure",
        "InvalidParameter",
        "MissingParameter",
        "AuthFailure.InvalidAuthorization",
        "AuthFailure.SignatureExpire",
        "AuthFailure.SecretIdNotFound",
    }


@pytest.mark.slow
@SETTINGS
@given(requests())
def test_wrong_key_and_changed_host_are_signature_failures(case: Dict[str, Any]) -> None:
    """A wrong secret key, or a request replayed to another host, fails the signature."""
    prepared = tcfunc.prepare_request(**case)
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, lookup_secret=lambda _sid: "not-the-key")
    assert _code(excinfo) == "AuthFailure.SignatureFailure"
    headers = _wire_headers(prepared)
    headers["Host"] = "evil.example.com"
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, headers=headers)
    assert _code(excinfo) == "AuthFailure.SignatureFailure"


@pytest.mark.slow
@SETTINGS
@given(requests(), st.integers(301, 10**6), st.sampled_from([-1, 1]))
def test_timestamp_outside_the_window_is_expired(
    case: Dict[str, Any], skew: int, sign: int
) -> None:
    """A request older or newer than max_skew seconds is AuthFailure.SignatureExpire."""
    prepared = tcfunc.prepare_request(**case)
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, now=case["timestamp"] + sign * skew)
    assert _code(excinfo) == "AuthFailure.SignatureExpire"
    assert _verify(prepared, case, now=case["timestamp"] + sign * 300).action == case["action"]


def _signed(sign_method: str = "TC3-HMAC-SHA256", token: Optional[str] = None) -> Any:
    cred = tcfunc.Credential("AKIDverify0001", "verify-key", token)
    case = {
        "action": "DescribeInstances",
        "params": {"Limit": 1},
        "service": "cvm",
        "version": "2017-03-12",
        "region": "ap-guangzhou",
        "credential": cred,
        "profile": tcfunc.ClientProfile(signMethod=sign_method),
        "timestamp": 1_700_000_000,
        "nonce": 42,
    }
    return tcfunc.prepare_request(**case), case


@pytest.mark.parametrize("sign_method", ["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"])
def test_unknown_secret_id_is_secret_id_not_found(sign_method: str) -> None:
    """An unknown SecretId is AuthFailure.SecretIdNotFound."""
    prepared, case = _signed(sign_method)
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, lookup_secret=lambda _sid: None)
    assert _code(excinfo) == "AuthFailure.SecretIdNotFound"


@pytest.mark.parametrize("sign_method", ["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"])
def test_token_must_match_the_registered_one(sign_method: str) -> None:
    """A credential registered with a token accepts only requests carrying that token."""
    registered = tcfunc.Credential("AKIDverify0001", "verify-key", "right-token")
    for sent_token, ok in (("right-token", True), ("wrong-token", False), (None, False)):
        prepared, case = _signed(sign_method, sent_token)
        if ok:
            assert (
                _verify(prepared, case, lookup_secret=lambda _sid: registered).token == sent_token
            )
            continue
        with pytest.raises(TencentCloudSDKException) as excinfo:
            _verify(prepared, case, lookup_secret=lambda _sid: registered)
        assert _code(excinfo) == "AuthFailure.TokenFailure"


def test_malformed_authorization_and_missing_headers() -> None:
    """Malformed Authorization is InvalidAuthorization; a missing action is MissingParameter."""
    prepared, case = _signed()
    headers = _wire_headers(prepared)
    headers["Authorization"] = "TC3-HMAC-SHA256 Credential=garbage"
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, headers=headers)
    assert _code(excinfo) == "AuthFailure.InvalidAuthorization"
    headers = _wire_headers(prepared)
    del headers["X-TC-Action"]
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, headers=headers)
    assert _code(excinfo) == "MissingParameter"
    headers = _wire_headers(prepared)
    headers["Authorization"] = "SKIP"
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, headers=headers)
    assert _code(excinfo) == "AuthFailure.InvalidAuthorization"


def test_parse_request_reads_unsigned_requests() -> None:
    """parse_request reads an Authorization: SKIP request without any secret."""
    prepared = tcfunc.prepare_request(
        "AssumeRoleWithWebIdentity",
        {"RoleArn": "qcs::cam::uin/1:roleName/r"},
        service="sts",
        version="2018-08-13",
        region="ap-guangzhou",
        credential=tcfunc.Credential("unused", "unused"),
        options={"SkipSign": True},
        timestamp=1,
    )
    parsed = tcfunc.parse_request(prepared.method, prepared.url, prepared.headers, prepared.body)
    assert parsed.secret_id is None
    assert parsed.service == "sts"
    assert parsed.params == {"RoleArn": "qcs::cam::uin/1:roleName/r"}


def test_multipart_and_octet_stream_round_trip() -> None:
    """Multipart and octet-stream bodies verify and their params come back."""
    cred = tcfunc.Credential("AKIDverify0001", "verify-key")
    common = {
        "service": "ocr",
        "version": "2018-11-19",
        "region": "ap-guangzhou",
        "credential": cred,
        "timestamp": 1_700_000_000,
    }
    multipart = tcfunc.prepare_request(
        "Upload",
        {"File": b"\x00\x01binary", "Name": "n", "Count": 3, "Tags": ["a", "b"]},
        options={"IsMultipart": True, "BinaryParams": ["File"]},
        **common,
    )
    verified = tcfunc.verify_request(
        multipart.method,
        multipart.url,
        multipart.headers,
        multipart.body,
        lookup_secret=lambda _sid: "verify-key",
        now=1_700_000_000,
    )
    assert verified.params == {
        "File": b"\x00\x01binary",
        "Name": "n",
        "Count": "3",
        "Tags": ["a", "b"],
    }
    octet = tcfunc.prepare_request(
        "Put", None, options=tcfunc.RequestOptions(octet_stream=True, body=b"\xff" * 100), **common
    )
    verified = tcfunc.verify_request(
        octet.method,
        octet.url,
        octet.headers,
        octet.body,
        lookup_secret=lambda _sid: "verify-key",
        now=1_700_000_000,
    )
    assert verified.body == b"\xff" * 100
    assert verified.params == {}


def _assert_deliberate(exc: TencentCloudSDKException) -> None:
    """A refusal the verifier meant, not its last-resort net for internal crashes."""
    assert exc.get_code()
    assert not (exc.get_message() or "").startswith("malformed request ("), exc.get_message()


HEADER_NAMES = st.sampled_from(
    [
        "Authorization",
        "Host",
        "Content-Type",
        "X-TC-Action",
        "X-TC-Version",
        "X-TC-Timestamp",
        "X-TC-Token",
        "X-TC-Content-SHA256",
        "X-Other",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["GET", "POST", "PUT", "get", ""]),
    st.one_of(st.text(max_size=80), st.just("/?Action=A&Signature=x&SecretId=AKIDverify0001")),
    st.dictionaries(HEADER_NAMES, st.text(max_size=120), max_size=8),
    st.binary(max_size=300),
)
@pytest.mark.slow
def test_fuzzed_input_raises_only_sdk_errors(
    method: str, url: str, headers: Dict[str, str], body: bytes
) -> None:
    """Arbitrary methods, URLs, headers and bodies raise nothing but TencentCloudSDKException."""
    try:
        tcfunc.verify_request(
            method, url, headers, body, lookup_secret=lambda _sid: "verify-key", now=0
        )
    except TencentCloudSDKException as exc:
        _assert_deliberate(exc)
    try:
        tcfunc.parse_request(method, url, headers, body)
    except TencentCloudSDKException as exc:
        _assert_deliberate(exc)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzzed_signed_requests_raise_only_sdk_errors(data: st.DataObject) -> None:
    """Signed requests with mangled headers still only raise TencentCloudSDKException."""
    prepared, case = _signed(data.draw(st.sampled_from(["TC3-HMAC-SHA256", "HmacSHA256"])))
    headers = _wire_headers(prepared)
    name = data.draw(st.sampled_from(sorted(headers)))
    headers[name] = data.draw(st.text(max_size=200))
    body = data.draw(st.one_of(st.just(prepared.body), st.binary(max_size=200)))
    try:
        _verify(prepared, case, headers=headers, body=body)
    except TencentCloudSDKException as exc:
        _assert_deliberate(exc)


def test_v1_unsigned_parameter_cannot_ride_along() -> None:
    """A name that signs like a signed one (A_B vs A.B), or a repeated name, is refused."""
    cred = tcfunc.Credential("AKIDverify0001", "verify-key")
    prepared = tcfunc.prepare_request(
        "DescribeInstances",
        {"Filters": [{"Name": "zone"}]},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=cred,
        profile=tcfunc.ClientProfile(signMethod="HmacSHA256"),
        timestamp=1_700_000_000,
        nonce=1,
    )
    case = {"credential": cred, "timestamp": 1_700_000_000}
    assert b"Filters.0.Name=zone" in prepared.body
    for smuggled in (b"Filters_0_Name=evil&", b"Filters.0.Name=evil&"):
        with pytest.raises(TencentCloudSDKException) as excinfo:
            _verify(prepared, case, body=smuggled + prepared.body)
        assert _code(excinfo) == "InvalidParameter"


def test_changed_content_type_is_a_signature_failure() -> None:
    """Content-Type is signed: changing it fails the signature."""
    prepared, case = _signed()
    headers = _wire_headers(prepared)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, headers=headers)
    assert _code(excinfo) == "AuthFailure.SignatureFailure"


def test_http_message_headers_are_accepted() -> None:
    """Headers as http.server hands them (an HTTPMessage) verify like a dict."""
    from email.message import Message

    prepared, case = _signed()
    message = Message()
    for name, value in _wire_headers(prepared).items():
        message[name] = value
    assert _verify(prepared, case, headers=message).action == "DescribeInstances"


def test_lookup_failure_is_internal_error_and_bad_clock_refused() -> None:
    """A failing secret store is InternalError; a NaN clock cannot open the window."""
    prepared, case = _signed()

    def broken(_sid: str) -> str:
        raise OSError("database down: password=hunter2")

    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, lookup_secret=broken)
    assert _code(excinfo) == "InternalError"
    assert "hunter2" not in str(excinfo.value)
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _verify(prepared, case, now=float("nan"))
    assert _code(excinfo) == "InternalError"


def test_mixed_case_host_verifies_as_sent_and_lowercased() -> None:
    """A request signed for a mixed-case host verifies; so does the documented lower-case form."""
    cred = tcfunc.Credential("AKIDverify0001", "verify-key")
    profile = tcfunc.ClientProfile(
        httpProfile=tcfunc.HttpProfile(endpoint="CVM.TencentCloudAPI.com")
    )
    prepared = tcfunc.prepare_request(
        "DescribeZones",
        {},
        service="cvm",
        version="2017-03-12",
        region="",
        credential=cred,
        profile=profile,
        timestamp=1_700_000_000,
    )
    verified = tcfunc.verify_request(
        "POST",
        prepared.url,
        prepared.headers,
        prepared.body,
        lookup_secret=lambda _sid: "verify-key",
        now=1_700_000_000,
    )
    assert verified.action == "DescribeZones"


# --- strict mode: what the protocol lets a tamperer change (issue 10, finding 16 and 17) ---

_STRICT_CRED = tcfunc.Credential("AKIDstrict", "strict-key")
_NOW = 1_700_000_000


def _prepared(
    action: str = "DescribeInstances", *, sign_action: bool = False, **profile_kw: Any
) -> tcfunc.PreparedRequest:
    profile = tcfunc.ClientProfile(sign_action=sign_action, **profile_kw)
    return tcfunc.prepare_request(
        action,
        {"Limit": 1},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=_STRICT_CRED,
        profile=profile,
        timestamp=_NOW,
    )


def _check(prepared: tcfunc.PreparedRequest, headers: Any = None, **kw: Any) -> Any:
    return tcfunc.verify_request(
        prepared.method,
        prepared.url,
        _wire_headers(prepared) if headers is None else headers,
        prepared.body,
        lookup_secret=_lookup_for(_STRICT_CRED),
        now=_NOW,
        **kw,
    )


def _replayed_as(prepared: tcfunc.PreparedRequest, action: str) -> Dict[str, str]:
    headers = _wire_headers(prepared)
    headers["X-TC-Action"] = action
    return headers


def test_default_signing_stays_the_official_sdks_two_headers() -> None:
    """Without sign_action the client signs content-type;host, exactly as the official SDK."""
    assert "SignedHeaders=content-type;host," in _prepared().headers["Authorization"]


def test_a_replayed_action_verifies_unless_strict() -> None:
    """The official signing leaves X-TC-Action unsigned: a DescribeInstances replayed as
    TerminateInstances verifies by default, and strict mode refuses it."""
    prepared = _prepared()
    tampered = _replayed_as(prepared, "TerminateInstances")
    assert _check(prepared, tampered).action == "TerminateInstances"
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _check(prepared, tampered, strict=True)
    assert _code(excinfo) == "AuthFailure.InvalidAuthorization"
    assert "x-tc-action" in str(excinfo.value.message)


def test_sign_action_requests_pass_strict_mode_and_resist_a_replay() -> None:
    """With ClientProfile(sign_action=True) the action is signed: strict verification
    accepts the request and a changed X-TC-Action breaks the signature."""
    prepared = _prepared(sign_action=True)
    assert "SignedHeaders=content-type;host;x-tc-action," in prepared.headers["Authorization"]
    assert _check(prepared, strict=True).action == "DescribeInstances"
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _check(prepared, _replayed_as(prepared, "TerminateInstances"), strict=True)
    assert _code(excinfo) == "AuthFailure.SignatureFailure"


def test_sign_action_with_a_mixed_case_endpoint_verifies_strictly() -> None:
    """sign_action signs the documentation's lower-cased values: a mixed-case endpoint
    still verifies in strict mode."""
    prepared = _prepared(
        sign_action=True, httpProfile=tcfunc.HttpProfile(endpoint="CVM.TencentCloudAPI.com")
    )
    assert _check(prepared, strict=True).action == "DescribeInstances"


def test_sign_action_is_validated() -> None:
    """sign_action must be a bool, refused at construction with ClientError."""
    with pytest.raises(TencentCloudSDKException) as excinfo:
        tcfunc.ClientProfile(sign_action="yes")  # type: ignore[arg-type]
    assert _code(excinfo) == "ClientError"


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_strict_mode_accepts_every_generated_sign_action_request(case: Dict[str, Any]) -> None:
    """Whatever a sign_action profile signs with TC3 (any host spelling, method, body),
    strict verification accepts."""
    import attrs

    profile = case["profile"]
    if profile.signMethod != "TC3-HMAC-SHA256" or case.get("options"):
        return
    case = dict(case, profile=attrs.evolve(profile, sign_action=True))
    prepared = tcfunc.prepare_request(**case)
    if "Authorization" not in prepared.headers or prepared.headers["Authorization"] == "SKIP":
        return
    verified = _verify(
        prepared,
        case,
        lookup_secret=_lookup_for(case["credential"], with_token=True),
        strict=True,
    )
    assert verified.action == case["action"]


@pytest.mark.parametrize("name", ["X-TC-Action", "x-tc-region", "Authorization", "Host"])
@pytest.mark.parametrize("strict", [False, True])
def test_a_repeated_header_is_refused(name: str, strict: bool) -> None:
    """Two copies of a header the signature or routing reads are refused in any mode:
    a proxy reading the first and the verifier the last would disagree on the request."""
    prepared = _prepared(sign_action=True)
    pairs = list(_wire_headers(prepared).items())
    value = next(v for k, v in pairs if k.lower() == name.lower())
    pairs.append((name, value if name != "X-TC-Action" else "TerminateInstances"))
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _check(prepared, pairs, strict=strict)
    assert _code(excinfo) == "InvalidParameter"
    assert "repeated" in str(excinfo.value.message)
    with pytest.raises(TencentCloudSDKException):
        tcfunc.parse_request(prepared.method, prepared.url, pairs, prepared.body)


def _v1(params: Dict[str, Any]) -> tcfunc.PreparedRequest:
    profile = tcfunc.ClientProfile(signMethod="HmacSHA256")
    return tcfunc.prepare_request(
        "DescribeInstances",
        params,
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=_STRICT_CRED,
        profile=profile,
        timestamp=_NOW,
        nonce=7,
    )


def test_a_v1_rename_verifies_unless_strict() -> None:
    """v1 signs '_' as '.', so A_B renamed A.B keeps the signature but changes the params;
    strict mode refuses names holding '_'."""
    prepared = _v1({"Zone_Name": "z"})
    renamed = tcfunc.PreparedRequest(
        prepared.method,
        prepared.url,
        prepared.headers,
        prepared.body.replace(b"Zone_Name=", b"Zone.Name="),
    )
    assert _check(prepared).params == {"Zone_Name": "z"}
    assert _check(renamed).params == {"Zone": {"Name": "z"}}
    # In strict mode only the dotted spelling is read: one signature, one meaning.
    assert _check(renamed, strict=True).params == {"Zone": {"Name": "z"}}
    with pytest.raises(TencentCloudSDKException) as excinfo:
        _check(prepared, strict=True)
    assert _code(excinfo) == "InvalidParameter"
    assert "Zone_Name" in str(excinfo.value.message)


def test_v1_names_that_collide_once_renamed_are_refused_unsigned_too() -> None:
    """parse_request (the emulator's path for unsigned requests) refuses A_B next to A.B,
    as verify_request and the client do."""
    body = b"Action=DescribeZones&Version=2017-03-12&Zone_Name=a&Zone.Name=b"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": "cvm.example"}
    with pytest.raises(TencentCloudSDKException) as excinfo:
        tcfunc.parse_request("POST", "/", headers, body)
    assert _code(excinfo) == "InvalidParameter"
