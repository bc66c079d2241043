"""The default chain: the first credential source that works, then that source every time."""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable, List, Optional, Tuple

from .._credential import Credential, CredentialProvider
from ..errors import TencentCloudSDKException
from ..profile import ClientProfile
from ._common import config_error
from ._refresh import SingleFlight
from .cvm import (
    DEFAULT_METADATA_ENDPOINT,
    ENV_METADATA_ENDPOINT,
    CVMRoleCredential,
    check_metadata_endpoint,
)
from .env import EnvironmentVariableCredential
from .file import ProfileCredential
from .sts import DefaultTkeOIDCRoleArnProvider

__all__ = ["DefaultCredentialProvider"]

logger = logging.getLogger("tcfunc.credential")

_MISCONFIGURED = ("InvalidCredential", "ClientError.CredentialFileError")
_Probe = Callable[[], Tuple[Optional[CredentialProvider], str]]


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
            check_metadata_endpoint(metadata_endpoint)
        self._metadata_endpoint = metadata_endpoint
        if oidc_profile is not None and not isinstance(oidc_profile, ClientProfile):
            raise config_error("oidc_profile must be a ClientProfile")
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
        source = self._cached_source()
        if source is not None:
            cred = source.get_credential()
            if cred is not None:
                return cred
            self._forget(source)
        source = self._search.run(self._find, "searching for a credential")
        return self._from_found(source, source.get_credential())

    async def get_credential_async(self) -> Credential:
        """:meth:`get_credential` for asyncio: the search and any fetch run off the loop."""
        source = self._cached_source()
        if source is not None:
            cred = await _ask_async(source)
            if cred is not None:
                return cred
            self._forget(source)
        source = await self._search.run_async(self._find, "searching for a credential")
        return self._from_found(source, await _ask_async(source))

    def get_credentials(self) -> Credential:
        """The official SDK's alias of :meth:`get_credential`."""
        return self.get_credential()

    def _cached_source(self) -> Optional[CredentialProvider]:
        with self._lock:
            return self._source

    def _forget(self, source: CredentialProvider) -> None:
        with self._lock:
            if self._source is source:
                self._source = None

    @staticmethod
    def _from_found(source: CredentialProvider, cred: Optional[Credential]) -> Credential:
        if cred is None:
            raise TencentCloudSDKException(
                "ClientError.CredentialNotFound",
                f"{type(source).__name__} stopped yielding a credential",
            )
        return cred

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
        probes: List[Tuple[str, _Probe]] = [
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


async def _ask_async(source: CredentialProvider) -> Optional[Credential]:
    get_async = getattr(source, "get_credential_async", None)
    if get_async is not None:
        got: Optional[Credential] = await get_async()
        return got
    import asyncio

    return await asyncio.to_thread(source.get_credential)
