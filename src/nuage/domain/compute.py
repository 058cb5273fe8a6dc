"""Compute: flavors, keypairs, servers and their state machine, hosts and allocations.

A server's `status` is derived, as in Nova, from its vm_state and task_state; the API
records intent (vm_state/task_state and the desired power state) and the host agent
moves the server there, reporting the power state it observes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.errors import ValidationError


class VmState(StrEnum):
    BUILDING = "building"
    ACTIVE = "active"
    STOPPED = "stopped"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    ERROR = "error"
    DELETED = "deleted"


class TaskState(StrEnum):
    SCHEDULING = "scheduling"
    SPAWNING = "spawning"
    POWERING_OFF = "powering-off"
    POWERING_ON = "powering-on"
    REBOOTING = "rebooting"
    REBOOTING_HARD = "rebooting_hard"
    PAUSING = "pausing"
    UNPAUSING = "unpausing"
    SUSPENDING = "suspending"
    RESUMING = "resuming"
    REBUILDING = "rebuilding"
    IMAGE_SNAPSHOT = "image_snapshot"
    DELETING = "deleting"


_ACTIVE_TASKS: dict[str, str] = {
    TaskState.REBOOTING.value: "REBOOT", TaskState.REBOOTING_HARD.value: "HARD_REBOOT",
    TaskState.REBUILDING.value: "REBUILD",
}
_VM_STATUS: dict[str, str] = {
    VmState.BUILDING.value: "BUILD", VmState.ACTIVE.value: "ACTIVE",
    VmState.STOPPED.value: "SHUTOFF", VmState.PAUSED.value: "PAUSED",
    VmState.SUSPENDED.value: "SUSPENDED", VmState.ERROR.value: "ERROR",
    VmState.DELETED.value: "DELETED",
}


def server_status(vm_state: str, task_state: str | None) -> str:
    """Nova's mapping of (vm_state, task_state) to the API's status."""
    if task_state == TaskState.REBUILDING.value and vm_state in (VmState.ACTIVE.value,
                                                                  VmState.STOPPED.value,
                                                                  VmState.ERROR.value):
        return "REBUILD"
    if vm_state == VmState.ACTIVE.value and task_state in _ACTIVE_TASKS:
        return _ACTIVE_TASKS[task_state]
    return _VM_STATUS.get(vm_state, "UNKNOWN")


# Which actions each vm_state allows (no action is allowed while a task is in progress,
# except delete). Nova answers 409 "Cannot '<action>' instance while it is in vm_state X".
ALLOWED_ACTIONS: dict[str, set[str]] = {
    VmState.ACTIVE: {"stop", "reboot", "pause", "suspend", "rebuild", "createImage",
                     "getConsoleOutput"},
    VmState.STOPPED: {"start", "rebuild", "createImage", "getConsoleOutput", "reboot"},
    # As Nova: a paused or suspended server may be snapshotted (its disk does not change).
    VmState.PAUSED: {"unpause", "getConsoleOutput", "createImage"},
    VmState.SUSPENDED: {"resume", "createImage"},
    VmState.ERROR: {"rebuild"},
    VmState.BUILDING: set(),
}


@dataclass
class Flavor:
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    ephemeral_gb: int = 0
    swap_mb: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    disabled: bool = False
    description: str | None = None
    extra_specs: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass
class FlavorAccess:
    flavor_id: str
    project_id: str


# Key pair types (microversion 2.2): OpenSSH public keys, or x509 certificates (PEM).
KEYPAIR_TYPES = ("ssh", "x509")
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)


@dataclass
class Keypair:
    user_id: str
    name: str
    public_key: str
    fingerprint: str
    created_at: datetime
    type: str = "ssh"
    id: int | None = None
    # Set only on the key pair a create made (below 2.92), for its one answer: never stored.
    private_key: str | None = None


def ssh_fingerprint(public_key: str) -> str:
    """The MD5 fingerprint Nova reports (aa:bb:...); ValueError if not an SSH public key."""
    parts = public_key.strip().split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
        raise ValueError("not an OpenSSH public key")
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except ValueError as exc:
        raise ValueError("the key data is not base64") from exc
    if not raw.startswith(len(parts[0]).to_bytes(4, "big") + parts[0].encode()):
        raise ValueError("the key data does not match its type")
    digest = hashlib.md5(raw).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def x509_fingerprint(certificate: str) -> str:
    """The SHA-1 fingerprint Nova reports for an x509 key pair (aa:bb:..., over the DER
    bytes of the PEM certificate); ValueError if it is not a PEM certificate."""
    m = _PEM.search(certificate)
    if m is None:
        raise ValueError("not a PEM certificate")
    try:
        der = base64.b64decode("".join(m.group(1).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the certificate is not base64") from exc
    if not der.startswith(b"\x30"):     # an ASN.1 SEQUENCE, as every certificate is
        raise ValueError("the certificate is not DER inside")
    digest = hashlib.sha1(der).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 40, 2))


# Server tags (microversion 2.26): Nova's limits.
MAX_TAGS = 50
MAX_TAG_LENGTH = 60


def tag_problem(tag: object) -> str | None:
    """Why `tag` is not a valid server tag, or None: a non-empty string of at most 60
    characters without '/' or ','."""
    if not isinstance(tag, str):
        return f"{tag!r} is not of type 'string'"
    if not tag:
        return "'' is too short"
    if len(tag) > MAX_TAG_LENGTH:
        return f"{tag!r} is too long"
    if "/" in tag or "," in tag:
        return f"{tag!r} does not match '^[^,/]*$'"
    return None


# Who holds a server's lock (microversion 2.9): its project, or a cloud administrator.
LOCKED_BY_OWNER = "owner"
LOCKED_BY_ADMIN = "admin"
# vm_states in which a server's tags can change (Nova's server_tags controller).
TAGGABLE_STATES = frozenset({"active", "paused", "suspended", "stopped"})


def new_reservation_id() -> str:
    """Nova's reservation id: one per create request, shared by the servers it makes."""
    return "r-" + secrets.token_hex(4)


def server_hostname(name: str) -> str:
    """The guest's host name, from the server's name at create (as the config drive says)."""
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower()).strip("-")
    return (cleaned or "server")[:63]


# Nova 2.53 names services and hypervisors by UUID. nuage derives them from what names
# them already (the binary and host; the hypervisor's host name), so they are stable
# across restarts and the same on every control-plane process, with nothing stored.
_HOST_UUID_NAMESPACE = uuid.UUID("5b0c1f6e-2f7d-4c51-9a0e-6c1d3f0a8e21")


def service_uuid(binary: str, host: str) -> str:
    return str(uuid.uuid5(_HOST_UUID_NAMESPACE, f"service/{binary}/{host}"))


def hypervisor_uuid(hostname: str) -> str:
    return str(uuid.uuid5(_HOST_UUID_NAMESPACE, f"hypervisor/{hostname}"))


def aggregate_uuid(aggregate_id: int, created_at: datetime | None) -> str:
    """2.41's aggregate UUID, from its id and creation time (SQLite may give a deleted
    aggregate's id to the next one; the time tells them apart)."""
    made = created_at.isoformat() if created_at else ""
    return str(uuid.uuid5(_HOST_UUID_NAMESPACE, f"aggregate/{aggregate_id}/{made}"))


_HOST_LABEL = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")


def check_hostname(value: str, fqdn: bool) -> str:
    """A hostname given at create, update or rebuild: one DNS label (2.90), or from 2.94 a
    fully qualified name of labels (at most 255 characters), as Nova's schema allows."""
    labels = value.split(".") if fqdn else [value]
    if not value or len(value) > (255 if fqdn else 63) or not all(
            _HOST_LABEL.match(label) for label in labels):
        raise ValidationError(ComputeFault.SERVER_HOSTNAME_INVALID, hostname=value)
    return value


@dataclass
class Server:
    id: str
    name: str
    project_id: str
    user_id: str
    image_id: str
    flavor_id: str
    # The flavor as it was at boot: later changes to the flavor do not change the server.
    flavor: dict[str, Any]
    vm_state: str
    created_at: datetime
    updated_at: datetime
    task_state: str | None = None
    power_state: int = 0
    key_name: str | None = None
    key_data: str | None = None
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    availability_zone: str | None = None
    host: str | None = None
    launched_at: datetime | None = None
    terminated_at: datetime | None = None
    fault: dict[str, Any] | None = None
    access_ipv4: str = ""
    access_ipv6: str = ""
    # Sequence number giving libvirt-style names (instance-0000002a).
    number: int = 0
    # Arguments of the task in progress, for the agent (e.g. the snapshot's image id).
    task_args: dict[str, Any] | None = None
    deleted: bool = False
    # Microversion 2.19; servers created below 2.19 get their name, as in Nova.
    description: str | None = None
    # None, LOCKED_BY_OWNER or LOCKED_BY_ADMIN (2.9's "locked").
    locked_by: str | None = None
    # Microversion 2.73: why it was locked (null when no reason was given).
    locked_reason: str | None = None
    # Microversion 2.3's extended attributes.
    reservation_id: str | None = None
    launch_index: int = 0
    hostname: str = ""
    kernel_id: str | None = None
    ramdisk_id: str | None = None

    @property
    def status(self) -> str:
        return server_status(self.vm_state, self.task_state)

    @property
    def instance_name(self) -> str:
        return f"instance-{self.number:08x}"

    @property
    def locked(self) -> bool:
        return self.locked_by is not None

    @property
    def root_device_name(self) -> str | None:
        # The root disk is the guest's first virtio disk once the guest has been made.
        return "/dev/vda" if self.launched_at is not None else None


def new_server_id() -> str:
    return str(uuid.uuid4())


@dataclass
class InstanceAction:
    request_id: str
    server_id: str
    action: str
    project_id: str
    user_id: str
    start_time: datetime
    finish_time: datetime | None = None
    message: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    id: int | None = None


@dataclass
class ComputeHost:
    hostname: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    accelerator: str
    hypervisor_type: str = "QEMU"
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    availability_zone: str = "nova"
    enabled: bool = True
    last_seen: datetime | None = None
    id: int | None = None
    # os-services force-down (2.11): the operator says the host is down, whatever its
    # heartbeat says, until they say otherwise.
    forced_down: bool = False
    # Why the operator disabled the host's nova-compute (os-services), while disabled.
    disabled_reason: str | None = None


def host_status(host: ComputeHost | None, up: bool) -> str:
    """Nova's host_status of a server (2.16): "" without a host, UP, DOWN (no heartbeat,
    or forced down), MAINTENANCE (its nova-compute is disabled)."""
    if host is None:
        return ""
    if host.forced_down:
        return "DOWN"
    if not host.enabled:
        return "MAINTENANCE"
    return "UP" if up else "DOWN"


@dataclass
class Allocation:
    """Resources a server holds on a host; claimed atomically by the scheduler."""

    server_id: str
    hostname: str
    vcpus: int
    memory_mb: int
    disk_gb: int


@dataclass
class ComputeQuota:
    project_id: str
    instances: int = 10
    cores: int = 20
    ram: int = 51200
    key_pairs: int = 100
    metadata_items: int = 128


@dataclass
class QuotaClass:
    """A named set of quota limits (os-quota-class-sets). Only `default` is read: projects
    without their own compute_quotas row follow it. `limits` holds the keys an
    administrator set; the others keep nuage's built-in defaults."""

    name: str
    limits: dict[str, int] = field(default_factory=dict)


# Nova's default_availability_zone: the zone of a host in no aggregate with a zone.
DEFAULT_ZONE = "nova"
AZ_KEY = "availability_zone"


@dataclass
class Aggregate:
    """A host aggregate: a named group of compute hosts with metadata. The metadata key
    `availability_zone` makes the aggregate's hosts that zone (Nova's way of defining
    zones). Hosts are kept by name, sorted."""

    name: str
    created_at: datetime
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    metadata: dict[str, str] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    updated_at: datetime | None = None
    id: int | None = None

    @property
    def availability_zone(self) -> str | None:
        return self.metadata.get(AZ_KEY)
