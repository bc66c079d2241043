"""The asyncio clients: :class:`AsyncAbstractClient` and :class:`AsyncCommonClient`.

They run the very call flow the sync clients run (:mod:`tcfunc._flow`):
the same retry policy and safety rule, region breaker (a request sent to the
backup region is signed for it), clock-skew correction, hooks, debug lines
and redaction, trace ids and error codes. Only the driver differs: it awaits
the transport (aiohttp by default, the optional extra ``aio``, imported on
the first send), sleeps with ``asyncio.sleep`` and reads credentials without
blocking the loop (a refresh runs in a worker thread, one for all tasks).

::

    async with AsyncCommonClient("cvm", "2017-03-12", cred, "ap-guangzhou") as client:
        doc = await client.call_json("DescribeInstances", {"Limit": 1})

A client belongs to one event loop while its connections are open; ``await
client.aclose()`` (or leaving ``async with``) closes them. Cancelling a task
mid-call raises ``CancelledError`` in it and drops the connection it was using.
``reqTimeout`` bounds each attempt, whatever the server does.
"""

from __future__ import annotations

import asyncio
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    Literal,
    Mapping,
    Optional,
    Type,
    TypeVar,
    Union,
    cast,
    overload,
)

import attrs

from ._credential import Credential, CredentialProvider, snapshot_async
from ._flow import Call, GetCredential, ReadBody, Send, call_flow, single_event
from ._validate import fail
from .client import (
    _SSE_MODES,
    ModelLike,
    ResponseModelLike,
    _ClientCore,
    _warn_if_deprecated,
)
from .errors import TencentCloudSDKException
from .profile import ClientProfile
from .request import RequestOptions
from .sse import AsyncEventStream
from .transport import AsyncTransport

if TYPE_CHECKING:
    from .paginate import AsyncPaginator, PageScheme

__all__ = ["AsyncAbstractClient", "AsyncCommonClient"]

R = TypeVar("R", bound=ResponseModelLike)
_Self = TypeVar("_Self", bound="AsyncAbstractClient")


class AsyncAbstractClient(_ClientCore):
    """Base of every asyncio client (generated async service clients derive from it).

    Args:
        credential: a :class:`~tcfunc.credential.Credential` or any provider;
            tcfunc's providers refresh off the loop, others' ``get_credential()``
            runs in a worker thread.
        region: e.g. ``"ap-guangzhou"``; ``""`` for global services.
        profile: a :class:`~tcfunc.profile.ClientProfile`; default ``ClientProfile()``.
            Its retryer must be tcfunc's (or the official one, which is adapted).
        transport: an :class:`~tcfunc.transport.AsyncTransport`; default an
            aiohttp transport made on the first call.
        clock: Unix seconds for request timestamps (default ``time.time``); for tests.
    """

    def __init__(
        self,
        credential: Union[Credential, CredentialProvider, None],
        region: Optional[str],
        profile: Optional[ClientProfile] = None,
        *,
        transport: Optional[AsyncTransport] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(credential, region, profile, clock)
        if self._foreign is not None:
            # A send_request(fn) retryer calls fn synchronously: it cannot await an attempt.
            fail(
                "ClientError",
                "the asyncio client needs tcfunc.StandardRetryer or NoopRetryer as "
                "ClientProfile.retryer, not a send_request(fn) retryer",
            )
        self._transport: Optional[AsyncTransport] = transport
        self._own_transport = transport is None
        # A sleep injected into the retryer (tests) is honoured here too.
        self._injected_sleep = self._sleep is not time.sleep

    # ----------------------------------------------------------- call styles

    async def call_json(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]] = None,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Dict[str, Any]:
        """Call ``action``; the answer's JSON document (see the sync ``call_json``).

        ``call`` is the same method, under the official SDK's name.
        """
        document: Dict[str, Any] = await self._run(
            self._new_call(action, params, headers, options, False)
        )
        _warn_if_deprecated(document, 3)
        return document

    # The official name, the same coroutine (a wrapper would point the
    # DeprecationWarning at itself instead of the caller).
    call = call_json

    async def call_octet_stream(
        self,
        action: str,
        headers: Optional[Mapping[str, str]],
        body: bytes,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Dict[str, Any]:
        """Call ``action`` with ``body`` as ``application/octet-stream`` (TC3, POST)."""
        opts = attrs.evolve(RequestOptions.coerce(options), octet_stream=True, body=body)
        document = await self._run(self._new_call(action, None, headers, opts, False))
        _warn_if_deprecated(document, 3)
        return cast(Dict[str, Any], document)

    async def call_sse(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]] = None,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> AsyncEventStream:
        """Call ``action``; an async iterator of its server-sent events.

        Sent, retried and checked for API errors before this returns; then
        ``async for event in stream`` yields the same dicts as the sync
        client. Close it (``async with stream`` or ``await stream.aclose()``)
        if you may stop early. A plain JSON answer is one event.
        """
        result = await self._run(self._new_call(action, params, headers, options, True))
        return self._stream_of(result)

    def _stream_of(self, result: Any) -> AsyncEventStream:
        if isinstance(result, dict):
            return AsyncEventStream(None, events=[single_event(result)])
        return AsyncEventStream(result.iter_chunks(), result.aclose, self._log_hook.log)

    async def call_and_deserialize(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        resp_cls: Any = dict,
        headers: Optional[Mapping[str, str]] = None,
        opts: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Any:
        """The official async client's call: the answer decides what comes back.

        A ``text/event-stream`` answer gives an :class:`~tcfunc.sse.AsyncEventStream`;
        otherwise the JSON document for ``resp_cls=dict``, or
        ``resp_cls.from_api(document["Response"])`` for a tcfunc model class.
        """
        if resp_cls is not dict and not callable(getattr(resp_cls, "from_api", None)):
            fail("ClientError", "resp_cls must be dict or a model class with from_api()")
        result = await self._run(self._new_call(action, params, headers, opts, True))
        if not isinstance(result, dict):
            return self._stream_of(result)
        _warn_if_deprecated(result, 3)
        return result if resp_cls is dict else resp_cls.from_api(result["Response"])

    @overload
    async def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Literal[False] = ...,
        options: Union[RequestOptions, Mapping[str, Any], None] = ...,
    ) -> R: ...

    @overload
    async def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Literal[True],
        options: Union[RequestOptions, Mapping[str, Any], None] = ...,
    ) -> AsyncEventStream: ...

    @overload
    async def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Literal["auto"],
        options: Union[RequestOptions, Mapping[str, Any], None] = ...,
    ) -> Union[R, AsyncEventStream]: ...

    async def _call_model(
        self,
        action: str,
        request: ModelLike,
        response_type: Type[R],
        *,
        sse: Union[bool, str] = False,
        options: Union[RequestOptions, Mapping[str, Any], None] = None,
    ) -> Union[R, AsyncEventStream]:
        """The one helper generated async service clients call (see the sync ``_call_model``)."""
        if sse not in _SSE_MODES:
            fail("ClientError", "sse must be False, True or 'auto'")
        params, headers = self._model_params(request)
        result = await self._run(self._new_call(action, params, headers, options, sse is not False))
        if sse is True or not isinstance(result, dict):
            return self._stream_of(result)
        _warn_if_deprecated(result, 4)
        return response_type.from_api(result["Response"])

    # ------------------------------------------------------------ bulk work

    def paginate(
        self,
        action: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        max_items: Optional[int] = None,
        scheme: Union[PageScheme, str, None] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> AsyncPaginator:
        """Every page of ``action``: ``async for`` each ``Response``; ``.items()`` likewise.

        See the sync :meth:`~tcfunc.client.AbstractClient.paginate`; ``headers``
        go with every request.
        """
        from .paginate import AsyncPaginator

        return AsyncPaginator(
            lambda page: self.call_json(action, page, headers), action, params,
            max_items=max_items, scheme=scheme,
        )  # fmt: skip

    async def wait_until(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        expr: str,
        to: Any,
        *,
        timeout: float = 180,
        interval: float = 5,
        failure: Iterable[Any] = (),
        headers: Optional[Mapping[str, str]] = None,
        sleep: Optional[Callable[[float], Awaitable[Any]]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> Dict[str, Any]:
        """Poll ``action`` until ``expr`` equals ``to`` (see the sync ``wait_until``).

        ``sleep`` is awaited (default ``asyncio.sleep``, or the retryer's
        injected sleep); ``clock`` defaults to ``time.monotonic``.
        """
        from .waiter import WaiterSpec, wait_async

        spec = WaiterSpec(expr, to, timeout, interval, tuple(failure))
        return await wait_async(
            lambda sent: self.call_json(action, sent, headers), action, params, spec,
            sleep=sleep or self._poll_sleep, clock=clock or time.monotonic,
        )  # fmt: skip

    async def _poll_sleep(self, seconds: float) -> None:
        if self._injected_sleep:
            self._sleep(seconds)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(seconds)

    # ------------------------------------------------------------ the driver

    async def _run(self, call: Call) -> Any:
        """Perform the flow's effects with ``await`` until it returns; its errors propagate."""
        flow = call_flow(self, call)
        effect: Any
        transport = self._transport or self._default_transport()
        value: Any = None
        error: Optional[TencentCloudSDKException] = None
        try:
            while True:
                try:
                    effect = flow.send(value) if error is None else flow.throw(error)
                except StopIteration as stop:
                    return stop.value
                value, error = None, None
                kind = type(effect)
                try:
                    if kind is Send:
                        value = await transport.send(
                            effect.request, effect.timeout, stream=effect.stream
                        )
                    elif kind is ReadBody:
                        value = await effect.response.read()
                    elif kind is GetCredential:
                        value = await snapshot_async(self.credential, skip_sign=effect.skip_sign)
                    elif self._injected_sleep:
                        self._sleep(effect.seconds)
                        await asyncio.sleep(0)
                    else:
                        await asyncio.sleep(effect.seconds)
                except TencentCloudSDKException as exc:
                    error = exc
        finally:
            # Cancelled (or failed outside the flow's errors): end the flow here, not at GC.
            flow.close()

    def _default_transport(self) -> AsyncTransport:
        from ._aiohttp import AiohttpTransport  # aiohttp loads only when an async client sends

        # Only the event loop's thread gets here between awaits: no lock is needed.
        transport = self._transport
        if transport is None:
            transport = self._transport = AiohttpTransport(self.profile.httpProfile)
            self._describe_transport()
        return transport

    # --------------------------------------------------------------- lifetime

    async def aclose(self) -> None:
        """Close the client's connections and its log handlers (it stays usable)."""
        self._log_hook.close()
        transport = self._transport
        if transport is not None:
            if self._own_transport:
                self._transport = None
            await transport.aclose()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


class AsyncCommonClient(AsyncAbstractClient):
    """An asyncio client for any service, as :class:`~tcfunc.client.CommonClient` is."""

    def __init__(
        self,
        service: str,
        version: str,
        credential: Union[Credential, CredentialProvider, None],
        region: Optional[str],
        profile: Optional[ClientProfile] = None,
        *,
        transport: Optional[AsyncTransport] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        for name, value in (("service", service), ("version", version), ("region", region)):
            if not isinstance(value, str):
                fail(
                    "ClientError",
                    f"AsyncCommonClient {name} must be a string (region may be '')",
                )
        self._service = service
        self._apiVersion = version
        super().__init__(credential, region, profile, transport=transport, clock=clock)
