"""Helpers for the credential tests: a clean environment, a clock, a metadata server.

This module holds no tests; the test_credential_* modules import from it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import pytest

from tcfunc._providers import file as credential_file_module

VARIABLES = (
    "TENCENTCLOUD_SECRET_ID",
    "TENCENTCLOUD_SECRET_KEY",
    "TENCENTCLOUD_SESSION_TOKEN",
    "TENCENTCLOUD_CREDENTIALS_FILE",
    "TENCENTCLOUD_METADATA_ENDPOINT",
    "TKE_REGION",
    "TKE_PROVIDER_ID",
    "TKE_WEB_IDENTITY_TOKEN_FILE",
    "TKE_ROLE_ARN",
)


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No credential anywhere: variables unset, an empty HOME, no system file.

    The metadata endpoint variable points at a closed local port so nothing
    can reach the real metadata service. Returns the temporary HOME.
    """
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    # The constant is read where ProfileCredential lives (re-exported by tcfunc.credential).
    monkeypatch.setattr(
        credential_file_module, "SYSTEM_CREDENTIALS_FILE", str(tmp_path / "etc-credentials")
    )
    monkeypatch.setenv(
        "TENCENTCLOUD_METADATA_ENDPOINT", f"http://127.0.0.1:{closed_port()}/latest/meta-data/"
    )
    return home


class FakeClock:
    """A settable clock (Unix seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Route = Union[Tuple[int, Any], Callable[[], Tuple[int, Any]]]


class MetadataServer:
    """A tiny CVM metadata service on 127.0.0.1.

    ``routes`` maps a path (``/latest/meta-data/cam/security-credentials/``)
    to ``(status, body)`` or a callable returning one; a dict or list body is
    sent as JSON. ``hits`` records every requested path.
    """

    def __init__(self) -> None:
        self.routes: Dict[str, Route] = {}
        self.hits: List[str] = []
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                if server.delay:
                    time.sleep(server.delay)
                route = server.routes.get(self.path, (404, "not found"))
                status, body = route() if callable(route) else route
                data = (
                    json.dumps(body).encode()
                    if isinstance(body, (dict, list))
                    else str(body).encode()
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, *_args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread: Optional[threading.Thread] = None

    @property
    def endpoint(self) -> str:
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}/latest/meta-data/"

    def role(self, name: str, answer: Route) -> None:
        """Serve ``name`` as the bound role with ``answer`` as its credentials."""
        base = "/latest/meta-data/cam/security-credentials/"
        self.routes[base] = (200, name)
        self.routes[base + name] = answer

    def __enter__(self) -> MetadataServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def role_answer(
    secret_id: str = "AKIDtmp",
    secret_key: str = "tmp-secret-key",
    token: str = "tmp-token",
    expired: float = 1_700_007_200,
) -> Dict[str, Any]:
    """A metadata answer for a role's credentials, as the real service sends it."""
    return {
        "TmpSecretId": secret_id,
        "TmpSecretKey": secret_key,
        "ExpiredTime": expired,
        "Expiration": "2023-11-15T00:00:00Z",
        "Token": token,
        "Code": "Success",
    }
