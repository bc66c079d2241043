"""Credentials from the environment: ``TENCENTCLOUD_SECRET_ID`` and friends."""

from __future__ import annotations

import os
from typing import Optional

from .._credential import Credential
from ._common import make_credential

__all__ = ["ENV_SECRET_ID", "ENV_SECRET_KEY", "ENV_SESSION_TOKEN", "EnvironmentVariableCredential"]

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
        return make_credential(secret_id, secret_key, token, "environment credential")

    async def get_credential_async(self) -> Optional[Credential]:
        """:meth:`get_credential` (reading the environment does not block)."""
        return self.get_credential()

    def _absent_reason(self) -> str:
        unset = [n for n in (ENV_SECRET_ID, ENV_SECRET_KEY) if not os.environ.get(n)]
        return f"{' and '.join(unset)} not set"

    def __repr__(self) -> str:
        return "EnvironmentVariableCredential()"
