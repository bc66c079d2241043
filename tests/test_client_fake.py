"""tcfunc.testing.fake.FakeTransport, the public scripted transport."""

from __future__ import annotations

import asyncio
from typing import Dict

import pytest

from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.testing import ANY, AsyncFakeTransport
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


# --- expected params -----------------------------------------------------------------------


def test_expected_params_that_match_pass_and_any_matches_everything() -> None:
    """expected_params equal to the request's params (ANY as a wildcard) let the answer play."""
    fake = FakeTransport().add_json(
        {"TotalCount": 0},
        expected_params={"Limit": 10, "Filters": [{"Name": "zone", "Values": ANY}], "Token": ANY},
    )
    params = {"Limit": 10, "Filters": [{"Name": "zone", "Values": ["a"]}], "Token": "x"}
    assert _client(fake).call_json("DescribeInstances", params)["Response"]["TotalCount"] == 0
    assert repr(ANY) == "ANY"


def test_a_mismatch_names_each_differing_param_with_expected_and_actual() -> None:
    """A mismatch raises AssertionError listing every differing path: changed, missing and
    unexpected params, each with its expected and actual value."""
    fake = FakeTransport().add_json(
        {}, expected_params={"Limit": 10, "Filters": [{"Name": "zone"}], "Offset": 0}
    )
    with pytest.raises(AssertionError) as excinfo:
        _client(fake).call_json(
            "DescribeInstances", {"Limit": 20, "Filters": [{"Name": "region"}], "Extra": True}
        )
    message = str(excinfo.value)
    assert "DescribeInstances" in message
    assert "Limit: expected 10, got 20" in message
    assert "Filters.0.Name: expected 'zone', got 'region'" in message
    assert "Offset: expected 0, got nothing" in message
    assert "Extra: expected nothing, got True" in message


@pytest.mark.parametrize("kw", [{"signMethod": "HmacSHA256"}, {"reqMethod": "GET"}])
def test_string_valued_requests_match_typed_expectations(kw: Dict[str, str]) -> None:
    """GET and v1 requests carry strings: 10 matches "10" and True matches "true" there,
    while a real difference is still reported."""
    if "reqMethod" in kw:
        profile_kw: Dict[str, object] = {"httpProfile": HttpProfile(reqMethod="GET")}
    else:
        profile_kw = dict(kw)
    fake = FakeTransport().add_json({}, expected_params={"Limit": 10, "DryRun": True})
    _client(fake, **profile_kw).call_json("DescribeInstances", {"Limit": 10, "DryRun": True})
    fake.add_error("X", expected_params={"Limit": 10})
    with pytest.raises(AssertionError, match="Limit: expected 10, got '11'"):
        _client(fake, **profile_kw).call_json("DescribeInstances", {"Limit": 11})


def test_json_requests_compare_types_exactly() -> None:
    """A JSON body keeps its types: the string "10" does not match an expected 10."""
    fake = FakeTransport().add_json({}, expected_params={"Limit": 10})
    with pytest.raises(AssertionError, match="Limit: expected 10, got '10'"):
        _client(fake).call_json("DescribeInstances", {"Limit": "10"})


def test_expected_params_work_for_errors_and_raw_answers() -> None:
    """add_error and add_response take expected_params too, and check before answering."""
    fake = FakeTransport()
    fake.add_error("LimitExceeded", "slow", expected_params={"A": 1})
    fake.add_response(b'{"Response": {"RequestId": "r"}}', expected_params={"B": ANY})
    client = _client(fake)
    with pytest.raises(TencentCloudSDKException) as excinfo:
        client.call_json("DescribeA", {"A": 1})
    assert excinfo.value.code == "LimitExceeded"
    client.call_json("DescribeB", {"B": [1, 2]})


def test_expected_params_must_be_a_dict() -> None:
    """A non-dict expected_params is refused when scripted, with ClientError."""
    with pytest.raises(TencentCloudSDKException) as excinfo:
        FakeTransport().add_json({}, expected_params=["Limit"])  # type: ignore[arg-type]
    assert excinfo.value.code == "ClientError"


def test_async_fake_plays_and_checks_params() -> None:
    """AsyncFakeTransport scripts and checks like FakeTransport, for the asyncio client."""
    aio = pytest.importorskip("tcfunc.aio")
    fake = AsyncFakeTransport().add_json({"N": 1}, expected_params={"Limit": 1})
    fake.add_json({}, expected_params={"Limit": 1})
    fake.add_sse([{"data": "one"}, {"data": "two"}])

    async def scenario() -> None:
        client = aio.AsyncCommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", transport=fake)
        answer = await client.call_json("DescribeInstances", {"Limit": 1})
        assert answer["Response"]["N"] == 1
        with pytest.raises(AssertionError, match="Limit: expected 1, got 2"):
            await client.call_json("DescribeInstances", {"Limit": 2})
        stream = await client.call_sse("Chat", {})
        assert [e["data"] async for e in stream] == ["one", "two"]
        assert fake.open_streams == 0

    asyncio.run(scenario())
    fake.assert_no_pending()
