"""Shared fixtures for the whole suite."""

from __future__ import annotations

import pytest

from tests._support.net import closed_port

# Kept for modules that imported it from here.
_closed_port = closed_port


@pytest.fixture(autouse=True)
def _no_real_metadata_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the real CVM metadata host: point the default chain at a closed port."""
    monkeypatch.setenv(
        "TENCENTCLOUD_METADATA_ENDPOINT", f"http://127.0.0.1:{_closed_port()}/latest/meta-data/"
    )
    for name in (
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
        "TENCENTCLOUD_CREDENTIALS_FILE",
        "TKE_REGION",
        "TKE_PROVIDER_ID",
        "TKE_WEB_IDENTITY_TOKEN_FILE",
        "TKE_ROLE_ARN",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
