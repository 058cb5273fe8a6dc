"""The agent's port as a message bus would carry it: every assignment and outcome goes
through JSON and back. Unit tests run the reconciler over it, so anything but a plain
dataclass of strings, numbers, lists and dicts crossing the port (an ORM record, a unit
of work, a datetime) fails them."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

from nuage.ports import attached_volumes as volumes_port
from nuage.ports import compute_agent as port
from nuage.ports.attached_volumes import ServerVolume, VolumeOutcome
from nuage.ports.block_devices import VolumeConnection
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


VOLUME_OUTCOMES: dict[str, type[Any]] = {cls.__name__: cls for cls in (
    volumes_port.Attached, volumes_port.AttachFailed, volumes_port.Detached,
    volumes_port.Resized, volumes_port.SnapshotTaken, volumes_port.SnapshotDeleted)}


def _json(value: Any) -> Any:
    # json.dumps refuses anything that is not plain data: that is the point.
    return json.loads(json.dumps(dataclasses.asdict(value)))


def _assignment_json(value: ServerAssignment) -> Any:
    """A volume's key (bytes) and its file's path travel as a bus would carry them:
    base64 and a string; anything else must be plain data already."""
    fields = dataclasses.asdict(value)
    for volume in fields["volumes"]:
        if volume["key"] is not None:
            volume["key"] = base64.b64encode(volume["key"]).decode()
        if volume["connection"] is not None:
            volume["connection"]["path"] = str(volume["connection"]["path"])
    return json.loads(json.dumps(fields))


def _volume(fields: dict[str, Any]) -> ServerVolume:
    if fields.get("key") is not None:
        fields["key"] = base64.b64decode(fields["key"])
    if fields.get("connection") is not None:
        fields["connection"] = VolumeConnection(**{**fields["connection"],
                                                   "path": Path(fields["connection"]["path"])})
    fields["snapshots"] = tuple(fields.get("snapshots", ()))
    return ServerVolume(**fields)


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
    fields["volumes"] = tuple(_volume(v) for v in fields.get("volumes", ()))
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
        message = json.dumps([_assignment_json(a) for a in self._served.servers()])
        return [decode_assignment(fields) for fields in json.loads(message)]

    def record(self, server_id: str, expected_task: str | None, outcome: Outcome) -> bool:
        message = encode_outcome(outcome)
        self.recorded.append(message)
        return self._served.record(server_id, expected_task, decode_outcome(message))

    def record_volume(self, attachment_id: str, expected_status: str,
                      outcome: VolumeOutcome) -> bool:
        message = json.dumps({"kind": type(outcome).__name__, **_json(outcome)})
        self.recorded.append(message)
        fields = json.loads(message)
        decoded: VolumeOutcome = VOLUME_OUTCOMES[fields.pop("kind")](**fields)
        return self._served.record_volume(attachment_id, expected_status, decoded)
