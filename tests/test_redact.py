"""The one redaction rule: excerpts, debug lines and URLs show no secret, cut or whole.

Unit tests of :mod:`tcfunc._redact`, then real answers over loopback from a
server that misbehaves on purpose (an STS answer cut short, a 502 carrying
it, trailing bytes after it, an error page echoing the request's headers):
neither the raised exception (its chain, traceback and pickle) nor the
DEBUG log output nor an advisory refresh's WARNING holds a secret.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from typing import Any, Iterator, List, Optional, Tuple

import pytest

from tcfunc import _redact
from tcfunc._redact import (
    excerpt,
    redact_body,
    redact_query,
    redact_text,
    redact_url,
)
from tcfunc.client import CommonClient
from tcfunc.credential import Credential, STSAssumeRoleCredential
from tcfunc.errors import TencentCloudSDKException
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.response import parse_response
from tcfunc.retry import NoopRetryer

from ._support.chain import assert_no_secret
from ._support.servers import MisbehavingServer, Peer, ServedRequest, dead_port, http_head

TMP_ID = "AKIDtmpSECRETidVALUE"
TMP_KEY = "tmpSECRETkeyVALUE0123456789"
TMP_TOKEN = "stsSESSIONtokenVALUE" + "x" * 40
STS_SECRETS = (TMP_ID, TMP_KEY, TMP_TOKEN)


def sts_body(token: str = TMP_TOKEN, key: str = TMP_KEY, secret_id: str = TMP_ID) -> bytes:
    """An AssumeRole answer shaped as the real STS sends it."""
    expired = int(time.time()) + 7200
    return json.dumps(
        {
            "Response": {
                "Credentials": {"Token": token, "TmpSecretId": secret_id, "TmpSecretKey": key},
                "ExpiredTime": expired,
                "Expiration": "2030-01-01T00:00:00Z",
                "RequestId": "req-sts-1",
            }
        }
    ).encode()


def prefixes(secret: str, shortest: int = 4) -> List[str]:
    """Every prefix of ``secret`` long enough to identify it."""
    return [secret[:n] for n in range(shortest, len(secret) + 1)]


def assert_hidden(text: str, secrets: Tuple[str, ...]) -> None:
    for secret in secrets:
        for prefix in prefixes(secret):
            assert prefix not in text, f"{prefix!r} (of {secret!r}) shows in {text!r}"


# ---------------------------------------------------------------- the rule


def test_sts_answer_cut_at_every_byte_shows_no_secret_nor_a_prefix_of_one() -> None:
    """An STS answer cut anywhere, quoted at any limit, shows no secret and no prefix of one."""
    body = sts_body()
    for cut in range(len(body) + 1):
        for limit in (40, 200):
            assert_hidden(excerpt(body[:cut], "application/json", limit), STS_SECRETS)
    assert excerpt(body[:60], "application/json").startswith('{"Response": {"Credentials"')


def test_whole_json_is_masked_structurally_then_cut() -> None:
    """A whole JSON document keeps its shape with "***" values; a long one is cut after masking."""
    text = excerpt(sts_body(), "application/json", 10_000)
    assert '"Credentials": {"Token": "***", "TmpSecretId": "***", "TmpSecretKey": "***"}' in text
    assert '"RequestId": "req-sts-1"' in text
    short = excerpt(sts_body(), "application/json", 50)
    assert short.endswith("...")
    assert len(short) == 53


def test_trailing_bytes_after_valid_json_do_not_unmask_it() -> None:
    """JSON followed by junk (not a document any more) is masked member by member."""
    for tail in (b"garbage", b'{"Token": "second-SECRET"}', b"\n<html>Token: tail-SECRET</html>"):
        text = excerpt(sts_body() + tail, "application/json", 10_000)
        assert_hidden(text, (*STS_SECRETS, "second-SECRET", "tail-SECRET"))


def test_html_and_text_echoing_request_headers_are_masked() -> None:
    """Error pages echoing X-TC-Token, a TC3 Authorization, Signature=, WebIdentityToken= and
    JSON members show none of them, in an excerpt and in a debug body, as text or HTML."""
    secrets = ("tok-SECRET-1", "AKIDcredSECRET", "sigSECRETdeadbeef", "jwtSECRETeyJ", "cell-SECRET")
    page = (
        "<html><body><h1>400 Bad Request</h1><pre>\n"
        "POST / HTTP/1.1\nHost: cvm.tencentcloudapi.com\n"
        "X-TC-Token: tok-SECRET-1\n"
        "Authorization: TC3-HMAC-SHA256 Credential=AKIDcredSECRET/2024-01-01/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=sigSECRETdeadbeef\n</pre>"
        '<a href="/sts?Action=AssumeRoleWithWebIdentity&WebIdentityToken=jwtSECRETeyJ">retry</a>'
        "<table><tr><th>X-TC-Token</th><td>cell-SECRET</td></tr></table>"
        '<p>{"TmpSecretKey": "' + TMP_KEY + '", "Token": "' + TMP_TOKEN + '"}</p>'
        "</body></html>"
    ).encode()
    for content_type in ("text/html", "text/plain", ""):
        for text in (excerpt(page, content_type, 10_000), redact_body(page, content_type)):
            assert_hidden(text, (*secrets, *STS_SECRETS))
            assert "400 Bad Request" in text
            assert "Host: cvm.tencentcloudapi.com" in text
            assert "SignedHeaders=content-type;host" not in text or "Signature=***" in text
    # Cut anywhere, the page still hides every secret.
    for cut in range(0, len(page), 7):
        assert_hidden(excerpt(page[:cut], "text/html", 120), (*secrets, *STS_SECRETS))


def test_form_bodies_and_quoted_values_are_masked() -> None:
    """Forms, quoted values and single header lines with secret names are masked."""
    form = b"Action=AssumeRoleWithWebIdentity&WebIdentityToken=jwt-SECRET&RoleArn=qcs::cam"
    assert_hidden(excerpt(form, "application/x-www-form-urlencoded"), ("jwt-SECRET",))
    assert "RoleArn=qcs::cam" in excerpt(form, "application/x-www-form-urlencoded")
    assert_hidden(
        redact_text('token="quoted-SECRET" X-TC-Token: "q2-SECRET"'), ("quoted-SECRET", "q2-SECRET")
    )


def test_excerpt_is_one_line_and_keeps_harmless_text() -> None:
    """Whitespace runs become one space; text without secrets is shown as it is."""
    assert excerpt(b"a\r\n  b\xff") == "a b\ufffd"
    page = b"<html><head><title>502 Bad Gateway</title></head></html>"
    assert excerpt(page, "text/html") == page.decode()
    assert excerpt(b"", "text/plain") == ""
    assert (
        excerpt(b"\x00" * 5, "application/octet-stream") == "<5 bytes of application/octet-stream>"
    )


def test_huge_bodies_are_redacted_on_a_bounded_prefix() -> None:
    """A body over the parse limit is redacted on its prefix, a secret cut there included."""
    body = b'{"Response": {"Credentials": {"Token": "' + b"s" * (3 * 1024 * 1024) + b'"}}}'
    text = excerpt(body, "application/json")
    assert "sss" not in text
    assert text.endswith("...")
    logged = redact_body(body, "text/plain")
    assert "sss" not in logged
    assert logged.endswith(f"({len(body)} bytes)")


def test_url_userinfo_is_masked_whole() -> None:
    """A URL's userinfo, user:password or a bare token, becomes *** wherever it is shown."""
    assert redact_url("http://TOKEN@host:3128") == "http://***@host:3128"
    assert redact_url("http://user:pass@host") == "http://***@host"
    assert redact_url("user:pa/ss@host:1") == "***@host:1"
    assert redact_url("https://u:p@ss@host") == "https://***@host"
    assert redact_url("http://host:3128") == "http://host:3128"
    assert redact_url(None) is None
    assert redact_query("http://TOKEN@proxy:1/?Token=t&a=1") == "http://***@proxy:1/?Token=***&a=1"


def test_one_rule_everywhere() -> None:
    """The names other modules import are the very functions of tcfunc._redact."""
    from tcfunc import _logging, profile, request

    assert _logging.redact_query is _redact.redact_query
    assert _logging.redact_body is _redact.redact_body
    assert _logging.is_secret_name is _redact.is_secret_name
    assert profile.redact_url is _redact.redact_url
    assert vars(request)["redact_query"] is _redact.redact_query


def test_redact_module_loads_no_logging() -> None:
    """tcfunc._redact is standard-library-light: importing it loads no logging or urllib3."""
    import subprocess
    import sys

    code = (
        "import sys, tcfunc._redact; "
        "print([m for m in ('logging', 'urllib3', 'socket') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- parse_response


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, sts_body()[:150], "application/json"),  # cut short
        (200, sts_body()[:101], "application/json"),  # cut inside the token
        (502, sts_body(), "application/json"),  # a gateway passing the body on
        (503, sts_body()[:120], "text/plain"),
        (400, sts_body(), "text/html"),
        (200, sts_body() + b"trailing", "application/json"),
        (200, b'{"Response": {"Error": "x", ' + sts_body()[14:], "application/json"),
        (200, b'{"NoResponse": ' + sts_body() + b"}", "application/json"),
    ],
)
def test_parse_errors_quote_no_secret(status: int, body: bytes, content_type: str) -> None:
    """Every message parse_response builds from a body (ParseJsonError, HttpStatusCodeError,
    ServerNetworkError, malformed Error) masks the STS secrets, in the chain and pickle too."""
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(status, {"Content-Type": content_type}, body)
    error = info.value
    assert error.code in (
        "ClientError.ParseJsonError",
        "ClientError.HttpStatusCodeError",
        "ServerNetworkError",
    )
    assert_no_secret(error, [p for s in STS_SECRETS for p in prefixes(s, 6)])


# ---------------------------------------------------------------- over the wire

LONG_TOKEN = "longTERMsessionTOKEN"
CRED = Credential("AKIDlongTERMid", "longTERMsecretKEY", LONG_TOKEN)


def _echo_page(request: ServedRequest) -> bytes:
    # The secret-carrying headers first, so that they fall within an excerpt.
    first = ("x-tc-token", "authorization")
    ordered = sorted(request.headers, key=lambda item: item[0].lower() not in first)
    lines = "\n".join(f"{name}: {value}" for name, value in ordered)
    return f"<html><body><h1>400 Bad Request</h1><pre>\n{lines}\n</pre></body></html>".encode()


def _handler(status: int, body: Any, content_type: str, length: Optional[int] = None) -> Any:
    """Answer with ``body`` (bytes, or a function of the request) under the given status."""

    def handle(request: ServedRequest, peer: Peer) -> bool:
        data = body(request) if callable(body) else body
        size = len(data) if length is None else length
        reason = "OK" if status == 200 else "Error"
        head = http_head(status=status, reason=reason, length=size, content_type=content_type)
        peer.send(head + data)
        return False

    return handle


def _client(server: MisbehavingServer) -> CommonClient:
    http = HttpProfile(protocol="http", endpoint=server.endpoint, reqTimeout=5)
    profile = ClientProfile(httpProfile=http, retryer=NoopRetryer())
    return CommonClient("sts", "2018-08-13", CRED, "ap-guangzhou", profile)


def _signature(server: MisbehavingServer) -> str:
    auth = server.requests[-1].header("Authorization") or ""
    return auth.rsplit("Signature=", 1)[1]


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, sts_body()[:130], "application/json"),
        (502, sts_body(), "application/json"),
        (200, sts_body() + b"\n--trailing--", "application/json"),
        (400, _echo_page, "text/html"),
        (403, _echo_page, "text/plain"),
        (200, _echo_page, "text/plain"),
    ],
    ids=["cut-short", "502-with-body", "trailing-bytes", "html-echo", "text-echo", "200-text"],
)
def test_real_answers_leak_no_secret_into_errors_or_debug_lines(
    status: int, body: Any, content_type: str
) -> None:
    """Real answers over loopback: the raised error and the DEBUG lines (text bodies too)
    hold neither the STS secrets nor the request's token, signature or secret key."""
    with MisbehavingServer(_handler(status, body, content_type)) as server:
        client = _client(server)
        out = io.StringIO()
        client.set_stream_logger(out)
        with pytest.raises(TencentCloudSDKException) as info:
            client.call_json("AssumeRole", {"RoleArn": "qcs::cam::uin/1:roleName/r"})
        signature = _signature(server)
    logged = out.getvalue()
    assert "HTTP " in logged  # the answer was logged
    secrets = [*STS_SECRETS, LONG_TOKEN, CRED.secret_key, signature]
    assert_no_secret(info.value, [p for s in secrets for p in prefixes(s, 8)])
    for secret in secrets:
        assert secret not in logged, f"{secret!r} in the debug log"
    if body is _echo_page:
        assert "X-TC-Token: ***" in logged
        assert "X-TC-Token: ***" in (info.value.message or "") or status == 200


def _sts_server(first: bytes, then: bytes) -> MisbehavingServer:
    """STS answering ``first`` once, then ``then`` for every later request."""
    seen = []
    lock = threading.Lock()

    def handle(_request: ServedRequest, peer: Peer) -> bool:
        with lock:
            seen.append(1)
            data = first if len(seen) == 1 else then
        peer.send(http_head(length=len(data)) + data)
        return False

    return MisbehavingServer(handle)


class _Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def warnings_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    package = logging.getLogger("tcfunc")
    level = package.level
    package.addHandler(handler)
    package.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        package.removeHandler(handler)
        package.setLevel(level)


def test_sts_provider_errors_and_refresh_warnings_quote_no_secret(
    warnings_log: io.StringIO,
) -> None:
    """STSAssumeRoleCredential: an answer cut short during the advisory window is logged at
    WARNING without its secrets, and in the mandatory window the raised error has none either."""
    second = ("AKIDsecondTMPid", "secondTMPkeyVALUE", "secondTMPtokenVALUE" + "y" * 30)
    cut = sts_body(second[2], second[1], second[0])[:140]
    with _sts_server(sts_body(), cut) as server:
        http = HttpProfile(protocol="http", endpoint=server.endpoint, reqTimeout=5)
        clock = _Clock()
        provider = STSAssumeRoleCredential(
            "AKIDlong",
            "long-key",
            "qcs::cam::uin/1:roleName/r",
            "redact-test",
            profile=ClientProfile(httpProfile=http),
            clock=clock,
        )
        first = provider.get_credential()
        assert first.secret_key == TMP_KEY
        clock.offset = 7200 - 10 * 60  # advisory: the failure is logged, the old key kept
        assert provider.get_credential() is first
        clock.offset = 7200 - 30  # mandatory: the failure is raised
        with pytest.raises(TencentCloudSDKException) as info:
            provider.get_credential()
    logged = warnings_log.getvalue()
    assert "advisory refresh" in logged
    for secret in (*STS_SECRETS, *second):
        assert secret not in logged
    assert_no_secret(info.value, [p for s in second for p in prefixes(s, 8)])


# ---------------------------------------------------------------- reprs, CLI, transport line


def test_prepared_request_repr_hides_every_secret_in_a_get_url() -> None:
    """PreparedRequest's repr masks a GET URL's WebIdentityToken (OIDC), and v1's Signature,
    Token and SecretId, by the one rule."""
    from tcfunc.request import prepare_request

    get = ClientProfile(httpProfile=HttpProfile(reqMethod="GET"))
    oidc = prepare_request(
        "AssumeRoleWithWebIdentity",
        {"WebIdentityToken": "eyJoidcSECRETjwt", "RoleArn": "qcs::cam::uin/1:roleName/r"},
        service="sts",
        version="2018-08-13",
        region="ap-guangzhou",
        credential=None,
        profile=get,
        options={"SkipSign": True},
        timestamp=1_700_000_000,
    )
    assert "eyJoidcSECRETjwt" in oidc.url  # it is sent...
    assert "eyJoidcSECRETjwt" not in repr(oidc)  # ...but never shown
    assert "WebIdentityToken=***" in repr(oidc)
    v1_get = ClientProfile(signMethod="HmacSHA256", httpProfile=HttpProfile(reqMethod="GET"))
    v1 = prepare_request(
        "DescribeZones",
        {},
        service="cvm",
        version="2017-03-12",
        region="ap-guangzhou",
        credential=CRED,
        profile=v1_get,
        timestamp=1_700_000_000,
        nonce=7,
    )
    signature = v1.url.split("Signature=", 1)[1].split("&", 1)[0]
    for secret in (signature, LONG_TOKEN, CRED.secret_id):
        assert secret in v1.url
        assert secret not in repr(v1)


@pytest.mark.parametrize(
    "endpoint",
    ["http://PROXYtokenSECRET@h:3128", "PROXYtokenSECRET@h", "https://PROXYtokenSECRET@h:99999"],
)
def test_cli_usage_error_never_echoes_a_token_in_the_username(
    capsys: pytest.CaptureFixture[str], endpoint: str
) -> None:
    """`tcfunc sign --endpoint http://TOKEN@host` is refused with the whole userinfo masked."""
    from tcfunc.cli import main

    with pytest.raises(SystemExit) as info:
        main(["sign", "cvm", "2017-03-12", "X", "--endpoint", endpoint])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --endpoint" in err
    assert "***@h" in err
    assert "PROXYtokenSECRET" not in err


def test_transport_debug_line_masks_a_proxy_token_in_the_username() -> None:
    """The client's DEBUG transport line shows a proxy as http://***@host:port."""
    port = dead_port()  # nothing listens: the call fails at once, the line is logged first
    http = HttpProfile(protocol="http", proxy=f"http://PROXYtokenSECRET@127.0.0.1:{port}")
    profile = ClientProfile(httpProfile=http, retryer=NoopRetryer())
    client = CommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", profile)
    out = io.StringIO()
    client.set_stream_logger(out)
    try:
        client.call_json("DescribeZones", {})
    except TencentCloudSDKException as exc:
        assert_no_secret(exc, ["PROXYtokenSECRET"])
    text = out.getvalue()
    assert f"proxy http://***@127.0.0.1:{port}" in text
    assert "PROXYtokenSECRET" not in text


def test_echo_keywords_cover_every_secret_name() -> None:
    """Every name the rule calls secret (each secret ending, in any case, with a prefix, with
    _ or - inside) is found in free text and has its echoed value masked."""
    from tcfunc._secrets import SECRET_ENDINGS

    for ending in SECRET_ENDINGS:
        for name in (ending, ending.upper(), f"Tmp{ending.capitalize()}", f"x_{ending}"):
            if not _redact.is_secret_name(name):
                continue
            for text in (
                f"Host: h {name}: VALUE1",
                f"a=1&{name}=VALUE1",
                f"<th>{name}</th><td>VALUE1",
            ):
                assert "VALUE1" not in redact_text(text), text
    for name in ("Plain_Text", "Secret_Key", "Api-Key", "Creds%2EToken", "LoginSettings.Password"):
        assert "VALUE1" not in redact_text(f"{name}: VALUE1"), name
