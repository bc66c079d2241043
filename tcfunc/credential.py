"""Credentials: the frozen :class:`Credential` value and the providers.

A provider is anything with ``get_credential() -> Credential``; a
:class:`Credential` is itself a provider that returns itself. Clients take a
fresh snapshot for every attempt, so a refreshing provider can never hand one
request an id from one credential and a key from another.

The providers, in the order :class:`DefaultCredentialProvider` tries them:
:class:`EnvironmentVariableCredential`, :class:`ProfileCredential`,
:class:`CVMRoleCredential`, :class:`DefaultTkeOIDCRoleArnProvider`; and
:class:`STSAssumeRoleCredential` / :class:`OIDCRoleArnCredential` for role
assumption. The temporary kinds share one refresh mechanism
(:class:`RefreshingCredential`, in ``tcfunc._refresh``). Every failure is a
:class:`TencentCloudSDKException`; no repr, message or log line shows a key
or token. Error codes raised here:

* ``InvalidCredential``: a secret id/key/token that cannot be used (empty,
  spaces, control characters), wherever it came from;
* ``ClientError.CredentialFileError``: a credentials file (or TKE token
  file) that exists but cannot be read or lacks what is needed;
* ``ClientError.CredentialConfigError``: a missing environment variable or a
  bad provider argument;
* ``ClientError.MetadataError``: the CVM metadata service failed or answered
  something unusable;
* ``ClientError.STSError``: an STS answer without the expected fields (an
  error *from* STS keeps STS's own code, e.g. ``AuthFailure.SignatureFailure``);
* ``ClientError.CredentialNotFound``: :class:`DefaultCredentialProvider`
  found nothing; the message lists each source and why it failed.

Nothing here imports urllib3 or the client at module level: the metadata
fetch uses ``http.client`` and STS calls import :mod:`tcfunc.client` lazily.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Tuple, runtime_checkable

import attrs

from ._refresh import RefreshingCredential, SingleFlight
from ._validate import CONTROL_CHARS, fail
from .errors import TencentCloudSDKException
from .profile import ClientProfile, redact_url

__all__ = [
    "Credential",
    "CredentialProvider",
    "EnvironmentVariableCredential",
    "ProfileCredential",
    "CVMRoleCredential",
    "STSAssumeRoleCredential",
    "OIDCRoleArnCredential",
    "DefaultTkeOIDCRoleArnProvider",
    "DefaultCredentialProvider",
    "RefreshingCredential",
    "DEFAULT_METADATA_ENDPOINT",
]

logger = logging.getLogger("tcfunc.credential")


@runtime_checkable
class CredentialProvider(Protocol):
    """Anything that can hand out a consistent credential snapshot."""

    def get_credential(self) -> Optional[Credential]:
        """A snapshot to sign one attempt with, or None when this source has none."""
        ...


def _check_part(what: str, *, in_header: bool) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value is None or not isinstance(value, str) or value.strip() == "":
            fail("InvalidCredential", f"{what} should not be none or empty")
        if value.strip() != value:
            fail("InvalidCredential", f"{what} should not contain spaces")
        if CONTROL_CHARS.search(value):
            fail("InvalidCredential", f"{what} should not contain control characters")
        if in_header and not value.isascii():
            # The id travels in the Authorization header (or v1 params).
            fail("InvalidCredential", f"{what} should be ASCII")

    return check


def _check_token(_inst: Any, _attr: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        fail("InvalidCredential", "token should be a string or None")
    if CONTROL_CHARS.search(value):
        fail("InvalidCredential", "token should not contain control characters")
    if not value.isascii():
        # Sent as X-TC-Token; real tokens are ASCII, anything else fails on the wire.
        fail("InvalidCredential", "token should be ASCII")


def _mask(value: Optional[str]) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen
class Credential:
    """A secret id and key, and a session token for temporary credentials.

    Validated as the official SDK does (non-empty, no surrounding spaces) and
    additionally refuses control characters, which would otherwise end up in
    a header. The repr never shows the key or the token. ``expires_at`` (Unix
    seconds) is set on temporary credentials by the refreshing providers.
    """

    secret_id: str = attrs.field(validator=_check_part("secret id", in_header=True))
    secret_key: str = attrs.field(
        validator=_check_part("secret key", in_header=False), repr=lambda _v: "'***'"
    )
    token: Optional[str] = attrs.field(default=None, validator=_check_token, repr=_mask)
    expires_at: Optional[float] = attrs.field(default=None, kw_only=True)

    @property
    def secretId(self) -> str:
        """The official SDK's alias of :attr:`secret_id`."""
        return self.secret_id

    @property
    def secretKey(self) -> str:
        """The official SDK's alias of :attr:`secret_key`."""
        return self.secret_key

    def get_credential_info(self) -> Tuple[str, str, Optional[str]]:
        """``(secret_id, secret_key, token)``."""
        return self.secret_id, self.secret_key, self.token

    def get_credential(self) -> Credential:
        """A credential is its own provider."""
        return self


# ---------------------------------------------------------------------------
# helpers


def _config_error(message: str) -> TencentCloudSDKException:
    return TencentCloudSDKException("ClientError.CredentialConfigError", message)


def _check_arg(name: str, value: Any) -> str:
    """A non-empty string without control characters (never echoed: it may be secret)."""
    if not isinstance(value, str) or not value.strip():
        raise _config_error(f"{name} must be a non-empty string")
    if CONTROL_CHARS.search(value):
        raise _config_error(f"{name} must not contain control characters")
    return value


def _check_duration(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 43200:
        raise _config_error(f"duration_seconds must be an integer in 1..43200, got {value!r}")
    return value


def _make_credential(
    secret_id: str, secret_key: str, token: Optional[str], where: str, **kw: Any
) -> Credential:
    """A Credential, with validation errors that say where the values came from."""
    try:
        return Credential(secret_id, secret_key, token, **kw)
    except TencentCloudSDKException as exc:
        raise TencentCloudSDKException("InvalidCredential", f"{where}: {exc.message}") from None


# ---------------------------------------------------------------------------
# environment


# Variable names, not secrets.
ENV_SECRET_ID = "TENCENTCLOUD_SECRET_ID"  # noqa: S105
ENV_SECRET_KEY = "TENCENTCLOUD_SECRET_KEY"  # noqa: S105
ENV_SESSION_TOKEN = "TENCENTCLOUD_SESSION_TOKEN"  # noqa: S105


class EnvironmentVariableCredential:
    """A credential from ``TENCENTCLOUD_SECRET_ID`` / ``TENCENTCLOUD_SECRET_KEY``.

    ``TENCENTCLOUD_SESSION_TOKEN``, when set, becomes the token. The variables
    are read at every call, so a change is picked up.
    """

    def get_credential(self) -> Optional[Credential]:
        """The credential, or None when the id or the key is unset or empty.

        Raises:
            TencentCloudSDKException: ``InvalidCredential`` when a value is set
                but unusable (spaces, control characters).
        """
        secret_id = os.environ.get(ENV_SECRET_ID, "")
        secret_key = os.environ.get(ENV_SECRET_KEY, "")
        if not secret_id or not secret_key:
            return None
        token = os.environ.get(ENV_SESSION_TOKEN) or None
        return _make_credential(secret_id, secret_key, token, "environment credential")

    def _absent_reason(self) -> str:
        unset = [n for n in (ENV_SECRET_ID, ENV_SECRET_KEY) if not os.environ.get(n)]
        return f"{' and '.join(unset)} not set"

    def __repr__(self) -> str:
        return "EnvironmentVariableCredential()"


# ---------------------------------------------------------------------------
# profile file


ENV_CREDENTIALS_FILE = "TENCENTCLOUD_CREDENTIALS_FILE"
USER_CREDENTIALS_FILE = "~/.tencentcloud/credentials"
SYSTEM_CREDENTIALS_FILE = "/etc/tencentcloud/credentials"


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
            _check_arg("ProfileCredential path", path)
        self._path = path
        self._profile_name = _check_arg("ProfileCredential profile_name", profile_name)
        self._lock = threading.Lock()
        self._cached: Optional[Tuple[Tuple[str, int, int], Credential]] = None

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
        for path in self.candidates():
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise _file_error(path, f"cannot be read ({exc.strerror or exc})") from None
            key = (path, st.st_mtime_ns, st.st_size)
            with self._lock:
                if self._cached is not None and self._cached[0] == key:
                    return self._cached[1]
            cred = self._parse(path)
            with self._lock:
                self._cached = (key, cred)
            return cred
        return None

    def _parse(self, path: str) -> Credential:
        import configparser  # lazily: most processes never read a credentials file

        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path, encoding="utf-8") as fh:
                parser.read_file(fh, source=path)
        except OSError as exc:
            raise _file_error(path, f"cannot be read ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise _file_error(path, "is not UTF-8 text") from None
        except configparser.Error as exc:
            # configparser messages quote the offending line, which may hold a key.
            raise _file_error(path, f"is not a valid INI file ({type(exc).__name__})") from None
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
        return _make_credential(
            values["secret_id"],
            values["secret_key"],
            values.get("token") or None,
            f"credentials file {path} [{name}]",
        )

    def _absent_reason(self) -> str:
        return f"no file at {' or '.join(self.candidates())}"

    def __repr__(self) -> str:
        return f"ProfileCredential(path={self._path!r}, profile_name={self._profile_name!r})"


# ---------------------------------------------------------------------------
# CVM instance role


DEFAULT_METADATA_ENDPOINT = "http://metadata.tencentyun.com/latest/meta-data/"
ENV_METADATA_ENDPOINT = "TENCENTCLOUD_METADATA_ENDPOINT"
_MAX_METADATA_BYTES = 64 * 1024


def _metadata_error(message: str) -> TencentCloudSDKException:
    return TencentCloudSDKException("ClientError.MetadataError", message)


def _check_metadata_endpoint(value: Any) -> str:
    from urllib.parse import urlsplit

    if not isinstance(value, str) or CONTROL_CHARS.search(value):
        raise _config_error("metadata_endpoint must be an http(s) URL")
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        raise _config_error(
            f"metadata_endpoint is not a valid URL: {redact_url(value)!r}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise _config_error(
            "metadata_endpoint must look like http://host[:port]/path/ (no user info), "
            f"got {redact_url(value)!r}"
        )
    return value if value.endswith("/") else value + "/"


def _http_get(url: str, connect_timeout: float, total_timeout: float) -> Tuple[int, bytes]:
    """GET ``url`` with a connect timeout and an overall deadline; no proxy, no retry."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + total_timeout
    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_cls(parts.hostname or "", parts.port, timeout=connect_timeout)
    closers: List[Callable[[], None]] = [conn.close]
    try:
        conn.connect()

        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            return left

        # http.client drops conn.sock once a response that closes the
        # connection arrives; the socket lives on in the response, so keep it.
        sock = conn.sock
        assert sock is not None
        sock.settimeout(remaining())
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn.request("GET", target, headers={"Accept": "*/*"})
        resp = conn.getresponse()
        closers.append(resp.close)
        chunks: List[bytes] = []
        size = 0
        while True:
            # A per-read timeout alone would let a trickling server run on.
            sock.settimeout(remaining())
            chunk = resp.read1(8192)
            if not chunk:
                break
            size += len(chunk)
            if size > _MAX_METADATA_BYTES:
                raise ValueError("answer too large")
            chunks.append(chunk)
        return resp.status, b"".join(chunks)
    finally:
        for close in closers:
            close()


def _temporary_fields(
    fields: Mapping[str, Any], expired: Any, prefix: str
) -> Tuple[List[str], float]:
    """The names missing from a temporary-credential answer, and its expiry."""
    missing = [
        prefix + name
        for name in ("TmpSecretId", "TmpSecretKey", "Token")
        if not isinstance(fields.get(name), str) or not fields.get(name)
    ]
    if isinstance(expired, bool) or not isinstance(expired, (int, float)):
        return [*missing, "ExpiredTime"], 0.0
    return missing, float(expired)


class CVMRoleCredential(RefreshingCredential):
    """Temporary credentials of the CAM role bound to this CVM instance.

    Reads the instance metadata service: the role name from
    ``<endpoint>cam/security-credentials/`` when ``role_name`` is not given,
    then ``TmpSecretId``, ``TmpSecretKey``, ``Token`` and ``ExpiredTime`` from
    ``<endpoint>cam/security-credentials/<role>``. Each request has a short
    connect timeout and an overall deadline and is tried once, so off-cloud it
    fails in about a second. Refreshes as :class:`RefreshingCredential` says.

    Args:
        role_name: the CAM role; discovered (once) when None.
        metadata_endpoint: base URL of the metadata service.
        connect_timeout, timeout: seconds for connecting and for the whole request.
        clock: injectable ``() -> float`` Unix seconds.

    Raises (from ``get_credential``):
        TencentCloudSDKException: ``ClientError.MetadataError`` with the cause.
    """

    def __init__(
        self,
        role_name: Optional[str] = None,
        metadata_endpoint: str = DEFAULT_METADATA_ENDPOINT,
        *,
        connect_timeout: float = 1.0,
        timeout: float = 2.0,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(clock=clock)
        if role_name is not None:
            _check_arg("role_name", role_name)
        self._role = role_name
        self._endpoint = _check_metadata_endpoint(metadata_endpoint)
        self._connect_timeout = float(connect_timeout)
        self._timeout = float(timeout)

    @property
    def role_name(self) -> Optional[str]:
        """The role, once given or discovered."""
        return self._role

    def _get(self, path: str) -> bytes:
        url = self._endpoint + path
        import http.client

        try:
            status, body = _http_get(url, self._connect_timeout, self._timeout)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # OSError: refused, unreachable, DNS failure, timeout; HTTPException:
            # a garbled answer. Either way the cause goes into the message.
            raise _metadata_error(f"cannot read {url}: {type(exc).__name__}: {exc}") from None
        if status == 404 and path.endswith("security-credentials/"):
            raise _metadata_error(f"no CAM role is bound to this instance ({url} answered 404)")
        if status != 200:
            raise _metadata_error(f"{url} answered HTTP {status}")
        return body

    def _discover_role(self) -> str:
        body = self._get("cam/security-credentials/")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _metadata_error("the role list from the metadata service is not UTF-8") from None
        roles = [line.strip() for line in text.splitlines() if line.strip()]
        if not roles:
            raise _metadata_error("no CAM role is bound to this instance (empty role list)")
        role = roles[0]
        if CONTROL_CHARS.search(role) or "/" in role:
            raise _metadata_error("the metadata service returned an unusable role name")
        return role

    def _fetch(self) -> Credential:
        from urllib.parse import quote

        role = self._role
        if role is None:
            role = self._discover_role()
            self._role = role
        body = self._get("cam/security-credentials/" + quote(role, safe=""))
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            raise _metadata_error(f"the credentials of role {role!r} are not JSON") from None
        if not isinstance(data, Mapping):
            raise _metadata_error(f"the credentials of role {role!r} are not a JSON object")
        code = data.get("Code", "Success")
        if code != "Success":
            raise _metadata_error(f"the metadata service answered Code={str(code)[:64]!r}")
        missing, expires_at = _temporary_fields(data, data.get("ExpiredTime"), "")
        if missing:
            raise _metadata_error(f"the credentials of role {role!r} lack {', '.join(missing)}")
        try:
            return Credential(
                data["TmpSecretId"], data["TmpSecretKey"], data["Token"], expires_at=expires_at
            )
        except TencentCloudSDKException as exc:
            raise _metadata_error(
                f"the credentials of role {role!r} are unusable: {exc.message}"
            ) from None

    def _describe(self) -> str:
        return f"role_name={self._role!r}, metadata_endpoint={self._endpoint!r}"


# ---------------------------------------------------------------------------
# STS


STS_SERVICE = "sts"
STS_VERSION = "2018-08-13"
STS_DEFAULT_REGION = "ap-guangzhou"


def _sts_profile(endpoint: Optional[str], profile: Optional[ClientProfile]) -> ClientProfile:
    if profile is None:
        profile = ClientProfile()
    elif not isinstance(profile, ClientProfile):
        raise _config_error("profile must be a ClientProfile")
    if endpoint is not None:
        http = attrs.evolve(profile.httpProfile, endpoint=endpoint)
        profile = attrs.evolve(profile, httpProfile=http)
    return profile


def _sts_credential(rsp: Any, action: str) -> Credential:
    """The temporary credential in an STS answer, checked field by field."""
    body = rsp.get("Response") if isinstance(rsp, Mapping) else None
    if not isinstance(body, Mapping):
        raise TencentCloudSDKException("ClientError.STSError", f"{action} answer has no Response")
    request_id = body.get("RequestId") if isinstance(body.get("RequestId"), str) else None
    creds = body.get("Credentials")
    creds = creds if isinstance(creds, Mapping) else {}
    missing, expires_at = _temporary_fields(creds, body.get("ExpiredTime"), "Credentials.")
    if missing:
        raise TencentCloudSDKException(
            "ClientError.STSError", f"{action} answer lacks {', '.join(missing)}", request_id
        )
    try:
        return Credential(
            creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"], expires_at=expires_at
        )
    except TencentCloudSDKException as exc:
        raise TencentCloudSDKException(
            "ClientError.STSError",
            f"{action} returned an unusable credential: {exc.message}",
            request_id,
        ) from None


class STSAssumeRoleCredential(RefreshingCredential):
    """Temporary credentials of a CAM role, from STS ``AssumeRole``.

    The call is signed with the long-term ``secret_id``/``secret_key`` and
    goes through :class:`tcfunc.client.CommonClient` (service ``sts``,
    version 2018-08-13, region ``ap-guangzhou`` unless ``region=``).

    Args:
        secret_id, secret_key: the long-term key allowed to assume the role.
        role_arn: e.g. ``qcs::cam::uin/100000000001:roleName/my-role``.
        role_session_name: a name for the session (shows in CloudAudit).
        duration_seconds: lifetime asked for, 1..43200 (default 7200).
        endpoint: STS host, default ``sts.tencentcloudapi.com``.
        profile: the :class:`ClientProfile` for the STS call (protocol,
            timeout, retryer); ``endpoint`` overrides its endpoint.
        region: the STS region.
        clock: injectable ``() -> float`` Unix seconds.
    """

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        role_arn: str,
        role_session_name: str,
        duration_seconds: int = 7200,
        endpoint: Optional[str] = None,
        profile: Optional[ClientProfile] = None,
        *,
        region: str = STS_DEFAULT_REGION,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(clock=clock)
        self._long_term = _make_credential(secret_id, secret_key, None, "STSAssumeRoleCredential")
        self._role_arn = _check_arg("role_arn", role_arn)
        self._session_name = _check_arg("role_session_name", role_session_name)
        self._duration = _check_duration(duration_seconds)
        self._region = _check_arg("region", region)
        self._profile = _sts_profile(endpoint, profile)
        self._client: Any = None

    def _fetch(self) -> Credential:
        from .client import CommonClient

        # Only the refreshing thread gets here (single flight), so the lazy
        # client needs no lock of its own.
        if self._client is None:
            self._client = CommonClient(
                STS_SERVICE, STS_VERSION, self._long_term, self._region, self._profile
            )
        rsp = self._client.call_json(
            "AssumeRole",
            {
                "RoleArn": self._role_arn,
                "RoleSessionName": self._session_name,
                "DurationSeconds": self._duration,
            },
        )
        return _sts_credential(rsp, "AssumeRole")

    def _describe(self) -> str:
        return (
            f"role_arn={self._role_arn!r}, role_session_name={self._session_name!r}, "
            f"endpoint={self._profile.httpProfile.endpoint!r}"
        )


class OIDCRoleArnCredential(RefreshingCredential):
    """Temporary credentials from STS ``AssumeRoleWithWebIdentity`` (OIDC).

    The call is unsigned (``Authorization: SKIP``): the web identity token
    issued by the identity provider is the proof.

    Args:
        region: the STS region.
        provider_id: the identity provider's name in CAM.
        web_identity_token: the OIDC token (never shown in a repr or message).
        role_arn, role_session_name, duration_seconds, endpoint, profile:
            as for :class:`STSAssumeRoleCredential`.
        clock: injectable ``() -> float`` Unix seconds.
    """

    def __init__(
        self,
        region: str,
        provider_id: str,
        web_identity_token: str,
        role_arn: str,
        role_session_name: str,
        duration_seconds: int = 7200,
        endpoint: Optional[str] = None,
        profile: Optional[ClientProfile] = None,
        *,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(clock=clock)
        self._region = _check_arg("region", region)
        self._provider_id = _check_arg("provider_id", provider_id)
        self._web_identity_token = _check_arg("web_identity_token", web_identity_token)
        self._role_arn = _check_arg("role_arn", role_arn)
        self._session_name = _check_arg("role_session_name", role_session_name)
        self._duration = _check_duration(duration_seconds)
        self._profile = _sts_profile(endpoint, profile)
        self._client: Any = None

    def _identity_token(self) -> str:
        return self._web_identity_token

    def _fetch(self) -> Credential:
        token = self._identity_token()
        from .client import CommonClient

        if self._client is None:
            self._client = CommonClient(
                # No credential: the call is sent with Authorization: SKIP.
                STS_SERVICE,
                STS_VERSION,
                None,
                self._region,
                self._profile,
            )
        rsp = self._client.call_json(
            "AssumeRoleWithWebIdentity",
            {
                "ProviderId": self._provider_id,
                "WebIdentityToken": token,
                "RoleArn": self._role_arn,
                "RoleSessionName": self._session_name,
                "DurationSeconds": self._duration,
            },
            options={"SkipSign": True},
        )
        return _sts_credential(rsp, "AssumeRoleWithWebIdentity")

    def _describe(self) -> str:
        return (
            f"region={self._region!r}, provider_id={self._provider_id!r}, "
            f"role_arn={self._role_arn!r}, role_session_name={self._session_name!r}"
        )


TKE_REGION = "TKE_REGION"
TKE_PROVIDER_ID = "TKE_PROVIDER_ID"
TKE_WEB_IDENTITY_TOKEN_FILE = "TKE_WEB_IDENTITY_TOKEN_FILE"  # noqa: S105 (a variable name)
TKE_ROLE_ARN = "TKE_ROLE_ARN"
_TKE_VARIABLES = (TKE_REGION, TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN)


class DefaultTkeOIDCRoleArnProvider(OIDCRoleArnCredential):
    """OIDC role credentials on TKE, configured by the pod's environment.

    Reads ``TKE_REGION``, ``TKE_PROVIDER_ID``, ``TKE_WEB_IDENTITY_TOKEN_FILE``
    and ``TKE_ROLE_ARN`` when built, and reads the token file again at every
    refresh (TKE rotates it). The session name is ``tcfunc-<microseconds>``.

    Args:
        duration_seconds, endpoint, profile, clock: as for :class:`OIDCRoleArnCredential`.

    Raises:
        TencentCloudSDKException: ``ClientError.CredentialConfigError`` naming
            the first missing variable; ``ClientError.CredentialFileError``
            when the token file cannot be read (at refresh).
    """

    def __init__(
        self,
        duration_seconds: int = 7200,
        endpoint: Optional[str] = None,
        profile: Optional[ClientProfile] = None,
        *,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        values: Dict[str, str] = {}
        for name in _TKE_VARIABLES:
            value = os.environ.get(name, "")
            if not value.strip():
                raise _config_error(f"{name} is not set")
            values[name] = value.strip()
        self._token_file = values[TKE_WEB_IDENTITY_TOKEN_FILE]
        super().__init__(
            values[TKE_REGION],
            values[TKE_PROVIDER_ID],
            "read-from-file",
            values[TKE_ROLE_ARN],
            f"tcfunc-{int(time.time() * 1e6)}",
            duration_seconds,
            endpoint,
            profile,
            clock=clock,
        )

    def _identity_token(self) -> str:
        path = self._token_file
        try:
            with open(path, encoding="utf-8") as fh:
                token = fh.read().strip()
        except FileNotFoundError:
            raise TencentCloudSDKException(
                "ClientError.CredentialFileError",
                f"web identity token file {path} ({TKE_WEB_IDENTITY_TOKEN_FILE}) does not exist",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TencentCloudSDKException(
                "ClientError.CredentialFileError",
                f"web identity token file {path} cannot be read ({type(exc).__name__})",
            ) from None
        if not token or CONTROL_CHARS.search(token):
            raise TencentCloudSDKException(
                "ClientError.CredentialFileError",
                f"web identity token file {path} is empty or not a token",
            )
        return token

    def _describe(self) -> str:
        return f"{super()._describe()}, token_file={self._token_file!r}"


# ---------------------------------------------------------------------------
# the default chain


_MISCONFIGURED = ("InvalidCredential", "ClientError.CredentialFileError")


def _reason(exc: TencentCloudSDKException) -> str:
    return f"{exc.code}: {exc.message}"


class DefaultCredentialProvider:
    """The first credential source that works, then that source every time.

    Tries, in order: environment variables, the credentials file, the CVM
    instance role (metadata service, one short attempt), TKE OIDC. The first
    source that yields a credential is kept and asked on every later call (so
    its refresh applies); if it later yields nothing (e.g. the environment
    variables were removed) the chain is searched again. Concurrent first
    calls share one search.

    Args:
        metadata_endpoint: the CVM metadata base URL; default
            ``$TENCENTCLOUD_METADATA_ENDPOINT`` when set, else the real
            service. Point it at a closed local port to keep tests off it.
        oidc_profile: :class:`ClientProfile` for the TKE OIDC STS call.
        clock: injectable ``() -> float`` for the refreshing sources.

    Raises (from ``get_credential``):
        TencentCloudSDKException: ``ClientError.CredentialNotFound`` listing
            every source and why it failed.
    """

    def __init__(
        self,
        *,
        metadata_endpoint: Optional[str] = None,
        oidc_profile: Optional[ClientProfile] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        if metadata_endpoint is not None:
            _check_metadata_endpoint(metadata_endpoint)
        self._metadata_endpoint = metadata_endpoint
        if oidc_profile is not None and not isinstance(oidc_profile, ClientProfile):
            raise _config_error("oidc_profile must be a ClientProfile")
        self._oidc_profile = oidc_profile
        self._clock = clock
        self._lock = threading.Lock()
        self._source: Optional[CredentialProvider] = None
        self._search: SingleFlight[CredentialProvider] = SingleFlight()

    @property
    def source(self) -> Optional[CredentialProvider]:
        """The provider that worked, once one has."""
        return self._source

    def get_credential(self) -> Credential:
        """A credential from the cached source, searching the chain when there is none."""
        with self._lock:
            source = self._source
        if source is not None:
            cred = source.get_credential()
            if cred is not None:
                return cred
            with self._lock:
                if self._source is source:
                    self._source = None
        source = self._search.run(self._find, "searching for a credential")
        cred = source.get_credential()
        if cred is None:
            raise TencentCloudSDKException(
                "ClientError.CredentialNotFound",
                f"{type(source).__name__} stopped yielding a credential",
            )
        return cred

    def get_credentials(self) -> Credential:
        """The official SDK's alias of :meth:`get_credential`."""
        return self.get_credential()

    def _probe_environment(self) -> Tuple[Optional[CredentialProvider], str]:
        env = EnvironmentVariableCredential()
        if env.get_credential() is not None:
            return env, ""
        return None, env._absent_reason()

    def _probe_profile(self) -> Tuple[Optional[CredentialProvider], str]:
        prof = ProfileCredential()
        if prof.get_credential() is not None:
            return prof, ""
        return None, prof._absent_reason()

    def _probe_cvm(self) -> Tuple[Optional[CredentialProvider], str]:
        endpoint = self._metadata_endpoint or os.environ.get(ENV_METADATA_ENDPOINT)
        cvm = CVMRoleCredential(
            metadata_endpoint=endpoint or DEFAULT_METADATA_ENDPOINT, clock=self._clock
        )
        cvm.get_credential()  # raises with the cause when there is no role
        return cvm, ""

    def _probe_tke(self) -> Tuple[Optional[CredentialProvider], str]:
        tke = DefaultTkeOIDCRoleArnProvider(profile=self._oidc_profile, clock=self._clock)
        tke.get_credential()
        return tke, ""

    def _find(self) -> CredentialProvider:
        probes: List[Tuple[str, Callable[[], Tuple[Optional[CredentialProvider], str]]]] = [
            ("environment", self._probe_environment),
            ("profile file", self._probe_profile),
            ("CVM role", self._probe_cvm),
            ("TKE OIDC", self._probe_tke),
        ]
        tried: List[str] = []
        for label, probe in probes:
            try:
                provider, why = probe()
            except TencentCloudSDKException as exc:
                provider, why = None, _reason(exc)
                # A source that is present but broken deserves a warning even
                # when a later source works; an absent one does not.
                level = logging.WARNING if exc.code in _MISCONFIGURED else logging.DEBUG
                logger.log(level, "credential source %s failed: %s", label, why)
            if provider is not None:
                logger.debug("using credentials from %s", label)
                with self._lock:
                    self._source = provider
                return provider
            tried.append(f"{label} ({why})")
        raise TencentCloudSDKException(
            "ClientError.CredentialNotFound",
            "no credential found; tried: " + "; ".join(tried),
        )

    def __repr__(self) -> str:
        source = self._source
        name = None if source is None else type(source).__name__
        return f"DefaultCredentialProvider(source={name})"
