"""Custom request headers: a trace id and a canary flag.

Per call with ``call_json(..., headers=...)``, or per request model with
``headers=`` on a generated model. tcfunc adds an ``X-TC-TraceId`` of its own
when you give none, never changes your dict, and refuses header values with
CR/LF (header injection). A local proxy shows what went over the wire.

Run: python examples/custom_headers.py
"""

from __future__ import annotations

import uuid

from _support import LocalProxy, credential, example_endpoint
from generated.cvm.v20170312 import CvmClient, models

from tcfunc import ClientProfile, HttpProfile, TencentCloudSDKException
from tcfunc.client import CommonClient


def main(endpoint: str) -> None:
    with LocalProxy(endpoint) as wire:
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=endpoint, proxy=wire.url)
        )
        common = CommonClient("cvm", "2017-03-12", credential(), "ap-guangzhou", profile)

        headers = {"X-TC-TraceId": str(uuid.uuid4()), "X-TC-Canary": "true"}
        common.call_json("DescribeZones", {}, headers=headers)
        sent = wire.forwarded[-1][1]
        print(
            f"call_json sent X-TC-TraceId={sent['X-TC-TraceId']} X-TC-Canary={sent['X-TC-Canary']}"
        )
        print(f"the caller's dict is unchanged: {sorted(headers)}")

        common.call_json("DescribeZones", {})
        print(f"without headers, tcfunc added X-TC-TraceId={wire.forwarded[-1][1]['X-TC-TraceId']}")

        typed = CvmClient(credential(), "ap-guangzhou", profile)
        request = models.DescribeZonesRequest(headers={"X-TC-TraceId": "trace-from-the-model"})
        typed.DescribeZones(request)
        print(f"from a model's headers: X-TC-TraceId={wire.forwarded[-1][1]['X-TC-TraceId']}")

    try:
        common.call_json("DescribeZones", {}, headers={"X-TC-TraceId": "a\r\nX-Evil: 1"})
    except TencentCloudSDKException as err:
        print(f"refused before sending: {err.get_code()}: {err.get_message()}")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
