"""Quick start: a typed CVM client, as in the official SDK's first example.

The client in ``examples/generated`` was made by the code generator from the
real API spec that the ``tccli`` package ships (two actions only; drop the
``--action`` flags to get all of them), where SERVICES is tccli's
``services`` directory::

    python -m tcfunc.codegen SERVICES --service cvm \\
        --action DescribeInstances --action DescribeZones --out examples --package generated

Run: python examples/quickstart.py   (against a local emulator; no account needed)
"""

from __future__ import annotations

import os

from _support import emulator_profile, example_endpoint
from generated.cvm.v20170312 import CvmClient, models

import tcfunc


def main(endpoint: str) -> None:
    # The official quick start reads the key from the environment; so does this.
    cred = tcfunc.Credential(
        os.environ["TENCENTCLOUD_SECRET_ID"], os.environ["TENCENTCLOUD_SECRET_KEY"]
    )
    # Against the real API this is just ClientProfile(); here it points at the emulator.
    client = CvmClient(cred, "ap-guangzhou", emulator_profile(endpoint))

    # Models are frozen attrs classes with the API's field names.
    req = models.DescribeInstancesRequest(
        Filters=[models.Filter(Name="zone", Values=["ap-guangzhou-3"])], Limit=10
    )
    print("request:", req.to_json_string())
    resp = client.DescribeInstances(req)
    print(f"TotalCount: {resp.TotalCount}")
    for instance in resp.InstanceSet or []:
        zone = instance.Placement.Zone if instance.Placement else "?"
        print(f"  {instance.InstanceId} {instance.InstanceName} {instance.InstanceType} in {zone}")
    print("as JSON:", resp.to_json_string()[:100], "...")

    zones = client.DescribeZones(models.DescribeZonesRequest())
    print("zones:", ", ".join(z.Zone or "?" for z in zones.ZoneSet or []))

    # Errors arrive as TencentCloudSDKException, with the API's code.
    try:
        bad = models.DescribeInstancesRequest(Filters=[models.Filter(Name="colour", Values=["x"])])
        client.DescribeInstances(bad)
    except tcfunc.TencentCloudSDKException as err:
        print(f"an API error: {err.get_code()}: {err.get_message()}")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
