"""Temporary credentials from STS: ``AssumeRole`` and ``AssumeRoleWithWebIdentity`` (OIDC).

Each fetch is one request built by :func:`tcfunc.request.prepare_request`,
sent by a transport and read by :func:`tcfunc.response.parse_response`; the
client is not involved (it would import the providers back, and bring its
retries, breaker and per-call timeout with it).

What bounds a refresh: the provider's own ``timeout`` (``timeout=``, else
its profile's ``HttpProfile.reqTimeout``, else 10 seconds), for the one
attempt, or for both attempts together when an ``AuthFailure.SignatureExpire``
answer makes it sign again with the server's clock. A refresh that runs
inside a client call is bounded by that, not by the client's ``reqTimeout``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import attrs

from .._credential import Credential, detach
from .._validate import CONTROL_CHARS
from ..errors import TencentCloudSDKException
from ..profile import ClientProfile, HttpProfile
from ._common import (
    check_arg,
    check_duration,
    check_session_name,
    config_error,
    make_credential,
    temporary_credential,
)
from ._refresh import RefreshingCredential

__all__ = [
    "DEFAULT_STS_TIMEOUT",
    "STS_DEFAULT_REGION",
    "STS_SERVICE",
    "STS_VERSION",
    "DefaultTkeOIDCRoleArnProvider",
    "OIDCRoleArnCredential",
    "STSAssumeRoleCredential",
]

logger = logging.getLogger("tcfunc.credential")

STS_SERVICE = "sts"
STS_VERSION = "2018-08-13"
STS_DEFAULT_REGION = "ap-guangzhou"
# A refresh may run inside a client call: it should not take a minute (the
# HttpProfile default) to fail.
DEFAULT_STS_TIMEOUT = 10.0


def _sts_profile(
    endpoint: Optional[str], profile: Optional[ClientProfile], timeout: Optional[float]
) -> ClientProfile:
    if profile is None:
        profile = ClientProfile(httpProfile=HttpProfile(reqTimeout=DEFAULT_STS_TIMEOUT))
    elif not isinstance(profile, ClientProfile):
        raise config_error("profile must be a ClientProfile")
    changes: Dict[str, Any] = {}
    if endpoint is not None:
        changes["endpoint"] = endpoint
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise config_error(f"timeout must be a number of seconds, got {timeout!r}")
        changes["reqTimeout"] = timeout  # HttpProfile checks the range
    if changes:
        profile = attrs.evolve(profile, httpProfile=attrs.evolve(profile.httpProfile, **changes))
    return profile


def _shared_transport(http: HttpProfile) -> Tuple[Any, Callable[[], None]]:
    """The urllib3 transport clients with the same settings share, and its release."""
    from .._urllib3 import acquire  # here: urllib3 loads at the first fetch, not at import

    return acquire(http)


def _server_offset(headers: Mapping[str, str], sent_at: float) -> Optional[float]:
    """Seconds to add to the local clock, from an answer's ``Date`` header."""
    from ..skew import server_time  # the clients' one Date rule

    server = server_time(headers)
    return None if server is None else server - sent_at


class _STSProvider(RefreshingCredential):
    """The STS request, shared by AssumeRole and AssumeRoleWithWebIdentity."""

    _action = ""

    def __init__(
        self,
        region: str,
        endpoint: Optional[str],
        profile: Optional[ClientProfile],
        timeout: Optional[float],
        transport: Any,
        clock: Optional[Callable[[], float]],
    ) -> None:
        super().__init__(clock=clock)
        self._region = check_arg("region", region)
        self._profile = _sts_profile(endpoint, profile, timeout)
        if transport is not None and not callable(getattr(transport, "send", None)):
            raise config_error("transport must have a send(request, timeout) method")
        self._transport = transport
        self._transport_lock = threading.Lock()
        self._release: Optional[Callable[[], Any]] = None
        self._offset = 0.0  # learnt from a SignatureExpire answer's Date

    @property
    def timeout(self) -> float:
        """Seconds one refresh may take (the profile's ``reqTimeout``)."""
        return float(self._profile.httpProfile.reqTimeout)

    def close(self) -> None:
        """Give back the shared transport this provider took (not one it was given)."""
        with self._transport_lock:
            release, self._release = self._release, None
            if release is not None:
                self._transport = None
        if release is not None:
            release()

    def _get_transport(self) -> Any:
        transport = self._transport
        if transport is None:
            with self._transport_lock:
                if self._transport is None:
                    self._transport, release = _shared_transport(self._profile.httpProfile)
                    # Given back by close(), or when the provider is collected.
                    self._release = weakref.finalize(self, release)
                transport = self._transport
        return transport

    def _params(self) -> Dict[str, Any]:
        raise NotImplementedError

    def _signing_credential(self) -> Optional[Credential]:
        raise NotImplementedError

    def _fetch(self) -> Credential:
        params = self._params()
        deadline = time.monotonic() + self.timeout
        headers, document, error, sent_at = self._attempt(params, deadline)
        if (
            error is not None
            and error.code == "AuthFailure.SignatureExpire"
            and time.monotonic() < deadline
        ):
            # Our clock is off: sign once more with the server's (its Date).
            offset = _server_offset(headers, sent_at)
            if offset is not None:
                self._offset = offset
                headers, document, error, sent_at = self._attempt(params, deadline)
        if error is not None:
            raise error
        request_id = _request_id(document)
        body = document.get("Response")
        assert isinstance(body, Mapping)  # parse_response checked it
        creds = body.get("Credentials")
        action = self._action
        return temporary_credential(
            creds if isinstance(creds, Mapping) else {},
            body.get("ExpiredTime"),
            self._clock(),
            "Credentials.",
            lambda what: TencentCloudSDKException(
                "ClientError.STSError", f"{action} answer {what}", request_id
            ),
        )

    def _attempt(
        self, params: Dict[str, Any], deadline: float
    ) -> Tuple[Mapping[str, str], Dict[str, Any], Optional[TencentCloudSDKException], float]:
        """One request: ``(headers, document, error, signed_at)``; errors are returned.

        Every error is built or copied outside the ``except`` clause that
        caught its cause, so none carries a chain: a urllib3 error may hold a
        GET URL with the web identity token, a JSON error the whole answer.
        """
        from .._logging import RequestLine, ResponseLine
        from ..request import RequestOptions, prepare_request
        from ..response import parse_response

        credential = self._signing_credential()
        sent_at = time.time()
        prepared = prepare_request(
            self._action,
            params,
            service=STS_SERVICE,
            version=STS_VERSION,
            region=self._region,
            credential=credential,  # None: the OIDC call is sent unsigned
            profile=self._profile,
            timestamp=int(sent_at + self._offset),
            options=RequestOptions(skip_sign=credential is None),
        )
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug("STS request %s", RequestLine(prepared))
        error: Optional[TencentCloudSDKException] = None
        status, headers, body = 0, {}, b""
        try:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            response = self._get_transport().send(prepared, left)
            status, headers, body = response.status, response.headers, response.read()
        except TencentCloudSDKException as exc:
            error = exc
        except TimeoutError:
            error = TencentCloudSDKException(
                "ClientNetworkError", f"{self._action} took longer than {self.timeout:g}s"
            )
        except Exception as exc:  # noqa: BLE001 (a user transport may raise anything)
            error = TencentCloudSDKException(
                "ClientNetworkError", f"{self._action} failed: {type(exc).__name__}"
            )
        if error is not None:
            return headers, {}, detach(error), sent_at
        if debug:
            logger.debug("STS response %s", ResponseLine(status, headers, body))
        document: Dict[str, Any] = {}
        try:
            document = parse_response(status, headers, body)
        except TencentCloudSDKException as exc:
            error = exc
        if error is not None:
            return headers, {}, detach(error), sent_at
        return headers, document, None, sent_at


def _request_id(document: Mapping[str, Any]) -> Optional[str]:
    body = document.get("Response")
    rid = body.get("RequestId") if isinstance(body, Mapping) else None
    return rid if isinstance(rid, str) else None


class STSAssumeRoleCredential(_STSProvider):
    """Temporary credentials of a CAM role, from STS ``AssumeRole``.

    The request is signed with the long-term ``secret_id``/``secret_key``
    (service ``sts``, version 2018-08-13, region ``ap-guangzhou`` unless
    ``region=``) and sent once, without the client's retries.

    Args:
        secret_id, secret_key: the long-term key allowed to assume the role.
        role_arn: e.g. ``qcs::cam::uin/100000000001:roleName/my-role``.
        role_session_name: a name for the session (shows in CloudAudit).
        duration_seconds: lifetime asked for, 1..43200 (default 7200).
        endpoint: STS host, default ``sts.tencentcloudapi.com``.
        profile: the :class:`ClientProfile` for the STS request (protocol,
            endpoint, proxy, ``reqTimeout``); ``endpoint`` overrides its endpoint.
            Without one, ``reqTimeout`` is 10 seconds.
        region: the STS region.
        timeout: seconds a refresh may take, whatever the server does
            (overrides the profile's ``reqTimeout``).
        transport: what sends the request (``send(request, timeout)``); by
            default a urllib3 transport for the profile, made at the first fetch.
        clock: injectable ``() -> float`` Unix seconds (for the refresh windows).
    """

    _action = "AssumeRole"

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
        timeout: Optional[float] = None,
        transport: Any = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        self._long_term = make_credential(secret_id, secret_key, None, "STSAssumeRoleCredential")
        self._role_arn = check_arg("role_arn", role_arn)
        self._session_name = check_session_name(role_session_name)
        self._duration = check_duration(duration_seconds)
        super().__init__(region, endpoint, profile, timeout, transport, clock)

    def _signing_credential(self) -> Optional[Credential]:
        return self._long_term

    def _params(self) -> Dict[str, Any]:
        return {
            "RoleArn": self._role_arn,
            "RoleSessionName": self._session_name,
            "DurationSeconds": self._duration,
        }

    def _describe(self) -> str:
        return (
            f"role_arn={self._role_arn!r}, role_session_name={self._session_name!r}, "
            f"endpoint={self._profile.httpProfile.endpoint!r}"
        )


class OIDCRoleArnCredential(_STSProvider):
    """Temporary credentials from STS ``AssumeRoleWithWebIdentity`` (OIDC).

    The request is unsigned (``Authorization: SKIP``): the web identity token
    issued by the identity provider is the proof.

    Args:
        region: the STS region.
        provider_id: the identity provider's name in CAM.
        web_identity_token: the OIDC token (never shown in a repr, message or chain).
        role_arn, role_session_name, duration_seconds, endpoint, profile,
        timeout, transport: as for :class:`STSAssumeRoleCredential`.
        clock: injectable ``() -> float`` Unix seconds.
    """

    _action = "AssumeRoleWithWebIdentity"

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
        timeout: Optional[float] = None,
        transport: Any = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        self._provider_id = check_arg("provider_id", provider_id)
        self._web_identity_token = check_arg("web_identity_token", web_identity_token)
        self._role_arn = check_arg("role_arn", role_arn)
        self._session_name = check_session_name(role_session_name)
        self._duration = check_duration(duration_seconds)
        super().__init__(region, endpoint, profile, timeout, transport, clock)

    def _identity_token(self) -> str:
        return self._web_identity_token

    def _signing_credential(self) -> Optional[Credential]:
        return None

    def _params(self) -> Dict[str, Any]:
        return {
            "ProviderId": self._provider_id,
            "WebIdentityToken": self._identity_token(),
            "RoleArn": self._role_arn,
            "RoleSessionName": self._session_name,
            "DurationSeconds": self._duration,
        }

    def _describe(self) -> str:
        return (
            f"region={self._region!r}, provider_id={self._provider_id!r}, "
            f"role_arn={self._role_arn!r}, role_session_name={self._session_name!r}"
        )


TKE_REGION = "TKE_REGION"
TKE_PROVIDER_ID = "TKE_PROVIDER_ID"
TKE_WEB_IDENTITY_TOKEN_FILE = "TKE_WEB_IDENTITY_TOKEN_FILE"  # noqa: S105 (a variable name)
TKE_ROLE_ARN = "TKE_ROLE_ARN"
TKE_VARIABLES = (TKE_REGION, TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN)


class DefaultTkeOIDCRoleArnProvider(OIDCRoleArnCredential):
    """OIDC role credentials on TKE, configured by the pod's environment.

    Reads ``TKE_REGION``, ``TKE_PROVIDER_ID``, ``TKE_WEB_IDENTITY_TOKEN_FILE``
    and ``TKE_ROLE_ARN`` when built, and reads the token file again at every
    refresh (TKE rotates it). The session name is ``tcfunc-<microseconds>``.

    Args:
        duration_seconds, endpoint, profile, timeout, transport, clock: as for
            :class:`OIDCRoleArnCredential`.

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
        timeout: Optional[float] = None,
        transport: Any = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        values: Dict[str, str] = {}
        for name in TKE_VARIABLES:
            value = os.environ.get(name, "")
            if not value.strip():
                raise config_error(f"{name} is not set")
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
            timeout=timeout,
            transport=transport,
            clock=clock,
        )

    def _identity_token(self) -> str:
        path = self._token_file
        error: Optional[str] = None
        token = ""
        try:
            with open(path, encoding="utf-8") as fh:
                token = fh.read().strip()
        except FileNotFoundError:
            error = f"web identity token file {path} ({TKE_WEB_IDENTITY_TOKEN_FILE}) does not exist"
        except (OSError, UnicodeDecodeError) as exc:
            error = f"web identity token file {path} cannot be read ({type(exc).__name__})"
        if error is None and (not token or CONTROL_CHARS.search(token)):
            error = f"web identity token file {path} is empty or not a token"
        if error is not None:
            raise TencentCloudSDKException("ClientError.CredentialFileError", error)
        return token

    def _describe(self) -> str:
        return f"{super()._describe()}, token_file={self._token_file!r}"
