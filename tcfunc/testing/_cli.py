"""``python -m tcfunc.testing`` (and ``tcfunc emulator``): run the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import glob
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Dict, Mapping, Optional, Sequence, Tuple

from ..errors import TencentCloudSDKException

if TYPE_CHECKING:
    from .emulator import ApiEmulator

__all__ = ["build_parser", "main"]


def _port(text: str) -> int:
    """An argparse type: a TCP port number, 0 to 65535 (0 picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, got {port}")
    return port


def _default_max_recorded() -> int:
    from .emulator import _DEFAULT_MAX_RECORDED

    return _DEFAULT_MAX_RECORDED


def build_parser(prog: str = "python -m tcfunc.testing") -> argparse.ArgumentParser:
    """The command line of the standalone emulator."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a local, signature-verifying Tencent Cloud API emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (0 picks a free one)")
    parser.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="ID:KEY",
        help="accept this SecretId:SecretKey (repeatable); default: "
        "TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY",
    )
    specs = parser.add_mutually_exclusive_group()
    specs.add_argument(
        "--spec-dir",
        default=None,
        help="tccli-style services tree for validation and example answers",
    )
    specs.add_argument(
        "--tccli",
        action="store_true",
        help="use the installed tccli package's services tree as --spec-dir",
    )
    parser.add_argument("--sts", action="store_true", help="serve STS AssumeRole*")
    parser.add_argument(
        "--strict-signing",
        action="store_true",
        help="refuse TC3 requests that do not sign x-tc-action (the official SDKs do not)",
    )
    parser.add_argument(
        "--max-skew", type=float, default=300, help="allowed timestamp skew, seconds (300)"
    )
    default_recorded = _default_max_recorded()
    parser.add_argument(
        "--max-recorded",
        type=int,
        default=default_recorded,
        metavar="N",
        help=f"keep only the newest N requests in memory ({default_recorded}, as the class)",
    )
    return parser


def _make_emulator(
    args: argparse.Namespace, credentials: Mapping[str, str], spec_dir: Optional[str]
) -> ApiEmulator:
    """The runner's emulator, configured from its flags (not started)."""
    from .emulator import ApiEmulator

    emulator = ApiEmulator(
        credentials,
        host=args.host,
        port=args.port,
        max_skew=args.max_skew,
        spec_dir=spec_dir,
        max_recorded=args.max_recorded,
        strict_signing=args.strict_signing,
    )
    if args.sts:
        emulator.enable_sts()
    return emulator


def _credentials_from(
    args: argparse.Namespace, environ: Mapping[str, str]
) -> Tuple[Dict[str, str], Optional[str]]:
    found: Dict[str, str] = {}
    for item in args.credential:
        secret_id, sep, secret_key = str(item).partition(":")
        if not sep or not secret_id or not secret_key:
            return {}, "--credential must be ID:KEY"
        found[secret_id] = secret_key
    if not found:
        env_id = environ.get("TENCENTCLOUD_SECRET_ID")
        env_key = environ.get("TENCENTCLOUD_SECRET_KEY")
        if env_id and env_key:
            found[env_id] = env_key
    return found, None


def spec_dir_problem(spec_dir: str) -> Optional[str]:
    """Why ``spec_dir`` cannot serve as a services tree, or None when it can."""
    if not os.path.isdir(spec_dir):
        return f"--spec-dir {spec_dir}: not a directory"
    if not glob.glob(os.path.join(glob.escape(spec_dir), "*", "v[0-9]*", "api.json")):
        return (
            f"--spec-dir {spec_dir}: no <service>/v<yyyymmdd>/api.json inside "
            "(not a tccli-style services tree; try --tccli)"
        )
    return None


def _listen_problem(exc: OSError, host: str, port: int) -> str:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is already in use"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: no such local address"
    return f"cannot listen on {where}: {exc.strerror or type(exc).__name__}"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: Optional[Sequence[str]] = None, *, prog: str = "python -m tcfunc.testing") -> int:
    """Run the emulator until Ctrl-C (or SIGTERM); returns the exit status.

    A bad ``--spec-dir`` or a port that cannot be bound prints one line and
    returns 2, as bad arguments do. ``prog`` names the command in usage
    messages (``tcfunc emulator`` reuses this).
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    credentials, problem = _credentials_from(args, os.environ)
    if problem:
        parser.error(problem)
    spec_dir = args.spec_dir
    if args.tccli:
        from .emulator import tccli_spec_dir

        spec_dir = tccli_spec_dir()
        if spec_dir is None:
            parser.error("--tccli needs the tccli package (pip install --no-deps tccli)")
    if spec_dir is not None:
        problem = spec_dir_problem(spec_dir)
        if problem:
            return _fail(problem)
    if args.max_recorded < 0:
        parser.error("--max-recorded must be 0 or more")
    try:
        emulator = _make_emulator(args, credentials, spec_dir)
    except TencentCloudSDKException as exc:
        return _fail(str(exc.message))
    try:
        emulator.start()
    except OSError as exc:
        return _fail(_listen_problem(exc, args.host, args.port))
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"tcfunc emulator listening on {emulator.endpoint}", flush=True)
    if credentials:
        print(f"accepting SecretIds: {', '.join(sorted(credentials))}", flush=True)
    else:
        print("warning: no credentials; only unsigned actions will be accepted", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("tcfunc emulator stopped", flush=True)
    return 0
