"""tccli-style API specs for the emulator: loading, validation, documented examples.

A spec tree is laid out as the ``tccli`` package ships it::

    <root>/<service>/v<yyyymmdd>/api.json       actions, request/response objects
    <root>/<service>/v<yyyymmdd>/examples.json  documented request/response pairs

Validation follows what the documented examples need, because the docs are
the ground truth for how strict the real API is: numbers and booleans may
arrive as strings (GET and v1 requests carry only strings, and JSON examples
such as STS ``"DurationSeconds": "1800"`` do it too), a member the request
object does not define answers ``UnknownParameter`` (as the real API does,
naming it), and a required member that is absent or null answers
``MissingParameter``. Anything else of the wrong shape answers
``InvalidParameter``. Where a documented example breaks one of these rules
the example wins: it shows a request the docs call valid.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple, Union
from urllib.parse import unquote

import attrs

from ..errors import TencentCloudSDKException
from ..verify import unflatten_params

__all__ = ["ActionSpec", "Example", "ServiceSpec", "SpecTree", "parse_example_input"]

logger = logging.getLogger("tcfunc.testing")

_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_VERSION = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_TRUE = frozenset(("true", "1"))
_FALSE = frozenset(("false", "0"))
_INT_TYPES = frozenset(("int", "int32", "int64", "uint32", "uint64", "integer", "long"))
_FLOAT_TYPES = frozenset(("float", "double", "number"))
_COMMON_PLACEHOLDER = "<公共请求参数>"
_MAX_DEPTH = 64


@attrs.frozen
class Example:
    """One documented example: its request params (None when the docs' text
    could not be read) and its ``Response`` object."""

    title: str
    params: Optional[Dict[str, Any]] = attrs.field(repr=False)
    response: Dict[str, Any] = attrs.field(repr=False)


@attrs.frozen
class ActionSpec:
    """One action of a service version: its request object and examples."""

    name: str
    input: str
    examples: Tuple[Example, ...] = attrs.field(repr=lambda e: f"<{len(e)} examples>")
    #: Member paths (``Rules.*.KeepEnable``) that a documented example of this
    #: action leaves out or shapes differently from api.json. Where the two
    #: documents disagree the example wins: it shows a request the docs call valid.
    exempt: FrozenSet[str] = frozenset()


@attrs.frozen
class ServiceSpec:
    """The spec of one service version (``cvm`` ``2017-03-12``)."""

    service: str
    version: str
    actions: Mapping[str, ActionSpec] = attrs.field(repr=lambda a: f"<{len(a)} actions>")
    objects: Mapping[str, Any] = attrs.field(repr=False)

    def validate(self, action: str, params: Mapping[str, Any]) -> None:
        """Check ``params`` against the action's request object.

        Raises:
            TencentCloudSDKException: ``MissingParameter``, ``InvalidParameter``
                or ``UnknownParameter``.
        """
        spec = self.actions.get(action)
        if spec is None:
            return
        _Validator(self.objects, spec.exempt).check_object(spec.input, params, "", 0)

    def members(self, action: str) -> Tuple[str, ...]:
        """The names of the top-level members of ``action``'s request object."""
        spec = self.actions.get(action)
        obj = self.objects.get(spec.input) if spec is not None else None
        if not isinstance(obj, Mapping):
            return ()
        return tuple(
            str(m.get("name", "")) for m in obj.get("members") or () if isinstance(m, Mapping)
        )

    def example_response(self, action: str, params: Mapping[str, Any]) -> Dict[str, Any]:
        """The documented output whose input equals ``params``, else the first one.

        An action without usable examples answers an empty ``Response``. The
        returned dict is a fresh copy (callers may edit it).
        """
        spec = self.actions.get(action)
        if spec is None or not spec.examples:
            return {}
        wanted = canonical(params)
        chosen = next(
            (
                ex
                for ex in spec.examples
                if ex.params is not None and canonical(ex.params) == wanted
            ),
            spec.examples[0],
        )
        copied: Dict[str, Any] = json.loads(json.dumps(chosen.response))
        return copied


def canonical(value: Any) -> Any:
    """A form in which a GET request's strings equal a JSON example's numbers."""
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text = str(value)
    return text.lower() if text.lower() in ("true", "false") else text


class _Validator:
    """Walks params along the request object; raises, or collects when ``collect``."""

    def __init__(
        self,
        objects: Mapping[str, Any],
        exempt: FrozenSet[str] = frozenset(),
        collect: bool = False,
    ) -> None:
        self.objects = objects
        self.exempt = exempt
        self.collect = collect
        self.found: List[str] = []

    def _report(self, path: str, error: TencentCloudSDKException) -> None:
        pattern = _pattern(path)
        if pattern in self.exempt:
            return
        if not self.collect:
            raise error
        self.found.append(pattern)

    def check_object(self, name: str, value: Any, path: str, depth: int) -> None:
        obj = self.objects.get(name)
        if not isinstance(value, Mapping):
            where = path.rstrip(".") or name
            self._report(where, _invalid(where, "an object"))
            return
        if not isinstance(obj, Mapping) or depth > _MAX_DEPTH:
            return
        members = [m for m in obj.get("members") or () if isinstance(m, Mapping)]
        known = {str(m.get("name", "")) for m in members}
        for key in value:
            if str(key) not in known:
                self._report(
                    f"{path}{key}",
                    TencentCloudSDKException(
                        "UnknownParameter", f"The parameter `{path}{key}` is not recognized."
                    ),
                )
        for member in members:
            field = str(member.get("name", ""))
            present = value.get(field)
            if present is None:
                if member.get("required") is True:
                    self._report(
                        f"{path}{field}",
                        TencentCloudSDKException(
                            "MissingParameter",
                            f"The request is missing a required parameter `{path}{field}`.",
                        ),
                    )
                continue
            self.check_value(
                str(member.get("type", "")), str(member.get("member", "")), present,
                f"{path}{field}", depth + 1,
            )  # fmt: skip

    def check_value(self, kind: str, member: str, value: Any, path: str, depth: int) -> None:
        if _pattern(path) in self.exempt:
            return
        if kind == "list":
            items = _as_list(value)
            if items is None:
                self._report(path, _invalid(path, "an array"))
                return
            for index, item in enumerate(items):
                if item is not None:
                    self.check_value(_element_kind(member, self.objects), member, item,
                                     f"{path}.{index}", depth + 1)  # fmt: skip
        elif kind == "object":
            self.check_object(member, value, f"{path}.", depth)
        elif not _scalar_ok(kind, value):
            self._report(path, _invalid(path, _EXPECTED.get(kind, kind)))


def _pattern(path: str) -> str:
    """``Rules.0.KeepEnable`` -> ``Rules.*.KeepEnable``: exemptions hold for every index."""
    return re.sub(r"(?:(?<=\.)|^)\d+(?=\.|$)", "*", path)


_EXPECTED = {
    "string": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "binary": "binary data",
}


def _invalid(path: str, expected: str) -> TencentCloudSDKException:
    return TencentCloudSDKException(
        "InvalidParameter", f"The value type of parameter `{path}` is invalid; expected {expected}."
    )


def _element_kind(member: str, objects: Mapping[str, Any]) -> str:
    if member in objects:
        return "object"
    lowered = member.lower()
    if lowered in _INT_TYPES:
        return "int"
    if lowered in _FLOAT_TYPES:
        return "float"
    if lowered == "bool":
        return "bool"
    if lowered == "binary":
        return "binary"
    # string, datetime, date, datetime_iso and unknown scalar names.
    return "string"


def _as_list(value: Any) -> Optional[List[Any]]:
    if isinstance(value, (list, tuple)):
        return list(value)
    # A GET query such as Ids.1=a without Ids.0 unflattens to a dict of digits.
    if isinstance(value, Mapping) and value and all(str(k).isdigit() for k in value):
        return [value[k] for k in sorted(value, key=lambda k: int(str(k)))]
    return None


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        # Documented examples send ids as bare numbers; the gateway reads them as text.
        return isinstance(value, str) or (
            isinstance(value, (int, float)) and not isinstance(value, bool)
        )
    if kind == "int":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, str) and (_INTEGER.match(value) is not None)
    if kind == "float":
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        return isinstance(value, str) and (_NUMBER.match(value) is not None)
    if kind == "bool":
        if isinstance(value, bool):
            return True
        if isinstance(value, int):
            return value in (0, 1)
        return isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE
    if kind == "binary":
        return isinstance(value, (str, bytes))
    return True


# --- examples.json ---------------------------------------------------------


def _lenient_json(text: str) -> Optional[Any]:
    try:
        return json.loads(text)
    except ValueError:
        pass
    start = text.find("{")
    if start < 0:
        return None
    candidate = text[start:]
    # Documentation snippets carry // comments and trailing commas now and then.
    cleaned = re.sub(r"(?m)^\s*//.*$", "", candidate)
    cleaned = re.sub(r",(\s*[}\]])", r"\1", cleaned)
    for attempt in (candidate, cleaned):
        try:
            value, _end = json.JSONDecoder().raw_decode(attempt)
        except ValueError:
            continue
        return value
    return None


def _query_params(text: str) -> Dict[str, Any]:
    query = text.split("?", 1)[1] if "?" in text else ""
    pairs: List[Tuple[str, str]] = []
    for segment in re.split(r"\r?\n?&", query):
        segment = segment.strip()
        if not segment or segment.strip("&") == _COMMON_PLACEHOLDER:
            continue
        if "=" not in segment:
            continue
        name, value = segment.split("=", 1)
        name = unquote(name.strip())
        if name in ("Action", "Version", "Region") or not name:
            continue
        pairs.append((name, unquote(value.strip())))
    try:
        return unflatten_params(pairs)
    except TencentCloudSDKException:
        # Conflicting names in the docs (A=1 and A.B=2): keep what is unambiguous.
        return {k: v for k, v in pairs if "." not in k}


def parse_example_input(text: str) -> Optional[Dict[str, Any]]:
    """The request params of a documented example, or None if unreadable.

    Handles the shapes found in tccli's examples: a raw ``POST / HTTP/1.1``
    request with a JSON body, a ``https://<host>/?Action=...&k=v`` query
    spread over lines, a bare JSON object, and ``<body>``-marked JSON.
    """
    stripped = text.strip()
    if stripped.startswith(("http://", "https://")) or (
        "?Action=" in stripped[:300] and not stripped.startswith(("POST", "GET", "{"))
    ):
        return _query_params(stripped)
    multipart = re.search(r"(?im)^content-type:\s*(multipart/form-data;[^\r\n]*)", stripped[:2000])
    if multipart is not None and re.search(r"\r?\n\s*\r?\n", stripped):
        return _multipart_example(multipart[1], stripped)
    if stripped.startswith("{"):
        body = stripped
    else:
        match = re.search(r"\r?\n\s*\r?\n", stripped)
        marker = stripped.find("<body>")
        if marker >= 0:
            body = stripped[marker + len("<body>") :]
        elif match is not None:
            body = stripped[match.end() :]
        else:
            brace = stripped.find("{")
            body = stripped[brace:] if brace >= 0 else ""
        if not body.strip():
            return {} if stripped.startswith(("POST", "GET")) else None
    value = _lenient_json(body)
    return value if isinstance(value, dict) else None


def _multipart_example(content_type: str, text: str) -> Optional[Dict[str, Any]]:
    match = re.search(r"\r?\n\s*\r?\n", text)
    body = text[match.end() :] if match else ""
    head = f"Content-Type: {content_type.strip()}\r\nMIME-Version: 1.0\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes((head + body).encode("utf-8"))
    if not message.is_multipart():
        return None
    params: Dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            params[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return params


def _example_response(text: Any) -> Dict[str, Any]:
    value = _lenient_json(text) if isinstance(text, str) else text
    if isinstance(value, dict):
        inner = value.get("Response", value)
        if isinstance(inner, dict):
            return inner
    return {}


def _examples(raw: Any) -> Tuple[Example, ...]:
    out: List[Example] = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping):
            continue
        out.append(
            Example(
                title=str(item.get("title", "")),
                params=parse_example_input(str(item.get("input", ""))),
                response=_example_response(item.get("output", "")),
            )
        )
    return tuple(out)


# --- the tree --------------------------------------------------------------


def version_dir(version: str) -> Optional[str]:
    """``2017-03-12`` -> ``v20170312``; None for anything else."""
    match = _VERSION.match(version)
    return f"v{match[1]}{match[2]}{match[3]}" if match else None


class SpecTree:
    """A tccli-style services tree, loaded lazily and cached (thread-safe)."""

    def __init__(self, root: Union[str, os.PathLike[str]]) -> None:
        self.root = os.fspath(root)
        self._lock = threading.Lock()
        self._cache: Dict[Tuple[str, str], Optional[ServiceSpec]] = {}
        self._versions: Dict[str, Tuple[str, ...]] = {}
        self._services: Optional[Tuple[str, ...]] = None

    def has_service(self, service: str) -> bool:
        """Whether the tree has any version of ``service``."""
        return bool(self.versions(service))

    def versions(self, service: str) -> Tuple[str, ...]:
        """The ``yyyy-mm-dd`` versions the tree has for ``service``."""
        if not _SERVICE_NAME.match(service):
            return ()
        with self._lock:
            if service not in self._versions:
                found: List[str] = []
                try:
                    names = os.listdir(os.path.join(self.root, service))
                except OSError:
                    names = []
                for name in names:
                    if re.match(r"^v\d{8}$", name) and os.path.isfile(
                        os.path.join(self.root, service, name, "api.json")
                    ):
                        found.append(f"{name[1:5]}-{name[5:7]}-{name[7:9]}")
                self._versions[service] = tuple(sorted(found))
            return self._versions[service]

    def services_with(self, action: str, version: str) -> FrozenSet[str]:
        """The services whose spec at ``version`` has ``action``."""
        folder = version_dir(version)
        if folder is None:
            return frozenset()
        with self._lock:
            if self._services is None:
                try:
                    self._services = tuple(sorted(os.listdir(self.root)))
                except OSError:
                    self._services = ()
            services = self._services
        found = set()
        for service in services:
            if _SERVICE_NAME.match(service) and os.path.isfile(
                os.path.join(self.root, service, folder, "api.json")
            ):
                spec = self.get(service, version)
                if spec is not None and action in spec.actions:
                    found.add(service)
        return frozenset(found)

    def get(self, service: str, version: str) -> Optional[ServiceSpec]:
        """The spec of ``service`` at ``version``, or None when the tree has none."""
        folder = version_dir(version)
        if folder is None or not _SERVICE_NAME.match(service):
            return None
        key = (service, version)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        spec = self._load(service, version, os.path.join(self.root, service, folder))
        with self._lock:
            return self._cache.setdefault(key, spec)

    def _load(self, service: str, version: str, folder: str) -> Optional[ServiceSpec]:
        api_path = os.path.join(folder, "api.json")
        if not os.path.isfile(api_path):
            return None
        try:
            with open(api_path, encoding="utf-8") as fh:
                api = json.load(fh)
        except (OSError, ValueError) as exc:
            logger.warning("cannot read spec %s: %s", api_path, exc)
            return None
        examples: Mapping[str, Any] = {}
        try:
            with open(os.path.join(folder, "examples.json"), encoding="utf-8") as fh:
                loaded = json.load(fh)
            if isinstance(loaded, Mapping) and isinstance(loaded.get("actions"), Mapping):
                examples = loaded["actions"]
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            logger.warning("cannot read examples of %s %s: %s", service, version, exc)
        raw_objects = api.get("objects") if isinstance(api, Mapping) else None
        objects: Mapping[str, Any] = raw_objects if isinstance(raw_objects, Mapping) else {}
        actions: Dict[str, ActionSpec] = {}
        raw_actions = api.get("actions") if isinstance(api, Mapping) else None
        for name, entry in (raw_actions or {}).items():
            if not isinstance(entry, Mapping):
                continue
            input_name = str(entry.get("input") or f"{name}Request")
            documented = _examples(examples.get(name))
            actions[name] = ActionSpec(
                name=name,
                input=input_name,
                examples=documented,
                exempt=_exemptions(objects, input_name, documented),
            )
        return ServiceSpec(service=service, version=version, actions=actions, objects=objects)


def _exemptions(
    objects: Mapping[str, Any], input_name: str, examples: Tuple[Example, ...]
) -> FrozenSet[str]:
    found: List[str] = []
    for example in examples:
        if example.params is None:
            continue
        walker = _Validator(objects, collect=True)
        walker.check_object(input_name, example.params, "", 0)
        found.extend(walker.found)
    return frozenset(found)
