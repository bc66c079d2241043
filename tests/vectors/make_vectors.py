"""Regenerate the known-answer vectors: ``python -m tests.vectors.make_vectors``.

Each stage is computed here by a deliberately plain, independent
implementation of the documented TC3 algorithm (hashlib and hmac only, no
tcfunc code), and the resulting Authorization header is cross-checked
against the official SDK 3.1.195 before anything is written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict

import tcfunc
from tests.official import official_build

HERE = Path(__file__).parent

CASES: Dict[str, Dict[str, Any]] = {
    "tc3_post_describe_instances": {
        "method": "POST",
        "service": "cvm",
        "version": "2017-03-12",
        "action": "DescribeInstances",
        "region": "ap-guangzhou",
        "params": {
            "Limit": 1,
            "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}],
        },
        "secret_id": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        "secret_key": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        "token": None,
        "timestamp": 1551113065,
    },
    "tc3_get_with_token": {
        "method": "GET",
        "service": "cvm",
        "version": "2017-03-12",
        "action": "DescribeZones",
        "region": "ap-shanghai",
        "params": {
            "Offset": 0,
            "Filters": [{"Name": "zone", "Values": ["ap-shanghai-1", "a b&c"]}],
        },
        "secret_id": "AKIDtemporaryEXAMPLE0001",
        "secret_key": "temporarySecretKeyEXAMPLE0001",
        "token": "sessionTokenEXAMPLE_0001",
        "timestamp": 1700000000,
    },
    "tc3_post_sts_no_region_midnight": {
        "method": "POST",
        "service": "sts",
        "version": "2018-08-13",
        "action": "GetCallerIdentity",
        "region": "",
        "params": {},
        "secret_id": "AKIDmidnightEXAMPLE",
        "secret_key": "midnightKeyEXAMPLE",
        "token": None,
        "timestamp": 1704067199,
    },
}


def plain_stages(case: Dict[str, Any], host: str) -> Dict[str, str]:
    """Every TC3 stage, computed without tcfunc."""
    if case["method"] == "POST":
        content_type = "application/json"
        payload = json.dumps(case["params"]).encode()
        query = ""
    else:
        content_type = "application/x-www-form-urlencoded"
        payload = b""
        query = tcfunc.prepare_request(
            case["action"],
            case["params"],
            service=case["service"],
            version=case["version"],
            region=case["region"],
            credential=tcfunc.Credential(case["secret_id"], case["secret_key"]),
            profile=tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(reqMethod="GET")),
            timestamp=case["timestamp"],
        ).url.split("?", 1)[1]
    canonical = "\n".join(
        [
            case["method"],
            "/",
            query,
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(case["timestamp"], tz=timezone.utc).strftime("%Y-%m-%d")
    scope = f"{date}/{case['service']}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(case["timestamp"]),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + case["secret_key"]).encode(), date), case["service"]), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"TC3-HMAC-SHA256 Credential={case['secret_id']}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )
    return {
        "canonical_request.txt": canonical,
        "string_to_sign.txt": to_sign,
        "signature.txt": signature,
        "authorization.txt": authorization,
    }


def main() -> None:
    for name, case in CASES.items():
        host = f"{case['service']}.tencentcloudapi.com"
        stages = plain_stages(case, host)
        cred = tcfunc.Credential(case["secret_id"], case["secret_key"], case["token"])
        _, _, headers, _ = official_build(
            case["action"],
            case["params"],
            service=case["service"],
            version=case["version"],
            region=case["region"],
            credential=cred,
            profile=tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(reqMethod=case["method"])),
            timestamp=case["timestamp"],
            nonce=1,
        )
        if headers["Authorization"] != stages["authorization.txt"]:
            raise SystemExit(f"{name}: the official SDK disagrees; not writing vectors")
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        (folder / "context.json").write_text(json.dumps(case, indent=2, ensure_ascii=False) + "\n")
        for filename, text in stages.items():
            (folder / filename).write_text(text)
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()
