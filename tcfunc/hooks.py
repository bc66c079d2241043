"""Hooks: observers of a call, run alike by the sync and the asyncio client.

``ClientProfile(hooks=(...))`` takes a tuple of objects; each may implement
any of these methods, all plain synchronous calls made by the call flow:

- ``request_headers(info) -> Mapping[str, str]``: extra headers for this
  attempt; they are signed. The caller's own headers win on a clash.
- ``before_send(info, prepared)``: the signed :class:`~tcfunc.request.PreparedRequest`.
- ``after_response(info, status, headers, elapsed)``: an answer arrived
  (its headers; ``elapsed`` seconds since the send began).
- ``on_retry(info, delay, error)``: the attempt failed; the next one starts
  after ``delay`` seconds.
- ``on_error(info, error)``: the call failed with ``error`` (after its last attempt).

``info`` is a :class:`CallInfo`. A hook that raises does not break the call:
the exception is logged on ``tcfunc.hooks`` and the call goes on. Hooks run on
the thread (or event loop) making the call, so they should be quick.

The client's debug logging is the built-in hook :class:`LogHook`, which also
holds the client's own logger and handlers (``set_stream_logger`` and friends).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Tuple

from ._logging import RequestLine, ResponseLine

if TYPE_CHECKING:
    from ._callinfo import CallInfo

__all__ = ["CallInfo", "Hooks", "LogHook"]

_HOOK_LOG = logging.getLogger("tcfunc.hooks")
_SHARED_LOGGER = logging.getLogger("tcfunc.client")
_LOGGER_IDS = itertools.count(1)
_DEBUG = logging.DEBUG
DEFAULT_FORMAT = "%(asctime)s %(process)d %(filename)s L%(lineno)s %(levelname)s %(message)s"


def __getattr__(name: str) -> Any:
    # CallInfo is built on first use (tcfunc._callinfo): most clients have no hooks.
    if name == "CallInfo":
        from ._callinfo import CallInfo

        globals()["CallInfo"] = CallInfo  # later lookups skip this function
        return CallInfo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_METHODS = ("request_headers", "before_send", "after_response", "on_retry", "on_error")


class Hooks:
    """The hooks of one client, with each method looked up once."""

    __slots__ = ("active", *_METHODS)

    def __init__(self, hooks: Tuple[Any, ...]) -> None:
        table: Dict[str, Tuple[Callable[..., Any], ...]] = {}
        for name in _METHODS:
            found = (getattr(hook, name, None) for hook in hooks)
            table[name] = tuple(method for method in found if callable(method))
        self.request_headers = table["request_headers"]
        self.before_send = table["before_send"]
        self.after_response = table["after_response"]
        self.on_retry = table["on_retry"]
        self.on_error = table["on_error"]
        self.active = any(table.values())

    @staticmethod
    def run(methods: Tuple[Callable[..., Any], ...], *args: Any) -> None:
        """Call each of ``methods``; one that raises is logged, never propagated."""
        for method in methods:
            try:
                method(*args)
            except Exception:  # noqa: BLE001 - a user's observer must not break the call
                _HOOK_LOG.warning("hook %r raised; the call goes on", method, exc_info=True)

    def extra_headers(self, info: CallInfo) -> Dict[str, str]:
        """The headers the ``request_headers`` hooks add (later hooks win)."""
        out: Dict[str, str] = {}
        for method in self.request_headers:
            try:
                extra = method(info)
                if extra:
                    out.update({str(k): str(v) for k, v in dict(extra).items()})
            except Exception:  # noqa: BLE001 - as in run()
                _HOOK_LOG.warning("hook %r raised; the call goes on", method, exc_info=True)
        return out


class _ClientLogger(logging.Logger):
    """A client's own logger, kept out of the logging module's registry.

    ``logging.getLogger`` keeps every logger it made for the life of the
    process, so one per client would leak with every short-lived client.
    This one is made directly, with ``tcfunc.client`` as its parent, and is
    collected with its client. The registry's cache resets never reach a
    logger outside it, so its level check is not cached.
    """

    def isEnabledFor(self, level: int) -> bool:
        if self.manager.disable >= level:
            return False
        return level >= self.getEffectiveLevel()


def _close_all(handlers: Dict[str, logging.Handler]) -> None:
    for handler in handlers.values():
        handler.close()
    handlers.clear()


class LogHook:
    """The built-in debug-logging hook, and the owner of a client's logger.

    Until a ``set_*_logger`` method (or :attr:`logger`) is used, lines go to
    the shared ``tcfunc.client`` logger. Handlers are closed by :meth:`close`
    and when the owning client is collected.
    """

    __slots__ = ("__weakref__", "_finalizer", "_handlers", "_lock", "_name", "_own", "log")

    def __init__(self, service: str, owner: object) -> None:
        self.log: logging.Logger = _SHARED_LOGGER
        self._own: Optional[logging.Logger] = None
        self._name = f"tcfunc.client.{service or 'client'}"
        self._lock = threading.Lock()
        self._handlers: Dict[str, logging.Handler] = {}
        # Closes the files of a client dropped without close().
        self._finalizer = weakref.finalize(owner, _close_all, self._handlers)

    # -------------------------------------------------------------- the hook

    def before_send(self, info: Optional[CallInfo], prepared: Any) -> None:
        """Log the request (redacted) at DEBUG."""
        if self.log.isEnabledFor(_DEBUG):
            self.log.debug("request %s", RequestLine(prepared))

    def response(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        """Log an answer (body redacted) at DEBUG."""
        if self.log.isEnabledFor(_DEBUG):
            self.log.debug("response %s", ResponseLine(status, headers, body))

    def failed(self, error: Any) -> None:
        """Log an attempt that got no answer at DEBUG."""
        if self.log.isEnabledFor(_DEBUG):
            self.log.debug("request failed: %s: %s", error.code, error.message)

    # ------------------------------------------------------ the client's logger

    @property
    def logger(self) -> logging.Logger:
        """The client's own logger, a child of ``tcfunc.client`` (made on first use)."""
        own = self._own
        if own is None:
            with self._lock:
                if self._own is None:
                    own = _ClientLogger(f"{self._name}.{next(_LOGGER_IDS)}")
                    own.parent = _SHARED_LOGGER
                    self._own = own
                    self.log = own
                own = self._own
        return own

    def install(self, kind: str, handler: logging.Handler, level: int, fmt: Optional[str]) -> None:
        """Make ``handler`` the client's ``kind`` handler, replacing (and closing) the last."""
        handler.setLevel(level)
        handler.setFormatter(logging.Formatter(fmt or DEFAULT_FORMAT))
        logger = self.logger
        with self._lock:
            old = self._handlers.pop(kind, None)
            if old is not None:
                logger.removeHandler(old)
                old.close()
            self._handlers[kind] = handler
            logger.addHandler(handler)
            logger.setLevel(min(h.level for h in self._handlers.values()))
            # The client's own handlers show its lines; passing them on to
            # the root's handlers too would print every line twice.
            logger.propagate = False

    def stream_handler(self, stream: Any, level: int, fmt: Optional[str]) -> None:
        """``set_stream_logger``: lines to ``stream`` (default ``sys.stderr``)."""
        self.install("stream", logging.StreamHandler(stream), level, fmt)

    def file_handler(self, file_path: Any, level: int, fmt: Optional[str]) -> None:
        """``set_file_logger``: a rotating file (512 MB x 10); a directory gets tcfunc.log."""
        import logging.handlers  # only for file logging; keeps the cold start light

        path = os.fspath(file_path)
        if os.path.isdir(path):
            path = os.path.join(path, "tcfunc.log")
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=512 * 1024 * 1024, backupCount=10, encoding="utf-8"
        )
        self.install("file", handler, level, fmt)

    def reset(self) -> None:
        """``set_default_logger``: no handlers of its own; lines go to ``tcfunc`` again."""
        logger = self.logger
        with self._lock:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            _close_all(self._handlers)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True

    def close(self) -> None:
        """Close the client's handlers; its lines go to ``tcfunc`` again, as after reset()."""
        own = self._own
        with self._lock:
            if own is not None and self._handlers:
                for handler in self._handlers.values():
                    own.removeHandler(handler)
                own.setLevel(logging.NOTSET)
                own.propagate = True
            _close_all(self._handlers)
