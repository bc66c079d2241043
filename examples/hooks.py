"""Hooks: tracing spans and a latency histogram, with no extra dependency.

``ClientProfile(hooks=(...))`` takes observer objects; the call flow tells
them about every attempt (``before_send``, ``after_response``, ``on_retry``,
``on_error``) and may ask them for extra, signed headers
(``request_headers``). The same hooks work on the sync and the asyncio
client. Here one hook makes OpenTelemetry-style spans (a trace id per call,
a span per attempt, a ``traceparent`` header) and another fills a latency
histogram. A hook that raises is logged and the call goes on.

Run: python examples/hooks.py
"""

from __future__ import annotations

import asyncio
import bisect
import os
import time
from typing import Any, Dict, List, Mapping, Optional

from _support import credential, emulator_profile, example_endpoint

from tcfunc import CommonClient, StandardRetryer
from tcfunc.aio import AsyncCommonClient
from tcfunc.hooks import CallInfo


class Spans:
    """One span per attempt, as a tracer would record them."""

    def __init__(self) -> None:
        self.finished: List[Dict[str, Any]] = []
        self._open: Dict[int, Dict[str, Any]] = {}

    def request_headers(self, info: CallInfo) -> Mapping[str, str]:
        span = {
            "name": f"{info.service}.{info.action}",
            "trace_id": os.urandom(16).hex(),
            "span_id": os.urandom(8).hex(),
            "attempt": info.attempt,
            "start": time.perf_counter(),
        }
        self._open[id(info)] = span
        # W3C trace context, signed with the request like any header.
        return {"traceparent": f"00-{span['trace_id']}-{span['span_id']}-01"}

    def after_response(
        self, info: CallInfo, status: int, headers: Mapping[str, str], elapsed: float
    ) -> None:
        self._end(info, status=status)

    def on_retry(self, info: CallInfo, delay: float, error: Any) -> None:
        self._end(info, error=error.code, retry_in=round(delay, 3))

    def _end(self, info: CallInfo, **attributes: Any) -> None:
        span: Optional[Dict[str, Any]] = self._open.pop(id(info), None)
        if span is not None and "end" not in span:
            span["end"] = time.perf_counter()
            span.update(attributes)
            self.finished.append(span)


class Histogram:
    """Answer latency in buckets (milliseconds)."""

    BOUNDS = (1, 2, 5, 10, 25, 50, 100, 250)

    def __init__(self) -> None:
        self.counts = [0] * (len(self.BOUNDS) + 1)

    def after_response(
        self, info: CallInfo, status: int, headers: Mapping[str, str], elapsed: float
    ) -> None:
        self.counts[bisect.bisect_left(self.BOUNDS, elapsed * 1000)] += 1

    def show(self) -> None:
        labels = [f"<= {b} ms" for b in self.BOUNDS] + [f"> {self.BOUNDS[-1]} ms"]
        for label, count in zip(labels, self.counts):
            if count:
                print(f"  {label:>10}: {'#' * count} {count}")


async def concurrent_calls(endpoint: str, hooks: tuple) -> None:
    profile = emulator_profile(endpoint, hooks=hooks)
    async with AsyncCommonClient("cvm", "2017-03-12", credential(), "ap-guangzhou", profile) as c:
        await asyncio.gather(*(c.call_json("DescribeZones", {}) for _ in range(10)))


def main(endpoint: str) -> None:
    spans, histogram = Spans(), Histogram()
    retryer = StandardRetryer(max_attempts=3)
    profile = emulator_profile(endpoint, hooks=(spans, histogram), retryer=retryer)
    client = CommonClient("cvm", "2017-03-12", credential(), "ap-guangzhou", profile)
    for _ in range(5):
        client.call_json("DescribeInstances", {"Limit": 1})
    asyncio.run(concurrent_calls(endpoint, (spans, histogram)))
    print(f"{len(spans.finished)} spans, for example:")
    for span in spans.finished[:3]:
        took = (span["end"] - span["start"]) * 1000
        print(
            f"  {span['name']} trace {span['trace_id'][:8]}... attempt {span['attempt']}"
            f" status {span.get('status')} {took:.1f} ms"
        )
    print("latency of the 15 answers:")
    histogram.show()
    if len(spans.finished) != 15 or sum(histogram.counts) != 15:
        raise SystemExit("expected 15 spans and 15 measured answers")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
