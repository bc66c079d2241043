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
    "tcfunc._breaker_values",  # RegionBreakerProfile, BreakerState: only with failover on
    "tcfunc.breaker",  # RegionBreaker: only with failover on
    "tcfunc.sse",  # only for an event stream
    "tcfunc._callinfo",  # CallInfo: only with hooks
    "tcfunc.retry",  # the default profile has no retryer
    "tcfunc._retryers",  # NoopRetryer, StandardRetryer: only when a profile names one
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

# The patterns made lazy (LazyPattern) or given a plain fast path (FastPattern):
# after the cold path, which of them has compiled its regex.
_PATTERNS = (
    ("tcfunc._validate", ("CONTROL_CHARS", "HOST_PATTERN")),
    ("tcfunc.request", ("_HEADER_NAME", "_ACTION", "_VERSION", "_REGION", "_SERVICE")),
    ("tcfunc.request", ("_BOUNDARY", "_BAD_HEADER_VALUE")),
    ("tcfunc.profile", ("_REQUEST_CLIENT",)),
    ("tcfunc._urllib3", ("_QUERY", "_URL_USERINFO", "_TUNNEL_STATUS")),
    ("tcfunc.sse", ("_EOL",)),
)

_COMPILED = (
    _COLD.rsplit("print(", 1)[0]
    + """
compiled = []
for module, names in {patterns!r}:
    loaded = sys.modules.get(module)  # a module the cold path never loads compiled nothing
    for name in names:
        if loaded is not None and getattr(loaded, name)._re is not None:
            compiled.append(module + "." + name)
print(json.dumps(compiled))
"""
)

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


def test_cold_path_compiles_no_regular_expression(emulator: ApiEmulator) -> None:
    """A valid credential, endpoint, action, service, version, region and header names
    pass their checks without compiling a regex, and no error-only pattern is compiled."""
    code = _COMPILED.format(
        sid=SECRET_ID, skey=SECRET_KEY, endpoint=emulator.endpoint, patterns=_PATTERNS
    )
    assert _modules(code) == []


def test_cold_path_builds_no_breaker_class(emulator: ApiEmulator) -> None:
    """Without failover the breaker's attrs classes are never built; asking for them works."""
    code = _COLD.rsplit("print(", 1)[0] + (
        "assert 'tcfunc._breaker_values' not in sys.modules\n"
        "from tcfunc.profile import RegionBreakerProfile\n"
        "from tcfunc.breaker import BreakerState, initial_state\n"
        "state = initial_state(RegionBreakerProfile(), 0.0)\n"
        "assert isinstance(state, BreakerState)\n"
        "assert tcfunc.RegionBreakerProfile is RegionBreakerProfile\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = _modules(code.format(sid=SECRET_ID, skey=SECRET_KEY, endpoint=emulator.endpoint))
    assert "tcfunc._breaker_values" in loaded


def test_retryer_classes_are_built_on_first_use_and_keep_their_public_home(
    emulator: ApiEmulator,
) -> None:
    """Without a retryer the classes are never built; asked for, they are tcfunc.retry's,
    with its name in their repr and pickles, and a client with one retries through them."""
    code = _COLD.rsplit("print(", 1)[0] + (
        "assert 'tcfunc._retryers' not in sys.modules\n"
        "import pickle\n"
        "from tcfunc.retry import NoopRetryer, StandardRetryer\n"
        "assert tcfunc.StandardRetryer is StandardRetryer\n"
        "r = StandardRetryer(max_attempts=2)\n"
        "assert b'tcfunc.retry' in pickle.dumps(r)\n"
        "assert pickle.loads(pickle.dumps(r)).max_attempts == 2\n"
        "assert pickle.loads(pickle.dumps(NoopRetryer())) == NoopRetryer()\n"
        "assert repr(NoopRetryer()) == 'NoopRetryer()'\n"
        "assert StandardRetryer.__module__ == 'tcfunc.retry'\n"
        "retrying = CommonClient('cvm', '2017-03-12', tcfunc.Credential({sid!r}, {skey!r}),\n"
        "    'ap-guangzhou', tcfunc.ClientProfile(retryer=r,\n"
        "    httpProfile=tcfunc.HttpProfile(protocol='http', endpoint={endpoint!r})))\n"
        "assert retrying._retry is r\n"
        "assert retrying.call_json('DescribeZones', {{}})['Response']['TotalCount'] == 1\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = _modules(code.format(sid=SECRET_ID, skey=SECRET_KEY, endpoint=emulator.endpoint))
    assert "tcfunc._retryers" in loaded


def test_at_exit_the_urllib3_log_filter_drops_instead_of_redacting(emulator: ApiEmulator) -> None:
    """Until exit urllib3's pool logger redacts; at exit its filter reaches nothing and passes
    nothing, so the shutdown frees the modules in one pass and nothing goes out unredacted."""
    code = _COLD.rsplit("print(", 1)[0] + (
        "import atexit, logging\n"
        "log = logging.getLogger('urllib3.connectionpool')\n"
        "args = ('/?Signature=abc',)\n"
        "record = lambda: logging.LogRecord(log.name, 10, 'x', 1, '%s', args, None)\n"
        "first = record()\n"
        "before = (log.filter(first), first.args)\n"
        "atexit._run_exitfuncs()\n"
        "kinds = sorted(type(f).__name__ for f in log.filters)\n"
        "print(json.dumps([before[0], before[1][0], kinds, log.filter(record())]))\n"
    )
    out = _modules(code.format(sid=SECRET_ID, skey=SECRET_KEY, endpoint=emulator.endpoint))
    passed_before, args_before, kinds, passed_after = out
    assert passed_before is True
    assert "abc" not in args_before
    assert kinds == ["Filter"]
    assert passed_after is False
