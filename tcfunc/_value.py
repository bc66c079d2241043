"""The repr, ``==`` and hash of tcfunc's frozen values, written once for all of them.

attrs writes these three methods for each class as source text and compiles
it when the class is made: for the value classes a cold start builds
(Credential, the profiles, RequestOptions, PreparedRequest, the retryers,
...) that was about half of attrs' compile time, some 3 ms of every fresh
process. A class made with ``@attrs.frozen(repr=False, eq=False)`` that
derives from :class:`FrozenValue` gets the same behaviour from this ordinary
(byte-compiled) code: the fields attrs would use, read from the class's
attrs metadata on first use, each field's ``repr``/``eq``/``hash``/``eq_key``
settings honoured. attrs still makes ``__init__`` (validators, converters,
``attrs.evolve``) and the frozen ``__setattr__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Tuple

import attrs

if TYPE_CHECKING:  # aliases for the annotations only: subscripting typing costs at import
    from typing import Callable, Optional

    # (name, None for !r or the field's repr callable)
    _ReprPlan = Tuple[Tuple[str, Optional[Callable[[Any], str]]], ...]
    # (name, the field's eq_key or None)
    _EqPlan = Tuple[Tuple[str, Optional[Callable[[Any], Any]]], ...]

__all__ = ["FrozenValue"]


class _Plan:
    __slots__ = ("eq", "hash", "repr")

    def __init__(self, cls: type) -> None:
        fields = attrs.fields(cls)
        self.repr: _ReprPlan = tuple(
            (a.name, None if a.repr is True else a.repr) for a in fields if a.repr is not False
        )
        self.eq: _EqPlan = tuple((a.name, a.eq_key) for a in fields if a.eq)
        # attrs: a field's hash follows its eq unless set on its own.
        self.hash: _EqPlan = tuple(
            (a.name, a.eq_key) for a in fields if a.hash is True or (a.hash is None and a.eq)
        )


_PLANS: Dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        # Two threads may both build it: the same value, either one kept.
        plan = _PLANS[cls] = _Plan(cls)
    return plan


def _values(value: Any, fields: _EqPlan) -> Tuple[Any, ...]:
    return tuple(
        getattr(value, name) if key is None else key(getattr(value, name)) for name, key in fields
    )


class FrozenValue:
    """Base of tcfunc's frozen attrs values: attrs' repr, ``==`` and hash, shared.

    Use as ``@attrs.frozen(repr=False, eq=False)`` on a subclass. Equal means
    the same class and equal fields (in order, ``eq=False`` fields left out);
    the repr is ``Name(field=value, ...)`` with ``repr=False`` fields left out
    and a field's repr callable used as attrs uses it.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        parts = []
        for name, show in _plan(type(self)).repr:
            value = getattr(self, name)
            parts.append(f"{name}={value!r}" if show is None else f"{name}={show(value)}")
        # attrs' own rule for the name: the qualified name past any "<locals>.".
        name = type(self).__qualname__.rsplit(">.", 1)[-1]
        return f"{name}({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        fields = _plan(type(self)).eq
        # Field by field with ==, as attrs does (a tuple compare would call
        # two NaN fields that are the same object equal).
        for mine, theirs in zip(_values(self, fields), _values(other, fields)):
            if not mine == theirs:
                return False
        return True

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        cls = type(self)
        return hash((cls.__module__, cls.__qualname__, *_values(self, _plan(cls).hash)))
