"""``FakeTransport``: script the answers a client gets, with no server.

Give it to a client (``CommonClient(..., transport=fake)``) and the client
still signs, retries, fails over and parses as it would over the network;
only the HTTP exchange is replaced. The fake records every
:class:`~tcfunc.request.PreparedRequest` and answers with what was scripted,
in order::

    fake = FakeTransport()
    fake.add_error("RequestLimitExceeded", "slow down")
    fake.add_json({"TotalCount": 0, "InstanceSet": []})
    client = CommonClient("cvm", "2017-03-12", cred, "ap-guangzhou",
                          profile, transport=fake)
    client.call_json("DescribeInstances", {})
    assert len(fake.requests) == 2
    fake.assert_no_pending()

In strict mode (the default) a request with nothing scripted for it, or
for another action than the one scripted, raises :class:`AssertionError`;
otherwise it gets an empty success.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from typing import (
    TYPE_CHECKING,
    Any,
    Deque,
    Iterable,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)
from urllib.parse import parse_qsl, urlsplit

import attrs

from ..transport import Headers, HttpResponse, NetworkError

if TYPE_CHECKING:
    from ..request import PreparedRequest

__all__ = ["FakeTransport", "Sent"]

_JSON = {"Content-Type": "application/json"}


@attrs.frozen
class Sent:
    """One request the fake received, with the timeout and streaming flag it came with."""

    request: PreparedRequest
    timeout: float
    stream: bool

    @property
    def action(self) -> Optional[str]:
        """The request's action (``X-TC-Action``, or the v1 ``Action`` field)."""
        return _action_of(self.request)


@attrs.frozen
class _Script:
    action: Optional[str]
    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: Union[bytes, Tuple[bytes, ...]] = b""
    error: Optional[BaseException] = None


def _action_of(request: PreparedRequest) -> Optional[str]:
    for name, value in request.headers.items():
        if name.lower() == "x-tc-action":
            return value
    # v1: in the query string (GET) or the form body (POST).
    query = urlsplit(request.url).query
    if not query and request.body:
        query = request.body.decode("utf-8", "replace")
    for key, value in parse_qsl(query):
        if key == "Action":
            return value
    return None


class FakeTransport:
    """A scripted :class:`~tcfunc.transport.Transport`; thread-safe.

    Args:
        strict: raise :class:`AssertionError` on a request nothing was
            scripted for (default); when False such a request gets
            ``{"Response": {"RequestId": ...}}``.
    """

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self._lock = threading.Lock()
        self._scripts: Deque[_Script] = deque()
        self._sent: List[Sent] = []
        self._open_streams = 0

    # ---------------------------------------------------------- scripting

    def add_response(
        self,
        body: Union[bytes, str, Mapping[str, Any]] = b"",
        *,
        status: int = 200,
        headers: Optional[Mapping[str, str]] = None,
        action: Optional[str] = None,
    ) -> FakeTransport:
        """Answer the next request with these exact status, headers and body.

        A mapping body is sent as JSON (with a JSON content type unless
        ``headers`` say otherwise). ``action``, when given, must match the
        request's. Returns the fake, so calls chain.
        """
        hdrs = dict(headers or {})
        if isinstance(body, Mapping):
            data = json.dumps(body).encode("utf-8")
            if not any(k.lower() == "content-type" for k in hdrs):
                hdrs.update(_JSON)
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = bytes(body)
        return self._add(_Script(action, status, hdrs, data))

    def add_json(
        self,
        response: Optional[Mapping[str, Any]] = None,
        *,
        request_id: Optional[str] = None,
        action: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> FakeTransport:
        """Answer with ``{"Response": {**response, "RequestId": ...}}`` (a success)."""
        inner = dict(response or {})
        inner.setdefault("RequestId", request_id or str(uuid.uuid4()))
        return self.add_response({"Response": inner}, headers=headers, action=action)

    def add_error(
        self,
        code: str,
        message: str = "",
        *,
        request_id: Optional[str] = None,
        action: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> FakeTransport:
        """Answer with the API error ``code`` (HTTP 200, as the real API does)."""
        inner = {
            "Error": {"Code": code, "Message": message},
            "RequestId": request_id or str(uuid.uuid4()),
        }
        return self.add_response({"Response": inner}, headers=headers, action=action)

    def add_exception(self, error: BaseException, *, action: Optional[str] = None) -> FakeTransport:
        """Raise ``error`` from ``send`` for the next request.

        Use :meth:`connect_error` / :meth:`read_error` for the network
        failures a real transport raises.
        """
        return self._add(_Script(action, error=error))

    def add_sse(
        self,
        chunks: Iterable[Union[bytes, str, Mapping[str, Any]]],
        *,
        action: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> FakeTransport:
        """Answer with ``text/event-stream``, delivered in these chunks.

        A mapping is one event (``{"data": ..., "event": ..., "id": ...}``);
        bytes or str are sent as they are, so tests can split lines anywhere.
        """
        parts: List[bytes] = []
        for chunk in chunks:
            if isinstance(chunk, Mapping):
                parts.append(_event_bytes(chunk))
            elif isinstance(chunk, str):
                parts.append(chunk.encode("utf-8"))
            else:
                parts.append(bytes(chunk))
        hdrs = {"Content-Type": "text/event-stream"}
        hdrs.update(headers or {})
        return self._add(_Script(action, 200, hdrs, tuple(parts)))

    @staticmethod
    def connect_error(message: str = "connection refused") -> NetworkError:
        """A failure before the request could reach the server (always retryable)."""
        return NetworkError(f"could not connect to fake: {message}", reached_server=False)

    @staticmethod
    def read_error(message: str = "read timed out") -> NetworkError:
        """A failure after the request may have reached the server."""
        return NetworkError(
            f"connection to fake failed after the request was sent: {message}",
            reached_server=True,
        )

    def _add(self, script: _Script) -> FakeTransport:
        with self._lock:
            self._scripts.append(script)
        return self

    # ------------------------------------------------------------ playing

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        """Record ``request`` and play the next scripted answer."""
        action = _action_of(request)
        with self._lock:
            self._sent.append(Sent(request, timeout, stream))
            script = self._scripts.popleft() if self._scripts else None
        if script is None:
            if self.strict:
                raise AssertionError(f"FakeTransport: unexpected request for {action!r}")
            script = _Script(None, body=b'{"Response": {"RequestId": "fake"}}', headers=_JSON)
        if script.action is not None and script.action != action:
            raise AssertionError(
                f"FakeTransport: expected a request for {script.action!r}, got {action!r}"
            )
        if script.error is not None:
            raise script.error
        if isinstance(script.body, tuple):
            body_parts = script.body
            if stream:
                with self._lock:
                    self._open_streams += 1
                return HttpResponse(
                    script.status,
                    Headers(script.headers),
                    chunks=iter(body_parts),
                    close=self._stream_closed,
                )
            return HttpResponse(script.status, Headers(script.headers), b"".join(body_parts))
        return HttpResponse(script.status, Headers(script.headers), script.body)

    def _stream_closed(self) -> None:
        # HttpResponse calls its closer at most once.
        with self._lock:
            self._open_streams -= 1

    # ---------------------------------------------------------- inspecting

    @property
    def open_streams(self) -> int:
        """Streamed answers (``add_sse``) handed out and not yet closed.

        A real transport holds a connection for each; a test checks that
        the client gives every one back.
        """
        with self._lock:
            return self._open_streams

    @property
    def requests(self) -> List[PreparedRequest]:
        """The requests received so far, oldest first (a copy)."""
        with self._lock:
            return [sent.request for sent in self._sent]

    @property
    def sent(self) -> List[Sent]:
        """The requests with their timeout and streaming flag (a copy)."""
        with self._lock:
            return list(self._sent)

    @property
    def pending(self) -> int:
        """How many scripted answers are still unplayed."""
        with self._lock:
            return len(self._scripts)

    def assert_no_pending(self) -> None:
        """Raise :class:`AssertionError` if scripted answers were never used."""
        with self._lock:
            left = [s.action or "any action" for s in self._scripts]
        if left:
            raise AssertionError(f"FakeTransport: {len(left)} scripted answer(s) unused: {left}")

    def reset(self) -> None:
        """Forget scripts and recorded requests."""
        with self._lock:
            self._scripts.clear()
            self._sent.clear()
            self._open_streams = 0


def _event_bytes(event: Mapping[str, Any]) -> bytes:
    lines: List[str] = []
    for key in ("event", "id", "retry"):
        if key in event:
            lines.append(f"{key}: {event[key]}")
    data = event.get("data", "")
    if not isinstance(data, str):
        data = json.dumps(data)
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")
