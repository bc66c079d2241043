"""The emulator's STS: ``AssumeRole`` and ``AssumeRoleWithWebIdentity`` minting temporary keys."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Sequence

from ..errors import TencentCloudSDKException

__all__ = ["STS_VERSION", "mint"]

STS_VERSION = "2018-08-13"
_ROLE_SESSION = re.compile(r"^[\w+=,.@-]{2,128}$")
_ALNUM = string.ascii_letters + string.digits

#: ``accept(secret_id, secret_key, token, expires_at)``: make the emulator take the key.
Accept = Callable[[str, str, str, float], None]


def _api_error(code: str, message: str) -> TencentCloudSDKException:
    return TencentCloudSDKException(code, message)


def mint(
    params: Mapping[str, Any],
    required: Sequence[str],
    limit: int,
    now: float,
    accept: Accept,
) -> Dict[str, Any]:
    """Check an AssumeRole* request and answer a fresh temporary credential.

    The credential is handed to ``accept`` (valid until its ``ExpiredTime``);
    bad params raise the API errors the real STS answers.
    """
    for name in required:
        value = params.get(name)
        if value is None or value == "":
            raise _api_error(
                "MissingParameter", f"The request is missing a required parameter `{name}`."
            )
        if not isinstance(value, str):
            raise _api_error("InvalidParameter", f"The parameter `{name}` must be a string.")
    if not str(params["RoleArn"]).startswith("qcs::cam::"):
        raise _api_error(
            "InvalidParameter.ResouceError", "RoleArn is not a valid role resource description."
        )
    if not _ROLE_SESSION.match(str(params["RoleSessionName"])):
        raise _api_error(
            "InvalidParameter.ParamError",
            "RoleSessionName must be 2 to 128 characters of letters, digits and =,.@_-",
        )
    duration = _duration_seconds(params.get("DurationSeconds"), limit)
    expired = int(now) + duration
    tmp_id = "AKID" + "".join(secrets.choice(_ALNUM) for _ in range(32))
    tmp_key = "".join(secrets.choice(_ALNUM) for _ in range(32))
    token = secrets.token_urlsafe(96)
    accept(tmp_id, tmp_key, token, float(expired))
    expiration = datetime.fromtimestamp(expired, tz=timezone.utc)
    return {
        "Credentials": {"Token": token, "TmpSecretId": tmp_id, "TmpSecretKey": tmp_key},
        "ExpiredTime": expired,
        "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _duration_seconds(raw: Any, limit: int) -> int:
    if raw is None or raw == "":
        duration = 7200
    elif isinstance(raw, bool):
        raise _api_error("InvalidParameter.ParamError", "DurationSeconds must be an integer.")
    elif isinstance(raw, int):
        duration = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        duration = int(raw.strip())
    else:
        raise _api_error("InvalidParameter.ParamError", "DurationSeconds must be an integer.")
    if duration < 1:
        raise _api_error("InvalidParameter.ParamError", "DurationSeconds must be positive.")
    if duration > limit:
        raise _api_error(
            "InvalidParameter.OverTimeError",
            f"DurationSeconds {duration} exceeds the maximum of {limit} seconds.",
        )
    return duration
