"""DefaultCredentialProvider, and one code path for several services.

The provider looks for a credential the way the official SDK does: the
environment (TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY), then the
credentials file (~/.tencentcloud/credentials), then the CVM instance role,
then TKE OIDC. The first source that works is kept. Clients take a fresh
snapshot from it for every request, so a refreshing source just works.

Run: python examples/default_credentials.py
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from _support import emulator_profile, example_endpoint

from tcfunc.client import CommonClient
from tcfunc.credential import DefaultCredentialProvider

# (service, version, action, the list in the answer)
CALLS: List[Tuple[str, str, str, str]] = [
    ("cvm", "2017-03-12", "DescribeZones", "ZoneSet"),
    ("cvm", "2017-03-12", "DescribeRegions", "RegionSet"),
    ("vpc", "2017-03-12", "DescribeVpcs", "VpcSet"),
    ("cbs", "2017-03-12", "DescribeDisks", "DiskSet"),
]


def main(endpoint: str) -> None:
    provider = DefaultCredentialProvider()
    snapshot = provider.get_credential()
    print(f"credential found by {type(provider.source).__name__}: {snapshot!r}")

    profile = emulator_profile(endpoint)
    clients: Dict[str, CommonClient] = {}
    for service, version, action, key in CALLS:
        # One client per service and version; the provider is shared.
        client = clients.get(service)
        if client is None:
            client = clients[service] = CommonClient(
                service, version, provider, "ap-guangzhou", profile
            )
        answer: Dict[str, Any] = client.call_json(action, {})["Response"]
        print(f"{service}.{action}: {answer.get('TotalCount')} item(s) in {key}")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
