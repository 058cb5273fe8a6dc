"""Volume faults the services raise; Cinder's error table words them."""

from __future__ import annotations

from nuage.domain.errors import FaultCode, NuageError


class VolumeFault(FaultCode):
    """What went wrong in volume, snapshot, type, backup and quota use cases."""

    # --- volumes ---
    # The operation needs another status. Fields: volume_id, status, action.
    VOLUME_INVALID_STATUS = "volume.invalid_status"
    # Delete refused: attached, or with snapshots (cascade not asked). Fields: volume_id.
    VOLUME_IN_USE = "volume.in_use"
    VOLUME_HAS_SNAPSHOTS = "volume.has_snapshots"
    # A size that is not a positive whole number of GiB. Fields: size.
    SIZE_INVALID = "volume.size_invalid"
    # Smaller than the source (snapshot, volume, image's min_disk). Fields: size, minimum.
    SIZE_TOO_SMALL = "volume.size_too_small"
    # Extend to the same or a smaller size. Fields: size, current.
    EXTEND_NOT_LARGER = "volume.extend_not_larger"
    # Extend of an attached volume below microversion 3.42. Fields: volume_id.
    EXTEND_ATTACHED_UNSUPPORTED = "volume.extend_attached_unsupported"
    # More than one source named. Fields: none.
    SOURCES_CONFLICT = "volume.sources_conflict"
    # The source snapshot or volume is not available. Fields: source_id, status.
    SOURCE_NOT_AVAILABLE = "volume.source_not_available"
    # The image is not active. Fields: image_id.
    IMAGE_NOT_ACTIVE = "volume.image_not_active"
    # Metadata keys or values out of Cinder's limits. Fields: none.
    METADATA_INVALID = "volume.metadata_invalid"
    # A status an administrator may not set. Fields: status.
    STATUS_UNKNOWN = "volume.status_unknown"
    # Attach to a server the volume is attached to already. Fields: volume_id, server_id.
    ALREADY_ATTACHED = "volume.already_attached"
    # Detach of a server's boot volume (Nova refuses). Fields: volume_id.
    DETACH_ROOT = "volume.detach_root"
    # No image service configured for os-volume_upload_image. Fields: none.
    UPLOAD_UNAVAILABLE = "volume.upload_unavailable"
    # An upload's disk_format, container_format or visibility nuage does not make.
    # Fields: field, value.
    UPLOAD_FORMAT_INVALID = "volume.upload_format_invalid"
    # --- snapshots ---
    # The volume is attached and `force` was not given. Fields: volume_id, status.
    SNAPSHOT_NEEDS_FORCE = "snapshot.needs_force"
    # Fields: snapshot_id, status.
    SNAPSHOT_INVALID_STATUS = "snapshot.invalid_status"
    # --- types ---
    # Fields: name.
    TYPE_EXISTS = "volume_type.exists"
    # Volumes still use it. Fields: type_id.
    TYPE_IN_USE = "volume_type.in_use"
    # The default type stays. Fields: type_id.
    TYPE_DEFAULT_DELETE = "volume_type.default_delete"
    # Fields: name.
    TYPE_NAME_INVALID = "volume_type.name_invalid"
    # --- backups ---
    # Incremental without a full backup to build on. Fields: volume_id.
    BACKUP_NO_PARENT = "backup.no_parent"
    # Fields: backup_id, status.
    BACKUP_INVALID_STATUS = "backup.invalid_status"
    # Restore target too small. Fields: size, backup_size.
    RESTORE_TOO_SMALL = "backup.restore_too_small"
    # Backups depend on this one (delete refused). Fields: backup_id.
    BACKUP_HAS_DEPENDENTS = "backup.has_dependents"
    # --- quotas ---
    # Over a limit. Fields: resource, limit, used, asked.
    OVER_QUOTA = "volume.over_quota"
    # A volume larger than per_volume_gigabytes. Fields: size, limit.
    OVER_PER_VOLUME_LIMIT = "volume.over_per_volume_limit"
    # Fields: resource.
    QUOTA_UNKNOWN = "volume.quota_unknown"
    # Fields: resource, value.
    QUOTA_INVALID = "volume.quota_invalid"


class OverLimit(NuageError):
    """A quota refused the request: Cinder's 413 (OverQuota and its children)."""
