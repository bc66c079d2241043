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
"""

from __future__ import annotations

import collections.abc
import json
import types
import typing
from typing import (
    Any,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

import attrs

from ._secrets import is_secret_name
from .errors import TencentCloudSDKException

__all__ = ["Model", "is_secret_name"]

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


def _decode(kind: _Kind, value: Any, where: str) -> Any:
    if value is None:
        return None
    tag = kind[0]
    if tag == _MODEL:
        if not isinstance(value, Mapping):
            raise TencentCloudSDKException(
                "ClientError", f"{where}: expected a JSON object, got {type(value).__name__}"
            )
        return kind[1]._from_api(value, where)
    if tag == _LIST:
        if not isinstance(value, list):
            raise TencentCloudSDKException(
                "ClientError", f"{where}: expected a JSON array, got {type(value).__name__}"
            )
        return [_decode(kind[1], item, f"{where}[{i}]") for i, item in enumerate(value)]
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
    def from_api(cls: Type[M], data: Mapping[str, Any]) -> M:
        """Read the API's JSON object (for a response, the ``Response`` member).

        Raises:
            TencentCloudSDKException: ``ClientError`` when ``data`` (or a nested
                value) is not the JSON shape the model declares;
                ``MissingParameter`` when a required field is absent.
        """
        return cls._from_api(data, cls.__name__)

    @classmethod
    def _from_api(cls: Type[M], data: Mapping[str, Any], where: str) -> M:
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
            kwargs[attr] = _decode(kind, value, f"{where}.{api_name}")
        extra = {key: value for key, value in data.items() if key not in known}
        if extra:
            kwargs["extra"] = extra
        return cls(**kwargs)

    def to_json_string(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_api(), **kwargs)`` (the official models' helper)."""
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_api(), **kwargs)

    @classmethod
    def from_json_string(cls: Type[M], text: Union[str, bytes]) -> M:
        """:meth:`from_api` of a JSON text."""
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
