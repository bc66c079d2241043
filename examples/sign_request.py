"""Build and sign a request with the pure core, then check it as a server would.

No network, no clock: the same inputs give the same bytes every run.
Run: python examples/sign_request.py
"""

from __future__ import annotations

import tcfunc


def main() -> None:
    credential = tcfunc.Credential("AKIDEXAMPLE0000000000", "example-secret-key")
    prepared = tcfunc.prepare_request(
        "DescribeInstances",
        {"Limit": 2, "Filters": [{"Name": "zone", "Values": ["ap-guangzhou-3"]}]},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=credential,
        timestamp=1_700_000_000,
    )
    print(f"{prepared.method} {prepared.url}")
    for name, value in prepared.headers.items():
        print(f"  {name}: {value}")
    print(f"  body: {prepared.body.decode()}")

    verified = tcfunc.verify_request(
        prepared.method,
        prepared.url,
        prepared.headers,
        prepared.body,
        lookup_secret={"AKIDEXAMPLE0000000000": "example-secret-key"}.get,
        now=1_700_000_000,
    )
    print(f"verified: {verified.action} {verified.version} for {verified.secret_id}")
    try:
        tcfunc.verify_request(
            prepared.method,
            prepared.url,
            prepared.headers,
            prepared.body + b" ",
            lookup_secret={"AKIDEXAMPLE0000000000": "example-secret-key"}.get,
            now=1_700_000_000,
        )
    except tcfunc.TencentCloudSDKException as exc:
        print(f"a tampered body is refused: {exc.get_code()}")


if __name__ == "__main__":
    main()
