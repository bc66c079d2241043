"""``python -m tcfunc.codegen SERVICES_DIR --service cvm --out DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from ..errors import TencentCloudSDKException
from . import DEFAULT_PACKAGE, write_package


def build_parser() -> argparse.ArgumentParser:
    """The command line of the generator."""
    parser = argparse.ArgumentParser(
        prog="python -m tcfunc.codegen",
        description=(
            "Generate a typed service client (client.py, models.py) from tccli's "
            "services/<service>/<version>/api.json."
        ),
    )
    parser.add_argument("services_dir", type=Path, help="tccli's services directory")
    parser.add_argument(
        "--service", action="append", required=True, help="service to generate, e.g. cvm"
    )
    parser.add_argument(
        "--version", help="API version such as 2017-03-12 (default: the latest in the tree)"
    )
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument(
        "--package",
        default=DEFAULT_PACKAGE,
        help=f"top-level package name (default: {DEFAULT_PACKAGE})",
    )
    parser.add_argument(
        "--sse",
        action="append",
        default=[],
        metavar="ACTION",
        help="an action that streams server-sent events (repeatable)",
    )
    parser.add_argument(
        "--action",
        action="append",
        metavar="ACTION",
        help="generate only this action and the models it uses (repeatable; default: all)",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the generator; 0 on success, 1 on a spec or I/O error, 2 on bad usage."""
    args = build_parser().parse_args(argv)
    if args.version and len(args.service) > 1:
        print("error: --version applies to a single --service", file=sys.stderr)
        return 2
    written: List[Path] = []
    try:
        for service in args.service:
            written += write_package(
                args.services_dir,
                service,
                args.out,
                version=args.version,
                package=args.package,
                sse_actions=args.sse,
                actions=args.action,
            )
    except TencentCloudSDKException as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
