"""Known-answer vectors: every TC3 stage, asserted one by one.

The vectors were written by tests/vectors/make_vectors.py from an independent
plain implementation and cross-checked against the official SDK.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

import tcfunc
from tcfunc import signing

VECTORS = sorted(p for p in (Path(__file__).parent / "vectors").iterdir() if p.is_dir())


def _load(folder: Path) -> Dict[str, Any]:
    case: Dict[str, Any] = json.loads((folder / "context.json").read_text())
    for stage in ("canonical_request", "string_to_sign", "signature", "authorization"):
        case[stage] = (folder / f"{stage}.txt").read_text()
    return case


@pytest.mark.parametrize("folder", VECTORS, ids=[p.name for p in VECTORS])
def test_each_stage_matches_the_vector(folder: Path) -> None:
    """Canonical request, string to sign, signature and Authorization equal the vector."""
    case = _load(folder)
    prepared = tcfunc.prepare_request(
        case["action"],
        case["params"],
        service=case["service"],
        version=case["version"],
        region=case["region"],
        credential=tcfunc.Credential(case["secret_id"], case["secret_key"], case["token"]),
        profile=tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(reqMethod=case["method"])),
        timestamp=case["timestamp"],
    )
    headers = prepared.headers
    query = prepared.url.partition("?")[2]
    block, signed = signing.canonical_headers(
        (("content-type", headers["Content-Type"]), ("host", headers["Host"]))
    )
    canonical = signing.canonical_request(
        case["method"], "/", query, block, signed, signing.sha256_hex(prepared.body)
    )
    assert canonical == case["canonical_request"]
    date = case["authorization"].split("/")[1]
    scope = signing.credential_scope(date, case["service"])
    to_sign = signing.string_to_sign(case["timestamp"], scope, canonical)
    assert to_sign == case["string_to_sign"]
    signature = signing.sign_tc3(case["secret_key"], date, case["service"], to_sign)
    assert signature == case["signature"]
    assert headers["Authorization"] == case["authorization"]
    assert headers.get("X-TC-Token") == case["token"]


def test_vectors_exist() -> None:
    """The vector folder is not silently empty."""
    assert len(VECTORS) >= 3
