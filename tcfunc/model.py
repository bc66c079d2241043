"""Typed request and response models: the base of generated service clients.

A model is a frozen ``attrs`` class whose fields carry the API's own names
(``InstanceIds``, ``TotalCount``). :meth:`Model.to_api` turns one into the
JSON object the API expects, leaving out fields that are unset (None);
:meth:`Model.from_api` reads the API's JSON back, converting nested objects
and lists of objects into their models, keeping fields the model does not
know in :attr:`Model.extra` (APIs grow new fields; an old client must not
break), and treating a missing or ``null`` optional field as None.

Write a model by hand like this, at module level (field types are resolved
from the module's names)::

    @attrs.frozen(kw_only=True, repr=False)
    class Filter(Model):
        Name: str
        Values: List[str]

``repr=False`` keeps :class:`Model`'s readable repr: set fields only, with
values of secret-looking fields (:func:`is_secret_name`: ``SecretKey``,
``SecretString``, ``Plaintext``, ``Token``, ``Password``, ``ApiKey``, ...)
masked, in :attr:`Model.extra` and headers too. Field types may be written
``Optional[X]`` or, on Python 3.10+, ``X | None``. The module imports only
``attrs`` and the standard library.

How strict, a decision:

- **Building a model is strict** where the model says so: generated models
  check each member's type in ``__attrs_post_init__`` (with :func:`check`,
  :func:`check_list` and their ``required`` forms), so
  ``DescribeInstancesRequest(Limit="10")`` or ``Filter(Values="a")`` raises a
  ``ClientError`` naming the model and member before anything is sent.
  Hand-written models may call the same helpers.
- **Reading an answer is lenient**: :meth:`Model.from_api` of a response
  model never runs member checks (a model that has an
  ``__attrs_post_init__`` is built without ``__init__``, so without its
  checks, converters or validators), keeps members it does not know in
  :attr:`Model.extra`, and keeps a scalar of an unexpected type as sent; only
  a shape that cannot be a model (a string where an object or a list is
  declared) or a missing required member raises. An answer never breaks on a
  new member or on a number sent as a string.
- Reading a **request** model (a :class:`RequestModel`: ``from_api``,
  ``from_json_string``) goes through ``__init__``, with every check; unknown
  members go to :attr:`Model.extra` and are sent.

Models are frozen. Setting or deleting a member raises a ``ClientError``
(:class:`FrozenModelError`, also attrs' ``FrozenInstanceError``)
that says to pass it to the constructor or to use ``attrs.evolve``; and the
official SDK's in-place ``req.from_json_string(s)`` raises too (it would
otherwise do nothing, silently): write ``req = Req.from_json_string(s)``.
That message needs models built with ``slots=True`` (``attrs.frozen``'s
default); a model built with ``slots=False`` raises attrs' own
``FrozenInstanceError``.
"""

from __future__ import annotations

import collections.abc
import json
import types
import typing
from typing import (
    Any,
    Callable,
    ClassVar,
    Dict,
    List,
    Mapping,
    NoReturn,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
    overload,
)

import attrs

from ._secrets import is_secret_name
from ._validate import FrozenValueError
from .errors import TencentCloudSDKException

__all__ = [
    "FrozenModelError",
    "Model",
    "RequestModel",
    "check",
    "check_list",
    "check_request",
    "check_required",
    "check_required_list",
    "is_secret_name",
]

M = TypeVar("M", bound="Model")

_RESERVED = ("headers", "extra")
# Field kinds used when reading API JSON.
_ANY = "any"
_FLOAT = "float"
_MODEL = "model"
_LIST = "list"


def _copy_headers(value: Optional[Mapping[str, str]]) -> Optional[Mapping[str, str]]:
    return None if value is None else dict(value)


def _copy_extra(value: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    return {} if value is None else dict(value)


# ``X | None`` (Python 3.10+) has this origin rather than typing.Union.
_UNION_TYPE: Any = getattr(types, "UnionType", None)

# A kind is ("any",), ("float",), ("model", cls) or ("list", kind).
_Kind = Tuple[Any, ...]
_FieldPlan = Tuple[str, str, _Kind, bool]  # attribute, API name, kind, required


def _kind_of(tp: Any) -> _Kind:
    origin = typing.get_origin(tp)
    if origin is Union or (_UNION_TYPE is not None and origin is _UNION_TYPE):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return _kind_of(members[0]) if len(members) == 1 else (_ANY,)
    if origin in (list, tuple, collections.abc.Sequence):
        items = typing.get_args(tp)
        return (_LIST, _kind_of(items[0]) if items else (_ANY,))
    if isinstance(tp, type) and issubclass(tp, Model):
        return (_MODEL, tp)
    if tp is float:
        return (_FLOAT,)
    return (_ANY,)


def _decode(kind: _Kind, value: Any, where: str, strict: bool) -> Any:
    if value is None:
        return None
    tag = kind[0]
    if tag == _MODEL:
        if not isinstance(value, Mapping):
            raise TencentCloudSDKException(
                "ClientError", f"{where}: expected a JSON object, got {type(value).__name__}"
            )
        return kind[1]._from_api(value, where, strict)
    if tag == _LIST:
        if not isinstance(value, list):
            raise TencentCloudSDKException(
                "ClientError", f"{where}: expected a JSON array, got {type(value).__name__}"
            )
        return [_decode(kind[1], item, f"{where}[{i}]", strict) for i, item in enumerate(value)]
    if tag == _FLOAT and isinstance(value, int) and not isinstance(value, bool):
        # JSON has one number type: 1 where the API documents a float.
        return float(value)
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_api()
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _encode(item) for key, item in value.items()}
    return value


def _masked_repr(name: str, value: Any) -> str:
    # A flag or a number names no credential (NeedResetPassword=True, an LLM's
    # CompletionTokens=12); anything else under a secret name is masked whole,
    # nested models and lists included.
    if is_secret_name(name) and value is not None and not isinstance(value, (bool, int, float)):
        return "'***'"
    # Unknown fields arrive as plain JSON: mask secrets nested inside them too.
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k!r}: {_masked_repr(str(k), v)}" for k, v in value.items())
        return f"{{{inner}}}"
    if isinstance(value, list):
        return f"[{', '.join(_masked_repr(name, item) for item in value)}]"
    return repr(value)


# --- member checks, called by generated models' __attrs_post_init__ ----------
#
# Kept to one type comparison in the common case (the exact type): building a
# request model is on the path of every call.


def _accepts(value: object, kind: type) -> bool:
    """Whether ``value`` may be stored in a member declared as ``kind``."""
    cls = type(value)
    if cls is kind:
        return True
    if cls is bool:  # a bool is an int to Python, never to the API
        return False
    if kind is float:  # JSON has one number type: 1 where a float is declared
        return isinstance(value, (int, float))
    if kind is bytes:
        return isinstance(value, (bytes, bytearray))
    return isinstance(value, kind)


def _refuse(model: object, name: str, expected: str, value: object) -> NoReturn:
    # The value itself is never shown: a member may hold a secret.
    raise TencentCloudSDKException(
        "ClientError",
        f"{type(model).__name__}.{name}: expected {expected}, got {type(value).__name__}",
    )


def check(model: object, name: str, value: object, kind: type) -> None:
    """Refuse an optional member's value that is not None nor a ``kind``.

    Raises:
        TencentCloudSDKException: ``ClientError`` naming the model and member.
    """
    if value is not None and type(value) is not kind and not _accepts(value, kind):
        _refuse(model, name, kind.__name__, value)


def check_required(model: object, name: str, value: object, kind: type) -> None:
    """Like :func:`check` for a required member: None is refused too."""
    if type(value) is not kind and not _accepts(value, kind):
        _refuse(model, name, kind.__name__, value)


def check_list(model: object, name: str, value: object, kind: type) -> None:
    """Refuse an optional list member that is not None nor a list (or tuple) of ``kind``."""
    if value is not None:
        check_required_list(model, name, value, kind)


def check_required_list(model: object, name: str, value: object, kind: type) -> None:
    """Like :func:`check_list` for a required member: None is refused too."""
    if type(value) is not list and not isinstance(value, (list, tuple)):
        _refuse(model, name, f"a list of {kind.__name__}", value)
    for i, item in enumerate(value):
        if type(item) is not kind and not _accepts(item, kind):
            _refuse(model, f"{name}[{i}]", kind.__name__, item)


def check_request(action: str, request: object, model_type: Type[M]) -> M:
    """``request`` if it is a ``model_type``; else a ``ClientError`` before anything is sent.

    Generated service methods call this, so that a dict or another action's
    request model is refused with a message saying what to pass.
    """
    if isinstance(request, model_type):
        return request
    name = model_type.__name__
    hint = ""
    if isinstance(request, Mapping):
        hint = f": build one with {name}(**params), or {name}.from_api(params)"
    raise TencentCloudSDKException(
        "ClientError", f"{action} takes a {name}, got {type(request).__name__}{hint}"
    )


class FrozenModelError(FrozenValueError):
    """Raised on setting (or deleting) a member of a model: models are immutable.

    Code ``ClientError``; also an :class:`attrs.exceptions.FrozenInstanceError`
    (an ``AttributeError``), so code that catches either keeps working. The
    profiles' ``FrozenProfileError`` has the same shape and wording.
    """


def _refuse_change(model: Model, name: str) -> NoReturn:
    kind = type(model).__name__
    raise FrozenModelError(
        "ClientError",
        f"{kind} models are frozen and cannot be changed after construction (setting "
        f"{name!r}): pass {name}=... to the constructor, {kind}({name}=...), or make a "
        f"changed copy with attrs.evolve(model, {name}=...)",
    )


def _frozen_setattr(self: Model, name: str, value: object) -> NoReturn:
    _refuse_change(self, name)


def _frozen_delattr(self: Model, name: str) -> NoReturn:
    _refuse_change(self, name)


class _FromJsonString:
    """``from_json_string``: a class method; on an instance it refuses to do nothing.

    The official SDK's idiom ``req = Req(); req.from_json_string(s)`` fills
    ``req`` in place. Models are immutable, so on an instance this raises a
    ``ClientError`` that shows the form that works instead of returning a
    model the statement would drop.
    """

    @overload
    def __get__(self, obj: None, owner: Type[M]) -> Callable[[Union[str, bytes]], M]: ...

    @overload
    def __get__(self, obj: Model, owner: Type[Any]) -> Callable[[Union[str, bytes]], NoReturn]: ...

    def __get__(self, obj: Optional[Model], owner: Type[Any]) -> Callable[[Union[str, bytes]], Any]:
        if obj is None:
            return cast(Callable[[Union[str, bytes]], Any], owner._from_json_string)
        name = owner.__name__

        def refuse(text: Union[str, bytes]) -> NoReturn:
            raise TencentCloudSDKException(
                "ClientError",
                f"{name} models are frozen, so req.from_json_string(s) cannot fill req in "
                f"place: write req = {name}.from_json_string(s), which returns the model",
            )

        return refuse


@attrs.frozen(kw_only=True, repr=False)
class Model:
    """Base of typed request and response models.

    Attributes:
        headers: extra HTTP headers sent with this request (for example
            ``{"X-TC-TraceId": "..."}``); never part of the JSON.
        extra: fields the API sent (or that you want to send) which the
            model does not declare; merged into :meth:`to_api`'s output.
    """

    headers: Optional[Mapping[str, str]] = attrs.field(default=None, converter=_copy_headers)
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_copy_extra)

    _plans: ClassVar[Dict[type, Tuple[_FieldPlan, ...]]] = {}
    _blanks: ClassVar[Dict[type, Optional[Tuple[Dict[str, Any], Tuple[Tuple[str, Any], ...]]]]] = {}
    # Whether from_api builds through __init__ (with the member checks): True
    # for request models, False (lenient) for everything else.
    _strict_api: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # attrs refuses to freeze a class with its own __setattr__, and builds a
        # slotted class anew: that second class (with __attrs_attrs__) gets ours.
        if "__attrs_attrs__" in cls.__dict__:
            cls.__setattr__ = _frozen_setattr  # type: ignore[assignment]
            cls.__delattr__ = _frozen_delattr  # type: ignore[assignment]

    @classmethod
    def _plan(cls) -> Tuple[_FieldPlan, ...]:
        plan = Model._plans.get(cls)
        if plan is not None:
            return plan
        try:
            # Each class's annotations resolve in its own module's namespace.
            hints = typing.get_type_hints(cls)
        except NameError as exc:
            raise TypeError(
                f"cannot resolve the field types of {cls.__qualname__} ({exc}); "
                "define models at module level"
            ) from None
        fields: List[_FieldPlan] = []
        for field in attrs.fields(cls):
            if field.name in _RESERVED:
                continue
            api_name = field.metadata.get("api_name", field.name)
            kind = _kind_of(hints.get(field.name, Any))
            fields.append((field.name, api_name, kind, field.default is attrs.NOTHING))
        plan = tuple(fields)
        Model._plans[cls] = plan
        return plan

    def to_api(self) -> Dict[str, Any]:
        """The API's JSON object: set fields by their API names, then :attr:`extra`."""
        out: Dict[str, Any] = {}
        for attr, api_name, _kind, _required in self._plan():
            value = getattr(self, attr)
            if value is not None:
                out[api_name] = _encode(value)
        for key, value in self.extra.items():
            if key not in out and value is not None:
                out[key] = _encode(value)
        return out

    @classmethod
    def _blank(cls) -> Optional[Tuple[Dict[str, Any], Tuple[Tuple[str, Any], ...]]]:
        """For lenient reads: the plain defaults by field, and the fields with a factory.

        None for a class without ``__attrs_post_init__`` (no member checks to
        skip): its own ``__init__`` is the faster way to build it.
        """
        if cls in Model._blanks:
            return Model._blanks[cls]
        blank = None
        if getattr(cls, "__attrs_post_init__", None) is not None:
            plain: Dict[str, Any] = {}
            factories = []
            for field in attrs.fields(cls):
                if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                    factories.append((field.name, field.default))
                else:  # NOTHING for a required field, which _from_api has checked
                    plain[field.name] = field.default
            blank = (plain, tuple(factories))
        Model._blanks[cls] = blank
        return blank

    @classmethod
    def from_api(cls: Type[M], data: Mapping[str, Any]) -> M:
        """Read the API's JSON object (for a response, the ``Response`` member).

        Lenient for answers, strict for a :class:`RequestModel` (see the
        module's documentation): members the model does not declare are kept
        in :attr:`extra`.

        Raises:
            TencentCloudSDKException: ``ClientError`` when ``data`` (or a nested
                value) is not the JSON shape the model declares (for a request
                model, also a member of the wrong type);
                ``MissingParameter`` when a required field is absent.
        """
        return cls._from_api(data, cls.__name__, cls._strict_api)

    @classmethod
    def _from_api(cls: Type[M], data: Mapping[str, Any], where: str, strict: bool) -> M:
        if not isinstance(data, Mapping):
            raise TencentCloudSDKException(
                "ClientError", f"{where}: expected a JSON object, got {type(data).__name__}"
            )
        kwargs: Dict[str, Any] = {}
        known = set()
        for attr, api_name, kind, required in cls._plan():
            known.add(api_name)
            value = data.get(api_name)
            if value is None:
                if required:
                    raise TencentCloudSDKException(
                        "MissingParameter", f"{where}: the required field {api_name} is missing"
                    )
                continue
            kwargs[attr] = _decode(kind, value, f"{where}.{api_name}", strict)
        extra = {key: value for key, value in data.items() if key not in known}
        blank = None if strict else cls._blank()
        if blank is None:
            if extra:
                kwargs["extra"] = extra
            return cls(**kwargs)
        # Lenient: the values as read, without __init__ and so without the checks.
        model = object.__new__(cls)
        kwargs["extra"] = extra
        plain, factories = blank
        for attr, factory in factories:
            if attr not in kwargs:
                kwargs[attr] = factory.factory(model) if factory.takes_self else factory.factory()
        setter = object.__setattr__
        for attr, value in {**plain, **kwargs}.items():
            setter(model, attr, value)
        return model

    def to_json_string(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_api(), **kwargs)`` (the official models' helper)."""
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_api(), **kwargs)

    # Model.from_json_string(s) returns the model; called on an instance (the
    # official in-place idiom) it raises instead of silently doing nothing.
    from_json_string = _FromJsonString()

    @classmethod
    def _from_json_string(cls: Type[M], text: Union[str, bytes]) -> M:
        """:meth:`from_api` of a JSON text; returns the model (models are immutable)."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TencentCloudSDKException(
                "ClientError", f"{cls.__name__}: not JSON ({exc.__class__.__name__})"
            ) from None
        return cls.from_api(data)

    def __repr__(self) -> str:
        parts = []
        for attr, api_name, _kind, _required in self._plan():
            value = getattr(self, attr)
            if value is not None:
                parts.append(f"{attr}={_masked_repr(api_name, value)}")
        if self.extra:
            parts.append(f"extra={_masked_repr('extra', self.extra)}")
        if self.headers:
            parts.append(f"headers={_masked_repr('headers', self.headers)}")
        return f"{type(self).__name__}({', '.join(parts)})"


@attrs.frozen(kw_only=True, repr=False)
class RequestModel(Model):
    """Base of request models: :meth:`Model.from_api` builds them through ``__init__``.

    So a request read from JSON (``Req.from_json_string(s)``, the official
    SDK's way to build one) gets every member check a constructed one gets.
    """

    _strict_api: ClassVar[bool] = True
