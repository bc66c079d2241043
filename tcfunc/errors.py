"""The one exception type users catch, and the codes tcfunc raises itself.

Two rules every exception tcfunc raises follows:

- It pickles (and copies) intact, subclasses included: the base class's
  :meth:`~TencentCloudSDKException.__reduce__` rebuilds an error from its
  ``args`` and attributes without calling the subclass's ``__init__``, so a
  ``ClientNetworkError`` raised in a ``ProcessPoolExecutor`` worker comes
  back with its code, message, requestId and ``reached_server``.
- It carries no secret in its chain. ``raise ... from None`` hides the
  original in a printed traceback but still keeps it in ``__context__``,
  where a debugger, a log formatter or an error tracker finds it (a v1 GET's
  URL with its Signature, a configparser error quoting a ``secret_key``
  line). Use :func:`detached` around code that translates such errors, or
  :func:`detach` on an error you hold, to drop the chain.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Dict, Literal, Optional, Tuple, Type, TypeVar

__all__ = ["TencentCloudSDKException", "detach", "detached"]

_E = TypeVar("_E", bound=BaseException)


def _rebuild(cls: Type[TencentCloudSDKException], args: Tuple[Any, ...]) -> Any:
    # BaseException.__new__ sets args and runs no __init__: a subclass's own
    # constructor signature (NetworkError(message, *, reached_server)) never
    # sees the base class's (code, message, requestId).
    error = cls.__new__(cls)
    error.args = args
    return error


class TencentCloudSDKException(Exception):
    """An error from tcfunc or from the Tencent Cloud API.

    ``code`` is an API error code (``AuthFailure.SignatureFailure``) or one of
    tcfunc's own (``ClientError``, ``ClientNetworkError``, ``ServerNetworkError``,
    ``InvalidCredential``, ...). ``str()`` has the official SDK's format so that
    log scrapers keep working. Every subclass pickles intact with no code of
    its own (see :meth:`__reduce__`).
    """

    def __init__(
        self,
        code: Optional[str] = None,
        message: Optional[str] = None,
        requestId: Optional[str] = None,
    ) -> None:
        super().__init__(code, message, requestId)
        self.code = code
        self.message = message
        self.requestId = requestId

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...], Dict[str, Any]]:
        """Rebuild from ``args`` and the instance attributes, bypassing ``__init__``.

        The attributes (``code``, ``message``, ``requestId`` and any a subclass
        sets, such as ``status`` or ``reached_server``) are restored by
        ``BaseException.__setstate__``. The chain (``__cause__``,
        ``__context__``) and the traceback are never pickled.
        """
        return (_rebuild, (type(self), self.args), dict(self.__dict__))

    def __str__(self) -> str:
        return (
            f"[TencentCloudSDKException] code:{self.code} "
            f"message:{self.message} requestId:{self.requestId}"
        )

    def __repr__(self) -> str:
        return (
            f"TencentCloudSDKException(code={self.code!r}, message={self.message!r}, "
            f"requestId={self.requestId!r})"
        )

    def get_code(self) -> Optional[str]:
        """The error code."""
        return self.code

    def get_message(self) -> Optional[str]:
        """The human-readable message."""
        return self.message

    def get_request_id(self) -> Optional[str]:
        """The API's RequestId, when the server answered."""
        return self.requestId


def detach(error: _E) -> _E:
    """``error`` with its chain dropped: no ``__cause__``, no ``__context__``.

    For an error you hold and are about to raise *outside* an ``except``
    block, or store. Inside an ``except`` block Python sets ``__context__``
    again at the ``raise``, so there use :func:`detached` instead::

        with detached():
            try:
                number = int(text)
            except ValueError:
                raise TencentCloudSDKException("ClientError", "not a number") from None
    """
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    return error


class _Detached:
    """The context manager :func:`detached` returns (stateless, so shared)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        error: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> Literal[False]:
        if isinstance(error, TencentCloudSDKException):
            detach(error)
        return False  # the error propagates, now without its chain


_DETACHED = _Detached()


def detached() -> _Detached:
    """A ``with`` block whose escaping :class:`TencentCloudSDKException` has no chain.

    Wrap the code that turns a foreign error (which may quote a secret: a
    URL with a signature, a file line with a key, a provider's message) into
    a tcfunc error. The tcfunc error leaves the block with ``__cause__`` and
    ``__context__`` cleared, so neither a traceback, a debugger, an error
    tracker nor ``traceback.format_exception`` can reach the original. Other
    exceptions (``KeyboardInterrupt``, bugs) pass through unchanged. The
    message of the tcfunc error must itself not quote the original: name
    its type, not its text.

    Returns:
        A reusable context manager; entering it costs one method call.
    """
    return _DETACHED
