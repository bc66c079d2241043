"""Credentials from an INI credentials file (``~/.tencentcloud/credentials``)."""

from __future__ import annotations

import os
import threading
from typing import Dict, List, Optional, Tuple, Union

from .._credential import Credential
from ..errors import TencentCloudSDKException
from ._common import check_arg, make_credential

__all__ = [
    "ENV_CREDENTIALS_FILE",
    "SYSTEM_CREDENTIALS_FILE",
    "USER_CREDENTIALS_FILE",
    "ProfileCredential",
]

ENV_CREDENTIALS_FILE = "TENCENTCLOUD_CREDENTIALS_FILE"
USER_CREDENTIALS_FILE = "~/.tencentcloud/credentials"
SYSTEM_CREDENTIALS_FILE = "/etc/tencentcloud/credentials"

_Key = Tuple[str, int, int]


def _file_error(path: str, what: str) -> TencentCloudSDKException:
    return TencentCloudSDKException(
        "ClientError.CredentialFileError", f"credentials file {path}: {what}"
    )


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return value


class ProfileCredential:
    """A credential from an INI credentials file.

    The file is ``path`` when given, else ``$TENCENTCLOUD_CREDENTIALS_FILE``
    when set, else ``~/.tencentcloud/credentials`` when it exists, else
    ``/etc/tencentcloud/credentials``. The section ``[profile_name]`` holds
    ``secret_id``, ``secret_key`` and optionally ``token``; values may be
    quoted. The file is parsed again only when its mtime or size changes.

    Args:
        path: the file to read; no fallback to the other locations.
        profile_name: the INI section, ``"default"`` by default.
    """

    def __init__(self, path: Optional[str] = None, profile_name: str = "default") -> None:
        if path is not None:
            path = os.fspath(path)
            check_arg("ProfileCredential path", path)
        self._path = path
        self._profile_name = check_arg("ProfileCredential profile_name", profile_name)
        self._lock = threading.Lock()
        self._cached: Optional[Tuple[_Key, Credential]] = None

    def candidates(self) -> List[str]:
        """The files this provider would look at, in order."""
        if self._path is not None:
            return [self._path]
        from_env = os.environ.get(ENV_CREDENTIALS_FILE)
        if from_env:
            return [from_env]
        return [os.path.expanduser(USER_CREDENTIALS_FILE), SYSTEM_CREDENTIALS_FILE]

    def get_credential(self) -> Optional[Credential]:
        """The credential, or None when no credentials file exists.

        Raises:
            TencentCloudSDKException: ``ClientError.CredentialFileError`` naming
                the file when it exists but cannot be read, is not INI, lacks
                the section or a key; ``InvalidCredential`` for unusable values.
        """
        found = self._lookup()
        if found is None or isinstance(found, Credential):
            return found
        return self._load(found)

    async def get_credential_async(self) -> Optional[Credential]:
        """:meth:`get_credential`; a changed file is read in a worker thread."""
        found = self._lookup()
        if found is None or isinstance(found, Credential):
            return found
        import asyncio

        return await asyncio.to_thread(self._load, found)

    def _lookup(self) -> Union[Credential, _Key, None]:
        """The cached credential if the file is unchanged, else the file to parse."""
        for path in self.candidates():
            error: Optional[str] = None
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                error = f"cannot be read ({exc.strerror or type(exc).__name__})"
            if error is not None:
                raise _file_error(path, error)
            key = (path, st.st_mtime_ns, st.st_size)
            with self._lock:
                if self._cached is not None and self._cached[0] == key:
                    return self._cached[1]
            return key
        return None

    def _load(self, key: _Key) -> Credential:
        cred = self._parse(key[0])
        with self._lock:
            self._cached = (key, cred)
        return cred

    def _parse(self, path: str) -> Credential:
        import configparser  # lazily: most processes never read a credentials file

        parser = configparser.ConfigParser(interpolation=None)
        # Each failure is raised after its except clause: a configparser error
        # quotes the offending line, a UnicodeDecodeError holds the raw bytes,
        # and either could be a key; chained, they would show in a traceback.
        error: Optional[str] = None
        try:
            with open(path, encoding="utf-8") as fh:
                parser.read_file(fh, source=path)
        except OSError as exc:
            error = f"cannot be read ({exc.strerror or type(exc).__name__})"
        except UnicodeDecodeError:
            error = "is not UTF-8 text"
        except configparser.Error as exc:
            error = f"is not a valid INI file ({type(exc).__name__})"
        if error is not None:
            raise _file_error(path, error)
        name = self._profile_name
        if not parser.has_section(name):
            found = ", ".join(parser.sections()) or "none"
            raise _file_error(path, f"has no [{name}] section (sections: {found})")
        section = parser[name]
        values: Dict[str, str] = {}
        for field in ("secret_id", "secret_key", "token"):
            raw = section.get(field)
            if raw is not None:
                values[field] = _unquote(raw)
        missing = [f for f in ("secret_id", "secret_key") if not values.get(f)]
        if missing:
            raise _file_error(path, f"section [{name}] has no {' or '.join(missing)}")
        return make_credential(
            values["secret_id"],
            values["secret_key"],
            values.get("token") or None,
            f"credentials file {path} [{name}]",
        )

    def _absent_reason(self) -> str:
        return f"no file at {' or '.join(self.candidates())}"

    def __repr__(self) -> str:
        return f"ProfileCredential(path={self._path!r}, profile_name={self._profile_name!r})"
