"""examples/demo.py (``make demo``): its summary tells ok, skipped and failed examples apart."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def demo() -> Iterator[ModuleType]:
    """examples/demo.py as a module (it imports its neighbour _support by name)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location("_examples_demo", EXAMPLES / "demo.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(EXAMPLES))


def test_a_skipped_example_is_not_counted_as_ok(demo: ModuleType) -> None:
    """Exit status 77 shows as "skip" and is neither ok nor a failure; other non-zero fail."""
    lines, failed = demo.summary(
        [("a.py", 0, 0.1), ("b.py", demo.SKIPPED, 0.1), ("c.py", 1, 0.1), ("d.py", -1, 0.1)]
    )
    assert lines[1].startswith("  ok   a.py")
    assert lines[2].startswith("  skip b.py")
    assert lines[3].startswith("  FAIL c.py")
    assert lines[4].startswith("  FAIL d.py")
    assert lines[-1] == "1 of 4 examples ran cleanly, 1 skipped."
    assert failed == 2


def test_a_run_with_a_skipped_example_succeeds_and_says_so(
    demo: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The demo run: a skipped example keeps the exit status 0, and the summary counts it apart."""
    (tmp_path / "fine.py").write_text("print('fine')\n", encoding="utf-8")
    (tmp_path / "needs_x.py").write_text(
        "import sys\nprint('x is not installed; skipping')\nsys.exit(77)\n", encoding="utf-8"
    )
    monkeypatch.setattr(demo, "HERE", tmp_path)
    assert demo.main(["-q"]) == 0
    out = capsys.readouterr().out
    assert "  ok   fine.py" in out
    assert "  skip needs_x.py" in out
    assert "x is not installed; skipping" in out  # a skip shows why, even with -q
    assert out.rstrip().endswith("1 of 2 examples ran cleanly, 1 skipped.")
