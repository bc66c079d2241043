"""Temporary credentials from STS AssumeRole, refreshed automatically.

``STSAssumeRoleCredential`` calls STS ``AssumeRole`` with a long-term key and
hands clients the temporary id, key and token it gets back. Every request is
signed with the temporary key and carries the token in ``X-TC-Token``. When
less than half of the credential's life is left (at most 15 minutes), the
next request fetches a new one first.

To show a refresh without waiting, the provider is given a clock that the
example moves ten minutes ahead (``clock=`` is also how tests control time;
the emulator, which mints the credentials, keeps real time).
This example runs its own emulator in this process (under ``make demo`` too)
so that it can list what the server received from ``emulator.requests``.

Run: python examples/sts_credentials.py
"""

from __future__ import annotations

import time
from typing import Dict

from _support import credential, emulator_profile, local_emulator, sent_header

from tcfunc.client import CommonClient
from tcfunc.credential import STSAssumeRoleCredential
from tcfunc.testing.emulator import ApiEmulator

DURATION = 900  # seconds (15 minutes); the default is 7200


class SkippingClock:
    """Unix time, plus however far the example has skipped ahead."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.time() + self.skipped


def main(emulator: ApiEmulator) -> None:
    long_term = credential()
    clock = SkippingClock()
    role = STSAssumeRoleCredential(
        long_term.secret_id,
        long_term.secret_key,
        role_arn="qcs::cam::uin/100000000001:roleName/example-reader",
        role_session_name="tcfunc-example",
        duration_seconds=DURATION,
        profile=emulator_profile(emulator.endpoint),  # STS is served by the emulator too
        clock=clock,
    )
    client = CommonClient(
        "cvm", "2017-03-12", role, "ap-guangzhou", emulator_profile(emulator.endpoint)
    )

    first = role.get_credential()  # the first AssumeRole call
    print(f"temporary credential: {first!r}")
    remaining = (first.expires_at or 0) - clock()
    print(f"  expires in about {remaining / 60:.0f} minutes")
    for n in (1, 2):
        answer = client.call_json("DescribeInstances", {"Limit": 1})["Response"]
        print(f"call {n}: TotalCount={answer['TotalCount']} (credential still fresh)")

    clock.skipped = 600
    left = (first.expires_at or 0) - clock()
    print(f"... ten minutes later (by the provider's clock): {left / 60:.0f} minutes left")
    answer = client.call_json("DescribeInstances", {"Limit": 1})["Response"]
    second = role.get_credential()
    print(f"call 3: TotalCount={answer['TotalCount']}, after a refresh:")
    print(f"  TmpSecretId {first.secret_id[:10]}... -> {second.secret_id[:10]}...")

    print("what the emulator received (emulator.requests):")
    tokens: Dict[str, str] = {}
    for label, cred in (("the 1st", first), ("the 2nd", second)):
        if cred.token:
            tokens[cred.token] = f"{label} credential's token"
    assume_role_calls = 0
    for n, seen in enumerate(emulator.requests, 1):
        token = sent_header(seen, "X-TC-Token")
        assume_role_calls += seen.action == "AssumeRole"
        carried = "no X-TC-Token" if token is None else f"X-TC-Token = {tokens.get(token, '?')}"
        signer = f"{(seen.secret_id or '?')[:10]}..."
        print(f"  {n}. {seen.service} {seen.action:<18} signed by {signer}  {carried}")
        if seen.action != "AssumeRole" and token not in tokens:
            raise SystemExit("a request signed with the temporary key did not carry its token")
    if assume_role_calls != 2 or second.secret_id == first.secret_id:
        raise SystemExit("expected exactly one refresh")
    print(f"AssumeRole calls: {assume_role_calls} (the first fetch and one refresh)")


if __name__ == "__main__":
    with local_emulator() as api:
        main(api)
