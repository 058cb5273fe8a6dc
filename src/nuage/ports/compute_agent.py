"""The compute agent's port: what a host's agent asks of the control plane, and tells it.

An agent learns what should run on its host (`HostAssignments.servers`) and records what
it did (`HostAssignments.record`), with compare-and-set on the task state it acted on.
That is all it needs from the control plane's state: it never holds a unit of work, an
ORM object or database credentials. Everything that crosses is a plain dataclass of
strings, numbers, lists and dicts, so that the port can be served over a message bus
(NATS JetStream between machines) exactly as it is served in-process today; an
import-linter contract (pyproject.toml) keeps `nuage.agent` and the reconciler away from
the SQL driver and the unit of work.

The port is bound to one host: the side that serves it (in-process binding today, the
bus's authenticated subject later) names the host, never the agent's arguments, so an
agent can neither read nor change another host's servers.

Network and volume agents follow the same template: assignments out, typed outcomes in,
compare-and-set on the expected task. See docs/architecture/compute.md, "The agent port".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from nuage.ports.attached_volumes import ServerVolume, VolumeOutcome
from nuage.ports.hypervisor import HostCapabilities
from nuage.ports.nics import ServerNic


@dataclass(frozen=True)
class AllocationRatios:
    """How far the host's resources may be overcommitted (Nova's cpu/ram/disk
    allocation ratios, which a compute host's own configuration sets)."""

    cpu: float = 4.0
    ram: float = 1.0
    disk: float = 1.0


@dataclass(frozen=True)
class BackupOrder:
    """createBackup's rotation: keep the `rotation` newest backups of this type."""

    type: str
    rotation: int


@dataclass(frozen=True)
class ServerAssignment:
    """One server placed on the host, as the agent needs it: the recorded intent
    (`task_state`, `vm_state`) and what a guest is made from. A copy, not a record:
    changing it changes nothing; only `record` does."""

    id: str
    name: str
    project_id: str
    user_id: str
    vm_state: str
    task_state: str | None
    power_state: int
    image_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    hostname: str = ""
    availability_zone: str | None = None
    key_name: str | None = None
    key_data: str | None = None
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # image_snapshot: the reserved image to fill, and for a backup its rotation.
    snapshot_image_id: str | None = None
    backup: BackupOrder | None = None
    # Its NICs (Neutron ports), with the status the host's network agent recorded: the
    # guest starts once every one is ACTIVE (plugged on this host).
    nics: tuple[ServerNic, ...] = ()
    # Its volumes (Cinder attachments), with their connection, key and pending work
    # (attach, detach, resize, snapshots): the guest follows them, and a boot from
    # volume starts once every one is `ready`.
    volumes: tuple[ServerVolume, ...] = ()


@dataclass(frozen=True)
class Fault:
    """Why a server failed. `message` is for the tenant (never a host path or a tool's
    words); `details` is for administrators only. The control plane stamps the time."""

    message: str
    details: str | None = None
    code: int = 500


# -- outcomes: what the agent observed or did. The control plane turns each into the
# server's new state; the agent never names a column.

@dataclass(frozen=True)
class Spawned:
    """The guest was made and runs: ACTIVE, RUNNING, launched now, any fault cleared."""


@dataclass(frozen=True)
class Rebuilt:
    """The guest was made again on the server's image. `running`: ACTIVE, RUNNING,
    launched now; otherwise (a stopped server stays stopped) only SHUTDOWN."""

    running: bool


@dataclass(frozen=True)
class Settled:
    """A power action (stop, start, reboot, pause, ...) ended in these states."""

    vm_state: str
    power_state: int


@dataclass(frozen=True)
class Destroyed:
    """The guest is gone: the server is deleted and its resource claim released, in the
    same write (a claim released apart could be lost by a crash between the two)."""


@dataclass(frozen=True)
class SnapshotEnded:
    """image_snapshot is over (uploaded, or failed and discarded): the server is as it
    was."""


@dataclass(frozen=True)
class Failed:
    """The task failed (or the console watchdog stopped the guest): ERROR with a fault,
    and the power state the host shows."""

    fault: Fault
    power_state: int


@dataclass(frozen=True)
class DeleteFailed:
    """Destroying the guest failed: the fault is shown and the task stays `deleting`, so
    the next pass tries again."""

    fault: Fault


@dataclass(frozen=True)
class Observed:
    """No task: what the host shows differs from the record (None: unchanged)."""

    power_state: int | None = None
    vm_state: str | None = None
    fault: Fault | None = None


Outcome = Spawned | Rebuilt | Settled | Destroyed | SnapshotEnded | Failed | DeleteFailed | Observed


class HostAssignments(Protocol):
    """The control plane, as one host's compute agent sees it. Blocking calls, each its
    own transaction on the serving side; safe to call from several threads."""

    @property
    def host(self) -> str:
        """The host this port is bound to."""
        ...

    def register(self, capabilities: HostCapabilities, ratios: AllocationRatios) -> None:
        """Create or refresh this host's record (idempotent; at start, and when the
        accelerator changes). ValueError if `capabilities` name another host."""
        ...

    def heartbeat(self) -> None:
        """This host's agent is alive (NotFound if it never registered)."""
        ...

    def servers(self) -> list[ServerAssignment]:
        """The servers placed on this host and not deleted: what should run here."""
        ...

    def record(self, server_id: str, expected_task: str | None, outcome: Outcome) -> bool:
        """Write `outcome` only if the server is still on this host with the task state
        `expected_task` (the one the agent acted on): a delete or an action asked
        meanwhile wins, and the next pass sees it. Ends the task (except DeleteFailed)
        and closes the server's open instance actions. False when nothing was written."""
        ...

    def record_volume(self, attachment_id: str, expected_status: str,
                      outcome: VolumeOutcome) -> bool:
        """Write what the agent did for one of its servers' volumes (`outcome`), only if
        the attachment still has `expected_status` (the one it acted on) and belongs to
        a server on this host. False when nothing was written."""
        ...
