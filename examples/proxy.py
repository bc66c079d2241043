"""Sending requests through an HTTP proxy.

``HttpProfile(proxy="http://user:password@host:port")`` sends every request
through that proxy (credentials in the URL become Proxy-Authorization). The
password never shows in a repr or a log. Without ``proxy``, the standard
HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables apply.

Here the proxy is a small local one that requires a login and forwards to the
emulator.

Run: python examples/proxy.py
"""

from __future__ import annotations

from _support import LocalProxy, credential, example_endpoint

from tcfunc import ClientProfile, HttpProfile, TencentCloudSDKException
from tcfunc.client import CommonClient


def main(endpoint: str) -> None:
    with LocalProxy(endpoint, credentials=("proxyuser", "proxy-pass-123")) as proxy:
        address = proxy.url.split("://", 1)[1]
        http = HttpProfile(
            protocol="http", endpoint=endpoint, proxy=f"http://proxyuser:proxy-pass-123@{address}"
        )
        print(f"configured: {http!r}")
        assert "proxy-pass-123" not in repr(http)

        client = CommonClient(
            "cvm", "2017-03-12", credential(), "ap-guangzhou", ClientProfile(httpProfile=http)
        )
        answer = client.call_json("DescribeZones", {})["Response"]
        print(
            f"through the proxy: {answer['TotalCount']} zones; it forwarded "
            f"{len(proxy.forwarded)} request(s) for {proxy.forwarded[-1][0]}"
        )

        wrong = HttpProfile(
            protocol="http", endpoint=endpoint, proxy=f"http://proxyuser:nope@{address}"
        )
        try:
            CommonClient(
                "cvm", "2017-03-12", credential(), "ap-guangzhou", ClientProfile(httpProfile=wrong)
            ).call_json("DescribeZones", {})
        except TencentCloudSDKException as err:
            print(f"with a wrong proxy password: {err.get_code()}")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
