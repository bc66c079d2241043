"""The refresh machinery shared by the temporary-credential providers.

A :class:`RefreshingCredential` holds one frozen :class:`Credential` snapshot
with its expiry and decides, at each ``get_credential()``, which of three
phases the snapshot is in:

* fresh: hand it out;
* advisory window (the last ``advisory_seconds`` of its life, or the last half
  of it, whichever is shorter): one caller refreshes while every other caller
  keeps using the still-valid snapshot; a failed refresh is logged, the old
  snapshot kept, and no new attempt is made for ``retry_delay`` seconds;
* mandatory window (the last ``mandatory_seconds``, expired, or no snapshot
  yet): callers wait for the refresh and its error is raised to each of them.

Only one fetch runs at a time (single flight): callers that need the result
wait on that flight's event, never on a lock held across the network call.
The clock is injectable so tests can walk through the windows.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Callable, Generic, Optional, Tuple, TypeVar

from .errors import TencentCloudSDKException

if TYPE_CHECKING:
    # credential.py subclasses RefreshingCredential, so the runtime import is lazy.
    from .credential import Credential

T = TypeVar("T")

__all__ = ["RefreshingCredential", "SingleFlight"]

logger = logging.getLogger("tcfunc.credential")

_FRESH = "fresh"
_ADVISORY = "advisory"
_MANDATORY = "mandatory"

# Refresh no earlier than this: the official SDK's 15 minutes, as in botocore.
DEFAULT_ADVISORY_SECONDS = 15 * 60.0
DEFAULT_MANDATORY_SECONDS = 60.0
DEFAULT_RETRY_DELAY = 10.0


def copy_error(error: TencentCloudSDKException) -> TencentCloudSDKException:
    """A fresh exception with ``error``'s fields, for a thread that did not raise it.

    Raising one exception object from several threads at once would make them
    all append to the same traceback.
    """
    clone = TencentCloudSDKException(error.code, error.message, error.requestId)
    clone.__cause__ = error
    return clone


def as_sdk_error(exc: BaseException, what: str) -> TencentCloudSDKException:
    """``exc`` as a TencentCloudSDKException; other types keep only their name.

    The message of an arbitrary exception may carry anything (a token, a
    response body), so only its type is shown; the original stays chained.
    """
    if isinstance(exc, TencentCloudSDKException):
        return exc
    err = TencentCloudSDKException(
        "ClientError.CredentialRefreshError", f"{what} failed with {type(exc).__name__}"
    )
    err.__cause__ = exc
    return err


class _Flight(Generic[T]):
    """One fetch in progress; the callers that need its outcome wait on ``done``."""

    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Optional[T] = None
        self.error: Optional[TencentCloudSDKException] = None

    def outcome(self) -> T:
        self.done.wait()
        if self.error is not None:
            raise copy_error(self.error)
        assert self.result is not None
        return self.result


class SingleFlight(Generic[T]):
    """Run a function once for any number of concurrent callers.

    The first caller runs ``fn`` without holding any lock; callers arriving
    meanwhile wait for and share its result or its error.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flight: Optional[_Flight[T]] = None

    def run(self, fn: Callable[[], T], what: str) -> T:
        """``fn()``, or the outcome of the call to it already in progress."""
        with self._lock:
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if not leader:
            return flight.outcome()
        try:
            result = fn()
            flight.result = result
        except BaseException as exc:
            flight.error = as_sdk_error(exc, what)
            raise
        finally:
            with self._lock:
                self._flight = None
            flight.done.set()
        return result


class RefreshingCredential:
    """A provider that caches a temporary credential and refreshes it safely.

    Subclasses implement :meth:`_fetch` (or pass ``fetch``) returning a
    :class:`Credential` whose ``expires_at`` is set (Unix seconds; ``None``
    means it never expires). Errors from the fetch should be
    :class:`TencentCloudSDKException`; anything else is wrapped as
    ``ClientError.CredentialRefreshError`` naming only the exception type.

    Args:
        fetch: ``() -> Credential``; used when the subclass does not override
            :meth:`_fetch`.
        clock: ``() -> float`` Unix seconds; ``time.time`` by default.
        advisory_seconds: upper bound of the advisory window.
        mandatory_seconds: length of the mandatory window before expiry.
        retry_delay: seconds between attempts after a failed advisory refresh.
    """

    def __init__(
        self,
        fetch: Optional[Callable[[], Credential]] = None,
        *,
        clock: Optional[Callable[[], float]] = None,
        advisory_seconds: float = DEFAULT_ADVISORY_SECONDS,
        mandatory_seconds: float = DEFAULT_MANDATORY_SECONDS,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        self._fetch_fn = fetch
        self._clock: Callable[[], float] = time.time if clock is None else clock
        self._advisory_seconds = float(advisory_seconds)
        self._mandatory_seconds = float(mandatory_seconds)
        self._retry_delay = float(retry_delay)
        self._lock = threading.Lock()
        self._snapshot: Optional[Credential] = None
        self._fetched_at = 0.0
        self._not_before = 0.0
        self._flight: Optional[_Flight[Credential]] = None

    # -- for subclasses -------------------------------------------------

    def _fetch(self) -> Credential:
        """Fetch a new credential (network I/O allowed; no lock is held)."""
        if self._fetch_fn is None:
            raise NotImplementedError("RefreshingCredential needs fetch= or a _fetch() override")
        return self._fetch_fn()

    def _describe(self) -> str:
        """Non-secret fields for the repr."""
        return ""

    # -- the protocol ---------------------------------------------------

    def get_credential(self) -> Credential:
        """A snapshot valid for at least the mandatory window, refreshing as needed.

        Raises:
            TencentCloudSDKException: when a refresh is mandatory and fails.
        """
        with self._lock:
            now = self._clock()
            snap = self._snapshot
            phase = self._phase(snap, now)
            if phase == _FRESH:
                assert snap is not None
                return snap
            flight = self._flight
            leader = False
            if flight is None:
                if phase == _ADVISORY and now < self._not_before:
                    assert snap is not None
                    return snap
                flight = self._flight = _Flight()
                leader = True
        if leader:
            return self._lead(flight, phase, snap)
        if phase == _ADVISORY:
            assert snap is not None
            return snap
        return flight.outcome()

    def get_credential_info(self) -> Tuple[str, str, Optional[str]]:
        """``(secret_id, secret_key, token)`` of one snapshot (the official accessor)."""
        return self.get_credential().get_credential_info()

    @property
    def expires_at(self) -> Optional[float]:
        """Expiry of the cached snapshot (Unix seconds), None before the first fetch."""
        snap = self._snapshot
        return None if snap is None else snap.expires_at

    def __repr__(self) -> str:
        snap = self._snapshot
        state = "not fetched" if snap is None else f"expires_at={snap.expires_at!r}"
        inner = self._describe()
        return f"{type(self).__name__}({inner + ', ' if inner else ''}{state})"

    # -- machinery ------------------------------------------------------

    def _phase(self, snap: Optional[Credential], now: float) -> str:
        if snap is None:
            return _MANDATORY
        expires_at = snap.expires_at
        if expires_at is None:
            return _FRESH
        remaining = expires_at - now
        if remaining <= self._mandatory_seconds:
            return _MANDATORY
        lifetime = max(0.0, expires_at - self._fetched_at)
        if remaining <= min(self._advisory_seconds, lifetime / 2):
            return _ADVISORY
        return _FRESH

    def _lead(
        self, flight: _Flight[Credential], phase: str, old: Optional[Credential]
    ) -> Credential:
        from .credential import Credential

        error: Optional[TencentCloudSDKException] = None
        fresh: Optional[Credential] = None
        try:
            got = self._fetch()
            if not isinstance(got, Credential):
                raise TencentCloudSDKException(
                    "ClientError.CredentialRefreshError",
                    f"{type(self).__name__} fetched {type(got).__name__}, not a Credential",
                )
            fresh = got
        except BaseException as exc:
            error = as_sdk_error(exc, f"refreshing {type(self).__name__}")
            if not isinstance(exc, Exception):
                # KeyboardInterrupt and friends: release the waiters, then propagate.
                self._finish(flight, None, error, phase)
                raise
        self._finish(flight, fresh, error, phase)
        if error is None:
            assert fresh is not None
            return fresh
        if phase == _ADVISORY and old is not None:
            logger.warning(
                "advisory refresh of %s failed (%s: %s); keeping the current credential, "
                "which expires at %s",
                type(self).__name__,
                error.code,
                error.message,
                old.expires_at,
            )
            return old
        raise error

    def _finish(
        self,
        flight: _Flight[Credential],
        fresh: Optional[Credential],
        error: Optional[TencentCloudSDKException],
        phase: str,
    ) -> None:
        flight.result = fresh
        flight.error = error
        with self._lock:
            now = self._clock()
            if fresh is not None:
                self._snapshot = fresh
                self._fetched_at = now
                self._not_before = 0.0
            elif phase == _ADVISORY:
                self._not_before = now + self._retry_delay
            self._flight = None
        flight.done.set()
