"""README.md: the quick start and the codegen section say the same thing about generated code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import List

from tcfunc.codegen import DEFAULT_PACKAGE
from tcfunc.codegen.__main__ import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _codegen_packages(text: str) -> List[str]:
    """The package each ``python -m tcfunc.codegen`` command of ``text`` writes."""
    packages = []
    for line in text.splitlines():
        if "python -m tcfunc.codegen" not in line:
            continue
        words = shlex.split(line.split("python -m tcfunc.codegen", 1)[1], comments=True)
        packages.append(build_parser().parse_args(words).package)
    return packages


def test_the_quick_start_imports_the_package_its_codegen_command_writes() -> None:
    """The quick start generates a package and imports that one (not ``generated`` or another)."""
    quick = _section("Quick start")
    written = _codegen_packages(quick)
    assert written, "the quick start shows how its client was generated"
    imported = re.findall(r"^from (\w+)\.cvm\.v20170312 import CvmClient", quick, re.M)
    assert imported
    assert set(imported) <= set(written)


def test_the_codegen_section_names_the_default_package_and_what_package_changes() -> None:
    """The codegen section's paths match the commands above them, default package included."""
    section = _section("Typed clients: generate exactly what you need")
    packages = _codegen_packages(section)
    assert DEFAULT_PACKAGE in packages
    for package in packages:
        assert f"src/{package}/cvm/v20170312/" in section or f"src/{package}/..." in section


def test_the_readme_says_where_python_and_tcfunc_live() -> None:
    """After make test, `python` and `tcfunc` are the ones in .venv/bin: the README says so."""
    assert "`.venv/bin`" in _section("Quick start")
    assert ".venv/bin/tcfunc" in _section("The `tcfunc` command")
