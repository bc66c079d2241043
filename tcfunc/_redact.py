"""The one redaction rule: what of a header, URL, body or text may be shown.

Every repr, log line and error message in tcfunc that shows a header, a URL,
a query string, a form, a JSON document or a body excerpt passes it through
this module. Standard library only (``json``, ``re``, ``urllib.parse``), so
the pure modules can use it without loading logging or urllib3.

The rule, in short: a value whose *name* looks secret (:func:`is_secret_name`)
becomes ``***`` wherever the name and value appear together, in any of the
shapes an HTTP exchange takes:

- a header (``X-TC-Token``, ``Proxy-Authorization``, ``Cookie``; in
  ``Authorization`` the TC3 ``Credential`` and ``Signature``);
- a query string or form field (``Signature``, ``Token``, ``SecretId``,
  ``WebIdentityToken``, ``LoginSettings.Password``, ...);
- a JSON key at any depth (an STS answer's ``Credentials`` with
  ``TmpSecretKey`` and ``Token``); a secret-named object or list has every
  scalar inside it masked; JSON cut short or broken is masked in place;
- plain text or HTML that echoes any of these: ``Name: value`` header lines,
  ``name=value`` pairs, ``"Name": "value"`` members;
- the whole userinfo of a URL (``http://***@proxy:3128``, whether it held a
  user and password or a bare token).

Text is always redacted *before* it is cut to a length, and every pattern
accepts a value that runs to the end of the text, so a cut in the middle of
a secret shows no part of it.
"""

from __future__ import annotations

import json
import re
from typing import Any, List, Match, Optional, Tuple
from urllib.parse import unquote_plus

from ._secrets import is_not_secret_name
from ._secrets import is_secret_name as ends_like_secret
from ._validate import LazyPattern  # re-exported: the lazy regex the package shares

__all__ = [
    "BODY_LIMIT",
    "EXCERPT_LIMIT",
    "MASK",
    "LazyPattern",
    "excerpt",
    "is_secret_name",
    "redact_body",
    "redact_header",
    "redact_json",
    "redact_query",
    "redact_text",
    "redact_url",
]

MASK = "***"
#: Characters of a body shown in a debug line.
BODY_LIMIT = 2048
#: Characters of a body quoted in an error message.
EXCERPT_LIMIT = 200


_SECRET_HEADERS = frozenset(("x-tc-token", "proxy-authorization", "cookie", "set-cookie"))
_SECRET_NAME = LazyPattern(
    r"secret|token|passw(?:or)?d|credential|signature|private_?key|authorization|cookie", re.I
)
# A query string or form field: name=value (the name cannot hold ?, & or =).
_FIELD = LazyPattern(r"(^|[&?])([^=&?#\s]+)=([^&#\s]*)")
_TC3_CREDENTIAL = LazyPattern(r"Credential=[^/,\s]*")
_TC3_SIGNATURE = LazyPattern(r"Signature=[^,\s]*")
# A URL's userinfo: everything between "://" and the last "@" of the authority.
_USERINFO = LazyPattern(r"(?<=://)[^/?#\s]*@")
# For JSON text that does not parse (cut short, or not quite JSON): a string
# key, a colon and a scalar value; an unterminated string at the end counts.
_JSON_MEMBER = LazyPattern(
    r""""((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*(?:"|\\?$)|-?[0-9][0-9.eE+-]*|true|false)"""
)
# Secrets echoed in free text (an error page, a message repeating the
# request): a name, a separator, a value. The scan starts from the places a
# secret name can be, found by plain substring search (fast in C; a regular
# expression tried at every position costs ~50x more): each occurrence of a
# keyword below, widened to the whole name around it. Only a name that
# is_secret_name accepts has its value masked, and a harmless name consumes
# nothing, so "Host: h X-TC-Token: t" still finds the token. The keywords
# cover every name is_secret_name accepts.
_KEYWORDS = (
    "pass",
    "pwd",
    "token",
    "secret",
    "credential",
    "signature",
    "authori",
    "cookie",
    "key",
    "plaintext",
    "plain_text",
    "plain-text",
)
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.%[]-")
_NAME_REST = LazyPattern(r"[A-Za-z0-9_.%\[\]-]*")
# Longer runs of name characters are data (base64, hex), not names.
_NAME_MAX = 128
_SEPARATOR = LazyPattern(
    # "Name: value" as a header is echoed (a JSON key, followed by its closing
    # quote, is left to _JSON_MEMBER).
    r"([ \t]*:[ \t]*\"?)"
    # name=value (a query string or form in text), maybe quoted.
    r"|(=[\"']?)"
    # HTML: a name in one element, its value in the next (<th>..</th><td>..).
    r"|(:?(?:\s*</?[A-Za-z][^<>]*>)+\s*)"
)
# The value after each kind of separator (group 1, 2, 3 of _SEPARATOR): up
# to the end of the line, a tag or a quote; up to a field separator, quote,
# tag or "?" (so href=/path?Token=... is seen); the text of the next element.
_SEPARATOR_VALUES = {
    1: LazyPattern(r"[^\r\n<\"]*"),
    2: LazyPattern(r"[^&?\s\"'<>,;]*"),
    3: LazyPattern(r"[^<\s][^<]*|"),
}
# Bodies larger than this are not parsed as JSON; their text rules apply.
_PARSE_LIMIT = 1024 * 1024


def is_secret_name(name: str) -> bool:
    """Whether a header, field or JSON key named ``name`` holds a secret (its value is masked).

    Logs mask more than model reprs do: the model rule (names ending like a
    secret: ``ApiKey``, ``Plaintext``, ``DbPwd``, ...) plus any name that
    merely contains secret, token, password, credential or signature (so
    ``SecretId`` too). Cursors, idempotency keys and token counts
    (``NextToken``, ``ClientToken``, ``TotalTokens``) stay visible.
    """
    if is_not_secret_name(name):
        return False
    return _SECRET_NAME.search(name) is not None or ends_like_secret(name)


def redact_header(name: str, value: str) -> str:
    """``value`` as it may appear in a log."""
    lower = name.lower()
    if lower == "authorization":
        if value == "SKIP":
            return value
        value = _TC3_CREDENTIAL.sub("Credential=" + MASK, value)
        return _TC3_SIGNATURE.sub("Signature=" + MASK, value)
    if lower in _SECRET_HEADERS or is_secret_name(lower):
        return MASK
    return value


def _mask_field(match: Match[str]) -> str:
    name = match.group(2)
    if is_secret_name(unquote_plus(name)):
        return f"{match.group(1)}{name}={MASK}"
    return match.group(0)


def redact_query(text: str) -> str:
    """A URL, query string or form body with secret fields and any URL userinfo masked."""
    text = _FIELD.sub(_mask_field, text)
    return _USERINFO.sub(MASK + "@", text) if "@" in text else text


def redact_url(url: Optional[str]) -> Optional[str]:
    """``url`` (a proxy or endpoint) with its whole userinfo replaced by ``***``.

    ``http://user:pass@host:3128`` and ``http://TOKEN@host:3128`` both become
    ``http://***@host:3128``; a URL written without a scheme
    (``user:pass@host``) becomes ``***@host``. Everything up to the *last*
    ``@`` is masked, so a password with an unencoded ``/``, ``?`` or ``@``
    shows no part of itself either.
    """
    if not url or "@" not in url:
        return url
    scheme = url.find("://")
    start = 0 if scheme < 0 else scheme + 3
    at = url.rfind("@")
    if at < start:
        return url
    return url[:start] + MASK + url[at:]


def _mask_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_all(item) for item in value]
    return None if value is None else MASK


def _mask_secrets(value: Any) -> Tuple[Any, bool]:
    if isinstance(value, dict):
        out = {}
        changed = False
        for key, item in value.items():
            if isinstance(key, str) and is_secret_name(key):
                out[key] = _mask_all(item)
                changed = True
            else:
                out[key], masked = _mask_secrets(item)
                changed = changed or masked
        return out, changed
    if isinstance(value, list):
        items = [_mask_secrets(item) for item in value]
        return [item for item, _ in items], any(masked for _, masked in items)
    return value, False


def _mask_member(match: Match[str]) -> str:
    try:
        name = json.loads(f'"{match.group(1)}"')
    except ValueError:
        name = match.group(1)
    if is_secret_name(name):
        return f'"{match.group(1)}"{match.group(2)}"{MASK}"'
    return match.group(0)


def _name_starts(text: str) -> List[int]:
    """Where the names that hold a keyword start, in order."""
    lower = text.lower()
    starts = set()
    for word in _KEYWORDS:
        at = lower.find(word)
        while at >= 0:
            start = at
            while start and text[start - 1] in _NAME_CHARS and at - start < _NAME_MAX:
                start -= 1
            starts.add(start)
            at = lower.find(word, at + len(word))
    return sorted(starts)


def _redact_echoes(text: str) -> str:
    """``text`` with the values of secret-named headers, fields and cells masked."""
    if ":" not in text and "=" not in text and "<" not in text:
        return text
    parts: List[str] = []
    done = 0
    for start in _name_starts(text):
        if start < done or not text[start].isascii() or not text[start].isalpha():
            continue
        name = _NAME_REST.match(text, start)
        end = start if name is None else name.end()
        separator = _SEPARATOR.match(text, end)
        if separator is None or not is_secret_name(unquote_plus(text[start:end])):
            continue
        value = _SEPARATOR_VALUES[separator.lastindex or 0].match(text, separator.end())
        if value is None or not value.group():
            continue
        parts.append(text[done : separator.end()])
        parts.append(MASK)
        done = value.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _structured(text: str) -> Optional[str]:
    """JSON text with secret values masked structurally; None when it does not parse."""
    if len(text) > _PARSE_LIMIT:
        return None
    try:
        masked, changed = _mask_secrets(json.loads(text))
    except (ValueError, RecursionError):
        return None
    return json.dumps(masked, ensure_ascii=False) if changed else text


def redact_json(text: str) -> str:
    """JSON text with the value of every secret-named key (at any depth) replaced by ``"***"``.

    Text that is not valid JSON (a body cut short, say) has the values of
    secret-named keys masked in place; everything else is left as it is.
    """
    done = _structured(text)
    return _JSON_MEMBER.sub(_mask_member, text) if done is None else done


def redact_text(text: str) -> str:
    """Text of any kind (JSON, cut JSON, form, plain text, HTML) with every secret masked.

    JSON that parses is masked structurally; anything else has the values of
    secret-named JSON members masked in place. Then, in either case, echoed
    ``Name: value`` header lines and ``name=value`` fields with secret names.
    """
    stripped = text.lstrip()[:1]
    done = _structured(text) if stripped in ("{", "[") else None
    if done is None:
        done = _JSON_MEMBER.sub(_mask_member, text) if '"' in text else text
    return _redact_echoes(done)


def _redact_prefix(body: bytes, content_type: str, window: int) -> Tuple[str, bool]:
    """``body`` as text with at least its first ``window`` characters fully redacted.

    Returns the text and whether it is the whole body. A JSON body small
    enough to parse is masked as a whole; otherwise only a prefix of
    ``window`` characters is redacted and kept (every pattern masks a value
    cut at the end of the prefix), which bounds the work on a large page.
    """
    small = len(body) <= _PARSE_LIMIT
    text = (body if small else body[: window * 4]).decode("utf-8", "replace")
    done = None
    if small and "x-www-form-urlencoded" not in content_type and text.lstrip()[:1] in ("{", "["):
        done = _structured(text)
    if done is None:
        done = text[:window]
        if "x-www-form-urlencoded" in content_type:
            done = redact_query(done)
        elif '"' in done:
            done = _JSON_MEMBER.sub(_mask_member, done)
        complete = small and len(text) <= window
    else:
        complete = len(done) <= window
        done = done[:window]
    return _redact_echoes(done), complete


def redact_body(body: bytes, content_type: str) -> str:
    """A body as loggable text: secrets masked (any kind of body), cut at :data:`BODY_LIMIT`."""
    if "octet-stream" in content_type or "multipart" in content_type:
        return f"<{len(body)} bytes of {content_type.split(';', 1)[0]}>"
    # The prefix is twice the limit: masking shortens a long secret, and the
    # text after it must still be redacted.
    text, whole = _redact_prefix(body, content_type.lower(), BODY_LIMIT * 2)
    if len(text) > BODY_LIMIT or not whole:
        text = f"{text[:BODY_LIMIT]}... ({len(body)} bytes)"
    return text


def excerpt(body: bytes, content_type: str = "", limit: int = EXCERPT_LIMIT) -> str:
    """A one-line excerpt of ``body`` for an error message, every secret masked.

    The body is redacted as a whole (JSON structurally; cut-short JSON, forms,
    plain text and HTML by their patterns) *before* it is cut to ``limit``
    characters, so neither a secret nor a prefix of one can show. Runs of
    whitespace become one space; a cut is marked with ``...``.

    Args:
        body: the bytes of the answer (or of anything quoted).
        content_type: the ``Content-Type`` header, lower-cased or not.
        limit: the most characters of body text to show.
    """
    content_type = content_type.lower()
    if "octet-stream" in content_type or "multipart" in content_type:
        return f"<{len(body)} bytes of {content_type.split(';', 1)[0].strip()}>"
    text, whole = _redact_prefix(body, content_type, limit * 4)
    text = " ".join(text.split())
    if len(text) > limit or not whole:
        return text[:limit] + "..."
    return text
