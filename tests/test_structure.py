"""The package's shape: pure modules stay pure, and no module imports itself in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

import tcfunc

PACKAGE = Path(tcfunc.__file__).resolve().parent

# Modules whose import must load no I/O machinery and no client, transport or provider.
PURE = ("tcfunc.signing", "tcfunc.request", "tcfunc.verify")
FORBIDDEN = (
    "urllib3",
    "socket",
    "ssl",
    "http.client",
    "logging",
    "asyncio",
    "aiohttp",
    "tcfunc.client",
    "tcfunc.aio",
    "tcfunc.transport",
    "tcfunc._urllib3",
    "tcfunc._aiohttp",
    "tcfunc.credential",
    "tcfunc._providers",
)


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_load_no_io_and_no_client(module: str) -> None:
    """import tcfunc.signing / request / verify loads no socket, ssl, logging or client code."""
    code = (
        f"import sys, {module}\n"
        f"names = {FORBIDDEN!r}\n"
        "bad = [m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in names)]\n"
        "print(','.join(sorted(bad)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, level: int, target: Optional[str]) -> str:
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _imports(path: Path, known: Set[str]) -> Set[str]:
    """The tcfunc modules ``path`` imports, at any depth (functions too), for real.

    Skipped: ``if TYPE_CHECKING:`` blocks (never run), the module's own
    parent packages (always loaded first), and a module-level
    ``__getattr__`` (PEP 562 lazy re-exports for older import paths, resolved
    on attribute access after both modules finished loading).
    """
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    found: Set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            return
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            # "from . import x" may name a submodule.
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            names = []
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            # A package is loaded before its submodules: importing an ancestor is no cycle.
            if name and name != module and not module.startswith(name + "."):
                found.add(name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_no_import_cycles_among_tcfunc_modules() -> None:
    """The module graph, imports inside functions included, has no cycle."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    graph: Dict[str, Set[str]] = {name: _imports(path, known) for name, path in paths.items()}
    state: Dict[str, int] = {}
    stack: List[str] = []
    cycles: List[List[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)
    assert cycles == [], cycles
