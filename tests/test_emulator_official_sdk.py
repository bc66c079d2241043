"""The official SDK (3.1.195 common, generated CVM client) cannot tell the emulator from the API."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, Optional

import pytest

pytest.importorskip("tencentcloud.common")

from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential as OfficialCredential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException as OfficialException,
)
from tencentcloud.common.profile.client_profile import ClientProfile as OfficialClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile as OfficialHttpProfile

from tcfunc import TencentCloudSDKException
from tcfunc.testing.emulator import ApiEmulator

SECRET_ID = "AKIDofficialtest"
SECRET_KEY = "official-test-key"
SIGN_METHODS = ["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"]
HTTP_METHODS = ["GET", "POST"]


def describe_instances(params: Dict[str, Any]) -> Dict[str, Any]:
    limit = int(params.get("Limit", 20))
    return {
        "TotalCount": 1,
        "InstanceSet": [{"InstanceId": "ins-emulated", "InstanceName": f"limit-{limit}"}][:limit],
    }


@pytest.fixture
def emu() -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emulator:
        emulator.register("cvm", "DescribeInstances", describe_instances)
        yield emulator


def profile(emu: ApiEmulator, sign: str = "TC3-HMAC-SHA256", method: str = "POST") -> Any:
    http = OfficialHttpProfile(
        protocol="http", endpoint=emu.endpoint, reqMethod=method, reqTimeout=5
    )
    return OfficialClientProfile(signMethod=sign, httpProfile=http)


def common(
    emu: ApiEmulator,
    cred: Optional[OfficialCredential] = None,
    sign: str = "TC3-HMAC-SHA256",
    method: str = "POST",
    service: str = "cvm",
    version: str = "2017-03-12",
) -> CommonClient:
    credential = cred if cred is not None else OfficialCredential(SECRET_ID, SECRET_KEY)
    return CommonClient(
        service, version, credential, "ap-guangzhou", profile=profile(emu, sign, method)
    )


@pytest.mark.parametrize("method", HTTP_METHODS)
@pytest.mark.parametrize("sign", SIGN_METHODS)
def test_official_common_client_is_accepted(emu: ApiEmulator, sign: str, method: str) -> None:
    """CommonClient signs with each method over GET and POST; the emulator verifies and answers."""
    answer = common(emu, sign=sign, method=method).call_json("DescribeInstances", {"Limit": 1})
    assert answer["Response"]["InstanceSet"][0]["InstanceId"] == "ins-emulated"
    recorded = emu.requests[-1]
    assert recorded.secret_id == SECRET_ID
    assert recorded.method == method
    assert recorded.params["Limit"] in (1, "1")


@pytest.mark.parametrize("method", HTTP_METHODS)
@pytest.mark.parametrize("sign", SIGN_METHODS)
def test_official_generated_client_deserialises_the_answer(
    emu: ApiEmulator, sign: str, method: str
) -> None:
    """The generated CvmClient gets a model it can read, whatever the signing."""
    from tencentcloud.cvm.v20170312 import cvm_client, models

    client = cvm_client.CvmClient(
        OfficialCredential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile(emu, sign, method)
    )
    request = models.DescribeInstancesRequest()
    request.Limit = 1
    response = client.DescribeInstances(request)
    assert response.TotalCount == 1
    assert response.InstanceSet[0].InstanceName == "limit-1"
    assert response.RequestId


@pytest.mark.parametrize("sign", SIGN_METHODS)
@pytest.mark.parametrize(
    ("cred", "code"),
    [
        (OfficialCredential(SECRET_ID, "not-the-key"), "AuthFailure.SignatureFailure"),
        (OfficialCredential("AKIDnobody", SECRET_KEY), "AuthFailure.SecretIdNotFound"),
    ],
)
def test_official_client_raises_auth_failures(
    emu: ApiEmulator, cred: OfficialCredential, code: str, sign: str
) -> None:
    """Wrong key and unknown SecretId are raised by the official client, with a RequestId."""
    with pytest.raises(OfficialException) as info:
        common(emu, cred, sign=sign).call_json("DescribeInstances", {})
    assert info.value.get_code() == code
    assert info.value.get_request_id()


@pytest.mark.parametrize("sign", SIGN_METHODS)
def test_official_client_sees_signature_expire_from_the_emulator_clock(sign: str) -> None:
    """An emulator whose clock runs 10 minutes ahead answers AuthFailure.SignatureExpire."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}, clock=lambda: time.time() + 600) as emu:
        emu.register("cvm", "DescribeInstances", describe_instances)
        with pytest.raises(OfficialException) as info:
            common(emu, sign=sign).call_json("DescribeInstances", {})
    assert info.value.get_code() == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize("sign", SIGN_METHODS)
@pytest.mark.parametrize("token", ["wrong-token", None])
def test_official_client_sees_token_failure(
    emu: ApiEmulator, sign: str, token: Optional[str]
) -> None:
    """A temporary credential sent with a wrong or no token answers AuthFailure.TokenFailure."""
    emu.add_credential("AKIDtemporary", "temporary-key", "right-token")
    right = OfficialCredential("AKIDtemporary", "temporary-key", "right-token")
    assert common(emu, right, sign=sign).call_json("DescribeInstances", {})["Response"]
    with pytest.raises(OfficialException) as info:
        common(
            emu, OfficialCredential("AKIDtemporary", "temporary-key", token), sign=sign
        ).call_json("DescribeInstances", {})
    assert info.value.get_code() == "AuthFailure.TokenFailure"


def test_official_client_raises_handler_errors(emu: ApiEmulator) -> None:
    """A handler's API error is raised by the official client with that code and message."""

    def refuse(_params: Dict[str, Any]) -> Dict[str, Any]:
        raise TencentCloudSDKException("LimitExceeded", "too many instances")

    emu.register("cvm", "RunInstances", refuse)
    with pytest.raises(OfficialException) as info:
        common(emu).call_json("RunInstances", {})
    assert (info.value.get_code(), info.value.get_message()) == (
        "LimitExceeded",
        "too many instances",
    )


def test_official_client_reads_the_event_stream(emu: ApiEmulator) -> None:
    """The official call_sse parses the emulator's text/event-stream."""

    def chat(_params: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        yield {"data": {"Delta": "hello"}, "id": "1"}
        yield {"data": "line one\nline two", "event": "message"}

    emu.register("hunyuan", "ChatCompletions", chat)
    client = common(emu, service="hunyuan", version="2023-09-01")
    events = list(client.call_sse("ChatCompletions", {"Stream": True}))
    assert events == [
        {"id": "1", "data": '{"Delta": "hello"}'},
        {"event": "message", "data": "line one\nline two"},
    ]


def test_official_unsigned_web_identity_call(emu: ApiEmulator) -> None:
    """The official SDK's SkipSign call (as its OIDC provider makes it) gets STS credentials."""
    emu.enable_sts()
    client = CommonClient("sts", "2018-08-13", None, "ap-guangzhou", profile=profile(emu))
    params = {
        "ProviderId": "OIDC",
        "WebIdentityToken": "eyJ.token",
        "RoleArn": "qcs::cam::uin/1:roleName/r",
        "RoleSessionName": "oidc",
        "DurationSeconds": 7200,
    }
    answer = client.call_json("AssumeRoleWithWebIdentity", params, options={"SkipSign": True})
    creds = answer["Response"]["Credentials"]
    temp = OfficialCredential(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"])
    assert common(emu, temp).call_json("DescribeInstances", {})["Response"]["TotalCount"] == 1


def test_official_client_sees_injected_faults(emu: ApiEmulator) -> None:
    """Injected API errors raise their codes; an HTTP 5xx is the official ServerNetworkError."""
    emu.inject_fault("rate_limit")
    with pytest.raises(OfficialException) as info:
        common(emu).call_json("DescribeInstances", {})
    assert info.value.get_code() == "RequestLimitExceeded"
    emu.inject_fault("http_error", status=503)
    with pytest.raises(OfficialException) as info:
        common(emu).call_json("DescribeInstances", {})
    assert info.value.get_code() == "ServerNetworkError"
    assert common(emu).call_json("DescribeInstances", {})["Response"]["TotalCount"] == 1


# --- the official asyncio client (httpx) ---------------------------------------------------


@pytest.mark.parametrize("method", HTTP_METHODS)
@pytest.mark.parametrize("sign", SIGN_METHODS)
def test_official_async_client_is_accepted(emu: ApiEmulator, sign: str, method: str) -> None:
    """The official async CommonClient (httpx) signs each way; the emulator over HTTP verifies
    and answers it, and its API errors come back as the official exception."""
    pytest.importorskip("httpx")
    import asyncio

    from tencentcloud.common.common_client_async import CommonClient as AsyncCommonClient

    def fail(_params: Dict[str, Any]) -> Dict[str, Any]:
        raise TencentCloudSDKException("FailedOperation", "not today")

    emu.register("cvm", "Fail", fail)

    async def scenario() -> None:
        client = AsyncCommonClient(
            "cvm",
            "2017-03-12",
            OfficialCredential(SECRET_ID, SECRET_KEY),
            "ap-guangzhou",
            profile=profile(emu, sign, method),
        )
        try:
            answer = await client.call_and_deserialize("DescribeInstances", {"Limit": 1})
            assert answer["Response"]["InstanceSet"][0]["InstanceId"] == "ins-emulated"
            with pytest.raises(OfficialException) as excinfo:
                await client.call_and_deserialize("Fail", {})
            assert excinfo.value.get_code() == "FailedOperation"
        finally:
            await client.close()

    asyncio.run(scenario())
    assert emu.requests[0].secret_id == SECRET_ID


def test_strict_signing_refuses_the_official_tc3_request() -> None:
    """The official SDK signs only content-type;host: a strict emulator refuses it with
    AuthFailure.InvalidAuthorization (the trade-off of ClientProfile(sign_action=True))."""
    with ApiEmulator({SECRET_ID: SECRET_KEY}, strict_signing=True) as strict:
        strict.register("cvm", "DescribeInstances", describe_instances)
        with pytest.raises(OfficialException) as excinfo:
            common(strict).call_json("DescribeInstances", {"Limit": 1})
    assert excinfo.value.get_code() == "AuthFailure.InvalidAuthorization"
