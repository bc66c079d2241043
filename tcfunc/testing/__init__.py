"""Test helpers for code that calls Tencent Cloud, as public API.

* :class:`ApiEmulator`: a signature-verifying Tencent Cloud API that answers
  registered handlers or the documented examples of the tccli specs and
  injects faults; served over HTTP on loopback (:meth:`ApiEmulator.start`)
  or in process, with no socket (:meth:`ApiEmulator.transport`,
  :meth:`ApiEmulator.async_transport`).
* :class:`FakeTransport` / :class:`AsyncFakeTransport`: transports for a
  client that record the :class:`~tcfunc.PreparedRequest` values and replay
  scripted answers (optionally checking the params each request carries,
  with :data:`ANY` as a wildcard), so that signing, retries and parsing
  still run without any socket.
* :data:`TEST_CREDENTIAL`: a credential the test emulators accept.
* :class:`Answer`: what the emulator's sans-I/O core
  (:meth:`ApiEmulator.handle`) returns, for carriers of your own.
* A pytest plugin (installed with tcfunc): fixtures ``tc_emulator``,
  ``tc_fake`` and ``tc_async_fake``.
"""

from ._wire import Answer
from .emulator import (
    FAULT_KINDS,
    TEST_CREDENTIAL,
    ApiEmulator,
    RecordedRequest,
    tccli_spec_dir,
)
from .fake import ANY, AsyncFakeTransport, FakeTransport, Sent

__all__ = [
    "ANY",
    "FAULT_KINDS",
    "Answer",
    "TEST_CREDENTIAL",
    "ApiEmulator",
    "AsyncFakeTransport",
    "FakeTransport",
    "RecordedRequest",
    "Sent",
    "tccli_spec_dir",
]
