"""Generate typed service clients from the API specs that ``tccli`` ships.

``python -m tcfunc.codegen SERVICES_DIR --service cvm --out DIR`` reads
``SERVICES_DIR/cvm/v<latest>/api.json`` (or ``--version 2017-03-12``) and
writes (``--package`` names the top package, default ``tcfunc_services``)::

    DIR/<package>/__init__.py
    DIR/<package>/ruff.toml                   (the rules the code is checked for, see below)
    DIR/<package>/cvm/__init__.py
    DIR/<package>/cvm/v20170312/__init__.py   (re-exports CvmClient and models)
    DIR/<package>/cvm/v20170312/client.py     (CvmClient, one method per action)
    DIR/<package>/cvm/v20170312/async_client.py  (AsyncCvmClient, one coroutine per action)
    DIR/<package>/cvm/v20170312/models.py     (one frozen model per object)

``--action NAME`` (repeatable) keeps only those actions and the models they
reach: a client of exactly what you call.

The output depends only on the spec (no clock, no paths, no tcfunc version),
so the same input gives the same bytes. It passes ``ruff check``, ``ruff
format --check`` and ``mypy --strict`` (checked against every spec tccli
ships): lines are laid out as ``ruff format`` would, documentation HTML is
turned into text, and look-alike Unicode punctuation into ASCII. Imports
assume tcfunc is a third-party package of the project using the code.
:func:`write_package` puts a ``ruff.toml`` at the package root that names
the rule set (tcfunc's own selection; each rule left out with its reason)
and the line length of 100 the code is laid out for: ruff uses the closest
configuration file, and its default rules change between versions, so the
generated code is checked the same way whatever the enclosing project's
settings. Both ``__init__.py`` and ``ruff.toml`` at the package root are
written only when absent: a project may adapt them.
A member named like a type (``Optional``, ``Placement``) would hide that type
from the annotations after it in its class; those use a module-level alias.

Rules for the types: a member of an action's request (or of an object used
only in requests) that the spec marks required is a required constructor
argument with a plain type; every other member is ``Optional[...] = None``,
because real responses omit fields the spec calls required. Each model a
caller builds for a request (an action's input, an object of usage ``in`` or
``both``) checks its members' types when built (``__attrs_post_init__``,
calling :func:`tcfunc.model.check` and friends; answer-only models have no
checks, so reading an answer costs what it did), request models derive from
:class:`tcfunc.model.RequestModel` (strict reads), and answers are read
leniently (see :mod:`tcfunc.model`). Each method passes its argument through
:func:`tcfunc.model.check_request`, so a dict or another action's model is
a ``ClientError`` before anything is sent.

Streaming is decided at run time, as in the official SDK: an action whose
request has a boolean ``Stream`` member (or that ``--sse ACTION`` names; no
longer needed for the specs tccli ships) calls ``_call_model(...,
sse="auto")`` and returns ``Union[Response, EventStream]`` (``AsyncEventStream``
in the async client): the answer's Content-Type decides. An action whose
request has ``binary`` members (``bytes`` fields) is sent as
``multipart/form-data`` with those members as file parts, as the API
requires. Async methods take the official async SDK's ``opts`` (the options
dict: ``Endpoint``, ``SkipSign``, ...), merged with the multipart options
where the action needs them.

:func:`generate` is pure (a spec in, file texts out); :func:`write_package`
does the file I/O.
"""

from __future__ import annotations

import html
import json
import keyword
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from .._validate import fail
from ..errors import TencentCloudSDKException

__all__ = [
    "DEFAULT_PACKAGE",
    "clean_doc",
    "generate",
    "latest_version",
    "load_spec",
    "version_dir",
    "write_package",
]

DEFAULT_PACKAGE = "tcfunc_services"
LINE_LENGTH = 100
_INDENT = "    "

# api.json "member" of scalars -> Python type.
_SCALARS = {
    "string": "str",
    "date": "str",
    "datetime": "str",
    "datetime_iso": "str",
    "int64": "int",
    "uint64": "int",
    "int": "int",
    "bool": "bool",
    "float": "float",
    "binary": "bytes",
}
_SERVICE = re.compile(r"^[a-z][a-z0-9]*$")
_PACKAGE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION_DIR = re.compile(r"^v(\d{4})(\d{2})(\d{2})$")
_VERSION = re.compile(r"^v?(\d{4})-?(\d{2})-?(\d{2})$")
_BLOCK_OPEN = re.compile(r"(?i)<(?:p|ul|ol|div|table|tr|pre|h\d)\b[^<>]*>")
_BLOCK_CLOSE = re.compile(r"(?i)</(?:p|li|ul|ol|div|table|tr|pre|h\d)\s*>")
# Breaks and item ends right before an item: the item starts its own line anyway.
_ITEM_CLOSE = re.compile(r"(?i)(?:</li\s*>|<br\s*/?>|\s)+(?=<li\b)")
_ITEM = re.compile(r"(?i)<li\b[^<>]*>")
_BREAK = re.compile(r"(?i)<br\s*/?>")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# Characters linters flag as look-alikes of ASCII, and their ASCII reading.
_CONFUSABLES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u2032": "'",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2212": "-",
    "\u00d7": "x",
    "\u2236": ":",
}
# Letters that look like ASCII (IPA, Greek, Cyrillic, Roman numerals, set
# operators) are written as escapes: the docstring reads the same at run time.
_LOOKALIKE = re.compile("[\u0250-\u02ff\u0370-\u04ff\u2160-\u2188\u2227-\u222a]")
_BUILTIN_TYPES = frozenset(("str", "int", "bool", "float", "bytes", "list"))


# ---------------------------------------------------------------------------
# Reading the spec tree


def version_dir(version: str) -> str:
    """``"2017-03-12"``, ``"20170312"`` or ``"v20170312"`` -> ``"v20170312"``."""
    match = _VERSION.match(version)
    if not match:
        fail("ClientError", f"version must look like 2017-03-12, got {version!r}")
    return "v" + "".join(match.groups())


def _api_version(vdir: str) -> str:
    match = _VERSION_DIR.match(vdir)
    if not match:
        fail("ClientError", f"not a version directory: {vdir!r}")
    return "-".join(match.groups())


def latest_version(services_dir: Path, service: str) -> str:
    """The newest ``vYYYYMMDD`` directory of ``service`` in the tree."""
    _check_service(service)
    root = Path(services_dir) / service
    found = sorted(
        p.name for p in root.glob("v*") if _VERSION_DIR.match(p.name) and (p / "api.json").is_file()
    )
    if not found:
        fail("ClientError", f"no api.json for service {service!r} under {services_dir}")
    return found[-1]


def load_spec(
    services_dir: Path, service: str, version: Optional[str] = None
) -> Tuple[str, Dict[str, Any]]:
    """``(version directory, parsed api.json)`` of ``service`` (default: latest version)."""
    _check_service(service)
    vdir = version_dir(version) if version else latest_version(services_dir, service)
    path = Path(services_dir) / service / vdir / "api.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail("ClientError", f"no api.json for {service} {vdir} under {services_dir}")
    except (OSError, ValueError) as exc:
        fail("ClientError", f"cannot read {path}: {type(exc).__name__}: {exc}")
    if not isinstance(spec, dict) or not isinstance(spec.get("actions"), dict):
        fail("ClientError", f"{path} is not an API spec (no 'actions')")
    if not isinstance(spec.get("objects"), dict):
        fail("ClientError", f"{path} is not an API spec (no 'objects')")
    return vdir, spec


def _check_service(service: str) -> None:
    if not isinstance(service, str) or not _SERVICE.match(service):
        fail("ClientError", f"service must be a lower-case name such as 'cvm', got {service!r}")


# ---------------------------------------------------------------------------
# Text: documentation cleaning, display width, docstrings


def clean_doc(text: Any) -> str:
    """API documentation (HTML fragments, markdown) as plain text lines."""
    if not isinstance(text, str):
        return ""
    text = _BREAK.sub("\n", text)
    text = _ITEM_CLOSE.sub("", text)
    text = _ITEM.sub("\n- ", text)
    text = _BLOCK_OPEN.sub("\n", text)
    text = _BLOCK_CLOSE.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    # Full-width punctuation (commas, colons, brackets) reads the same in ASCII and keeps
    # linters' "ambiguous character" checks quiet; ideographs are untouched.
    text = "".join(_narrow(ch) for ch in text)
    lines: List[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _narrow(ch: str) -> str:
    if ch in _CONFUSABLES:
        return _CONFUSABLES[ch]
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if ch in "\u3000\u00a0":
        return " "
    if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t":
        return ""
    return ch


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _tokens(line: str) -> List[str]:
    # Words of narrow characters stay whole; wide characters and spaces are
    # break opportunities of their own.
    out: List[str] = []
    word = ""
    for ch in line:
        if ch == " " or unicodedata.east_asian_width(ch) in "WF":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def _wrap(line: str, width: int) -> List[str]:
    if _width(line) <= width:
        return [line]
    out: List[str] = []
    current = ""
    for piece in _tokens(line):
        if current and _width(current) + _width(piece) > width:
            out.append(current.rstrip())
            current = ""
        if not current and piece == " ":
            continue
        current += piece
    if current.strip():
        out.append(current.rstrip())
    return out


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return _LOOKALIKE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _docstring(text: str, indent: str) -> List[str]:
    """Source lines of a docstring holding ``text`` (already cleaned).

    Laid out as ``ruff format`` leaves it: one content line keeps its closing
    quotes on the same line (with a space before them after a ``"``).
    """
    text = _escape(text)
    if text.startswith('"'):
        text = " " + text
    budget = LINE_LENGTH - len(indent)
    paragraphs = text.split("\n")
    lines: List[str] = []
    for i, para in enumerate(paragraphs):
        width = budget - 3 if i == 0 else budget
        lines.extend(_wrap(para, width) if para else [""])
    if len(lines) == 1:
        closing = ' """' if lines[0].endswith('"') else '"""'
        if _width(lines[0]) + 3 + len(closing) <= budget:
            return [f'{indent}"""{lines[0]}{closing}']
        # Too long with the closing quotes: wrap shorter so that a second line exists.
        lines = _wrap(paragraphs[0], budget - 3 - len(closing))
        if len(lines) == 1:  # a single unbreakable word; linters allow it
            return [f'{indent}"""{lines[0]}{closing}']
    out = [f'{indent}"""{lines[0]}']
    out.extend(f"{indent}{line}" if line else "" for line in lines[1:])
    out.append(f'{indent}"""')
    return out


# ---------------------------------------------------------------------------
# The spec as Python types


def _member_type(
    member: Mapping[str, Any], objects: Mapping[str, Any], where: str
) -> Tuple[bool, str]:
    """``(is_list, element type name)`` of a member."""
    kind = member.get("type")
    inner = member.get("member")
    if kind == "list":
        if inner in _SCALARS:
            return True, _SCALARS[inner]
        if inner in objects:
            return True, str(inner)
        fail("ClientError", f"{where}: list of unknown type {inner!r}")
    if kind == "object":
        if inner in objects:
            return False, str(inner)
        fail("ClientError", f"{where}: unknown object type {inner!r}")
    if kind not in _SCALARS:
        fail("ClientError", f"{where}: unknown member type {kind!r}")
    return False, _SCALARS[str(kind)]


def _check_identifier(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        fail("ClientError", f"{where}: {name!r} is not usable as a Python name")
    if name.startswith("_"):
        fail("ClientError", f"{where}: {name!r} starts with an underscore")
    return name


def _objects_in_requests(spec: Mapping[str, Any]) -> FrozenSet[str]:
    objects = spec["objects"]
    inputs = {a.get("input") for a in spec["actions"].values() if isinstance(a, Mapping)}
    return frozenset(
        name
        for name, obj in objects.items()
        if name in inputs or (isinstance(obj, Mapping) and obj.get("usage") == "in")
    )


def _field_lines(head: str, annotation: str, default: bool) -> List[str]:
    """``name: annotation[ = None]`` in a class body, laid out as ruff format does."""
    tail = " = None" if default else ""
    line = f"{_INDENT}{head}{annotation}{tail}"
    if len(line) <= LINE_LENGTH:
        return [line]
    if default and len(f"{_INDENT}{head}{annotation} = (") <= LINE_LENGTH:
        return [f"{_INDENT}{head}{annotation} = (", f"{_INDENT * 2}None", f"{_INDENT})"]
    if "[" not in annotation:
        return [line]
    outer, _, rest = annotation.partition("[")
    return [f"{_INDENT}{head}{outer}[", f"{_INDENT * 2}{rest[:-1]}", f"{_INDENT}]{tail}"]


# The helpers of tcfunc.model a models module may import, in import order.
_MODEL_HELPERS = ("check", "check_list", "check_required", "check_required_list")


class _Names:
    """Module-level names of a generated models module, and the aliases it needs.

    A class attribute named like a type (``Optional``, ``Placement``) hides
    that type from the annotations that follow it in the class body, so those
    annotations use a module-level alias (``_Optional``, ``_Placement``)
    instead. Method bodies (the member checks) see module names directly.
    """

    def __init__(self, objects: Iterable[str]) -> None:
        taken = set(objects)
        self.typing = {n: (f"_typing_{n}" if n in taken else n) for n in ("Optional",)}
        self.base = "_ModelBase" if "Model" in taken else "Model"
        self.request_base = "_RequestModelBase" if "RequestModel" in taken else "RequestModel"
        self.attrs = "_attrs" if "attrs" in taken else "attrs"
        self.used_typing: set[str] = set()
        self.used_bases: set[str] = set()
        self.used_helpers: set[str] = set()
        self.shadowed_typing: set[str] = set()
        self.shadowed_objects: set[str] = set()
        self.objects = taken

    def ref(self, name: str, defined: Iterable[str]) -> str:
        """How the class body being written refers to ``name`` at this point."""
        if name not in defined:
            return name
        if name in self.objects:
            self.shadowed_objects.add(name)
        elif name in self.typing.values():
            self.shadowed_typing.add(name)
        else:  # a builtin such as str, hidden by a member of that name
            fail("ClientError", f"a member named {name!r} hides the Python type {name}")
        return f"_{name}"

    def typing_ref(self, name: str, defined: Iterable[str]) -> str:
        self.used_typing.add(name)
        return self.ref(self.typing[name], defined)

    def base_of(self, request_side: bool) -> str:
        """The base class of a model: RequestModel (strict reads) or Model."""
        name = "RequestModel" if request_side else "Model"
        self.used_bases.add(name)
        return self.request_base if request_side else self.base

    def helper(self, name: str) -> str:
        self.used_helpers.add(name)
        return name

    def header(self) -> List[str]:
        imports = []
        for name in ("Optional",):
            if name in self.used_typing:
                alias = self.typing[name]
                imports.append(name if alias == name else f"{name} as {alias}")
        lines = []
        plain = [i for i in imports if " as " not in i]
        if plain:
            lines.append(f"from typing import {', '.join(plain)}")
        lines.extend(f"from typing import {i}" for i in imports if " as " in i)
        shadow = sorted(self.shadowed_typing)
        lines.extend(f"from typing import {n} as _{n}" for n in shadow)
        if lines:
            lines.append("")
        lines.append("import attrs" if self.attrs == "attrs" else "import attrs as _attrs")
        # No blank line: in the projects that use generated code tcfunc is a
        # third-party package, in the same import section as attrs.
        # isort's layout: plain names in one statement, each "as" import in its own,
        # the statements ordered by their first name (classes before functions).
        plain_names: List[str] = []
        statements: List[Tuple[str, bool, List[str]]] = []
        for name, alias in (("Model", self.base), ("RequestModel", self.request_base)):
            if name in self.used_bases and alias != name:
                statements.append((name, True, [f"{name} as {alias}"]))
            elif name in self.used_bases:
                plain_names.append(name)
        plain_names += [h for h in _MODEL_HELPERS if h in self.used_helpers]
        if plain_names:
            statements.append((plain_names[0], False, plain_names))
        statements.sort(key=lambda st: (st[0][0].islower(), st[0], st[1]))
        for _first, _alias, members in statements:
            one = f"from tcfunc.model import {', '.join(members)}"
            if len(one) <= LINE_LENGTH:
                lines.append(one)
            else:
                lines.append("from tcfunc.model import (")
                lines.extend(f"{_INDENT}{n}," for n in members)
                lines.append(")")
        self._check_unique()
        return lines

    def _check_unique(self) -> None:
        module_names = [*self.objects, *self.typing.values(), self.base, self.attrs]
        module_names += [self.request_base, *_MODEL_HELPERS]
        module_names += [f"_{n}" for n in self.shadowed_objects | self.shadowed_typing]
        if len(set(module_names)) != len(module_names):
            fail("ClientError", "the spec's names collide with the generated module's names")

    def footer(self) -> List[str]:
        if not self.shadowed_objects:
            return []
        lines = ["", "", "# Aliases for annotations in classes with a member named like a type."]
        lines.extend(f"_{n} = {n}" for n in sorted(self.shadowed_objects))
        return lines


def _check_line(names: _Names, field: str, element: str, is_list: bool, required: bool) -> str:
    """The ``__attrs_post_init__`` statement that checks one member's type."""
    helper = ("check_required" if required else "check") + ("_list" if is_list else "")
    args = f'self, "{field}", self.{field}, {element}'
    line = f"{_INDENT * 2}{names.helper(helper)}({args})"
    if len(line) <= LINE_LENGTH:
        return line
    if len(f"{_INDENT * 3}{args}") <= LINE_LENGTH:
        return f"{_INDENT * 2}{helper}(\n{_INDENT * 3}{args}\n{_INDENT * 2})"
    split = "".join(f"\n{_INDENT * 3}{arg}," for arg in args.split(", "))
    return f"{_INDENT * 2}{helper}({split}\n{_INDENT * 2})"


def _render_models(spec: Mapping[str, Any], service: str, version: str, source: str) -> str:
    objects: Mapping[str, Any] = spec["objects"]
    strict = _objects_in_requests(spec)
    for name in objects:
        _check_identifier(name, f"object {name!r}")
        if name in _BUILTIN_TYPES:
            fail("ClientError", f"object name {name!r} shadows a Python type")
    # Objects a caller builds for a request get member checks; answers-only ones
    # (action outputs, usage "out") are only ever read, leniently, and skip them.
    outputs = {a.get("output") for a in spec["actions"].values() if isinstance(a, Mapping)}
    checked = {
        name
        for name, obj in objects.items()
        if name in strict
        or (name not in outputs and isinstance(obj, Mapping) and obj.get("usage") != "out")
    }
    names = _Names(objects)
    body: List[str] = []
    for name in sorted(objects):
        obj = objects[name]
        if not isinstance(obj, Mapping) or not isinstance(obj.get("members", []), list):
            fail("ClientError", f"object {name!r}: members must be a list")
        class_line = f"class {name}({names.base_of(name in strict)}):"
        if not name[0].isupper() or "_" in name:
            class_line += "  # noqa: N801 (the API's name)"
        body += ["", "", f"@{names.attrs}.frozen(kw_only=True, repr=False)", class_line]
        body += _docstring(clean_doc(obj.get("document")) or f"{name}.", _INDENT)
        defined: List[str] = []
        checks: List[str] = []
        for member in obj.get("members", []):
            where = f"{name}.{member.get('name')!r}"
            field = _check_identifier(member.get("name"), where)
            if field in defined or field in ("headers", "extra"):
                fail("ClientError", f"{where}: duplicate or reserved member name")
            is_list, element = _member_type(member, objects, where)
            annotation = names.ref(element, defined)
            if is_list:
                annotation = f"{names.ref('list', defined)}[{annotation}]"
            marked_required = member.get("required") is True
            required = marked_required and name in strict
            notes: List[str] = []
            if not required:
                annotation = f"{names.typing_ref('Optional', defined)}[{annotation}]"
                if marked_required:
                    notes.append("Required in requests.")
            if member.get("disabled") is True:
                notes.append("Hidden in the API documentation.")
            body.append("")
            body += _field_lines(f"{field}: ", annotation, not required)
            defined.append(field)
            text = "\n".join(p for p in (clean_doc(member.get("document")), *notes) if p)
            if text:
                body += _docstring(text, _INDENT)
            if name in checked:
                checks.append(_check_line(names, field, element, is_list, required))
        if checks:
            # The member checks: a wrong type is refused when the model is built.
            body += ["", f"{_INDENT}def __attrs_post_init__(self) -> None:", *checks]
    title = spec.get("metadata", {}).get("serviceNameCN")
    head = f"Models of {service} {version}" + (f" ({clean_doc(title)})" if title else "") + "."
    out = _docstring(
        f"{head}\n\nGenerated by tcfunc.codegen from {source}; do not edit.",
        "",
    )
    out += ["", "from __future__ import annotations", ""]
    out += names.header()
    out += body
    out += names.footer()
    return "\n".join(out) + "\n"


def _client_class(service: str) -> str:
    return service[0].upper() + service[1:] + "Client"


def _def_lines(head: str, params: Sequence[str], result: str) -> List[str]:
    """``def NAME(params) -> result:`` laid out as ruff format does (``head`` is ``def NAME``)."""
    one = f"{_INDENT}{head}({', '.join(params)}) -> {result}:"
    if len(one) <= LINE_LENGTH:
        return [one]
    inner = f"{_INDENT * 2}{', '.join(params)}"
    if len(inner) <= LINE_LENGTH:
        return [f"{_INDENT}{head}(", inner, f"{_INDENT}) -> {result}:"]
    return [
        f"{_INDENT}{head}(",
        *(f"{_INDENT * 2}{param}," for param in params),
        f"{_INDENT}) -> {result}:",
    ]


def _call_lines(call: str, args: Sequence[str]) -> List[str]:
    """``return CALL(args)`` laid out as ruff format does (one nesting level)."""
    indent = _INDENT * 2
    one = f"{indent}return {call}({', '.join(args)})"
    if len(one) <= LINE_LENGTH:
        return [one]
    inner = f"{indent}{_INDENT}{', '.join(args)}"
    if len(inner) <= LINE_LENGTH:
        return [f"{indent}return {call}(", inner, f"{indent})"]
    out = [f"{indent}return {call}("]
    for arg in args:
        line = f"{indent}{_INDENT}{arg},"
        call_name, paren, rest = arg.partition("(")
        if len(line) > LINE_LENGTH and paren and rest.endswith(")"):
            # An argument that is itself a call too long for one line: split it too.
            nested = rest[:-1].split(", ")
            out.append(f"{indent}{_INDENT}{call_name}(")
            joined = f"{indent}{_INDENT * 2}{', '.join(nested)}"
            if len(joined) <= LINE_LENGTH:
                out.append(joined)
            else:
                out.extend(f"{indent}{_INDENT * 2}{a}," for a in nested)
            out.append(f"{indent}{_INDENT}),")
        else:
            out.append(line)
    out.append(f"{indent})")
    return out


def _binary_members(action: Any, objects: Mapping[str, Any]) -> List[str]:
    """Names of the ``binary`` members of an action's input, sent as multipart file parts."""
    request = objects.get(str(action.get("input"))) if isinstance(action, Mapping) else None
    members = request.get("members") if isinstance(request, Mapping) else None
    if not isinstance(members, list):
        return []
    return [
        str(m["name"])
        for m in members
        if isinstance(m, Mapping) and m.get("type") == "binary" and isinstance(m.get("name"), str)
    ]


def _streams(action: Any, objects: Mapping[str, Any]) -> bool:
    """Whether an action's request has a boolean ``Stream`` member (it may answer SSE)."""
    request = objects.get(str(action.get("input"))) if isinstance(action, Mapping) else None
    members = request.get("members") if isinstance(request, Mapping) else None
    return isinstance(members, list) and any(
        isinstance(m, Mapping) and m.get("name") == "Stream" and m.get("type") == "bool"
        for m in members
    )


def _render_client(
    spec: Mapping[str, Any],
    service: str,
    version: str,
    sse_actions: Iterable[str],
    source: str,
    *,
    asynchronous: bool = False,
) -> str:
    actions: Mapping[str, Any] = spec["actions"]
    objects: Mapping[str, Any] = spec["objects"]
    named = set(sse_actions)
    unknown = sorted(named - set(actions))
    if unknown:
        fail("ClientError", f"--sse names actions {service} does not have: {', '.join(unknown)}")
    streaming = {a for a in actions if a in named or _streams(actions[a], objects)}
    cls = ("Async" if asynchronous else "") + _client_class(service)
    base = "AsyncAbstractClient" if asynchronous else "AbstractClient"
    stream_type = "AsyncEventStream" if asynchronous else "EventStream"
    title = spec.get("metadata", {}).get("serviceNameCN")
    label = f"{service} {version}" + (f" ({clean_doc(title)})" if title else "")
    kind = "asyncio client" if asynchronous else "client"
    out: List[str] = [
        *_docstring(
            f"The {label} {kind}.\n\nGenerated by tcfunc.codegen from {source}; do not edit.",
            "",
        ),
        "",
        "from __future__ import annotations",
        "",
    ]
    typing_names = []
    if asynchronous:
        out.append("from collections.abc import Mapping")
        typing_names += ["Any", "Optional"]
    if streaming:
        typing_names.append("Union")
    if typing_names:
        out.append(f"from typing import {', '.join(typing_names)}")
    if asynchronous or typing_names:
        out.append("")
    binary = {name: _binary_members(actions[name], objects) for name in actions}
    out.append(
        f"from tcfunc.aio import {base}" if asynchronous else f"from tcfunc.client import {base}"
    )
    out.append("from tcfunc.model import check_request")
    if any(binary.values()) and not asynchronous:
        out.append("from tcfunc.request import RequestOptions")
    if streaming:
        out.append(f"from tcfunc.sse import {stream_type}")
    out += [
        "",
        "from . import models",
        "",
        "",
        f"class {cls}({base}):",
    ]
    if asynchronous:
        summary = (
            f"Asyncio client of {label}: one coroutine method per action.\n\n"
            "Each method takes the action's request model (and the official SDK's "
            "``opts``: request options) and returns its response model; an action "
            f"that may stream returns an {stream_type} when the answer is an event stream."
        )
    else:
        summary = (
            f"Client of {label}: one method per action.\n\n"
            "Each method takes the action's request model and returns its response model; "
            f"an action that may stream returns an {stream_type} when the answer is an "
            "event stream."
        )
    out += _docstring(summary, _INDENT)
    out += [
        "",
        f'{_INDENT}_apiVersion = "{version}"',
        f'{_INDENT}_endpoint = "{service}.tencentcloudapi.com"',
        f'{_INDENT}_service = "{service}"',
    ]
    for action in sorted(actions):
        spec_action = actions[action]
        _check_identifier(action, f"action {action!r}")
        if action.startswith("_") or not action[0].isupper():
            fail("ClientError", f"action {action!r} must start with an upper-case letter")
        if not isinstance(spec_action, Mapping):
            fail("ClientError", f"action {action!r} is not an object")
        request, response = spec_action.get("input"), spec_action.get("output")
        if request not in objects or response not in objects:
            fail("ClientError", f"action {action!r} names unknown input or output objects")
        sse = action in streaming
        result = f"Union[models.{response}, {stream_type}]" if sse else f"models.{response}"
        params = ["self", f"request: models.{request}"]
        if asynchronous:
            params.append("opts: Optional[Mapping[str, Any]] = None")
        out.append("")
        out += _def_lines(("async def " if asynchronous else "def ") + action, params, result)
        parts = [clean_doc(spec_action.get("name")), clean_doc(spec_action.get("document"))]
        if spec_action.get("status") in ("deprecated", "offline"):
            parts.append(f"This action is marked {spec_action['status']} in the API.")
        if sse:
            parts.append(
                f"May stream: returns an {stream_type} of server-sent event dicts when the "
                f"answer is an event stream (Stream=True), else models.{response}."
            )
        out += _docstring("\n\n".join(p for p in parts if p) or f"{action}.", _INDENT * 2)
        args = [
            f'"{action}"',
            f'check_request("{action}", request, models.{request})',
            f"models.{response}",
        ]
        if sse:
            args.append('sse="auto"')
        names = ", ".join(f'"{n}"' for n in binary[action])
        if asynchronous and binary[action]:
            # The official options dict, so that the caller's opts merge in.
            args.append(
                f'options={{**(opts or {{}}), "IsMultipart": True, "BinaryParams": [{names}]}}'
            )
        elif asynchronous:
            args.append("options=opts")
        elif binary[action]:
            names += "," if len(binary[action]) == 1 else ""
            args.append(f"options=RequestOptions(multipart=True, binary_params=({names}))")
        out += _call_lines("await self._call_model" if asynchronous else "self._call_model", args)
    return "\n".join(out) + "\n"


def _render_version_init(service: str, version: str) -> str:
    cls = _client_class(service)
    return "\n".join(
        [
            *_docstring(
                f"{service} {version}: {cls} and its models (generated by tcfunc.codegen).", ""
            ),
            "",
            "from . import models",
            f"from .client import {cls}",
            "",
            f'__all__ = ["{cls}", "models"]',
            "",
        ]
    )


def generate(
    spec: Mapping[str, Any],
    *,
    service: str,
    version: Optional[str] = None,
    sse_actions: Iterable[str] = (),
    actions: Optional[Iterable[str]] = None,
    asynchronous: bool = True,
) -> Dict[str, str]:
    """The generated sources of one service version, by path relative to the version package.

    Args:
        spec: a parsed ``api.json``.
        service: e.g. ``"cvm"``.
        version: e.g. ``"2017-03-12"``; default the spec's ``metadata.apiVersion``.
        sse_actions: more actions that may answer with an event stream (those
            whose request has a boolean ``Stream`` member are found anyway).
        actions: generate only these actions and the models they use
            (default: every action and every model).
        asynchronous: also write ``async_client.py`` (the asyncio client).

    Returns:
        ``{"__init__.py": ..., "client.py": ..., "models.py": ...}`` and,
        with ``asynchronous``, ``"async_client.py"``.

    Raises:
        TencentCloudSDKException: ``ClientError`` when the spec has something
            that cannot become Python (an unknown type, a bad name).
    """
    _check_service(service)
    if version is None:
        version = spec.get("metadata", {}).get("apiVersion")
        if not isinstance(version, str):
            fail("ClientError", "the spec names no metadata.apiVersion; pass version")
    version = _api_version(version_dir(version))
    if not isinstance(spec.get("actions"), Mapping) or not isinstance(spec.get("objects"), Mapping):
        fail("ClientError", "not an API spec: 'actions' and 'objects' must be objects")
    source = f"{service}/{version_dir(version)}/api.json"
    if actions is not None:
        total = len(spec["actions"])
        spec = _subset(spec, actions)
        source += f" ({len(spec['actions'])} of its {total} actions)"
    sse_actions = tuple(sse_actions)
    files = {
        "__init__.py": _render_version_init(service, version),
        "client.py": _render_client(spec, service, version, sse_actions, source),
        "models.py": _render_models(spec, service, version, source),
    }
    if asynchronous:
        files["async_client.py"] = _render_client(
            spec, service, version, sse_actions, source, asynchronous=True
        )
    return files


def _subset(spec: Mapping[str, Any], wanted: Iterable[str]) -> Dict[str, Any]:
    """``spec`` with only the ``wanted`` actions and the objects they reach."""
    names = sorted(set(wanted))
    missing = [a for a in names if a not in spec["actions"]]
    if missing:
        fail("ClientError", f"the spec has no action {', '.join(missing)}")
    objects: Mapping[str, Any] = spec["objects"]
    keep: Dict[str, Any] = {}
    todo = [str(spec["actions"][a].get(k)) for a in names for k in ("input", "output")]
    while todo:
        name = todo.pop()
        if name in keep or name not in objects:
            continue
        keep[name] = objects[name]
        members = objects[name].get("members", []) if isinstance(objects[name], Mapping) else []
        for member in members if isinstance(members, list) else []:
            if isinstance(member, Mapping) and member.get("member") in objects:
                todo.append(str(member["member"]))
    return {
        **spec,
        "actions": {a: spec["actions"][a] for a in names},
        "objects": keep,
    }


# The rules the generated code is checked against: tcfunc's own selection.
_RUFF_SELECT = (
    "BLE", "E", "F", "W", "I", "B", "UP", "SIM", "RUF", "N", "S", "C4", "PT", "RET", "PIE", "PL",
)  # fmt: skip
_RUFF_SELECT_TOML = ", ".join(f'"{rule}"' for rule in _RUFF_SELECT)
_PACKAGE_INIT = '"""Service clients generated by tcfunc.codegen from API specs."""\n'
# ruff reads the closest configuration file, so this keeps the generated code
# clean whatever the enclosing project's settings (ruff's defaults: 88 columns).
_PACKAGE_RUFF = f"""\
# Written by tcfunc.codegen: the settings the generated code is laid out and
# checked for. ruff uses this file, not the project's, for the files below this
# directory, so the rule set is named here: ruff's defaults vary by version.
line-length = {LINE_LENGTH}
target-version = "py39"

[lint]
select = [{_RUFF_SELECT_TOML}]
ignore = [
    # Methods carry the API's action names (DescribeInstances), as the official SDK.
    "N802",
    # _apiVersion is the official SDK's attribute name.
    "N815",
    # A model's member checks are one statement per member; some models have 50+.
    "PLR0915",
    # Python 3.9 is supported, and tcfunc.model evaluates the models' annotations
    # at run time: X | None does not evaluate before 3.10, so Optional[X] stays.
    "UP007",
    "UP045",
]

[lint.isort]
known-third-party = ["tcfunc"]
"""


def write_package(
    services_dir: Path,
    service: str,
    out: Path,
    *,
    version: Optional[str] = None,
    package: str = DEFAULT_PACKAGE,
    sse_actions: Iterable[str] = (),
    actions: Optional[Iterable[str]] = None,
    asynchronous: bool = True,
) -> List[Path]:
    """Generate ``service`` into ``out/package/service/vYYYYMMDD/``; the files written."""
    if not isinstance(package, str) or not _PACKAGE.match(package) or keyword.iskeyword(package):
        fail("ClientError", f"package must be a Python identifier, got {package!r}")
    vdir, spec = load_spec(services_dir, service, version)
    files = generate(
        spec,
        service=service,
        version=_api_version(vdir),
        sse_actions=sse_actions,
        actions=actions,
        asynchronous=asynchronous,
    )
    root = Path(out) / package
    target = root / service / vdir
    written: List[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for path, text in (
            (root / "__init__.py", _PACKAGE_INIT),
            (root / "ruff.toml", _PACKAGE_RUFF),
            (root / service / "__init__.py", f'"""Generated {service} clients, by version."""\n'),
        ):
            if not path.exists():
                path.write_text(text, encoding="utf-8")
                written.append(path)
        for name in sorted(files):
            path = target / name
            path.write_text(files[name], encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise TencentCloudSDKException(
            "ClientError", f"cannot write to {out}: {type(exc).__name__}: {exc}"
        ) from None
    return written
