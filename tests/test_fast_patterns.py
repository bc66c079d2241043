"""The plain-Python fast paths of the validators' patterns give the patterns' own answers.

``FastPattern`` answers without its regex when its ``sure`` test says the
answer is known; these properties check, over strings built from the
characters that matter (and any text), that it never answers otherwise than
the regex would.
"""

from __future__ import annotations

import re
from typing import List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcfunc import _validate, request
from tcfunc._validate import FastPattern

MATCHERS: List[Tuple[str, FastPattern]] = [
    ("HOST_PATTERN", _validate.HOST_PATTERN),
    ("_HEADER_NAME", request._HEADER_NAME),
    ("_ACTION", request._ACTION),
    ("_VERSION", request._VERSION),
    ("_REGION", request._REGION),
    ("_SERVICE", request._SERVICE),
]

# The characters the rules are about, their neighbours, and a few outside ASCII.
_EDGE = "aZz09_-.:[]!#|~ \t\n\r\x00\x7f\x85\xa0\xe9\uff11\uff12\u0663"
texts = st.one_of(
    st.text(alphabet=_EDGE, max_size=14),
    st.text(alphabet="0123456789-", min_size=8, max_size=12),  # version-like
    st.text(max_size=10),
)


def _regex(pattern: FastPattern) -> re.Pattern[str]:
    return re.compile(pattern._args[0])


@pytest.mark.parametrize(("name", "pattern"), MATCHERS)
@settings(max_examples=400, deadline=None)
@given(value=texts)
def test_match_agrees_with_the_regex(name: str, pattern: FastPattern, value: str) -> None:
    """pattern.match(value) is truthy exactly when the regex matches."""
    assert bool(pattern.match(value)) == bool(_regex(pattern).match(value)), (name, value)


@settings(max_examples=400, deadline=None)
@given(value=texts)
def test_control_chars_search_agrees_with_the_regex(value: str) -> None:
    """CONTROL_CHARS.search(value) is truthy exactly when the regex finds a control character."""
    pattern = _validate.CONTROL_CHARS
    assert bool(pattern.search(value)) == bool(_regex(pattern).search(value))


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        (_validate.HOST_PATTERN, "cvm.tencentcloudapi.com", True),
        (_validate.HOST_PATTERN, "127.0.0.1:8080", True),
        (_validate.HOST_PATTERN, "[::1]:8080", True),
        (_validate.HOST_PATTERN, "host:123456", False),
        (_validate.HOST_PATTERN, "-host", False),
        (request._VERSION, "2017-03-12", True),
        (request._VERSION, "2017-0--12", False),
        (request._REGION, "", True),
        (request._REGION, "Ap-guangzhou", False),
        (request._SERVICE, "cvm", True),
        (request._SERVICE, "_cvm", False),
        (request._ACTION, "DescribeInstances", True),
        (request._ACTION, "1Describe", False),
        (request._HEADER_NAME, "X-TC-TraceId", True),
        (request._HEADER_NAME, "Bad Name", False),
    ],
)
def test_known_answers(pattern: FastPattern, value: str, expected: bool) -> None:
    """A table of names and hosts each rule takes or refuses."""
    assert bool(pattern.match(value)) is expected
