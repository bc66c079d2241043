"""Client logging: per-client loggers, idempotent setters, redaction, lazy formatting."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest

from tcfunc import _logging
from tcfunc._logging import (
    EventLine,
    is_secret_name,
    redact_body,
    redact_header,
    redact_json,
    redact_query,
)
from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.testing.fake import FakeTransport

SECRET_ID = "AKIDsecretid0001"
TOKEN = "session-token-xyz"
CRED = Credential(SECRET_ID, "secret-key-abc", TOKEN)


def _client(fake: FakeTransport, **profile_kw: Any) -> CommonClient:
    return CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", ClientProfile(**profile_kw), transport=fake
    )


def test_package_logger_has_only_a_null_handler() -> None:
    """tcfunc adds a NullHandler to its own logger and sets no level on it or on the root."""
    package = logging.getLogger("tcfunc")
    assert any(isinstance(h, logging.NullHandler) for h in package.handlers)
    assert package.level == logging.NOTSET
    assert not any(type(h).__module__.startswith("tcfunc") for h in logging.getLogger().handlers)


def test_stream_logger_shows_request_and_response_redacted() -> None:
    """Debug lines show request line, headers, body and the answer, with secrets masked."""
    fake = FakeTransport().add_json({"Name": "x"}, request_id="req-77")
    client = _client(fake)
    out = io.StringIO()
    client.set_stream_logger(out)
    client.call_json("DescribeA", {"Limit": 1})
    text = out.getvalue()
    assert "POST https://cvm.tencentcloudapi.com/" in text
    assert "X-TC-Action: DescribeA" in text
    assert '{"Limit": 1}' in text
    assert "HTTP 200" in text
    assert "req-77" in text
    assert "X-TC-Token: ***" in text
    assert "Signature=***" in text
    signature = fake.requests[0].headers["Authorization"].rsplit("Signature=", 1)[1]
    for secret in (TOKEN, signature, "secret-key-abc", SECRET_ID):
        assert secret not in text


def test_v1_fields_are_redacted_in_query_and_body() -> None:
    """v1 Signature, Token and SecretId values never reach the log, GET or POST."""
    for method in ("GET", "POST"):
        fake = FakeTransport(strict=False)
        client = _client(fake, signMethod="HmacSHA256", httpProfile=HttpProfile(reqMethod=method))
        out = io.StringIO()
        client.set_stream_logger(out)
        client.call_json("DescribeA", {"Limit": 1})
        text = out.getvalue()
        assert "Signature=***" in text
        assert "Token=***" in text
        assert "SecretId=***" in text
        assert TOKEN not in text
        assert SECRET_ID not in text


def test_setting_a_logger_twice_does_not_double_output() -> None:
    """A second set_stream_logger replaces the first handler."""
    fake = FakeTransport(strict=False)
    client = _client(fake)
    first, second = io.StringIO(), io.StringIO()
    client.set_stream_logger(first)
    client.set_stream_logger(second)
    client.call_json("DescribeA", {})
    assert first.getvalue() == ""
    assert second.getvalue().count("X-TC-Action: DescribeA") == 1
    assert len(client.logger.handlers) == 1


def test_setters_act_on_one_client_only() -> None:
    """Another client's calls do not reach this client's handler."""
    fake = FakeTransport(strict=False)
    mine, other = _client(fake), _client(fake)
    out = io.StringIO()
    mine.set_stream_logger(out)
    other.call_json("DescribeOther", {})
    assert out.getvalue() == ""
    assert mine.logger is not other.logger
    assert mine.logger.name.startswith("tcfunc.client.cvm.")


def test_set_default_logger_stops_the_output() -> None:
    """set_default_logger removes this client's handlers and level."""
    fake = FakeTransport(strict=False)
    client = _client(fake)
    out = io.StringIO()
    client.set_stream_logger(out)
    client.set_default_logger()
    client.call_json("DescribeA", {})
    assert out.getvalue() == ""
    assert client.logger.handlers == []
    assert client.logger.level == logging.NOTSET


def test_level_filters_lines() -> None:
    """At INFO the debug lines are not written."""
    fake = FakeTransport(strict=False)
    client = _client(fake)
    out = io.StringIO()
    client.set_stream_logger(out, level=logging.INFO)
    client.call_json("DescribeA", {})
    assert out.getvalue() == ""


def test_file_logger_in_a_directory_writes_tcfunc_log(tmp_path: Path) -> None:
    """A directory given to set_file_logger gets a tcfunc.log with the lines, rotating."""
    fake = FakeTransport(strict=False)
    client = _client(fake)
    client.set_file_logger(str(tmp_path), log_format="%(message)s")
    client.set_file_logger(str(tmp_path), log_format="%(message)s")
    client.call_json("DescribeA", {})
    client.set_default_logger()
    text = (tmp_path / "tcfunc.log").read_text()
    assert text.count("X-TC-Action: DescribeA") == 1
    assert TOKEN not in text


def test_file_logger_rotates_at_512_mb_times_10(tmp_path: Path) -> None:
    """The file handler keeps the official rotation: 512 MB, 10 backups."""
    client = _client(FakeTransport())
    client.set_file_logger(str(tmp_path / "x.log"))
    (handler,) = client.logger.handlers
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert (handler.maxBytes, handler.backupCount) == (512 * 1024 * 1024, 10)
    client.set_default_logger()


def test_nothing_is_formatted_when_debug_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """With debug off, request and response lines are never rendered."""

    def explode(_self: object) -> str:
        raise AssertionError("formatted while disabled")

    monkeypatch.setattr(_logging.RequestLine, "__str__", explode)
    monkeypatch.setattr(_logging.ResponseLine, "__str__", explode)
    fake = FakeTransport(strict=False)
    client = _client(fake)
    client.call_json("DescribeA", {})
    out = io.StringIO()
    client.set_stream_logger(out, level=logging.WARNING)
    client.call_json("DescribeA", {})
    assert len(fake.requests) == 2


def test_application_configured_logging_receives_client_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without setters, lines propagate to the application's handlers via tcfunc."""
    fake = FakeTransport(strict=False)
    with caplog.at_level(logging.DEBUG, logger="tcfunc"):
        _client(fake).call_json("DescribeA", {})
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "X-TC-Action: DescribeA" in messages
    assert TOKEN not in messages


def test_proxy_password_is_redacted_in_logs() -> None:
    """The transport's debug line shows the proxy with its password masked."""
    from tests.test_client_helpers import ScriptedServer, json_answer

    with ScriptedServer(json_answer({})) as proxy:
        http = HttpProfile(protocol="http", proxy=f"http://bob:hunter2@127.0.0.1:{proxy.port}")
        client = CommonClient(
            "cvm", "2017-03-12", CRED, "ap-guangzhou", ClientProfile(httpProfile=http)
        )
        out = io.StringIO()
        client.set_stream_logger(out)
        client.call_json("DescribeA", {})
    text = out.getvalue()
    assert f"proxy http://***@127.0.0.1:{proxy.port}" in text
    assert "hunter2" not in text
    assert "bob" not in text


def test_redaction_helpers() -> None:
    """Helpers mask the TC3 signature and id, tokens, v1 fields and URL passwords; cut bodies."""
    auth = (
        "TC3-HMAC-SHA256 Credential=AKIDx/2024-01-01/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=abcdef"
    )
    masked = redact_header("authorization", auth)
    assert "abcdef" not in masked
    assert "AKIDx" not in masked
    assert "SignedHeaders=content-type;host" in masked
    assert redact_header("X-TC-Token", "t") == "***"
    assert redact_header("Proxy-Authorization", "Basic x") == "***"
    assert redact_header("Authorization", "SKIP") == "SKIP"
    assert redact_query("a=1&SecretId=AK&Signature=s%2B&Token=t&b=2") == (
        "a=1&SecretId=***&Signature=***&Token=***&b=2"
    )
    assert redact_query("http://u:pw@proxy:1") == "http://***@proxy:1"
    assert redact_query("http://TOKEN@proxy:1/?a=b") == "http://***@proxy:1/?a=b"
    long = redact_body(b"x" * 10_000, "application/json")
    assert long.endswith("(10000 bytes)")
    assert len(long) < 2100
    assert redact_body(b"\x00" * 10, "application/octet-stream") == (
        "<10 bytes of application/octet-stream>"
    )


def test_secret_json_values_are_masked_at_any_depth() -> None:
    """Values of secret-named JSON keys (secret, token, password, credential..., any case, any
    depth) become "***"; a secret-named object has every value masked; the rest is unchanged."""
    body = (
        b'{"Response": {"Credentials": {"Token": "tok-val", "TmpSecretId": "AKIDtmp",'
        b' "TmpSecretKey": "key-val", "Nested": [1, null]}, "ExpiredTime": 9, "RequestId": "r"},'
        b' "Items": [{"LoginSettings": {"Password": "pw-val", "KeyIds": ["k-1"]}}],'
        b' "ClientToken": "idem-1", "NextToken": "page-2", "webidentitytoken": "jwt-val"}'
    )
    text = redact_body(body, "application/json")
    for secret in ("tok-val", "AKIDtmp", "key-val", "pw-val", "jwt-val"):
        assert secret not in text
    assert '"Credentials": {"Token": "***", "TmpSecretId": "***", "TmpSecretKey": "***"' in text
    assert '"Nested": ["***", null]' in text
    assert '"ExpiredTime": 9' in text
    assert '"KeyIds": ["k-1"]' in text
    assert '"ClientToken": "idem-1"' in text
    assert '"NextToken": "page-2"' in text
    unchanged = b'{"Response": {"TotalCount": 1,  "RequestId": "r"}}'
    assert redact_body(unchanged, "application/json") == unchanged.decode()


def test_cut_or_invalid_json_still_has_its_secrets_masked() -> None:
    """JSON that does not parse (cut short, over the parse limit) is masked in place, an
    unterminated secret string at the cut included."""
    assert redact_json('{"a": 1, "Token": "t\\"x", "SecretKey": 5, "b": "c"') == (
        '{"a": 1, "Token": "***", "SecretKey": "***", "b": "c"'
    )
    assert redact_json('{"Password": "abc') == '{"Password": "***"'
    big = b'{"Token": "' + b"s" * 3_000_000 + b'"}'
    text = redact_body(big, "application/json")
    assert "sss" not in text
    assert text.startswith('{"Token": "***"')


def test_secret_form_fields_are_masked() -> None:
    """Form bodies and query strings mask any secret-named field, flattened or encoded."""
    body = b"Action=X&LoginSettings.Password=pw&Creds%2EToken=t&ClientToken=c&Limit=1"
    text = redact_body(body, "application/x-www-form-urlencoded")
    assert text == ("Action=X&LoginSettings.Password=***&Creds%2EToken=***&ClientToken=c&Limit=1")


def test_secret_names() -> None:
    """Secret-looking names are recognised in any case; idempotency keys and cursors are not."""
    for name in ("Token", "x-tc-token", "TmpSecretKey", "PASSWORD", "Passwd", "Credentials"):
        assert is_secret_name(name)
    for name in ("ClientToken", "NextToken", "RoleArn", "Limit", "SignName"):
        assert not is_secret_name(name)


def test_sse_event_data_is_logged_redacted() -> None:
    """A logged server-sent event shows its JSON data with secret values masked."""
    fake = FakeTransport().add_sse([b'id: 1\ndata: {"Token": "sse-secret", "Text": "hi"}\n\n'])
    client = _client(fake)
    out = io.StringIO()
    client.set_stream_logger(out)
    assert [e["id"] for e in client.call_sse("ChatCompletions", {})] == ["1"]
    text = out.getvalue()
    assert '"Text": "hi"' in text
    assert "sse-secret" not in text
    assert "sse-secret" not in str(EventLine({"data": '{"a": {"Token": "sse-secret"}}'}))


def test_logs_mask_every_name_model_reprs_mask() -> None:
    """Log redaction masks at least what model reprs mask (ApiKey, Plaintext, DbPwd, ...)."""
    from tcfunc.model import is_secret_name as masked_in_reprs

    for name in ("ApiKey", "Plaintext", "DbPwd", "Passphrase", "SecretString", "AccessKey"):
        assert masked_in_reprs(name)
        assert is_secret_name(name), name
    text = redact_body(b'{"Plaintext": "decrypted-value", "TotalTokens": 12}', "application/json")
    assert "decrypted-value" not in text
    assert '"TotalTokens": 12' in text
