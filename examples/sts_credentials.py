"""Temporary credentials from STS AssumeRole, refreshed automatically.

``STSAssumeRoleCredential`` calls STS ``AssumeRole`` with a long-term key and
hands clients the temporary id, key and token it gets back, fetching new ones
before they expire. Every request carries the token in ``X-TC-Token``.

Run: python examples/sts_credentials.py
"""

from __future__ import annotations

import time

from _support import credential, emulator_profile, example_endpoint

from tcfunc.client import CommonClient
from tcfunc.credential import STSAssumeRoleCredential


def main(endpoint: str) -> None:
    long_term = credential()
    role = STSAssumeRoleCredential(
        long_term.secret_id,
        long_term.secret_key,
        role_arn="qcs::cam::uin/100000000001:roleName/example-reader",
        role_session_name="tcfunc-example",
        duration_seconds=900,
        profile=emulator_profile(endpoint),  # STS is served by the emulator too
    )
    snapshot = role.get_credential()
    remaining = (snapshot.expires_at or 0) - time.time()
    print(f"temporary credential: {snapshot!r}")
    print(f"  id starts {snapshot.secret_id[:8]}..., expires in about {remaining / 60:.0f} minutes")

    client = CommonClient("cvm", "2017-03-12", role, "ap-guangzhou", emulator_profile(endpoint))
    answer = client.call_json("DescribeInstances", {"Limit": 1})["Response"]
    print(f"DescribeInstances signed with the temporary key: TotalCount={answer['TotalCount']}")
    again = role.get_credential()
    print(
        f"still valid, so no new AssumeRole call: same id = {again.secret_id == snapshot.secret_id}"
    )


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
