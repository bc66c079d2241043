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

``expected_params`` makes a scripted answer also check what the request
carried, as botocore's ``Stubber`` does; :data:`ANY` matches any value::

    fake.add_json({"TotalCount": 0}, expected_params={"Limit": 10, "Offset": ANY})

A mismatch raises :class:`AssertionError` naming each differing param with
its expected and actual values. GET and v1 requests carry every value as a
string, so there ``10`` matches ``"10"`` and ``True`` matches ``"true"``.

:class:`AsyncFakeTransport` is the same for :mod:`tcfunc.aio` clients.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections import deque
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Deque,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Tuple,
    TypeVar,
    Union,
)
from urllib.parse import parse_qsl, urlsplit

import attrs

from ..errors import TencentCloudSDKException
from ..transport import AsyncHttpResponse, Headers, HttpResponse, NetworkError

if TYPE_CHECKING:
    from ..request import PreparedRequest

__all__ = ["ANY", "AsyncFakeTransport", "FakeTransport", "Sent"]

_S = TypeVar("_S", bound="_Scripted")


class _Any:
    """Equal to everything: a wildcard in ``expected_params``."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "ANY"

    def __reduce__(self) -> str:
        return "ANY"


#: Matches any value in ``expected_params`` (``{"ClientToken": ANY}``).
ANY: Any = _Any()

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
    expected_params: Optional[Mapping[str, Any]] = None


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


class _Scripted:
    """The scripting and the record, shared by the sync and the async fake."""

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self._lock = threading.Lock()
        self._scripts: Deque[_Script] = deque()
        self._sent: List[Sent] = []
        self._open_streams = 0

    # ---------------------------------------------------------- scripting

    def add_response(
        self: _S,
        body: Union[bytes, str, Mapping[str, Any]] = b"",
        *,
        status: int = 200,
        headers: Optional[Mapping[str, str]] = None,
        action: Optional[str] = None,
        expected_params: Optional[Mapping[str, Any]] = None,
    ) -> _S:
        """Answer the next request with these exact status, headers and body.

        A mapping body is sent as JSON (with a JSON content type unless
        ``headers`` say otherwise). ``action``, when given, must match the
        request's; ``expected_params``, when given, must equal its params
        (see the module docs). Returns the fake, so calls chain.
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
        return self._add(
            _Script(action, status, hdrs, data, expected_params=_expected(expected_params))
        )

    def add_json(
        self: _S,
        response: Optional[Mapping[str, Any]] = None,
        *,
        request_id: Optional[str] = None,
        action: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        expected_params: Optional[Mapping[str, Any]] = None,
    ) -> _S:
        """Answer with ``{"Response": {**response, "RequestId": ...}}`` (a success)."""
        inner = dict(response or {})
        inner.setdefault("RequestId", request_id or str(uuid.uuid4()))
        return self.add_response(
            {"Response": inner}, headers=headers, action=action, expected_params=expected_params
        )

    def add_error(
        self: _S,
        code: str,
        message: str = "",
        *,
        request_id: Optional[str] = None,
        action: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        expected_params: Optional[Mapping[str, Any]] = None,
    ) -> _S:
        """Answer with the API error ``code`` (HTTP 200, as the real API does)."""
        inner = {
            "Error": {"Code": code, "Message": message},
            "RequestId": request_id or str(uuid.uuid4()),
        }
        return self.add_response(
            {"Response": inner}, headers=headers, action=action, expected_params=expected_params
        )

    def add_exception(self: _S, error: BaseException, *, action: Optional[str] = None) -> _S:
        """Raise ``error`` from ``send`` for the next request.

        Use :meth:`connect_error` / :meth:`read_error` for the network
        failures a real transport raises.
        """
        return self._add(_Script(action, error=error))

    def add_sse(
        self: _S,
        chunks: Iterable[Union[bytes, str, Mapping[str, Any]]],
        *,
        action: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        expected_params: Optional[Mapping[str, Any]] = None,
    ) -> _S:
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
        return self._add(
            _Script(action, 200, hdrs, tuple(parts), expected_params=_expected(expected_params))
        )

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

    def _add(self: _S, script: _Script) -> _S:
        with self._lock:
            self._scripts.append(script)
        return self

    # ------------------------------------------------------------ playing

    def _play(self, request: PreparedRequest, timeout: float, stream: bool) -> _Script:
        """Record ``request`` and take the next scripted answer, checked against it."""
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
        if script.expected_params is not None:
            _check_params(request, action, script.expected_params)
        if script.error is not None:
            raise script.error
        return script

    def _stream_opened(self) -> None:
        with self._lock:
            self._open_streams += 1

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


def _expected(params: Optional[Mapping[str, Any]]) -> Optional[Mapping[str, Any]]:
    if params is None:
        return None
    if not isinstance(params, Mapping):
        raise TencentCloudSDKException("ClientError", "expected_params must be a dict or None")
    return copy.deepcopy(dict(params))


def _params_of(request: PreparedRequest) -> Tuple[Dict[str, Any], bool]:
    """The params a request carries, and whether they arrived as strings (GET, v1, form)."""
    from ..verify import parse_request

    headers = dict(request.headers)
    if not any(k.lower() == "host" for k in headers):
        headers["Host"] = urlsplit(request.url).netloc
    try:
        parsed = parse_request(request.method, request.url, headers, request.body)
    except TencentCloudSDKException as exc:
        raise AssertionError(
            f"FakeTransport: cannot read the request's params: {exc.message}"
        ) from None
    typed = request.method == "POST" and parsed.content_type.startswith("application/json")
    return parsed.params, not typed


def _loose(value: Any) -> Any:
    from ._spec import canonical

    return canonical(value)


def _differences(expected: Any, actual: Any, path: str, loose: bool, out: List[str]) -> None:
    if expected is ANY:
        return
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        for key, value in expected.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                if value is not None:
                    out.append(f"{where}: expected {value!r}, got nothing")
                continue
            _differences(value, actual[key], where, loose, out)
        for key, value in actual.items():
            if key not in expected:
                where = f"{path}.{key}" if path else str(key)
                out.append(f"{where}: expected nothing, got {value!r}")
        return
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        if len(expected) != len(actual):
            out.append(f"{path}: expected {list(expected)!r}, got {list(actual)!r}")
            return
        for index, (want, got) in enumerate(zip(expected, actual)):
            _differences(want, got, f"{path}.{index}", loose, out)
        return
    same = _loose(expected) == _loose(actual) if loose else expected == actual
    if not same:
        out.append(f"{path}: expected {expected!r}, got {actual!r}")


def _check_params(
    request: PreparedRequest, action: Optional[str], expected: Mapping[str, Any]
) -> None:
    actual, loose = _params_of(request)
    found: List[str] = []
    _differences(expected, actual, "", loose, found)
    if found:
        lines = "\n".join(f"  {line}" for line in found)
        raise AssertionError(
            f"FakeTransport: the params of {action or 'the request'} differ from "
            f"expected_params:\n{lines}"
        )


class FakeTransport(_Scripted):
    """A scripted :class:`~tcfunc.transport.Transport`; thread-safe.

    Args:
        strict: raise :class:`AssertionError` on a request nothing was
            scripted for (default); when False such a request gets
            ``{"Response": {"RequestId": ...}}``.
    """

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        """Record ``request`` and play the next scripted answer."""
        script = self._play(request, timeout, stream)
        if isinstance(script.body, tuple):
            parts = script.body
            if stream:
                self._stream_opened()
                return HttpResponse(
                    script.status,
                    Headers(script.headers),
                    chunks=iter(parts),
                    close=self._stream_closed,
                )
            return HttpResponse(script.status, Headers(script.headers), b"".join(parts))
        return HttpResponse(script.status, Headers(script.headers), script.body)

    def close(self) -> None:
        """Nothing to release."""


class AsyncFakeTransport(_Scripted):
    """:class:`FakeTransport` for :mod:`tcfunc.aio` clients: a scripted
    :class:`~tcfunc.transport.AsyncTransport` with the same scripting methods."""

    async def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> AsyncHttpResponse:
        """Record ``request`` and play the next scripted answer."""
        script = self._play(request, timeout, stream)
        if isinstance(script.body, tuple):
            parts = script.body
            if stream:
                self._stream_opened()

                async def closed() -> None:
                    self._stream_closed()

                return AsyncHttpResponse(
                    script.status,
                    Headers(script.headers),
                    chunks=_async_chunks(parts),
                    close=closed,
                )
            return AsyncHttpResponse(script.status, Headers(script.headers), b"".join(parts))
        return AsyncHttpResponse(script.status, Headers(script.headers), script.body)

    async def aclose(self) -> None:
        """Nothing to release."""


async def _async_chunks(parts: Tuple[bytes, ...]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
