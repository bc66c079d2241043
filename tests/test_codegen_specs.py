"""tcfunc.codegen over every API spec tccli ships: ruff and mypy --strict on all of it (slow).

The quick run checks a sample of awkward specs (tests/test_codegen.py's
``SAMPLE_SPECS``, beside cvm and sts); this one generates all ~300 service
versions, sync client, async client and models, and runs ``ruff check`` (with
the generated ``ruff.toml`` alone), ``ruff format --check`` and ``mypy
--strict`` over them. mypy runs in batches of services sharing one cache, so
that its memory stays bounded (one run over everything needs several GB).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from tcfunc.codegen import write_package

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tcfunc_all_specs"
MYPY_BATCH = 40


def _tccli_services() -> Path:
    spec = importlib.util.find_spec("tccli")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("tccli (test-only dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "services"


def _every_spec(services: Path) -> List[Tuple[str, str]]:
    """(service, version directory) of every api.json in the tree."""
    return sorted(
        (path.parent.parent.name, path.parent.name) for path in services.glob("*/v*/api.json")
    )


def _run(args: List[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.sweep
def test_every_tccli_spec_generates_code_that_passes_ruff_and_mypy_strict(
    tmp_path: Path,
) -> None:
    """All ~300 service versions generate, and the output passes ruff and mypy --strict."""
    for tool in ("ruff", "mypy"):
        if importlib.util.find_spec(tool) is None:
            pytest.skip(f"{tool} is not installed")
    services = _tccli_services()
    specs = _every_spec(services)
    assert len(specs) > 250
    timings = {}
    started = time.perf_counter()
    for service, vdir in specs:
        write_package(services, service, tmp_path, version=vdir, package=PACKAGE)
    timings["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    check = _run(["ruff", "check", "--no-cache", PACKAGE], tmp_path)
    assert check.returncode == 0, check.stdout[-5000:] + check.stderr[-2000:]
    fmt = _run(["ruff", "format", "--check", "--no-cache", PACKAGE], tmp_path)
    assert fmt.returncode == 0, fmt.stdout[-5000:] + fmt.stderr[-2000:]
    timings["ruff"] = time.perf_counter() - started

    started = time.perf_counter()
    names = sorted({service for service, _vdir in specs})
    config = ["--strict", "--config-file", str(ROOT / "pyproject.toml")]
    config += ["--cache-dir", str(tmp_path / ".mypy_cache")]
    for first in range(0, len(names), MYPY_BATCH):
        batch = names[first : first + MYPY_BATCH]
        packages = [arg for name in batch for arg in ("-p", f"{PACKAGE}.{name}")]
        result = _run(["mypy", *config, *packages], tmp_path)
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    timings["mypy"] = time.perf_counter() - started
    summary = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in timings.items())
    print(f"{len(specs)} service versions: {summary}")
