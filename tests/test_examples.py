"""Every example runs, as a subprocess against the emulator, and exits 0; so does the demo."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

from tcfunc.codegen import write_package
from tcfunc.testing.emulator import RecordedRequest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(
    p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_") and p.name != "demo.py"
)
TIMEOUT = 120
Result = Tuple[int, str]
HAVE_HTTPX = importlib.util.find_spec("httpx") is not None
NO_HTTPX = "httpx is not installed: prepare_request_httpx.py would only print a note"


def _load_support() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_examples_support", EXAMPLES / "_support.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


support = _load_support()


def _clean_environment() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in support.UNSET_VARIABLES}
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", support.ENDPOINT_VARIABLE):
        env.pop(name, None)
    # Standalone runs start their own emulator; keep credential lookups local anyway.
    env["TENCENTCLOUD_METADATA_ENDPOINT"] = f"http://127.0.0.1:{support.closed_port()}/"
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def _run(script: Path, env: Dict[str, str]) -> Result:
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=EXAMPLES,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return -1, f"timed out after {TIMEOUT}s: {exc.output!r}"
    return done.returncode, done.stdout + done.stderr


def _run_all(env: Optional[Dict[str, str]]) -> Dict[str, Result]:
    with ThreadPoolExecutor(4) as pool:
        results = pool.map(lambda s: _run(s, env or _clean_environment()), SCRIPTS)
        return {s.name: r for s, r in zip(SCRIPTS, results)}


@pytest.fixture(scope="module")
def shared_runs() -> Iterator[Dict[str, Result]]:
    """Every example, run concurrently against one emulator shared through the environment."""
    emulator = support.start_emulator()
    try:
        env = _clean_environment()
        env.update(support.example_environment(emulator.endpoint))
        yield _run_all(env)
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def standalone_runs() -> Dict[str, Result]:
    """Every example, run concurrently with no endpoint given: each starts its own emulator."""
    return _run_all(None)


def test_the_examples_are_found() -> None:
    """The documented scenarios each have a script."""
    names = {p.stem for p in SCRIPTS}
    for expected in (
        "quickstart",
        "common_client",
        "default_credentials",
        "client_profile",
        "custom_headers",
        "region_failover",
        "proxy",
        "logging_example",
        "reuse_client",
        "multi_region",
        "sse_streaming",
        "octet_stream_upload",
        "sts_credentials",
        "prepare_request_asyncio",
        "prepare_request_httpx",
    ):
        assert expected in names


def _skip_without_httpx(script: str) -> None:
    if script == "prepare_request_httpx.py" and not HAVE_HTTPX:
        pytest.skip(NO_HTTPX)


@pytest.mark.parametrize("script", [p.name for p in SCRIPTS])
def test_example_runs_against_a_shared_emulator(
    shared_runs: Dict[str, Result], script: str
) -> None:
    """With TCFUNC_EXAMPLE_ENDPOINT set (as under make demo), the example exits 0."""
    _skip_without_httpx(script)
    status, output = shared_runs[script]
    assert status == 0, output
    assert output.strip(), "an example prints what it did"
    assert "Traceback" not in output


@pytest.mark.parametrize("script", [p.name for p in SCRIPTS])
def test_example_runs_standalone(standalone_runs: Dict[str, Result], script: str) -> None:
    """Without TCFUNC_EXAMPLE_ENDPOINT, the example starts its own emulator and exits 0."""
    _skip_without_httpx(script)
    status, output = standalone_runs[script]
    assert status == 0, output


def test_no_example_output_contains_the_demo_secret_key(
    shared_runs: Dict[str, Result],
) -> None:
    """Whatever the examples print or log, the secret key is never in it."""
    for script, (_status, output) in shared_runs.items():
        assert support.DEMO_SECRET_KEY not in output, script


def test_demo_runs_the_chosen_examples_and_summarises() -> None:
    """examples/demo.py starts the emulator, runs examples and prints a summary, exit 0."""
    env = _clean_environment()
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py"), "-q", "quickstart", "common_client"],
        cwd=EXAMPLES.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   quickstart.py" in done.stdout
    assert "ok   common_client.py" in done.stdout
    assert "2 of 2 examples ran cleanly." in done.stdout


def test_demo_exits_non_zero_when_an_example_fails(tmp_path: Path) -> None:
    """A failing example is reported with its output and makes the demo exit 1."""
    for name in ("demo.py", "_support.py", "common_client.py"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    (tmp_path / "broken.py").write_text("raise SystemExit('this example is broken')\n")
    done = subprocess.run(
        [sys.executable, str(tmp_path / "demo.py"), "-q"],
        cwd=tmp_path,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1
    assert "FAIL broken.py" in done.stdout
    assert "this example is broken" in done.stdout
    assert "ok   common_client.py" in done.stdout
    unknown = subprocess.run(
        [sys.executable, str(tmp_path / "demo.py"), "nosuch"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert unknown.returncode == 2
    assert "no such example: nosuch" in unknown.stderr


def test_the_committed_cvm_client_is_what_the_generator_makes(tmp_path: Path) -> None:
    """examples/generated is exactly the generator's output for its two actions."""
    services = support.tccli_services_dir()
    if services is None:
        pytest.skip("tccli (test-only dependency) is not installed")
    write_package(
        services,
        "cvm",
        tmp_path,
        version="2017-03-12",
        package="generated",
        actions=["DescribeInstances", "DescribeZones"],
    )
    for fresh in sorted((tmp_path / "generated").rglob("*.py")):
        committed = EXAMPLES / fresh.relative_to(tmp_path)
        assert committed.read_text("utf-8") == fresh.read_text("utf-8"), (
            f"{committed} is stale: regenerate it (see the docstring of examples/quickstart.py)"
        )


def _run_against_own_emulator(script: str) -> Tuple[Result, List[RecordedRequest]]:
    """Run one example against a fresh emulator; its result and what the emulator received."""
    emulator = support.start_emulator()
    try:
        env = _clean_environment()
        env.update(support.example_environment(emulator.endpoint))
        result = _run(EXAMPLES / script, env)
        return result, emulator.requests
    finally:
        emulator.stop()


def _served(requests: List[RecordedRequest], action: str) -> List[RecordedRequest]:
    """The requests for ``action`` that were signed with the demo key and answered."""
    return [
        r
        for r in requests
        if r.action == action
        and r.secret_id == support.DEMO_SECRET_ID
        and r.error_code is None
        and r.fault is None
    ]


def test_the_asyncio_example_really_sends_its_requests() -> None:
    """prepare_request_asyncio.py sends one signed request per region and prints each answer."""
    (status, output), requests = _run_against_own_emulator("prepare_request_asyncio.py")
    assert status == 0, output
    sent = _served(requests, "DescribeInstances")
    assert sorted(str(r.region) for r in sent) == ["ap-beijing", "ap-guangzhou", "ap-shanghai"]
    # The emulator answers each region with its own instances: the printed
    # counts come from the answers, not from the script.
    answers = dict(re.findall(r"^  (ap-[a-z]+): TotalCount=(\d+) first=", output, re.M))
    assert answers == {"ap-guangzhou": "5", "ap-shanghai": "2", "ap-beijing": "1"}


def test_the_httpx_example_really_sends_its_requests() -> None:
    """prepare_request_httpx.py (with httpx) sends DescribeZones and three DescribeInstances."""
    if not HAVE_HTTPX:
        pytest.skip(NO_HTTPX)
    (status, output), requests = _run_against_own_emulator("prepare_request_httpx.py")
    assert status == 0, output
    assert len(_served(requests, "DescribeZones")) == 1
    assert len(_served(requests, "DescribeInstances")) == 3
    assert "httpx (sync): 3 zones" in output
    assert "httpx (async, 3 at once): web-1, web-2, db-1" in output


def test_the_sts_example_shows_a_refresh_and_the_token_on_the_wire(
    shared_runs: Dict[str, Result],
) -> None:
    """sts_credentials.py: a second AssumeRole gives a new id; each call carried its token."""
    status, output = shared_runs["sts_credentials.py"]
    assert status == 0, output
    lines = output.splitlines()
    assume_role = [line for line in lines if re.match(r"^  \d+\. sts AssumeRole ", line)]
    assert len(assume_role) == 2
    assert all(line.endswith("no X-TC-Token") for line in assume_role)
    calls = [line for line in lines if re.match(r"^  \d+\. cvm DescribeInstances ", line)]
    assert [line.rsplit("X-TC-Token = ", 1)[-1] for line in calls] == [
        "the 1st credential's token",
        "the 1st credential's token",
        "the 2nd credential's token",
    ]
    old, new = re.findall(r"TmpSecretId (AKID\w+)\.\.\. -> (AKID\w+)\.\.\.", output)[0]
    assert old != new
    assert "AssumeRole calls: 2" in output


def test_the_multi_region_example_shows_the_region_each_request_carried(
    shared_runs: Dict[str, Result],
) -> None:
    """multi_region.py: answers differ by region, and each region was sent once in X-TC-Region."""
    status, output = shared_runs["multi_region.py"]
    assert status == 0, output
    counts = dict(re.findall(r"^ +(ap-[a-z]+): (\d+) instance", output, re.M))
    assert counts == {
        "ap-guangzhou": "5",
        "ap-shanghai": "2",
        "ap-beijing": "1",
        "ap-singapore": "0",
    }
    carried = re.findall(r"X-TC-Region: (\S+)  \(signature ok\)", output)
    assert sorted(carried) == ["ap-beijing", "ap-guangzhou", "ap-shanghai", "ap-singapore"]
