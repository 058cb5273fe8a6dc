"""The agent's port as a message bus would carry it: every assignment and outcome goes
through JSON and back. Unit tests run the reconciler over it, so anything but a plain
dataclass of strings, numbers, lists and dicts crossing the port (an ORM record, a unit
of work, a datetime) fails them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from nuage.ports import compute_agent as port
from nuage.ports.compute_agent import (
    AllocationRatios,
    BackupOrder,
    Fault,
    HostAssignments,
    Outcome,
    ServerAssignment,
)
from nuage.ports.hypervisor import HostCapabilities
from nuage.ports.nics import NicAddress, ServerNic

OUTCOMES: dict[str, type[Any]] = {cls.__name__: cls for cls in (
    port.Spawned, port.Rebuilt, port.Settled, port.Destroyed, port.SnapshotEnded,
    port.Failed, port.DeleteFailed, port.Observed)}


def _json(value: Any) -> Any:
    # json.dumps refuses anything that is not plain data: that is the point.
    return json.loads(json.dumps(dataclasses.asdict(value)))


def encode_outcome(outcome: Outcome) -> str:
    return json.dumps({"kind": type(outcome).__name__, **_json(outcome)})


def decode_outcome(message: str) -> Outcome:
    fields = json.loads(message)
    kind = OUTCOMES[fields.pop("kind")]
    if fields.get("fault") is not None:
        fields["fault"] = Fault(**fields["fault"])
    outcome: Outcome = kind(**fields)
    return outcome


def decode_assignment(fields: dict[str, Any]) -> ServerAssignment:
    if fields.get("backup") is not None:
        fields["backup"] = BackupOrder(**fields["backup"])
    fields["nics"] = tuple(
        ServerNic(**{**nic, "addresses": tuple(
            NicAddress(**{**a, "dns_nameservers": tuple(a["dns_nameservers"]),
                          "host_routes": tuple(tuple(r) for r in a["host_routes"])})
            for a in nic["addresses"])})
        for nic in fields.get("nics", ()))
    return ServerAssignment(**fields)


class WireAssignments:
    """HostAssignments that serialises every call, as a bus client would."""

    def __init__(self, served: HostAssignments) -> None:
        self._served = served
        self.recorded: list[str] = []

    @property
    def host(self) -> str:
        return self._served.host

    def register(self, capabilities: HostCapabilities, ratios: AllocationRatios) -> None:
        self._served.register(HostCapabilities(**_json(capabilities)),
                              AllocationRatios(**_json(ratios)))

    def heartbeat(self) -> None:
        self._served.heartbeat()

    def servers(self) -> list[ServerAssignment]:
        message = json.dumps([_json(a) for a in self._served.servers()])
        return [decode_assignment(fields) for fields in json.loads(message)]

    def record(self, server_id: str, expected_task: str | None, outcome: Outcome) -> bool:
        message = encode_outcome(outcome)
        self.recorded.append(message)
        return self._served.record(server_id, expected_task, decode_outcome(message))
