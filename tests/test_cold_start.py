"""The cold path (import, build a CommonClient, one call) loads nothing it does not need.

Each test runs a fresh interpreter against the emulator on 127.0.0.1 and
looks at ``sys.modules`` after the first answer, so that a module import
added anywhere on the way (a top-level import, a lazy one that the first
call triggers) shows up here and not only as a slower ``make bench
NAME=cold``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Dict, Iterator, List

import pytest

from tcfunc.testing.emulator import ApiEmulator

SECRET_ID = "AKIDcold"
SECRET_KEY = "cold-secret-key"

# Never on the cold path of a plain-http call with no proxy in the environment.
FORBIDDEN = (
    "urllib.request",  # only to read proxy variables when one is set
    "uuid",  # the trace id comes from os.urandom
    "logging.handlers",
    "asyncio",
    "aiohttp",
    "tcfunc.aio",
    "tcfunc._aiohttp",
    "tcfunc.sts",
    "tcfunc.codegen",
    "tcfunc.testing",
)

_COLD = """
import json, sys
import tcfunc
from tcfunc.client import CommonClient
client = CommonClient(
    "cvm", "2017-03-12", tcfunc.Credential({sid!r}, {skey!r}), "ap-guangzhou",
    tcfunc.ClientProfile(httpProfile=tcfunc.HttpProfile(protocol="http", endpoint={endpoint!r})),
)
answer = client.call_json("DescribeZones", {{"Limit": 1}})
assert answer["Response"]["TotalCount"] == 1, answer
print(json.dumps(sorted(sys.modules)))
"""

_FLOOR = """
import json, sys
import urllib3, attrs
response = urllib3.PoolManager().request("POST", "http://{endpoint}/", body=b"{{}}",
    headers={{"Content-Type": "application/json"}}, retries=False)
json.loads(response.data)
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emu:
        emu.register("cvm", "DescribeZones", lambda params: {"TotalCount": 1})
        yield emu


def _child_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = "127.0.0.1"
    return env


def _modules(code: str) -> List[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=_child_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded: List[str] = json.loads(proc.stdout.splitlines()[-1])
    return loaded


@pytest.fixture(scope="module")
def cold_modules(emulator: ApiEmulator) -> List[str]:
    return _modules(_COLD.format(sid=SECRET_ID, skey=SECRET_KEY, endpoint=emulator.endpoint))


@pytest.fixture(scope="module")
def floor_modules(emulator: ApiEmulator) -> List[str]:
    return _modules(_FLOOR.format(endpoint=emulator.endpoint))


def test_cold_path_skips_modules_the_first_call_does_not_use(cold_modules: List[str]) -> None:
    """No proxy reader, uuid, logging.handlers or asyncio/aiohttp on the sync cold path."""
    loaded = set(cold_modules)
    assert [name for name in FORBIDDEN if name in loaded] == []


def test_cold_path_adds_only_tcfunc_modules_to_the_floor(
    cold_modules: List[str], floor_modules: List[str]
) -> None:
    """Beyond what ``import urllib3, attrs, json`` and one request load, only tcfunc's own.

    urllib3 itself brings ssl, email, datetime, importlib.metadata and
    logging, and attrs brings inspect; tcfunc adds no other module of the
    standard library or of a third party (``uuid``, ``urllib.request``,
    ``importlib.metadata`` through our own code, ...).
    """
    extra = sorted(set(cold_modules) - set(floor_modules))
    assert [name for name in extra if not name.startswith("tcfunc")] == []
