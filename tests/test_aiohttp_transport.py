"""AiohttpTransport on loopback: bytes, deadlines, limits, errors, proxies, TLS, cancellation.

Every test talks to a real 127.0.0.1 server: the signature-verifying
emulator for the happy paths (a wrong Host, query or body would be refused),
and the misbehaving servers of ``tests/_support/servers.py`` for the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, List, Optional, Tuple, TypeVar

import pytest

import tcfunc
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import DEFAULT_MAX_RESPONSE_SIZE
from tcfunc.testing.emulator import ApiEmulator
from tcfunc.transport import NetworkError

from ._support.chain import assert_no_secret, exception_chain
from ._support.servers import (
    ConnectProxy,
    MisbehavingServer,
    ServedRequest,
    answer,
    dead_port,
    dribbled_body,
    dribbled_head,
    gzip_answer,
    gzip_bomb,
    http_head,
    json_body,
    reset,
    self_signed,
    server_context,
    sse,
    stall,
    stalled_body,
)

pytest.importorskip("aiohttp")

from tcfunc._aiohttp import AiohttpTransport

# A socket, transport, session or connector left open becomes an error (raised
# when it is collected, so possibly in a later test of this module).
pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")

T = TypeVar("T")
SECRET_ID = "AKIDaiohttpSECRETID0001"
MIB = 1024 * 1024
SECRET_KEY = "aiohttp-secret-key-value"
TOKEN = "aiohttp-session-TOKEN-value"


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run one coroutine in a fresh event loop."""

    async def main() -> T:
        return await make()

    return asyncio.run(main())


def prepared(
    endpoint: str,
    *,
    method: str = "POST",
    sign: str = "TC3-HMAC-SHA256",
    protocol: str = "http",
    params: Optional[dict[str, Any]] = None,
    token: Optional[str] = None,
) -> tcfunc.PreparedRequest:
    """A signed DescribeZones request for ``endpoint``."""
    profile = tcfunc.ClientProfile(
        httpProfile=tcfunc.HttpProfile(protocol=protocol, endpoint=endpoint, reqMethod=method),
        signMethod=sign,
    )
    return tcfunc.prepare_request(
        "DescribeZones",
        params if params is not None else {"Filters": [{"Name": "zone", "Values": ["a b~*"]}]},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=tcfunc.Credential(SECRET_ID, SECRET_KEY, token),
        profile=profile,
    )


def transport(**kw: Any) -> AiohttpTransport:
    """A transport for a plain-HTTP loopback profile with ``kw`` overrides."""
    kw.setdefault("protocol", "http")
    return AiohttpTransport(tcfunc.HttpProfile(**kw))


async def send_once(
    request: tcfunc.PreparedRequest, timeout: float = 5.0, **kw: Any
) -> Tuple[int, bytes]:
    """Send ``request`` on a fresh transport (closed after); ``(status, body)``."""
    t = transport(**kw)
    try:
        response = await t.send(request, timeout)
        return response.status, await response.read()
    finally:
        await t.aclose()


async def failure_of(
    request: tcfunc.PreparedRequest, timeout: float = 5.0, **kw: Any
) -> Tuple[float, BaseException]:
    """Send ``request`` expecting a failure; ``(seconds taken, the exception)``."""
    t = transport(**kw)
    start = time.monotonic()
    try:
        response = await t.send(request, timeout)
        await response.read()
    except BaseException as exc:  # noqa: BLE001 - handed to the test
        return time.monotonic() - start, exc
    finally:
        await t.aclose()
    raise AssertionError("the send did not fail")


def open_fds() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def emulator() -> Iterator[ApiEmulator]:
    """A signature-verifying emulator answering cvm DescribeZones with its params."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emu:
        emu.register("cvm", "DescribeZones", lambda params: {"Echo": params})
        yield emu


# ------------------------------------------------------------------ import


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_aiohttp_is_not_imported_until_a_transport_is_built() -> None:
    """``import tcfunc``, the sync client, ``tcfunc.aio``, an async client not yet used and
    ``tcfunc._aiohttp`` itself load no aiohttp."""
    proc = _python(
        "import sys, tcfunc, tcfunc.client, tcfunc.transport, tcfunc.aio, tcfunc._aiohttp\n"
        "tcfunc.aio.AsyncCommonClient('cvm', '2017-03-12', tcfunc.Credential('a', 'b'), 'r')\n"
        "print('aiohttp' in sys.modules)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_missing_aiohttp_names_the_extra_to_install() -> None:
    """Without aiohttp, building the transport raises ClientError naming ``tcfunc[aio]``."""
    proc = _python(
        "import sys\n"
        "sys.modules['aiohttp'] = None\n"
        "import tcfunc\n"
        "from tcfunc._aiohttp import AiohttpTransport\n"
        "try:\n"
        "    AiohttpTransport(tcfunc.HttpProfile())\n"
        "except tcfunc.TencentCloudSDKException as exc:\n"
        "    print(exc.code, '|', exc.message, '|', exc.__context__, exc.__cause__)\n"
    )
    assert proc.returncode == 0, proc.stderr
    code, message, chain = proc.stdout.strip().split(" | ")
    assert code == "ClientError"
    assert "pip install 'tcfunc[aio]'" in message
    assert chain == "None None"


# -------------------------------------------------------------- happy paths


@pytest.mark.parametrize(
    ("method", "sign"),
    [
        ("POST", "TC3-HMAC-SHA256"),
        ("GET", "TC3-HMAC-SHA256"),
        ("POST", "HmacSHA256"),
        ("GET", "HmacSHA1"),
    ],
)
def test_signed_requests_verify_at_the_emulator(
    emulator: ApiEmulator, method: str, sign: str
) -> None:
    """The bytes, query and Host sent are exactly the signed ones (the emulator verifies them)."""
    request = prepared(emulator.endpoint, method=method, sign=sign)
    status, body = run(lambda: send_once(request))
    assert status == 200
    assert b'"Echo"' in body, body
    assert b"a b~*" in body
    assert emulator.requests[-1].error_code is None


def test_headers_and_body_go_out_exactly_as_prepared() -> None:
    """Every prepared header is sent as given (Host with its port), the body byte for byte,
    plus only Accept-Encoding: identity and aiohttp's unsigned Accept and User-Agent."""
    with MisbehavingServer(answer(json_body())) as server:
        request = prepared(server.endpoint)
        run(lambda: send_once(request))
        got = server.requests[0]
    assert got.body == request.body
    for name, value in request.headers.items():
        assert got.header(name) == value, name
    assert got.header("Host") == server.endpoint
    assert got.header("Accept-Encoding") == "identity"
    assert got.header("Accept") == "*/*"
    sent = {name.lower() for name, _ in got.headers}
    expected = {n.lower() for n in request.headers} | {"accept-encoding", "user-agent", "accept"}
    assert sent == expected | {"content-length"}


def test_a_get_without_body_sends_no_content_type_or_body() -> None:
    """A body-less request gets no Content-Type or Content-Length added by aiohttp."""
    with MisbehavingServer(answer(json_body())) as server:
        request = tcfunc.PreparedRequest(
            "GET", f"http://{server.endpoint}/?A=1%2B2", {"Host": server.endpoint}, b""
        )
        run(lambda: send_once(request))
        got = server.requests[0]
    assert got.target == "/?A=1%2B2"
    assert got.header("Content-Type") is None
    assert got.header("Content-Length") is None


def test_a_body_without_content_type_gets_none_invented() -> None:
    """aiohttp's application/octet-stream is not added to a body sent without a Content-Type;
    one named in any case is sent once, as given."""
    with MisbehavingServer(answer(json_body())) as server:
        bare = tcfunc.PreparedRequest(
            "POST", f"http://{server.endpoint}/", {"Host": server.endpoint}, b"raw"
        )
        named = tcfunc.PreparedRequest(
            "POST",
            f"http://{server.endpoint}/",
            {"Host": server.endpoint, "content-type": "text/plain"},
            b"raw",
        )
        run(lambda: send_once(bare))
        run(lambda: send_once(named))
        first, second = server.requests
    assert first.header("Content-Type") is None
    assert first.body == b"raw"
    assert [v for k, v in second.headers if k.lower() == "content-type"] == ["text/plain"]


def test_keep_alive_reuses_one_connection() -> None:
    """Sequential calls reuse a pooled connection."""
    with MisbehavingServer(answer(json_body())) as server:
        request = prepared(server.endpoint)

        async def three() -> None:
            t = transport()
            for _ in range(3):
                await (await t.send(request, 5)).read()
            await t.aclose()

        run(three)
        assert len(server.requests) == 3
        assert server.connections == 1


def test_connections_have_tcp_nodelay() -> None:
    """Pooled connections send small writes at once (TCP_NODELAY), as the sync client's do."""
    with MisbehavingServer(answer(json_body())) as server:
        request = prepared(server.endpoint)

        async def nodelay() -> int:
            t = transport()
            await (await t.send(request, 5)).read()
            (protocols,) = t._session.connector._conns.values()
            sock = protocols[0][0].transport.get_extra_info("socket")
            value = int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            await t.aclose()
            return value

        assert run(nodelay) == 1


@pytest.mark.parametrize(
    ("kw", "calls", "connections"),
    [({"pool_size": 2}, 6, 2), ({}, 40, 40)],
    ids=["pool_size=2", "default"],
)
def test_pool_size_caps_connections_per_host(kw: dict, calls: int, connections: int) -> None:
    """Concurrent slow calls to one host share at most pool_size connections: six share two
    with pool_size=2, and by default (100) forty get forty, none queued behind another (the
    old default, 16, made 24 wait)."""
    with MisbehavingServer(dribbled_body(json_body(), every=0.02, size=8)) as server:
        request = prepared(server.endpoint)

        async def fan_out() -> None:
            t = transport(**kw)
            responses = await asyncio.gather(*(t.send(request, 10) for _ in range(calls)))
            assert all(r.status == 200 for r in responses)
            await t.aclose()

        run(fan_out)
        assert len(server.requests) == calls
        assert server.connections == connections


def test_answers_are_read_in_64_kib_pieces_and_arrive_whole() -> None:
    """A plain connection reads into 64 KiB buffers, not asyncio's 256 KiB ones (which
    glibc maps and unmaps for every answer); a 3 MiB answer still arrives whole."""
    big = json_body({"Blob": "x" * (3 * MIB)})
    with MisbehavingServer(answer(big)) as server:
        request = prepared(server.endpoint)

        async def read_one() -> List[int]:
            t = transport()
            body = await (await t.send(request, 10)).read()
            assert body == big
            sizes = [
                proto.transport.max_size
                for pooled in t._session.connector._conns.values()
                for proto, _ in pooled
            ]
            await t.aclose()
            return sizes

        assert run(read_one) == [64 * 1024]


def test_pre_conn_pool_size_connects_ahead_of_the_calls() -> None:
    """pre_conn_pool_size=3: three connections open in the background on a host's first use,
    and three concurrent calls after it find them (no new connection)."""
    with MisbehavingServer(answer(json_body())) as server:
        request = prepared(server.endpoint)

        async def scenario() -> Tuple[int, int]:
            t = transport(pre_conn_pool_size=3)
            await (await t.send(request, 5)).read()
            for _ in range(50):
                if server.connections >= 3:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.05)
            warmed = server.connections
            responses = await asyncio.gather(*(t.send(request, 5) for _ in range(3)))
            assert all(r.status == 200 for r in responses)
            await t.aclose()
            return warmed, server.connections

        warmed, after = run(scenario)
    assert warmed in (3, 4)  # the first call may open its own before the warm-up's are in
    assert after == warmed


def test_waiting_for_a_pooled_connection_counts_in_the_deadline() -> None:
    """pool_size=1: a call queued behind a slow one fails within its own deadline, as
    "not reached" (nothing was sent, so it is safe to retry)."""
    with MisbehavingServer(dribbled_body(json_body(), every=0.03)) as server:
        request = prepared(server.endpoint)

        async def queued() -> Tuple[float, BaseException]:
            t = transport(pool_size=1)
            slow = asyncio.ensure_future(t.send(request, 5))
            await asyncio.sleep(0.05)
            start = time.monotonic()
            try:
                await t.send(request, 0.3)
            except NetworkError as exc:
                took = time.monotonic() - start
                await slow
                return took, exc
            finally:
                await t.aclose()
            raise AssertionError("the queued call did not time out")

        took, exc = run(queued)
        assert len(server.requests) == 1
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False
    assert took < 1.0


def test_redirects_are_not_followed() -> None:
    """A 302 is handed back as it is; no second request is sent."""
    head = http_head(status=302, reason="Found", length=0, headers={"Location": "/elsewhere"})

    def handle(_request: ServedRequest, peer: Any) -> bool:
        peer.send(head)
        return True

    with MisbehavingServer(handle) as server:
        status, _ = run(lambda: send_once(prepared(server.endpoint)))
        assert status == 302
        assert len(server.requests) == 1


def test_a_deflate_answer_is_decoded() -> None:
    """deflate (a zlib stream) is decoded too, whole or streamed."""
    import zlib

    body = json_body({"Big": "y" * 5000})
    data = zlib.compress(body)

    def handle(_request: ServedRequest, peer: Any) -> bool:
        peer.send(http_head(length=len(data), headers={"Content-Encoding": "deflate"}) + data)
        return True

    with MisbehavingServer(handle) as server:
        request = prepared(server.endpoint)
        _, got = run(lambda: send_once(request))

        async def streamed() -> bytes:
            t = transport()
            response = await t.send(request, 5, stream=True)
            out = b"".join([p async for p in response.iter_chunks()])
            await t.aclose()
            return out

        assert run(streamed) == body
    assert got == body


def test_a_gzip_answer_is_decoded() -> None:
    """A compressed answer (sent although identity was asked for) is decoded, as urllib3 does."""
    body = json_body({"Big": "x" * 5000})
    with MisbehavingServer(gzip_answer(body)) as server:
        _, got = run(lambda: send_once(prepared(server.endpoint)))
    assert got == body


# ----------------------------------------------------------------- deadline


def test_a_dribbled_body_is_bounded_by_the_timeout() -> None:
    """A body sent one byte per 0.1 s fails after the 0.6 s timeout, not after 4 s."""
    with MisbehavingServer(dribbled_body(json_body(), every=0.1)) as server:
        took, exc = run(lambda: failure_of(prepared(server.endpoint), 0.6))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is True
    assert "within 0.6s" in str(exc.message)
    assert 0.5 < took < 1.5


def test_sends_that_share_a_timeout_each_end_at_their_own_deadline() -> None:
    """One timer serves the sends of one timeout: three stalled sends started 0.15 s
    apart with a 0.4 s timeout each fail 0.4 s after their own start, not all at the
    first one's deadline, and a quick send among them ends normally."""
    with MisbehavingServer(stall(3.0)) as slow, MisbehavingServer(answer(json_body())) as fast:
        stalled, quick = prepared(slow.endpoint), prepared(fast.endpoint)

        async def scenario() -> Tuple[List[float], int]:
            t = transport()
            loop = asyncio.get_running_loop()

            async def stalled_send(delay: float) -> float:
                await asyncio.sleep(delay)
                began = loop.time()
                with pytest.raises(NetworkError):
                    await t.send(stalled, 0.4)
                return loop.time() - began

            async def quick_send() -> int:
                await asyncio.sleep(0.05)
                return (await t.send(quick, 0.4)).status

            *took, status = await asyncio.gather(
                stalled_send(0.0), stalled_send(0.15), stalled_send(0.3), quick_send()
            )
            await t.aclose()
            return took, status

        took, status = run(scenario)
    assert status == 200
    assert all(0.39 <= each < 1.0 for each in took), took


def test_deadline_entries_of_ended_sends_do_not_pile_up() -> None:
    """Behind one long wait, thousands of sends that ended leave a bounded queue, and the
    long wait still expires on time."""
    from tcfunc._aiohttp import _Deadlines

    async def scenario() -> Tuple[int, bool, bool]:
        loop = asyncio.get_running_loop()
        deadlines = _Deadlines(loop, 0.2)
        sleeper = asyncio.ensure_future(asyncio.sleep(5))
        slow = deadlines.start(sleeper)
        current = asyncio.current_task()
        assert current is not None
        longest = 0
        for _ in range(5000):
            deadlines.start(current).cancel()
            longest = max(longest, len(deadlines._queue))
        with contextlib.suppress(asyncio.CancelledError):
            await sleeper
        return longest, slow.fired, deadlines.idle

    longest, fired, idle = run(scenario)
    assert longest <= 2 + 64 + 2
    assert fired
    assert idle


def test_dribbled_headers_are_bounded_by_the_timeout() -> None:
    """Headers dribbled one byte per 0.1 s fail after the 0.6 s timeout."""
    with MisbehavingServer(dribbled_head(json_body(), every=0.1)) as server:
        took, exc = run(lambda: failure_of(prepared(server.endpoint), 0.6))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is True
    assert took < 1.5


def test_a_stalled_answer_times_out_as_reached() -> None:
    """No answer at all: a read timeout, and the request may have run (reached_server)."""
    with MisbehavingServer(stall()) as server:
        took, exc = run(lambda: failure_of(prepared(server.endpoint), 0.4))
    assert isinstance(exc, NetworkError)
    assert exc.code == "ClientNetworkError"
    assert exc.reached_server is True
    assert f"no complete answer from {server.endpoint} within 0.4s" in str(exc.message)
    assert took < 1.3


def _unaccepting_listener() -> Tuple[socket.socket, List[socket.socket]]:
    """A listener whose accept queue is full: further connects hang in SYN."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers: List[socket.socket] = []
    for _ in range(4):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        fillers.append(filler)
    time.sleep(0.05)
    return listener, fillers


def test_a_connect_that_hangs_times_out_as_not_reached() -> None:
    """A connect the deadline cuts short is a failure before sending: reached_server False."""
    listener, fillers = _unaccepting_listener()
    try:
        endpoint = f"127.0.0.1:{listener.getsockname()[1]}"
        took, exc = run(lambda: failure_of(prepared(endpoint), 0.5))
    finally:
        for sock in [*fillers, listener]:
            sock.close()
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False, exc.message
    assert f"could not connect to {endpoint}" in str(exc.message)
    assert took < 1.5


def test_a_refused_connect_is_not_reached() -> None:
    """Connection refused: ClientNetworkError, reached_server False, the host named."""
    endpoint = f"127.0.0.1:{dead_port()}"
    _, exc = run(lambda: failure_of(prepared(endpoint)))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False
    assert f"could not connect to {endpoint}" in str(exc.message)


def test_a_stalled_tls_handshake_times_out_as_not_reached(tmp_path: Path) -> None:
    """A server that never answers the TLS handshake: a connect-phase timeout."""
    cert, key = _cert_or_skip(tmp_path)
    with MisbehavingServer(stall(), tls=server_context(cert, key), handshake=False) as server:
        request = prepared(server.endpoint, protocol="https")
        took, exc = run(lambda: failure_of(request, 0.5, protocol="https", certification=str(cert)))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False
    assert took < 1.5


def test_a_timed_out_send_leaves_no_cancel_request_on_the_task() -> None:
    """The deadline's own cancel is answered: after a timeout the task is not "cancelling",
    so an enclosing asyncio.timeout or TaskGroup does not take it for its own."""
    with MisbehavingServer(stall()) as server:
        request = prepared(server.endpoint)

        async def body() -> int:
            t = transport()
            with pytest.raises(NetworkError):
                await t.send(request, 0.2)
            await asyncio.sleep(0.01)  # would raise CancelledError if a cancel were pending
            await t.aclose()
            task = asyncio.current_task()
            assert task is not None
            cancelling = getattr(task, "cancelling", None)  # Python 3.11+
            return 0 if cancelling is None else int(cancelling())

        assert run(body) == 0


# --------------------------------------------------------------- streaming


def test_a_stream_may_outlast_the_timeout_while_pieces_keep_coming() -> None:
    """Streamed, the timeout bounds each wait for a piece, not the whole stream."""
    events = [f"data: {n}\n\n" for n in range(8)]
    with MisbehavingServer(sse(events, every=0.15)) as server:
        request = prepared(server.endpoint)

        async def read_all() -> Tuple[float, bytes]:
            t = transport()
            start = time.monotonic()
            response = await t.send(request, 0.5, stream=True)
            parts = [piece async for piece in response.iter_chunks()]
            await t.aclose()
            return time.monotonic() - start, b"".join(parts)

        took, body = run(read_all)
    assert body == "".join(events).encode()
    assert took > 1.0  # longer than the timeout, and no error


def test_a_stream_that_goes_quiet_times_out() -> None:
    """A stream silent for longer than the timeout fails with a read timeout."""
    with MisbehavingServer(sse(["data: 1\n\n"], then_stall=5)) as server:
        request = prepared(server.endpoint)

        async def read_all() -> Tuple[float, List[bytes], BaseException]:
            t = transport()
            response = await t.send(request, 0.4, stream=True)
            got: List[bytes] = []
            start = time.monotonic()
            try:
                async for piece in response.iter_chunks():
                    got.append(piece)
            except NetworkError as exc:
                return time.monotonic() - start, got, exc
            finally:
                await t.aclose()
            raise AssertionError("no timeout")

        took, got, exc = run(read_all)
    assert got == [b"data: 1\n\n"]
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is True
    assert took < 1.2


def test_a_stream_whose_headers_are_late_times_out() -> None:
    """Streamed, connect..headers is bounded by the timeout too."""
    with MisbehavingServer(sse(["data: 1\n\n"], head_delay=5)) as server:
        request = prepared(server.endpoint)

        async def headers() -> float:
            t = transport()
            start = time.monotonic()
            try:
                with pytest.raises(NetworkError):
                    await t.send(request, 0.4, stream=True)
            finally:
                await t.aclose()
            return time.monotonic() - start

        assert run(headers) < 1.2


def test_a_half_read_stream_is_closed_not_reused() -> None:
    """Closing a stream read half way drops its connection; a read-through one is reused."""
    events = [f"data: {n}\n\n" for n in range(5)]
    with MisbehavingServer(sse(events, every=0.05)) as server:
        request = prepared(server.endpoint)

        async def scenario() -> None:
            t = transport()
            response = await t.send(request, 5, stream=True)
            async for _ in response.iter_chunks():
                break
            await response.aclose()
            response = await t.send(request, 5, stream=True)
            assert [p async for p in response.iter_chunks()] == [e.encode() for e in events]
            response = await t.send(request, 5, stream=True)
            await response.read()
            await t.aclose()

        run(scenario)
        assert len(server.requests) == 3
        assert server.connections == 2


# ------------------------------------------------------------ size limit


def test_an_oversized_content_length_fails_before_reading() -> None:
    """A declared length over the default limit is refused at once, the connection dropped."""
    size = DEFAULT_MAX_RESPONSE_SIZE + 1

    def handle(_request: ServedRequest, peer: Any) -> bool:
        peer.send(http_head(length=size) + b"{")
        peer.pause(5)
        return True

    with MisbehavingServer(handle) as server:
        took, exc = run(lambda: failure_of(prepared(server.endpoint)))
    assert isinstance(exc, TencentCloudSDKException)
    assert exc.code == "ClientError.ResponseTooLarge"
    assert "larger than" in str(exc.message)
    assert took < 1.0


@pytest.mark.parametrize(("size", "ok"), [(MIB, True), (MIB + 1, False)])
def test_a_body_at_the_limit_is_accepted_one_past_it_is_not(size: int, ok: bool) -> None:
    """max_response_size is inclusive: a chunked body of exactly the limit passes."""
    handler = dribbled_body(b"x" * size, size=64 * 1024, every=0, chunked=True)
    with MisbehavingServer(handler) as server:
        request = prepared(server.endpoint)
        if ok:
            _, body = run(lambda: send_once(request, max_response_size=MIB))
            assert len(body) == size
        else:
            _, exc = run(lambda: failure_of(request, max_response_size=MIB))
            assert isinstance(exc, TencentCloudSDKException)
            assert exc.code == "ClientError.ResponseTooLarge"


@pytest.mark.parametrize("chunked", [False, True])
def test_a_gzip_bomb_is_cut_at_the_limit_of_the_decoded_body(chunked: bool) -> None:
    """A small gzip answer that decodes past the limit is refused as it is read."""
    handler = gzip_bomb(32 * MIB, chunked=chunked)
    with MisbehavingServer(handler) as server:
        _, exc = run(lambda: failure_of(prepared(server.endpoint), max_response_size=MIB))
    assert isinstance(exc, TencentCloudSDKException)
    assert exc.code == "ClientError.ResponseTooLarge"
    assert "larger than" in str(exc.message)


def test_an_oversized_stream_is_cut_at_the_limit() -> None:
    """A streamed gzip bomb fails once its decoded pieces pass the limit."""
    handler = gzip_bomb(32 * MIB, chunked=True, stream=True)
    with MisbehavingServer(handler) as server:
        request = prepared(server.endpoint)

        async def read_all() -> BaseException:
            t = transport(max_response_size=MIB)
            response = await t.send(request, 10, stream=True)
            try:
                async for _ in response.iter_chunks():
                    pass
            except TencentCloudSDKException as exc:
                return exc
            finally:
                await t.aclose()
            raise AssertionError("no limit")

        exc = run(read_all)
    assert isinstance(exc, TencentCloudSDKException)
    assert exc.code == "ClientError.ResponseTooLarge"


# ------------------------------------------------------------------ errors


def test_a_reset_after_sending_is_reached_and_leaks_no_secret() -> None:
    """A reset while waiting: reached_server True; no Signature, Token or SecretId anywhere
    in the error, its chain, its traceback or its pickle; no aiohttp exception in the chain."""
    with MisbehavingServer(reset()) as server:
        request = prepared(server.endpoint, method="GET", sign="HmacSHA256", token=TOKEN)
        assert "Signature=" in request.url
        _, exc = run(lambda: failure_of(request))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is True
    assert server.endpoint in str(exc.message)
    signature = request.url.split("Signature=", 1)[1].split("&", 1)[0]
    assert_no_secret(exc, [signature, TOKEN, SECRET_ID, "Signature="])
    assert exception_chain(exc) == [exc]


def test_a_cut_body_is_reached() -> None:
    """The connection closing before Content-Length bytes arrive: reached_server True."""
    body = json_body()

    def handle(_request: ServedRequest, peer: Any) -> None:
        peer.send(http_head(length=len(body)) + body[:5])

    with MisbehavingServer(handle) as server:
        _, exc = run(lambda: failure_of(prepared(server.endpoint)))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is True
    assert exception_chain(exc) == [exc]


def test_a_garbled_status_line_is_a_network_error() -> None:
    """A server that answers junk gives ClientNetworkError, nothing of another type."""

    def handle(_request: ServedRequest, peer: Any) -> None:
        peer.send(b"SPAM SPAM SPAM\r\n\r\n")

    with MisbehavingServer(handle) as server:
        _, exc = run(lambda: failure_of(prepared(server.endpoint, method="GET", sign="HmacSHA1")))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is True
    assert "Signature" not in str(exc.message)


def test_a_get_on_a_dropped_keep_alive_connection_is_not_resent() -> None:
    """aiohttp's own resend of a GET on a reused connection is off: one policy decides."""
    answered: List[int] = []

    def handle(_request: ServedRequest, peer: Any) -> Optional[bool]:
        if not answered:
            answered.append(1)
            peer.send(http_head(length=2) + b"{}")
            return True
        peer.reset()
        return None

    with MisbehavingServer(handle) as server:
        request = prepared(server.endpoint, method="GET", sign="HmacSHA256")

        async def twice() -> BaseException:
            t = transport()
            await (await t.send(request, 5)).read()
            try:
                await t.send(request, 5)
            except NetworkError as exc:
                return exc
            finally:
                await t.aclose()
            raise AssertionError("no failure")

        exc = run(twice)
        assert isinstance(exc, NetworkError)
        assert exc.reached_server is True
        assert len(server.requests) == 2


def test_a_second_event_loop_is_refused_until_closed() -> None:
    """An open transport refuses another loop with ClientError; after aclose it works there."""
    with MisbehavingServer(answer(json_body())) as server:
        request = prepared(server.endpoint)
        t = transport()
        first = asyncio.new_event_loop()
        try:
            assert first.run_until_complete(t.send(request, 5)).status == 200
            with pytest.raises(TencentCloudSDKException) as info:
                run(lambda: t.send(request, 5))
            assert info.value.code == "ClientError"
            assert "event loop" in str(info.value.message)
            first.run_until_complete(t.aclose())
        finally:
            first.close()

        async def again() -> int:
            try:
                return (await t.send(request, 5)).status
            finally:
                await t.aclose()

        assert run(again) == 200


# ------------------------------------------------------------ cancellation


def _cancel_during(handler: Any, after: float) -> Tuple[int, int, int]:
    """Cancel a send ``after`` seconds in; ``(fds before, fds after, server connections)``."""
    before = open_fds()
    with MisbehavingServer(handler) as server:
        request = prepared(server.endpoint)

        async def scenario() -> None:
            t = transport()
            task = asyncio.ensure_future(t.send(request, 10))
            await asyncio.sleep(after)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            connector = t._session.connector
            assert not connector._acquired, "a connection is still checked out"
            assert not connector._conns, "a cancelled connection went back to the pool"
            await t.aclose()

        run(scenario)
        connections = server.connections
    return before, open_fds(), connections


def test_cancelling_mid_answer_leaves_no_connection_or_fd() -> None:
    """Cancelled while the answer is awaited: CancelledError, and no socket is left open."""
    before, after, connections = _cancel_during(stall(), 0.2)
    assert connections == 1
    assert after == before


def test_cancelling_mid_body_leaves_no_connection_or_fd() -> None:
    """Cancelled while the body dribbles in: CancelledError, and no socket is left open."""
    before, after, _ = _cancel_during(stalled_body(), 0.2)
    assert after == before


def test_cancelling_mid_connect_raises_cancelled_error() -> None:
    """Cancelled while connecting: CancelledError (not a NetworkError), no fd left."""
    listener, fillers = _unaccepting_listener()
    before = open_fds()
    try:
        endpoint = f"127.0.0.1:{listener.getsockname()[1]}"
        request = prepared(endpoint)

        async def scenario() -> None:
            t = transport()
            task = asyncio.ensure_future(t.send(request, 10))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await t.aclose()

        run(scenario)
        after = open_fds()
    finally:
        for sock in [*fillers, listener]:
            sock.close()
    assert after == before


# -------------------------------------------------------------------- TLS


def _cert_or_skip(tmp_path: Path) -> Tuple[Path, Path]:
    try:
        return self_signed(tmp_path)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("openssl is needed to make a test certificate")


def test_tls_with_a_ca_bundle(tmp_path: Path) -> None:
    """certification=<bundle> verifies the server against that bundle."""
    cert, key = _cert_or_skip(tmp_path)
    with MisbehavingServer(answer(json_body()), tls=server_context(cert, key)) as server:
        request = prepared(server.endpoint, protocol="https")
        status, _ = run(lambda: send_once(request, protocol="https", certification=str(cert)))
    assert status == 200


def test_an_untrusted_certificate_is_not_reached(tmp_path: Path) -> None:
    """Against the system CAs a self-signed certificate fails while connecting."""
    cert, key = _cert_or_skip(tmp_path)
    with MisbehavingServer(answer(json_body()), tls=server_context(cert, key)) as server:
        request = prepared(server.endpoint, protocol="https")
        _, exc = run(lambda: failure_of(request, protocol="https"))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False


def test_certification_false_warns_once_and_skips_verification(tmp_path: Path) -> None:
    """certification=False: one warning when the transport is built, none per request."""
    cert, key = _cert_or_skip(tmp_path)
    with MisbehavingServer(answer(json_body()), tls=server_context(cert, key)) as server:
        request = prepared(server.endpoint, protocol="https")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t = transport(protocol="https", certification=False)

            async def twice() -> List[int]:
                statuses = [(await t.send(request, 5)).status for _ in range(2)]
                await t.aclose()
                return statuses

            assert run(twice) == [200, 200]
    # Only TLS warnings count: a ResourceWarning from another test's garbage may land here.
    tls = [w for w in caught if "verif" in str(w.message) or "Insecure" in w.category.__name__]
    assert len(tls) == 1
    assert "not verified" in str(tls[0].message)


def test_an_unreadable_ca_bundle_is_a_client_error(tmp_path: Path) -> None:
    """A certification path that cannot be loaded fails when the transport is built."""
    with pytest.raises(TencentCloudSDKException) as info:
        transport(protocol="https", certification=str(tmp_path / "missing.pem"))
    assert info.value.code == "ClientError"


# ------------------------------------------------------------------ proxies


def test_the_profile_proxy_with_credentials_for_http() -> None:
    """An http request goes through HttpProfile.proxy with Proxy-Authorization; the request
    arrives intact (absolute form at the proxy)."""
    with (
        MisbehavingServer(answer(json_body())) as server,
        ConnectProxy(credentials="user:pa ss") as proxy,
    ):
        request = prepared(server.endpoint)
        status, _ = run(lambda: send_once(request, proxy=f"http://user:pa%20ss@{proxy.endpoint}"))
        assert status == 200
        line, auth = proxy.seen[0]
    assert line == f"POST http://{server.endpoint}/"
    assert auth is not None
    assert server.requests[0].body == request.body
    assert server.requests[0].header("Host") == server.endpoint


def test_the_profile_proxy_tunnels_https(tmp_path: Path) -> None:
    """An https request goes through a CONNECT tunnel with the proxy's credentials."""
    cert, key = _cert_or_skip(tmp_path)
    with (
        MisbehavingServer(answer(json_body()), tls=server_context(cert, key)) as server,
        ConnectProxy(credentials="user:pw") as proxy,
    ):
        request = prepared(server.endpoint, protocol="https")
        status, _ = run(
            lambda: send_once(
                request,
                protocol="https",
                certification=str(cert),
                proxy=f"http://user:pw@{proxy.endpoint}",
            )
        )
        assert status == 200
        assert proxy.seen[0][0] == f"CONNECT {server.endpoint}"


def test_a_proxy_refusing_credentials_on_connect_hides_them(tmp_path: Path) -> None:
    """A 407 on CONNECT: ProxyAuthenticationRequired, no user name or password anywhere."""
    cert, key = _cert_or_skip(tmp_path)
    with (
        MisbehavingServer(answer(json_body()), tls=server_context(cert, key)) as server,
        ConnectProxy(credentials="user:right") as proxy,
    ):
        request = prepared(server.endpoint, protocol="https")
        _, exc = run(
            lambda: failure_of(
                request,
                protocol="https",
                certification=str(cert),
                proxy=f"http://TOKENUSER:wrong-PASSWORD@{proxy.endpoint}",
            )
        )
    assert isinstance(exc, TencentCloudSDKException)
    assert exc.code == "ClientError.ProxyAuthenticationRequired"
    assert_no_secret(exc, ["wrong-PASSWORD", "TOKENUSER"])


def test_an_unreachable_proxy_is_not_reached() -> None:
    """A proxy nobody listens on: a failure before sending."""
    with MisbehavingServer(answer(json_body())) as server:
        request = prepared(server.endpoint)
        _, exc = run(lambda: failure_of(request, proxy=f"http://127.0.0.1:{dead_port()}"))
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False


def test_environment_proxies_follow_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY applies unless NO_PROXY names the host (read when the transport is built)."""
    with MisbehavingServer(answer(json_body())) as server, ConnectProxy() as proxy:
        request = prepared(server.endpoint)
        monkeypatch.setenv("HTTP_PROXY", f"http://{proxy.endpoint}")
        run(lambda: send_once(request))
        assert len(proxy.seen) == 1
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        run(lambda: send_once(request))
        assert len(proxy.seen) == 1
        assert len(server.requests) == 2


def test_connect_timeout_bounds_connecting_within_the_deadline() -> None:
    """HttpProfile.connectTimeout cuts a hanging connect short of the longer deadline."""
    listener, fillers = _unaccepting_listener()
    try:
        endpoint = f"127.0.0.1:{listener.getsockname()[1]}"
        took, exc = run(lambda: failure_of(prepared(endpoint), 5, connectTimeout=0.3))
    finally:
        for sock in [*fillers, listener]:
            sock.close()
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False
    assert took < 1.5


def test_a_proxy_demanding_credentials_for_http_is_a_client_error() -> None:
    """A 407 from the proxy forwarding a plain-HTTP request: ProxyAuthenticationRequired."""
    with (
        MisbehavingServer(answer(json_body())) as server,
        ConnectProxy(credentials="user:right") as proxy,
    ):
        request = prepared(server.endpoint)
        _, exc = run(
            lambda: failure_of(request, proxy=f"http://user:WRONG-secret@{proxy.endpoint}")
        )
        assert not server.requests
    assert isinstance(exc, TencentCloudSDKException)
    assert exc.code == "ClientError.ProxyAuthenticationRequired"
    assert proxy.endpoint in str(exc.message)
    assert_no_secret(exc, ["WRONG-secret"])


def test_a_proxy_refusing_the_tunnel_is_not_reached(tmp_path: Path) -> None:
    """A CONNECT answered 403 is a failure before sending, naming the proxy without user info."""
    cert, key = _cert_or_skip(tmp_path)
    with (
        MisbehavingServer(answer(json_body()), tls=server_context(cert, key)) as server,
        ConnectProxy(refuse=403) as proxy,
    ):
        request = prepared(server.endpoint, protocol="https")
        _, exc = run(
            lambda: failure_of(
                request,
                protocol="https",
                certification=str(cert),
                proxy=f"http://someone:PW-secret@{proxy.endpoint}",
            )
        )
    assert isinstance(exc, NetworkError)
    assert exc.reached_server is False
    assert f"through the proxy http://{proxy.endpoint}" in str(exc.message)
    assert "refused the tunnel with HTTP 403" in str(exc.message)
    assert_no_secret(exc, ["PW-secret", "someone"])


# ----------------------------------------------------- parity with urllib3


def _sync_failure(request: tcfunc.PreparedRequest, timeout: float, **kw: Any) -> BaseException:
    from tcfunc._urllib3 import Urllib3Transport

    kw.setdefault("protocol", "http")
    sync = Urllib3Transport(tcfunc.HttpProfile(**kw))
    try:
        sync.send(request, timeout).read()
    except BaseException as exc:  # noqa: BLE001 - handed to the test
        return exc
    finally:
        sync.close()
    raise AssertionError("the sync send did not fail")


def _cut_body(_request: ServedRequest, peer: Any) -> None:
    peer.send(http_head(length=100) + b"{")


@pytest.mark.parametrize(
    ("handler", "timeout", "options", "same_message"),
    [
        (reset(), 5.0, {}, False),
        (stall(), 0.3, {}, True),
        (_cut_body, 5.0, {}, False),
        (dribbled_body(json_body(), every=0.1), 0.4, {}, True),
        (gzip_bomb(4 * MIB), 5.0, {"max_response_size": MIB}, True),
        (answer(b"x" * (2 * MIB)), 5.0, {"max_response_size": MIB}, True),
    ],
    ids=["reset", "stall", "cut-body", "dribble", "gzip-bomb", "too-long"],
)
def test_both_transports_fail_alike(
    handler: Any, timeout: float, options: Any, same_message: bool
) -> None:
    """The same misbehaving server gives the same code and reached_server through the
    aiohttp transport as through the urllib3 one (one retry-safety rule for both clients),
    and the same message where neither quotes its library (deadline, size limit)."""
    with MisbehavingServer(handler) as server:
        request = prepared(server.endpoint)
        _, ours = run(lambda: failure_of(request, timeout, **options))
        theirs = _sync_failure(request, timeout, **options)
    assert isinstance(ours, TencentCloudSDKException)
    assert isinstance(theirs, TencentCloudSDKException)
    assert ours.code == theirs.code, (ours, theirs)
    assert getattr(ours, "reached_server", None) == getattr(theirs, "reached_server", None)
    if same_message:
        assert ours.message == theirs.message


def test_both_transports_fail_alike_before_sending() -> None:
    """Refused connects and connects that hang are "not reached" through both transports."""
    listener, fillers = _unaccepting_listener()
    try:
        for endpoint in (
            f"127.0.0.1:{dead_port()}",
            f"127.0.0.1:{listener.getsockname()[1]}",
        ):
            request = prepared(endpoint)
            _, ours = run(lambda: failure_of(request, 0.4))  # noqa: B023 - run at once
            theirs = _sync_failure(request, 0.4)
            assert isinstance(ours, NetworkError)
            assert isinstance(theirs, NetworkError)
            assert ours.reached_server is theirs.reached_server is False
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def test_both_transports_report_a_proxy_demanding_credentials_alike() -> None:
    """A 407 from the proxy is ClientError.ProxyAuthenticationRequired through both."""
    with (
        MisbehavingServer(answer(json_body())) as server,
        ConnectProxy(credentials="user:right") as proxy,
    ):
        request = prepared(server.endpoint)
        options = {"proxy": f"http://user:wrong@{proxy.endpoint}"}
        _, ours = run(lambda: failure_of(request, 5.0, **options))
        theirs = _sync_failure(request, 5.0, **options)
    assert isinstance(ours, TencentCloudSDKException)
    assert isinstance(theirs, TencentCloudSDKException)
    assert ours.code == theirs.code == "ClientError.ProxyAuthenticationRequired"
    assert ours.message == theirs.message
