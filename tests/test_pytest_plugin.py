"""The pytest plugin: a user's test file gets tc_emulator and tc_fake with no conftest."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import asyncio

import pytest

from tcfunc import TencentCloudSDKException
from tcfunc.client import CommonClient
from tcfunc.testing import ANY, TEST_CREDENTIAL


def test_in_process(tc_emulator):
    tc_emulator.register("cvm", "DescribeZones", lambda p: {"TotalCount": 2})
    client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                          tc_emulator.client_profile(), transport=tc_emulator.transport())
    assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 2


def test_over_http(tc_emulator):
    tc_emulator.register("cvm", "DescribeZones", lambda p: {"TotalCount": 3})
    client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                          tc_emulator.client_profile())
    assert client.call_json("DescribeZones", {})["Response"]["TotalCount"] == 3
    tc_emulator.inject_fault("api_error", code="LimitExceeded", times=-1)


def test_fresh_for_every_test(tc_emulator):
    # The handler, the endless fault and the record of the tests above are gone.
    assert tc_emulator.requests == []
    client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                          tc_emulator.client_profile(), transport=tc_emulator.transport())
    with pytest.raises(TencentCloudSDKException) as excinfo:
        client.call_json("DescribeZones", {})
    assert excinfo.value.code == "InvalidAction"


def test_fake_with_expected_params(tc_fake):
    tc_fake.add_json({"TotalCount": 0}, expected_params={"Limit": 10, "Offset": ANY})
    client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                          transport=tc_fake)
    client.call_json("DescribeInstances", {"Limit": 10, "Offset": 5})


def test_async_fake(tc_async_fake):
    from tcfunc.aio import AsyncCommonClient

    tc_async_fake.add_json({"TotalCount": 1})
    client = AsyncCommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                               transport=tc_async_fake)
    answer = asyncio.run(client.call_json("DescribeZones", {}))
    assert answer["Response"]["TotalCount"] == 1
"""

UNUSED_SCRIPT = """
def test_leaves_an_answer_unused(tc_fake):
    tc_fake.add_json({}, action="DescribeZones")
"""

# The plugin must come from the entry point, as in a user's project: autoload stays on.
ARGS = ("-p", "no:randomly", "-p", "no:cacheprovider")


def test_a_users_test_file_gets_the_fixtures_with_no_conftest(pytester: pytest.Pytester) -> None:
    """In a fresh directory with no conftest, the installed plugin provides tc_emulator
    (in process and over HTTP, reset between tests), tc_fake and tc_async_fake; and
    tc_fake fails the test whose scripted answers were never used, naming them."""
    pytester.makepyfile(test_user=USER_TESTS, test_unused=UNUSED_SCRIPT)
    # In process (fast): the inner session loads its plugins afresh, entry points included.
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(passed=6, errors=1)
    result.stdout.fnmatch_lines(["*1 scripted answer(s) unused*DescribeZones*"])


@pytest.mark.slow
def test_the_spec_dir_ini_option_gives_the_emulator_specs(pytester: pytest.Pytester) -> None:
    """With tcfunc_spec_dir = tccli, tc_emulator validates against the real schemas."""
    pytest.importorskip("tccli")
    pytester.makeini("[pytest]\ntcfunc_spec_dir = tccli\n")
    pytester.makepyfile(
        test_specs="""
from tcfunc import TencentCloudSDKException
from tcfunc.client import CommonClient
from tcfunc.testing import TEST_CREDENTIAL
import pytest

def test_misspelt(tc_emulator):
    client = CommonClient("cvm", "2017-03-12", TEST_CREDENTIAL, "ap-guangzhou",
                          tc_emulator.client_profile(), transport=tc_emulator.transport())
    with pytest.raises(TencentCloudSDKException) as excinfo:
        client.call_json("DescribeInstances", {"Limt": 1})
    assert excinfo.value.code == "UnknownParameter"
"""
    )
    result = pytester.runpytest_subprocess(*ARGS)
    result.assert_outcomes(passed=1)
