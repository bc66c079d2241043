"""Region failover with RegionBreakerProfile.

With the breaker on, failures of the primary endpoint are counted; once
enough fail (``max_fail_num`` failures and ``max_fail_percent`` of requests in
``window_interval`` seconds) the breaker opens and requests go to
``<service>.<backup_endpoint>`` for ``timeout`` seconds, then it tries the
primary again. Requests to the backup are signed for the backup host.

Here a local proxy plays the network: every host goes to the emulator, except
``cvm.tencentcloudapi.com``, which answers 502 as if that region were down.

Run: python examples/region_failover.py
"""

from __future__ import annotations

from _support import LocalProxy, credential, example_endpoint

from tcfunc import ClientProfile, HttpProfile, RegionBreakerProfile, TencentCloudSDKException
from tcfunc.client import CommonClient

PRIMARY = "cvm.tencentcloudapi.com"


def main(endpoint: str) -> None:
    with LocalProxy(endpoint, down_hosts=[PRIMARY]) as network:
        profile = ClientProfile(
            # No endpoint: the client uses cvm.tencentcloudapi.com, via the proxy.
            httpProfile=HttpProfile(protocol="http", proxy=network.url, reqTimeout=5),
            disable_region_breaker=False,
            region_breaker_profile=RegionBreakerProfile(
                backup_endpoint="ap-guangzhou.tencentcloudapi.com",
                max_fail_num=2,
                max_fail_percent=0.5,
                window_interval=60,
                timeout=30,
                max_requests=2,
            ),
        )
        client = CommonClient("cvm", "2017-03-12", credential(), "ap-shanghai", profile)
        for n in range(1, 6):
            before = len(network.forwarded)
            try:
                answer = client.call_json("DescribeZones", {})["Response"]
                host = network.forwarded[before][0]
                print(f"call {n}: ok via {host} ({answer['TotalCount']} zones)")
            except TencentCloudSDKException as err:
                print(f"call {n}: failed ({err.get_code()}) via {network.refused[-1]}")
        used_backup = any(host != PRIMARY for host, _ in network.forwarded)
        print(f"primary refused {len(network.refused)} time(s); backup used: {used_backup}")
        if not used_backup:
            raise SystemExit("the breaker never opened")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
