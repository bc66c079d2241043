"""tcfunc: a small, typed, functional client core for Tencent Cloud API 3.0.

Configuration values are frozen, request building and signing are pure
functions, and I/O lives at the edge (the urllib3 transport, the credential
providers that fetch, and logging). urllib3 is imported only when the first
request is sent.
"""

from ._version import __version__
from .client import AbstractClient, CommonClient
from .credential import (
    Credential,
    CVMRoleCredential,
    DefaultCredentialProvider,
    DefaultTkeOIDCRoleArnProvider,
    EnvironmentVariableCredential,
    OIDCRoleArnCredential,
    ProfileCredential,
    STSAssumeRoleCredential,
)
from .errors import TencentCloudSDKException
from .profile import ClientProfile, HttpProfile, RegionBreakerProfile
from .request import PreparedRequest, RequestOptions, prepare_request
from .retry import NoopRetryer, StandardRetryer
from .verify import VerifiedRequest, parse_request, verify_request

__all__ = [
    "__version__",
    # errors
    "TencentCloudSDKException",
    # configuration values
    "Credential",
    "HttpProfile",
    "ClientProfile",
    "RegionBreakerProfile",
    "StandardRetryer",
    "NoopRetryer",
    # clients
    "AbstractClient",
    "CommonClient",
    # credential providers
    "EnvironmentVariableCredential",
    "ProfileCredential",
    "CVMRoleCredential",
    "STSAssumeRoleCredential",
    "OIDCRoleArnCredential",
    "DefaultTkeOIDCRoleArnProvider",
    "DefaultCredentialProvider",
    # the pure core
    "PreparedRequest",
    "RequestOptions",
    "prepare_request",
    "VerifiedRequest",
    "parse_request",
    "verify_request",
]
