"""tcfunc.signing: the pure primitives, against the official Sign class."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tencentcloud.common.sign import Sign

from tcfunc import signing

KEYS = st.text(min_size=1, max_size=40)
TEXT = st.text(max_size=200)


@settings(max_examples=200)
@given(KEYS, st.sampled_from(["2024-01-01", "2026-11-28"]), st.sampled_from(["cvm", "sts"]), TEXT)
def test_sign_tc3_equals_official(key: str, date: str, service: str, message: str) -> None:
    """sign_tc3 has the official Sign.sign_tc3 contract, for any key and message."""
    assert signing.sign_tc3(key, date, service, message) == Sign.sign_tc3(
        key, date, service, message
    )


@settings(max_examples=200)
@given(KEYS, TEXT, st.sampled_from(["HmacSHA1", "HmacSHA256"]))
def test_sign_v1_equals_official(key: str, message: str, method: str) -> None:
    """sign_v1 has the official Sign.sign contract."""
    assert signing.sign_v1(key, message, method) == Sign.sign(key, message, method)


def test_sign_v1_refuses_unknown_method() -> None:
    """An unknown v1 method is a ValueError, not a silent default."""
    with pytest.raises(ValueError, match="HmacSHA1 or HmacSHA256"):
        signing.sign_v1("k", "s", "MD5")


def test_derived_key_cache_is_bounded_and_transparent() -> None:
    """The signing-key cache never changes a result and never grows past its bound."""
    first = signing.derive_tc3_key("secret", "2024-01-01", "cvm")
    for i in range(signing._KEY_CACHE_SIZE * 2):
        signing.derive_tc3_key(f"secret{i}", "2024-01-01", "cvm")
        assert len(signing._key_cache) <= signing._KEY_CACHE_SIZE
    assert signing.derive_tc3_key("secret", "2024-01-01", "cvm") == first
    assert signing._derive("secret", "2024-01-01", "cvm") == first
    assert signing._derive("secret", "2024-01-02", "cvm") != first


def test_flatten_params_uses_dotted_indexes_and_drops_none() -> None:
    """Nested lists and dicts flatten to Filters.0.Values.1 and None values vanish."""
    flat = signing.flatten_params(
        {
            "Limit": 2,
            "Filters": [{"Name": "zone", "Values": ["a", "b"]}, {"Name": None}],
            "Empty": [],
            "Gone": None,
        }
    )
    assert flat == {
        "Limit": 2,
        "Filters.0.Name": "zone",
        "Filters.0.Values.0": "a",
        "Filters.0.Values.1": "b",
    }
    assert list(flat) == ["Limit", "Filters.0.Name", "Filters.0.Values.0", "Filters.0.Values.1"]


def test_flatten_params_survives_deep_nesting() -> None:
    """Deep nesting flattens without hitting the recursion limit."""
    value: object = "leaf"
    for _ in range(5000):
        value = [value]
    flat = signing.flatten_params({"A": value})
    assert list(flat.values()) == ["leaf"]
    assert next(iter(flat)).count(".0") == 5000


def test_v1_string_to_sign_renames_underscores_and_sorts() -> None:
    """v1 signs METHOD host path ? sorted k=v, with '_' in names shown as '.'."""
    text = signing.v1_string_to_sign(
        "GET", "cvm.tencentcloudapi.com", "/", {"b": 2, "Action": "X", "a_b": "v w"}
    )
    assert text == "GETcvm.tencentcloudapi.com/?Action=X&a.b=v w&b=2"


def test_canonical_headers_lowercase_names_trim_and_sort() -> None:
    """Names are lower-cased, values trimmed but kept as sent (as the official signs), sorted."""
    block, signed = signing.canonical_headers(
        [("Host", " CVM.tencentcloudapi.com "), ("Content-Type", "application/json")]
    )
    assert block == "content-type:application/json\nhost:CVM.tencentcloudapi.com\n"
    assert signed == "content-type;host"


def test_signing_module_imports_only_the_standard_library() -> None:
    """import tcfunc.signing loads neither attrs nor urllib3, through the package or alone."""
    code = (
        "import sys, tcfunc.signing; "
        "print(','.join(m for m in ('attrs', 'attr', 'urllib3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    # And as a single vendored file, with nothing of tcfunc around it.
    standalone = (
        "import importlib.util, sys; "
        "spec = importlib.util.spec_from_file_location('s', 'tcfunc/signing.py'); "
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
        "print(m.sign_tc3('k', '2024-01-01', 'cvm', 'x'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", standalone], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == signing.sign_tc3("k", "2024-01-01", "cvm", "x")


def test_import_tcfunc_does_not_load_urllib3() -> None:
    """import tcfunc defers urllib3 to the first network call."""
    code = "import sys, tcfunc; print('urllib3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cached_hmac_states_are_safe_to_share_between_threads() -> None:
    """Threads signing with one cached key all get the one correct signature."""
    from concurrent.futures import ThreadPoolExecutor

    messages = [f"message {i}" * (i % 7 + 1) for i in range(400)]
    expected = [Sign.sign_tc3("shared", "2026-11-28", "cvm", m) for m in messages]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda m: signing.sign_tc3("shared", "2026-11-28", "cvm", m), messages))
    assert got == expected
    key = signing.derive_tc3_key("shared", "2026-11-28", "cvm")
    assert signing.sign_tc3_with_key(key, messages[0]) == expected[0]
