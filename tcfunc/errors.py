"""The one exception type users catch, and the codes tcfunc raises itself."""

from __future__ import annotations

from typing import Optional

__all__ = ["TencentCloudSDKException"]


class TencentCloudSDKException(Exception):
    """An error from tcfunc or from the Tencent Cloud API.

    ``code`` is an API error code (``AuthFailure.SignatureFailure``) or one of
    tcfunc's own (``ClientError``, ``ClientNetworkError``, ``ServerNetworkError``,
    ``InvalidCredential``, ...). ``str()`` has the official SDK's format so that
    log scrapers keep working.
    """

    def __init__(
        self,
        code: Optional[str] = None,
        message: Optional[str] = None,
        requestId: Optional[str] = None,
    ) -> None:
        super().__init__(code, message, requestId)
        self.code = code
        self.message = message
        self.requestId = requestId

    def __str__(self) -> str:
        return (
            f"[TencentCloudSDKException] code:{self.code} "
            f"message:{self.message} requestId:{self.requestId}"
        )

    def __repr__(self) -> str:
        return (
            f"TencentCloudSDKException(code={self.code!r}, message={self.message!r}, "
            f"requestId={self.requestId!r})"
        )

    def get_code(self) -> Optional[str]:
        """The error code."""
        return self.code

    def get_message(self) -> Optional[str]:
        """The human-readable message."""
        return self.message

    def get_request_id(self) -> Optional[str]:
        """The API's RequestId, when the server answered."""
        return self.requestId
