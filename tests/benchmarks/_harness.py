"""Shared timing helpers for the benchmarks: interleaved sampling, robust summaries, rows.

Machines are noisy, so every comparison runs its cases interleaved (A B A B ...)
after warm-ups, summarises each case by its median and inter-quartile range,
and judges a goal on the ratio of the two, taken round by round (each round's
A against the same round's B) so that slow spells hit both sides alike.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable

Sampler = Callable[[], float]

# Child interpreters keep compiled bytecode here (gitignored, outside the
# package tree), so that after the warm-up rounds every import reads a .pyc,
# as in an installed package, even where PYTHONDONTWRITEBYTECODE is set; with
# it, tcfunc's own modules would be compiled from source on every start while
# the official SDK's came precompiled from pip.
PYCACHE = HERE / "results" / "pycache"


def child_cwd() -> Path:
    """Where child interpreters run (``-c`` puts it first on ``sys.path``).

    Not the repository root, whose ``tcfunc/`` would shadow a ``PYTHONPATH``
    pointing at a variant under test; the installed (editable) tcfunc is the
    same files.
    """
    PYCACHE.mkdir(parents=True, exist_ok=True)
    return PYCACHE.parent


def child_env() -> Dict[str, str]:
    """The environment for timed child interpreters: bytecode cached under ``PYCACHE``."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


@dataclass(frozen=True)
class Stats:
    """Median, quartiles and extremes of a list of samples."""

    median: float
    q1: float
    q3: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        """Summarise ``samples`` (at least one)."""
        ordered = sorted(samples)
        if len(ordered) == 1:
            only = ordered[0]
            return cls(only, only, only, only, only, 1)
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        return cls(statistics.median(ordered), q1, q3, ordered[0], ordered[-1], len(ordered))


@dataclass(frozen=True)
class Unit:
    """How to print a metric: a scale, a suffix, and the number of decimals."""

    name: str
    scale: float
    suffix: str
    decimals: int = 2

    def fmt(self, value: float) -> str:
        """``value`` rendered in this unit."""
        return f"{value * self.scale:,.{self.decimals}f}{self.suffix}"

    def fmt_stats(self, stats: Stats) -> str:
        """``median [q1-q3]``, the spread as the inter-quartile range."""
        return f"{self.fmt(stats.median)} [{self.fmt(stats.q1)}-{self.fmt(stats.q3)}]"


MS = Unit("ms", 1e3, " ms")
US = Unit("us", 1e6, " us", 1)
PER_S = Unit("per s", 1.0, "/s", 0)
MIB = Unit("MiB", 1 / (1024 * 1024), " MiB", 1)
KIB = Unit("KiB", 1 / 1024, " KiB", 1)
BYTES = Unit("bytes", 1.0, " B", 0)
COUNT = Unit("count", 1.0, "", 0)


@dataclass
class Row:
    """One line of the report: a subject against a reference, and a goal on their ratio.

    ``ratio`` is subject/reference (for times: lower is better; for rates,
    pass ``higher_is_better=True`` and the goal reads the same ratio). A row
    without a reference states an absolute goal (``passed`` given directly).
    """

    bench: str
    metric: str
    unit: Unit
    subject_label: str
    subject: Stats
    reference_label: str = ""
    reference: Optional[Stats] = None
    ratio: Optional[Stats] = None
    goal: str = ""
    passed: Optional[bool] = None
    notes: List[str] = field(default_factory=list)

    def subject_text(self) -> str:
        """The subject's median and spread."""
        return f"{self.subject_label}: {self.unit.fmt_stats(self.subject)}"

    def reference_text(self) -> str:
        """The reference's median and spread, or an empty string."""
        if self.reference is None:
            return ""
        return f"{self.reference_label}: {self.unit.fmt_stats(self.reference)}"

    def ratio_text(self) -> str:
        """The paired ratio's median and spread, or an empty string."""
        if self.ratio is None:
            return ""
        r = self.ratio
        return f"{r.median:.2f}x [{r.q1:.2f}-{r.q3:.2f}]"

    def verdict(self) -> str:
        """PASS, FAIL, or INFO for rows without a goal."""
        if self.passed is None:
            return "INFO"
        return "PASS" if self.passed else "FAIL"


def skipped(bench: str, metric: str, reason: str) -> Row:
    """A row that could not be measured, reported instead of crashing the run."""
    nothing = Stats(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), 0)
    row = Row(bench, metric, COUNT, "not measured", nothing, goal="", passed=None)
    row.notes.append(f"SKIPPED: {reason}")
    return row


def interleave(
    cases: Sequence[Tuple[str, Sampler]], *, rounds: int, warmup: int = 2
) -> Dict[str, List[float]]:
    """Run each case's sampler once per round, in turn (A B A B ...), after warm-ups.

    The starting case alternates between rounds so that neither side always
    follows the other (caches, CPU frequency and the scheduler's mood).
    """
    for _ in range(warmup):
        for _, sample in cases:
            sample()
    out: Dict[str, List[float]] = {name: [] for name, _ in cases}
    for i in range(rounds):
        order = list(cases) if i % 2 == 0 else list(reversed(cases))
        for name, sample in order:
            out[name].append(sample())
    return out


def per_op(fn: Callable[[], object], number: int) -> Sampler:
    """A sampler that calls ``fn`` ``number`` times and returns seconds per call."""

    def sample() -> float:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - start) / number

    return sample


def calibrate(fn: Callable[[], object], target: float = 0.02, cap: int = 100_000) -> int:
    """How many calls of ``fn`` take about ``target`` seconds (at least one)."""
    number = 1
    while number < cap:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - start >= target / 4:
            break
        number *= 2
    start = time.perf_counter()
    for _ in range(number):
        fn()
    each = (time.perf_counter() - start) / number
    return max(1, min(cap, int(target / each) if each > 0 else cap))


def paired_ratios(a: Sequence[float], b: Sequence[float]) -> Stats:
    """Round-by-round ratios a[i]/b[i], summarised."""
    return Stats.of([x / y for x, y in zip(a, b) if y > 0])


def run_python(code: str, *, timeout: float = 60.0) -> str:
    """Run ``code`` in a fresh interpreter of this venv; its stdout, or raise with its stderr."""
    proc = subprocess.run(
        [PYTHON, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(child_cwd()),
        check=False,
        env=child_env(),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return proc.stdout


class _Watchdog:
    """Kills timed child processes that outlive their deadline, polling twice a second.

    ``Popen.wait(timeout=...)`` polls with sleeps of up to 50 ms, which would
    quantise the very times measured; a plain ``wait()`` blocks in waitpid and
    returns the moment the child exits, and this thread bounds it instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deadlines: Dict[int, Tuple[float, subprocess.Popen[bytes]]] = {}
        self._thread: Optional[threading.Thread] = None

    def watch(self, proc: subprocess.Popen[bytes], limit: float) -> None:
        with self._lock:
            self._deadlines[proc.pid] = (time.monotonic() + limit, proc)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()

    def forget(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._deadlines.pop(proc.pid, None)

    def _run(self) -> None:
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            with self._lock:
                late = [p for deadline, p in self._deadlines.values() if deadline < now]
            for proc in late:
                proc.kill()


_WATCHDOG = _Watchdog()


def spawn_timer(code: str, limit: float = 60.0) -> Sampler:
    """A sampler: wall time of one fresh interpreter running ``code`` to its exit."""
    argv = [PYTHON, "-c", code]
    env = child_env()
    cwd = str(child_cwd())

    def sample() -> float:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, env=env)
        _WATCHDOG.watch(proc, limit)
        try:
            returncode = proc.wait()
        finally:
            _WATCHDOG.forget(proc)
        elapsed = time.perf_counter() - start
        if returncode != 0:
            raise RuntimeError(f"{code!r} exited with {returncode}")
        return elapsed

    return sample


def machine() -> Dict[str, str]:
    """What the numbers were measured on."""
    info = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
        "machine": platform.machine(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with contextlib.suppress(OSError):
        info["loadavg"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return info


def versions() -> Dict[str, str]:
    """Versions of the packages under comparison."""
    from importlib import metadata

    out = {}
    for dist in (
        "tcfunc",
        "tencentcloud-sdk-python-common",
        "urllib3",
        "requests",
        "attrs",
        "aiohttp",
        "httpx",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def tcfunc_client_available() -> Optional[str]:
    """None when ``tcfunc.client.CommonClient`` can be imported, else why not."""
    try:
        from tcfunc.client import CommonClient  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any failure means: not ready, report it
        return f"tcfunc.client.CommonClient not importable: {type(exc).__name__}: {exc}"
    return None
