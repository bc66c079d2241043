"""A fast HTTP/1.1 keep-alive server on 127.0.0.1 for the end-to-end benchmarks.

It runs in its own process (no GIL shared with the client under test), reads
each request just far enough to find its end (headers, then Content-Length
bytes), and answers every request with the same small API 3.0 JSON body, so
that the client's cost dominates what is measured. It does not check
signatures: the emulator in ``tcfunc.testing`` does that, at a cost a
benchmark does not want.

``python _server.py [N]`` listens on N ports (default 1), prints their
``127.0.0.1:<port>`` addresses on one line, and serves until its stdin
closes, so it cannot outlive the benchmark that started it. Several ports
stand in for several API hosts (one per service), where a benchmark needs
clients of different services to reach different hosts.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
from typing import Iterator, List

BODY = b'{"Response": {"RequestId": "00000000-bench-0000-0000-000000000000"}}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"Connection: keep-alive\r\n"
    b"\r\n" + BODY
)
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_RECV = 256 * 1024
# The memory benchmark holds 1000 keep-alive connections open at once: one
# thread each, so small stacks, and enough file descriptors.
_STACK = 256 * 1024
_FILES = 4096


def raise_file_limit(wanted: int = _FILES) -> None:
    """Raise this process's soft open-files limit towards ``wanted`` (best effort)."""
    try:
        import resource
    except ImportError:  # not on POSIX: nothing to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _serve_connection(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    with conn:
        while True:
            end = buf.find(b"\r\n\r\n")
            while end < 0:
                chunk = conn.recv(_RECV)
                if not chunk:
                    return
                buf += chunk
                end = buf.find(b"\r\n\r\n")
            match = _CONTENT_LENGTH.search(buf, 0, end + 2)
            need = end + 4 + (int(match.group(1)) if match else 0)
            while len(buf) < need:
                chunk = conn.recv(_RECV)
                if not chunk:
                    return
                buf += chunk
            buf = buf[need:]
            conn.sendall(RESPONSE)


def _accept(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_connection, args=(conn,), daemon=True).start()


def main() -> None:
    """Serve until stdin closes."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    raise_file_limit()
    threading.stack_size(_STACK)
    addresses = []
    for _ in range(count):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        addresses.append(f"127.0.0.1:{listener.getsockname()[1]}")
        threading.Thread(target=_accept, args=(listener,), daemon=True).start()
    print(" ".join(addresses), flush=True)
    sys.stdin.read()
    os._exit(0)


@contextlib.contextmanager
def serve() -> Iterator[str]:
    """Start the server in a child process; yield its ``host:port``; stop it."""
    with serve_many(1) as addresses:
        yield addresses[0]


@contextlib.contextmanager
def serve_many(count: int) -> Iterator[List[str]]:
    """Start the server on ``count`` ports in a child process; yield their addresses; stop it."""
    proc = subprocess.Popen(
        [sys.executable, __file__, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        addresses = proc.stdout.readline().split()
        if len(addresses) != count or not all(a.startswith("127.0.0.1:") for a in addresses):
            raise RuntimeError(f"benchmark server did not start: {addresses!r}")
        yield addresses
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


if __name__ == "__main__":
    main()
