"""What a client leaves behind: nothing, once it is closed or collected (issue 10, finding 4)."""

from __future__ import annotations

import gc
import io
import logging
import os
from pathlib import Path
from typing import List

import pytest

from tcfunc.client import CommonClient
from tcfunc.credential import Credential
from tcfunc.testing.fake import FakeTransport

CRED = Credential("AKIDlife", "life-secret")


def _open_files(tmp_path: Path) -> List[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(tmp_path)):
            found.append(target)
    return found


def _client_loggers() -> List[str]:
    return [n for n in logging.Logger.manager.loggerDict if n.startswith("tcfunc.client.")]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count files")
@pytest.mark.parametrize("ending", ["close", "collect"])
def test_file_loggers_of_dropped_clients_leave_no_file_and_no_logger(
    tmp_path: Path, ending: str
) -> None:
    """300 clients with set_file_logger, closed (or just dropped): 0 open files, 0 loggers."""
    before = _client_loggers()
    for n in range(300):
        client = CommonClient(
            "cvm", "2017-03-12", CRED, "ap-guangzhou", transport=FakeTransport(strict=False)
        )
        client.set_file_logger(str(tmp_path / f"c{n}.log"))
        client.call_json("DescribeZones", {})
        if ending == "close":
            client.close()
        del client
    gc.collect()
    assert _open_files(tmp_path) == []
    assert _client_loggers() == before
    assert (tmp_path / "c299.log").read_text(encoding="utf-8").count("DescribeZones") >= 1


def test_a_closed_client_logs_through_tcfunc_again(caplog: pytest.LogCaptureFixture) -> None:
    """After close() a client's lines reach the application's handlers on tcfunc again."""
    client = CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", transport=FakeTransport(strict=False)
    )
    client.set_stream_logger(io.StringIO())
    client.close()
    with caplog.at_level(logging.DEBUG, logger="tcfunc"):
        client.call_json("DescribeZones", {})
    assert any("DescribeZones" in r.getMessage() for r in caplog.records)


def test_the_client_logger_follows_level_changes_of_its_parents() -> None:
    """The unregistered client logger is not cached stale: enabling tcfunc later takes effect."""
    client = CommonClient(
        "cvm", "2017-03-12", CRED, "ap-guangzhou", transport=FakeTransport(strict=False)
    )
    logger = client.logger
    parent = logging.getLogger("tcfunc")
    old = parent.level
    try:
        parent.setLevel(logging.WARNING)
        assert not logger.isEnabledFor(logging.DEBUG)
        parent.setLevel(logging.DEBUG)
        assert logger.isEnabledFor(logging.DEBUG)
    finally:
        parent.setLevel(old)
