"""DefaultCredentialProvider: order, caching, errors, fail-fast; and the TKE variables."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from tcfunc import Credential, TencentCloudSDKException
from tcfunc.credential import (
    CredentialProvider,
    CVMRoleCredential,
    DefaultCredentialProvider,
    DefaultTkeOIDCRoleArnProvider,
    EnvironmentVariableCredential,
    ProfileCredential,
)
from tests.test_credential_support import MetadataServer, clean_environment, role_answer

ROLES = "/latest/meta-data/cam/security-credentials/"
FILE = "[default]\nsecret_id = AKIDfile\nsecret_key = file-key\n"


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return clean_environment(monkeypatch, tmp_path)


@pytest.fixture
def metadata(monkeypatch: pytest.MonkeyPatch, home: Path) -> Iterator[MetadataServer]:
    with MetadataServer() as srv:
        monkeypatch.setenv("TENCENTCLOUD_METADATA_ENDPOINT", srv.endpoint)
        yield srv


def set_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "env-key")


def write_profile(home: Path, text: str = FILE) -> None:
    (home / ".tencentcloud").mkdir(exist_ok=True)
    (home / ".tencentcloud" / "credentials").write_text(text, encoding="utf-8")


def test_nothing_configured_fails_fast_listing_every_source(home: Path) -> None:
    """No source: CredentialNotFound naming all four sources and why, within seconds."""
    chain = DefaultCredentialProvider()
    start = time.monotonic()
    with pytest.raises(TencentCloudSDKException) as info:
        chain.get_credential()
    assert time.monotonic() - start < 3.0
    assert info.value.code == "ClientError.CredentialNotFound"
    message = str(info.value)
    assert "environment (TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY not set)" in message
    assert f"profile file (no file at {home}/.tencentcloud/credentials" in message
    assert "CVM role (ClientError.MetadataError: cannot read http://127.0.0.1:" in message
    assert "TKE OIDC (ClientError.CredentialConfigError: TKE_REGION is not set)" in message
    assert message.index("environment") < message.index("profile file")
    assert message.index("profile file") < message.index("CVM role")
    assert message.index("CVM role") < message.index("TKE OIDC")


def test_metadata_endpoint_argument_overrides_the_variable(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """metadata_endpoint= is where the CVM probe goes, ahead of the variable."""
    monkeypatch.setenv("TENCENTCLOUD_METADATA_ENDPOINT", "http://127.0.0.1:1/not-this/")
    with MetadataServer() as srv:
        srv.role("r", (200, role_answer()))
        chain = DefaultCredentialProvider(metadata_endpoint=srv.endpoint)
        assert chain.get_credential().secret_id == "AKIDtmp"


def test_environment_comes_first(
    home: Path, metadata: MetadataServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every source available the environment wins and nothing else is asked."""
    set_env(monkeypatch)
    write_profile(home)
    metadata.role("r", (200, role_answer()))
    chain = DefaultCredentialProvider()
    assert chain.get_credential().secret_id == "AKIDenv"
    assert isinstance(chain.source, EnvironmentVariableCredential)
    assert metadata.hits == []


def test_profile_file_comes_second(home: Path, metadata: MetadataServer) -> None:
    """Without environment variables the credentials file is used before the CVM role."""
    write_profile(home)
    metadata.role("r", (200, role_answer()))
    chain = DefaultCredentialProvider()
    assert chain.get_credential().secret_id == "AKIDfile"
    assert isinstance(chain.source, ProfileCredential)
    assert metadata.hits == []


def test_cvm_role_comes_third_and_its_source_is_cached(
    home: Path, metadata: MetadataServer
) -> None:
    """The CVM role provider that worked is kept: later calls reuse its snapshot."""
    metadata.role("r", (200, role_answer(expired=time.time() + 7200)))
    chain = DefaultCredentialProvider()
    for _ in range(5):
        assert chain.get_credential().token == "tmp-token"
    assert isinstance(chain.source, CVMRoleCredential)
    assert metadata.hits == [ROLES, ROLES + "r"]
    assert "CVMRoleCredential" in repr(chain)


def test_broken_profile_is_reported_and_the_chain_goes_on(
    home: Path, metadata: MetadataServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed credentials file is logged as a warning, and the CVM role is used."""
    write_profile(home, "[other]\nsecret_id = x\n")
    metadata.role("r", (200, role_answer()))
    with caplog.at_level(logging.WARNING, logger="tcfunc.credential"):
        cred = DefaultCredentialProvider().get_credential()
    assert cred.secret_id == "AKIDtmp"
    assert "ClientError.CredentialFileError" in caplog.text


def test_broken_sources_appear_in_the_final_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each failure reason is listed: a bad env value, a bad file, the CVM and TKE causes."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "bad key with spaces ")
    write_profile(home, "[default]\nsecret_id = AKIDfile\n")
    monkeypatch.setenv("TKE_REGION", "ap-guangzhou")
    with pytest.raises(TencentCloudSDKException) as info:
        DefaultCredentialProvider().get_credential()
    message = str(info.value)
    assert "environment (InvalidCredential:" in message
    assert "has no secret_key" in message
    assert "TKE_PROVIDER_ID is not set" in message
    assert "bad key" not in message


def test_source_that_stops_yielding_is_searched_again(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the cached environment source empties, the chain moves on to the file."""
    set_env(monkeypatch)
    chain = DefaultCredentialProvider()
    assert chain.get_credential().secret_id == "AKIDenv"
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    write_profile(home)
    assert chain.get_credential().secret_id == "AKIDfile"


def test_concurrent_first_calls_share_one_search(home: Path, metadata: MetadataServer) -> None:
    """Eight threads calling at once probe the metadata service once."""
    metadata.role("r", (200, role_answer(expired=time.time() + 7200)))
    metadata.delay = 0.2  # keep the first search in flight while the others arrive
    chain = DefaultCredentialProvider()
    barrier = threading.Barrier(8)
    results: List[Credential] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(5)
        cred = chain.get_credential()
        with lock:
            results.append(cred)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 8
    assert metadata.hits.count(ROLES) == 1


def test_chain_is_a_provider(home: Path) -> None:
    """DefaultCredentialProvider satisfies the provider protocol."""
    assert isinstance(DefaultCredentialProvider(), CredentialProvider)


@pytest.mark.parametrize(
    "missing", ["TKE_REGION", "TKE_PROVIDER_ID", "TKE_WEB_IDENTITY_TOKEN_FILE", "TKE_ROLE_ARN"]
)
def test_tke_provider_names_the_missing_variable(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: str
) -> None:
    """Each unset TKE variable is named in a CredentialConfigError (not EnvironmentError)."""
    monkeypatch.setenv("TKE_REGION", "ap-guangzhou")
    monkeypatch.setenv("TKE_PROVIDER_ID", "tke-idp")
    monkeypatch.setenv("TKE_WEB_IDENTITY_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("TKE_ROLE_ARN", "qcs::cam::uin/1:roleName/r")
    monkeypatch.delenv(missing)
    with pytest.raises(TencentCloudSDKException) as info:
        DefaultTkeOIDCRoleArnProvider()
    assert info.value.code == "ClientError.CredentialConfigError"
    assert missing in str(info.value)


def test_tke_missing_token_file_is_a_file_error(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A token file that does not exist is reported by name when the refresh runs."""
    monkeypatch.setenv("TKE_REGION", "ap-guangzhou")
    monkeypatch.setenv("TKE_PROVIDER_ID", "tke-idp")
    monkeypatch.setenv("TKE_WEB_IDENTITY_TOKEN_FILE", str(tmp_path / "absent-token"))
    monkeypatch.setenv("TKE_ROLE_ARN", "qcs::cam::uin/1:roleName/r")
    provider = DefaultTkeOIDCRoleArnProvider()
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "ClientError.CredentialFileError"
    assert "absent-token" in str(info.value)
