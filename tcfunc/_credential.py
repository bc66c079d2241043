"""The :class:`Credential` value, the provider protocols, and taking a snapshot.

A leaf module: it imports nothing of tcfunc but the error type and the
validators, so request building (:mod:`tcfunc.request`), verification and
the call flow can use a credential without loading any provider (which do
I/O: files, the metadata service, STS).

:func:`snapshot` and :func:`snapshot_async` are how a client reads one
credential for one attempt: a :class:`Credential` is used as it is; a
provider is asked, and whatever goes wrong becomes a
:class:`TencentCloudSDKException` with no secret in its message or chain.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol, Tuple, Union, runtime_checkable

import attrs

from ._validate import CONTROL_CHARS, fail
from ._value import FrozenValue
from .errors import TencentCloudSDKException, detach  # detach re-exported for the providers

__all__ = [
    "AsyncCredentialProvider",
    "Credential",
    "CredentialProvider",
    "detach",
    "snapshot",
    "snapshot_async",
]


@runtime_checkable
class CredentialProvider(Protocol):
    """Anything that can hand out a consistent credential snapshot."""

    def get_credential(self) -> Optional[Credential]:
        """A snapshot to sign one attempt with, or None when this source has none."""
        ...


@runtime_checkable
class AsyncCredentialProvider(Protocol):
    """A provider that can also be read under an event loop without blocking it."""

    def get_credential(self) -> Optional[Credential]:
        """As :meth:`CredentialProvider.get_credential`."""
        ...

    async def get_credential_async(self) -> Optional[Credential]:
        """The same snapshot, awaited: any I/O runs off the event loop."""
        ...


def _check_part(what: str, *, in_header: bool) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value is None:
            fail("InvalidCredential", f"{what} should not be none or empty")
        if not isinstance(value, str):
            # bytes in particular: refused rather than decoded, so that what is
            # signed is exactly what the caller wrote (and the message says so).
            fail("InvalidCredential", f"{what} must be a str, got {type(value).__name__}")
        if value.strip() == "":
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
        fail("InvalidCredential", f"token must be a str or None, got {type(value).__name__}")
    if CONTROL_CHARS.search(value):
        fail("InvalidCredential", "token should not contain control characters")
    if not value.isascii():
        # Sent as X-TC-Token; real tokens are ASCII, anything else fails on the wire.
        fail("InvalidCredential", "token should be ASCII")


def _check_expires_at(_inst: Any, _attr: Any, value: Any) -> None:
    if value is None:
        return
    # NaN or infinity would make a credential that is never refreshed.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (-1e12 < value < 1e12):
        fail("InvalidCredential", "expires_at must be Unix seconds (a finite number) or None")


def _mask(value: Optional[str]) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen(repr=False, eq=False)
class Credential(FrozenValue):
    """A secret id and key, and a session token for temporary credentials.

    Validated as the official SDK does (non-empty, no surrounding spaces) and
    additionally refuses control characters, which would otherwise end up in
    a header, and anything but ``str`` (bytes are refused, not decoded). The
    repr never shows the key or the token. ``expires_at`` (Unix seconds) is
    set on temporary credentials by the refreshing providers.
    """

    secret_id: str = attrs.field(validator=_check_part("secret id", in_header=True))
    secret_key: str = attrs.field(
        validator=_check_part("secret key", in_header=False), repr=lambda _v: "'***'"
    )
    token: Optional[str] = attrs.field(default=None, validator=_check_token, repr=_mask)
    expires_at: Optional[float] = attrs.field(
        default=None, kw_only=True, validator=_check_expires_at
    )

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

    async def get_credential_async(self) -> Credential:
        """A credential is its own provider, under an event loop too."""
        return self


Source = Union[Credential, CredentialProvider, None]


def _provider_failed(exc: BaseException) -> TencentCloudSDKException:
    # The provider's own message may quote what it read; keep only its type.
    return TencentCloudSDKException(
        "InvalidCredential", f"the credential provider failed: {type(exc).__name__}"
    )


def _checked(got: Any) -> Credential:
    if not isinstance(got, Credential):
        fail("InvalidCredential", "the credential provider returned no credential")
    return got


def snapshot(source: Source, *, skip_sign: bool) -> Optional[Credential]:
    """The credential to sign one attempt with (None for an unsigned call without one).

    Args:
        source: a :class:`Credential`, a provider, or None.
        skip_sign: the call is sent unsigned; a missing credential is then fine.

    Raises:
        TencentCloudSDKException: ``InvalidCredential`` when there is no
            credential for a signed call, the provider returned something
            else, or it failed with a non-SDK exception (only that
            exception's type is named, and it is not chained); a provider's
            own :class:`TencentCloudSDKException` is raised with its chain cut.
    """
    if isinstance(source, Credential):  # the common case, no call
        return source
    if source is None:
        if skip_sign:
            return None
        fail("InvalidCredential", "the client has no credential")
    get = getattr(source, "get_credential", None)
    if get is None:
        fail("ClientError", "credential must be a Credential or a provider with get_credential()")
    error: Optional[TencentCloudSDKException] = None
    try:
        got = get()
    except TencentCloudSDKException as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 (a provider may raise anything)
        error = _provider_failed(exc)
    if error is not None:
        # Raised here, outside the except clauses, so nothing is chained.
        raise detach(error)
    return _checked(got)


async def snapshot_async(source: Source, *, skip_sign: bool) -> Optional[Credential]:
    """:func:`snapshot` for the asyncio client: never blocks the event loop.

    A :class:`Credential` is returned at once; a provider with
    ``get_credential_async()`` (all of tcfunc's) is awaited; any other
    provider's ``get_credential()`` runs in a worker thread.
    """
    if isinstance(source, Credential):
        return source
    if source is None:
        return snapshot(None, skip_sign=skip_sign)
    get_async = getattr(source, "get_credential_async", None)
    get = getattr(source, "get_credential", None)
    if get_async is None and get is None:
        fail("ClientError", "credential must be a Credential or a provider with get_credential()")
    error: Optional[TencentCloudSDKException] = None
    try:
        if get_async is not None:
            got = await get_async()
        else:
            import asyncio

            got = await asyncio.to_thread(get)  # type: ignore[arg-type]
    except TencentCloudSDKException as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 (a provider may raise anything)
        error = _provider_failed(exc)
    if error is not None:
        raise detach(error)
    return _checked(got)
