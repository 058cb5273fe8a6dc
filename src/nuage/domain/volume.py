"""Volumes, their types, snapshots, attachments and backups (Cinder v3): the entities,
their statuses (Cinder's own values) and the transitions allowed between them.

Services read and lock the rows; the rules that need no I/O (which status allows which
operation, what a volume's quota keys are) are here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# Cinder's default volume type: created by its first migration, the one a volume gets
# when the request names none and no other default is configured.
DEFAULT_TYPE_NAME = "__DEFAULT__"
DEFAULT_TYPE_DESCRIPTION = "Default Volume Type"


class VolumeStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    RESERVED = "reserved"
    ATTACHING = "attaching"
    IN_USE = "in-use"
    DETACHING = "detaching"
    DELETING = "deleting"
    ERROR = "error"
    ERROR_DELETING = "error_deleting"
    EXTENDING = "extending"
    ERROR_EXTENDING = "error_extending"
    MAINTENANCE = "maintenance"
    # A backup is being restored into it (Cinder's restoring-backup).
    RESTORING = "restoring-backup"
    ERROR_RESTORING = "error_restoring"
    # Cinder's: its content is being uploaded to an image.
    UPLOADING = "uploading"


class AttachStatus(StrEnum):
    ATTACHED = "attached"
    DETACHED = "detached"
    ATTACHING = "attaching"
    DETACHING = "detaching"


class SnapshotStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    DELETING = "deleting"
    ERROR = "error"
    ERROR_DELETING = "error_deleting"


class BackupStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    DELETING = "deleting"
    ERROR = "error"
    RESTORING = "restoring"


# The moves a volume's status may make, from -> to (resets by an administrator excepted).
VOLUME_TRANSITIONS: dict[VolumeStatus, frozenset[VolumeStatus]] = {
    VolumeStatus.CREATING: frozenset({VolumeStatus.AVAILABLE, VolumeStatus.ERROR,
                                      VolumeStatus.DELETING, VolumeStatus.RESERVED}),
    VolumeStatus.AVAILABLE: frozenset({VolumeStatus.RESERVED, VolumeStatus.ATTACHING,
                                       VolumeStatus.DELETING, VolumeStatus.EXTENDING,
                                       VolumeStatus.MAINTENANCE, VolumeStatus.RESTORING,
                                       VolumeStatus.UPLOADING, VolumeStatus.IN_USE}),
    VolumeStatus.RESERVED: frozenset({VolumeStatus.ATTACHING, VolumeStatus.AVAILABLE,
                                      VolumeStatus.IN_USE}),
    VolumeStatus.ATTACHING: frozenset({VolumeStatus.IN_USE, VolumeStatus.AVAILABLE,
                                       VolumeStatus.ERROR}),
    VolumeStatus.IN_USE: frozenset({VolumeStatus.DETACHING, VolumeStatus.EXTENDING,
                                    VolumeStatus.AVAILABLE, VolumeStatus.ATTACHING,
                                    VolumeStatus.IN_USE, VolumeStatus.UPLOADING}),
    VolumeStatus.DETACHING: frozenset({VolumeStatus.AVAILABLE, VolumeStatus.IN_USE}),
    VolumeStatus.DELETING: frozenset({VolumeStatus.ERROR_DELETING}),
    VolumeStatus.ERROR: frozenset({VolumeStatus.DELETING}),
    VolumeStatus.ERROR_DELETING: frozenset({VolumeStatus.DELETING}),
    VolumeStatus.EXTENDING: frozenset({VolumeStatus.AVAILABLE, VolumeStatus.IN_USE,
                                       VolumeStatus.ERROR_EXTENDING}),
    VolumeStatus.ERROR_EXTENDING: frozenset({VolumeStatus.DELETING}),
    VolumeStatus.MAINTENANCE: frozenset({VolumeStatus.AVAILABLE}),
    VolumeStatus.RESTORING: frozenset({VolumeStatus.AVAILABLE, VolumeStatus.ERROR_RESTORING}),
    VolumeStatus.ERROR_RESTORING: frozenset({VolumeStatus.DELETING}),
    VolumeStatus.UPLOADING: frozenset({VolumeStatus.AVAILABLE, VolumeStatus.IN_USE}),
}

# Where a delete may start from (Cinder's volume delete: available, error, error_restoring,
# error_extending, error_managing; and a create that never finished).
DELETABLE = frozenset({VolumeStatus.AVAILABLE, VolumeStatus.ERROR,
                       VolumeStatus.ERROR_RESTORING, VolumeStatus.ERROR_EXTENDING,
                       VolumeStatus.ERROR_DELETING})
# A forced delete (admin) also takes these.
FORCE_DELETABLE = DELETABLE | {VolumeStatus.CREATING, VolumeStatus.DELETING,
                               VolumeStatus.MAINTENANCE, VolumeStatus.RESERVED}

SNAPSHOT_DELETABLE = frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR,
                                SnapshotStatus.ERROR_DELETING})


def may_move(current: str, to: str) -> bool:
    """Is `current` -> `to` a transition the state machine has?"""
    try:
        return VolumeStatus(to) in VOLUME_TRANSITIONS.get(VolumeStatus(current), frozenset())
    except ValueError:
        return False


@dataclass
class VolumeType:
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    is_public: bool = True
    extra_specs: dict[str, str] = field(default_factory=dict)


@dataclass
class Volume:
    id: str
    project_id: str
    user_id: str
    size: int                       # GiB
    volume_type_id: str
    created_at: datetime
    updated_at: datetime
    # The host whose volume agent keeps its data.
    host: str = ""
    # The volume's own data key, wrapped by the project's key (KeyStore); deleted with the
    # row, which makes whatever the host still holds unreadable.
    wrapped_key: str = ""
    name: str = ""
    description: str = ""
    status: str = VolumeStatus.CREATING.value
    attach_status: str = AttachStatus.DETACHED.value
    availability_zone: str = "nova"
    bootable: bool = False
    readonly: bool = False
    multiattach: bool = False
    # Where the content came from (at most one set).
    source_image_id: str | None = None
    source_volume_id: str | None = None
    source_snapshot_id: str | None = None
    # The backup being restored into it (status restoring-backup).
    restoring_backup_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # Glance properties copied from the image it was made from (volume_image_metadata).
    image_metadata: dict[str, str] = field(default_factory=dict)
    # Size the compute agent is to grow an attached volume to (extend while in-use).
    resize_to: int | None = None
    # The queued image its content is being uploaded to (status uploading), and for an
    # attached volume (force) the snapshot the upload reads, taken by the compute agent.
    upload_image_id: str | None = None
    upload_snapshot_id: str | None = None
    # Why the last operation failed (administrators' eyes only).
    error_reason: str | None = None
    launched_at: datetime | None = None


@dataclass
class Snapshot:
    id: str
    project_id: str
    user_id: str
    volume_id: str
    size: int
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    status: str = SnapshotStatus.CREATING.value
    progress: str = "0%"
    metadata: dict[str, str] = field(default_factory=dict)
    # Taken of an attached volume (force): the compute agent takes it through QEMU.
    forced: bool = False
    error_reason: str | None = None


@dataclass
class VolumeAttachment:
    """Cinder's attachment and Nova's block device mapping in one row: who holds the
    volume, as which device, and what happens to it when the server goes."""

    id: str
    volume_id: str
    project_id: str
    created_at: datetime
    updated_at: datetime
    status: str = AttachStatus.ATTACHING.value
    # None for Cinder's legacy os-attach by a caller other than Nova (host_name only).
    server_id: str | None = None
    host: str | None = None
    device: str | None = None
    tag: str | None = None
    delete_on_termination: bool = False
    boot_index: int | None = None
    attach_mode: str = "rw"
    attached_at: datetime | None = None


@dataclass
class Backup:
    id: str
    project_id: str
    user_id: str
    volume_id: str
    size: int
    created_at: datetime
    updated_at: datetime
    # The backup's own key, wrapped by the project's key.
    wrapped_key: str = ""
    container: str = "volumebackups"
    name: str = ""
    description: str = ""
    status: str = BackupStatus.CREATING.value
    snapshot_id: str | None = None
    # A backup of an attached volume reads this snapshot, taken for it by the compute
    # agent and deleted once the backup is done or failed (Cinder's temp_snapshot_id).
    temp_snapshot_id: str | None = None
    parent_id: str | None = None
    is_incremental: bool = False
    object_count: int = 0
    restore_volume_id: str | None = None
    availability_zone: str = "nova"
    fail_reason: str | None = None
    data_timestamp: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class VolumeQuota:
    """One limit of one project: `resource` is Cinder's key (volumes, gigabytes,
    snapshots, backups, backup_gigabytes, per_volume_gigabytes, volumes_<type>, ...)."""

    project_id: str
    resource: str
    hard_limit: int


# Cinder's quota keys that apply to every volume type, and those repeated per type.
QUOTA_RESOURCES = ("volumes", "gigabytes", "snapshots", "backups", "backup_gigabytes",
                   "per_volume_gigabytes", "groups")
PER_TYPE_RESOURCES = ("volumes", "gigabytes", "snapshots")


def type_quota_keys(type_name: str) -> tuple[str, ...]:
    return tuple(f"{key}_{type_name}" for key in PER_TYPE_RESOURCES)


def check_metadata(metadata: Any) -> bool:
    """Cinder's metadata: string keys of 1-255 characters, string values up to 255."""
    if not isinstance(metadata, dict):
        return False
    return all(isinstance(k, str) and 0 < len(k) <= 255 and isinstance(v, str)
               and len(v) <= 255 for k, v in metadata.items())
