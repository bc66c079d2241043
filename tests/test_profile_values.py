"""Profile values refuse what cannot work, take the official keywords, and say they are frozen.

Issue 10 findings 6 and 14 (timeouts and pool size bounded at construction),
issue 12 items 3, 5 and 6 (frozen-value message, values that cannot work,
official keywords), and the transport-side parts that go with them: the
proxy environment read without urllib.request, proxy errors that name the
proxy, pre-warmed connections, and the shared-transport registry.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict

import attrs
import pytest

from tcfunc._urllib3 import acquire
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import (
    MAX_POOL_SIZE,
    MAX_TIMEOUT,
    ClientProfile,
    FrozenProfileError,
    HttpProfile,
    RegionBreakerProfile,
)
from tcfunc.request import PreparedRequest
from tcfunc.transport import NetworkError, Urllib3Transport, proxy_environment
from tests._support.servers import ConnectProxy, MisbehavingServer, answer, dead_port, json_body


def _refused(**kw: Any) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as info:
        HttpProfile(**kw)
    assert type(info.value) is TencentCloudSDKException
    assert info.value.code == "ClientError"
    return info.value


@pytest.mark.parametrize(
    "value", [1e10, float("inf"), float("-inf"), float("nan"), -1, 0, 0.0, True, False, "5", None]
)
def test_req_timeout_that_cannot_be_a_deadline_is_refused(value: Any) -> None:
    """reqTimeout must be a number above 0 and at most 24 h: 1e10, inf and NaN (which overflowed
    in the socket layer before), negatives, 0 and bools fail at construction (None means 60,
    the official default)."""
    if value is None:
        assert HttpProfile(reqTimeout=None).reqTimeout == 60
        return
    error = _refused(reqTimeout=value)
    assert "reqTimeout" in (error.message or "")


def test_req_timeout_bounds_are_inclusive() -> None:
    """The largest accepted reqTimeout is MAX_TIMEOUT (24 h); tiny positive values are fine."""
    assert MAX_TIMEOUT == 86400
    assert HttpProfile(reqTimeout=MAX_TIMEOUT).reqTimeout == MAX_TIMEOUT
    assert HttpProfile(reqTimeout=0.001).reqTimeout == 0.001
    _refused(reqTimeout=MAX_TIMEOUT + 1)


@pytest.mark.parametrize("value", [0, -1, float("nan"), 1e10, True, "1"])
def test_connect_timeout_is_bounded_like_req_timeout(value: Any) -> None:
    """connectTimeout (None by default: connecting may use the whole deadline) follows the same
    bounds as reqTimeout."""
    assert HttpProfile().connectTimeout is None
    assert HttpProfile(connectTimeout=2).connectTimeout == 2
    _refused(connectTimeout=value)


@pytest.mark.parametrize("value", [0, -5, MAX_POOL_SIZE + 1, 10**7, True, 2.0])
def test_pool_size_is_bounded(value: Any) -> None:
    """pool_size is an integer from 1 to 1000 (10**7 took 8.8 s and 105 MB before)."""
    assert HttpProfile(pool_size=MAX_POOL_SIZE).pool_size == MAX_POOL_SIZE
    error = _refused(pool_size=value)
    assert "1000" in (error.message or "")


@pytest.mark.parametrize("value", [0, 1023, 2**30 + 1, True, 1.5, "64MiB"])
def test_max_response_size_is_bounded(value: Any) -> None:
    """max_response_size is a number of bytes from 1 KiB to 1 GiB."""
    assert HttpProfile(max_response_size=1024).max_response_size == 1024
    assert HttpProfile(max_response_size=2**30).max_response_size == 2**30
    _refused(max_response_size=value)


@pytest.mark.parametrize("value", ["yes", 1, 0, None, "False"])
def test_keep_alive_must_be_a_bool(value: Any) -> None:
    """keepAlive="yes" (and any non-bool) is refused; True and False are accepted."""
    assert HttpProfile(keepAlive=True).keepAlive is True
    error = _refused(keepAlive=value)
    assert "keepAlive" in (error.message or "")


def test_certification_must_name_a_readable_file_or_directory(tmp_path: Path) -> None:
    """certification="/no/such/file" fails at construction (it failed at the first call with
    "[Errno 2] ..." before); an existing bundle file or a directory of certificates is fine."""
    error = _refused(certification="/no/such/file")
    assert "/no/such/file" in (error.message or "")
    _refused(certification="")
    _refused(certification=True)
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert HttpProfile(certification=str(bundle)).certification == str(bundle)
    assert HttpProfile(certification=str(tmp_path)).certification == str(tmp_path)
    if os.geteuid() != 0:  # root reads everything
        bundle.chmod(0)
        _refused(certification=str(bundle))


def test_backup_endpoint_url_is_refused_as_a_domain_suffix() -> None:
    """RegionBreakerProfile(backup_endpoint="https://...") is refused (the official check lets it
    through, then every failover call goes to "cvm.https://..."), saying it is a domain suffix."""
    with pytest.raises(TencentCloudSDKException) as info:
        RegionBreakerProfile(backup_endpoint="https://ap-guangzhou.tencentcloudapi.com")
    message = info.value.message or ""
    assert info.value.code == "ClientError"
    assert "domain suffix" in message
    assert "tencentcloudapi.com" in message
    assert "not a URL" in message
    for ok in ("tencentcloudapi.com", "ap-guangzhou.tencentcloudapi.com"):
        assert RegionBreakerProfile(backup_endpoint=ok).backup_endpoint == ok


# ------------------------------------------------------------------- frozen


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (HttpProfile(), "reqTimeout"),
        (HttpProfile(), "scheme"),
        (ClientProfile(), "signMethod"),
        (RegionBreakerProfile(), "max_fail_num"),
        (HttpProfile(), "no_such_attribute"),
    ],
)
def test_setting_an_attribute_says_how_to_change_the_value(value: Any, name: str) -> None:
    """profile.reqTimeout = 10 raises ClientError (still an AttributeError and attrs'
    FrozenInstanceError, so old except clauses work) saying the values are frozen and to pass
    the keyword to the constructor or use attrs.evolve; the value is unchanged."""
    before = attrs.asdict(value, recurse=False)
    with pytest.raises(TencentCloudSDKException) as info:
        setattr(value, name, 10)
    error = info.value
    caught: object = error  # checked apart: mypy cannot picture the three-way subclass
    assert isinstance(caught, AttributeError)
    assert isinstance(caught, attrs.exceptions.FrozenInstanceError)
    assert error.code == "ClientError"
    message = error.message or ""
    assert "frozen" in message
    assert f"{name}=" in message
    assert "attrs.evolve(profile" in message
    assert attrs.asdict(value, recurse=False) == before
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.code, copy.message) == (FrozenProfileError, error.code, message)


def test_deleting_an_attribute_is_refused_the_same_way() -> None:
    """del profile.reqTimeout is the same ClientError."""
    profile = HttpProfile()
    with pytest.raises(FrozenProfileError):
        del profile.reqTimeout
    assert profile.reqTimeout == 60


def test_profiles_still_pickle_and_copy() -> None:
    """The setattr guard leaves pickling and copying intact (they restore fields without it)."""
    import copy

    profile = ClientProfile(
        httpProfile=HttpProfile(scheme="http", pre_conn_pool_size=2, connectTimeout=3),
        disable_region_breaker=False,
    )
    assert pickle.loads(pickle.dumps(profile)) == profile
    assert copy.deepcopy(profile) == profile
    assert copy.copy(profile.httpProfile) == profile.httpProfile


def test_evolve_and_construction_still_work() -> None:
    """Construction, attrs.evolve and the breaker default fill-in are unaffected by the guard."""
    http = attrs.evolve(HttpProfile(), reqTimeout=10)
    assert http.reqTimeout == 10
    assert ClientProfile(disable_region_breaker=False).region_breaker_profile is not None


# --------------------------------------------------------- official keywords


def _official_attributes(obj: Any) -> Dict[str, Any]:
    names = {k for k in vars(type(obj)) if not k.startswith("_") and not callable(getattr(obj, k))}
    names |= set(vars(obj))
    return {name: getattr(obj, name) for name in names}


def test_every_official_http_profile_attribute_is_a_keyword() -> None:
    """Each attribute of the official 3.1.195 HttpProfile (scheme and pre_conn_pool_size
    included) is accepted as a keyword and read back with the same value."""
    from tencentcloud.common.profile.http_profile import HttpProfile as Official

    attributes = _official_attributes(Official())
    assert {"scheme", "pre_conn_pool_size", "apigw_endpoint", "keepAlive"} <= set(attributes)
    for name, value in attributes.items():
        if name == "certification" and value is None:
            value = None
        ours = HttpProfile(**{name: value})
        assert getattr(ours, name) == value, name
    assert HttpProfile(scheme="http").protocol == "http"
    assert HttpProfile(pre_conn_pool_size=3).pre_conn_pool_size == 3


def test_scheme_and_protocol_may_not_disagree() -> None:
    """scheme is the official alias of protocol: giving both with different values is refused."""
    with pytest.raises(TencentCloudSDKException) as info:
        HttpProfile(protocol="http", scheme="https")
    assert "alias" in (info.value.message or "")
    assert attrs.evolve(HttpProfile(scheme="http"), endpoint="a.b").protocol == "http"


def test_every_official_client_and_breaker_attribute_is_a_keyword() -> None:
    """Each attribute of the official ClientProfile and RegionBreakerProfile is a keyword here;
    the values that are objects (httpProfile, region_breaker_profile) take tcfunc's own."""
    from tencentcloud.common.profile.client_profile import ClientProfile as OfficialClient
    from tencentcloud.common.profile.client_profile import RegionBreakerProfile as OfficialBreaker

    for name, value in _official_attributes(OfficialBreaker()).items():
        assert getattr(RegionBreakerProfile(**{name: value}), name) == value, name
    replacements: Dict[str, Any] = {
        "httpProfile": HttpProfile(),
        "region_breaker_profile": RegionBreakerProfile(),
    }
    for name, value in _official_attributes(OfficialClient()).items():
        value = replacements.get(name, value)
        assert getattr(ClientProfile(**{name: value}), name) == value, name


@pytest.mark.parametrize("value", [-1, MAX_POOL_SIZE + 1, True, "3"])
def test_pre_conn_pool_size_is_bounded(value: Any) -> None:
    """pre_conn_pool_size is an integer from 0 to 1000."""
    _refused(pre_conn_pool_size=value)


def test_pre_conn_pool_size_opens_connections_ahead() -> None:
    """pre_conn_pool_size=3 opens three connections to a host when it is first used, kept in the
    pool, so three threads' first calls find them ready."""
    with MisbehavingServer(answer(json_body())) as server:
        transport = Urllib3Transport(HttpProfile(protocol="http", pre_conn_pool_size=3))
        request = PreparedRequest(
            "POST", f"http://{server.endpoint}/", {"Host": server.endpoint}, b"{}"
        )
        transport.send(request, 5).read()
        deadline = time.monotonic() + 3
        while server.connections < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.connections >= 3
        transport.close()


# -------------------------------------------------------------------- proxies


def _with_env(monkeypatch: pytest.MonkeyPatch, env: Dict[str, str]) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"HTTPS_PROXY": "http://a:1"},
        {"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:1"},
        {"Https_Proxy": "http://mixed:1"},
        {"HTTP_PROXY": "http://up:1", "http_proxy": ""},
        {"HTTP_PROXY": "http://cgi:1", "REQUEST_METHOD": "GET"},
        {"http_proxy": "http://cgi-lower:1", "REQUEST_METHOD": "GET"},
        {"NO_PROXY": "example.com,.internal", "no_proxy": "other"},
        {"ALL_PROXY": "socks5://x:1", "FTP_PROXY": "http://f:1"},
    ],
)
def test_proxy_environment_reads_as_the_standard_library(
    monkeypatch: pytest.MonkeyPatch, env: Dict[str, str]
) -> None:
    """proxy_environment() answers what urllib.request.getproxies_environment() does (case
    rules, empty lowercase values, the CGI rule) without importing urllib.request."""
    _with_env(monkeypatch, env)
    assert proxy_environment() == urllib.request.getproxies_environment()


def _request(endpoint: str, scheme: str = "http") -> PreparedRequest:
    return PreparedRequest(
        "POST", f"{scheme}://{endpoint}/", {"Host": endpoint, "Content-Type": "x"}, b"{}"
    )


def test_bare_host_port_proxy_means_http_and_its_failure_names_the_proxy() -> None:
    """HttpProfile(proxy="127.0.0.1:<dead>") is accepted as http://127.0.0.1:<dead>, and the
    connect error names that proxy, not only the endpoint; reached_server False."""
    port = dead_port()
    transport = Urllib3Transport(HttpProfile(protocol="http", proxy=f"127.0.0.1:{port}"))
    with pytest.raises(NetworkError) as info:
        transport.send(_request("cvm.tencentcloudapi.com"), 2)
    message = info.value.message or ""
    assert f"through the proxy http://127.0.0.1:{port}" in message
    assert "cvm.tencentcloudapi.com" in message
    assert info.value.reached_server is False


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_proxy_407_says_proxy_authentication_required(scheme: str) -> None:
    """A proxy demanding credentials answers 407; the call fails with
    ClientError.ProxyAuthenticationRequired ("proxy authentication required", naming the proxy)
    instead of "HTTP status 407: (empty body)", for http (absolute form) and https (CONNECT)."""
    with ConnectProxy(credentials="user:right") as proxy:
        profile = HttpProfile(protocol=scheme, proxy=f"http://user:wrong@{proxy.endpoint}")
        with pytest.raises(TencentCloudSDKException) as info:
            Urllib3Transport(profile).send(_request("cvm.tencentcloudapi.com", scheme), 2)
    assert info.value.code == "ClientError.ProxyAuthenticationRequired"
    message = info.value.message or ""
    assert "proxy authentication required" in message
    assert f"http://{proxy.endpoint}" in message
    assert "wrong" not in str(info.value)


def test_proxy_token_in_the_username_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    """A proxy token written as the username (http://TOKEN@host) appears in no error message
    and no urllib3 DEBUG line (finding 10, transport side)."""
    token = "s3cr3t-proxy-token"
    port = dead_port()
    transport = Urllib3Transport(
        HttpProfile(protocol="http", proxy=f"http://{token}@127.0.0.1:{port}")
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(NetworkError) as info:
        transport.send(_request("cvm.tencentcloudapi.com"), 2)
    assert token not in str(info.value)
    assert token not in repr(info.value)
    assert all(token not in record.getMessage() for record in caplog.records)


def test_proxy_credentials_reach_the_proxy() -> None:
    """With the right credentials the same proxy forwards the call (the 407 test is meaningful)."""
    with (
        MisbehavingServer(answer(json_body({"Via": "proxy"}))) as server,
        ConnectProxy(credentials="user:right") as proxy,
    ):
        profile = HttpProfile(protocol="http", proxy=f"http://user:right@{proxy.endpoint}")
        response = Urllib3Transport(profile).send(_request(server.endpoint), 5)
        assert b"proxy" in response.read()


# ------------------------------------------------------------------ registry


def test_acquire_shares_one_transport_per_connection_settings() -> None:
    """acquire() gives clients with the same connection settings one transport; a different
    setting the transport reads (size limit, connect timeout) gets another; release is
    idempotent and the last one closes the pools."""
    # pool_size=7: settings no other test's client uses, so no one else holds these transports.
    first, release_first = acquire(HttpProfile(endpoint="a.example", pool_size=7))
    second, release_second = acquire(HttpProfile(endpoint="b.example", reqTimeout=5, pool_size=7))
    other, release_other = acquire(HttpProfile(max_response_size=4096, pool_size=7))
    tighter, release_tighter = acquire(HttpProfile(connectTimeout=1, pool_size=7))
    assert first is second  # endpoint and reqTimeout are per call, not per transport
    assert other is not first
    assert tighter is not first
    release_first()
    release_first()  # a second call does nothing
    third, release_third = acquire(HttpProfile(pool_size=7))
    assert third is first  # still held by the second user
    for release in (release_second, release_third, release_other, release_tighter):
        release()
    fourth, release_fourth = acquire(HttpProfile(pool_size=7))
    assert fourth is not first  # the last release closed and dropped it
    release_fourth()
