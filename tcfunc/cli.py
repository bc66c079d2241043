"""The ``tcfunc`` command: ``call``, ``sign`` and ``emulator``.

* ``tcfunc call SERVICE VERSION ACTION --params JSON`` calls an action with
  the default credential chain and prints the answer's ``Response`` as
  indented JSON (``--sse`` prints one event per line; ``--paginate`` every
  item of every page, one per line; ``--waiter '<tccli waiter JSON>'`` polls
  until the value is reached and prints that ``Response``).
* ``tcfunc sign ...`` (same flags, plus ``--timestamp``) prints the signed
  request as a ``curl`` command and sends nothing: the pure core, useful to
  see or debug a signature.
* ``tcfunc emulator`` runs the local API emulator (:mod:`tcfunc.testing`).

Exit status: 0 on success, 1 when the API or tcfunc reports an error (printed
on stderr as ``code: message``), 2 on bad usage (a ``usage:`` line and the
problem on stderr), 130 on Ctrl-C, 141 (128 + SIGPIPE, what a shell reports
for a process its pipe closed on) when the reader of stdout went away, as in
``tcfunc call ... | head -n 3``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

from ._version import __version__
from .errors import TencentCloudSDKException
from .profile import ClientProfile, HttpProfile, redact_url

if TYPE_CHECKING:
    from .credential import Credential, CredentialProvider
    from .request import PreparedRequest

__all__ = ["build_parser", "curl_command", "main"]

_SIGN_METHODS = ("TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256")
# 128 + SIGPIPE; a constant because signal.SIGPIPE does not exist on Windows.
_EXIT_BROKEN_PIPE = 141


class _UsageError(Exception):
    """A bad argument found after parsing (exit status 2)."""


# --- argument types: a bad value is a usage error (exit 2) at parse time ------


def _seconds(text: str) -> float:
    """``--timeout``: a finite, positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _endpoint(text: str) -> Tuple[str, str]:
    """``--endpoint``: ``HOST[:PORT]`` or ``http(s)://HOST[:PORT]`` -> (protocol, host)."""
    protocol, host = "https", text
    shown = redact_url(text)  # a mistyped user:password@ must not reach stderr
    if "://" in text:
        try:
            parts = urlsplit(text)
            _ = parts.port  # raises on a bad port
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a valid URL: {shown!r}") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise argparse.ArgumentTypeError(
                f"a URL must look like http(s)://host[:port], got {shown!r}"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise argparse.ArgumentTypeError(f"a URL must not have a path or query, got {shown!r}")
        protocol, host = parts.scheme, parts.netloc
    try:
        # The core's own rule for hosts, so the CLI never accepts what it refuses.
        HttpProfile(protocol=protocol, endpoint=host)
    except TencentCloudSDKException:
        raise argparse.ArgumentTypeError(
            f"must be HOST[:PORT] or http(s)://HOST[:PORT], e.g. 127.0.0.1:8080, got {shown!r}"
        ) from None
    return protocol, host


def _port(text: str) -> int:
    """``tcfunc emulator --port``: 0..65535 (0 picks a free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return value


def _add_request_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", help="service name, e.g. cvm")
    parser.add_argument("version", help="API version, e.g. 2017-03-12")
    parser.add_argument("action", help="action name, e.g. DescribeInstances")
    parser.add_argument(
        "--region",
        default=os.environ.get("TENCENTCLOUD_REGION", ""),
        help="region, e.g. ap-guangzhou (default: $TENCENTCLOUD_REGION, else none)",
    )
    parser.add_argument(
        "--params",
        default="{}",
        metavar="JSON|@FILE",
        help="the action's params as a JSON object, or @FILE to read it (@- for stdin)",
    )
    parser.add_argument(
        "--endpoint",
        type=_endpoint,
        metavar="HOST|URL",
        help="send to this host (e.g. 127.0.0.1:8080, or http://127.0.0.1:8080 for plain HTTP)",
    )
    parser.add_argument("--sign-method", choices=_SIGN_METHODS, default="TC3-HMAC-SHA256")
    parser.add_argument("--method", choices=("POST", "GET"), default="POST", help="HTTP method")
    parser.add_argument("--language", choices=("zh-CN", "en-US"), default="zh-CN")
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME:VALUE",
        help="an extra header, e.g. X-TC-TraceId:abc (repeatable)",
    )
    parser.add_argument(
        "--profile-file",
        metavar="FILE",
        help="read the credential from this INI file instead of the default chain",
    )
    parser.add_argument(
        "--profile",
        default="default",
        metavar="NAME",
        help="section of --profile-file to use (default: default)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``tcfunc`` argument parser."""
    return _build_parsers()[0]


def _build_parsers() -> Tuple[argparse.ArgumentParser, Dict[str, argparse.ArgumentParser]]:
    """The ``tcfunc`` parser and its subcommands' parsers, by name (for their usage errors)."""
    parser = argparse.ArgumentParser(
        prog="tcfunc",
        description="Call, sign or emulate Tencent Cloud API 3.0 requests.",
        epilog="Credentials come from TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY, the "
        "credentials file, or the instance role (see DefaultCredentialProvider).",
    )
    parser.add_argument("--version", action="version", version=f"tcfunc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    call = commands.add_parser(
        "call",
        help="call an action and print the answer as JSON",
        description="Call an action and print its Response as indented JSON.",
    )
    _add_request_arguments(call)
    call.add_argument("--timeout", type=_seconds, default=60.0, help="seconds (default 60)")
    call.add_argument(
        "--sse", action="store_true", help="the action streams events: print one JSON per line"
    )
    call.add_argument(
        "--paginate",
        action="store_true",
        help="read every page (token or Offset/Limit, from the answer) and print each item "
        "of the page list as one JSON per line",
    )
    call.add_argument(
        "--waiter",
        metavar="JSON",
        help='poll until a value, as tccli: \'{"expr": "InstanceSet[0].InstanceState", '
        '"to": "RUNNING", "timeout": 180, "interval": 5}\'; prints the last Response',
    )

    sign = commands.add_parser(
        "sign",
        help="print the signed request as a curl command (sends nothing)",
        description="Build and sign the request, then print it as a curl command. "
        "The output carries a valid signature (and X-TC-Token, for temporary credentials).",
    )
    _add_request_arguments(sign)
    sign.add_argument(
        "--timestamp",
        type=int,
        help="Unix seconds to sign with (default: now); for reproducibility",
    )
    sign.add_argument("--nonce", type=int, help="nonce of HmacSHA1/HmacSHA256 signing")

    from .testing.emulator import build_parser as emulator_parser

    emulator = commands.add_parser(
        "emulator",
        parents=[emulator_parser(prog="tcfunc emulator")],
        add_help=False,
        # Lets --port below replace the parent's, to check its range at parse time.
        conflict_handler="resolve",
        help="run the local, signature-verifying API emulator",
        description="Run the local, signature-verifying API emulator until Ctrl-C.",
    )
    emulator.add_argument("--port", type=_port, default=0, help="port (0 picks a free one)")
    return parser, {"call": call, "sign": sign, "emulator": emulator}


def _params(text: str) -> Dict[str, Any]:
    source = "--params"
    if text.startswith("@"):
        name = text[1:]
        source = f"--params {text}"
        try:
            if name == "-":
                text = sys.stdin.read()
            else:
                with open(name, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as exc:
            raise _UsageError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise _UsageError(f"{source} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise _UsageError(f"{source} must be a JSON object, got {type(value).__name__}")
    return value


def _headers(items: Sequence[str]) -> Optional[Dict[str, str]]:
    headers: Dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise _UsageError(f"--header must be NAME:VALUE, got {item!r}")
        headers[name.strip()] = value.strip()
    return headers or None


def _http_profile(args: argparse.Namespace) -> HttpProfile:
    protocol, endpoint = args.endpoint or ("https", None)
    return HttpProfile(
        protocol=protocol,
        endpoint=endpoint,
        reqMethod=args.method,
        reqTimeout=getattr(args, "timeout", 60),
    )


def _profile(args: argparse.Namespace) -> ClientProfile:
    return ClientProfile(
        httpProfile=_http_profile(args), signMethod=args.sign_method, language=args.language
    )


def _credential(args: argparse.Namespace) -> Union[Credential, CredentialProvider]:
    from .credential import DefaultCredentialProvider, ProfileCredential

    if args.profile_file:
        if not os.path.isfile(args.profile_file):
            raise _UsageError(f"--profile-file {args.profile_file}: no such file")
        return ProfileCredential(args.profile_file, args.profile)
    return DefaultCredentialProvider()


def curl_command(prepared: PreparedRequest) -> str:
    """A shell command that sends ``prepared`` with curl, byte for byte."""
    head = f"curl -X {prepared.method} {shlex.quote(prepared.url)}"
    lines = [f"  -H {shlex.quote(f'{k}: {v}')}" for k, v in prepared.headers.items()]
    body = prepared.body
    if body and body.isascii() and body.decode("ascii").isprintable():
        lines.append(f"  --data-binary {shlex.quote(body.decode('ascii'))}")
    elif body:
        # Other bytes (binary, newlines) go through POSIX printf octal escapes
        # on stdin: a command substitution would drop NUL bytes.
        escaped = "".join(f"\\{b:03o}" for b in body)
        head = f"printf '{escaped}' | {head}"
        lines.append("  --data-binary @-")
    return " \\\n".join([head, *lines])


def _sign(args: argparse.Namespace) -> int:
    from ._credential import snapshot
    from .request import prepare_request

    prepared = prepare_request(
        args.action,
        _params(args.params),
        service=args.service,
        version=args.version,
        region=args.region,
        credential=snapshot(_credential(args), skip_sign=False),
        profile=_profile(args),
        timestamp=args.timestamp,
        nonce=args.nonce,
        headers=_headers(args.header),
    )
    _out(curl_command(prepared))
    return 0


def _call(args: argparse.Namespace) -> int:
    from .client import CommonClient

    params = _params(args.params)
    headers = _headers(args.header)
    waiter = _waiter(args)
    client = CommonClient(
        args.service, args.version, _credential(args), args.region, _profile(args)
    )
    try:
        if args.paginate:
            for item in client.paginate(args.action, params, headers=headers).items():
                _out(json.dumps(item, ensure_ascii=False))
            return 0
        if waiter is not None:
            document = {
                "Response": client.wait_until(
                    args.action, params, waiter.expr.source, waiter.to, timeout=waiter.timeout,
                    interval=waiter.interval, failure=waiter.failure, headers=headers,
                )
            }  # fmt: skip
        elif args.sse:
            for event in client.call_sse(args.action, params, headers):
                _out(json.dumps(event, ensure_ascii=False))
            return 0
        else:
            document = client.call_json(args.action, params, headers)
    finally:
        client.close()
    body: Mapping[str, Any] = document.get("Response", document)
    _out(json.dumps(body, indent=2, ensure_ascii=False))
    return 0


def _waiter(args: argparse.Namespace) -> Any:
    """The ``--waiter`` JSON as a WaiterSpec (None without it); bad ones are usage errors."""
    chosen = [name for name in ("sse", "paginate", "waiter") if getattr(args, name)]
    if len(chosen) > 1:
        raise _UsageError(f"--{chosen[0]} and --{chosen[1]} cannot be used together")
    if args.waiter is None:
        return None
    from .waiter import WaiterSpec

    try:
        return WaiterSpec.from_json(args.waiter)
    except TencentCloudSDKException as exc:
        raise _UsageError(f"--waiter: {exc.message}") from None


def _out(text: str) -> None:
    """Print one result to stdout now, so a closed pipe is noticed here (see main)."""
    print(text)
    sys.stdout.flush()


def _discard_stdout() -> None:
    """Point stdout at the null device after a broken pipe.

    What is still buffered would otherwise fail again when the interpreter
    flushes stdout at exit, printing "Exception ignored ... BrokenPipeError"
    (the remedy the Python documentation gives for SIGPIPE).
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a real file (tests capturing output)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


# What an HTTPS client sees when the server answers in plain HTTP (OpenSSL's words).
_PLAIN_HTTP_SIGNS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure")


def _hint(args: argparse.Namespace, exc: TencentCloudSDKException) -> Optional[str]:
    """A line of advice for an error whose message alone does not say what to change."""
    endpoint = getattr(args, "endpoint", None)
    message = str(exc.message or "")
    if (
        endpoint is not None
        and endpoint[0] == "https"
        and exc.code == "ClientNetworkError"
        and any(sign in message for sign in _PLAIN_HTTP_SIGNS)
    ):
        host = endpoint[1]
        return (
            f"{host} answered in plain HTTP, not HTTPS (a local emulator does): "
            f"write --endpoint http://{host}"
        )
    return None


def _emulator(argv: List[str]) -> int:
    from .testing.emulator import main as emulator_main

    return emulator_main(argv, prog="tcfunc emulator")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``tcfunc`` command; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser, commands = _build_parsers()
    args = parser.parse_args(arguments)
    try:
        if args.command == "emulator":
            return _emulator(arguments[arguments.index("emulator") + 1 :])
        if args.command == "sign":
            return _sign(args)
        return _call(args)
    except _UsageError as exc:
        # The subcommand's parser prints its usage line and exits with status 2.
        commands[args.command].error(str(exc))
    except BrokenPipeError:
        _discard_stdout()
        return _EXIT_BROKEN_PIPE
    except TencentCloudSDKException as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        if exc.requestId:
            print(f"RequestId: {exc.requestId}", file=sys.stderr)
        hint = _hint(args, exc)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
