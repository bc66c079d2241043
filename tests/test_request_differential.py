"""prepare_request is byte-for-byte the request the official SDK 3.1.195 builds."""

from __future__ import annotations

from typing import Any, Dict, Optional
from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tcfunc
from tests.official import official_build, split_url

# Text the official SDK can carry both as JSON and in a query: no surrogates.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),
    max_size=12,
)
NAMES = st.from_regex(r"[A-Z][A-Za-z0-9]{0,10}", fullmatch=True)
SCALARS = st.one_of(
    TEXT,
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
    max_leaves=8,
)
PARAMS = st.dictionaries(NAMES, VALUES, max_size=5)
HOSTS = st.sampled_from(
    [
        None,
        "cvm.ap-shanghai.tencentcloudapi.com",
        "127.0.0.1:8080",
        "CVM.Ap-Shanghai.TencentCloudAPI.com",
    ]
)
SECRET_IDS = st.from_regex(r"AKID[A-Za-z0-9]{8,20}", fullmatch=True)
SECRET_KEYS = st.from_regex(r"[A-Za-z0-9+/]{10,32}", fullmatch=True)
TOKENS = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_-]{10,40}", fullmatch=True))


@st.composite
def requests(draw: st.DrawFn) -> Dict[str, Any]:
    http = tcfunc.HttpProfile(
        protocol=draw(st.sampled_from(["https", "http"])),
        endpoint=draw(HOSTS),
        reqMethod=draw(st.sampled_from(["GET", "POST"])),
        rootDomain=draw(
            st.sampled_from(
                ["tencentcloudapi.com", "internal.tencentcloudapi.com", "TencentCloudAPI.com"]
            )
        ),
    )
    profile = tcfunc.ClientProfile(
        signMethod=draw(st.sampled_from(["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"])),
        httpProfile=http,
        language=draw(st.sampled_from(["zh-CN", "en-US"])),
    )
    return {
        "action": draw(NAMES),
        "params": draw(PARAMS),
        "service": draw(st.sampled_from(["cvm", "sts", "hunyuan", "cbs"])),
        "version": draw(st.sampled_from(["2017-03-12", "2018-08-13", "2023-09-01"])),
        "region": draw(st.sampled_from(["", "ap-guangzhou", "na-siliconvalley"])),
        "credential": tcfunc.Credential(draw(SECRET_IDS), draw(SECRET_KEYS), draw(TOKENS)),
        "profile": profile,
        "timestamp": draw(st.integers(min_value=1_500_000_000, max_value=2_100_000_000)),
        "nonce": draw(st.integers(min_value=1, max_value=2**62)),
    }


def _without(headers: Any, *names: str) -> Dict[str, str]:
    drop = {n.lower() for n in names}
    return {k: v for k, v in dict(headers).items() if k.lower() not in drop}


def _v1_params(url: str, body: bytes, method: str) -> Dict[str, str]:
    raw = split_url(url)[2] if method == "GET" else body.decode("ascii")
    return dict(parse_qsl(raw, keep_blank_values=True))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_prepare_request_matches_official_sdk(case: Dict[str, Any]) -> None:
    """Method, host, query, body and every signed header equal the official's; v1 parameter
    sets equal except RequestClient, and both v1 signatures verify."""
    ours = tcfunc.prepare_request(**case)
    method, url, headers, body = official_build(**case)
    assert ours.method == method
    our_scheme, our_host, our_query = split_url(ours.url)
    assert (our_scheme, our_host) == split_url(url)[:2]
    if case["profile"].signMethod == "TC3-HMAC-SHA256":
        assert our_query == split_url(url)[2]
        assert ours.body == body
        assert _without(ours.headers, "X-TC-RequestClient") == _without(
            headers, "X-TC-RequestClient"
        )
        return
    assert _without(ours.headers) == _without(headers)
    ours_v1 = _v1_params(ours.url, ours.body, method)
    theirs_v1 = _v1_params(url, body, method)
    assert ours_v1.pop("RequestClient").startswith("tcfunc/")
    assert theirs_v1.pop("RequestClient").startswith("SDK_PYTHON_")
    our_sig, their_sig = ours_v1.pop("Signature"), theirs_v1.pop("Signature")
    assert ours_v1 == theirs_v1
    cred = case["credential"]

    def lookup(secret_id: str) -> Optional[str]:
        return cred.secret_key if secret_id == cred.secret_id else None

    host = our_host
    for sent_url, sent_body, sig in ((ours.url, ours.body, our_sig), (url, body, their_sig)):
        verified = tcfunc.verify_request(
            method,
            sent_url,
            {"Host": host, "Content-Type": "application/x-www-form-urlencoded"},
            sent_body,
            lookup_secret=lookup,
            now=case["timestamp"],
        )
        assert verified.secret_id == cred.secret_id
        assert sig


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unsigned_payload_and_skip_sign_match_official(method: str) -> None:
    """UNSIGNED-PAYLOAD and SkipSign requests equal the official's too."""
    base = {
        "action": "DescribeZones",
        "params": {"Limit": 3, "Filters": [{"Name": "zone", "Values": ["a b", "\u4e2d"]}]},
        "service": "cvm",
        "version": "2017-03-12",
        "region": "ap-guangzhou",
        "credential": tcfunc.Credential("AKIDexample123", "keyexample456", "tok"),
        "timestamp": 1_700_000_000,
        "nonce": 7,
    }
    for profile, options in (
        (
            tcfunc.ClientProfile(
                httpProfile=tcfunc.HttpProfile(reqMethod=method), unsignedPayload=True
            ),
            None,
        ),
        (
            tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(reqMethod=method)),
            {"SkipSign": True},
        ),
        (
            tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(reqMethod=method)),
            {"Endpoint": "https://cvm.ap-beijing.tencentcloudapi.com:8443/x"},
        ),
    ):
        ours = tcfunc.prepare_request(**base, profile=profile, options=options)
        theirs = official_build(**base, profile=profile, options=options)
        assert ours.body == theirs[3]
        assert split_url(ours.url) == split_url(theirs[1])
        assert _without(ours.headers, "X-TC-RequestClient") == _without(
            theirs[2], "X-TC-RequestClient"
        )


def test_params_none_is_an_empty_object_not_null() -> None:
    """Documented difference: None params send {} (the official sends null, not an object)."""
    base: Dict[str, Any] = {
        "action": "GetCallerIdentity",
        "params": None,
        "service": "sts",
        "version": "2018-08-13",
        "region": "ap-guangzhou",
        "credential": tcfunc.Credential("AKIDexample123", "keyexample456"),
        "profile": tcfunc.ClientProfile(),
        "timestamp": 1_700_000_000,
        "nonce": 1,
    }
    assert tcfunc.prepare_request(**base).body == b"{}"
    assert official_build(**base)[3] == b"null"
