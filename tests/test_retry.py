"""Retry policies: what is retried, how often, and how long between attempts."""

from __future__ import annotations

import logging
from typing import Callable, List

import pytest

from tcfunc.errors import TencentCloudSDKException
from tcfunc.response import ServerNetworkError
from tcfunc.retry import NoopRetryer, StandardRetryer, is_retryable, is_safe_to_repeat
from tcfunc.transport import NetworkError


def _failing(*errors: BaseException, result: str = "ok") -> Callable[[], str]:
    queue = list(errors)

    def fn() -> str:
        if queue:
            raise queue.pop(0)
        return result

    return fn


def _retryer(sleeps: List[float], **kw: object) -> StandardRetryer:
    return StandardRetryer(sleep=sleeps.append, rand=lambda: 1.0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "params", "safe"),
    [
        ("DescribeInstances", {}, True),
        ("GetSecretValue", None, True),
        ("ListKeys", {}, True),
        ("QueryOrder", {}, True),
        ("InquiryPriceRunInstances", {}, True),
        ("RunInstances", {}, False),
        ("RunInstances", {"ClientToken": "abc"}, True),
        ("RunInstances", {"ClientToken": ""}, False),
        ("Describer", {}, True),
        ("describeInstances", {}, False),
        ("DeleteDescribe", None, False),
    ],
)
def test_safe_to_repeat_means_read_only_or_client_token(
    action: str, params: object, safe: bool
) -> None:
    """Read-only prefixes and a non-empty ClientToken make an action safe to send twice."""
    assert is_safe_to_repeat(action, params) is safe  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "safe", "retryable"),
    [
        (ServerNetworkError(503, "unavailable"), False, True),
        (ServerNetworkError(503, "unavailable"), True, True),
        (ServerNetworkError(500, "internal"), False, False),
        (ServerNetworkError(502, "bad gateway"), False, False),
        (ServerNetworkError(504, "gateway timeout"), False, False),
        (ServerNetworkError(504, "gateway timeout"), True, True),
        (TencentCloudSDKException("ServerNetworkError", "no status"), False, False),
        (TencentCloudSDKException("ServerNetworkError", "no status"), True, True),
        (TencentCloudSDKException("RequestLimitExceeded", "x"), False, True),
        (TencentCloudSDKException("RequestLimitExceeded.UinLimitExceeded", "x"), False, True),
        (NetworkError("refused", reached_server=False), False, True),
        (NetworkError("read timed out", reached_server=True), False, False),
        (NetworkError("read timed out", reached_server=True), True, True),
        (TencentCloudSDKException("ClientNetworkError", "unknown"), False, False),
        (TencentCloudSDKException("ClientNetworkError", "unknown"), True, True),
        (TencentCloudSDKException("ClientError.HttpStatusCodeError", "404"), True, False),
        (TencentCloudSDKException("InvalidParameter", "x"), True, False),
        (TencentCloudSDKException("InternalError", "x"), True, False),
        (ValueError("not ours"), True, False),
    ],
)
def test_retryable_errors(error: BaseException, safe: bool, retryable: bool) -> None:
    """Rate limits, 503 and network errors before sending always; other 5xx and errors after
    sending only when the action is safe to repeat."""
    assert is_retryable(error, safe_to_repeat=safe) is retryable


def test_first_success_is_returned() -> None:
    """Retryable failures are retried until an attempt succeeds."""
    sleeps: List[float] = []
    fn = _failing(ServerNetworkError(503, "unavailable"), result="done")
    assert _retryer(sleeps).send_request(fn) == "done"
    assert len(sleeps) == 1


def test_never_sleeps_after_the_last_attempt() -> None:
    """max_attempts failures sleep max_attempts - 1 times, then raise the last error."""
    sleeps: List[float] = []
    errors = [ServerNetworkError(503, str(i)) for i in range(3)]
    with pytest.raises(TencentCloudSDKException) as info:
        _retryer(sleeps).send_request(_failing(*errors))
    assert info.value.message == "2"
    assert len(sleeps) == 2


def test_non_retryable_errors_fail_at_once() -> None:
    """A 4xx or an API error is raised without a retry or a sleep."""
    for code in ("ClientError.HttpStatusCodeError", "InvalidParameter", "AuthFailure"):
        sleeps: List[float] = []
        with pytest.raises(TencentCloudSDKException):
            _retryer(sleeps).send_request(_failing(TencentCloudSDKException(code)))
        assert sleeps == []


def test_unsafe_failure_after_sending_is_not_retried() -> None:
    """A read timeout of a non-idempotent call is raised, not repeated."""
    sleeps: List[float] = []
    fn = _failing(NetworkError("timeout", reached_server=True))
    with pytest.raises(NetworkError):
        _retryer(sleeps).send_request(fn, safe_to_repeat=False)
    assert sleeps == []
    assert _retryer(sleeps).send_request(
        _failing(NetworkError("timeout", reached_server=True)), safe_to_repeat=True
    )


def test_default_backoff_is_capped_exponential_with_full_jitter() -> None:
    """Waits are rand() * min(cap, base * 2**attempt)."""
    retryer = StandardRetryer(base=0.5, cap=3.0, rand=lambda: 0.5)
    assert [retryer.backoff(n) for n in range(5)] == [0.25, 0.5, 1.0, 1.5, 1.5]
    assert StandardRetryer(rand=lambda: 0.0).backoff(10) == 0.0


def test_backoff_fn_replaces_the_default() -> None:
    """A given backoff_fn decides the waits."""
    sleeps: List[float] = []
    retryer = _retryer(sleeps, max_attempts=4, backoff_fn=lambda n: n * 10.0)
    with pytest.raises(TencentCloudSDKException):
        retryer.send_request(
            _failing(*[TencentCloudSDKException("RequestLimitExceeded") for _ in range(4)])
        )
    assert sleeps == [0.0, 10.0, 20.0]


def test_logger_gets_one_line_per_retry(caplog: pytest.LogCaptureFixture) -> None:
    """Each retry logs one line with the attempt, the wait and the error code."""
    logger = logging.getLogger("test.retry")
    sleeps: List[float] = []
    fn = _failing(
        ServerNetworkError(503, "a"),
        TencentCloudSDKException("RequestLimitExceeded", "b"),
    )
    with caplog.at_level(logging.INFO, logger="test.retry"):
        _retryer(sleeps, logger=logger).send_request(fn)
    lines = [r.getMessage() for r in caplog.records if r.name == "test.retry"]
    assert len(lines) == 2
    assert lines[0].startswith("retry 2/3 in ")
    assert "ServerNetworkError" in lines[0]
    assert "RequestLimitExceeded" in lines[1]


def test_other_exceptions_pass_through() -> None:
    """Exceptions that are not TencentCloudSDKException are not retried."""
    sleeps: List[float] = []
    with pytest.raises(KeyError):
        _retryer(sleeps).send_request(_failing(KeyError("x")))
    assert sleeps == []


def test_noop_retryer_makes_one_attempt() -> None:
    """NoopRetryer runs once and raises the first error."""
    with pytest.raises(TencentCloudSDKException):
        NoopRetryer().send_request(_failing(TencentCloudSDKException("ServerNetworkError")))
    assert NoopRetryer().send_request(lambda: 5) == 5


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_max_attempts_is_validated(bad: object) -> None:
    """max_attempts must be an integer >= 1."""
    with pytest.raises(TencentCloudSDKException) as info:
        StandardRetryer(max_attempts=bad)  # type: ignore[arg-type]
    assert info.value.code == "ClientError"
