"""A full ClientProfile: POST, timeout, keep-alive, TC3 signing, English messages, retries.

Profiles are frozen values, checked when built: a bad value fails here, not in
the middle of a call, and a changed copy is made with ``attrs.evolve``. The
retryer logs each retry to the logger you give it; to show one, a local proxy
plays a flaky network and answers the first request with HTTP 502.

Run: python examples/client_profile.py
"""

from __future__ import annotations

import logging
import sys

import attrs
from _support import LocalProxy, credential, example_endpoint

from tcfunc import ClientProfile, HttpProfile, StandardRetryer, TencentCloudSDKException
from tcfunc.client import CommonClient


def main(endpoint: str) -> None:
    retry_log = logging.getLogger("example.retries")
    retry_log.addHandler(logging.StreamHandler(sys.stdout))
    retry_log.setLevel(logging.INFO)
    retry_log.propagate = False

    with LocalProxy(endpoint, fail_next=1) as flaky_network:
        http = HttpProfile(
            protocol="http",  # the emulator speaks plain HTTP; the default is https
            endpoint=endpoint,  # default: <service>.tencentcloudapi.com
            reqMethod="POST",
            reqTimeout=10,
            keepAlive=True,
            proxy=flaky_network.url,
        )
        retryer = StandardRetryer(
            max_attempts=3, backoff_fn=lambda attempt: 0.05 * 2**attempt, logger=retry_log
        )
        profile = ClientProfile(
            httpProfile=http, signMethod="TC3-HMAC-SHA256", language="en-US", retryer=retryer
        )
        print(
            f"profile: {http.reqMethod}, timeout {http.reqTimeout}s, keepAlive={http.keepAlive}, "
            f"{profile.signMethod}, {profile.language}, "
            f"StandardRetryer(max_attempts={retryer.max_attempts})"
        )
        client = CommonClient("cvm", "2017-03-12", credential(), "ap-guangzhou", profile)
        answer = client.call_json("DescribeZones", {})["Response"]
        print(f"DescribeZones answered after the retry: {answer['TotalCount']} zones")
        print(
            f"the proxy refused {len(flaky_network.refused)} request(s), forwarded "
            f"{len(flaky_network.forwarded)}"
        )

    # Change a value: a new, validated profile; the old one is untouched.
    chinese = attrs.evolve(profile, language="zh-CN")
    print(f"evolved language: {chinese.language}; original still {profile.language}")
    try:
        attrs.evolve(http, reqTimeout=-1)
    except TencentCloudSDKException as err:
        print(f"a bad value fails at construction: {err.get_code()}: {err.get_message()}")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
