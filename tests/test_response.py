"""parse_response: the pure reading of an API answer."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcfunc.errors import TencentCloudSDKException
from tcfunc.response import (
    body_excerpt,
    content_type,
    deprecation_notice,
    header_value,
    is_event_stream,
    parse_response,
)

JSON = {"Content-Type": "application/json"}


def _doc(inner: Dict[str, Any]) -> bytes:
    return json.dumps({"Response": inner}).encode()


def test_success_returns_the_whole_document() -> None:
    """A 200 answer with a Response object is returned decoded, RequestId included."""
    body = _doc({"TotalCount": 2, "RequestId": "r1"})
    assert parse_response(200, JSON, body) == {"Response": {"TotalCount": 2, "RequestId": "r1"}}


@pytest.mark.parametrize(
    "ctype",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        "text/plain",
        "text/html",
        None,
    ],
)
def test_api_error_is_raised_whatever_the_content_type(ctype: str) -> None:
    """Response.Error raises code, message and RequestId for any content type, charset or not."""
    headers = {} if ctype is None else {"Content-Type": ctype}
    body = _doc({"Error": {"Code": "InvalidParameter", "Message": "bad"}, "RequestId": "r2"})
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(200, headers, body)
    assert (info.value.code, info.value.message, info.value.requestId) == (
        "InvalidParameter",
        "bad",
        "r2",
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
def test_5xx_is_a_server_network_error_naming_status_and_body(status: int) -> None:
    """5xx becomes ServerNetworkError (retryable) with the status and a body excerpt."""
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(status, {"Content-Type": "text/html"}, b"<html>Bad   Gateway</html>")
    assert info.value.code == "ServerNetworkError"
    assert f"HTTP status {status}" in (info.value.message or "")
    assert "<html>Bad Gateway</html>" in (info.value.message or "")


@pytest.mark.parametrize("status", [201, 204, 301, 400, 403, 404, 429])
def test_other_statuses_are_http_status_code_errors(status: int) -> None:
    """Any status other than 200 and 5xx is ClientError.HttpStatusCodeError."""
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(status, JSON, _doc({"RequestId": "r"}))
    assert info.value.code == "ClientError.HttpStatusCodeError"
    assert str(status) in (info.value.message or "")


def test_long_bodies_are_cut_in_messages() -> None:
    """The excerpt in a status error is at most about 200 characters."""
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(502, {}, b"x" * 100_000)
    assert len(info.value.message or "") < 260
    assert (info.value.message or "").endswith("...")


@pytest.mark.parametrize(
    "body",
    [
        b'{"Response": {"RequestId": "r"',  # truncated
        b"not json",
        b"",
        b"\xff\xfe\x00garbage",
        b"[1, 2]",
        b'{"Response": [1]}',
        b'{"NoResponse": {}}',
        b'{"Response": {"Error": "oops", "RequestId": "r"}}',
        b'{"Response": {"Error": {"Message": "no code"}}}',
        b"[" * 100_000,
    ],
)
def test_bodies_that_are_not_api_answers_are_parse_errors(body: bytes) -> None:
    """Malformed, truncated or oddly shaped JSON is ClientError.ParseJsonError."""
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(200, JSON, body)
    assert info.value.code == "ClientError.ParseJsonError"


@pytest.mark.parametrize(
    "body",
    [b'{"Response": {"Token": "kept-SECRET"', b'{"Token": "kept-SECRET"} trailing', b"\xff" * 9],
)
def test_parse_errors_keep_no_decoder_error_in_their_chain(body: bytes) -> None:
    """A ParseJsonError has no __context__: the JSONDecodeError or UnicodeDecodeError it
    replaces holds the whole body (``doc``/``object``), an STS answer's secrets included."""
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(200, JSON, body)
    assert info.value.code == "ClientError.ParseJsonError"
    assert info.value.__context__ is None
    assert info.value.__cause__ is None
    assert "kept-SECRET" not in (info.value.message or "")


def test_excerpts_mask_secrets_whatever_the_content_type() -> None:
    """The excerpt in a status error masks secrets in JSON, text and HTML bodies alike."""
    for ctype in ("application/json", "text/plain", "text/html; charset=utf-8"):
        body = b'{"Credentials": {"TmpSecretKey": "tmp-SECRET"}} X-TC-Token: tok-SECRET'
        with pytest.raises(TencentCloudSDKException) as info:
            parse_response(502, {"Content-Type": ctype}, body)
        message = info.value.message or ""
        assert "SECRET" not in message
        assert "HTTP status 502" in message


def test_declared_charset_is_honoured() -> None:
    """A body in a declared non-UTF-8 charset decodes with that charset."""
    body = json.dumps({"Response": {"Name": "云", "RequestId": "r"}}, ensure_ascii=False)
    doc = parse_response(200, {"Content-Type": "application/json; charset=gbk"}, body.encode("gbk"))
    assert doc["Response"]["Name"] == "云"


def test_non_string_error_message_is_rendered_as_json() -> None:
    """An Error.Message that is not a string still yields a str message."""
    body = _doc({"Error": {"Code": "X", "Message": {"a": 1}}, "RequestId": "r"})
    with pytest.raises(TencentCloudSDKException) as info:
        parse_response(200, JSON, body)
    assert info.value.message == '{"a": 1}'


def test_deprecation_notice_names_the_detail() -> None:
    """A DeprecatedWarning in the answer yields the warning text; none otherwise."""
    assert deprecation_notice({"Response": {"DeprecatedWarning": "use Y"}}) == (
        "This action is deprecated, detail: use Y"
    )
    assert deprecation_notice({"Response": {"RequestId": "r"}}) is None


def test_header_helpers_ignore_case_and_parameters() -> None:
    """Header lookups ignore case; the media type drops parameters."""
    headers = {"content-type": "Text/Event-Stream; charset=utf-8"}
    assert header_value(headers, "Content-Type") == "Text/Event-Stream; charset=utf-8"
    assert content_type(headers) == "text/event-stream"
    assert is_event_stream(headers)
    assert not is_event_stream({})


def test_body_excerpt_is_one_line() -> None:
    """Excerpts collapse whitespace and replace undecodable bytes."""
    assert body_excerpt(b"a\r\n  b\xff") == "a b\ufffd"


_headers = st.dictionaries(
    st.sampled_from(["Content-Type", "content-type", "Date", "X"]),
    st.one_of(
        st.sampled_from(
            ["application/json", "application/json; charset=utf-8", "text/plain; charset=x-bad"]
        ),
        st.text(max_size=30),
    ),
    max_size=3,
)
_bodies = st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(
                st.sampled_from(["Response", "Error", "Code", "Message", "RequestId", "x"]),
                inner,
                max_size=4,
            ),
        ),
        max_leaves=12,
    ).map(lambda value: json.dumps(value).encode()),
)


@settings(max_examples=300, deadline=None)
@given(status=st.integers(min_value=0, max_value=999), headers=_headers, body=_bodies)
def test_fuzz_only_documents_or_sdk_exceptions(
    status: int, headers: Dict[str, str], body: bytes
) -> None:
    """Any status, headers and body: a dict with a Response object, or TencentCloudSDKException."""
    try:
        doc = parse_response(status, headers, body)
    except TencentCloudSDKException as exc:
        assert exc.code
        return
    assert status == 200
    assert isinstance(doc["Response"], dict)
    assert "Error" not in doc["Response"]


def _loads_or_error(body: bytes) -> Any:
    """What json.loads makes of ``body``: the document, or the error's type name."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__


def _parsed_or_code(body: bytes) -> Any:
    try:
        return parse_response(200, JSON, body)
    except TencentCloudSDKException as exc:
        return exc.code


# Bodies at the edges of parse_response's shortcut for answers that start
# with "{": each must read exactly as json.loads reads it.
_EDGE_BODIES = [
    b'{"Response": {"RequestId": "r"}}',
    b'{"Response": {"RequestId": "r"}}  \r\n\t',
    b'{"Response": {"RequestId": "r"}} x',
    b'{"Response": {"RequestId": "r"}}{}',
    b'{"Response": {"RequestId": "\\u00e9\\ud83d\\ude00"}}',
    '{"Response": {"RequestId": "é😀"}}'.encode(),
    '{"Response": {"RequestId": "r"}}'.encode("utf-16-le"),
    '{"Response": {"RequestId": "r"}}'.encode("utf-32-le"),
    b'{"Response": {"RequestId": "\xed\xa0\x80"}}',  # a UTF-8-encoded lone surrogate
    b'{"Response": {"RequestId": "\xff"}}',
    b'{"Response": {"RequestId": "r", "N": NaN, "I": -Infinity}}',
    b'{"Response": {"RequestId": "r"}',
    b"{",
    b"{}",
    b'{"Response": [' * 50_000,
    b' {"Response": {"RequestId": "r"}}',
    b'\xef\xbb\xbf{"Response": {"RequestId": "r"}}',
]


@pytest.mark.parametrize("body", _EDGE_BODIES)
def test_answers_read_exactly_as_json_loads_reads_them(body: bytes) -> None:
    """Whatever path a body takes, the document (or the failure) is json.loads's own."""
    expected = _loads_or_error(body)
    got = _parsed_or_code(body)
    if isinstance(expected, dict) and isinstance(expected.get("Response"), dict):
        assert got == expected
    else:
        assert got == "ClientError.ParseJsonError"


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    ),
    tail=st.sampled_from(["", " ", "\n", "x", "}", "\u00a0"]),
)
def test_any_document_reads_as_json_loads_reads_it(value: Any, tail: str) -> None:
    """Random documents (NaN and all) with odd tails: parse_response agrees with json.loads."""
    body = (json.dumps({"Response": {"RequestId": "r", "V": value}}) + tail).encode()
    expected = _loads_or_error(body)
    got = _parsed_or_code(body)
    if isinstance(expected, dict):
        # NaN != NaN: compare the documents as json.dumps writes them.
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
    else:
        assert got == "ClientError.ParseJsonError"


def test_content_type_parts_are_read_afresh_for_each_value() -> None:
    """The media-type cache keys on the whole header value: charset and case still count."""
    assert content_type({"content-type": "Text/Event-Stream; charset=utf-8"}) == "text/event-stream"
    assert is_event_stream({"Content-Type": "text/event-stream"})
    assert not is_event_stream({"Content-Type": "text/event-streams"})
    latin = '{"Response": {"RequestId": "\xe9"}}'.encode("latin-1")
    doc = parse_response(200, {"Content-Type": "application/json; charset=ISO-8859-1"}, latin)
    assert doc["Response"]["RequestId"] == "\xe9"
    with pytest.raises(TencentCloudSDKException) as err:
        parse_response(200, {"Content-Type": "application/json"}, latin)
    assert err.value.code == "ClientError.ParseJsonError"
