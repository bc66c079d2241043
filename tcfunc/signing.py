"""Pure signing primitives for Tencent Cloud API 3.0.

This module contains no networking code and reads no clock, environment or
file: every input is an argument. It imports only the standard library, so a
gateway or test rig can ``import tcfunc.signing`` without loading attrs or
urllib3.

Two schemes exist:

* TC3-HMAC-SHA256: a canonical request is hashed into a string to sign, which
  is signed with a key derived from the secret key, the UTC date and the
  service (:func:`derive_tc3_key`, :func:`sign_tc3`).
* v1 (HmacSHA1 / HmacSHA256): the sorted parameters are joined into
  ``METHOD + host + path + '?' + k=v&...`` and signed with the secret key,
  the result base64-encoded (:func:`sign_v1`).
"""

from __future__ import annotations

import _thread
import binascii
import hashlib
import hmac

# Import cost matters here (a tool may import only this module): typing,
# collections, base64 (which loads re) and threading are avoided at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

__all__ = [
    "TC3_ALGORITHM",
    "V1_SIGN_METHODS",
    "authorization_header",
    "canonical_headers",
    "canonical_request",
    "credential_scope",
    "derive_tc3_key",
    "flatten_params",
    "sha256_hex",
    "sign_tc3",
    "sign_tc3_with_key",
    "sign_v1",
    "string_to_sign",
    "v1_string_to_sign",
]

TC3_ALGORITHM = "TC3-HMAC-SHA256"
TC3_TERMINATOR = "tc3_request"
V1_SIGN_METHODS = {"HmacSHA1": "sha1", "HmacSHA256": "sha256"}


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


# The derived key depends only on (secret key, date, service), so one per day
# per service suffices; caching it saves three of the four HMACs per request.
# With the key the cache keeps the two SHA-256 states HMAC starts from (the
# key XOR ipad and XOR opad blocks, RFC 2104): copying them instead of calling
# hmac.digest makes the last HMAC about 2.5x cheaper, and that HMAC is a
# tenth of a whole prepare_request. Reads are lock-free (a dict lookup is
# atomic); writes take the lock and a full cache is simply emptied.
_KEY_CACHE_SIZE = 64
_key_cache: Dict[Tuple[str, str, str], _SigningKey] = {}
_key_cache_lock = _thread.allocate_lock()
_BLOCK = 64  # SHA-256 block size
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class _SigningKey:
    """A derived TC3 key with its HMAC-SHA256 inner and outer states."""

    __slots__ = ("inner", "key", "outer")

    def __init__(self, key: bytes) -> None:
        block = key.ljust(_BLOCK, b"\0")  # derived keys are 32 bytes, under a block
        self.key = key
        self.inner = hashlib.sha256(block.translate(_IPAD))
        self.outer = hashlib.sha256(block.translate(_OPAD))

    def sign(self, message: bytes) -> str:
        # Copies are taken from states nobody updates, so threads can share them.
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def _derive(secret_key: str, date: str, service: str) -> bytes:
    k_date = hmac.digest(("TC3" + secret_key).encode("utf-8"), date.encode("utf-8"), "sha256")
    k_service = hmac.digest(k_date, service.encode("utf-8"), "sha256")
    return hmac.digest(k_service, TC3_TERMINATOR.encode(), "sha256")


def _signing_key(secret_key: str, date: str, service: str) -> _SigningKey:
    cache_key = (secret_key, date, service)
    found = _key_cache.get(cache_key)
    if found is not None:
        return found
    derived = _SigningKey(_derive(secret_key, date, service))
    with _key_cache_lock:
        if len(_key_cache) >= _KEY_CACHE_SIZE:
            _key_cache.clear()
        _key_cache[cache_key] = derived
    return derived


def derive_tc3_key(secret_key: str, date: str, service: str) -> bytes:
    """The TC3 signing key for ``date`` (``YYYY-MM-DD``, UTC) and ``service``.

    Results are kept in a small, thread-safe, bounded cache; the value is the
    same with or without it.
    """
    return _signing_key(secret_key, date, service).key


def sign_tc3_with_key(signing_key: bytes, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 of ``string_to_sign`` under an already derived key."""
    return hmac.digest(signing_key, string_to_sign.encode("utf-8"), "sha256").hex()


def sign_tc3(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    """TC3-HMAC-SHA256 signature, hex; the contract of the official ``Sign.sign_tc3``."""
    return _signing_key(secret_key, date, service).sign(string_to_sign.encode("utf-8"))


def sign_v1(secret_key: str, sign_str: str, sign_method: str) -> str:
    """v1 signature, base64; the contract of the official ``Sign.sign``.

    Raises:
        ValueError: ``sign_method`` is neither ``HmacSHA1`` nor ``HmacSHA256``.
            (Kept a standard-library error so this module stays dependency
            free; :func:`tcfunc.prepare_request` validates the method first.)
    """
    digest_name = V1_SIGN_METHODS.get(sign_method)
    if digest_name is None:
        raise ValueError("sign_method must be HmacSHA1 or HmacSHA256")
    mac = hmac.digest(secret_key.encode("utf-8"), sign_str.encode("utf-8"), digest_name)
    return binascii.b2a_base64(mac, newline=False).decode("ascii")


def canonical_headers(headers: Iterable[Tuple[str, str]]) -> Tuple[str, str]:
    """``(canonical_headers, signed_headers)`` for the given (name, value) pairs.

    Names are lower-cased, values trimmed, and the pairs sorted by name. Values
    keep their case: the official SDKs sign them as sent (the documentation
    says lower-case; the two agree whenever hosts are written in lower case,
    and :func:`tcfunc.verify_request` accepts either).
    """
    pairs = sorted((name.strip().lower(), value.strip()) for name, value in headers)
    canonical = "".join(f"{name}:{value}\n" for name, value in pairs)
    signed = ";".join(name for name, _ in pairs)
    return canonical, signed


def canonical_request(
    method: str,
    path: str,
    query: str,
    canonical_header_block: str,
    signed_headers: str,
    payload_hash: str,
) -> str:
    """The TC3 canonical request: six lines joined by ``\\n``."""
    return f"{method}\n{path}\n{query}\n{canonical_header_block}\n{signed_headers}\n{payload_hash}"


def credential_scope(date: str, service: str) -> str:
    """``date/service/tc3_request``."""
    return f"{date}/{service}/{TC3_TERMINATOR}"


def string_to_sign(timestamp: int, scope: str, canonical_request_text: str) -> str:
    """The TC3 string to sign for a canonical request."""
    digest = hashlib.sha256(canonical_request_text.encode("utf-8")).hexdigest()
    return f"{TC3_ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def authorization_header(secret_id: str, scope: str, signed_headers: str, signature: str) -> str:
    """The TC3 ``Authorization`` header value."""
    return (
        f"{TC3_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )


def flatten_params(params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Flatten nested params into the dotted form GET and v1 requests carry.

    ``{"Filters": [{"Name": "zone", "Values": ["a", "b"]}]}`` becomes
    ``{"Filters.0.Name": "zone", "Filters.0.Values.0": "a", "Filters.0.Values.1": "b"}``.
    ``None`` values are dropped, as the official SDK drops them; scalars are
    kept as they are (the caller decides how to render them).
    """
    out: Dict[str, Any] = {}
    if params is None:
        return out
    stack: List[Tuple[str, Any]] = [(str(k), v) for k, v in params.items()]
    stack.reverse()
    # Iterative depth-first walk keeps the official SDK's key order and cannot
    # hit the recursion limit on adversarial input.
    while stack:
        prefix, value = stack.pop()
        if value is None:
            continue
        if hasattr(value, "items"):  # a mapping (duck-typed: no collections import)
            children = [(f"{prefix}.{k}", v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            children = [(f"{prefix}.{i}", v) for i, v in enumerate(value)]
        else:
            out[prefix] = value
            continue
        children.reverse()
        stack.extend(children)
    return out


def v1_string_to_sign(method: str, host: str, path: str, params: Mapping[str, Any]) -> str:
    """The v1 string to sign: ``METHOD host path ? k=v&...`` over sorted params.

    Underscores in names become dots in the signed string only (the official
    SDK and the server both do this); values are rendered with ``str()`` and
    are not URL-encoded.
    """
    renamed = {k.replace("_", "."): v for k, v in params.items()}
    joined = "&".join(f"{k}={renamed[k]}" for k in sorted(renamed))
    return f"{method}{host}{path}?{joined}"
