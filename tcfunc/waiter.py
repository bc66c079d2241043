"""Waiters: poll an action until an expression over its answer reaches a value.

``client.wait_until(action, params, expr, to)`` calls ``action`` every
``interval`` seconds until ``expr`` over the answer's ``Response`` equals
``to``, and returns that ``Response``. tccli's ``--waiter`` JSON is accepted
as it is (:meth:`WaiterSpec.from_json`: ``expr``, ``to``, ``timeout`` default
180, ``interval`` default 5 and at most ``timeout``).

Outcomes: the value is ``to`` -> the ``Response``; the value (or, for a list
value, one of its elements) is in ``failure`` -> ``ClientError.WaiterFailure``
at once; ``timeout`` seconds pass -> ``ClientError.WaiterTimeout`` naming the
last value seen. No poll starts after the deadline (the last one starts at it),
so the wait ends within ``timeout`` plus one call's ``reqTimeout``. Call
errors are not swallowed: they propagate after the client's own retries.

The expression language is the small part of JMESPath that waiters use:
``a.b``, ``a[0]`` (negative indexes count from the end), ``a[*].b`` (a
projection: nulls are dropped) and ``length(expr)``. Anything else is refused
with ``ClientError.WaiterExpression`` when the waiter is built, before
anything is sent. A member that is missing reads as null, as in JMESPath.

The decision (:class:`Waiter`) has no I/O; the sync client sleeps with its
retryer's ``sleep`` (``time.sleep`` by default) and the asyncio client with
``asyncio.sleep``; both take an injectable ``sleep`` and ``clock``.
"""

from __future__ import annotations

import json
import re
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import attrs

from ._validate import fail
from .errors import TencentCloudSDKException

__all__ = [
    "Expression",
    "Waiter",
    "WaiterSpec",
    "compile_expression",
    "wait",
    "wait_async",
]

EXPRESSION = "ClientError.WaiterExpression"
TIMEOUT = "ClientError.WaiterTimeout"
FAILURE = "ClientError.WaiterFailure"
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(\[\s*(?:-?\d+|\*)\s*\])|(\.)|(\()|(\)))")

# A step: ("field", name) | ("index", n) | ("project", None)
Step = Tuple[str, Any]


def _bad(expr: str, why: str) -> TencentCloudSDKException:
    return TencentCloudSDKException(
        EXPRESSION,
        f"waiter expression {expr!r}: {why}; supported: a.b, a[0], a[*].b, length(a)",
    )


def _evaluate(steps: Sequence[Step], value: Any) -> Any:
    for position, (kind, arg) in enumerate(steps):
        if value is None:
            return None
        if kind == "field":
            value = value.get(arg) if isinstance(value, Mapping) else None
        elif kind == "index":
            if not isinstance(value, list) or not -len(value) <= arg < len(value):
                return None
            value = value[arg]
        else:  # a projection: the rest applies to each element; nulls are dropped
            if not isinstance(value, list):
                return None
            rest = steps[position + 1 :]
            found = (_evaluate(rest, element) for element in value)
            return [item for item in found if item is not None]
    return value


@attrs.frozen
class Expression:
    """A compiled waiter expression; call :meth:`search` on a ``Response``."""

    source: str
    steps: Tuple[Step, ...] = attrs.field(repr=False)
    length: bool = attrs.field(default=False, repr=False)

    def search(self, data: Any) -> Any:
        """The expression's value over ``data`` (None where a member is missing)."""
        value = _evaluate(self.steps, data)
        if not self.length:
            return value
        return len(value) if isinstance(value, (list, str, dict)) else None


def compile_expression(expr: str) -> Expression:
    """Parse ``expr``; ``ClientError.WaiterExpression`` for anything outside the subset."""
    if isinstance(expr, Expression):
        return expr
    if not isinstance(expr, str) or not expr.strip():
        raise TencentCloudSDKException(EXPRESSION, "a waiter expression must be a non-empty string")
    tokens: List[Tuple[str, str]] = []
    position = 0
    text = expr.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _bad(expr, f"unexpected text at {text[position:].strip()[:20]!r}")
        name, bracket, dot, opening, closing = match.groups()
        if name is not None:
            tokens.append(("name", name))
        elif bracket is not None:
            tokens.append(("bracket", bracket[1:-1].strip()))
        elif dot is not None:
            tokens.append(("dot", "."))
        elif opening is not None:
            tokens.append(("open", "("))
        else:
            tokens.append(("close", closing))
        position = match.end()
    length = False
    if len(tokens) >= 2 and tokens[0] == ("name", "length") and tokens[1][0] == "open":
        if tokens[-1][0] != "close":
            raise _bad(expr, "length( is not closed")
        tokens = tokens[2:-1]
        length = True
    if not tokens:
        raise _bad(expr, "nothing to read")
    steps: List[Step] = []
    expect_name = True  # at the start or after a dot
    for index, (kind, value) in enumerate(tokens):
        if kind == "name":
            if not expect_name:
                raise _bad(expr, f"a name ({value}) must follow a dot")
            if index + 1 < len(tokens) and tokens[index + 1][0] == "open":
                raise _bad(expr, f"the function {value}() is not supported")
            steps.append(("field", value))
            expect_name = False
        elif kind == "bracket":
            if expect_name and index != 0:
                raise _bad(expr, "an index cannot follow a dot")
            steps.append(("project", None) if value == "*" else ("index", int(value)))
            expect_name = False
        elif kind == "dot":
            if expect_name:
                raise _bad(expr, "a dot must follow a name or an index")
            expect_name = True
        else:
            raise _bad(expr, "parentheses only as length(...)")
    if expect_name:
        raise _bad(expr, "it ends with a dot")
    return Expression(expr, tuple(steps), length)


def _check_seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        fail("ClientError", f"waiter {name} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _as_failure(value: Any) -> Tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        fail("ClientError", "waiter failure must be a tuple of values, e.g. ('LAUNCH_FAILED',)")
    return tuple(value)


@attrs.frozen
class WaiterSpec:
    """What to wait for: tccli's ``--waiter`` fields, checked."""

    expr: Expression = attrs.field(converter=compile_expression)
    to: Any
    timeout: float = 180.0
    interval: float = 5.0
    failure: Tuple[Any, ...] = attrs.field(default=(), converter=_as_failure)

    def __attrs_post_init__(self) -> None:
        timeout = _check_seconds("timeout", self.timeout)
        interval = _check_seconds("interval", self.interval)
        object.__setattr__(self, "timeout", timeout)
        # As tccli: never wait longer between polls than the whole timeout.
        object.__setattr__(self, "interval", min(interval, timeout))

    @classmethod
    def from_json(cls, text: Union[str, Mapping[str, Any]]) -> WaiterSpec:
        """tccli's waiter JSON: ``{"expr": ..., "to": ..., "timeout": 180, "interval": 5}``.

        A ``failure`` list is accepted too (tccli has none).
        """
        if isinstance(text, Mapping):
            data: Any = text
        else:
            try:
                data = json.loads(text)
            except (TypeError, ValueError):
                fail("ClientError", "the waiter must be a JSON object such as "
                     '{"expr": "InstanceSet[0].InstanceState", "to": "RUNNING"}')  # fmt: skip
        if not isinstance(data, Mapping):
            fail("ClientError", "the waiter must be a JSON object")
        for key in ("expr", "to"):
            if key not in data:
                fail("ClientError", f"`{key}` must be defined in the waiter")
        unknown = set(data) - {"expr", "to", "timeout", "interval", "failure"}
        if unknown:
            fail("ClientError", f"unknown waiter keys: {', '.join(sorted(unknown))}")
        return cls(
            data["expr"],
            data["to"],
            data.get("timeout", 180.0),
            data.get("interval", 5.0),
            tuple(data.get("failure", ())),
        )


class Waiter:
    """The waiting rules with no I/O: feed each ``Response``, get done or the next sleep.

    ``start(now)`` once, then after each poll ``check(response, now)``:
    None means sleep :attr:`pause` seconds and poll again; otherwise the
    ``Response`` to return. It raises the timeout and failure errors.
    """

    def __init__(self, action: str, spec: WaiterSpec) -> None:
        self.action = action
        self.spec = spec
        self.deadline = 0.0
        self.pause = 0.0
        self.last: Any = None
        self.polls = 0

    def start(self, now: float) -> None:
        """Begin the wait at ``now`` (seconds of the waiter's clock)."""
        self.deadline = now + self.spec.timeout

    def check(self, response: Mapping[str, Any], now: float) -> Optional[Mapping[str, Any]]:
        """``response`` when the wait is over; None to poll again after :attr:`pause`."""
        spec = self.spec
        self.polls += 1
        value = self.last = spec.expr.search(response)
        if value == spec.to:
            return response
        if spec.failure and _failed(value, spec.failure):
            raise TencentCloudSDKException(
                FAILURE,
                f"waiting for {spec.expr.source} of {self.action} to be {spec.to!r}: "
                f"it is {value!r}, a failure state",
            )
        left = self.deadline - now
        if left <= 0:
            raise TencentCloudSDKException(
                TIMEOUT,
                f"waiting for {spec.expr.source} of {self.action} to be {spec.to!r}: "
                f"still {value!r} after {spec.timeout:g}s ({self.polls} polls)",
            )
        self.pause = min(spec.interval, left)
        return None


def _failed(value: Any, failure: Tuple[Any, ...]) -> bool:
    if isinstance(value, list):
        return any(_hashable_in(item, failure) for item in value)
    return _hashable_in(value, failure)


def _hashable_in(value: Any, failure: Tuple[Any, ...]) -> bool:
    return any(value == bad for bad in failure)


def wait(
    fetch: Callable[[Dict[str, Any]], Dict[str, Any]],
    action: str,
    params: Optional[Mapping[str, Any]],
    spec: WaiterSpec,
    *,
    sleep: Callable[[float], Any],
    clock: Callable[[], float],
) -> Dict[str, Any]:
    """Poll ``fetch(params)`` (a call_json) under ``spec``; the sync loop around :class:`Waiter`."""
    waiter = Waiter(action, spec)
    sent = dict(params or {})
    waiter.start(clock())
    while True:
        response = _response_of(action, fetch(dict(sent)))
        if waiter.check(response, clock()) is not None:
            return response
        sleep(waiter.pause)


async def wait_async(
    fetch: Callable[[Dict[str, Any]], Awaitable[Dict[str, Any]]],
    action: str,
    params: Optional[Mapping[str, Any]],
    spec: WaiterSpec,
    *,
    sleep: Callable[[float], Awaitable[Any]],
    clock: Callable[[], float],
) -> Dict[str, Any]:
    """The asyncio loop around :class:`Waiter` (``sleep`` is awaited)."""
    waiter = Waiter(action, spec)
    sent = dict(params or {})
    waiter.start(clock())
    while True:
        response = _response_of(action, await fetch(dict(sent)))
        if waiter.check(response, clock()) is not None:
            return response
        await sleep(waiter.pause)


def _response_of(action: str, document: Any) -> Dict[str, Any]:
    response = document.get("Response") if isinstance(document, dict) else None
    if not isinstance(response, dict):
        fail("ClientError", f"{action}: the answer has no Response object")
    return response
