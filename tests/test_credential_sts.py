"""STSAssumeRoleCredential, OIDCRoleArnCredential and TKE OIDC over loopback HTTP.

The emulator mints real temporary credentials and accepts them only with
their token, so these tests show the provider's snapshot actually signs.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException
from tcfunc.client import CommonClient
from tcfunc.credential import (
    DefaultCredentialProvider,
    DefaultTkeOIDCRoleArnProvider,
    OIDCRoleArnCredential,
    STSAssumeRoleCredential,
)
from tcfunc.testing.emulator import ApiEmulator
from tests.test_credential_support import clean_environment

LONG_ID = "AKIDlongterm"
LONG_KEY = "long-term-key"
ROLE = "qcs::cam::uin/100000000001:roleName/app"


class OffsetClock:
    """Real time plus a settable offset: the provider sees the future, the emulator does not."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator({LONG_ID: LONG_KEY}) as emulator:
        emulator.enable_sts()
        emulator.register("cvm", "DescribeZones", lambda _p: {"TotalCount": 1})
        yield emulator


@pytest.fixture
def profile(emu: ApiEmulator) -> ClientProfile:
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))


def sts(profile: ClientProfile, clock: Any = None, **kw: Any) -> STSAssumeRoleCredential:
    return STSAssumeRoleCredential(
        LONG_ID, LONG_KEY, ROLE, "test-session", profile=profile, clock=clock, **kw
    )


def calls(emu: ApiEmulator, action: str) -> int:
    return sum(1 for r in emu.requests if r.action == action)


def describe(provider: Any, profile: ClientProfile) -> Dict[str, Any]:
    client = CommonClient("cvm", "2017-03-12", provider, "ap-guangzhou", profile)
    return client.call_json("DescribeZones", {})


# ---------------------------------------------------------------- AssumeRole


def test_assume_role_is_signed_with_the_long_term_key_and_sends_the_params(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """AssumeRole: sts 2018-08-13, signed by the long-term id, with role, session, duration."""
    provider = sts(profile, duration_seconds=1800)
    cred = provider.get_credential()
    (request,) = emu.requests
    assert (request.service, request.action, request.version) == ("sts", "AssumeRole", "2018-08-13")
    assert request.secret_id == LONG_ID
    assert request.region == "ap-guangzhou"
    assert request.params == {
        "RoleArn": ROLE,
        "RoleSessionName": "test-session",
        "DurationSeconds": 1800,
    }
    assert cred.token
    assert cred.expires_at is not None
    assert abs(cred.expires_at - (time.time() + 1800)) < 60


def test_temporary_credential_signs_calls_with_its_token(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """A client using the provider is accepted as the temporary id."""
    provider = sts(profile)
    assert describe(provider, profile)["Response"]["TotalCount"] == 1
    assert emu.requests[-1].secret_id == provider.get_credential().secret_id
    assert emu.requests[-1].secret_id != LONG_ID


def test_temporary_credential_without_its_token_is_refused(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """The emulator registered the token: the same id and key without it fail."""
    cred = sts(profile).get_credential()
    for token in (None, "wrong-token"):
        with pytest.raises(TencentCloudSDKException) as info:
            describe(Credential(cred.secret_id, cred.secret_key, token), profile)
        assert info.value.code == "AuthFailure.TokenFailure"


def test_sixteen_threads_starting_together_cause_one_assume_role(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """Single flight over the network: 16 concurrent first calls, one AssumeRole."""
    emu.set_latency(0.3)  # keep the first call in flight while the others arrive
    provider = sts(profile)
    barrier = threading.Barrier(16)
    ids: List[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(5)
        cred = provider.get_credential()
        with lock:
            ids.append(cred.secret_id)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(ids) == 16
    assert len(set(ids)) == 1
    assert calls(emu, "AssumeRole") == 1


def test_snapshot_in_advisory_window_is_refreshed_by_the_next_call(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """Ten minutes before expiry the next call assumes the role again and gets a new id."""
    clock = OffsetClock()
    provider = sts(profile, clock)
    first = provider.get_credential()
    clock.offset = 7200 - 10 * 60
    second = provider.get_credential()
    assert second.secret_id != first.secret_id
    assert calls(emu, "AssumeRole") == 2
    assert describe(provider, profile)["Response"]["TotalCount"] == 1


def test_refresh_failure_in_advisory_window_keeps_calls_working(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """STS failing during the advisory window: the old snapshot keeps signing."""
    clock = OffsetClock()
    provider = sts(profile, clock)
    first = provider.get_credential()
    clock.offset = 7200 - 10 * 60
    emu.inject_fault("api_error", times=-1, action="AssumeRole", code="InternalError")
    assert provider.get_credential() is first
    assert calls(emu, "AssumeRole") == 2
    assert describe(provider, profile)["Response"]["TotalCount"] == 1
    assert emu.requests[-1].secret_id == first.secret_id


def test_refresh_failure_in_mandatory_window_is_raised(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """STS failing in the last minute: the caller gets STS's error."""
    clock = OffsetClock()
    provider = sts(profile, clock)
    provider.get_credential()
    clock.offset = 7200 - 30
    emu.inject_fault("api_error", times=-1, action="AssumeRole", code="InternalError")
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "InternalError"
    with pytest.raises(TencentCloudSDKException):
        describe(provider, profile)


def test_sts_api_error_keeps_its_code(emu: ApiEmulator, profile: ClientProfile) -> None:
    """A wrong long-term key surfaces as STS's AuthFailure, not a generic error."""
    provider = STSAssumeRoleCredential(LONG_ID, "not-the-key", ROLE, "s1", profile=profile)
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "AuthFailure.SignatureFailure"
    assert "not-the-key" not in str(info.value)


def test_malformed_sts_answer_names_what_is_missing(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """An answer without a Token is ClientError.STSError naming Credentials.Token."""
    emu.register(
        "sts",
        "AssumeRole",
        lambda _p: {"Credentials": {"TmpSecretId": "AKIDx", "TmpSecretKey": "k"}, "ExpiredTime": 2},
        version="2018-08-13",
    )
    with pytest.raises(TencentCloudSDKException) as info:
        sts(profile).get_credential()
    assert info.value.code == "ClientError.STSError"
    assert "Credentials.Token" in str(info.value)
    assert info.value.requestId


def test_endpoint_argument_overrides_the_profile(emu: ApiEmulator) -> None:
    """endpoint= sets the STS host on top of the given profile."""
    plain_http = ClientProfile(httpProfile=HttpProfile(protocol="http"))
    provider = STSAssumeRoleCredential(
        LONG_ID, LONG_KEY, ROLE, "s1", endpoint=emu.endpoint, profile=plain_http
    )
    assert provider.get_credential().token
    assert calls(emu, "AssumeRole") == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"duration_seconds": 0}, "ClientError.CredentialConfigError"),
        ({"duration_seconds": 43201}, "ClientError.CredentialConfigError"),
        ({"role_arn": ""}, "ClientError.CredentialConfigError"),
        ({"secret_key": " spaced "}, "InvalidCredential"),
        ({"endpoint": "https://sts.tencentcloudapi.com"}, "ClientError"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs: Dict[str, Any], code: str) -> None:
    """Bad configuration is an SDK error when the provider is built, not at first use."""
    args: Dict[str, Any] = {
        "secret_id": LONG_ID,
        "secret_key": LONG_KEY,
        "role_arn": ROLE,
        "role_session_name": "s1",
    }
    args.update(kwargs)
    with pytest.raises(TencentCloudSDKException) as info:
        STSAssumeRoleCredential(**args)
    assert info.value.code == code
    assert "spaced" not in str(info.value)


def test_repr_hides_every_secret(emu: ApiEmulator, profile: ClientProfile) -> None:
    """Neither the long-term key nor the temporary key or token appear in the repr."""
    provider = sts(profile)
    cred = provider.get_credential()
    text = repr(provider)
    assert ROLE in text
    for secret in (LONG_KEY, cred.secret_key, cred.token or "-"):
        assert secret not in text


# ---------------------------------------------------------------- OIDC


def oidc(
    profile: ClientProfile, token: str = "jwt-from-idp", clock: Any = None
) -> OIDCRoleArnCredential:
    return OIDCRoleArnCredential(
        "ap-shanghai", "tke-idp", token, ROLE, "oidc-session", profile=profile, clock=clock
    )


def test_oidc_call_is_unsigned_and_carries_the_web_identity_token(
    emu: ApiEmulator, profile: ClientProfile
) -> None:
    """AssumeRoleWithWebIdentity is sent with Authorization: SKIP and the OIDC params."""
    provider = oidc(profile)
    cred = provider.get_credential()
    (request,) = emu.requests
    assert request.action == "AssumeRoleWithWebIdentity"
    assert request.secret_id is None
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == "SKIP"
    assert "x-tc-token" not in headers
    assert request.region == "ap-shanghai"
    assert request.params == {
        "ProviderId": "tke-idp",
        "WebIdentityToken": "jwt-from-idp",
        "RoleArn": ROLE,
        "RoleSessionName": "oidc-session",
        "DurationSeconds": 7200,
    }
    assert describe(provider, profile)["Response"]["TotalCount"] == 1
    assert emu.requests[-1].secret_id == cred.secret_id


def test_oidc_is_refused_where_unsigned_calls_are_not_allowed(
    profile: ClientProfile, emu: ApiEmulator
) -> None:
    """Registered without allow_unsigned, the same action fails: the call really is unsigned."""
    emu.register("sts", "AssumeRoleWithWebIdentity", lambda _p: {}, version="2018-08-13")
    with pytest.raises(TencentCloudSDKException) as info:
        oidc(profile).get_credential()
    assert info.value.code is not None
    assert info.value.code.startswith("AuthFailure")


def test_oidc_refresh_in_advisory_window(emu: ApiEmulator, profile: ClientProfile) -> None:
    """The OIDC provider shares the refresh windows: advisory means one new call."""
    clock = OffsetClock()
    provider = oidc(profile, clock=clock)
    first = provider.get_credential()
    clock.offset = 7200 - 5 * 60
    assert provider.get_credential().secret_id != first.secret_id
    assert calls(emu, "AssumeRoleWithWebIdentity") == 2


def test_oidc_repr_hides_the_web_identity_token(emu: ApiEmulator, profile: ClientProfile) -> None:
    """The OIDC token is a secret: not in the repr."""
    provider = oidc(profile, token="very-secret-jwt")
    provider.get_credential()
    assert "very-secret-jwt" not in repr(provider)
    assert "tke-idp" in repr(provider)


# ------------------------------------------------------------- debug logs


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged under ``tcfunc`` at DEBUG, as an application would capture it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    package = logging.getLogger("tcfunc")
    level = package.level
    package.addHandler(handler)
    package.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        package.removeHandler(handler)
        package.setLevel(level)


def test_assume_role_answer_is_logged_without_the_temporary_secrets(
    emu: ApiEmulator, profile: ClientProfile, debug_log: io.StringIO
) -> None:
    """With a DEBUG handler on tcfunc, the AssumeRole answer is logged with its Credentials
    masked: neither the minted TmpSecretKey, the Token nor the TmpSecretId appears."""
    cred = sts(profile).get_credential()
    text = debug_log.getvalue()
    assert "AssumeRole" in text
    assert '"Credentials": {"Token": "***"' in text
    for secret in (cred.secret_key, cred.token, cred.secret_id, LONG_KEY):
        assert secret
        assert secret not in text


def test_oidc_request_is_logged_without_the_web_identity_token(
    emu: ApiEmulator, profile: ClientProfile, debug_log: io.StringIO
) -> None:
    """With a DEBUG handler on tcfunc, the AssumeRoleWithWebIdentity request body shows
    "WebIdentityToken": "***", never the token, and the minted secrets stay hidden too."""
    cred = oidc(profile, token="SECRET-OIDC-JWT").get_credential()
    text = debug_log.getvalue()
    assert '"WebIdentityToken": "***"' in text
    assert '"ProviderId": "tke-idp"' in text
    for secret in ("SECRET-OIDC-JWT", cred.secret_key, cred.token):
        assert secret
        assert secret not in text


# ---------------------------------------------------------------- TKE


@pytest.fixture
def tke_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    clean_environment(monkeypatch, tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text("jwt-one\n", encoding="utf-8")
    monkeypatch.setenv("TKE_REGION", "ap-beijing")
    monkeypatch.setenv("TKE_PROVIDER_ID", "tke-idp")
    monkeypatch.setenv("TKE_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("TKE_ROLE_ARN", ROLE)
    return token_file


def test_tke_provider_rereads_the_token_file_at_each_refresh(
    emu: ApiEmulator, profile: ClientProfile, tke_env: Path
) -> None:
    """A rotated token file is what the next AssumeRoleWithWebIdentity sends."""
    clock = OffsetClock()
    provider = DefaultTkeOIDCRoleArnProvider(profile=profile, clock=clock)
    provider.get_credential()
    tke_env.write_text("jwt-two", encoding="utf-8")
    clock.offset = 7200 - 5 * 60
    provider.get_credential()
    sent = [r.params["WebIdentityToken"] for r in emu.requests]
    assert sent == ["jwt-one", "jwt-two"]
    assert emu.requests[0].region == "ap-beijing"
    assert emu.requests[0].params["RoleSessionName"].startswith("tcfunc-")


def test_default_chain_falls_through_to_tke(
    emu: ApiEmulator, profile: ClientProfile, tke_env: Path
) -> None:
    """With only the TKE variables set, the chain ends at TKE OIDC and signs with it."""
    chain = DefaultCredentialProvider(oidc_profile=profile)
    assert describe(chain, profile)["Response"]["TotalCount"] == 1
    assert isinstance(chain.source, DefaultTkeOIDCRoleArnProvider)
    assert calls(emu, "AssumeRoleWithWebIdentity") == 1
