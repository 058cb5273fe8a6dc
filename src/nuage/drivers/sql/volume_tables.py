"""Volume schema (migration 0014): Cinder's volume types, volumes, snapshots, attachments
(with Nova's block device mapping fields), backups and per-project volume quotas.

A volume's data key is stored wrapped (`wrapped_key`) on its row, so deleting the row is
the crypto-erase: whatever the host still holds can no longer be read.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table, Text, UniqueConstraint

from nuage.drivers.sql.types import ID, UtcDateTime, metadata

volume_types = Table(
    "volume_types", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", String(255), nullable=False),
    Column("is_public", Boolean, nullable=False),
    Column("extra_specs", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

volumes = Table(
    "volumes", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("user_id", String(ID), nullable=False),
    Column("size", Integer, nullable=False),
    Column("volume_type_id", String(36), nullable=False, index=True),
    Column("host", String(255), nullable=False, index=True),
    Column("wrapped_key", Text, nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("status", String(32), nullable=False),
    Column("attach_status", String(16), nullable=False),
    Column("availability_zone", String(255), nullable=False),
    Column("bootable", Boolean, nullable=False),
    Column("readonly", Boolean, nullable=False),
    Column("multiattach", Boolean, nullable=False),
    Column("source_image_id", String(36), nullable=True),
    Column("source_volume_id", String(36), nullable=True),
    Column("source_snapshot_id", String(36), nullable=True),
    Column("restoring_backup_id", String(36), nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("image_metadata", JSON, nullable=False),
    Column("resize_to", Integer, nullable=True),
    Column("upload_image_id", String(36), nullable=True),
    Column("upload_snapshot_id", String(36), nullable=True),
    Column("error_reason", Text, nullable=True),
    Column("launched_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

volume_snapshots = Table(
    "volume_snapshots", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("user_id", String(ID), nullable=False),
    Column("volume_id", String(36), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("status", String(32), nullable=False),
    Column("progress", String(8), nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("forced", Boolean, nullable=False),
    Column("error_reason", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

volume_attachments = Table(
    "volume_attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("volume_id", String(36), nullable=False, index=True),
    Column("project_id", String(ID), nullable=False),
    Column("server_id", String(36), nullable=True, index=True),
    Column("host", String(255), nullable=True),
    Column("device", String(64), nullable=True),
    Column("tag", String(60), nullable=True),
    Column("delete_on_termination", Boolean, nullable=False),
    Column("boot_index", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    Column("attach_mode", String(4), nullable=False),
    Column("attached_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # One attachment of a volume per server (multiattach is not offered).
    UniqueConstraint("volume_id", "server_id", name="uq_volume_attachments_volume_id_server_id"),
)

volume_backups = Table(
    "volume_backups", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("user_id", String(ID), nullable=False),
    Column("volume_id", String(36), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("wrapped_key", Text, nullable=False),
    Column("container", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("snapshot_id", String(36), nullable=True),
    Column("temp_snapshot_id", String(36), nullable=True),
    Column("parent_id", String(36), nullable=True),
    Column("is_incremental", Boolean, nullable=False),
    Column("object_count", Integer, nullable=False),
    Column("restore_volume_id", String(36), nullable=True),
    Column("availability_zone", String(255), nullable=False),
    Column("fail_reason", Text, nullable=True),
    Column("data_timestamp", UtcDateTime, nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

volume_quotas = Table(
    "volume_quotas", metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("resource", String(255), primary_key=True),
    Column("hard_limit", Integer, nullable=False),
)
