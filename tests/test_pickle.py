"""Every exception tcfunc raises survives pickle and copy with its code, message and attributes.

A ``ProcessPoolExecutor`` sends a worker's exception back pickled; one that
cannot be rebuilt breaks the pool (``BrokenProcessPool``) and hangs
``multiprocessing.Pool``.
"""

from __future__ import annotations

import concurrent.futures
import copy
import importlib
import inspect
import pickle
import pkgutil
import socket
from typing import Any, Callable, Dict, Iterator, List, Tuple, Type

import pytest

import tcfunc
from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.errors import TencentCloudSDKException, detach, detached
from tcfunc.model import FrozenModelError
from tcfunc.profile import ClientProfile, HttpProfile
from tcfunc.response import ServerNetworkError
from tcfunc.retry import NoopRetryer
from tcfunc.testing.emulator import ApiEmulator
from tcfunc.transport import NetworkError

from ._support.chain import assert_no_secret

CRED = Credential("AKIDpickle", "pickle-secret")

# One instance of each exception class tcfunc defines, built as tcfunc builds
# it. A new class that is missing here fails test_every_exception_class_is_covered.
_SAMPLES: Dict[str, Callable[[], BaseException]] = {
    "tcfunc.errors.TencentCloudSDKException": lambda: TencentCloudSDKException(
        "AuthFailure.SignatureFailure", "bad signature", "req-1"
    ),
    "tcfunc.transport.NetworkError": lambda: NetworkError("connect refused", reached_server=False),
    "tcfunc.response.ServerNetworkError": lambda: ServerNetworkError(502, "HTTP status 502"),
    "tcfunc._validate.FrozenValueError": lambda: _private("tcfunc._validate", "FrozenValueError"),
    "tcfunc.profile.FrozenProfileError": lambda: _raised(_change_a_profile),
    "tcfunc.model.FrozenModelError": lambda: FrozenModelError(
        "ClientError", "models are immutable"
    ),
    "tcfunc.testing._wire.BrokenStream": lambda: _private("tcfunc.testing._wire", "BrokenStream"),
    "tcfunc._aiohttp._ProxyAuth": lambda: _private("tcfunc._aiohttp", "_ProxyAuth"),
}


def _change_a_profile() -> None:
    HttpProfile().reqTimeout = 3  # type: ignore[misc]


def _private(module: str, name: str) -> BaseException:
    error: BaseException = getattr(importlib.import_module(module), name)("internal")
    return error


# Private helpers of the command line that never leave tcfunc.cli.main.
_NOT_RAISED_OUTSIDE = {"tcfunc.cli._UsageError"}


def _tcfunc_exception_classes() -> Iterator[Tuple[str, Type[BaseException]]]:
    seen = set()
    for info in pkgutil.walk_packages(tcfunc.__path__, "tcfunc."):
        if info.name.endswith("__main__"):
            continue  # running it would start a command line
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            name = f"{cls.__module__}.{cls.__qualname__}"
            if (
                issubclass(cls, BaseException)
                and cls.__module__.startswith("tcfunc")
                and name not in seen
            ):
                seen.add(name)
                yield name, cls


def _same(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert a.args == b.args
    assert vars(a) == vars(b)
    assert str(a) == str(b)


def test_every_exception_class_is_covered() -> None:
    """Walking every tcfunc module finds no exception class without a pickle sample here."""
    found = {name for name, _ in _tcfunc_exception_classes()}
    assert "tcfunc.transport.NetworkError" in found  # the walk does find them
    missing = found - set(_SAMPLES) - _NOT_RAISED_OUTSIDE
    assert not missing, f"add an instance of each to _SAMPLES in tests/test_pickle.py: {missing}"


@pytest.mark.parametrize("name", sorted(_SAMPLES))
def test_each_exception_class_pickles_and_copies_intact(name: str) -> None:
    """pickle (every protocol), copy.copy and copy.deepcopy keep type, args and attributes."""
    error = _SAMPLES[name]()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        _same(error, pickle.loads(pickle.dumps(error, protocol)))
    _same(error, copy.copy(error))
    _same(error, copy.deepcopy(error))


def test_subclass_attributes_survive_without_subclass_code() -> None:
    """A new subclass with its own __init__ signature pickles with no __reduce__ of its own."""

    error = _Custom("x", level=3)
    back = pickle.loads(pickle.dumps(error))
    assert (back.code, back.message, back.requestId, back.level) == ("Custom", "x", "rid", 3)


class _Custom(TencentCloudSDKException):
    def __init__(self, text: str, *, level: int) -> None:
        super().__init__("Custom", text, "rid")
        self.level = level


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _client(endpoint: str) -> CommonClient:
    http = HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=5)
    profile = ClientProfile(httpProfile=http, retryer=NoopRetryer())
    return CommonClient("cvm", "2017-03-12", CRED, "ap-guangzhou", profile)


def _raised(call: Callable[[], Any]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as info:
        call()
    return info.value


def _real_errors() -> List[TencentCloudSDKException]:
    errors = [
        _raised(lambda: _client(f"127.0.0.1:{_closed_port()}").call_json("DescribeZones", {}))
    ]
    with ApiEmulator({CRED.secret_id: CRED.secret_key}) as emu:
        emu.register("cvm", "DescribeZones", lambda p: {"TotalCount": 0})
        client = _client(emu.endpoint)
        emu.inject_fault("http_error", status=502)
        errors.append(_raised(lambda: client.call_json("DescribeZones", {})))
        emu.inject_fault("api_error", code="ResourceInsufficient", message="sold out")
        errors.append(_raised(lambda: client.call_json("DescribeZones", {})))
    return errors


def test_errors_from_real_calls_round_trip() -> None:
    """A connect failure, a 502 and an API error from real calls come back intact from pickle."""
    refused, bad_gateway, api = _real_errors()
    assert isinstance(refused, NetworkError)
    assert refused.reached_server is False
    assert isinstance(bad_gateway, ServerNetworkError)
    assert bad_gateway.status == 502
    assert api.code == "ResourceInsufficient"
    assert api.requestId
    for error in (refused, bad_gateway, api):
        back = pickle.loads(pickle.dumps(error))
        _same(error, back)


def _call_closed_port(port: int) -> None:
    # Runs in a worker process: the exception travels back pickled.
    _client(f"127.0.0.1:{port}").call_json("DescribeZones", {})


def test_network_error_comes_back_from_a_process_pool_worker() -> None:
    """A worker's ClientNetworkError reaches the parent with its attributes; the pool survives."""
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_call_closed_port, _closed_port())
        with pytest.raises(NetworkError) as info:
            future.result(timeout=30)
        error = info.value
        assert (error.code, error.requestId, error.reached_server) == (
            "ClientNetworkError",
            None,
            False,
        )
        assert error.message
        # The pool is not broken: it runs the next task.
        assert pool.submit(abs, -3).result(timeout=30) == 3


def test_detached_drops_the_chain_even_with_from_none() -> None:
    """An error raised in a detached block keeps neither __cause__ nor __context__."""
    secret = "Signature=abc123secret"

    def translate() -> None:
        with detached():
            try:
                raise ValueError(f"http://h/?{secret}")
            except ValueError:
                raise TencentCloudSDKException("ClientError", "bad URL (ValueError)") from None

    with pytest.raises(TencentCloudSDKException) as info:
        translate()
    assert info.value.__context__ is None
    assert info.value.__cause__ is None
    assert_no_secret(info.value, [secret])


def test_detached_leaves_other_exceptions_alone() -> None:
    """Only tcfunc errors lose their chain; a foreign exception passes through unchanged."""

    def translate() -> None:
        with detached():
            try:
                raise ValueError("inner")
            except ValueError:
                raise KeyError("outer")  # noqa: B904 - the chain is what is checked

    with pytest.raises(KeyError) as info:
        translate()
    assert isinstance(info.value.__context__, ValueError)


def test_detach_clears_an_error_held_outside_a_handler() -> None:
    """detach() returns the same error with cause and context cleared."""
    inner = ValueError("token=s3cr3t")
    outer = TencentCloudSDKException("ClientError", "x")
    outer.__cause__ = inner
    outer.__context__ = inner
    back = detach(outer)
    assert back is outer
    assert (back.__cause__, back.__context__, back.__suppress_context__) == (None, None, True)
