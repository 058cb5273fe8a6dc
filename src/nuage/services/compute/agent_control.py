"""The control plane's side of the compute agent's port (ports/compute_agent.py).

It reads and writes servers through the unit of work and hands the agent copies
(`port.ServerAssignment`), never a record: what the agent reports comes back as a typed
outcome, which this module alone turns into column changes. `for_host` serves the port
in-process, bound to one host, as a message-bus subscriber bound to an authenticated
agent's host will serve it later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from nuage.domain.compute import Server, VmState
from nuage.ports import compute_agent as port
from nuage.ports.clock import Clock
from nuage.ports.compute_network import ServerNetworks, ServerNic
from nuage.ports.compute_volumes import ServerVolume, ServerVolumes, VolumeOutcome
from nuage.ports.hypervisor import HostCapabilities, PowerState
from nuage.ports.repositories import UnitOfWorkFactory
from nuage.services.compute import scheduler
from nuage.services.compute.hosts import HostService


class AgentControlService:
    """Serves the hosts' agents: what should run on a host, and their outcomes."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hosts: HostService,
                 networks: ServerNetworks | None = None,
                 volumes: ServerVolumes | None = None) -> None:
        self.uow = uow
        self.clock = clock
        self.hosts = hosts
        self.networks = networks
        self.volumes = volumes

    def for_host(self, host: str) -> port.HostAssignments:
        """The port as the agent of `host` sees it (in-process)."""
        return _BoundToHost(self, host)

    def servers(self, host: str) -> list[port.ServerAssignment]:
        with self.uow() as uow:
            servers = uow.servers.find(host=host, deleted=False)
            ids = [s.id for s in servers]
            nics = self.networks.describe(uow, ids) if self.networks is not None else {}
            volumes = (self.volumes.describe(uow, ids, for_agent=True)
                       if self.volumes is not None and ids else {})
            return [assignment(s, nics.get(s.id, ()), volumes.get(s.id, ()))
                    for s in servers]

    def record_volume(self, host: str, attachment_id: str, expected_status: str,
                      outcome: VolumeOutcome) -> bool:
        """One attachment's outcome, written by the volume service with compare-and-set
        on its status; only for an attachment of a server on `host` (an agent never
        writes another host's)."""
        if self.volumes is None:
            return False
        with self.uow(write=True) as uow:
            servers = uow.servers.find(host=host, deleted=False)
            mine = self.volumes.describe(uow, [s.id for s in servers]) if servers else {}
            if not any(v.attachment_id == attachment_id
                       for found in mine.values() for v in found):
                return False
            written = self.volumes.record(uow, attachment_id, expected_status, outcome)
            if written:
                uow.commit()
            return written

    def record(self, host: str, server_id: str, expected_task: str | None,
               outcome: port.Outcome) -> bool:
        now = self.clock.now()
        changes = _changes(outcome, now)
        with self.uow(write=True) as uow:
            # Locked (PostgreSQL): a delete or action the API commits meanwhile must not be
            # overwritten by this compare-and-set on the task state.
            server = uow.servers.get_for_update(server_id)
            if server is None or server.host != host or server.task_state != expected_task:
                return False
            for key, value in changes.items():
                setattr(server, key, value)
            if not isinstance(outcome, port.DeleteFailed):
                server.task_state = None
            server.updated_at = now
            unplug: list[str] = []
            if isinstance(outcome, port.Destroyed):
                scheduler.release(uow, server.id)
                # The guest is gone: its ports go (or are unbound) in the same write.
                if self.networks is not None:
                    unplug = self.networks.release(uow, server.id)
                # And its volumes are detached (deleted if asked) in the same write.
                if self.volumes is not None:
                    self.volumes.release(uow, server.id)
            for action in uow.instance_actions.find(server_id=server.id, finish_time=None):
                action.finish_time = now
                if changes.get("fault"):
                    action.message = "Error"
            uow.commit()
        if unplug and self.networks is not None:
            self.networks.wake(unplug)
        return True


class _BoundToHost:
    """HostAssignments for one host's agent in this process."""

    def __init__(self, service: AgentControlService, host: str) -> None:
        self._service = service
        self._host = host

    @property
    def host(self) -> str:
        return self._host

    def register(self, capabilities: HostCapabilities, ratios: port.AllocationRatios) -> None:
        if capabilities.hostname != self._host:
            raise ValueError(f"the agent of {self._host} cannot register "
                             f"{capabilities.hostname}")
        # The record is not handed back: over a bus it could not be.
        self._service.hosts.register(capabilities, ratios)

    def heartbeat(self) -> None:
        self._service.hosts.heartbeat(self._host)

    def servers(self) -> list[port.ServerAssignment]:
        return self._service.servers(self._host)

    def record(self, server_id: str, expected_task: str | None, outcome: port.Outcome) -> bool:
        return self._service.record(self._host, server_id, expected_task, outcome)

    def record_volume(self, attachment_id: str, expected_status: str,
                      outcome: VolumeOutcome) -> bool:
        return self._service.record_volume(self._host, attachment_id, expected_status,
                                           outcome)


def assignment(server: Server, nics: Iterable[ServerNic] = (),
               volumes: Iterable[ServerVolume] = ()) -> port.ServerAssignment:
    """A plain copy of what the agent needs from the server record."""
    args = server.task_args or {}
    image_id = args.get("image_id")
    flavor = server.flavor
    return port.ServerAssignment(
        id=server.id, name=server.name, project_id=server.project_id,
        user_id=server.user_id, vm_state=server.vm_state, task_state=server.task_state,
        power_state=server.power_state, image_id=server.image_id,
        vcpus=int(flavor["vcpus"]), memory_mb=int(flavor["ram"]), disk_gb=int(flavor["disk"]),
        hostname=server.hostname or "", availability_zone=server.availability_zone,
        key_name=server.key_name, key_data=server.key_data, user_data=server.user_data,
        metadata=dict(server.metadata),
        snapshot_image_id=str(image_id) if image_id else None,
        backup=_backup(args.get("backup")), nics=tuple(nics), volumes=tuple(volumes))


def _backup(raw: object) -> port.BackupOrder | None:
    if not isinstance(raw, dict):
        return None
    try:
        return port.BackupOrder(type=str(raw.get("type")), rotation=int(raw.get("rotation", 0)))
    except (TypeError, ValueError):
        # Written by ServerActionService, so never malformed; if it were, the snapshot
        # is still taken and no old backup is deleted.
        return None


def _fault(fault: port.Fault, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {"code": fault.code, "message": fault.message}
    if fault.details is not None:
        out["details"] = fault.details
    out["created"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def _changes(outcome: port.Outcome, now: datetime) -> dict[str, Any]:
    """The server's columns an outcome sets (the task state is handled by `record`)."""
    match outcome:
        case port.Spawned():
            return {"vm_state": VmState.ACTIVE.value, "power_state": int(PowerState.RUNNING),
                    "launched_at": now, "fault": None}
        case port.Rebuilt(running=True):
            return {"vm_state": VmState.ACTIVE.value, "power_state": int(PowerState.RUNNING),
                    "launched_at": now}
        case port.Rebuilt():
            return {"power_state": int(PowerState.SHUTDOWN)}
        case port.Settled(vm_state=vm, power_state=power):
            return {"vm_state": vm, "power_state": power}
        case port.Destroyed():
            return {"vm_state": VmState.DELETED.value, "deleted": True,
                    "power_state": int(PowerState.NOSTATE), "terminated_at": now}
        case port.SnapshotEnded():
            return {"task_args": None}
        case port.Failed(fault=fault, power_state=power):
            return {"vm_state": VmState.ERROR.value, "fault": _fault(fault, now),
                    "power_state": power}
        case port.DeleteFailed(fault=fault):
            return {"fault": _fault(fault, now)}
        case port.Observed(power_state=power, vm_state=vm, fault=fault):
            changes: dict[str, Any] = {}
            if power is not None:
                changes["power_state"] = power
            if vm is not None:
                changes["vm_state"] = vm
            if fault is not None:
                changes["fault"] = _fault(fault, now)
            return changes
    raise TypeError(f"not an outcome: {outcome!r}")
