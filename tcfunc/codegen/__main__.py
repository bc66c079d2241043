"""``python -m tcfunc.codegen SERVICES_DIR --service cvm --out DIR``.

``--sse`` and ``--action`` take ``SERVICE:ACTION`` (that service's action) or
a bare ``ACTION`` (every listed service that has it), so one command can
generate several services: ``--service cvm --service hunyuan --sse
ChatCompletions`` marks hunyuan's action and leaves cvm alone. An action that
no listed service has is a usage error (exit status 2). ``--action`` limits
only the services it names (directly or through a bare name); the others are
generated whole.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..errors import TencentCloudSDKException
from . import DEFAULT_PACKAGE, load_spec, write_package


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
        metavar="[SERVICE:]ACTION",
        help="an action that may answer with server-sent events (repeatable); actions "
        "whose request has a boolean Stream member are found without it; a bare ACTION "
        "applies to every listed service that has it",
    )
    parser.add_argument(
        "--action",
        action="append",
        default=[],
        metavar="[SERVICE:]ACTION",
        help="generate only this action and the models it uses (repeatable); a bare "
        "ACTION applies to every listed service that has it; services no --action "
        "names are generated whole",
    )
    return parser


def _split(flag: str, item: str, services: Sequence[str]) -> Tuple[Optional[str], str]:
    """``SERVICE:ACTION`` or ``ACTION`` -> (service or None, action); ValueError if bad."""
    service, sep, action = item.rpartition(":")
    if not action or (sep and not service):
        raise ValueError(f"{flag} must be ACTION or SERVICE:ACTION, got {item!r}")
    if sep and service not in services:
        raise ValueError(f"{flag} {item}: {service} is not one of the --service values")
    return (service if sep else None), action


def _resolve(
    flag: str,
    items: Sequence[str],
    services: Sequence[str],
    actions_of: Dict[str, Set[str]],
) -> Dict[str, List[str]]:
    """Each service's actions named by ``items``; ValueError for one no service has."""
    chosen: Dict[str, List[str]] = {}
    for item in items:
        service, action = _split(flag, item, services)
        if service is not None and action not in actions_of[service]:
            raise ValueError(f"{flag} {item}: {service} has no action {action}")
        owners = [service] if service else [s for s in services if action in actions_of[s]]
        if not owners:
            listed = ", ".join(services)
            raise ValueError(f"{flag} {item}: no listed service ({listed}) has that action")
        for owner in owners:
            if action not in chosen.setdefault(owner, []):
                chosen[owner].append(action)
    return chosen


def _actions(services_dir: Path, service: str, version: Optional[str]) -> Set[str]:
    """The action names of ``service``'s spec."""
    return set(load_spec(services_dir, service, version)[1]["actions"])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the generator; 0 on success, 1 on a spec or I/O error, 2 on bad usage."""
    parser = build_parser()
    args = parser.parse_args(argv)
    services = list(dict.fromkeys(args.service))  # in order, once each
    if args.version and len(services) > 1:
        parser.error("--version applies to a single --service")
    named = [("--sse", item) for item in args.sse] + [("--action", i) for i in args.action]
    try:
        for flag, item in named:  # the syntax first, before reading any spec
            _split(flag, item, services)
        actions_of = {s: _actions(args.services_dir, s, args.version) for s in services if named}
        sse = _resolve("--sse", args.sse, services, actions_of)
        only = _resolve("--action", args.action, services, actions_of)
    except ValueError as exc:
        parser.error(str(exc))
    except TencentCloudSDKException as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    written: List[Path] = []
    try:
        for service in services:
            written += write_package(
                args.services_dir,
                service,
                args.out,
                version=args.version,
                package=args.package,
                sse_actions=sse.get(service, []),
                actions=only.get(service),
            )
    except TencentCloudSDKException as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
