"""security groups: groups, their rules, each project's default group, the groups applied
to each port (and their ids on the port), and the two security group quotas

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuage.drivers.sql.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("stateful", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_groups")),
    )
    op.create_index(op.f("ix_security_groups_project_id"), "security_groups", ["project_id"],
                    unique=False)
    op.create_table(
        "security_group_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("security_group_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("ethertype", sa.String(length=16), nullable=False),
        sa.Column("protocol", sa.String(length=40), nullable=True),
        sa.Column("port_range_min", sa.Integer(), nullable=True),
        sa.Column("port_range_max", sa.Integer(), nullable=True),
        sa.Column("remote_ip_prefix", sa.String(length=64), nullable=True),
        sa.Column("remote_group_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group_rules")),
    )
    for column in ("project_id", "security_group_id", "remote_group_id"):
        op.create_index(op.f(f"ix_security_group_rules_{column}"), "security_group_rules",
                        [column], unique=False)
    op.create_table(
        "default_security_groups",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("security_group_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_default_security_groups")),
        sa.UniqueConstraint("security_group_id",
                            name=op.f("uq_default_security_groups_security_group_id")),
    )
    op.create_table(
        "port_security_groups",
        sa.Column("port_id", sa.String(length=36), nullable=False),
        sa.Column("security_group_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("port_id", "security_group_id",
                                name=op.f("pk_port_security_groups")),
    )
    op.create_index(op.f("ix_port_security_groups_security_group_id"), "port_security_groups",
                    ["security_group_id"], unique=False)
    # Existing ports have no groups; existing quota rows get Neutron's defaults.
    with op.batch_alter_table("ports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("security_groups", sa.JSON(), nullable=False,
                                      server_default="[]"))
    with op.batch_alter_table("network_quotas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("security_group", sa.Integer(), nullable=False,
                                      server_default="10"))
        batch_op.add_column(sa.Column("security_group_rule", sa.Integer(), nullable=False,
                                      server_default="100"))


def downgrade() -> None:
    with op.batch_alter_table("network_quotas", schema=None) as batch_op:
        batch_op.drop_column("security_group_rule")
        batch_op.drop_column("security_group")
    with op.batch_alter_table("ports", schema=None) as batch_op:
        batch_op.drop_column("security_groups")
    op.drop_index(op.f("ix_port_security_groups_security_group_id"),
                  table_name="port_security_groups")
    op.drop_table("port_security_groups")
    op.drop_table("default_security_groups")
    for column in ("remote_group_id", "security_group_id", "project_id"):
        op.drop_index(op.f(f"ix_security_group_rules_{column}"),
                      table_name="security_group_rules")
    op.drop_table("security_group_rules")
    op.drop_index(op.f("ix_security_groups_project_id"), table_name="security_groups")
    op.drop_table("security_groups")
