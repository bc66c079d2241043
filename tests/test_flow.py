"""The call flow stepped by hand: effects out, results and errors in, no transport at all."""

from __future__ import annotations

import email.utils
import json
from typing import Any, List, Optional

import pytest

from tcfunc._flow import Call, GetCredential, ReadBody, Send, Sleep, call_flow
from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile
from tcfunc.request import RequestOptions
from tcfunc.retry import StandardRetryer
from tcfunc.transport import HttpResponse, NetworkError

CRED = Credential("AKIDflow", "flow-secret")
NOW = 1_700_000_000.0


def _client(profile: Optional[ClientProfile] = None, credential: Any = CRED) -> CommonClient:
    return CommonClient("cvm", "2017-03-12", credential, "ap-guangzhou", profile, clock=lambda: NOW)


def _call(action: str = "DescribeZones", *, stream: bool = False) -> Call:
    return Call(action, {}, {"X-TC-TraceId": "t"}, RequestOptions(), stream)


def _ok(body: Any = None, headers: Optional[dict] = None) -> HttpResponse:
    doc = {"Response": {"RequestId": "r", **(body or {})}}
    return HttpResponse(
        200, headers or {"Content-Type": "application/json"}, json.dumps(doc).encode()
    )


def _finish(flow: Any, value: Any) -> Any:
    with pytest.raises(StopIteration) as stop:
        flow.send(value)
    return stop.value.value


def test_a_successful_call_is_one_send_when_the_body_is_in() -> None:
    """A plain credential needs no effect, and a response that holds its body (every
    transport's answer but a stream) needs no ReadBody: Send, then the document."""
    flow = call_flow(_client(), _call())
    send = next(flow)
    assert isinstance(send, Send)
    assert send.stream is False
    assert send.timeout == 60.0
    assert send.request.url == "https://cvm.tencentcloudapi.com/"
    assert _finish(flow, _ok({"TotalCount": 3}))["Response"]["TotalCount"] == 3


def test_a_body_still_to_come_is_asked_for_with_read_body() -> None:
    """A response whose body is still on the wire is read through ReadBody."""
    flow = call_flow(_client(), _call())
    next(flow)
    body = json.dumps({"Response": {"RequestId": "r", "TotalCount": 4}}).encode()
    response = HttpResponse(200, {"Content-Type": "application/json"}, chunks=iter([body]))
    assert response.loaded is None
    read = flow.send(response)
    assert isinstance(read, ReadBody)
    assert read.response is response
    assert _finish(flow, response.read())["Response"]["TotalCount"] == 4


def test_a_provider_is_asked_through_get_credential() -> None:
    """A provider's snapshot is an effect (the driver may block or await for it)."""

    class Provider:
        def get_credential(self) -> Credential:
            raise AssertionError("the flow itself must not call the provider")

    flow = call_flow(_client(credential=Provider()), _call())
    effect = next(flow)
    assert isinstance(effect, GetCredential)
    assert effect.skip_sign is False
    send = flow.send(Credential("AKIDother", "k"))
    assert isinstance(send, Send)
    assert "AKIDother" in send.request.headers["Authorization"]


def test_retry_sleeps_the_policy_delay_and_not_after_the_last_attempt() -> None:
    """Each retryable failure yields Sleep(delay_after); the last one is raised at once."""
    retryer = StandardRetryer(max_attempts=3, rand=lambda: 0.5, base=1.0)
    flow = call_flow(_client(ClientProfile(retryer=retryer)), _call())
    delays: List[float] = []
    effect = next(flow)
    for _ in range(3):
        assert isinstance(effect, Send)
        try:
            effect = flow.throw(NetworkError("refused", reached_server=False))
        except TencentCloudSDKException as exc:
            assert exc.code == "ClientNetworkError"
            break
        assert isinstance(effect, Sleep)
        delays.append(effect.seconds)
        effect = flow.send(None)
    else:
        pytest.fail("the third failure must be raised")
    assert delays == [0.5, 1.0]  # rand * base * 2**n: no sleep after attempt 3


def test_a_fresh_timestamp_and_signature_for_each_attempt() -> None:
    """Every attempt is prepared and signed again."""
    times = iter([NOW, NOW + 7])
    client = CommonClient(
        "cvm",
        "2017-03-12",
        CRED,
        "ap-guangzhou",
        ClientProfile(retryer=StandardRetryer(sleep=lambda _s: None)),
        clock=lambda: next(times),
    )
    flow = call_flow(client, _call())
    first = next(flow)
    assert isinstance(flow.throw(NetworkError("x", reached_server=False)), Sleep)
    second = flow.send(None)
    assert first.request.headers["X-TC-Timestamp"] == str(int(NOW))
    assert second.request.headers["X-TC-Timestamp"] == str(int(NOW + 7))


def test_signature_expire_relearns_the_clock_without_a_sleep() -> None:
    """SignatureExpire with a Date an hour ahead: the next effect is a Send signed with it."""
    flow = call_flow(_client(), _call())
    next(flow)
    date = email.utils.formatdate(NOW + 3600, usegmt=True)
    body = {"Response": {"Error": {"Code": "AuthFailure.SignatureExpire"}, "RequestId": "e"}}
    refused = HttpResponse(200, {"Date": date}, json.dumps(body).encode())
    again = flow.send(refused)
    assert isinstance(again, Send)
    assert again.request.headers["X-TC-Timestamp"] == str(int(NOW + 3600))


def test_an_event_stream_answer_ends_the_flow_unread_when_streaming() -> None:
    """With stream the response itself is the result: no ReadBody."""
    flow = call_flow(_client(), _call("ChatCompletions", stream=True))
    assert next(flow).stream is True
    response = HttpResponse(
        200, {"Content-Type": "text/event-stream"}, chunks=iter([b"data: x\n\n"])
    )
    assert _finish(flow, response) is response


def test_an_api_error_is_not_retried() -> None:
    """A 4xx-like API error ends the call at once, with no Sleep."""
    flow = call_flow(_client(ClientProfile(retryer=StandardRetryer())), _call())
    next(flow)
    body = {"Response": {"Error": {"Code": "InvalidParameter", "Message": "m"}, "RequestId": "q"}}
    response = HttpResponse(200, {}, json.dumps(body).encode())
    with pytest.raises(TencentCloudSDKException) as info:
        flow.send(response)
    assert (info.value.code, info.value.requestId) == ("InvalidParameter", "q")
