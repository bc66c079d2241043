"""The frozen configuration values: defaults, validation, reprs, evolve."""

from __future__ import annotations

from typing import Any, Callable, Dict

import attrs
import pytest

import tcfunc
from tcfunc import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile, RegionBreakerProfile


def test_defaults_are_the_official_ones() -> None:
    """Keyword names and defaults equal the official SDK 3.1.195's."""
    http = HttpProfile()
    assert (http.protocol, http.endpoint, http.reqMethod, http.reqTimeout, http.keepAlive) == (
        "https",
        None,
        "POST",
        60,
        False,
    )
    assert (http.proxy, http.rootDomain, http.certification, http.apigw_endpoint) == (
        None,
        "tencentcloudapi.com",
        None,
        None,
    )
    profile = ClientProfile()
    assert profile.signMethod == "TC3-HMAC-SHA256"
    assert profile.httpProfile == HttpProfile()
    assert (profile.language, profile.disable_region_breaker) == ("zh-CN", True)
    assert (profile.region_breaker_profile, profile.request_client, profile.retryer) == (
        None,
        None,
        None,
    )
    breaker = RegionBreakerProfile()
    assert (breaker.backup_endpoint, breaker.max_fail_num, breaker.max_fail_percent) == (
        "ap-guangzhou.tencentcloudapi.com",
        5,
        0.75,
    )
    assert (breaker.window_interval, breaker.timeout, breaker.max_requests) == (300, 60, 5)
    # None means "the default", as the official constructors treat it.
    assert HttpProfile(protocol=None, reqMethod=None, reqTimeout=None, rootDomain=None) == http
    assert ClientProfile(signMethod=None, httpProfile=None) == profile


def test_breaker_on_fills_in_a_default_breaker_profile() -> None:
    """Turning the breaker on without a profile gives RegionBreakerProfile(), as the official."""
    assert (
        ClientProfile(disable_region_breaker=False).region_breaker_profile == RegionBreakerProfile()
    )


BAD: Dict[str, Callable[[], Any]] = {
    "HttpProfile.reqMethod": lambda: HttpProfile(reqMethod="PUT"),
    "HttpProfile.reqTimeout": lambda: HttpProfile(reqTimeout=0),
    "HttpProfile.protocol": lambda: HttpProfile(protocol="ftp"),
    "HttpProfile.endpoint": lambda: HttpProfile(endpoint="https://cvm.tencentcloudapi.com/"),
    "HttpProfile.proxy": lambda: HttpProfile(proxy="socks5://u:pw@h:1"),
    "HttpProfile.certification": lambda: HttpProfile(certification=True),
    "ClientProfile.signMethod": lambda: ClientProfile(signMethod="MD5"),
    "ClientProfile.language": lambda: ClientProfile(language="fr-FR"),
    "ClientProfile.request_client": lambda: ClientProfile(request_client="bad client!"),
    "128 characters": lambda: ClientProfile(request_client="a" * 129),
    "ClientProfile.retryer": lambda: ClientProfile(retryer=object()),  # type: ignore[arg-type]
    "RegionBreakerProfile.backup_endpoint": lambda: RegionBreakerProfile(
        backup_endpoint="ap-guangzhou.example.com"
    ),
    "RegionBreakerProfile.max_fail_percent": lambda: RegionBreakerProfile(max_fail_percent=1.5),
    "StandardRetryer.max_attempts": lambda: tcfunc.StandardRetryer(max_attempts=0),
}


@pytest.mark.parametrize("field,build", BAD.items(), ids=list(BAD))
def test_bad_values_fail_at_construction_naming_the_field(
    field: str, build: Callable[[], Any]
) -> None:
    """A bad value raises ClientError naming the field, when the value is built."""
    with pytest.raises(TencentCloudSDKException) as excinfo:
        build()
    assert excinfo.value.get_code() == "ClientError"
    assert field in (excinfo.value.get_message() or "")


def test_evolve_validates_again() -> None:
    """attrs.evolve re-runs validation, so a changed copy is still valid."""
    http = HttpProfile()
    assert attrs.evolve(http, reqTimeout=5).reqTimeout == 5
    with pytest.raises(TencentCloudSDKException):
        attrs.evolve(http, reqMethod="DELETE")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        http.reqTimeout = 1  # type: ignore[misc]


def test_proxy_password_never_in_repr() -> None:
    """A proxy's whole userinfo (user and password) is masked in HttpProfile and ClientProfile."""
    http = HttpProfile(proxy="http://user:hunter2@proxy.local:3128")
    assert "hunter2" not in repr(http)
    assert "'http://***@proxy.local:3128'" in repr(http)
    assert "hunter2" not in repr(ClientProfile(httpProfile=http))
    bare = HttpProfile(proxy="user:hunter2@proxy.local:3128")
    assert "hunter2" not in repr(bare)
    assert "'***@proxy.local:3128'" in repr(bare)


def test_proxy_token_in_the_username_position_never_in_repr() -> None:
    """A proxy secret written as the username (http://TOKEN@host) is masked like a password."""
    http = HttpProfile(proxy="http://s3cr3t-proxy-token@proxy.local:3128")
    assert "s3cr3t-proxy-token" not in repr(http)
    assert "s3cr3t-proxy-token" not in repr(ClientProfile(httpProfile=http))
    assert "'http://***@proxy.local:3128'" in repr(http)


@pytest.mark.parametrize(
    "secret_id,secret_key,message",
    [
        (None, "k", "secret id should not be none or empty"),
        ("  ", "k", "secret id should not be none or empty"),
        (" id", "k", "secret id should not contain spaces"),
        ("id", "", "secret key should not be none or empty"),
        ("id", "k ", "secret key should not contain spaces"),
        ("id\r\n", "k", "secret id should not contain spaces"),
        ("i\nd", "k", "control characters"),
        ("AKID\u4e2d", "k", "secret id should be ASCII"),
    ],
)
def test_credential_validation_as_the_official(
    secret_id: Any, secret_key: Any, message: str
) -> None:
    """Credential refuses empty or padded parts with InvalidCredential, as the official."""
    with pytest.raises(TencentCloudSDKException) as excinfo:
        tcfunc.Credential(secret_id, secret_key)
    assert excinfo.value.get_code() == "InvalidCredential"
    assert message in (excinfo.value.get_message() or "")


def test_credential_repr_hides_key_and_token() -> None:
    """The repr shows the id, never the key or token; the triple and provider protocol work."""
    cred = tcfunc.Credential("AKIDshown", "hidden-key", "hidden-token")
    assert "AKIDshown" in repr(cred)
    assert "hidden" not in repr(cred)
    assert cred.get_credential_info() == ("AKIDshown", "hidden-key", "hidden-token")
    assert cred.get_credential() is cred
    assert (cred.secretId, cred.secretKey) == ("AKIDshown", "hidden-key")


def test_exception_str_is_the_official_format() -> None:
    """str() and the getters of TencentCloudSDKException match the official class."""
    exc = TencentCloudSDKException("AuthFailure", "bad", "req-1")
    assert str(exc) == "[TencentCloudSDKException] code:AuthFailure message:bad requestId:req-1"
    assert (exc.get_code(), exc.get_message(), exc.get_request_id()) == (
        "AuthFailure",
        "bad",
        "req-1",
    )
    assert str(TencentCloudSDKException()) == (
        "[TencentCloudSDKException] code:None message:None requestId:None"
    )


def test_non_ascii_token_is_invalid() -> None:
    """A token that cannot travel in X-TC-Token is refused when the Credential is built."""
    with pytest.raises(TencentCloudSDKException) as excinfo:
        tcfunc.Credential("AKIDok", "key", "tok\u4e2d")
    assert excinfo.value.get_code() == "InvalidCredential"
    assert "tok" not in (excinfo.value.get_message() or "").replace("token", "")


def test_lazy_top_level_names_match_all() -> None:
    """Every name in tcfunc.__all__ resolves, and the lazy table and __all__ agree."""
    assert set(tcfunc.__all__) == {"__version__", *tcfunc._LAZY}
    for name in tcfunc.__all__:
        assert getattr(tcfunc, name) is not None
