"""Credentials: the frozen :class:`Credential` value and the providers.

A provider is anything with ``get_credential() -> Credential``; a
:class:`Credential` is itself a provider that returns itself. Clients take a
fresh snapshot for every attempt, so a refreshing provider can never hand one
request an id from one credential and a key from another. Every provider
here also has ``get_credential_async()``, for the asyncio client: it never
blocks the event loop (fetches run in a worker thread).

The providers, in the order :class:`DefaultCredentialProvider` tries them:
:class:`EnvironmentVariableCredential`, :class:`ProfileCredential`,
:class:`CVMRoleCredential`, :class:`DefaultTkeOIDCRoleArnProvider`; and
:class:`STSAssumeRoleCredential` / :class:`OIDCRoleArnCredential` for role
assumption. The temporary kinds share one refresh mechanism
(:class:`RefreshingCredential`). Every failure is a
:class:`TencentCloudSDKException`; no repr, message, log line or exception
chain shows a key or token. Error codes raised here:

* ``InvalidCredential``: a secret id/key/token that cannot be used (not a
  str, empty, spaces, control characters), wherever it came from;
* ``ClientError.CredentialFileError``: a credentials file (or TKE token
  file) that exists but cannot be read or lacks what is needed;
* ``ClientError.CredentialConfigError``: a missing environment variable or a
  bad provider argument;
* ``ClientError.MetadataError``: the CVM metadata service failed or answered
  something unusable (an ``ExpiredTime`` that is not a sane time included);
* ``ClientError.STSError``: an STS answer without the expected fields, or
  with an unusable ``ExpiredTime`` (an error *from* STS keeps STS's own code,
  e.g. ``AuthFailure.SignatureFailure``);
* ``ClientError.CredentialRefreshError``: a refresh failed with something
  other than an SDK error (only its type is named);
* ``ClientError.CredentialNotFound``: :class:`DefaultCredentialProvider`
  found nothing; the message lists each source and why it failed.

This module is a facade: the value lives in :mod:`tcfunc._credential` (a
leaf that request building imports), each provider in ``tcfunc._providers``.
Nothing here imports urllib3 or the client at module level.
"""

from __future__ import annotations

from ._credential import AsyncCredentialProvider, Credential, CredentialProvider
from ._providers._refresh import RefreshingCredential
from ._providers.chain import DefaultCredentialProvider
from ._providers.cvm import DEFAULT_METADATA_ENDPOINT, ENV_METADATA_ENDPOINT, CVMRoleCredential
from ._providers.env import (
    ENV_SECRET_ID,
    ENV_SECRET_KEY,
    ENV_SESSION_TOKEN,
    EnvironmentVariableCredential,
)
from ._providers.file import (
    ENV_CREDENTIALS_FILE,
    SYSTEM_CREDENTIALS_FILE,
    USER_CREDENTIALS_FILE,
    ProfileCredential,
)
from ._providers.sts import (
    DEFAULT_STS_TIMEOUT,
    STS_DEFAULT_REGION,
    STS_SERVICE,
    STS_VERSION,
    TKE_PROVIDER_ID,
    TKE_REGION,
    TKE_ROLE_ARN,
    TKE_WEB_IDENTITY_TOKEN_FILE,
    DefaultTkeOIDCRoleArnProvider,
    OIDCRoleArnCredential,
    STSAssumeRoleCredential,
)

__all__ = [
    "Credential",
    "CredentialProvider",
    "AsyncCredentialProvider",
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

# Also importable from here, as before the split (not in __all__).
_CONSTANTS = (
    DEFAULT_STS_TIMEOUT,
    ENV_CREDENTIALS_FILE,
    ENV_METADATA_ENDPOINT,
    ENV_SECRET_ID,
    ENV_SECRET_KEY,
    ENV_SESSION_TOKEN,
    STS_DEFAULT_REGION,
    STS_SERVICE,
    STS_VERSION,
    SYSTEM_CREDENTIALS_FILE,
    TKE_PROVIDER_ID,
    TKE_REGION,
    TKE_ROLE_ARN,
    TKE_WEB_IDENTITY_TOKEN_FILE,
    USER_CREDENTIALS_FILE,
)
