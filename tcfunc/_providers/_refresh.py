"""The refresh machinery shared by the temporary-credential providers.

A :class:`RefreshingCredential` holds one frozen :class:`Credential` snapshot
with its expiry and decides, at each read, which of three phases the
snapshot is in:

* fresh: hand it out;
* advisory window (the last ``advisory_seconds`` of its life, or the last half
  of it, whichever is shorter): one caller refreshes while every other caller
  keeps using the still-valid snapshot; a failed refresh is logged, the old
  snapshot kept, and no new attempt is made for ``retry_delay`` seconds;
* mandatory window (the last ``mandatory_seconds``, expired, or no snapshot
  yet): callers wait for the refresh and its error is raised to each of them.

Only one fetch runs at a time (:class:`SingleFlight`): callers that need the
result wait on that flight, never on a lock held across the network call.
Threads and asyncio tasks share the same flight: a task never runs a fetch on
the event loop (it runs in a worker thread) and awaits the flight without
blocking the loop. The clock is injectable so tests can walk through the windows.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, Callable, Generic, List, Optional, Tuple, TypeVar

from .._credential import Credential, detach
from ..errors import TencentCloudSDKException

T = TypeVar("T")

__all__ = ["Flight", "RefreshingCredential", "SingleFlight", "as_sdk_error", "copy_error"]

logger = logging.getLogger("tcfunc.credential")

_FRESH = "fresh"
_ADVISORY = "advisory"
_MANDATORY = "mandatory"

# Refresh no earlier than this: the official SDK's 15 minutes, as in botocore.
DEFAULT_ADVISORY_SECONDS = 15 * 60.0
DEFAULT_MANDATORY_SECONDS = 60.0
DEFAULT_RETRY_DELAY = 10.0


def copy_error(error: TencentCloudSDKException) -> TencentCloudSDKException:
    """A fresh exception with ``error``'s fields, for a caller that did not raise it.

    Raising one exception object from several threads at once would make them
    all append to the same traceback. ``error`` is chained as the cause so the
    traceback shows where the fetch failed; it carries no chain of its own
    (see :func:`as_sdk_error`).
    """
    clone = TencentCloudSDKException(error.code, error.message, error.requestId)
    clone.__cause__ = error
    return clone


def as_sdk_error(exc: BaseException, what: str) -> TencentCloudSDKException:
    """``exc`` as a TencentCloudSDKException with no chain; other types keep only their name.

    The message of an arbitrary exception may carry anything (a token, a
    response body), so only its type is shown and it is not chained; an
    SDK error keeps its code and message but loses its ``__cause__`` and
    ``__context__``, which may hold what its message leaves out.
    """
    if isinstance(exc, TencentCloudSDKException):
        return detach(exc)
    return TencentCloudSDKException(
        "ClientError.CredentialRefreshError", f"{what} failed with {type(exc).__name__}"
    )


def _wake(future: Any) -> None:
    if not future.done():
        future.set_result(None)


class Flight(Generic[T]):
    """One fetch in progress; threads wait on it, asyncio tasks await it."""

    __slots__ = ("_done", "_error", "_lock", "_result", "_waiters")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._result: Optional[T] = None
        self._error: Optional[TencentCloudSDKException] = None
        # (loop, future) of each awaiting task, woken thread-safely.
        self._waiters: List[Tuple[Any, Any]] = []

    def settle(self, result: Optional[T], error: Optional[TencentCloudSDKException]) -> None:
        """Record the outcome and wake every waiting thread and task."""
        with self._lock:
            self._result = result
            self._error = error
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            # RuntimeError: that loop is closed, nobody is left to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, future)

    def wait(self) -> T:
        """The outcome, blocking this thread until the fetch ends."""
        self._done.wait()
        return self._outcome()

    async def wait_async(self) -> T:
        """The outcome, awaited: the event loop keeps running meanwhile.

        Cancelling the awaiting task leaves the fetch running for the others.
        """
        if not self._done.is_set():
            import asyncio

            loop = asyncio.get_running_loop()
            future = loop.create_future()
            with self._lock:
                pending = not self._done.is_set()
                if pending:
                    self._waiters.append((loop, future))
            if pending:
                await future
        return self._outcome()

    def _outcome(self) -> T:
        if self._error is not None:
            raise copy_error(self._error)
        assert self._result is not None
        return self._result


def start_thread(target: Callable[[], None]) -> None:
    """Run ``target`` in a new daemon thread (a refresh must not hold up interpreter exit)."""
    threading.Thread(target=target, name="tcfunc-credential-refresh", daemon=True).start()


class SingleFlight(Generic[T]):
    """Run a function once for any number of concurrent callers, threads or tasks.

    The first caller starts ``fn`` without holding any lock; callers arriving
    meanwhile wait for and share its result or its error. ``lock`` lets an
    owner (:class:`RefreshingCredential`) decide under the same lock whether
    a flight is needed and start it.
    """

    def __init__(self, lock: Optional[threading.Lock] = None) -> None:
        self.lock = threading.Lock() if lock is None else lock
        self._flight: Optional[Flight[T]] = None

    @property
    def current(self) -> Optional[Flight[T]]:
        """The flight in progress, if any (read under :attr:`lock` to act on it)."""
        return self._flight

    def join_locked(self) -> Tuple[Flight[T], bool]:
        """The flight in progress or a new one, and whether the caller leads it.

        The caller holds :attr:`lock`; a leader must call :meth:`finish`.
        """
        flight = self._flight
        if flight is not None:
            return flight, False
        flight = self._flight = Flight()
        return flight, True

    def finish(
        self,
        flight: Flight[T],
        result: Optional[T],
        error: Optional[TencentCloudSDKException],
        update: Optional[Callable[[], None]] = None,
    ) -> None:
        """End ``flight``: run ``update`` under the lock, then wake its waiters."""
        with self.lock:
            if update is not None:
                update()
            if self._flight is flight:
                self._flight = None
        flight.settle(result, error)

    def lead(self, flight: Flight[T], fn: Callable[[], T], what: str) -> T:
        """Run ``fn`` as the leader of ``flight``; its error is raised with no chain."""
        error: Optional[TencentCloudSDKException] = None
        result: Optional[T] = None
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 (whatever fn raises becomes an SDK error)
            error = as_sdk_error(exc, what)
        except BaseException as exc:
            # KeyboardInterrupt and friends: release the waiters, then propagate.
            self.finish(flight, None, as_sdk_error(exc, what))
            raise
        self.finish(flight, result, error)
        if error is not None:
            raise error
        assert result is not None
        return result

    def run(self, fn: Callable[[], T], what: str) -> T:
        """``fn()``, or the outcome of the call to it already in progress."""
        with self.lock:
            flight, leader = self.join_locked()
        if not leader:
            return flight.wait()
        return self.lead(flight, fn, what)

    async def run_async(self, fn: Callable[[], T], what: str) -> T:
        """:meth:`run` for a task: ``fn`` runs in a worker thread, the loop never blocks."""
        with self.lock:
            flight, leader = self.join_locked()
        if leader:
            self._lead_in_thread(flight, fn, what)
        return await flight.wait_async()

    def _lead_in_thread(self, flight: Flight[T], fn: Callable[[], T], what: str) -> None:
        def body() -> None:
            # Whatever happens, the waiters have the outcome from the flight.
            with contextlib.suppress(BaseException):
                self.lead(flight, fn, what)

        try:
            start_thread(body)
        except RuntimeError as exc:  # no thread can be started (interpreter shutting down)
            self.finish(flight, None, as_sdk_error(exc, what))


class RefreshingCredential:
    """A provider that caches a temporary credential and refreshes it safely.

    Subclasses implement :meth:`_fetch` (or pass ``fetch``) returning a
    :class:`Credential` whose ``expires_at`` is set (Unix seconds; ``None``
    means it never expires). Errors from the fetch should be
    :class:`TencentCloudSDKException`; anything else is wrapped as
    ``ClientError.CredentialRefreshError`` naming only the exception type.
    No error raised carries a chain (``__cause__``/``__context__``) from
    inside the fetch, where a secret might sit.

    :meth:`get_credential` refreshes in the calling thread;
    :meth:`get_credential_async` never blocks the event loop: the fetch runs
    in a worker thread, and threads and tasks share one flight.

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
        self._flights: SingleFlight[Credential] = SingleFlight(self._lock)
        self._snapshot: Optional[Credential] = None
        self._fetched_at = 0.0
        self._not_before = 0.0

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
        snap, phase, flight, leader = self._begin()
        if phase == _FRESH:
            assert snap is not None
            return snap
        if leader:
            assert flight is not None
            return self._lead(flight, phase, snap)
        if phase == _ADVISORY or flight is None:
            # Another caller refreshes (or the retry delay holds): the old one is valid.
            assert snap is not None
            return snap
        return flight.wait()

    async def get_credential_async(self) -> Credential:
        """:meth:`get_credential` for asyncio: the event loop is never blocked.

        A fresh snapshot is returned at once; in the advisory window one refresh
        starts in a worker thread and the current snapshot is returned; in the
        mandatory window the task awaits the one refresh in flight.

        Raises:
            TencentCloudSDKException: when a refresh is mandatory and fails.
        """
        snap, phase, flight, leader = self._begin()
        if phase == _FRESH:
            assert snap is not None
            return snap
        if leader:
            assert flight is not None
            self._lead_in_thread(flight, phase, snap)
        if phase == _ADVISORY or flight is None:
            assert snap is not None
            return snap
        return await flight.wait_async()

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

    def _begin(
        self,
    ) -> Tuple[Optional[Credential], str, Optional[Flight[Credential]], bool]:
        """``(snapshot, phase, flight, leader)``, decided under the lock.

        ``flight`` is None when no refresh is wanted (fresh, or an advisory
        refresh within the retry delay of a failed one).
        """
        with self._lock:
            now = self._clock()
            snap = self._snapshot
            phase = self._phase(snap, now)
            if phase == _FRESH:
                return snap, phase, None, False
            current = self._flights.current
            if current is not None:
                return snap, phase, current, False
            if phase == _ADVISORY and now < self._not_before:
                return snap, phase, None, False
            flight, leader = self._flights.join_locked()
            return snap, phase, flight, leader

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

    def _checked_fetch(self) -> Credential:
        got = self._fetch()
        if not isinstance(got, Credential):
            raise TencentCloudSDKException(
                "ClientError.CredentialRefreshError",
                f"{type(self).__name__} fetched {type(got).__name__}, not a Credential",
            )
        return got

    def _lead(
        self, flight: Flight[Credential], phase: str, old: Optional[Credential]
    ) -> Credential:
        error: Optional[TencentCloudSDKException] = None
        fresh: Optional[Credential] = None
        what = f"refreshing {type(self).__name__}"
        try:
            fresh = self._checked_fetch()
        except Exception as exc:  # noqa: BLE001 (every failure becomes an SDK error)
            error = as_sdk_error(exc, what)
        except BaseException as exc:
            # KeyboardInterrupt and friends: release the waiters, then propagate.
            self._finish(flight, None, as_sdk_error(exc, what), phase)
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
        # Raised outside the except clauses: nothing from the fetch is chained.
        raise error

    def _lead_in_thread(
        self, flight: Flight[Credential], phase: str, old: Optional[Credential]
    ) -> None:
        def body() -> None:
            # Whatever happens, the waiters have the outcome from the flight.
            with contextlib.suppress(BaseException):
                self._lead(flight, phase, old)

        try:
            start_thread(body)
        except RuntimeError as exc:  # no thread can be started (interpreter shutting down)
            self._finish(flight, None, as_sdk_error(exc, "starting a refresh"), phase)

    def _finish(
        self,
        flight: Flight[Credential],
        fresh: Optional[Credential],
        error: Optional[TencentCloudSDKException],
        phase: str,
    ) -> None:
        def update() -> None:
            now = self._clock()
            if fresh is not None:
                self._snapshot = fresh
                self._fetched_at = now
                self._not_before = 0.0
            elif phase == _ADVISORY:
                self._not_before = now + self._retry_delay

        self._flights.finish(flight, fresh, error, update)
