"""One client for many requests, from one thread or many.

Make a client once and keep it: it holds the connection pool, so requests
reuse kept-alive connections instead of opening one each. A client is safe to
share between threads (size ``HttpProfile.pool_size`` to the thread pool).
A counting proxy in front of the emulator shows how many connections were opened.

Run: python examples/reuse_client.py
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from _support import LocalProxy, credential, example_endpoint

from tcfunc import ClientProfile, HttpProfile
from tcfunc.client import CommonClient

REQUESTS = 40
THREADS = 4


def main(endpoint: str) -> None:
    with LocalProxy(endpoint) as counter:
        http = HttpProfile(protocol="http", endpoint=endpoint, proxy=counter.url, pool_size=THREADS)
        with CommonClient(
            "cvm", "2017-03-12", credential(), "ap-guangzhou", ClientProfile(httpProfile=http)
        ) as client:
            started = time.perf_counter()
            for _ in range(REQUESTS):
                client.call_json("DescribeZones", {})
            sequential = time.perf_counter() - started
            print(
                f"{REQUESTS} requests one after another: {sequential:.2f}s, "
                f"{counter.connections} connection(s) opened"
            )

            opened = counter.connections
            started = time.perf_counter()
            with ThreadPoolExecutor(THREADS) as pool:
                answers = list(
                    pool.map(lambda _: client.call_json("DescribeZones", {}), range(REQUESTS))
                )
            parallel = time.perf_counter() - started
            ids = {a["Response"]["RequestId"] for a in answers}
            print(
                f"{REQUESTS} requests on {THREADS} threads: {parallel:.2f}s, "
                f"{counter.connections - opened} more connection(s), {len(ids)} distinct RequestIds"
            )
        if counter.connections > THREADS + 1:
            raise SystemExit("connections were not reused")


if __name__ == "__main__":
    with example_endpoint() as api:
        main(api)
