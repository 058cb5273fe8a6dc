"""subnet pools: the pools, the pool each subnet came from (one subnet per prefix of a
pool), and the subnetpool quota

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuage.drivers.sql.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subnetpools",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("prefixes", sa.JSON(), nullable=False),
        sa.Column("default_prefixlen", sa.Integer(), nullable=False),
        sa.Column("min_prefixlen", sa.Integer(), nullable=False),
        sa.Column("max_prefixlen", sa.Integer(), nullable=False),
        sa.Column("default_quota", sa.Integer(), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subnetpools")),
    )
    op.create_index(op.f("ix_subnetpools_project_id"), "subnetpools", ["project_id"],
                    unique=False)
    # Existing subnets come from no pool; existing quota rows get Neutron's default (-1).
    with op.batch_alter_table("subnets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subnetpool_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_subnets_subnetpool_id"), ["subnetpool_id"],
                              unique=False)
        batch_op.create_unique_constraint("uq_subnets_subnetpool_id_cidr",
                                          ["subnetpool_id", "cidr"])
    with op.batch_alter_table("network_quotas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subnetpool", sa.Integer(), nullable=False,
                                      server_default="-1"))


def downgrade() -> None:
    with op.batch_alter_table("network_quotas", schema=None) as batch_op:
        batch_op.drop_column("subnetpool")
    with op.batch_alter_table("subnets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_subnets_subnetpool_id_cidr", type_="unique")
        batch_op.drop_index(batch_op.f("ix_subnets_subnetpool_id"))
        batch_op.drop_column("subnetpool_id")
    op.drop_index(op.f("ix_subnetpools_project_id"), table_name="subnetpools")
    op.drop_table("subnetpools")
