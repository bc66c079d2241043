"""Network helpers for tests that need a port with nothing behind it."""

from __future__ import annotations

import socket


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` with nothing listening (bound, then released at once).

    Another process could take it in between; on loopback in a test run that
    is rare enough, and a connect then fails the same way.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port
