"""The value a hook is told about an attempt (public as ``tcfunc.hooks.CallInfo``).

A module of its own so that a client without hooks, the default, never
builds the class: the call flow makes a ``CallInfo`` only when a hook is
there to receive it, and a cold start loads this module only then.
"""

from __future__ import annotations

import attrs

from ._value import FrozenValue

__all__ = ["CallInfo"]


@attrs.frozen(repr=False, eq=False)
class CallInfo(FrozenValue):
    """What a hook is told about the attempt it observes (``attempt`` counts from 1)."""

    service: str
    version: str
    action: str
    region: str
    attempt: int


# Its public home, for reprs, docs and pickles (tcfunc.hooks resolves the name).
CallInfo.__module__ = "tcfunc.hooks"
