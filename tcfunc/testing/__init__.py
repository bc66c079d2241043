"""Test helpers for code that calls Tencent Cloud, as public API.

* :class:`ApiEmulator`: a real HTTP server on loopback that verifies every
  signature like the real API, answers registered handlers or the documented
  examples of the tccli specs, and injects faults.
* :class:`FakeTransport`: a transport for a client that records the
  :class:`~tcfunc.PreparedRequest` values and replays scripted answers, so that
  signing, retries and parsing still run without any socket.
"""

from .emulator import FAULT_KINDS, ApiEmulator, RecordedRequest, tccli_spec_dir
from .fake import FakeTransport, Sent

__all__ = [
    "FAULT_KINDS",
    "ApiEmulator",
    "FakeTransport",
    "RecordedRequest",
    "Sent",
    "tccli_spec_dir",
]
