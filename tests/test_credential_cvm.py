"""CVMRoleCredential against a small metadata server on 127.0.0.1."""

from __future__ import annotations

import time
from typing import Iterator, Optional

import pytest

from tcfunc import TencentCloudSDKException
from tcfunc.credential import CVMRoleCredential
from tests.test_credential_support import FakeClock, MetadataServer, closed_port, role_answer

ROLES = "/latest/meta-data/cam/security-credentials/"
NOW = 1_700_000_000.0


@pytest.fixture
def server() -> Iterator[MetadataServer]:
    with MetadataServer() as srv:
        yield srv


def provider(server: MetadataServer, role: Optional[str] = None, **kw: object) -> CVMRoleCredential:
    return CVMRoleCredential(role, metadata_endpoint=server.endpoint, clock=FakeClock(NOW), **kw)  # type: ignore[arg-type]


def test_role_is_discovered_then_its_credentials_fetched(server: MetadataServer) -> None:
    """Without role_name the role list is read first, then that role's credentials."""
    server.role("app-role", (200, role_answer()))
    cvm = provider(server)
    cred = cvm.get_credential()
    assert cred.get_credential_info() == ("AKIDtmp", "tmp-secret-key", "tmp-token")
    assert cred.expires_at == 1_700_007_200
    assert server.hits == [ROLES, ROLES + "app-role"]
    assert cvm.role_name == "app-role"


def test_given_role_skips_discovery(server: MetadataServer) -> None:
    """With role_name the role list is never requested."""
    server.routes[ROLES + "given"] = (200, role_answer())
    provider(server, "given").get_credential()
    assert server.hits == [ROLES + "given"]


def test_fresh_snapshot_is_served_without_requests(server: MetadataServer) -> None:
    """Repeated calls within the credential's life do not hit the metadata service."""
    server.role("r", (200, role_answer()))
    cvm = provider(server)
    for _ in range(5):
        cvm.get_credential()
    assert len(server.hits) == 2


def test_credentials_near_expiry_are_fetched_again(server: MetadataServer) -> None:
    """Inside the advisory window the next call fetches new credentials (role kept)."""
    answers = iter(
        [role_answer(expired=NOW + 7200), role_answer(secret_id="AKIDnew", expired=NOW + 9000)]
    )
    server.role("r", lambda: (200, next(answers)))
    clock = FakeClock(NOW)
    cvm = CVMRoleCredential(metadata_endpoint=server.endpoint, clock=clock)
    cvm.get_credential()
    clock.advance(7200 - 600)
    assert cvm.get_credential().secret_id == "AKIDnew"
    assert server.hits == [ROLES, ROLES + "r", ROLES + "r"]


def test_no_role_bound_is_a_metadata_error(server: MetadataServer) -> None:
    """A 404 for the role list says no role is bound."""
    with pytest.raises(TencentCloudSDKException) as info:
        provider(server).get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "no CAM role" in str(info.value)


def test_empty_role_list_is_a_metadata_error(server: MetadataServer) -> None:
    """An empty role list is reported, not used as a role name."""
    server.routes[ROLES] = (200, "")
    with pytest.raises(TencentCloudSDKException) as info:
        provider(server).get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "no CAM role" in str(info.value)


def test_server_error_names_the_status(server: MetadataServer) -> None:
    """An HTTP 500 from the metadata service is a MetadataError naming the status."""
    server.role("r", (500, "boom"))
    with pytest.raises(TencentCloudSDKException) as info:
        provider(server).get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "HTTP 500" in str(info.value)


def test_non_json_answer_is_a_metadata_error(server: MetadataServer) -> None:
    """A body that is not JSON is reported as such."""
    server.role("r", (200, "<html>captive portal</html>"))
    with pytest.raises(TencentCloudSDKException) as info:
        provider(server).get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "not JSON" in str(info.value)


def test_failure_code_in_answer_is_a_metadata_error(server: MetadataServer) -> None:
    """Code other than Success is reported, where the official SDK swallowed it."""
    server.role("r", (200, {"Code": "Failed"}))
    with pytest.raises(TencentCloudSDKException) as info:
        provider(server).get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "Failed" in str(info.value)


def test_missing_fields_are_named_and_values_hidden(server: MetadataServer) -> None:
    """An answer without Token/ExpiredTime names what is missing, not the key it has."""
    answer = role_answer(secret_key="visible-secret")
    del answer["Token"]
    del answer["ExpiredTime"]
    server.role("r", (200, answer))
    with pytest.raises(TencentCloudSDKException) as info:
        provider(server).get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "Token" in str(info.value)
    assert "ExpiredTime" in str(info.value)
    assert "visible-secret" not in str(info.value)


def test_unusable_credential_values_are_a_metadata_error(server: MetadataServer) -> None:
    """A key with spaces from the metadata service is refused with MetadataError."""
    server.role("r", (200, role_answer(secret_key=" padded ")))
    with pytest.raises(TencentCloudSDKException) as info:
        provider(server).get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "padded" not in str(info.value)


def test_role_name_is_quoted_in_the_path(server: MetadataServer) -> None:
    """A role name with a space is percent-encoded, not sent raw."""
    server.routes[ROLES + "my%20role"] = (200, role_answer())
    provider(server, "my role").get_credential()
    assert server.hits == [ROLES + "my%20role"]


def test_closed_port_fails_fast() -> None:
    """Nothing listening: MetadataError with the cause within a second, no retry."""
    cvm = CVMRoleCredential(metadata_endpoint=f"http://127.0.0.1:{closed_port()}/latest/meta-data/")
    start = time.monotonic()
    with pytest.raises(TencentCloudSDKException) as info:
        cvm.get_credential()
    assert time.monotonic() - start < 1.0
    assert info.value.code == "ClientError.MetadataError"
    assert "Connection" in str(info.value) or "refused" in str(info.value)


def test_slow_server_hits_the_deadline(server: MetadataServer) -> None:
    """A server slower than the deadline gives MetadataError after about the deadline."""
    server.role("r", (200, role_answer()))
    server.delay = 1.0
    cvm = CVMRoleCredential(metadata_endpoint=server.endpoint, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(TencentCloudSDKException) as info:
        cvm.get_credential()
    assert time.monotonic() - start < 0.9
    assert info.value.code == "ClientError.MetadataError"
    assert "timed out" in str(info.value)


@pytest.mark.parametrize(
    "endpoint",
    [
        "ftp://host/",
        "metadata.tencentyun.com",
        "http://u:p@host/",
        "http://u@host/",
        "http://h/\r\n",
    ],
)
def test_bad_metadata_endpoint_is_refused_at_construction(endpoint: str) -> None:
    """Only http(s) URLs without credentials or control characters are accepted."""
    with pytest.raises(TencentCloudSDKException) as info:
        CVMRoleCredential(metadata_endpoint=endpoint)
    assert info.value.code == "ClientError.CredentialConfigError"
    assert ":p@" not in str(info.value)


def test_repr_hides_key_and_token(server: MetadataServer) -> None:
    """After a fetch the repr shows role and expiry, never the key or token."""
    server.role("r", (200, role_answer()))
    cvm = provider(server)
    cvm.get_credential()
    text = repr(cvm)
    assert "role_name='r'" in text
    assert "tmp-secret-key" not in text
    assert "tmp-token" not in text
