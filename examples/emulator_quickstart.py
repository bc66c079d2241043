"""Test Tencent Cloud code without a network: the tcfunc API emulator in five steps.

Run it with ``python examples/emulator_quickstart.py``. It starts a local,
signature-verifying emulator, answers a CVM action from a handler, shows a
signature failure and an injected fault the way any client sees them, and
lists what the emulator recorded. Requests are built with tcfunc's pure core
(:func:`tcfunc.prepare_request`) and sent with the standard library, so any
HTTP client (or the official SDK, with ``HttpProfile(protocol="http",
endpoint=emu.endpoint)``) would do the same.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Dict, Mapping, Optional

from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException, prepare_request
from tcfunc.testing.emulator import ApiEmulator, tccli_spec_dir


def call(
    endpoint: str,
    credential: Credential,
    action: str,
    params: Optional[Mapping[str, Any]] = None,
    *,
    service: str = "cvm",
    version: str = "2017-03-12",
) -> Dict[str, Any]:
    """Sign with tcfunc, send with urllib, return the ``Response`` object."""
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))
    prepared = prepare_request(
        action,
        params or {},
        service=service,
        version=version,
        region="ap-guangzhou",
        credential=credential,
        profile=profile,
    )
    request = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method=prepared.method
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        answer: Dict[str, Any] = json.loads(resp.read())["Response"]
    return answer


def describe_instances(params: Dict[str, Any]) -> Dict[str, Any]:
    """A handler: params in, the Response dict out (the emulator adds the RequestId)."""
    if int(params.get("Limit", 20)) > 100:  # GET and v1 requests carry strings
        raise TencentCloudSDKException("InvalidParameterValue", "Limit must be at most 100")
    return {"TotalCount": 1, "InstanceSet": [{"InstanceId": "ins-quickstart"}]}


def main() -> int:
    good = Credential("AKIDquickstart", "quickstart-key")
    with ApiEmulator({good.secret_id: good.secret_key}) as emu:
        print(f"1. emulator listening on {emu.endpoint}")

        emu.register("cvm", "DescribeInstances", describe_instances)
        answer = call(emu.endpoint, good, "DescribeInstances", {"Limit": 10})
        print(f"2. handler answered: {answer['InstanceSet']} (RequestId {answer['RequestId']})")

        wrong = Credential("AKIDquickstart", "not-the-key")
        error = call(emu.endpoint, wrong, "DescribeInstances")["Error"]
        print(f"3. wrong key is refused like the real API: {error['Code']}")

        emu.inject_fault("rate_limit")
        error = call(emu.endpoint, good, "DescribeInstances")["Error"]
        print(f"4. injected fault: {error['Code']}; next call: ", end="")
        print("ok" if "Error" not in call(emu.endpoint, good, "DescribeInstances") else "failed")

        seen = [(r.action, r.secret_id, r.error_code or r.fault or "ok") for r in emu.requests]
        print(f"5. recorded requests: {seen}")

    specs = tccli_spec_dir()
    if specs is not None:
        # With tccli's specs, params are validated and undocumented handlers are not needed.
        with ApiEmulator({good.secret_id: good.secret_key}, spec_dir=specs) as emu:
            zones = call(emu.endpoint, good, "DescribeZones")["ZoneSet"]
            print(f"+  documented example answer: {[z['Zone'] for z in zones]}")
            error = call(emu.endpoint, good, "DescribeInstances", {"Limit": "ten"})["Error"]
            print(f"+  validated against api.json: {error['Code']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
