"""volumes: Cinder's volume types (with __DEFAULT__ seeded, as Cinder's own migration
does), volumes, snapshots, attachments (Cinder's attachment and Nova's block device
mapping in one row), backups and per-project volume quotas

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:10:00
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import nuage.drivers.sql.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("volume_quotas", "volume_backups", "volume_attachments", "volume_snapshots",
          "volumes", "volume_types")
INDEXES = {"volumes": ("project_id", "volume_type_id", "host"),
           "volume_snapshots": ("project_id", "volume_id"),
           "volume_attachments": ("volume_id", "server_id"),
           "volume_backups": ("project_id", "volume_id")}


def upgrade() -> None:
    op.create_table(
        "volume_types",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("extra_specs", sa.JSON(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_types")),
        sa.UniqueConstraint("name", name=op.f("uq_volume_types_name")),
    )
    op.create_table(
        "volumes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("volume_type_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attach_status", sa.String(length=16), nullable=False),
        sa.Column("availability_zone", sa.String(length=255), nullable=False),
        sa.Column("bootable", sa.Boolean(), nullable=False),
        sa.Column("readonly", sa.Boolean(), nullable=False),
        sa.Column("multiattach", sa.Boolean(), nullable=False),
        sa.Column("source_image_id", sa.String(length=36), nullable=True),
        sa.Column("source_volume_id", sa.String(length=36), nullable=True),
        sa.Column("source_snapshot_id", sa.String(length=36), nullable=True),
        sa.Column("restoring_backup_id", sa.String(length=36), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("image_metadata", sa.JSON(), nullable=False),
        sa.Column("resize_to", sa.Integer(), nullable=True),
        sa.Column("upload_image_id", sa.String(length=36), nullable=True),
        sa.Column("upload_snapshot_id", sa.String(length=36), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("launched_at", nuage.drivers.sql.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volumes")),
    )
    op.create_table(
        "volume_snapshots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("volume_id", sa.String(length=36), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.String(length=8), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_snapshots")),
    )
    op.create_table(
        "volume_attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("volume_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("server_id", sa.String(length=36), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("tag", sa.String(length=60), nullable=True),
        sa.Column("delete_on_termination", sa.Boolean(), nullable=False),
        sa.Column("boot_index", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attach_mode", sa.String(length=4), nullable=False),
        sa.Column("attached_at", nuage.drivers.sql.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_attachments")),
        sa.UniqueConstraint("volume_id", "server_id",
                            name=op.f("uq_volume_attachments_volume_id_server_id")),
    )
    op.create_table(
        "volume_backups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("volume_id", sa.String(length=36), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.Column("container", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snapshot_id", sa.String(length=36), nullable=True),
        sa.Column("temp_snapshot_id", sa.String(length=36), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("is_incremental", sa.Boolean(), nullable=False),
        sa.Column("object_count", sa.Integer(), nullable=False),
        sa.Column("restore_volume_id", sa.String(length=36), nullable=True),
        sa.Column("availability_zone", sa.String(length=255), nullable=False),
        sa.Column("fail_reason", sa.Text(), nullable=True),
        sa.Column("data_timestamp", nuage.drivers.sql.types.UtcDateTime(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_backups")),
    )
    op.create_table(
        "volume_quotas",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "resource", name=op.f("pk_volume_quotas")),
    )
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
    types = sa.table("volume_types", sa.column("id", sa.String()),
                     sa.column("name", sa.String()), sa.column("description", sa.String()),
                     sa.column("is_public", sa.Boolean()), sa.column("extra_specs", sa.JSON()),
                     sa.column("created_at", nuage.drivers.sql.types.UtcDateTime()),
                     sa.column("updated_at", nuage.drivers.sql.types.UtcDateTime()))
    now = datetime.now(UTC)
    op.bulk_insert(types, [{"id": str(uuid.uuid4()), "name": "__DEFAULT__",
                            "description": "Default Volume Type", "is_public": True,
                            "extra_specs": {}, "created_at": now, "updated_at": now}])


def downgrade() -> None:
    for table, columns in INDEXES.items():
        for column in columns:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    for table in TABLES:
        op.drop_table(table)
