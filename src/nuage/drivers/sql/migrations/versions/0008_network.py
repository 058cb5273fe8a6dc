"""network: Neutron's networks, their segments, subnets, ports, the addresses ports hold
and per-project network quotas

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuage.drivers.sql.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ip_allocations",
        sa.Column("subnet_id", sa.String(length=36), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("port_id", sa.String(length=36), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("subnet_id", "ip_address", name=op.f("pk_ip_allocations")),
    )
    op.create_index(
        "ix_ip_allocations_network", "ip_allocations", ["network_id", "ip_address"], unique=False
    )
    op.create_index(op.f("ix_ip_allocations_port_id"), "ip_allocations", ["port_id"], unique=False)
    op.create_table(
        "network_quotas",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("network", sa.Integer(), nullable=False),
        sa.Column("subnet", sa.Integer(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_network_quotas")),
    )
    op.create_table(
        "network_segments",
        sa.Column("network_type", sa.String(length=16), nullable=False),
        sa.Column("physical_network", sa.String(length=64), nullable=False),
        sa.Column("segmentation_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint(
            "network_type", "physical_network", "segmentation_id", name=op.f("pk_network_segments")
        ),
    )
    op.create_index(
        op.f("ix_network_segments_network_id"), "network_segments", ["network_id"], unique=False
    )
    op.create_table(
        "networks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("mtu", sa.Integer(), nullable=False),
        sa.Column("port_security_enabled", sa.Boolean(), nullable=False),
        sa.Column("network_type", sa.String(length=16), nullable=False),
        sa.Column("physical_network", sa.String(length=64), nullable=True),
        sa.Column("segmentation_id", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
    )
    op.create_index(op.f("ix_networks_project_id"), "networks", ["project_id"], unique=False)
    op.create_table(
        "ports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.Column("mac_address", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fixed_ips", sa.JSON(), nullable=False),
        sa.Column("device_id", sa.String(length=255), nullable=False),
        sa.Column("device_owner", sa.String(length=255), nullable=False),
        sa.Column("port_security_enabled", sa.Boolean(), nullable=False),
        sa.Column("allowed_address_pairs", sa.JSON(), nullable=False),
        sa.Column("binding_host_id", sa.String(length=255), nullable=False),
        sa.Column("binding_vnic_type", sa.String(length=32), nullable=False),
        sa.Column("binding_profile", sa.JSON(), nullable=False),
        sa.Column("binding_vif_type", sa.String(length=64), nullable=False),
        sa.Column("binding_vif_details", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ports")),
        sa.UniqueConstraint("network_id", "mac_address", name="uq_ports_network_id_mac_address"),
    )
    op.create_index(op.f("ix_ports_device_id"), "ports", ["device_id"], unique=False)
    op.create_index(op.f("ix_ports_network_id"), "ports", ["network_id"], unique=False)
    op.create_index(op.f("ix_ports_project_id"), "ports", ["project_id"], unique=False)
    op.create_table(
        "subnets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("gateway_ip", sa.String(length=64), nullable=True),
        sa.Column("allocation_pools", sa.JSON(), nullable=False),
        sa.Column("enable_dhcp", sa.Boolean(), nullable=False),
        sa.Column("dns_nameservers", sa.JSON(), nullable=False),
        sa.Column("host_routes", sa.JSON(), nullable=False),
        sa.Column("ipv6_ra_mode", sa.String(length=32), nullable=True),
        sa.Column("ipv6_address_mode", sa.String(length=32), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subnets")),
    )
    op.create_index(op.f("ix_subnets_network_id"), "subnets", ["network_id"], unique=False)
    op.create_index(op.f("ix_subnets_project_id"), "subnets", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subnets_project_id"), table_name="subnets")
    op.drop_index(op.f("ix_subnets_network_id"), table_name="subnets")
    op.drop_table("subnets")
    op.drop_index(op.f("ix_ports_project_id"), table_name="ports")
    op.drop_index(op.f("ix_ports_network_id"), table_name="ports")
    op.drop_index(op.f("ix_ports_device_id"), table_name="ports")
    op.drop_table("ports")
    op.drop_index(op.f("ix_networks_project_id"), table_name="networks")
    op.drop_table("networks")
    op.drop_index(op.f("ix_network_segments_network_id"), table_name="network_segments")
    op.drop_table("network_segments")
    op.drop_table("network_quotas")
    op.drop_index(op.f("ix_ip_allocations_port_id"), table_name="ip_allocations")
    op.drop_index("ix_ip_allocations_network", table_name="ip_allocations")
    op.drop_table("ip_allocations")
