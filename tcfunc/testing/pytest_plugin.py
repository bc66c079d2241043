"""pytest fixtures for code that calls Tencent Cloud, installed with tcfunc.

pytest loads this plugin through the ``pytest11`` entry point, so a test file
needs no conftest::

    from tcfunc.client import CommonClient
    from tcfunc.testing import TEST_CREDENTIAL

    def test_zones(tc_emulator):
        tc_emulator.register("cvm", "DescribeZones", lambda p: {"TotalCount": 0})
        client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                              tc_emulator.client_profile(), transport=tc_emulator.transport())
        assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 0

Fixtures:

* ``tc_emulator``: a started :class:`~tcfunc.testing.ApiEmulator` that accepts
  :data:`~tcfunc.testing.TEST_CREDENTIAL`, with its handlers, faults, latency
  and recorded requests fresh for every test (one server serves the session).
  Use it over HTTP (``client_profile()`` points at it) or in process
  (``transport()``, ``async_transport()``). The ini option
  ``tcfunc_spec_dir`` gives it a tccli-style spec tree (``tccli`` for the
  installed tccli package's).
* ``tc_fake``: a :class:`~tcfunc.testing.FakeTransport`; scripted answers the
  test left unused fail it at teardown.
* ``tc_async_fake``: the same for asyncio clients
  (:class:`~tcfunc.testing.AsyncFakeTransport`).
"""

from __future__ import annotations

from typing import Iterator, Optional, Union

import pytest

from .emulator import ApiEmulator, tccli_spec_dir
from .fake import AsyncFakeTransport, FakeTransport

__all__ = ["tc_async_fake", "tc_emulator", "tc_emulator_server", "tc_fake"]

_SPEC_INI = "tcfunc_spec_dir"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``tcfunc_spec_dir`` ini option."""
    parser.addini(
        _SPEC_INI,
        "tccli-style services tree for the tc_emulator fixture ('tccli': the installed "
        "tccli package's)",
        default="",
    )


def _spec_dir(config: pytest.Config) -> Optional[str]:
    value = str(config.getini(_SPEC_INI) or "").strip()
    if not value:
        return None
    if value == "tccli":
        found = tccli_spec_dir()
        if found is None:
            raise pytest.UsageError(
                f"{_SPEC_INI} = tccli needs the tccli package (pip install --no-deps tccli)"
            )
        return found
    return value


@pytest.fixture(scope="session")
def tc_emulator_server(pytestconfig: pytest.Config) -> Iterator[ApiEmulator]:
    """The session's emulator server (prefer ``tc_emulator``, which resets it per test)."""
    emulator = ApiEmulator.for_tests(spec_dir=_spec_dir(pytestconfig))
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def tc_emulator(tc_emulator_server: ApiEmulator) -> Iterator[ApiEmulator]:
    """A running emulator accepting ``TEST_CREDENTIAL``, fresh for this test."""
    tc_emulator_server.reset()
    try:
        yield tc_emulator_server
    finally:
        tc_emulator_server.reset()


def _check_used(fake: Union[FakeTransport, AsyncFakeTransport]) -> None:
    try:
        fake.assert_no_pending()
    except AssertionError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def tc_fake() -> Iterator[FakeTransport]:
    """A :class:`FakeTransport`; unused scripted answers fail the test at teardown."""
    fake = FakeTransport()
    yield fake
    _check_used(fake)


@pytest.fixture
def tc_async_fake() -> Iterator[AsyncFakeTransport]:
    """An :class:`AsyncFakeTransport`; unused scripted answers fail the test at teardown."""
    fake = AsyncFakeTransport()
    yield fake
    _check_used(fake)
