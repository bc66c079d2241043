"""Helpers for the bulk-work tests: a hand-moved clock, and paginators run by either driver."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional

from .drivers import Driver

__all__ = ["ManualClock", "all_items", "all_pages", "cvm", "rate_limit"]


class ManualClock:
    """A clock that moves only when told (``advance``, or a ``sleep`` that advances it).

    Starts at the real time so that signatures checked against it stay valid.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start or time.time()
        self.slept: List[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        """A sleep that returns at once and moves the clock instead."""
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        """:meth:`sleep` for the asyncio client."""
        self.sleep(seconds)


def all_pages(driver: Driver, paginator: Any) -> List[Dict[str, Any]]:
    """Every page a (sync or async) paginator yields."""
    if driver.loop is None:
        return list(paginator)

    async def collect() -> List[Dict[str, Any]]:
        return [page async for page in paginator]

    pages: List[Dict[str, Any]] = driver.run(collect())
    return pages


def all_items(driver: Driver, paginator: Any) -> List[Any]:
    """Every item of a (sync or async) paginator's ``items()``."""
    if driver.loop is None:
        return list(paginator.items())

    async def collect() -> List[Any]:
        return [item async for item in paginator.items()]

    items: List[Any] = driver.run(collect())
    return items


def cvm(emu: Any, launch_seconds: float = 10.0) -> Any:
    """The emulator's stateful CVM, turned on (``emu.enable_cvm``)."""
    return emu.enable_cvm(launch_seconds=launch_seconds)


def rate_limit(emu: Any, service: str, action: str, per_second: Optional[float]) -> None:
    """``emu.set_rate_limit(service, action, per_second)``."""
    emu.set_rate_limit(service, action, per_second)
