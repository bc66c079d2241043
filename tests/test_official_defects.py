"""One test per defect of the official client that tcfunc fixes (issue 4, "Why").

Each test pins tcfunc's behaviour and then, where the official SDK 3.1.195
(a test-only dependency) can be driven the same way, shows the official
defect on the same input, so the claim stays checked rather than asserted.
"""

from __future__ import annotations

import io
import logging
import warnings
from typing import Any, Dict, Iterator, List

import pytest

from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile, RegionBreakerProfile
from tcfunc.retry import StandardRetryer
from tcfunc.testing.emulator import ApiEmulator
from tcfunc.testing.fake import FakeTransport
from tests.test_client_helpers import RESET, ScriptedServer, dead_port, error_answer, json_answer

try:
    from tencentcloud.common.common_client import CommonClient as OfficialClient
    from tencentcloud.common.credential import Credential as OfficialCredential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
        TencentCloudSDKException as OfficialError,
    )
    from tencentcloud.common.profile.client_profile import ClientProfile as OfficialProfile
    from tencentcloud.common.profile.client_profile import (
        RegionBreakerProfile as OfficialBreakerProfile,
    )
    from tencentcloud.common.profile.http_profile import HttpProfile as OfficialHttpProfile
    from tencentcloud.common.retry import StandardRetryer as OfficialRetryer

    OFFICIAL = True
except ImportError:  # the contrast parts are skipped
    OFFICIAL = False

official_only = pytest.mark.skipif(not OFFICIAL, reason="the official SDK is not installed")

SECRET_ID, SECRET_KEY, TOKEN = "AKIDdefects", "defects-key", "defects-token"
CRED = Credential(SECRET_ID, SECRET_KEY, TOKEN)


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator() -> Iterator[ApiEmulator]:
    with ApiEmulator() as emu:
        emu.add_credential(SECRET_ID, SECRET_KEY, TOKEN)
        emu.register("cvm", "DescribeZones", lambda p: {"TotalCount": 1})
        yield emu


def _ours(endpoint: str, **kw: Any) -> CommonClient:
    http = HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=5)
    return CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", ClientProfile(httpProfile=http, **kw)
    )


def _official(endpoint: str, *, breaker: bool = False) -> Any:
    profile = OfficialProfile(
        httpProfile=OfficialHttpProfile(protocol="http", endpoint=endpoint, reqTimeout=5)
    )
    if breaker:
        profile.disable_region_breaker = False
        profile.region_breaker_profile = OfficialBreakerProfile()
    cred = OfficialCredential(SECRET_ID, SECRET_KEY, TOKEN)
    return OfficialClient("cvm", "2017-03-12", cred, "ap-guangzhou", profile)


# ------------------------------------------------------------------- breaker


def test_breaker_on_network_error_reaches_caller_as_client_network_error() -> None:
    """Breaker on: a network error raises ClientNetworkError (official: AttributeError)."""
    endpoint = f"127.0.0.1:{dead_port()}"
    client = _ours(endpoint, disable_region_breaker=False)
    with pytest.raises(TencentCloudSDKException) as info:
        client.call_json("DescribeZones", {})
    assert info.value.code == "ClientNetworkError"
    assert endpoint in (info.value.message or "")

    if OFFICIAL:
        with pytest.raises(AttributeError):
            _official(endpoint, breaker=True).call_json("DescribeZones", {})


def _failover_through_proxy(send: Any) -> List[Any]:
    """Five resets then a success, all through a scripted forward proxy; returns its requests."""
    with ScriptedServer(*([[RESET]] * 5), json_answer({"TotalCount": 1})) as proxy:
        send(f"http://127.0.0.1:{proxy.port}")
        return list(proxy.requests)


def test_request_to_backup_region_is_signed_for_backup_host() -> None:
    """After a trip the request goes to <service>.<backup> with that Host (official: primary's)."""
    backup = "cvm.ap-shanghai.tencentcloudapi.com"

    def ours(proxy: str) -> None:
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", proxy=proxy, reqTimeout=5),
            disable_region_breaker=False,
            region_breaker_profile=RegionBreakerProfile(
                backup_endpoint="ap-shanghai.tencentcloudapi.com"
            ),
        )
        client = CommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", profile)
        for _ in range(5):
            with pytest.raises(TencentCloudSDKException):
                client.call_json("DescribeZones", {})
        client.call_json("DescribeZones", {})

    seen = _failover_through_proxy(ours)
    assert seen[5].target == f"http://{backup}/"
    assert seen[5].header("Host") == backup
    assert "/cvm/tc3_request" in (seen[5].header("Authorization") or "")

    if OFFICIAL:

        def official(proxy: str) -> None:
            profile = OfficialProfile(
                httpProfile=OfficialHttpProfile(protocol="http", proxy=proxy, reqTimeout=5)
            )
            profile.disable_region_breaker = False
            profile.region_breaker_profile = OfficialBreakerProfile(
                backup_endpoint="ap-shanghai.tencentcloudapi.com"
            )
            cred = OfficialCredential(SECRET_ID, SECRET_KEY, TOKEN)
            client = OfficialClient("cvm", "2017-03-12", cred, "ap-guangzhou", profile)
            for _ in range(5):
                with pytest.raises(AttributeError):
                    client.call_json("DescribeZones", {})
            client.call_json("DescribeZones", {})

        seen = _failover_through_proxy(official)
        assert seen[5].target == f"http://{backup}/"
        assert seen[5].header("Host") == "cvm.tencentcloudapi.com"  # signed for the primary


# ------------------------------------------------------------------- retries


def test_http_4xx_answer_is_not_retried(emulator: ApiEmulator) -> None:
    """A 404 from a gateway fails at once (official: retried as ServerNetworkError)."""
    emulator.inject_fault("http_error", status=404, times=-1)
    retryer = StandardRetryer(max_attempts=3, sleep=lambda _s: None)
    with pytest.raises(TencentCloudSDKException) as info:
        _ours(emulator.endpoint, retryer=retryer).call_json("DescribeZones", {})
    assert info.value.code == "ClientError.HttpStatusCodeError"
    assert len(emulator.requests) == 1

    if OFFICIAL:
        emulator.clear_requests()
        official = _official(emulator.endpoint)
        official.profile.retryer = OfficialRetryer(max_attempts=3, backoff_fn=lambda _n: 0)
        with pytest.raises(OfficialError):
            official.call_json("DescribeZones", {})
        assert len(emulator.requests) == 3


def test_no_sleep_after_last_attempt(emulator: ApiEmulator) -> None:
    """Three failing attempts wait twice, not three times (official: a wait after the last)."""
    emulator.inject_fault("http_error", status=503, times=-1)
    waits: List[float] = []
    retryer = StandardRetryer(max_attempts=3, backoff_fn=lambda _n: 0.0, sleep=waits.append)
    with pytest.raises(TencentCloudSDKException):
        _ours(emulator.endpoint, retryer=retryer).call_json("DescribeZones", {})
    assert len(emulator.requests) == 3
    assert len(waits) == 2

    if OFFICIAL:
        backoffs: List[int] = []
        official = _official(emulator.endpoint)
        official.profile.retryer = OfficialRetryer(
            max_attempts=3, backoff_fn=lambda n: backoffs.append(n) or 0
        )
        with pytest.raises(OfficialError):
            official.call_json("DescribeZones", {})
        assert backoffs == [0, 1, 2]


def test_octet_stream_calls_are_retried_like_others() -> None:
    """call_octet_stream goes through the retry policy (official: one attempt, no retry)."""
    fake = FakeTransport().add_error("RequestLimitExceeded", "slow").add_json({"Ok": True})
    client = CommonClient(
        "cvm",
        "2017-03-12",
        CRED,
        "ap-guangzhou",
        ClientProfile(retryer=StandardRetryer(sleep=lambda _s: None)),
        transport=fake,
    )
    assert client.call_octet_stream("Upload", None, b"data")["Response"]["Ok"] is True
    assert len(fake.requests) == 2


# ------------------------------------------------------------------- parsing


def test_api_error_with_charset_content_type_is_raised() -> None:
    """An error answered as application/json; charset=utf-8 raises (official: returned as data)."""
    answer = error_answer(
        "ResourceNotFound", "gone", content_type="application/json; charset=utf-8"
    )
    with ScriptedServer(default=answer) as server:
        with pytest.raises(TencentCloudSDKException) as info:
            _ours(server.endpoint).call_json("DescribeZones", {})
        assert (info.value.code, info.value.message) == ("ResourceNotFound", "gone")

        if OFFICIAL:
            doc = _official(server.endpoint).call_json("DescribeZones", {})
            assert doc["Response"]["Error"]["Code"] == "ResourceNotFound"


# ------------------------------------------------------------------- secrets


@pytest.fixture
def official_logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("tencentcloud_sdk_common")
    handlers, level = list(log.handlers), log.level
    yield log
    log.handlers[:] = handlers
    log.setLevel(level)


def test_debug_log_never_contains_signature_or_token(
    emulator: ApiEmulator, official_logger: logging.Logger
) -> None:
    """Debug output masks Authorization's signature and X-TC-Token (official: both in clear)."""
    out = io.StringIO()
    client = _ours(emulator.endpoint)
    client.set_stream_logger(out)
    client.call_json("DescribeZones", {})
    text = out.getvalue()
    assert "X-TC-Action: DescribeZones" in text
    assert TOKEN not in text
    assert "Signature=***" in text
    assert "X-TC-Token: ***" in text

    if OFFICIAL:
        leak = io.StringIO()
        official = _official(emulator.endpoint)
        official.set_stream_logger(leak)
        official.call_json("DescribeZones", {})
        assert TOKEN in leak.getvalue()
        assert "Signature=" in leak.getvalue()


def test_callers_headers_dict_is_left_unchanged(emulator: ApiEmulator) -> None:
    """The caller's headers dict is not modified (official: gains Authorization and token)."""
    headers: Dict[str, str] = {"X-Custom": "1"}
    _ours(emulator.endpoint).call_json("DescribeZones", {}, headers=headers)
    assert headers == {"X-Custom": "1"}

    if OFFICIAL:
        theirs: Dict[str, str] = {"X-Custom": "1"}
        _official(emulator.endpoint).call_json("DescribeZones", {}, headers=theirs)
        assert theirs.get("X-TC-Token") == TOKEN
        assert "Authorization" in theirs


# ------------------------------------------------------------------ warnings


def test_deprecated_action_leaves_warning_filters_alone(emulator: ApiEmulator) -> None:
    """A deprecated action warns once, warnings.filters untouched (official: resets them)."""
    emulator.register("cvm", "DescribeOld", lambda p: {"DeprecatedWarning": "use DescribeNew"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ResourceWarning)
        before = list(warnings.filters)
        _ours(emulator.endpoint).call_json("DescribeOld", {})
        assert list(warnings.filters) == before
    assert [str(w.message) for w in caught if w.category is DeprecationWarning] == [
        "This action is deprecated, detail: use DescribeNew"
    ]

    if OFFICIAL:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("ignore")
            before = list(warnings.filters)
            _official(emulator.endpoint).call_json("DescribeOld", {})
            assert list(warnings.filters) != before
