"""One face for the sync and the asyncio client, so a scenario runs through both drivers.

A :class:`Driver` makes a client of its kind and runs its calls to completion
(the async one on an event loop of its own), so a test written once checks
that both clients behave the same.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Mapping, Optional

import attrs

from tcfunc.aio import AsyncCommonClient
from tcfunc.client import CommonClient
from tcfunc.profile import HttpProfile
from tcfunc.request import PreparedRequest
from tcfunc.transport import AsyncHttpResponse, HttpResponse, Urllib3Transport

__all__ = ["DRIVERS", "AsyncHostMapTransport", "Driver", "HostMapTransport"]

DRIVERS = ("sync", "async")


def _moved(request: PreparedRequest, ports: Mapping[str, str]) -> PreparedRequest:
    _scheme, rest = request.url.split("://", 1)
    host, _, path = rest.partition("/")
    target = ports.get(host, host)
    return attrs.evolve(request, url=f"http://{target}/{path}")


class HostMapTransport:
    """Connects to loopback ports in place of named hosts; Host header and signature unchanged."""

    def __init__(self, ports: Mapping[str, str]) -> None:
        self._ports = dict(ports)
        self._inner = Urllib3Transport(HttpProfile(protocol="http"))
        self.hosts: List[str] = []

    def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> HttpResponse:
        self.hosts.append(request.url.split("://", 1)[1].split("/", 1)[0])
        return self._inner.send(_moved(request, self._ports), timeout, stream=stream)

    def close(self) -> None:
        self._inner.close()


class AsyncHostMapTransport:
    """:class:`HostMapTransport` over the aiohttp transport."""

    def __init__(self, ports: Mapping[str, str]) -> None:
        from tcfunc._aiohttp import AiohttpTransport

        self._ports = dict(ports)
        self._inner = AiohttpTransport(HttpProfile(protocol="http"))
        self.hosts: List[str] = []

    async def send(
        self, request: PreparedRequest, timeout: float, *, stream: bool = False
    ) -> AsyncHttpResponse:
        self.hosts.append(request.url.split("://", 1)[1].split("/", 1)[0])
        return await self._inner.send(_moved(request, self._ports), timeout, stream=stream)

    async def aclose(self) -> None:
        await self._inner.aclose()


class Driver:
    """Makes clients of one kind (``"sync"`` or ``"async"``) and runs their calls."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.loop: Optional[asyncio.AbstractEventLoop] = (
            asyncio.new_event_loop() if kind == "async" else None
        )
        self._clients: List[Any] = []

    def client(self, *args: Any, **kw: Any) -> Any:
        """A CommonClient or an AsyncCommonClient with these arguments."""
        client = (CommonClient if self.loop is None else AsyncCommonClient)(*args, **kw)
        self._clients.append(client)
        return client

    def host_map(self, ports: Mapping[str, str]) -> Any:
        """A host-mapping transport of this driver's kind."""
        return HostMapTransport(ports) if self.loop is None else AsyncHostMapTransport(ports)

    def run(self, value: Any) -> Any:
        """The result of a sync call, or of an awaitable on this driver's loop."""
        if self.loop is None:
            return value
        return self.loop.run_until_complete(value)

    def call(self, client: Any, method: str, *args: Any, **kw: Any) -> Any:
        """``client.<method>(*args, **kw)``, awaited for the async kind."""
        return self.run(getattr(client, method)(*args, **kw))

    def events(self, client: Any, *args: Any, **kw: Any) -> List[Dict[str, Any]]:
        """Every event of ``client.call_sse(*args, **kw)``, the stream closed."""
        if self.loop is None:
            with client.call_sse(*args, **kw) as stream:
                return list(stream)

        async def collect() -> List[Dict[str, Any]]:
            async with await client.call_sse(*args, **kw) as stream:
                return [event async for event in stream]

        return self.run(collect())

    def close(self) -> None:
        """Close every client made here, and the loop."""
        for client in self._clients:
            if self.loop is None:
                client.close()
            else:
                self.loop.run_until_complete(client.aclose())
        if self.loop is not None:
            self.loop.close()
