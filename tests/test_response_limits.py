"""Answers are bounded as they are read (issue 10, finding 11), and the transport's edges.

A 298 KB gzip answer that expanded to 300 MB took the caller to 934 MB:
the decoded body is now counted as it is decoded, against
``HttpProfile.max_response_size``, and a call over it fails with
``ClientError.ResponseTooLarge`` and drops the connection.
"""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from typing import List

import pytest

from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.request import PreparedRequest
from tcfunc.transport import BodyDecoder, NetworkError, Urllib3Transport
from tests._support.chain import assert_no_secret
from tests._support.servers import (
    MisbehavingServer,
    Peer,
    ServedRequest,
    dead_port,
    gzip_answer,
    gzip_bomb,
    http_head,
    json_body,
    reset,
    sse,
    stall,
)

LIMIT = 1024 * 1024


def _request(endpoint: str) -> PreparedRequest:
    headers = {"Host": endpoint, "Content-Type": "application/json"}
    return PreparedRequest("POST", f"http://{endpoint}/", headers, b"{}")


def _transport(**kw: object) -> Urllib3Transport:
    return Urllib3Transport(HttpProfile(protocol="http", **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("chunked", [False, True])
def test_gzip_bomb_stops_at_the_limit_without_inflating(chunked: bool) -> None:
    """A 64 MiB gzip bomb (about 64 KB on the wire) against a 1 MiB limit fails with
    ClientError.ResponseTooLarge, and the process never holds much more than the limit."""
    with MisbehavingServer(gzip_bomb(64 * LIMIT, chunked=chunked)) as server:
        transport = _transport(max_response_size=LIMIT)
        tracemalloc.start()
        try:
            with pytest.raises(TencentCloudSDKException) as info:
                transport.send(_request(server.endpoint), 10)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert info.value.code == "ClientError.ResponseTooLarge"
    assert str(LIMIT) in (info.value.message or "")
    assert peak < 8 * LIMIT, f"peak {peak} bytes"


def test_oversized_answer_drops_the_connection() -> None:
    """After ResponseTooLarge the connection is closed, not pooled: the next call opens a new
    one (reading the rest of the old answer as the next one's would be wrong)."""
    big = json_body({"Blob": "x" * (2 * LIMIT)})
    answers = [big, json_body({"Small": 1})]

    def handler(_request: ServedRequest, peer: Peer) -> bool:
        body = answers.pop(0)
        peer.send(http_head(length=len(body)) + body)
        return True

    with MisbehavingServer(handler) as server:
        transport = _transport(max_response_size=LIMIT)
        with pytest.raises(TencentCloudSDKException) as info:
            transport.send(_request(server.endpoint), 5)
        assert info.value.code == "ClientError.ResponseTooLarge"
        assert b"Small" in transport.send(_request(server.endpoint), 5).read()
    assert server.connections == 2


def test_oversized_chunked_identity_answer_is_refused() -> None:
    """A chunked (no Content-Length) plain answer is counted as it arrives, too."""

    def handler(_request: ServedRequest, peer: Peer) -> None:
        peer.send(http_head(headers={"Transfer-Encoding": "chunked"}))
        piece = b"x" * 65536
        for _ in range(40):
            peer.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
        peer.send(b"0\r\n\r\n")

    with MisbehavingServer(handler) as server, pytest.raises(TencentCloudSDKException) as info:
        _transport(max_response_size=LIMIT).send(_request(server.endpoint), 5)
    assert info.value.code == "ClientError.ResponseTooLarge"


def test_streamed_answer_is_bounded_too() -> None:
    """An event stream whose decoded bytes pass the limit fails while it is read."""
    events = ["data: " + "y" * 4000 + "\n\n"] * 400  # about 1.6 MB
    with MisbehavingServer(sse(events, every=0.0)) as server:
        response = _transport(max_response_size=LIMIT).send(
            _request(server.endpoint), 5, stream=True
        )
        got: List[bytes] = []
        with pytest.raises(TencentCloudSDKException) as info:
            got.extend(response.iter_chunks())
    assert info.value.code == "ClientError.ResponseTooLarge"
    assert LIMIT - 70000 < sum(map(len, got)) <= LIMIT


def test_gzip_encoded_stream_is_decoded_and_bounded() -> None:
    """A gzip-encoded event stream bomb is refused as it is decoded."""
    with MisbehavingServer(gzip_bomb(64 * LIMIT, stream=True)) as server:
        response = _transport(max_response_size=LIMIT).send(
            _request(server.endpoint), 5, stream=True
        )
        with pytest.raises(TencentCloudSDKException) as info:
            for _ in response.iter_chunks():
                pass
    assert info.value.code == "ClientError.ResponseTooLarge"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_answers_within_the_limit_are_decoded(encoding: str) -> None:
    """A well-behaved gzip or deflate answer (what a compressing gateway sends) is decoded."""
    body = json_body({"TotalCount": 3, "Pad": "z" * 5000})
    data = zlib.compress(body)
    head = http_head(length=len(data), headers={"Content-Encoding": "deflate"})

    def deflated(_request: ServedRequest, peer: Peer) -> bool:
        peer.send(head + data)
        return True

    handler = gzip_answer(body) if encoding == "gzip" else deflated
    with MisbehavingServer(handler) as server:
        assert _transport().send(_request(server.endpoint), 5).read() == body


def test_call_json_reports_response_too_large() -> None:
    """Through CommonClient the error keeps its code and is not retried as a network error."""
    with MisbehavingServer(gzip_bomb(16 * LIMIT)) as server:
        profile = ClientProfile(
            httpProfile=HttpProfile(
                protocol="http", endpoint=server.endpoint, max_response_size=LIMIT
            )
        )
        client = CommonClient("cvm", "2017-03-12", Credential("AKIDx", "key"), "ap-x", profile)
        with pytest.raises(TencentCloudSDKException) as info:
            client.call_json("DescribeInstances", {})
        client.close()
    assert info.value.code == "ClientError.ResponseTooLarge"
    assert len(server.requests) == 1


def test_the_default_limit_is_64_mib() -> None:
    """The documented default: 64 MiB, far above the API's largest answers."""
    assert HttpProfile().max_response_size == 64 * 1024 * 1024


# ------------------------------------------------------------- BodyDecoder


def test_body_decoder_handles_concatenated_gzip_members_and_trailing_junk() -> None:
    """Two gzip members decode to both parts; bytes after a complete member are ignored."""
    decoder = BodyDecoder("gzip", LIMIT, "h")
    data = gzip.compress(b"one,") + gzip.compress(b"two") + b"\x00junk"
    assert decoder.feed(data[:7]) + decoder.feed(data[7:]) + decoder.end() == b"one,two"


def test_body_decoder_accepts_raw_deflate() -> None:
    """'deflate' sent as raw deflate (no zlib header), as some servers do, still decodes."""
    packer = zlib.compressobj(wbits=-15)
    raw = packer.compress(b"raw deflate body") + packer.flush()
    decoder = BodyDecoder("deflate", LIMIT, "h")
    assert decoder.feed(raw) + decoder.end() == b"raw deflate body"


def test_body_decoder_refuses_corrupt_gzip_as_a_network_error() -> None:
    """A body that claims gzip and is not: ClientNetworkError naming the host."""
    with pytest.raises(NetworkError) as info:
        BodyDecoder("gzip", LIMIT, "cvm.example").feed(b"definitely not gzip")
    assert "cvm.example" in (info.value.message or "")


def test_body_decoder_passes_unknown_codings_through_counted() -> None:
    """A coding tcfunc does not decode (br) is handed on as it came, and still counted."""
    decoder = BodyDecoder("br", 10, "h")
    assert decoder.feed(b"12345") == b"12345"
    with pytest.raises(TencentCloudSDKException) as info:
        decoder.feed(b"678901")
    assert info.value.code == "ClientError.ResponseTooLarge"


# ----------------------------------------------- errors carry no secret chain


V1_SECRETS = ("AKIDchainsecretid", "chain-token-123", "c2lnbmF0dXJlLXNlY3JldA")


def _v1_get(endpoint: str) -> PreparedRequest:
    query = (
        f"Action=DescribeX&SecretId={V1_SECRETS[0]}&Token={V1_SECRETS[1]}"
        f"&Signature={V1_SECRETS[2]}&Nonce=1"
    )
    return PreparedRequest("GET", f"http://{endpoint}/?{query}", {"Host": endpoint}, b"")


def test_errors_for_a_v1_get_carry_no_secret_in_their_chain() -> None:
    """Refused, reset and timed-out v1 GETs raise NetworkErrors with no __context__/__cause__
    (urllib3's error may quote the URL with Signature, Token and SecretId) and no secret in
    their text or pickle (finding 8)."""
    transport = _transport()
    errors: List[BaseException] = []
    with pytest.raises(NetworkError) as info:
        transport.send(_v1_get(f"127.0.0.1:{dead_port()}"), 2)
    errors.append(info.value)
    with MisbehavingServer(reset()) as server:
        with pytest.raises(NetworkError) as info:
            transport.send(_v1_get(server.endpoint), 2)
        errors.append(info.value)
    with MisbehavingServer(stall(5)) as server:
        with pytest.raises(NetworkError) as info:
            transport.send(_v1_get(server.endpoint), 0.3)
        errors.append(info.value)
    for error in errors:
        assert error.__context__ is None
        assert error.__cause__ is None
        assert_no_secret(error, V1_SECRETS)


def test_call_json_v1_get_error_chain_holds_no_secret() -> None:
    """The same through CommonClient with HmacSHA256 and GET against a resetting server."""
    with MisbehavingServer(reset()) as server:
        profile = ClientProfile(
            signMethod="HmacSHA256",
            httpProfile=HttpProfile(protocol="http", endpoint=server.endpoint, reqMethod="GET"),
        )
        credential = Credential("AKIDchainsecretid", "the-secret-key", "chain-token-123")
        client = CommonClient("cvm", "2017-03-12", credential, "ap-x", profile)
        with pytest.raises(TencentCloudSDKException) as info:
            client.call_json("DescribeInstances", {"Limit": 1})
        client.close()
    assert info.value.code == "ClientNetworkError"
    assert_no_secret(info.value, ("AKIDchainsecretid", "the-secret-key", "chain-token-123"))
