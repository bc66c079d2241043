"""Drive the official SDK 3.1.195 (a test-only dependency) with a fixed clock.

The official client reads ``time.time()`` and ``random.randint`` inside its
request builder; we replace exactly those two names in its module for the
duration of one build, which is the only mocking these tests do.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from tencentcloud.common import abstract_client as official_abstract
from tencentcloud.common.common_client import CommonClient as OfficialCommonClient
from tencentcloud.common.credential import Credential as OfficialCredential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile as OfficialClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile as OfficialHttpProfile

import tcfunc


@contextlib.contextmanager
def frozen_official(timestamp: int, nonce: int) -> Iterator[None]:
    saved_time, saved_random = official_abstract.time, official_abstract.random
    official_abstract.time = SimpleNamespace(time=lambda: float(timestamp))  # type: ignore[assignment]
    official_abstract.random = SimpleNamespace(randint=lambda _a, _b: nonce)  # type: ignore[assignment]
    try:
        yield
    finally:
        official_abstract.time, official_abstract.random = saved_time, saved_random


def official_profile(profile: tcfunc.ClientProfile) -> OfficialClientProfile:
    http = profile.httpProfile
    off_http = OfficialHttpProfile(
        protocol=http.protocol,
        endpoint=http.endpoint,
        reqMethod=http.reqMethod,
        reqTimeout=http.reqTimeout,
        rootDomain=http.rootDomain,
    )
    off = OfficialClientProfile(
        signMethod=profile.signMethod, httpProfile=off_http, language=profile.language
    )
    off.unsignedPayload = profile.unsignedPayload
    return off


def official_build(
    action: str,
    params: Dict[str, Any],
    *,
    service: str,
    version: str,
    region: str,
    credential: tcfunc.Credential,
    profile: tcfunc.ClientProfile,
    timestamp: int,
    nonce: int,
    options: Optional[Mapping[str, Any]] = None,
) -> Tuple[str, str, Dict[str, str], bytes]:
    """(method, url, headers, body) as the official 3.1.195 would send them."""
    off_cred = OfficialCredential(credential.secret_id, credential.secret_key, credential.token)
    client = OfficialCommonClient(service, version, off_cred, region, official_profile(profile))
    req = RequestInternal(
        client._get_endpoint(options=dict(options or {})),
        profile.httpProfile.reqMethod,
        "/",
        header={},
    )
    with frozen_official(timestamp, nonce):
        client._build_req_inter(action, params, req, dict(options or {}))
    data = req.data
    body = data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")
    url = f"{profile.httpProfile.protocol}://{req.host}/"
    if req.method == "GET":
        url = f"{url}?{data}"
        body = b""
    return req.method, url, dict(req.header), body


def split_url(url: str) -> Tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc, parts.query
