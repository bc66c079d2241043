"""tcfunc: a small, typed, functional client core for Tencent Cloud API 3.0.

Configuration values are frozen, request building and signing are pure
functions, and I/O lives at the edge (the urllib3 transport, the credential
providers that fetch, and logging).

The names below are loaded on first use (PEP 562), so ``import tcfunc`` and
``import tcfunc.signing`` cost almost nothing: a tool that only signs never
loads attrs, and nothing loads urllib3 before the first request is sent.
"""

from __future__ import annotations

from ._version import __version__

# Not typing.TYPE_CHECKING: importing typing alone costs more than the rest
# of this module (type checkers treat a constant of this name the same way).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List

    from ._credential import Credential
    from .adaptive import AdaptiveRetryer
    from .aio import AsyncAbstractClient, AsyncCommonClient
    from .client import AbstractClient, CommonClient
    from .credential import (
        CVMRoleCredential,
        DefaultCredentialProvider,
        DefaultTkeOIDCRoleArnProvider,
        EnvironmentVariableCredential,
        OIDCRoleArnCredential,
        ProfileCredential,
        STSAssumeRoleCredential,
    )
    from .errors import TencentCloudSDKException
    from .hooks import CallInfo
    from .profile import ClientProfile, HttpProfile, RegionBreakerProfile
    from .request import PreparedRequest, RequestOptions, prepare_request
    from .response import parse_response
    from .retry import NoopRetryer, StandardRetryer
    from .verify import VerifiedRequest, parse_request, verify_request

# public name -> the module that defines it
_LAZY: Dict[str, str] = {
    "TencentCloudSDKException": "errors",
    "Credential": "_credential",
    "HttpProfile": "profile",
    "ClientProfile": "profile",
    "RegionBreakerProfile": "profile",
    "StandardRetryer": "retry",
    "AdaptiveRetryer": "adaptive",
    "NoopRetryer": "retry",
    "AbstractClient": "client",
    "CommonClient": "client",
    "AsyncAbstractClient": "aio",
    "AsyncCommonClient": "aio",
    "CallInfo": "hooks",
    "EnvironmentVariableCredential": "credential",
    "ProfileCredential": "credential",
    "CVMRoleCredential": "credential",
    "STSAssumeRoleCredential": "credential",
    "OIDCRoleArnCredential": "credential",
    "DefaultTkeOIDCRoleArnProvider": "credential",
    "DefaultCredentialProvider": "credential",
    "PreparedRequest": "request",
    "RequestOptions": "request",
    "prepare_request": "request",
    "parse_response": "response",
    "VerifiedRequest": "verify",
    "parse_request": "verify",
    "verify_request": "verify",
}

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
    "AdaptiveRetryer",
    # clients
    "AbstractClient",
    "CommonClient",
    "AsyncAbstractClient",
    "AsyncCommonClient",
    "CallInfo",
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
    "parse_response",
    "VerifiedRequest",
    "parse_request",
    "verify_request",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tcfunc' has no attribute {name!r}")
    from importlib import import_module  # here, not at the top: import cost

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> List[str]:
    return sorted([*globals(), *_LAZY])
