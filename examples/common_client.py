"""CommonClient.call_json: any action of any service, params as a dict, with filters.

No generated code is needed: name the service, version and action, pass the
params as the API documents them, and get the answer's JSON document back.

Run: python examples/common_client.py
"""

from __future__ import annotations

import json

from _support import credential, emulator_profile, example_endpoint

from tcfunc.client import CommonClient


def main(endpoint: str) -> None:
    client = CommonClient(
        "cvm", "2017-03-12", credential(), "ap-guangzhou", emulator_profile(endpoint)
    )

    # Filters: values of one filter are ORed, different filters are ANDed.
    params = {
        "Filters": [
            {"Name": "zone", "Values": ["ap-guangzhou-3", "ap-guangzhou-4"]},
            {"Name": "instance-charge-type", "Values": ["PREPAID"]},
        ],
        "Limit": 20,
    }
    document = client.call_json("DescribeInstances", params)
    answer = document["Response"]
    print(f"prepaid instances in zones 3 and 4: {answer['TotalCount']}")
    for instance in answer["InstanceSet"]:
        print(
            f"  {instance['InstanceId']} {instance['InstanceName']} {instance['Placement']['Zone']}"
        )
    print(f"RequestId: {answer['RequestId']}")

    # Paging with Offset and Limit.
    offset, names = 0, []
    while True:
        page = client.call_json("DescribeInstances", {"Offset": offset, "Limit": 2})["Response"]
        names += [i["InstanceName"] for i in page["InstanceSet"]]
        offset += 2
        if offset >= page["TotalCount"]:
            break
    print(f"all {len(names)} instances, 2 per page: {', '.join(names)}")

    # The official `call` returns the same document (a dict here, not a JSON string).
    zones = client.call("DescribeZones", {})
    print("DescribeZones through call():", json.dumps(zones["Response"]["TotalCount"]), "zones")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
