"""The urllib3 executor against scripted loopback servers."""

from __future__ import annotations

import base64
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import HttpProfile
from tcfunc.request import PreparedRequest
from tcfunc.transport import Headers, HttpResponse, NetworkError, Urllib3Transport, select_proxy
from tests.test_client_helpers import (
    CLOSE,
    LAST_CHUNK,
    RESET,
    SSE_HEAD,
    ScriptedServer,
    chunk,
    dead_port,
    http_answer,
    make_certificate,
    server_tls_context,
)


def _request(
    endpoint: str,
    *,
    scheme: str = "http",
    method: str = "POST",
    query: str = "",
    body: bytes = b"{}",
) -> PreparedRequest:
    url = f"{scheme}://{endpoint}/" + (f"?{query}" if query else "")
    headers = {"Host": endpoint, "Content-Type": "application/json", "X-TC-Action": "DescribeX"}
    return PreparedRequest(method, url, headers, body)


def _transport(**kw: object) -> Urllib3Transport:
    return Urllib3Transport(HttpProfile(protocol="http", **kw))  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_sends_method_url_headers_and_body_exactly() -> None:
    """The prepared request reaches the server unchanged: method, path and query, headers, body."""
    with ScriptedServer(http_answer(b'{"ok":1}')) as server:
        response = _transport().send(
            _request(server.endpoint, query="a=1&b=2", body=b'{"x": 1}'), 5.0
        )
        assert response.status == 200
        assert response.read() == b'{"ok":1}'
        raw = server.requests[0]
        assert (raw.method, raw.target, raw.body) == ("POST", "/?a=1&b=2", b'{"x": 1}')
        assert raw.header("Host") == server.endpoint
        assert raw.header("X-TC-Action") == "DescribeX"
        assert raw.header("Content-Length") == "8"


def test_headers_of_the_answer_are_case_insensitive() -> None:
    """Answer headers can be read in any case."""
    answer = http_answer(b"{}", content_type="application/json; charset=utf-8")
    with ScriptedServer(answer) as server:
        response = _transport().send(_request(server.endpoint), 5.0)
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.headers["CONTENT-TYPE"] == "application/json; charset=utf-8"


def test_connections_are_kept_alive_and_reused() -> None:
    """Sequential requests through one transport share one TCP connection."""
    with ScriptedServer(default=http_answer(b"{}")) as server:
        transport = _transport()
        for _ in range(5):
            assert transport.send(_request(server.endpoint), 5.0).read() == b"{}"
        assert len(server.requests) == 5
        assert server.connections == 1


def test_one_transport_serves_many_threads_with_a_bounded_pool() -> None:
    """Eight threads share one transport; every answer arrives, connections stay within the pool."""
    with ScriptedServer(default=http_answer(b"{}")) as server:
        transport = _transport(pool_size=8)
        errors: List[BaseException] = []

        def work() -> None:
            try:
                for _ in range(25):
                    assert transport.send(_request(server.endpoint), 5.0).status == 200
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert len(server.requests) == 200
        assert server.connections <= 8


def test_transport_survives_its_pools_being_closed() -> None:
    """A pool closed under the transport (evicted, or close()) is replaced on the next send."""
    with ScriptedServer(default=http_answer(b"{}")) as server:
        transport = _transport()
        assert transport.send(_request(server.endpoint), 5.0).status == 200
        # What PoolManager does to a pool it evicts once it holds num_pools.
        transport._direct.clear()
        assert transport.send(_request(server.endpoint), 5.0).status == 200
        transport.close()
        assert transport.send(_request(server.endpoint), 5.0).status == 200
        assert len(server.requests) == 3


def test_redirects_are_not_followed() -> None:
    """A 3xx answer is handed back as it is; urllib3 follows nothing by itself."""
    moved = http_answer(
        b"", status=302, reason="Found", headers={"Location": "http://127.0.0.1:1/"}
    )
    with ScriptedServer(moved) as server:
        response = _transport().send(_request(server.endpoint), 5.0)
    assert response.status == 302
    assert len(server.requests) == 1


def test_refused_connection_did_not_reach_the_server() -> None:
    """Connection refused is ClientNetworkError naming the host, with reached_server False."""
    port = dead_port()
    with pytest.raises(NetworkError) as info:
        _transport().send(_request(f"127.0.0.1:{port}"), 5.0)
    assert info.value.code == "ClientNetworkError"
    assert info.value.reached_server is False
    assert f"127.0.0.1:{port}" in (info.value.message or "")
    assert "could not connect" in (info.value.message or "")


def test_read_timeout_may_have_reached_the_server() -> None:
    """No answer in time: ClientNetworkError naming host and timeout, reached_server True."""
    gate = threading.Event()
    with ScriptedServer([gate, CLOSE]) as server:
        started = time.monotonic()
        with pytest.raises(NetworkError) as info:
            _transport().send(_request(server.endpoint), 0.3)
        gate.set()
        assert time.monotonic() - started < 3
    assert info.value.reached_server is True
    assert "within 0.3s" in (info.value.message or "")
    assert server.endpoint in (info.value.message or "")


def test_reset_before_the_answer_may_have_reached_the_server() -> None:
    """A connection reset after the request was sent is ClientNetworkError, reached_server True."""
    with ScriptedServer([RESET]) as server, pytest.raises(NetworkError) as info:
        _transport().send(_request(server.endpoint), 5.0)
    assert info.value.reached_server is True
    assert "after the request was sent" in (info.value.message or "")


def test_truncated_body_is_a_network_error() -> None:
    """A body shorter than its Content-Length, then close, is ClientNetworkError."""
    answer = (
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Resp'
    )
    with ScriptedServer([answer, CLOSE]) as server, pytest.raises(NetworkError) as info:
        _transport().send(_request(server.endpoint), 5.0)
    assert info.value.reached_server is True


def test_error_message_carries_no_query_string() -> None:
    """A failing GET's message names the host but not its query (v1 Signature, Token, SecretId)."""
    query = "Action=DescribeX&SecretId=AKIDsecretid&Token=tok123&Signature=c2lnbmF0dXJl"
    with ScriptedServer([RESET]) as server, pytest.raises(NetworkError) as info:
        _transport().send(_request(server.endpoint, method="GET", query=query, body=b""), 5.0)
    text = f"{info.value} {info.value!r}"
    for secret in ("AKIDsecretid", "tok123", "c2lnbmF0dXJl", "Signature="):
        assert secret not in text
    assert server.endpoint in text


def test_streamed_body_arrives_before_the_server_has_finished() -> None:
    """With stream=True the first chunk is handed over while the server still holds the rest."""
    gate = threading.Event()
    with ScriptedServer(
        [SSE_HEAD + chunk("data: one\n\n"), gate, chunk("data: two\n\n") + LAST_CHUNK]
    ) as server:
        response = _transport().send(_request(server.endpoint), 5.0, stream=True)
        chunks = response.iter_chunks()
        first = next(chunks)
        gate.set()
        rest = b"".join(chunks)
    assert first == b"data: one\n\n"
    assert rest == b"data: two\n\n"
    assert server.gate_timeouts == 0


def test_abandoned_stream_does_not_poison_the_next_request() -> None:
    """Closing a half-read stream drops its connection; the next request gets its own answer."""
    gate = threading.Event()
    with ScriptedServer(
        [SSE_HEAD + chunk("data: one\n\n"), gate, chunk("data: two\n\n") + LAST_CHUNK],
        http_answer(b'{"next":true}'),
    ) as server:
        transport = _transport()
        response = transport.send(_request(server.endpoint), 5.0, stream=True)
        assert next(response.iter_chunks()) == b"data: one\n\n"
        response.close()
        gate.set()
        assert transport.send(_request(server.endpoint), 5.0).read() == b'{"next":true}'


def test_fully_read_stream_returns_its_connection_to_the_pool() -> None:
    """A stream read to its end leaves the connection reusable (keep-alive)."""
    with ScriptedServer(
        SSE_HEAD + chunk("data: one\n\n") + LAST_CHUNK, default=http_answer(b"{}")
    ) as server:
        transport = _transport()
        response = transport.send(_request(server.endpoint), 5.0, stream=True)
        assert b"".join(response.iter_chunks()) == b"data: one\n\n"
        transport.send(_request(server.endpoint), 5.0)
        assert server.connections == 1


def test_stream_cut_mid_answer_raises_network_error() -> None:
    """A reset while streaming surfaces from the iterator as ClientNetworkError."""
    with ScriptedServer([SSE_HEAD + chunk("data: one\n\n"), 0.05, RESET]) as server:
        response = _transport().send(_request(server.endpoint), 5.0, stream=True)
        with pytest.raises(TencentCloudSDKException) as info:
            list(response.iter_chunks())
    assert info.value.code == "ClientNetworkError"


# ------------------------------------------------------------------ proxies


def test_profile_proxy_is_used_with_basic_credentials() -> None:
    """HttpProfile.proxy receives the absolute-form request and a Proxy-Authorization header."""
    with ScriptedServer(http_answer(b"{}")) as proxy:
        profile = HttpProfile(protocol="http", proxy=f"http://user:p%40ss@127.0.0.1:{proxy.port}")
        response = Urllib3Transport(profile).send(_request("cvm.tencentcloudapi.com"), 5.0)
        assert response.status == 200
        raw = proxy.requests[0]
        assert raw.target == "http://cvm.tencentcloudapi.com/"
        expected = base64.b64encode(b"user:p@ss").decode()
        assert raw.header("Proxy-Authorization") == f"Basic {expected}"


def test_https_through_a_proxy_tunnels_with_credentials() -> None:
    """An https request through a proxy opens a CONNECT tunnel that carries Proxy-Authorization;
    the proxy's 407 is reported as ClientError.ProxyAuthenticationRequired naming the proxy
    (without its user info), not as an endpoint's network error."""
    refused = http_answer(b"", status=407, reason="Proxy Authentication Required")
    with ScriptedServer([refused, CLOSE]) as proxy:
        profile = HttpProfile(proxy=f"http://user:pw@127.0.0.1:{proxy.port}")
        with pytest.raises(TencentCloudSDKException) as info:
            Urllib3Transport(profile).send(_request("cvm.tencentcloudapi.com", scheme="https"), 5.0)
        raw = proxy.requests[0]
    assert (raw.method, raw.target) == ("CONNECT", "cvm.tencentcloudapi.com:443")
    assert raw.header("Proxy-Authorization") == "Basic " + base64.b64encode(b"user:pw").decode()
    assert info.value.code == "ClientError.ProxyAuthenticationRequired"
    assert f"http://127.0.0.1:{proxy.port}" in (info.value.message or "")
    assert "proxy authentication required" in (info.value.message or "")
    assert "pw@" not in str(info.value)
    assert "user:pw" not in str(info.value)


def test_proxy_password_never_appears_in_errors() -> None:
    """An unreachable proxy's error names no password."""
    profile = HttpProfile(protocol="http", proxy=f"http://user:hunter2@127.0.0.1:{dead_port()}")
    with pytest.raises(NetworkError) as info:
        Urllib3Transport(profile).send(_request("cvm.tencentcloudapi.com"), 5.0)
    assert info.value.reached_server is False
    assert "hunter2" not in f"{info.value} {info.value!r}"


def test_environment_proxy_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY applies to http requests when no profile proxy is set."""
    with ScriptedServer(http_answer(b"{}")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        _transport().send(_request("cvm.tencentcloudapi.com"), 5.0)
        assert proxy.requests[0].target == "http://cvm.tencentcloudapi.com/"


def test_no_proxy_sends_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host matched by NO_PROXY goes direct even with HTTP_PROXY set."""
    with ScriptedServer(http_answer(b"{}")) as server:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead_port()}")
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        assert _transport().send(_request(server.endpoint), 5.0).status == 200


@pytest.mark.parametrize(
    ("host", "no_proxy", "proxied"),
    [
        ("cvm.tencentcloudapi.com", "tencentcloudapi.com", False),
        ("cvm.tencentcloudapi.com", ".tencentcloudapi.com", False),
        ("cvm.tencentcloudapi.com", "cloudapi.com", True),  # a substring, not a domain
        ("cvm.tencentcloudapi.com", "cvm.tencentcloudapi", True),
        ("cvm.tencentcloudapi.com:443", "cvm.tencentcloudapi.com", False),
        ("cvm.tencentcloudapi.com", "*", False),
        ("cvm.tencentcloudapi.com", "", True),
    ],
)
def test_no_proxy_follows_the_standard_library_rules(
    host: str, no_proxy: str, proxied: bool
) -> None:
    """NO_PROXY matches domains and their subdomains, never arbitrary substrings."""
    env: Dict[str, str] = {"https": "http://proxy:3128"}
    if no_proxy:
        env["no"] = no_proxy
    assert (select_proxy("https", host, None, env) is not None) is proxied


def test_profile_proxy_wins_and_gets_a_scheme() -> None:
    """HttpProfile.proxy applies whatever the environment says; a bare host:port means http."""
    env = {"https": "http://other:1", "no": "*"}
    assert select_proxy("https", "h", "127.0.0.1:3128", env) == "http://127.0.0.1:3128"
    assert select_proxy("https", "h", None, {"http": "http://p:1"}) is None


# ---------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    try:
        return make_certificate(tmp_path_factory.mktemp("tls"))
    except (OSError, subprocess.SubprocessError):
        pytest.skip("the openssl command is not available")


def test_tls_is_verified_by_default(certificate: Tuple[Path, Path]) -> None:
    """A certificate the system does not trust fails before the request is sent."""
    with ScriptedServer(http_answer(b"{}"), tls=server_tls_context(*certificate)) as server:
        transport = Urllib3Transport(HttpProfile())
        with pytest.raises(NetworkError) as info:
            transport.send(_request(server.endpoint, scheme="https"), 5.0)
    assert info.value.reached_server is False
    assert server.requests == []


def test_certification_names_a_ca_bundle(certificate: Tuple[Path, Path]) -> None:
    """HttpProfile.certification as a path trusts that bundle."""
    with ScriptedServer(http_answer(b'{"tls":1}'), tls=server_tls_context(*certificate)) as server:
        transport = Urllib3Transport(HttpProfile(certification=str(certificate[0])))
        response = transport.send(_request(server.endpoint, scheme="https"), 5.0)
    assert response.read() == b'{"tls":1}'


def test_disabled_verification_warns_once(certificate: Tuple[Path, Path]) -> None:
    """certification=False warns once when the transport is made, not on every request."""
    from urllib3.exceptions import InsecureRequestWarning

    with (
        ScriptedServer(default=http_answer(b"{}"), tls=server_tls_context(*certificate)) as server,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        transport = Urllib3Transport(HttpProfile(certification=False))
        for _ in range(3):
            assert transport.send(_request(server.endpoint, scheme="https"), 5.0).status == 200
    insecure = [w for w in caught if issubclass(w.category, InsecureRequestWarning)]
    assert len(insecure) == 1
    assert "not verified" in str(insecure[0].message)


class _TLSServer:
    """One TLS connection on 127.0.0.1 whose server side a test writes as a function.

    ``serve(sock, tls)`` gets the accepted TCP socket and its TLS wrapping; with
    ``handshake`` False, ``tls`` is None, so the test can misbehave before TLS
    starts. (Wrapping detaches the TCP socket: use ``tls.fileno()`` then.)
    """

    def __init__(
        self,
        context: ssl.SSLContext,
        serve: Callable[[socket.socket, Optional[ssl.SSLSocket]], None],
        *,
        handshake: bool = True,
    ) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(5)
        self.port: int = self._listener.getsockname()[1]
        self.requests: List[bytes] = []
        self._context = context
        self._serve = serve
        self._handshake = handshake
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            raw, _ = self._listener.accept()
        except OSError:
            return
        raw.settimeout(5)
        sock: socket.socket = raw
        try:
            if self._handshake:
                sock = self._context.wrap_socket(raw, server_side=True)
                self._serve(raw, sock)
            else:
                self._serve(raw, None)
        except OSError:
            pass
        finally:
            sock.close()

    def read_request(self, tls: ssl.SSLSocket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            more = tls.recv(65536)
            if not more:
                return
            data += more
        self.requests.append(data)

    def close(self) -> None:
        self._listener.close()
        self._thread.join(5)


@pytest.fixture
def tls_server(certificate: Tuple[Path, Path]) -> Iterator[Callable[..., _TLSServer]]:
    made: List[_TLSServer] = []

    def make(serve: Callable[..., None], *, handshake: bool = True) -> _TLSServer:
        server = _TLSServer(server_tls_context(*certificate), serve, handshake=handshake)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def test_tls_error_while_reading_the_answer_may_have_reached_the_server(
    certificate: Tuple[Path, Path], tls_server: Callable[..., _TLSServer]
) -> None:
    """An SSLError raised after the request was sent (a bad TLS record in the answer) counts as
    reached_server True: the server has the request and may have run it."""

    def serve(_raw: socket.socket, tls: ssl.SSLSocket) -> None:
        server.read_request(tls)
        # A record of an impossible type, written around TLS: the client's
        # TLS layer fails while it waits for the answer.
        with socket.socket(fileno=os.dup(tls.fileno())) as around:
            around.sendall(b"\x99\x03\x03\x00\x05hello")
        time.sleep(0.5)

    server = tls_server(serve)
    transport = Urllib3Transport(HttpProfile(certification=str(certificate[0])))
    with pytest.raises(NetworkError) as info:
        transport.send(_request(f"127.0.0.1:{server.port}", scheme="https"), 5.0)
    assert len(server.requests) == 1
    assert info.value.reached_server is True
    assert "after the request was sent" in (info.value.message or "")


def test_tls_handshake_failure_did_not_reach_the_server(
    certificate: Tuple[Path, Path], tls_server: Callable[..., _TLSServer]
) -> None:
    """A server that answers the TLS handshake with garbage fails while connecting:
    reached_server False (the error was raised inside the connection's connect)."""

    def serve(raw: socket.socket, _tls: None) -> None:
        raw.sendall(b"HTTP/1.1 400 Not TLS\r\n\r\n")
        time.sleep(0.2)

    server = tls_server(serve, handshake=False)
    transport = Urllib3Transport(HttpProfile(certification=str(certificate[0])))
    with pytest.raises(NetworkError) as info:
        transport.send(_request(f"127.0.0.1:{server.port}", scheme="https"), 5.0)
    assert info.value.reached_server is False
    assert "could not connect" in (info.value.message or "")


def test_urllib3_debug_lines_carry_no_v1_secrets(caplog: pytest.LogCaptureFixture) -> None:
    """urllib3's own debug line names the request target; its v1 Signature, Token and SecretId
    values are masked there too."""
    query = "Action=DescribeX&SecretId=AKIDsecretid&Token=tok123&Signature=c2lnbmF0dXJl&Limit=1"
    with ScriptedServer(http_answer(b"{}")) as server, caplog.at_level(logging.DEBUG, "urllib3"):
        _transport().send(_request(server.endpoint, method="GET", query=query, body=b""), 5.0)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    text = "\n".join(lines)
    assert "Action=DescribeX" in text
    assert "Signature=***" in text
    for secret in ("AKIDsecretid", "tok123", "c2lnbmF0dXJl"):
        assert secret not in text


# ------------------------------------------------------------ value objects


def test_headers_mapping_is_case_insensitive_and_keeps_spelling() -> None:
    """Headers looks names up in any case and lists them as given."""
    headers = Headers({"Content-Type": "a", "X-Y": "b"})
    assert headers["content-type"] == "a"
    assert "x-y" in headers
    assert list(headers) == ["Content-Type", "X-Y"]
    assert headers.get("missing") is None


def test_http_response_reads_a_stream_once_and_closes_it() -> None:
    """read() joins a streamed body, then closes; a dict of headers becomes case-insensitive."""
    closed: List[bool] = []
    response = HttpResponse(
        200,
        {"Content-Type": "x"},
        chunks=iter([b"a", b"", b"b"]),
        close=lambda: closed.append(True),
    )
    assert response.headers["content-type"] == "x"
    assert response.read() == b"ab"
    assert response.data == b"ab"
    assert closed == [True]
    response.close()
    assert closed == [True]


def test_import_tcfunc_does_not_load_urllib3() -> None:
    """urllib3 is loaded at the first send, not by importing tcfunc or its client."""
    code = "import sys, tcfunc, tcfunc.client, tcfunc.transport;print('urllib3' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


class _RecordingSocket:
    """Wraps a socket and records every sendall, to see how a request is written."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.writes: List[bytes] = []

    def sendall(self, data: Any) -> None:
        self.writes.append(bytes(data))
        self._sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


@pytest.mark.parametrize("body", [b'{"Limit": 1}', b""])
def test_small_request_is_written_in_one_piece(body: bytes) -> None:
    """Headers and a small body leave in one write; the bytes are those of two writes."""
    import socket
    import threading

    from tcfunc._urllib3 import _pool_classes

    received = bytearray()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < len(body):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    conn_cls = _pool_classes(quiet=False)["http"].ConnectionCls
    conn = conn_cls("127.0.0.1", listener.getsockname()[1], timeout=5)
    conn.connect()
    recorder = _RecordingSocket(conn.sock)
    conn.sock = recorder
    conn.request("POST", "/", body=body or None, headers={"X-Test": "1"})
    assert conn.getresponse().data == b"{}"
    thread.join(5)
    listener.close()
    conn.close()
    assert len(recorder.writes) == 1
    head, _, sent_body = b"".join(recorder.writes).partition(b"\r\n\r\n")
    assert sent_body == body
    assert b"X-Test: 1" in head
    assert bytes(received) == b"".join(recorder.writes)
