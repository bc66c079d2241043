"""ProfileCredential: INI files in temporary HOMEs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcfunc import TencentCloudSDKException
from tcfunc._providers import file as credential_module
from tcfunc.credential import ProfileCredential
from tests.test_credential_support import clean_environment

GOOD = "[default]\nsecret_id = AKIDfile\nsecret_key = file-key\n"


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return clean_environment(monkeypatch, tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_anywhere_gives_none(home: Path) -> None:
    """Without any credentials file the source yields None, not an error."""
    assert ProfileCredential().get_credential() is None


def test_home_file_default_section(home: Path) -> None:
    """~/.tencentcloud/credentials [default] is read."""
    write(home / ".tencentcloud" / "credentials", GOOD)
    cred = ProfileCredential().get_credential()
    assert cred is not None
    assert cred.get_credential_info() == ("AKIDfile", "file-key", None)


def test_system_file_is_the_last_resort(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/etc/tencentcloud/credentials is used when the HOME file does not exist."""
    system = write(tmp_path / "etc" / "credentials", GOOD.replace("AKIDfile", "AKIDetc"))
    monkeypatch.setattr(credential_module, "SYSTEM_CREDENTIALS_FILE", str(system))
    cred = ProfileCredential().get_credential()
    assert cred is not None
    assert cred.secret_id == "AKIDetc"
    write(home / ".tencentcloud" / "credentials", GOOD)
    cred = ProfileCredential().get_credential()
    assert cred is not None
    assert cred.secret_id == "AKIDfile"


def test_environment_variable_file_wins_over_home(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TENCENTCLOUD_CREDENTIALS_FILE names the file, ahead of the HOME file."""
    write(home / ".tencentcloud" / "credentials", GOOD)
    other = write(tmp_path / "other.ini", GOOD.replace("AKIDfile", "AKIDother"))
    monkeypatch.setenv("TENCENTCLOUD_CREDENTIALS_FILE", str(other))
    cred = ProfileCredential().get_credential()
    assert cred is not None
    assert cred.secret_id == "AKIDother"


def test_explicit_path_wins_and_has_no_fallback(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """path= is the only file looked at; when it is absent the result is None."""
    write(home / ".tencentcloud" / "credentials", GOOD)
    explicit = write(tmp_path / "mine.ini", GOOD.replace("AKIDfile", "AKIDmine"))
    cred = ProfileCredential(path=str(explicit)).get_credential()
    assert cred is not None
    assert cred.secret_id == "AKIDmine"
    assert ProfileCredential(path=str(tmp_path / "absent.ini")).get_credential() is None


def test_named_profile_and_token(home: Path) -> None:
    """profile_name picks the section; a token key is carried."""
    write(
        home / ".tencentcloud" / "credentials",
        GOOD + "\n[prod]\nsecret_id=AKIDprod\nsecret_key=prod-key\ntoken=prod-token\n",
    )
    cred = ProfileCredential(profile_name="prod").get_credential()
    assert cred is not None
    assert cred.get_credential_info() == ("AKIDprod", "prod-key", "prod-token")


def test_quoted_values_are_unquoted(home: Path) -> None:
    """secret_id = "..." (as the official docs show it) is read without the quotes."""
    write(
        home / ".tencentcloud" / "credentials",
        "[default]\nsecret_id = \"AKIDq\"\nsecret_key = 'q-key'\n",
    )
    cred = ProfileCredential().get_credential()
    assert cred is not None
    assert (cred.secret_id, cred.secret_key) == ("AKIDq", "q-key")


def test_missing_section_names_the_file_and_the_section(home: Path) -> None:
    """No [prod] section: an SDK error naming the file, the section and what exists."""
    path = write(home / ".tencentcloud" / "credentials", GOOD)
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential(profile_name="prod").get_credential()
    assert info.value.code == "ClientError.CredentialFileError"
    assert str(path) in str(info.value)
    assert "[prod]" in str(info.value)
    assert "default" in str(info.value)


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("[default]\nsecret_id = AKIDfile\n", "secret_key"),
        ("[default]\nsecret_key = file-key\n", "secret_id"),
        ("[default]\nsecret_id =\nsecret_key = file-key\n", "secret_id"),
    ],
)
def test_missing_key_names_the_key(home: Path, text: str, missing: str) -> None:
    """A section without secret_id or secret_key is an error naming it, never AttributeError."""
    write(home / ".tencentcloud" / "credentials", text)
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential().get_credential()
    assert info.value.code == "ClientError.CredentialFileError"
    assert missing in str(info.value)


def test_not_an_ini_file_is_an_error_without_its_content(home: Path) -> None:
    """A file that is not INI is reported by name; its lines (maybe a key) are not echoed."""
    write(home / ".tencentcloud" / "credentials", "secret_key = leaked-secret\n")
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential().get_credential()
    assert info.value.code == "ClientError.CredentialFileError"
    assert "not a valid INI file" in str(info.value)
    assert "leaked-secret" not in str(info.value)


def test_unusable_value_is_invalid_credential_naming_the_file(home: Path) -> None:
    """A key with a control character is InvalidCredential, naming the file, not the value."""
    path = write(
        home / ".tencentcloud" / "credentials",
        "[default]\nsecret_id = AKIDfile\nsecret_key = zz\x01hiddenvalue\n",
    )
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential().get_credential()
    assert info.value.code == "InvalidCredential"
    assert str(path) in str(info.value)
    assert "hiddenvalue" not in str(info.value)


def test_unreadable_file_is_an_sdk_error(home: Path) -> None:
    """A path that exists but cannot be read as a file raises CredentialFileError, not OSError."""
    path = home / ".tencentcloud" / "credentials"
    path.mkdir(parents=True)  # a directory: exists, but open() fails even as root
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential().get_credential()
    assert info.value.code == "ClientError.CredentialFileError"
    assert str(path) in str(info.value)


def test_changed_file_is_read_again(home: Path) -> None:
    """Editing the file is picked up by the same provider."""
    path = write(home / ".tencentcloud" / "credentials", GOOD)
    provider = ProfileCredential()
    first = provider.get_credential()
    write(path, GOOD.replace("file-key", "rotated-key-longer"))
    second = provider.get_credential()
    assert first is not None
    assert second is not None
    assert (first.secret_key, second.secret_key) == ("file-key", "rotated-key-longer")


def test_bad_profile_name_is_refused_at_construction(home: Path) -> None:
    """An empty profile name fails when the provider is built."""
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential(profile_name="")
    assert info.value.code == "ClientError.CredentialConfigError"


def test_repr_shows_path_and_profile_only(home: Path) -> None:
    """The repr never reads the file or shows a key."""
    write(home / ".tencentcloud" / "credentials", GOOD)
    provider = ProfileCredential(profile_name="default")
    provider.get_credential()
    assert "file-key" not in repr(provider)
    assert "default" in repr(provider)
