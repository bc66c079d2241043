"""A stateful CVM for the emulator, and the emulator's per-action rate limits.

:class:`CvmBackend` keeps instances per region and answers ``RunInstances``,
``DescribeInstances``, ``StartInstances``, ``StopInstances`` and
``TerminateInstances`` (2017-03-12) in the shapes of the API's spec:

- ``RunInstances``: ``InstanceCount`` (1-100, default 1), ``ImageId``,
  ``Placement.Zone`` (default ``<region>-1``; a zone of another region is
  ``InvalidZone.MismatchRegion``), ``InstanceName`` (``-1``, ``-2``, ...
  appended when several are launched), ``InstanceType``, ``ClientToken``: the
  same token in the same region answers the same ``InstanceIdSet`` again and
  launches nothing.
- ``DescribeInstances``: ``InstanceIds`` (at most 100) or ``Filters``
  (``zone``, ``instance-state``, ``instance-name``, ``instance-id``; values of
  one filter OR, filters AND; both at once is ``InvalidParameterConflict``),
  ``Offset`` (default 0) and ``Limit`` (default 20, 1-100), ``TotalCount``.
  Instances are listed oldest first.
- Lifecycle, read from the emulator's clock: ``PENDING`` -> ``RUNNING`` after
  ``launch_seconds``; Stop: ``STOPPING`` -> ``STOPPED``; Start: ``STARTING``
  -> ``RUNNING``; Terminate: ``SHUTDOWN`` and gone from the listing after
  another ``launch_seconds``. An action on an instance in the wrong state is
  ``UnsupportedOperation.InstanceState<State>``; an unknown id
  ``InvalidInstanceId.NotFound``, a malformed one ``InvalidInstanceId.Malformed``.

:class:`RateLimit` is a token bucket per (service, action) on the emulator's
clock: up to ``per_second`` requests at once, refilled at ``per_second`` a
second; a request finding it empty is answered ``RequestLimitExceeded``, as the
real API does per action.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..errors import TencentCloudSDKException

__all__ = [
    "CVM_VERSION",
    "CvmBackend",
    "RateLimit",
    "enable_cvm",
    "limit_registrations",
    "rate_limited",
]

CVM_VERSION = "2017-03-12"
_ID = re.compile(r"\Ains-[0-9a-z]{8}\Z")
_FILTERS = ("zone", "instance-state", "instance-name", "instance-id")
_MAX_IDS = 100
_MAX_LIMIT = 100
_MAX_COUNT = 100
# Transitional state -> (the state it reaches, the operation that started it).
_NEXT = {
    "PENDING": ("RUNNING", "RunInstances"),
    "STOPPING": ("STOPPED", "StopInstances"),
    "STARTING": ("RUNNING", "StartInstances"),
    "SHUTDOWN": ("", "TerminateInstances"),  # "": removed
}


def _error(code: str, message: str) -> TencentCloudSDKException:
    return TencentCloudSDKException(code, message)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _base36(number: int, width: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out.rjust(width, "0")[-width:]


def _int_param(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error("InvalidParameterValue", f"`{name}` must be an integer.")
    if not low <= value <= high:
        code = "InvalidParameterValue.LimitExceeded" if name == "Limit" else "InvalidParameterValue"
        raise _error(code, f"`{name}` must be between {low} and {high}, got {value}.")
    return value


def _id_list(params: Mapping[str, Any], required: bool) -> List[str]:
    ids = params.get("InstanceIds")
    if ids is None:
        if required:
            raise _error(
                "MissingParameter", "The request is missing a required parameter `InstanceIds`."
            )
        return []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _error("InvalidParameter", "`InstanceIds` must be a list of strings.")
    if len(ids) > _MAX_IDS:
        raise _error(
            "InvalidParameterValue.LimitExceeded",
            f"`InstanceIds` holds {len(ids)} ids; at most {_MAX_IDS} are allowed.",
        )
    for instance_id in ids:
        if not _ID.match(instance_id):
            raise _error(
                "InvalidInstanceId.Malformed", f"The instance id `{instance_id}` is malformed."
            )
    return ids


class _Instance:
    __slots__ = ("doc", "since", "state")

    def __init__(self, doc: Dict[str, Any], state: str, since: float) -> None:
        self.doc = doc
        self.state = state
        self.since = since


class CvmBackend:
    """Instances per region, moved through their states by ``clock``; thread-safe."""

    def __init__(self, clock: Callable[[], float], launch_seconds: float = 10.0) -> None:
        if (
            isinstance(launch_seconds, bool)
            or not isinstance(launch_seconds, (int, float))
            or not launch_seconds >= 0
        ):
            raise _error("ClientError", "launch_seconds must be a number >= 0")
        self._clock = clock
        self._launch = float(launch_seconds)
        self._lock = threading.Lock()
        self._regions: Dict[str, Dict[str, _Instance]] = {}
        self._tokens: Dict[Tuple[str, str], List[str]] = {}
        self._serial = 0

    # The handlers the emulator registers: (params, request) -> Response.

    def run_instances(self, params: Dict[str, Any], request: Any) -> Dict[str, Any]:
        """``RunInstances``: launch ``InstanceCount`` instances (``PENDING``)."""
        region = request.region or ""
        count = _int_param(params, "InstanceCount", 1, 1, _MAX_COUNT)
        placement = params.get("Placement") or {}
        if not isinstance(placement, Mapping):
            raise _error("InvalidParameter", "`Placement` must be an object.")
        zone = placement.get("Zone") or f"{region}-1"
        if not isinstance(zone, str) or not zone.startswith(f"{region}-"):
            raise _error(
                "InvalidZone.MismatchRegion", f"The zone `{zone}` is not in region `{region}`."
            )
        token = params.get("ClientToken")
        name = params.get("InstanceName") or "Unnamed"
        now = self._clock()
        with self._lock:
            if token:
                earlier = self._tokens.get((region, str(token)))
                if earlier is not None:
                    return {"InstanceIdSet": list(earlier)}
            instances = self._regions.setdefault(region, {})
            made: List[str] = []
            for index in range(count):
                self._serial += 1
                instance_id = "ins-" + _base36(self._serial * 7919 + 1_000_003, 8)
                shown = f"{name}-{index + 1}" if count > 1 else name
                doc = self._document(instance_id, zone, shown, params, now)
                instances[instance_id] = _Instance(doc, "PENDING", now)
                made.append(instance_id)
            if token:
                self._tokens[(region, str(token))] = made
        return {"InstanceIdSet": made}

    def describe_instances(self, params: Dict[str, Any], request: Any) -> Dict[str, Any]:
        """``DescribeInstances``: one page of the region's instances, with ``TotalCount``."""
        ids = _id_list(params, required=False)
        filters = params.get("Filters")
        if ids and filters:
            raise _error(
                "InvalidParameterConflict", "`InstanceIds` and `Filters` cannot be given together."
            )
        wanted = self._filters(filters)
        offset = _int_param(params, "Offset", 0, 0, 2**31 - 1)
        limit = _int_param(params, "Limit", 20, 1, _MAX_LIMIT)
        now = self._clock()
        with self._lock:
            instances = self._regions.get(request.region or "", {})
            self._advance(instances, now)
            chosen = [
                inst
                for inst in instances.values()
                if (not ids or inst.doc["InstanceId"] in ids) and self._matches(inst, wanted)
            ]
            page = [self._shown(inst) for inst in chosen[offset : offset + limit]]
        return {"TotalCount": len(chosen), "InstanceSet": page}

    def start_instances(self, params: Dict[str, Any], request: Any) -> Dict[str, Any]:
        """``StartInstances``: ``STOPPED`` -> ``STARTING`` -> ``RUNNING``."""
        return self._change(params, request, "StartInstances", ("STOPPED",), "STARTING")

    def stop_instances(self, params: Dict[str, Any], request: Any) -> Dict[str, Any]:
        """``StopInstances``: ``RUNNING`` -> ``STOPPING`` -> ``STOPPED``."""
        return self._change(params, request, "StopInstances", ("RUNNING",), "STOPPING")

    def terminate_instances(self, params: Dict[str, Any], request: Any) -> Dict[str, Any]:
        """``TerminateInstances``: ``SHUTDOWN``, then gone."""
        allowed = ("PENDING", "RUNNING", "STOPPED", "STOPPING", "STARTING")
        return self._change(params, request, "TerminateInstances", allowed, "SHUTDOWN")

    # ------------------------------------------------------------ helpers

    def _document(
        self, instance_id: str, zone: str, name: str, params: Mapping[str, Any], now: float
    ) -> Dict[str, Any]:
        serial = self._serial
        return {
            "Placement": {"Zone": zone, "ProjectId": 0},
            "InstanceId": instance_id,
            "InstanceType": params.get("InstanceType") or "S5.MEDIUM2",
            "CPU": 2,
            "Memory": 2,
            "RestrictState": "NORMAL",
            "InstanceName": name,
            "InstanceChargeType": params.get("InstanceChargeType") or "POSTPAID_BY_HOUR",
            "SystemDisk": {"DiskType": "CLOUD_PREMIUM", "DiskId": f"disk-{instance_id[4:]}",
                           "DiskSize": 50},
            "DataDisks": [],
            "PrivateIpAddresses": [f"10.0.{serial // 250 % 250}.{serial % 250 + 2}"],
            "PublicIpAddresses": [],
            "ImageId": params.get("ImageId") or "img-eb30mz89",
            "RenewFlag": "NOTIFY_AND_MANUAL_RENEW",
            "CreatedTime": _iso(now),
            "ExpiredTime": None,
            "OsName": "TencentOS Server 3.1",
            "SecurityGroupIds": list(params.get("SecurityGroupIds") or []),
            "LoginSettings": {"KeyIds": []},
            "InstanceState": "PENDING",
            "Tags": [],
            "StopChargingMode": "NOT_APPLICABLE",
            "Uuid": f"{serial:08x}-0000-4000-8000-{instance_id[4:]:0>12}",
            "LatestOperation": "RunInstances",
            "LatestOperationState": "OPERATING",
            "LatestOperationRequestId": "",
            "DisasterRecoverGroupId": "",
            "IPv6Addresses": None,
            "CamRoleName": "",
            "HpcClusterId": "",
            "RdmaIpAddresses": None,
            "DisableApiTermination": False,
        }  # fmt: skip

    def _advance(self, instances: Dict[str, _Instance], now: float) -> None:
        # Lazily: a transitional state ends launch_seconds after it began.
        for instance_id in list(instances):
            inst = instances[instance_id]
            step = _NEXT.get(inst.state)
            if step is None or now < inst.since + self._launch:
                continue
            following, _operation = step
            if not following:
                del instances[instance_id]
                continue
            inst.state, inst.since = following, inst.since + self._launch
            inst.doc["LatestOperationState"] = "SUCCESS"

    @staticmethod
    def _filters(filters: Any) -> List[Tuple[str, List[str]]]:
        if filters is None:
            return []
        if not isinstance(filters, list):
            raise _error("InvalidParameter", "`Filters` must be a list of {Name, Values}.")
        out: List[Tuple[str, List[str]]] = []
        for entry in filters:
            name = entry.get("Name") if isinstance(entry, Mapping) else None
            values = entry.get("Values") if isinstance(entry, Mapping) else None
            if not isinstance(name, str) or not isinstance(values, list):
                raise _error("InvalidParameter", "each filter needs a Name and a list of Values.")
            if name not in _FILTERS:
                raise _error(
                    "InvalidFilter",
                    f"The filter `{name}` is not supported here ({', '.join(_FILTERS)}).",
                )
            out.append((name, [str(v) for v in values]))
        return out

    @staticmethod
    def _matches(inst: _Instance, wanted: List[Tuple[str, List[str]]]) -> bool:
        doc = inst.doc
        for name, values in wanted:
            if name == "zone":
                have = doc["Placement"]["Zone"]
            elif name == "instance-state":
                have = inst.state
            elif name == "instance-name":
                have = doc["InstanceName"]
            else:
                have = doc["InstanceId"]
            if have not in values:
                return False
        return True

    @staticmethod
    def _shown(inst: _Instance) -> Dict[str, Any]:
        doc = dict(inst.doc)
        doc["Placement"] = dict(doc["Placement"])
        doc["InstanceState"] = inst.state
        return doc

    def _change(
        self,
        params: Dict[str, Any],
        request: Any,
        operation: str,
        allowed: Tuple[str, ...],
        target: str,
    ) -> Dict[str, Any]:
        ids = _id_list(params, required=True)
        now = self._clock()
        with self._lock:
            instances = self._regions.get(request.region or "", {})
            self._advance(instances, now)
            for instance_id in ids:
                inst = instances.get(instance_id)
                if inst is None:
                    raise _error(
                        "InvalidInstanceId.NotFound",
                        f"The instance `{instance_id}` does not exist.",
                    )
                if inst.state not in allowed:
                    state = inst.state.capitalize()
                    raise _error(
                        f"UnsupportedOperation.InstanceState{state}",
                        f"{operation} cannot act on `{instance_id}`: it is {inst.state}.",
                    )
            for instance_id in ids:
                inst = instances[instance_id]
                inst.state, inst.since = target, now
                inst.doc["LatestOperation"] = operation
                inst.doc["LatestOperationState"] = "OPERATING"
        return {}


def enable_cvm(emulator: Any, *, launch_seconds: float = 10.0) -> CvmBackend:
    """Register a :class:`CvmBackend` on ``emulator`` (its clock) and return it."""
    backend = CvmBackend(emulator.clock, launch_seconds)
    for action, handler in (
        ("RunInstances", backend.run_instances),
        ("DescribeInstances", backend.describe_instances),
        ("StartInstances", backend.start_instances),
        ("StopInstances", backend.stop_instances),
        ("TerminateInstances", backend.terminate_instances),
    ):
        emulator.register("cvm", action, handler, version=CVM_VERSION)
    return backend


class RateLimit:
    """A token bucket: ``per_second`` at once, refilled at ``per_second`` a second."""

    def __init__(self, per_second: float, clock: Callable[[], float]) -> None:
        if (
            isinstance(per_second, bool)
            or not isinstance(per_second, (int, float))
            or not per_second > 0
            or per_second == float("inf")
        ):
            raise _error("ClientError", "per_second must be a positive number of requests")
        self.per_second = float(per_second)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = max(1.0, self.per_second)
        self._at = clock()

    def take(self) -> bool:
        """Whether one more request may go now (it takes a token)."""
        with self._lock:
            now = self._clock()
            capacity = max(1.0, self.per_second)
            self._tokens = min(capacity, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


def rate_limited(
    handler: Callable[..., Any], takes_request: bool, action: str, limit: RateLimit
) -> Callable[[Dict[str, Any], Any], Any]:
    """``handler`` behind ``limit``: above the rate it answers ``RequestLimitExceeded``."""

    def limited(params: Dict[str, Any], request: Any) -> Any:
        if not limit.take():
            raise _error(
                "RequestLimitExceeded",
                f"The request rate of {action} exceeds the limit of "
                f"{limit.per_second:g} per second.",
            )
        return handler(params, request) if takes_request else handler(params)

    # So that a new limit replaces this one instead of stacking on it.
    limited.unlimited = (handler, takes_request)  # type: ignore[attr-defined]
    return limited


def limit_registrations(
    emulator: Any,
    registrations: Mapping[Optional[str], Any],
    service: str,
    action: str,
    per_second: Optional[float],
) -> Optional[RateLimit]:
    """Register each of ``registrations`` (version -> registration) again behind one limit.

    The limit covers the handlers registered now; setting it again replaces
    it (a full bucket), ``per_second=None`` removes it, and registering the
    action again later replaces both.
    """
    limit = RateLimit(per_second, emulator.clock) if per_second is not None else None
    if not registrations:
        raise _error(
            "ClientError",
            f"set_rate_limit: register a handler for {service} {action} first (or enable_cvm())",
        )
    for version, reg in registrations.items():
        handler, takes_request = getattr(reg.handler, "unlimited", (reg.handler, reg.takes_request))
        if limit is not None:
            handler = rate_limited(handler, takes_request, action, limit)
        emulator.register(
            service, action, handler, version=version, allow_unsigned=reg.allow_unsigned
        )
    return limit
