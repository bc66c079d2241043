"""Shared glue for the examples: where the API is, demo credentials, a local proxy.

Every example talks to the local emulator (:mod:`tcfunc.testing.emulator`),
never to Tencent Cloud, so it runs on any machine with no account:

* ``examples/demo.py`` (``make demo``) starts one emulator, exports its address
  as ``TCFUNC_EXAMPLE_ENDPOINT`` with demo credentials in
  ``TENCENTCLOUD_SECRET_ID`` / ``TENCENTCLOUD_SECRET_KEY``, and runs each example;
* run on its own (``python examples/quickstart.py``), an example starts its
  own emulator through :func:`example_endpoint`;
* an example that shows what the server received (``emulator.requests``)
  always runs its own emulator in its process, through :func:`local_emulator`.

The emulator validates requests against the real API specs when the ``tccli``
package is installed, and answers the actions the examples use from the small
inventory below either way. To run an example against the real API instead,
use a ``ClientProfile`` without the emulator endpoint and real credentials.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.server
import importlib.util
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException
from tcfunc.testing.emulator import ApiEmulator, RecordedRequest

ENDPOINT_VARIABLE = "TCFUNC_EXAMPLE_ENDPOINT"
DEMO_SECRET_ID = "AKIDexampleDEMOonly00000000000000000"
DEMO_SECRET_KEY = "example-demo-key-not-a-real-secret"
DEMO_VARIABLES = {
    "TENCENTCLOUD_SECRET_ID": DEMO_SECRET_ID,
    "TENCENTCLOUD_SECRET_KEY": DEMO_SECRET_KEY,
}

# The small world the emulator serves to the examples: five instances in
# ap-guangzhou, a few in other regions (DescribeInstances answers per region).
INSTANCES: List[Dict[str, Any]] = [
    {
        "InstanceId": f"ins-{n:08x}",
        "InstanceName": name,
        "InstanceType": kind,
        "CPU": cpu,
        "Memory": memory,
        "InstanceState": "RUNNING",
        "InstanceChargeType": charge,
        "Placement": {"Zone": zone, "ProjectId": 0},
        "PrivateIpAddresses": [f"10.0.{n}.{n + 10}"],
        "CreatedTime": "2024-05-01T08:00:00Z",
    }
    for n, (name, kind, cpu, memory, charge, zone) in enumerate(
        [
            ("web-1", "S5.MEDIUM4", 2, 4, "POSTPAID_BY_HOUR", "ap-guangzhou-3"),
            ("web-2", "S5.MEDIUM4", 2, 4, "POSTPAID_BY_HOUR", "ap-guangzhou-4"),
            ("db-1", "M5.LARGE16", 4, 16, "PREPAID", "ap-guangzhou-3"),
            ("batch-1", "C5.2XLARGE16", 8, 16, "SPOTPAID", "ap-guangzhou-6"),
            ("cache-1", "S5.LARGE8", 4, 8, "PREPAID", "ap-guangzhou-4"),
            ("app-sh-1", "S5.MEDIUM4", 2, 4, "POSTPAID_BY_HOUR", "ap-shanghai-2"),
            ("app-sh-2", "S5.LARGE8", 4, 8, "PREPAID", "ap-shanghai-5"),
            ("etl-bj-1", "C5.2XLARGE16", 8, 16, "SPOTPAID", "ap-beijing-7"),
        ],
        start=1,
    )
]
ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
REGIONS = ["ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-singapore"]
_FILTER_FIELDS = {
    "zone": lambda i: i["Placement"]["Zone"],
    "instance-charge-type": lambda i: i["InstanceChargeType"],
    "instance-name": lambda i: i["InstanceName"],
    "instance-type": lambda i: i["InstanceType"],
    "instance-state": lambda i: i["InstanceState"],
}


def _region_of(instance: Dict[str, Any]) -> str:
    return str(instance["Placement"]["Zone"]).rsplit("-", 1)[0]  # ap-shanghai-2 -> ap-shanghai


def describe_instances(params: Dict[str, Any], request: RecordedRequest) -> Dict[str, Any]:
    """cvm DescribeInstances over :data:`INSTANCES`: the request's region (all
    instances if it names none), InstanceIds, Filters, Offset, Limit."""
    found = [i for i in INSTANCES if not request.region or _region_of(i) == request.region]
    ids = params.get("InstanceIds")
    if ids:
        found = [i for i in found if i["InstanceId"] in ids]
    for flt in params.get("Filters") or []:
        field = _FILTER_FIELDS.get(str(flt.get("Name")))
        if field is None:
            raise TencentCloudSDKException(
                "InvalidFilter", f"The filter `{flt.get('Name')}` is not supported."
            )
        wanted = {str(v) for v in flt.get("Values") or []}
        found = [i for i in found if field(i) in wanted]
    offset, limit = int(params.get("Offset") or 0), int(params.get("Limit") or 20)
    return {"TotalCount": len(found), "InstanceSet": found[offset : offset + limit]}


def _chat(params: Dict[str, Any]) -> Any:
    """hunyuan ChatCompletions: echoes the last message back, word by word when streaming."""
    messages = params.get("Messages") or [{}]
    words = f"You said: {messages[-1].get('Content', '')}".split()
    if not params.get("Stream"):
        message = {"Role": "assistant", "Content": " ".join(words)}
        return {"Choices": [{"Message": message, "FinishReason": "stop"}], "Created": 1700000000}

    def events() -> Iterator[Dict[str, Any]]:
        for n, word in enumerate(words):
            delta = {"Role": "assistant", "Content": word + " "}
            finish = "stop" if n == len(words) - 1 else ""
            choice = {"Delta": delta, "FinishReason": finish}
            yield {"data": json.dumps({"Choices": [choice], "Created": 1700000000})}

    return events()


def register_demo_handlers(emulator: ApiEmulator) -> None:
    """Answer every action the examples call (and STS), with or without tccli's specs."""
    emulator.register("cvm", "DescribeInstances", describe_instances)
    zones = [
        {"Zone": z, "ZoneName": f"Guangzhou Zone {z[-1]}", "ZoneId": f"10000{z[-1]}"} for z in ZONES
    ]
    for zone in zones:
        zone["ZoneState"] = "AVAILABLE"
    emulator.register(
        "cvm", "DescribeZones", lambda _p: {"TotalCount": len(zones), "ZoneSet": zones}
    )
    regions = [{"Region": r, "RegionName": r, "RegionState": "AVAILABLE"} for r in REGIONS]
    emulator.register(
        "cvm", "DescribeRegions", lambda _p: {"TotalCount": len(regions), "RegionSet": regions}
    )
    vpcs = [{"VpcId": "vpc-2mbdw3e8", "VpcName": "default", "CidrBlock": "10.0.0.0/16"}]
    emulator.register("vpc", "DescribeVpcs", lambda _p: {"TotalCount": len(vpcs), "VpcSet": vpcs})
    disks = [{"DiskId": "disk-4b3l7vq1", "DiskSize": 50, "DiskType": "CLOUD_PREMIUM"}]
    emulator.register(
        "cbs", "DescribeDisks", lambda _p: {"TotalCount": len(disks), "DiskSet": disks}
    )
    emulator.register("hunyuan", "ChatCompletions", _chat)
    # Not a real API: a stand-in for actions that take an application/octet-stream body.
    emulator.register("demo", "UploadFile", lambda _p: {"Accepted": True}, version="2024-01-01")
    emulator.enable_sts()


def tccli_services_dir() -> Optional[Path]:
    """tccli's ``services`` directory (the real API specs), when tccli is installed."""
    spec = importlib.util.find_spec("tccli")
    if spec is None or not spec.submodule_search_locations:
        return None
    services = Path(next(iter(spec.submodule_search_locations))) / "services"
    return services if services.is_dir() else None


def start_emulator() -> ApiEmulator:
    """A running emulator that knows the demo credentials and the demo handlers."""
    emulator = ApiEmulator({DEMO_SECRET_ID: DEMO_SECRET_KEY}, spec_dir=tccli_services_dir())
    register_demo_handlers(emulator)
    return emulator.start()


def closed_port() -> int:
    """A loopback port nothing listens on (keeps credential lookups off the network)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Variables that would send the examples elsewhere: a session token the
# emulator does not know, proxies that do not exempt 127.0.0.1.
UNSET_VARIABLES = (
    "TENCENTCLOUD_SESSION_TOKEN",
    "TENCENTCLOUD_CREDENTIALS_FILE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


def example_environment(endpoint: str) -> Dict[str, str]:
    """What an example process needs in its environment to use ``endpoint``.

    Remove :data:`UNSET_VARIABLES` from the environment too.
    """
    return {
        ENDPOINT_VARIABLE: endpoint,
        **DEMO_VARIABLES,
        # DefaultCredentialProvider must never try a real metadata service.
        "TENCENTCLOUD_METADATA_ENDPOINT": f"http://127.0.0.1:{closed_port()}/",
        "NO_PROXY": "127.0.0.1,localhost",
    }


@contextlib.contextmanager
def local_emulator() -> Iterator[ApiEmulator]:
    """An emulator running in this process, with the demo credentials in the environment.

    Unlike :func:`example_endpoint` it ignores ``$TCFUNC_EXAMPLE_ENDPOINT``:
    an example uses it to read what the server received
    (:attr:`ApiEmulator.requests`), which another process's emulator cannot show.
    """
    emulator = start_emulator()
    try:
        for name in UNSET_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(example_environment(emulator.endpoint))
        yield emulator
    finally:
        emulator.stop()


@contextlib.contextmanager
def example_endpoint() -> Iterator[str]:
    """The emulator's ``host:port``: ``$TCFUNC_EXAMPLE_ENDPOINT``, or one started here."""
    endpoint = os.environ.get(ENDPOINT_VARIABLE)
    if endpoint:
        for name, value in DEMO_VARIABLES.items():
            os.environ.setdefault(name, value)
        yield endpoint
        return
    with local_emulator() as emulator:
        yield emulator.endpoint


def sent_header(request: RecordedRequest, name: str) -> Optional[str]:
    """The value of header ``name`` (any case) that ``request`` arrived with, if any."""
    wanted = name.lower()
    return next((v for k, v in request.headers.items() if k.lower() == wanted), None)


def credential() -> Credential:
    """The credential from the environment (the demo's, unless you set your own)."""
    return Credential(os.environ["TENCENTCLOUD_SECRET_ID"], os.environ["TENCENTCLOUD_SECRET_KEY"])


def emulator_profile(endpoint: str, **client_options: Any) -> ClientProfile:
    """A ClientProfile that sends plain HTTP to the emulator at ``endpoint``."""
    return ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=endpoint), **client_options
    )


def heading(text: str) -> None:
    """Print a section heading."""
    print(f"\n== {text}")


# ---------------------------------------------------------------------------
# A tiny forwarding proxy, for the examples about proxies, failover and reuse.


class LocalProxy:
    """An HTTP forward proxy on 127.0.0.1 that sends every request to one upstream.

    Whatever host a request names (``cvm.tencentcloudapi.com``,
    ``cvm.ap-guangzhou.tencentcloudapi.com``), it goes to ``upstream`` (the
    emulator) with its ``Host`` header and body unchanged, so signatures still
    hold. Nothing ever leaves the machine. It counts client connections,
    records the hosts and headers it forwarded, can act as if some hosts
    are down (502) or fail the next few requests, and can require
    ``Proxy-Authorization``.
    """

    def __init__(
        self,
        upstream: str,
        *,
        down_hosts: Sequence[str] = (),
        fail_next: int = 0,
        credentials: Optional[Tuple[str, str]] = None,
    ) -> None:
        host, _, port = upstream.rpartition(":")
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            raise ValueError("the example proxy only forwards to a loopback upstream")
        self.upstream = (host.strip("[]"), int(port))
        self.down_hosts: Set[str] = set(down_hosts)
        self.fail_next = fail_next
        self.credentials = credentials
        self.connections = 0
        self.forwarded: List[Tuple[str, Dict[str, str]]] = []
        self.refused: List[str] = []
        self._lock = threading.Lock()
        self._server: Optional[http.server.ThreadingHTTPServer] = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (without credentials)."""
        assert self._server is not None, "start() the proxy first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LocalProxy:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so reuse is visible

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle's
                # algorithm and delayed ACKs add ~40 ms to every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with proxy._lock:
                    proxy.connections += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                proxy._handle(self)

            def do_GET(self) -> None:
                proxy._handle(self)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _reply(self, handler: http.server.BaseHTTPRequestHandler, status: int, text: str) -> None:
        body = f"<html><body>{text}</body></html>".encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(body)))
        if status == 407:
            handler.send_header("Proxy-Authenticate", 'Basic realm="example"')
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        host = handler.headers.get("Host", "")
        if self.credentials is not None:
            token = base64.b64encode(":".join(self.credentials).encode()).decode()
            if handler.headers.get("Proxy-Authorization") != f"Basic {token}":
                self._reply(handler, 407, "proxy authentication required")
                return
        with self._lock:
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
            if failing or host in self.down_hosts:
                self.refused.append(host)
        if failing or host in self.down_hosts:
            self._reply(handler, 502, f"bad gateway: {host} is unavailable")
            return
        path = handler.path
        if "://" in path:  # absolute form, as clients speak to a proxy
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        skip = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in skip}
        with self._lock:
            self.forwarded.append((host, dict(headers)))
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            upstream.request(handler.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            handler.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        finally:
            upstream.close()
