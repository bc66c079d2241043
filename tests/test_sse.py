"""The incremental WHATWG event-stream parser."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcfunc import sse
from tcfunc.sse import EventStream, EventStreamParser, iter_events


def _parse(*chunks: bytes) -> List[Dict[str, Any]]:
    return list(iter_events(chunks))


def test_one_event_with_all_fields() -> None:
    """data, event, id and retry of one block make one event dict."""
    stream = b"event: delta\nid: 7\nretry: 1500\ndata: hello\n\n"
    assert _parse(stream) == [{"data": "hello", "event": "delta", "id": "7", "retry": 1500}]


def test_multi_line_data_is_joined_with_newlines() -> None:
    """Several data lines join with LF, without a trailing LF."""
    assert _parse(b"data: a\ndata: b\ndata:\n\n") == [{"data": "a\nb\n"}]


def test_comments_are_ignored() -> None:
    """Lines starting with a colon are comments; a block of comments yields nothing."""
    assert _parse(b": keep-alive\n\n: x\ndata: y\n\n") == [{"data": "y"}]


def test_field_without_colon_has_an_empty_value() -> None:
    """'data' alone is a data line with an empty value."""
    assert _parse(b"data\n\n") == [{"data": ""}]


def test_only_one_leading_space_is_removed() -> None:
    """One space after the colon is dropped; further spaces are data."""
    assert _parse(b"data:  two\n\ndata:none\n\n") == [{"data": " two"}, {"data": "none"}]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_is_accepted(eol: bytes) -> None:
    """LF, CRLF and CR end lines."""
    stream = b"data: a" + eol + b"data: b" + eol + eol
    assert _parse(stream) == [{"data": "a\nb"}]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    """A CR at the end of a chunk and a LF at the start of the next are one line end."""
    assert _parse(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [{"data": "a\nb"}]


def test_runs_of_blank_lines_make_no_empty_events() -> None:
    """Blank lines with no data pending dispatch nothing."""
    assert _parse(b"\n\n\n\ndata: x\n\n\n\n\n") == [{"data": "x"}]


def test_blocks_without_data_make_no_event() -> None:
    """A block with only event, id or retry dispatches nothing and does not leak into the next."""
    assert _parse(b"event: e\nid: 1\n\ndata: x\n\n") == [{"data": "x"}]


def test_unfinished_last_event_is_discarded() -> None:
    """An event not closed by a blank line when the stream ends is dropped."""
    assert _parse(b"data: done\n\ndata: partial\n") == [{"data": "done"}]


def test_leading_bom_is_ignored_once() -> None:
    """A UTF-8 BOM at the very start is skipped."""
    assert _parse(b"\xef\xbb\xbfdata: x\n\n") == [{"data": "x"}]


def test_id_with_nul_and_non_numeric_retry_are_ignored() -> None:
    """An id holding NUL and a retry that is not all ASCII digits are ignored."""
    assert _parse(b"id: a\x00b\nretry: 10s\ndata: x\n\n") == [{"data": "x"}]


def test_unknown_fields_are_ignored() -> None:
    """Fields other than data, event, id and retry do nothing."""
    assert _parse(b"foo: bar\ndata: x\n\n") == [{"data": "x"}]


def test_multibyte_characters_split_across_chunks() -> None:
    """UTF-8 sequences cut between chunks decode whole."""
    raw = "data: 你好\n\n".encode()
    assert _parse(raw[:7], raw[7:8], raw[8:]) == [{"data": "你好"}]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    """Undecodable bytes become U+FFFD."""
    assert _parse(b"data: \xff\n\n") == [{"data": "\ufffd"}]


def test_events_are_handed_over_as_soon_as_complete() -> None:
    """feed returns an event as soon as its blank line arrives, before later bytes."""
    parser = EventStreamParser()
    assert parser.feed(b"data: one\n") == []
    assert parser.feed(b"\ndata: tw") == [{"data": "one"}]
    assert parser.feed(b"o\n\n") == [{"data": "two"}]


_lines = st.lists(
    st.one_of(
        st.just(""),
        st.builds(lambda v: f"data: {v}", st.text(alphabet="ab :é", max_size=5)),
        st.builds(lambda v: f"event:{v}", st.text(alphabet="xy", max_size=3)),
        st.builds(lambda v: f"id: {v}", st.text(alphabet="12", max_size=3)),
        st.builds(lambda v: f"retry: {v}", st.text(alphabet="12x", max_size=3)),
        st.just(": comment"),
        st.just("data"),
    ),
    max_size=15,
)


@settings(max_examples=150, deadline=None)
@given(
    lines=_lines,
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_any_chunking_gives_the_same_events(lines: List[str], eol: str, cuts: List[int]) -> None:
    """Splitting the byte stream anywhere never changes the events."""
    raw = (eol.join(lines) + eol + eol).encode()
    points = sorted({min(c, len(raw)) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])]
    assert _parse(*chunks) == _parse(raw)


class _CountingEol:
    """Stands in for the line-end pattern and counts the characters it is asked to split."""

    def __init__(self) -> None:
        self._inner = re.compile(r"\r\n|\r|\n")
        self.scanned = 0

    def split(self, text: str) -> List[str]:
        self.scanned += len(text)
        return self._inner.split(text)


def test_a_long_line_in_many_chunks_is_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Buffering a partial line is linear: each character is scanned for line ends once,
    however many chunks the line arrives in (no re-scan of the whole partial line per chunk)."""
    counter = _CountingEol()
    monkeypatch.setattr(sse, "_EOL", counter)
    parser = EventStreamParser()
    total = 0
    for piece in [b"data: "] + [b"0123456789"] * 2000 + [b"\n\n"]:
        total += len(piece)
        events = parser.feed(piece)
    assert events == [{"data": "0123456789" * 2000}]
    assert counter.scanned <= total


def test_id_is_not_carried_to_later_events() -> None:
    """The deliberate deviation from WHATWG: an event has an id only if its own block set one."""
    assert _parse(b"id: 1\ndata: a\n\ndata: b\n\n") == [{"data": "a", "id": "1"}, {"data": "b"}]


def _stream(events: Iterator[Dict[str, Any]]) -> Tuple[EventStream, List[bool]]:
    closed: List[bool] = []
    return EventStream(events, lambda: closed.append(True)), closed


def test_event_stream_closed_before_the_first_event_calls_its_closer_once() -> None:
    """close() before iterating releases the connection once; the stream is then empty."""
    started: List[bool] = []

    def events() -> Iterator[Dict[str, Any]]:
        started.append(True)
        yield {"data": "x"}

    stream, closed = _stream(events())
    stream.close()
    stream.close()
    assert closed == [True]
    assert list(stream) == []
    assert started == []


def test_event_stream_releases_at_the_end_and_on_errors() -> None:
    """Reading to the end, or an error from the events, calls the closer exactly once."""
    stream, closed = _stream(iter([{"data": "a"}]))
    assert list(stream) == [{"data": "a"}]
    assert closed == [True]

    def failing() -> Iterator[Dict[str, Any]]:
        yield {"data": "a"}
        raise OSError("cut")

    stream, closed = _stream(failing())
    assert next(stream) == {"data": "a"}
    with pytest.raises(OSError, match="cut"):
        next(stream)
    assert closed == [True]
    assert list(stream) == []
    assert closed == [True]
