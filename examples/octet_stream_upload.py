"""Uploading a binary body: ``call_octet_stream``.

Some actions take their data as the raw request body
(``Content-Type: application/octet-stream``) with parameters in headers, e.g.
CLS ``UploadLog``. The body is signed (TC3) like any other, and retries,
failover and logging apply as to every call. The emulator serves a stand-in
``demo`` service for this.

Run: python examples/octet_stream_upload.py
"""

from __future__ import annotations

import hashlib
import os

from _support import credential, emulator_profile, example_endpoint

from tcfunc import TencentCloudSDKException
from tcfunc.client import CommonClient


def main(endpoint: str) -> None:
    client = CommonClient(
        "demo", "2024-01-01", credential(), "ap-guangzhou", emulator_profile(endpoint)
    )
    body = os.urandom(256 * 1024)
    headers = {"X-Demo-FileName": "random.bin"}
    answer = client.call_octet_stream("UploadFile", headers, body)["Response"]
    digest = hashlib.sha256(body).hexdigest()[:16]
    print(f"uploaded {len(body)} bytes (sha256 {digest}...): Accepted={answer['Accepted']}")
    print(f"RequestId: {answer['RequestId']}")

    # The body is part of the signature: it cannot be swapped after signing,
    # and octet-stream needs TC3 (the legacy HmacSHA* methods cannot sign it).
    v1 = emulator_profile(endpoint, signMethod="HmacSHA256")
    try:
        CommonClient("demo", "2024-01-01", credential(), "ap-guangzhou", v1).call_octet_stream(
            "UploadFile", headers, body
        )
    except TencentCloudSDKException as err:
        print(f"with HmacSHA256: {err.get_code()}: {err.get_message()}")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
