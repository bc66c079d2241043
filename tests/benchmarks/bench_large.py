"""6. Signing a 10 MB octet-stream body against hashing it once with SHA-256.

Goal: ``prepare_request(..., options=RequestOptions(octet_stream=True,
body=...))`` costs at most 1.3x ``hashlib.sha256(body).hexdigest()``, i.e. the
body is hashed once and never copied more than the hash costs.
"""

from __future__ import annotations

import hashlib
import os
from typing import List

from _harness import MS, Row, Stats, interleave, paired_ratios, per_op

import tcfunc

SIZE = 10 * 1024 * 1024  # the documented TC3 body limit
ROUNDS = 15


def run() -> List[Row]:
    """Measure and judge the large-payload goal."""
    body = os.urandom(SIZE)
    cred = tcfunc.Credential("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN")
    options = tcfunc.RequestOptions(octet_stream=True, body=body)

    def sign() -> object:
        return tcfunc.prepare_request(
            "UploadFile",
            None,
            service="cos",
            version="2018-11-26",
            region="ap-guangzhou",
            credential=cred,
            options=options,
        )

    def digest() -> object:
        return hashlib.sha256(body).hexdigest()

    samples = interleave(
        [("tcfunc", per_op(sign, 2)), ("sha256", per_op(digest, 2))], rounds=ROUNDS, warmup=2
    )
    ratio = paired_ratios(samples["tcfunc"], samples["sha256"])
    row = Row(
        "large",
        "sign a 10 MiB octet-stream body vs one sha256 of it",
        MS,
        "prepare_request",
        Stats.of(samples["tcfunc"]),
        "hashlib.sha256",
        Stats.of(samples["sha256"]),
        ratio=ratio,
        goal="<= 1.3x",
        passed=ratio.median <= 1.3,
    )
    return [row]
