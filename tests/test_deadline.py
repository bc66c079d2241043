"""reqTimeout is a deadline for one attempt, whatever the server does (issue 10, finding 3).

Real misbehaving servers on 127.0.0.1 (tests/_support/servers.py) dribble
headers or body a byte at a time, stall, or stream too slowly; every test
asserts the wall time of the call against reqTimeout plus a small margin.
Before the fix each read had its own timeout, so a server sending a byte
every 0.1 s kept a 0.5 s call alive for as long as it liked.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import pytest

from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.request import PreparedRequest
from tcfunc.transport import NetworkError, Urllib3Transport
from tests._support.servers import (
    ConnectProxy,
    Handler,
    MisbehavingServer,
    Peer,
    ServedRequest,
    answer,
    dribbled_body,
    dribbled_head,
    json_body,
    self_signed,
    server_context,
    sse,
    stall,
    stalled_body,
    timed,
)

DEADLINE = 0.6
# Scheduling on a loaded 2-core machine: a deadline may end this much late.
MARGIN = 0.4
LONG_BODY = json_body({"Padding": "x" * 200})


def _request(endpoint: str, scheme: str = "http") -> PreparedRequest:
    headers = {"Host": endpoint, "Content-Type": "application/json", "X-TC-Action": "DescribeX"}
    return PreparedRequest("POST", f"{scheme}://{endpoint}/", headers, b"{}")


def _client(endpoint: str, timeout: float = DEADLINE, **http: object) -> CommonClient:
    profile = ClientProfile(
        httpProfile=HttpProfile(
            protocol=str(http.pop("protocol", "http")),
            endpoint=endpoint,
            reqTimeout=timeout,
            **http,  # type: ignore[arg-type]
        )
    )
    return CommonClient("cvm", "2017-03-12", Credential("AKIDtest", "secret-key"), "ap-x", profile)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    try:
        return self_signed(tmp_path_factory.mktemp("deadline-tls"))
    except (OSError, subprocess.SubprocessError):
        pytest.skip("the openssl command is not available")


SLOW_SERVERS: Dict[str, Callable[[], Handler]] = {
    "dribbled headers": lambda: dribbled_head(LONG_BODY, every=0.05),
    "dribbled body": lambda: dribbled_body(LONG_BODY, every=0.05),
    "body dribbled as chunks": lambda: dribbled_body(LONG_BODY, every=0.05, chunked=True),
    "stalled body": lambda: stalled_body(LONG_BODY),
    "no answer": stall,
}


@pytest.mark.parametrize("kind", sorted(SLOW_SERVERS))
def test_transport_send_ends_at_the_deadline(kind: str) -> None:
    """Urllib3Transport.send gives up at reqTimeout, however the server spreads its answer out:
    a ClientNetworkError saying the answer was not complete in time, reached_server True."""
    with MisbehavingServer(SLOW_SERVERS[kind]()) as server:
        transport = Urllib3Transport(HttpProfile(protocol="http"))
        took, error = timed(lambda: transport.send(_request(server.endpoint), DEADLINE))
    assert isinstance(error, NetworkError), error
    assert took < DEADLINE + MARGIN, f"{kind}: {took:.2f}s"
    assert took >= DEADLINE - 0.05
    assert error.reached_server is True
    assert "within 0.6s" in (error.message or "")


@pytest.mark.parametrize("kind", sorted(SLOW_SERVERS))
def test_call_json_ends_at_the_deadline(kind: str) -> None:
    """CommonClient.call_json with reqTimeout=0.6 (one attempt) fails within 0.6 s plus a margin."""
    with MisbehavingServer(SLOW_SERVERS[kind]()) as server:
        client = _client(server.endpoint)
        took, error = timed(lambda: client.call_json("DescribeInstances", {}))
        client.close()
    assert isinstance(error, TencentCloudSDKException), error
    assert error.code == "ClientNetworkError"
    assert took < DEADLINE + MARGIN, f"{kind}: {took:.2f}s"


def test_a_slow_but_timely_answer_is_read_whole() -> None:
    """A body dribbled well inside the deadline arrives complete: the deadline is not an idle
    timeout, and a timely server is not cut off."""
    body = json_body({"Ok": 1})
    with MisbehavingServer(dribbled_body(body, every=0.01, size=8)) as server:
        response = Urllib3Transport(HttpProfile(protocol="http")).send(_request(server.endpoint), 5)
        assert response.read() == body


def test_the_deadline_covers_connecting_through_a_stalled_tls_handshake(
    certificate: Tuple[Path, Path],
) -> None:
    """A TLS server that accepts the TCP connection and never answers the handshake costs the
    deadline, not more, and counts as not reached (nothing was sent)."""

    def silent(_request: ServedRequest, peer: Peer) -> None:
        peer.pause(10)

    with MisbehavingServer(silent, tls=server_context(*certificate), handshake=False) as server:
        transport = Urllib3Transport(HttpProfile(certification=str(certificate[0])))
        took, error = timed(lambda: transport.send(_request(server.endpoint, "https"), DEADLINE))
    assert isinstance(error, NetworkError), error
    assert took < DEADLINE + MARGIN
    assert error.reached_server is False


@pytest.mark.parametrize("kind", ["dribbled headers", "dribbled body", "stalled body"])
def test_the_deadline_holds_over_tls(kind: str, certificate: Tuple[Path, Path]) -> None:
    """The same deadline over https: TLS reads are bounded like plain ones."""
    tls = server_context(*certificate)
    with MisbehavingServer(SLOW_SERVERS[kind](), tls=tls) as server:
        client = _client(server.endpoint, protocol="https", certification=str(certificate[0]))
        took, error = timed(lambda: client.call_json("DescribeInstances", {}))
        client.close()
    assert isinstance(error, TencentCloudSDKException), error
    assert error.code == "ClientNetworkError"
    assert took < DEADLINE + MARGIN, f"{kind} over TLS: {took:.2f}s"


def test_tls_answers_still_arrive(certificate: Tuple[Path, Path]) -> None:
    """A well-behaved https server answers through the deadline-bound reader unchanged."""
    body = json_body({"TotalCount": 0})
    with MisbehavingServer(answer(body), tls=server_context(*certificate)) as server:
        client = _client(
            server.endpoint, timeout=5, protocol="https", certification=str(certificate[0])
        )
        for _ in range(3):
            assert client.call_json("DescribeInstances", {})["Response"]["TotalCount"] == 0
        client.close()
    assert server.connections == 1


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_deadline_holds_through_a_proxy(scheme: str, certificate: Tuple[Path, Path]) -> None:
    """Through a forwarding proxy (absolute form for http, a CONNECT tunnel for https) a dribbled
    body still ends the call at the deadline."""
    tls = server_context(*certificate) if scheme == "https" else None
    handler = dribbled_body(LONG_BODY, every=0.05)
    with MisbehavingServer(handler, tls=tls) as server, ConnectProxy() as proxy:
        profile = HttpProfile(
            protocol=scheme, proxy=f"http://{proxy.endpoint}", certification=str(certificate[0])
        )
        transport = Urllib3Transport(profile)
        took, error = timed(lambda: transport.send(_request(server.endpoint, scheme), DEADLINE))
    assert isinstance(error, NetworkError), error
    assert took < DEADLINE + MARGIN
    assert proxy.seen, "the request did not go through the proxy"


def test_a_proxy_that_dribbles_its_tunnel_answer_costs_the_deadline() -> None:
    """A proxy answering CONNECT one byte at a time cannot stretch connecting past the deadline."""

    def slow_tunnel(_request: ServedRequest, peer: Peer) -> None:
        peer.dribble(b"HTTP/1.1 200 Connection established\r\n\r\n", 0.05)

    with MisbehavingServer(slow_tunnel) as proxy:
        transport = Urllib3Transport(HttpProfile(proxy=f"http://{proxy.endpoint}"))
        request = _request("cvm.tencentcloudapi.com", "https")
        took, error = timed(lambda: transport.send(request, DEADLINE))
    assert isinstance(error, NetworkError), error
    assert took < DEADLINE + MARGIN
    assert error.reached_server is False
    assert f"through the proxy http://{proxy.endpoint}" in (error.message or "")


def test_connect_timeout_bounds_connecting_within_the_deadline(
    certificate: Tuple[Path, Path],
) -> None:
    """HttpProfile(connectTimeout=0.2) gives up connecting (a stalled TLS handshake) after
    0.2 s although the deadline is longer."""

    def silent(_request: ServedRequest, peer: Peer) -> None:
        peer.pause(10)

    context = server_context(*certificate)
    with MisbehavingServer(silent, tls=context, handshake=False) as server:
        transport = Urllib3Transport(HttpProfile(connectTimeout=0.2))
        took, error = timed(lambda: transport.send(_request(server.endpoint, "https"), 3.0))
    assert isinstance(error, NetworkError), error
    assert took < 0.2 + MARGIN
    assert error.reached_server is False


def test_a_kept_alive_connection_gets_a_fresh_deadline() -> None:
    """A connection reused after a slow (but timely) answer does not inherit the little time
    that answer had left: the next call gets its own full deadline."""
    calls: List[int] = []

    def handler(_request: ServedRequest, peer: Peer) -> bool:
        calls.append(1)
        body = json_body({"N": len(calls)})
        if len(calls) == 1:
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            peer.pause(0.5)  # most of the 0.6 s of the first call
            peer.send(body)
        else:
            peer.pause(0.3)  # would overrun what the first call had left
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        return True

    with MisbehavingServer(handler) as server:
        transport = Urllib3Transport(HttpProfile(protocol="http"))
        assert b'"N": 1' in transport.send(_request(server.endpoint), DEADLINE).read()
        assert b'"N": 2' in transport.send(_request(server.endpoint), DEADLINE).read()
    assert server.connections == 1


# ---------------------------------------------------------------- streaming


def test_stream_headers_are_bounded_by_the_deadline() -> None:
    """With stream=True the time to the answer's headers is bounded by reqTimeout."""
    with MisbehavingServer(sse(["data: 1\n\n"], head_delay=5)) as server:
        transport = Urllib3Transport(HttpProfile(protocol="http"))
        took, error = timed(
            lambda: transport.send(_request(server.endpoint), DEADLINE, stream=True)
        )
    assert isinstance(error, NetworkError), error
    assert took < DEADLINE + MARGIN


def test_a_stream_may_outlast_the_deadline_while_events_keep_coming() -> None:
    """An event stream that sends an event every 0.25 s runs past reqTimeout=0.6 (about three times
    it): once the headers are in, reqTimeout bounds each wait, not the whole stream."""
    events = [f"data: {n}\n\n" for n in range(8)]
    with MisbehavingServer(sse(events, every=0.25)) as server:
        transport = Urllib3Transport(HttpProfile(protocol="http"))
        started = time.monotonic()
        response = transport.send(_request(server.endpoint), DEADLINE, stream=True)
        body = b"".join(response.iter_chunks())
        took = time.monotonic() - started
    assert body == "".join(events).encode()
    assert took > 2 * DEADLINE


def test_a_stream_that_goes_quiet_ends_after_the_idle_timeout() -> None:
    """A stream that stops sending for longer than reqTimeout fails after reqTimeout of silence
    with a message saying the stream sent nothing for that long."""
    with MisbehavingServer(sse(["data: 1\n\n", "data: 2\n\n"], every=0.2, then_stall=10)) as server:
        transport = Urllib3Transport(HttpProfile(protocol="http"))
        response = transport.send(_request(server.endpoint), DEADLINE, stream=True)
        got: List[bytes] = []
        started = time.monotonic()

        def read_all() -> None:
            got.extend(response.iter_chunks())

        took, error = timed(read_all)
    assert got == [b"data: 1\n\n", b"data: 2\n\n"]
    assert isinstance(error, NetworkError), error
    assert "sent nothing for 0.6s" in (error.message or "")
    # 0.2 s to the second event, then 0.6 s of silence.
    assert took < 0.2 + DEADLINE + MARGIN
    assert time.monotonic() - started >= DEADLINE


def test_call_sse_stream_idles_out() -> None:
    """CommonClient.call_sse: a stalled event stream raises ClientNetworkError after reqTimeout
    of silence instead of hanging the consumer."""
    with MisbehavingServer(sse(['data: {"n": 1}\n\n'], then_stall=10)) as server:
        client = _client(server.endpoint)
        stream = client.call_sse("ChatCompletions", {"Stream": True})

        def consume() -> None:
            for _event in stream:
                pass

        took, error = timed(consume)
        client.close()
    assert isinstance(error, TencentCloudSDKException), error
    assert error.code == "ClientNetworkError"
    assert took < DEADLINE + MARGIN


# ------------------------------------------------------------ bad timeouts


@pytest.mark.parametrize("timeout", [1e10, float("inf"), float("nan"), -1.0, 0.0, 86400.5])
def test_transport_refuses_a_timeout_that_cannot_be_a_deadline(timeout: float) -> None:
    """A timeout given straight to send() (no HttpProfile in between) that no socket accepts is a
    ClientError, never an OverflowError or ValueError (finding 6)."""
    transport = Urllib3Transport(HttpProfile(protocol="http"))
    with pytest.raises(TencentCloudSDKException) as info:
        transport.send(_request("127.0.0.1:9"), timeout)
    assert type(info.value) is TencentCloudSDKException
    assert info.value.code == "ClientError"


def test_no_watchdog_thread_per_call() -> None:
    """The deadline is kept by socket timeouts, not by a thread per call: the thread count does
    not grow with calls in flight."""
    import threading

    with MisbehavingServer(answer(json_body())) as server:
        transport = Urllib3Transport(HttpProfile(protocol="http"))
        before = threading.active_count()
        for _ in range(20):
            transport.send(_request(server.endpoint), 5).read()
        assert threading.active_count() <= before + 1  # the server's one connection thread


def test_import_tcfunc_transport_loads_neither_urllib3_nor_urllib_request() -> None:
    """import tcfunc.transport (the protocols) loads no urllib3, and building the shared
    transport with no proxy variable set never imports urllib.request (issue 15)."""
    code = (
        "import sys, tcfunc.transport\n"
        "assert 'urllib3' not in sys.modules\n"
        "from tcfunc._urllib3 import acquire\n"
        "from tcfunc.profile import HttpProfile\n"
        "t, release = acquire(HttpProfile())\n"
        "release()\n"
        "print('urllib.request' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_deadline_holds_through_an_https_proxy_to_an_https_host(
    certificate: Tuple[Path, Path],
) -> None:
    """TLS inside TLS (an https:// proxy tunnelling to an https host, urllib3's SSLTransport):
    answers arrive, and a dribbled body still ends the call at the deadline."""
    tls = server_context(*certificate)
    answers = [answer(json_body({"Ok": 1})), dribbled_body(LONG_BODY, every=0.05)]

    def handler(request: ServedRequest, peer: Peer) -> Optional[bool]:
        return answers.pop(0)(request, peer)

    with MisbehavingServer(handler, tls=tls) as server, ConnectProxy(tls=tls) as proxy:
        profile = HttpProfile(proxy=f"https://{proxy.endpoint}", certification=str(certificate[0]))
        transport = Urllib3Transport(profile)
        request = _request(server.endpoint, "https")
        assert b'"Ok": 1' in transport.send(request, 5).read()
        took, error = timed(lambda: transport.send(request, DEADLINE))
    assert isinstance(error, NetworkError), error
    assert took < DEADLINE + MARGIN
    assert proxy.seen[0][0].startswith("CONNECT ")
