"""compute: host aggregates (os-aggregates) and quota classes (os-quota-class-sets)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:55:00

A host's zone stays in compute_hosts.availability_zone: the aggregate service rewrites it,
in the transaction that changes an aggregate, from the zones of the aggregates that hold
the host ("nova" when none has one), so every reader of the zone is unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuage.drivers.sql.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compute_quota_classes",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_compute_quota_classes")),
    )
    op.create_table(
        "aggregates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aggregates")),
        sa.UniqueConstraint("name", name=op.f("uq_aggregates_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_aggregates_uuid")),
    )


def downgrade() -> None:
    op.drop_table("aggregates")
    op.drop_table("compute_quota_classes")
