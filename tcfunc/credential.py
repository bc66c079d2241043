"""Credentials: the frozen :class:`Credential` value and the providers.

A provider is anything with ``get_credential() -> Credential``; a
:class:`Credential` is itself a provider that returns itself. Clients take a
fresh snapshot for every attempt, so a refreshing provider can never hand one
request an id from one credential and a key from another.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol, Tuple, runtime_checkable

import attrs

from ._validate import CONTROL_CHARS, fail

__all__ = ["Credential", "CredentialProvider"]


@runtime_checkable
class CredentialProvider(Protocol):
    """Anything that can hand out a consistent credential snapshot."""

    def get_credential(self) -> Optional[Credential]:
        """A snapshot to sign one attempt with, or None when this source has none."""
        ...


def _check_part(what: str) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value is None or not isinstance(value, str) or value.strip() == "":
            fail("InvalidCredential", f"{what} should not be none or empty")
        if value.strip() != value:
            fail("InvalidCredential", f"{what} should not contain spaces")
        if CONTROL_CHARS.search(value):
            fail("InvalidCredential", f"{what} should not contain control characters")

    return check


def _check_token(_inst: Any, _attr: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        fail("InvalidCredential", "token should be a string or None")
    if CONTROL_CHARS.search(value):
        fail("InvalidCredential", "token should not contain control characters")


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

    secret_id: str = attrs.field(validator=_check_part("secret id"))
    secret_key: str = attrs.field(validator=_check_part("secret key"), repr=lambda _v: "'***'")
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
