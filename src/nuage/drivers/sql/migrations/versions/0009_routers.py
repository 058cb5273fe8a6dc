"""routers: Neutron's routers and floating IPs, and the router and floatingip quotas

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuage.drivers.sql.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("network_quotas") as batch_op:
        batch_op.add_column(sa.Column("router", sa.Integer(), nullable=False,
                                      server_default="10"))
        batch_op.add_column(sa.Column("floatingip", sa.Integer(), nullable=False,
                                      server_default="50"))
    op.create_table(
        "routers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gw_network_id", sa.String(length=36), nullable=True),
        sa.Column("gw_port_id", sa.String(length=36), nullable=True),
        sa.Column("enable_snat", sa.Boolean(), nullable=False),
        sa.Column("external_fixed_ips", sa.JSON(), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routers")),
    )
    op.create_index(op.f("ix_routers_gw_network_id"), "routers", ["gw_network_id"],
                    unique=False)
    op.create_index(op.f("ix_routers_project_id"), "routers", ["project_id"], unique=False)
    op.create_table(
        "floating_ips",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("floating_network_id", sa.String(length=36), nullable=False),
        sa.Column("floating_ip_address", sa.String(length=64), nullable=False),
        sa.Column("floating_port_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("port_id", sa.String(length=36), nullable=True),
        sa.Column("fixed_ip_address", sa.String(length=64), nullable=True),
        sa.Column("router_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floating_ips")),
        sa.UniqueConstraint("floating_port_id", name=op.f("uq_floating_ips_floating_port_id")),
        sa.UniqueConstraint("floating_network_id", "port_id", "fixed_ip_address",
                            name="uq_floating_ips_fixed"),
    )
    op.create_index(op.f("ix_floating_ips_floating_network_id"), "floating_ips",
                    ["floating_network_id"], unique=False)
    op.create_index(op.f("ix_floating_ips_port_id"), "floating_ips", ["port_id"], unique=False)
    op.create_index(op.f("ix_floating_ips_project_id"), "floating_ips", ["project_id"],
                    unique=False)
    op.create_index(op.f("ix_floating_ips_router_id"), "floating_ips", ["router_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_floating_ips_router_id"), table_name="floating_ips")
    op.drop_index(op.f("ix_floating_ips_project_id"), table_name="floating_ips")
    op.drop_index(op.f("ix_floating_ips_port_id"), table_name="floating_ips")
    op.drop_index(op.f("ix_floating_ips_floating_network_id"), table_name="floating_ips")
    op.drop_table("floating_ips")
    op.drop_index(op.f("ix_routers_project_id"), table_name="routers")
    op.drop_index(op.f("ix_routers_gw_network_id"), table_name="routers")
    op.drop_table("routers")
    with op.batch_alter_table("network_quotas") as batch_op:
        batch_op.drop_column("floatingip")
        batch_op.drop_column("router")
