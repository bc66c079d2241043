"""The ``tcfunc`` command: call, sign, emulator, and its exit codes."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import urlsplit

import pytest

from tcfunc import PreparedRequest, TencentCloudSDKException, verify_request
from tcfunc.cli import curl_command, main
from tcfunc.testing.emulator import ApiEmulator

SECRET_ID, SECRET_KEY = "AKIDcli0000000000000", "cli-secret-key"
TIMESTAMP = 1_700_000_000


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials from the environment only; nothing reaches a real metadata service."""
    for name in list(os.environ):
        if name.startswith(("TENCENTCLOUD_", "TKE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("TENCENTCLOUD_METADATA_ENDPOINT", f"http://127.0.0.1:{_closed_port()}/")
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulator() -> Iterator[ApiEmulator]:
    with ApiEmulator({SECRET_ID: SECRET_KEY}) as emu:
        yield emu


def _parse_curl(text: str) -> Tuple[str, str, List[Tuple[str, str]], bytes]:
    """(method, url, headers, body) of a command printed by ``tcfunc sign``."""
    words = shlex.split(text.replace("\\\n", " "))
    assert words[0] == "curl"
    assert words[1] == "-X"
    method, url = words[2], words[3]
    headers: List[Tuple[str, str]] = []
    body = b""
    rest = words[4:]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "-H":
            name, _, val = value.partition(": ")
            headers.append((name, val))
        else:
            assert flag == "--data-binary"
            body = value.encode("utf-8")
    if not any(name.lower() == "host" for name, _ in headers):
        headers.append(("Host", urlsplit(url).netloc))  # what curl sends by itself
    return method, url, headers, body


def _sign(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    args = ["sign", "cvm", "2017-03-12", "DescribeInstances", "--region", "ap-guangzhou"]
    assert main([*args, *extra]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--method", "GET"],
        ["--sign-method", "HmacSHA256"],
        ["--sign-method", "HmacSHA1", "--method", "GET", "--nonce", "7"],
        ["--endpoint", "http://127.0.0.1:9", "--language", "en-US"],
    ],
)
def test_sign_prints_a_curl_command_that_verifies(
    capsys: pytest.CaptureFixture[str], flags: List[str]
) -> None:
    """The printed curl, parsed back, passes verify_request with the same key and time."""
    params = {"Limit": 1, "Filters": [{"Name": "zone", "Values": ["ap-guangzhou-3"]}]}
    out = _sign(capsys, "--params", json.dumps(params), "--timestamp", str(TIMESTAMP), *flags)
    method, url, headers, body = _parse_curl(out)
    verified = verify_request(
        method, url, headers, body, lookup_secret={SECRET_ID: SECRET_KEY}.get, now=TIMESTAMP
    )
    assert verified.action == "DescribeInstances"
    assert verified.region == "ap-guangzhou"
    assert verified.secret_id == SECRET_ID
    assert verified.params["Limit"] in (1, "1")
    assert SECRET_KEY not in out


def test_sign_is_reproducible_with_a_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    """The same arguments and --timestamp print the same bytes."""
    first = _sign(capsys, "--timestamp", str(TIMESTAMP))
    second = _sign(capsys, "--timestamp", str(TIMESTAMP))
    assert first == second
    assert "X-TC-Timestamp: 1700000000" in first


def test_sign_takes_the_credential_from_a_profile_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--profile-file/--profile read the key from an INI credentials file."""
    path = tmp_path / "credentials"
    path.write_text("[work]\nsecret_id = AKIDfromfile\nsecret_key = file-key\n", encoding="utf-8")
    out = _sign(
        capsys, "--timestamp", str(TIMESTAMP), "--profile-file", str(path), "--profile", "work"
    )
    method, url, headers, body = _parse_curl(out)
    verified = verify_request(
        method, url, headers, body, lookup_secret={"AKIDfromfile": "file-key"}.get, now=TIMESTAMP
    )
    assert verified.secret_id == "AKIDfromfile"


def test_the_printed_curl_runs_against_the_emulator(
    capsys: pytest.CaptureFixture[str], emulator: ApiEmulator
) -> None:
    """Run by a shell, the command is accepted by a signature-verifying server."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    emulator.register("cvm", "DescribeZones", lambda params: {"TotalCount": 0, "ZoneSet": []})
    args = ["sign", "cvm", "2017-03-12", "DescribeZones", "--region", "ap-guangzhou"]
    assert main([*args, "--endpoint", f"http://{emulator.endpoint}"]) == 0
    command = capsys.readouterr().out
    done = subprocess.run(
        ["sh", "-c", command.strip() + " --silent"], capture_output=True, check=True, timeout=30
    )
    answer = json.loads(done.stdout)["Response"]
    assert answer["TotalCount"] == 0
    assert "Error" not in answer


def test_curl_command_sends_binary_bodies_through_printf() -> None:
    """A body that is not printable text is piped in with octal escapes, NULs included."""
    if shutil.which("printf") is None and not Path("/usr/bin/printf").exists():
        pytest.skip("no printf")
    body = b"\x00\x01'%\n\xff"
    prepared = PreparedRequest("POST", "http://127.0.0.1:9/", {"A": "b"}, body)
    command = curl_command(prepared)
    assert command.startswith("printf '\\000\\001")
    printf = command.split(" | ")[0]
    done = subprocess.run(["sh", "-c", printf], capture_output=True, check=True, timeout=10)
    assert done.stdout == body


def test_call_prints_the_response_as_indented_json(
    capsys: pytest.CaptureFixture[str], emulator: ApiEmulator
) -> None:
    """tcfunc call sends the params, signed, and prints the Response object."""
    seen: List[Dict[str, Any]] = []

    def describe(params: Dict[str, Any]) -> Dict[str, Any]:
        seen.append(params)
        return {"TotalCount": 1, "InstanceSet": [{"InstanceId": "ins-1"}]}

    emulator.register("cvm", "DescribeInstances", describe)
    code = main(
        [
            "call",
            "cvm",
            "2017-03-12",
            "DescribeInstances",
            "--region",
            "ap-guangzhou",
            "--params",
            '{"Limit": 1}',
            "--endpoint",
            f"http://{emulator.endpoint}",
            "--header",
            "X-TC-TraceId: trace-cli",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert seen == [{"Limit": 1}]
    answer = json.loads(out)
    assert answer["TotalCount"] == 1
    assert answer["RequestId"]
    assert out.startswith('{\n  "')
    assert dict(emulator.requests[-1].headers)["X-TC-TraceId"] == "trace-cli"


def test_call_reads_params_from_a_file(
    capsys: pytest.CaptureFixture[str], emulator: ApiEmulator, tmp_path: Path
) -> None:
    """--params @FILE reads the JSON object from a file."""
    emulator.register("cvm", "DescribeZones", lambda params: {"Echo": params})
    path = tmp_path / "params.json"
    path.write_text('{"Zone": "中文"}', encoding="utf-8")
    args = ["call", "cvm", "2017-03-12", "DescribeZones", "--params", f"@{path}"]
    assert main([*args, "--endpoint", f"http://{emulator.endpoint}"]) == 0
    assert json.loads(capsys.readouterr().out)["Echo"] == {"Zone": "中文"}


def test_call_reports_an_api_error_on_stderr_with_exit_code_1(
    capsys: pytest.CaptureFixture[str], emulator: ApiEmulator
) -> None:
    """An API error prints `code: message` on stderr, nothing on stdout, and exits 1."""

    def missing(_params: Dict[str, Any]) -> Dict[str, Any]:
        raise TencentCloudSDKException("ResourceNotFound.Instance", "no such instance")

    emulator.register("cvm", "DescribeInstances", missing)
    args = ["call", "cvm", "2017-03-12", "DescribeInstances"]
    assert main([*args, "--endpoint", f"http://{emulator.endpoint}"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[0] == "ResourceNotFound.Instance: no such instance"
    assert captured.err.splitlines()[1].startswith("RequestId: ")


def test_call_without_any_credential_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: ApiEmulator
) -> None:
    """With no credential anywhere the chain's error is printed and the exit status is 1."""
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    args = ["call", "cvm", "2017-03-12", "DescribeZones", "--timeout", "2"]
    assert main([*args, "--endpoint", f"http://{emulator.endpoint}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ClientError.CredentialNotFound: ")
    assert emulator.requests == []


def test_call_with_sse_prints_one_event_per_line(
    capsys: pytest.CaptureFixture[str], emulator: ApiEmulator
) -> None:
    """--sse prints each server-sent event as one JSON line."""

    def chat(_params: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        yield {"data": '{"Delta": "hel"}'}
        yield {"data": '{"Delta": "lo"}'}

    emulator.register("hunyuan", "ChatCompletions", chat)
    args = ["call", "hunyuan", "2023-09-01", "ChatCompletions", "--sse"]
    assert main([*args, "--endpoint", f"http://{emulator.endpoint}"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(json.loads(line)["data"])["Delta"] for line in lines] == ["hel", "lo"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([], "required"),
        (["frobnicate"], "invalid choice"),
        (["call", "cvm", "2017-03-12"], "required"),
        (["call", "cvm", "2017-03-12", "X", "--params", "{nope"], "--params is not JSON"),
        (["call", "cvm", "2017-03-12", "X", "--params", "[1]"], "must be a JSON object"),
        (["call", "cvm", "2017-03-12", "X", "--params", "@/no/such/file"], "cannot read"),
        (["call", "cvm", "2017-03-12", "X", "--sign-method", "MD5"], "invalid choice"),
        (["call", "cvm", "2017-03-12", "X", "--endpoint", "ftp://h"], "--endpoint"),
        (["call", "cvm", "2017-03-12", "X", "--endpoint", "http://h/p"], "path"),
        (["call", "cvm", "2017-03-12", "X", "--endpoint", "http://h:99999"], "--endpoint"),
        (["sign", "cvm", "2017-03-12", "X", "--endpoint", "bad host"], "argument --endpoint"),
        (["call", "cvm", "2017-03-12", "X", "--timeout", "-1"], "argument --timeout"),
        (["call", "cvm", "2017-03-12", "X", "--timeout", "0"], "positive number"),
        (["call", "cvm", "2017-03-12", "X", "--timeout", "nan"], "positive number"),
        (["call", "cvm", "2017-03-12", "X", "--timeout", "inf"], "positive number"),
        (["call", "cvm", "2017-03-12", "X", "--timeout", "soon"], "number of seconds"),
        (["sign", "cvm", "2017-03-12", "X", "--header", "NoColon"], "NAME:VALUE"),
        (["sign", "cvm", "2017-03-12", "X", "--timestamp", "soon"], "invalid int"),
        (["sign", "cvm", "2017-03-12", "X", "--profile-file", "/no/such"], "no such file"),
        (["emulator", "--port", "x"], "invalid int"),
        (["emulator", "--port", "70000"], "argument --port: must be between 0 and 65535"),
        (["emulator", "--port", "-1"], "argument --port"),
        (["emulator", "--credential", "nocolon"], "tcfunc emulator: error: --credential"),
    ],
)
def test_bad_arguments_print_usage_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: List[str], needle: str
) -> None:
    """Bad arguments, found while parsing or after, print usage and the problem; exit 2."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("usage: tcfunc"), captured.err
    assert needle in captured.err
    assert "Traceback" not in captured.err
    assert "TencentCloudSDKException" not in captured.err
    assert captured.out == ""


@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["call", "cvm", "2017-03-12", "X", "--params", "[1]"], "tcfunc call"),
        (["sign", "cvm", "2017-03-12", "X", "--header", "NoColon"], "tcfunc sign"),
        (["sign", "cvm", "2017-03-12", "X", "--profile-file", "/no/such"], "tcfunc sign"),
        (["emulator", "--credential", "nocolon"], "tcfunc emulator"),
    ],
)
def test_errors_found_after_parsing_name_the_subcommand(
    capsys: pytest.CaptureFixture[str], argv: List[str], prog: str
) -> None:
    """A value refused after parsing prints that subcommand's usage line and `PROG: error:`."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"usage: {prog} ")
    assert lines[-1].startswith(f"{prog}: error: ")


@pytest.mark.parametrize(
    "endpoint", ["http://u:hunter2@h", "u:hunter2@h", "http://u:hunter2@h:99999"]
)
def test_a_refused_endpoint_never_echoes_a_password(
    capsys: pytest.CaptureFixture[str], endpoint: str
) -> None:
    """The usage error for a bad --endpoint masks a user:password part."""
    with pytest.raises(SystemExit) as info:
        main(["sign", "cvm", "2017-03-12", "X", "--endpoint", endpoint])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --endpoint" in err
    assert "hunter2" not in err


def test_a_bad_emulator_port_never_starts_an_emulator() -> None:
    """`tcfunc emulator --port 70000` is a usage error at once: status 2, no exception text."""
    done = subprocess.run(
        _python("emulator", "--port", "70000", "--credential", f"{SECRET_ID}:{SECRET_KEY}"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: tcfunc emulator")
    assert "Traceback" not in done.stderr
    assert "Exception" not in done.stderr


def test_a_closed_stdout_pipe_ends_quietly(emulator: ApiEmulator) -> None:
    """`tcfunc call ... | head`: when the reader leaves, no traceback; exit status 141."""
    # Far more than a pipe buffers, so the command is still writing when the pipe closes.
    emulator.register(
        "cvm", "DescribeZones", lambda _p: {"ZoneSet": [{"Zone": f"z-{n}"} for n in range(50_000)]}
    )
    args = [
        "call",
        "cvm",
        "2017-03-12",
        "DescribeZones",
        "--endpoint",
        f"http://{emulator.endpoint}",
    ]
    proc = subprocess.Popen(
        _python(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert proc.stdout.readline() == "{\n"  # like head -n 1
        proc.stdout.close()
        err = proc.stderr.read()
        status = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert err == ""
    assert status == 141


def test_a_broken_pipe_without_a_file_descriptor_also_ends_with_141(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken pipe under a stdout without a file descriptor still ends with status 141."""

    class ClosedPipe:
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["sign", "cvm", "2017-03-12", "X", "--timestamp", str(TIMESTAMP)]) == 141
    assert capsys.readouterr().err == ""


def _python(*args: str) -> List[str]:
    return [sys.executable, "-m", "tcfunc", *args]


def test_python_dash_m_tcfunc_and_version() -> None:
    """`python -m tcfunc --version` runs the same command."""
    done = subprocess.run(
        _python("--version"), capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("tcfunc ")


def test_emulator_command_serves_until_terminated(capsys: pytest.CaptureFixture[str]) -> None:
    """`tcfunc emulator` listens, verifies calls made with its credential, and stops on SIGTERM."""
    proc = subprocess.Popen(
        _python("emulator", "--port", "0", "--credential", f"{SECRET_ID}:{SECRET_KEY}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on" in line
        endpoint = line.split("listening on", 1)[1].strip()
        args = ["call", "cvm", "2017-03-12", "DescribeZones", "--endpoint", f"http://{endpoint}"]
        # No handler and no spec: after checking the signature (a bad one
        # would answer AuthFailure) the emulator answers InvalidAction.
        assert main(args) == 1
        assert capsys.readouterr().err.startswith("InvalidAction: ")
    finally:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        out, _err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "stopped" in out


@pytest.mark.parametrize("scheme", ["", "https://"])
def test_https_to_a_plain_http_server_hints_at_http(
    capsys: pytest.CaptureFixture[str], emulator: ApiEmulator, scheme: str
) -> None:
    """`--endpoint 127.0.0.1:PORT` to a plain HTTP server says to write http:// (exit 1)."""
    args = ["call", "cvm", "2017-03-12", "DescribeZones", "--timeout", "5"]
    assert main([*args, "--endpoint", f"{scheme}{emulator.endpoint}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ClientNetworkError: ")
    assert f"hint: {emulator.endpoint} answered in plain HTTP" in err
    assert f"write --endpoint http://{emulator.endpoint}" in err
    assert not emulator.requests


def test_other_network_errors_get_no_http_hint(capsys: pytest.CaptureFixture[str]) -> None:
    """A refused connection is reported as it is, with no advice about http://."""
    args = ["call", "cvm", "2017-03-12", "DescribeZones", "--timeout", "5"]
    assert main([*args, "--endpoint", f"127.0.0.1:{_closed_port()}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ClientNetworkError: ")
    assert "hint:" not in err


def test_the_emulator_command_names_a_port_in_use() -> None:
    """`tcfunc emulator --port N` with N taken says which port, not only "[Errno 98]"."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            _python("emulator", "--port", str(port), "--credential", f"{SECRET_ID}:{SECRET_KEY}"),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode != 0
    assert f"127.0.0.1:{port}" in done.stderr
    assert "already in use" in done.stderr
    assert "Traceback" not in done.stderr
