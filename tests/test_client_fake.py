"""tcfunc.testing.fake.FakeTransport, the public scripted transport."""

from __future__ import annotations

import pytest

from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile
from tcfunc.testing.fake import FakeTransport

CRED = Credential("AKIDfake", "key")


def _client(fake: FakeTransport, **kw: object) -> CommonClient:
    profile = ClientProfile(**kw)  # type: ignore[arg-type]
    return CommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", profile, transport=fake)


def test_answers_play_in_order_and_requests_are_recorded() -> None:
    """Scripted answers are used first in, first out; each request is recorded with its timeout."""
    fake = FakeTransport().add_json({"N": 1}).add_json({"N": 2})
    client = _client(fake)
    assert client.call_json("DescribeA", {})["Response"]["N"] == 1
    assert client.call_json("DescribeB", {})["Response"]["N"] == 2
    assert [s.action for s in fake.sent] == ["DescribeA", "DescribeB"]
    assert fake.sent[0].timeout == 60.0
    assert fake.pending == 0
    fake.assert_no_pending()


def test_strict_mode_refuses_unexpected_requests() -> None:
    """With nothing scripted, strict mode raises AssertionError (a test bug, not an API error)."""
    with pytest.raises(AssertionError, match="unexpected request for 'DescribeA'"):
        _client(FakeTransport()).call_json("DescribeA", {})


def test_lenient_mode_answers_an_empty_success() -> None:
    """With strict=False an unscripted request gets {"Response": {"RequestId": ...}}."""
    doc = _client(FakeTransport(strict=False)).call_json("DescribeA", {})
    assert doc == {"Response": {"RequestId": "fake"}}


def test_action_bound_answer_refuses_another_action() -> None:
    """An answer scripted for one action fails loudly when another arrives."""
    fake = FakeTransport().add_json({}, action="DescribeA")
    with pytest.raises(AssertionError, match="expected a request for 'DescribeA'"):
        _client(fake).call_json("DescribeB", {})


def test_action_is_read_from_v1_requests() -> None:
    """The action of a v1 request (form body or query) is recognised."""
    fake = FakeTransport().add_json({}, action="DescribeA")
    _client(fake, signMethod="HmacSHA256").call_json("DescribeA", {})
    assert fake.sent[0].action == "DescribeA"


def test_assert_no_pending_names_unused_answers() -> None:
    """Unused scripted answers fail assert_no_pending."""
    fake = FakeTransport().add_json({}, action="DescribeA")
    with pytest.raises(AssertionError, match="1 scripted answer"):
        fake.assert_no_pending()


def test_scripted_exceptions_drive_the_retry_policy() -> None:
    """A scripted connect error is retried by StandardRetryer, as a real one would be."""
    from tcfunc.retry import StandardRetryer

    fake = FakeTransport().add_exception(FakeTransport.connect_error()).add_json({"Ok": 1})
    client = _client(fake, retryer=StandardRetryer(sleep=lambda _s: None))
    assert client.call_json("CreateA", {})["Response"]["Ok"] == 1
    assert len(fake.requests) == 2


def test_raw_answers_are_parsed_by_the_client() -> None:
    """add_response bytes go through parse_response: a 503 is ServerNetworkError."""
    fake = FakeTransport().add_response(b"<html>down</html>", status=503)
    with pytest.raises(TencentCloudSDKException) as info:
        _client(fake).call_json("DescribeA", {})
    assert info.value.code == "ServerNetworkError"
    assert "down" in (info.value.message or "")


def test_reset_forgets_everything() -> None:
    """reset() drops scripts and recorded requests."""
    fake = FakeTransport(strict=False).add_json({})
    _client(fake).call_json("DescribeA", {})
    fake.add_json({})
    fake.reset()
    assert (fake.requests, fake.pending) == ([], 0)


def test_open_streams_counts_streamed_answers_until_closed() -> None:
    """Each add_sse answer sent as a stream counts as open until the client releases it."""
    fake = FakeTransport().add_sse([b"data: a\n\n"]).add_sse([b"data: b\n\n"])
    client = _client(fake)
    first = client.call_sse("ChatCompletions", {})
    second = client.call_sse("ChatCompletions", {})
    assert fake.open_streams == 2
    assert [e["data"] for e in first] == ["a"]
    assert fake.open_streams == 1
    second.close()
    assert fake.open_streams == 0
