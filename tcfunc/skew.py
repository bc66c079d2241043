"""Clock-skew correction: the offset between this machine's clock and the API's.

A request signed with a clock far off the server's is refused with
``AuthFailure.SignatureExpire``. The answer carries the server's ``Date``;
:class:`ClockSkew` learns the offset from it so that the call can be signed
again with the server's time, once. It is a small locked holder: the call
flow reads it before signing and asks it after a refusal, and never holds
its lock across a send.
"""

from __future__ import annotations

import threading
from typing import Mapping, Optional, Tuple

from ._headers import header_value

__all__ = ["SKEW_TOLERANCE", "ClockSkew", "server_time"]

# A SignatureExpire for a request signed this close to the server's Date has
# another cause than the clock: it is not tried again.
SKEW_TOLERANCE = 60.0


def server_time(headers: Mapping[str, str]) -> Optional[float]:
    """The server's clock from an answer's ``Date`` header (Unix seconds), or None."""
    value = header_value(headers, "Date")
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # rare path; keeps the cold start light

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class ClockSkew:
    """Seconds to add to the local clock when signing, learnt from refusals."""

    __slots__ = ("_lock", "offset")

    def __init__(self) -> None:
        # A float store is atomic; writers also take the lock.
        self.offset = 0.0
        self._lock = threading.Lock()

    def timestamp(self, now: float) -> Tuple[int, float]:
        """``(timestamp to sign with, offset it used)`` for the local time ``now``."""
        offset = self.offset
        return int(now + offset), offset

    def learn(
        self, headers: Mapping[str, str], signed: int, offset: float, now: float
    ) -> Tuple[bool, Optional[float]]:
        """After a SignatureExpire: ``(try once more?, newly learnt offset or None)``.

        ``signed`` and ``offset`` are what the refused attempt was signed
        with. Comparing with those, not with the offset as it is now, matters
        when threads race: another one may have learnt the offset while this
        attempt's answer was on its way, and this attempt must still retry.
        """
        if self.offset != offset:
            return True, None  # learnt meanwhile, after this attempt was signed
        server = server_time(headers)
        if server is None or abs(server - signed) <= SKEW_TOLERANCE:
            return False, None
        with self._lock:
            if abs(now + self.offset - server) <= SKEW_TOLERANCE:
                return True, None  # corrected meanwhile
            self.offset = server - now
        return True, self.offset
