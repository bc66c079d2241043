"""Everything an exception could show a reader, for checks that no secret is in it."""

from __future__ import annotations

import pickle
import traceback
from typing import Iterable, List, Set


def exception_chain(exc: BaseException) -> List[BaseException]:
    """``exc`` and every exception reachable through ``__cause__`` and ``__context__``."""
    out: List[BaseException] = []
    seen: Set[int] = set()
    todo = [exc]
    while todo:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        out.append(error)
        todo.extend(e for e in (error.__cause__, error.__context__) if e is not None)
    return out


def exception_text(exc: BaseException) -> str:
    """The printed traceback of ``exc`` and its chain, with each link's str, repr and args."""
    parts = ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    for error in exception_chain(exc):
        parts.extend((str(error), repr(error), repr(error.args), repr(vars(error))))
    return "\n".join(parts)


def assert_no_secret(exc: BaseException, secrets: Iterable[str]) -> None:
    """Fail if any of ``secrets`` shows anywhere in ``exc``, its chain, or its pickled form."""
    text = exception_text(exc)
    blob = pickle.dumps(exc)
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaks through {type(exc).__name__}"
        assert secret.encode() not in blob, f"{secret!r} leaks into the pickle of {exc!r}"
