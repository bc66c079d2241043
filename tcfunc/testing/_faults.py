"""The emulator's fault queue: what to do wrong, to which request, how often."""

from __future__ import annotations

import threading
from typing import List, Optional

import attrs

from ..errors import TencentCloudSDKException

__all__ = ["FAULT_KINDS", "Fault", "FaultQueue"]

#: What :meth:`ApiEmulator.inject_fault` can do to a request.
FAULT_KINDS = frozenset(
    (
        "reset",
        "stall",
        "http_error",
        "truncated_json",
        "malformed_json",
        "rate_limit",
        "api_error",
    )
)


@attrs.frozen
class Fault:
    """One injected fault, as it applies to one request."""

    kind: str
    action: Optional[str] = None
    code: Optional[str] = None
    message: Optional[str] = None
    status: int = 502
    delay: float = 10.0


@attrs.define
class _Entry:
    fault: Fault
    remaining: int  # -1: until cleared


def _bad(message: str) -> TencentCloudSDKException:
    return TencentCloudSDKException("ClientError", message)


def make_fault(
    kind: str,
    *,
    action: Optional[str],
    code: Optional[str],
    message: Optional[str],
    status: int,
    delay: float,
) -> Fault:
    """A validated :class:`Fault`; ``ClientError`` for a bad argument."""
    if kind not in FAULT_KINDS:
        raise _bad(f"unknown fault kind {kind!r}; expected one of {', '.join(sorted(FAULT_KINDS))}")
    if action is not None and (not isinstance(action, str) or not action):
        raise _bad("action must be a non-empty string or None")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise _bad("status must be an HTTP status code (100-599)")
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not delay >= 0:
        raise _bad("delay must be a non-negative number of seconds")
    if code is not None and (not isinstance(code, str) or not code):
        raise _bad("code must be a non-empty string or None")
    if message is not None and not isinstance(message, str):
        raise _bad("message must be a string or None")
    return Fault(kind, action, code, message, status, float(delay))


class FaultQueue:
    """Faults in the order they were injected; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: List[_Entry] = []

    def add(self, fault: Fault, times: int) -> None:
        """Queue ``fault`` for the next ``times`` matching requests (-1: until cleared)."""
        if isinstance(times, bool) or not isinstance(times, int) or (times < 1 and times != -1):
            raise _bad("times must be a positive integer, or -1 for until cleared")
        with self._lock:
            self._entries.append(_Entry(fault, times))

    def take(self, action: Optional[str]) -> Optional[Fault]:
        """The first queued fault that applies to ``action``, consuming one use of it."""
        with self._lock:
            for index, entry in enumerate(self._entries):
                if entry.fault.action is not None and entry.fault.action != action:
                    continue
                if entry.remaining > 0:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        del self._entries[index]
                return entry.fault
        return None

    def __bool__(self) -> bool:
        """Whether any fault is queued (read without the lock: a hint for skipping work)."""
        return bool(self._entries)

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._entries.clear()
