"""EnvironmentVariableCredential: variables set per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcfunc import TencentCloudSDKException
from tcfunc.credential import EnvironmentVariableCredential
from tests.test_credential_support import clean_environment


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)


def test_unset_variables_give_none() -> None:
    """With neither variable set the source has no credential (None, no error)."""
    assert EnvironmentVariableCredential().get_credential() is None


@pytest.mark.parametrize("missing", ["TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"])
def test_one_missing_or_empty_variable_gives_none(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    """An id without a key (or an empty value) is not a credential."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "env-key")
    monkeypatch.setenv(missing, "")
    assert EnvironmentVariableCredential().get_credential() is None
    monkeypatch.delenv(missing)
    assert EnvironmentVariableCredential().get_credential() is None


def test_id_and_key_make_a_credential_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both variables set give a long-term credential."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "env-key")
    cred = EnvironmentVariableCredential().get_credential()
    assert cred is not None
    assert cred.get_credential_info() == ("AKIDenv", "env-key", None)


def test_session_token_variable_becomes_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """TENCENTCLOUD_SESSION_TOKEN is carried as the credential's token."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDtmp")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "tmp-key")
    monkeypatch.setenv("TENCENTCLOUD_SESSION_TOKEN", "session-token")
    cred = EnvironmentVariableCredential().get_credential()
    assert cred is not None
    assert cred.token == "session-token"


def test_variables_are_read_at_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rotated key in the environment is picked up by the same provider."""
    provider = EnvironmentVariableCredential()
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDone")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "key-one")
    first = provider.get_credential()
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "key-two")
    second = provider.get_credential()
    assert first is not None
    assert second is not None
    assert (first.secret_key, second.secret_key) == ("key-one", "key-two")


def test_unusable_value_is_an_invalid_credential_error_without_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A key with surrounding spaces raises InvalidCredential; the message hides the value."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", " padded-secret ")
    with pytest.raises(TencentCloudSDKException) as info:
        EnvironmentVariableCredential().get_credential()
    assert info.value.code == "InvalidCredential"
    assert "environment" in str(info.value)
    assert "padded-secret" not in str(info.value)


def test_repr_shows_nothing_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's repr does not read or show the variables."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "env-key")
    assert repr(EnvironmentVariableCredential()) == "EnvironmentVariableCredential()"
