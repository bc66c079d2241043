"""Credentials of the CAM role bound to a CVM instance, from the metadata service.

The fetch (role discovery and the credential GET together) has one deadline
that holds whatever the server does: every socket read and write is given
only the time left, and the host name is resolved in a worker thread that is
waited for no longer than that, so a slow resolver, a server that trickles its
headers or body, or one that never answers cannot stretch it.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, List, Mapping, Optional, Tuple

from .._credential import Credential
from .._redact import redact_url
from .._validate import CONTROL_CHARS
from ..errors import TencentCloudSDKException
from ._common import check_arg, config_error, temporary_credential
from ._refresh import RefreshingCredential, start_thread

if TYPE_CHECKING:
    import socket  # at run time imported by the fetch: the facade stays light

__all__ = ["DEFAULT_METADATA_ENDPOINT", "ENV_METADATA_ENDPOINT", "CVMRoleCredential"]

DEFAULT_METADATA_ENDPOINT = "http://metadata.tencentyun.com/latest/meta-data/"
ENV_METADATA_ENDPOINT = "TENCENTCLOUD_METADATA_ENDPOINT"
_MAX_METADATA_BYTES = 64 * 1024


def metadata_error(message: str) -> TencentCloudSDKException:
    """``ClientError.MetadataError``: the metadata service failed or answered something unusable."""
    return TencentCloudSDKException("ClientError.MetadataError", message)


def check_metadata_endpoint(value: Any) -> str:
    """An http(s) base URL without user info, ending in ``/``."""
    from urllib.parse import urlsplit

    if not isinstance(value, str) or CONTROL_CHARS.search(value):
        raise config_error("metadata_endpoint must be an http(s) URL")
    bad = False
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        bad = True
    if bad:
        raise config_error(f"metadata_endpoint is not a valid URL: {redact_url(value)!r}")
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise config_error(
            "metadata_endpoint must look like http://host[:port]/path/ (no user info), "
            f"got {redact_url(value)!r}"
        )
    return value if value.endswith("/") else value + "/"


class _Deadline:
    """Seconds left until a monotonic deadline; TimeoutError once it has passed."""

    __slots__ = ("at",)

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the metadata deadline passed")
        return left


class _DeadlineReader(io.RawIOBase):
    """A socket's reading side where each read gets only the time left."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # A per-read timeout alone would let a server trickling one byte at a
        # time (headers or body) run on forever.
        self._sock.settimeout(self._deadline.left())
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What http.client needs of a socket (sendall, makefile, close), under one deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.left())
        self._sock.sendall(data)

    def makefile(self, mode: str, *_args: Any, **_kw: Any) -> io.BufferedReader:
        assert "r" in mode
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        # http.client closes its socket as soon as a response says it will
        # close the connection, before the body is read; the real socket is
        # closed by http_get when it is done.
        pass


def _resolve(host: str, port: int, wait: float) -> List[Any]:
    """getaddrinfo, waited for at most ``wait`` seconds (it has no timeout of its own)."""
    import socket

    try:
        # A literal address needs no lookup, and no thread.
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass
    box: List[Any] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # noqa: BLE001 (handed to the waiting thread)
            box.append(exc)
        finally:
            done.set()

    start_thread(lookup)
    if not done.wait(wait):
        # The lookup thread finishes on its own; its answer is dropped.
        raise TimeoutError(f"resolving {host} took longer than {wait:g}s")
    got = box[0]
    if isinstance(got, BaseException):
        raise OSError(f"cannot resolve {host} ({type(got).__name__})")
    result: List[Any] = got
    return result


def _connect(host: str, port: int, connect_timeout: float, deadline: _Deadline) -> socket.socket:
    import socket

    limit = time.monotonic() + min(connect_timeout, deadline.left())

    def left() -> float:
        remaining = limit - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"connecting to {host} timed out")
        return remaining

    last: Optional[BaseException] = None
    for family, kind, proto, _name, address in _resolve(host, port, left()):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left())
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last if last is not None else OSError(f"no address for {host}")


def http_get(url: str, connect_timeout: float, deadline: _Deadline) -> Tuple[int, bytes]:
    """GET ``url`` with a connect timeout, all of it before ``deadline``; no proxy, no retry."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    sock = _connect(host, port, connect_timeout, deadline)
    closers: List[Callable[[], None]] = [sock.close]
    try:
        if https:
            import ssl

            sock.settimeout(deadline.left())
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            closers.append(sock.close)
        conn = http.client.HTTPConnection(host, parts.port)
        # http.client uses only sendall, makefile and close of its socket.
        conn.sock = _DeadlineSocket(sock, deadline)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn.request("GET", target, headers={"Accept": "*/*"})
        resp = conn.getresponse()
        closers.append(resp.close)
        chunks: List[bytes] = []
        size = 0
        while True:
            chunk = resp.read1(8192)
            if not chunk:
                break
            size += len(chunk)
            if size > _MAX_METADATA_BYTES:
                raise ValueError("answer too large")
            chunks.append(chunk)
        return resp.status, b"".join(chunks)
    finally:
        for close in reversed(closers):
            close()


class CVMRoleCredential(RefreshingCredential):
    """Temporary credentials of the CAM role bound to this CVM instance.

    Reads the instance metadata service: the role name from
    ``<endpoint>cam/security-credentials/`` when ``role_name`` is not given,
    then ``TmpSecretId``, ``TmpSecretKey``, ``Token`` and ``ExpiredTime`` from
    ``<endpoint>cam/security-credentials/<role>``. One fetch (both requests)
    has an overall deadline of ``timeout`` seconds, each connect at most
    ``connect_timeout``, and is tried once, so off-cloud it fails in about a
    second. Refreshes as :class:`RefreshingCredential` says.

    Args:
        role_name: the CAM role; discovered (once) when None.
        metadata_endpoint: base URL of the metadata service.
        connect_timeout: seconds for resolving and connecting.
        timeout: seconds for the whole fetch, whatever the server does.
        clock: injectable ``() -> float`` Unix seconds.

    Raises (from ``get_credential``):
        TencentCloudSDKException: ``ClientError.MetadataError`` with the cause.
    """

    def __init__(
        self,
        role_name: Optional[str] = None,
        metadata_endpoint: str = DEFAULT_METADATA_ENDPOINT,
        *,
        connect_timeout: float = 1.0,
        timeout: float = 2.0,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(clock=clock)
        if role_name is not None:
            check_arg("role_name", role_name)
        self._role = role_name
        self._endpoint = check_metadata_endpoint(metadata_endpoint)
        self._connect_timeout = _check_seconds("connect_timeout", connect_timeout)
        self._timeout = _check_seconds("timeout", timeout)

    @property
    def role_name(self) -> Optional[str]:
        """The role, once given or discovered."""
        return self._role

    def _get(self, path: str, deadline: _Deadline) -> bytes:
        import http.client

        url = self._endpoint + path
        error: Optional[str] = None
        try:
            status, body = http_get(url, self._connect_timeout, deadline)
        except TimeoutError:
            error = f"cannot read {url}: timed out (the fetch may take {self._timeout:g}s)"
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # OSError: refused, unreachable, DNS failure; HTTPException: a
            # garbled answer. The cause goes into the message, not the chain.
            error = f"cannot read {url}: {type(exc).__name__}: {exc}"
        if error is not None:
            raise metadata_error(error)
        if status == 404 and path.endswith("security-credentials/"):
            raise metadata_error(f"no CAM role is bound to this instance ({url} answered 404)")
        if status != 200:
            raise metadata_error(f"{url} answered HTTP {status}")
        return body

    def _discover_role(self, deadline: _Deadline) -> str:
        body = self._get("cam/security-credentials/", deadline)
        try:
            text: Optional[str] = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None:
            raise metadata_error("the role list from the metadata service is not UTF-8")
        roles = [line.strip() for line in text.splitlines() if line.strip()]
        if not roles:
            raise metadata_error("no CAM role is bound to this instance (empty role list)")
        role = roles[0]
        if CONTROL_CHARS.search(role) or "/" in role:
            raise metadata_error("the metadata service returned an unusable role name")
        return role

    def _fetch(self) -> Credential:
        from urllib.parse import quote

        deadline = _Deadline(self._timeout)
        role = self._role
        if role is None:
            role = self._discover_role(deadline)
            self._role = role
        body = self._get("cam/security-credentials/" + quote(role, safe=""), deadline)
        try:
            data: Any = json.loads(body.decode("utf-8"))
        except ValueError:
            # Raised below, not here: the JSON error holds the whole body.
            data = None
        if data is None:
            raise metadata_error(f"the credentials of role {role!r} are not JSON")
        if not isinstance(data, Mapping):
            raise metadata_error(f"the credentials of role {role!r} are not a JSON object")
        code = data.get("Code", "Success")
        if code != "Success":
            raise metadata_error(f"the metadata service answered Code={str(code)[:64]!r}")
        return temporary_credential(
            data,
            data.get("ExpiredTime"),
            self._clock(),
            "",
            lambda what: metadata_error(f"the credentials of role {role!r} {what}"),
        )

    def _describe(self) -> str:
        return f"role_name={self._role!r}, metadata_endpoint={self._endpoint!r}"


def _check_seconds(name: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value <= 600  # NaN fails this too
    ):
        raise config_error(f"{name} must be a number of seconds in (0, 600], got {value!r}")
    return float(value)


def metadata_endpoint_from_env() -> Optional[str]:
    """``$TENCENTCLOUD_METADATA_ENDPOINT``, when set."""
    return os.environ.get(ENV_METADATA_ENDPOINT) or None
