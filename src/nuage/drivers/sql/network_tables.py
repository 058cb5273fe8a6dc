"""Network schema (migration 0008): Neutron's networks, their segments, subnets, ports, the
addresses ports hold, and per-project network quotas; (0009) routers and floating IPs;
(0010) security groups, their rules, each project's default group and the groups applied
to each port; (0011) the default external network (is_default) and each project's
auto-allocated topology; (0012) subnet pools, and the pool each subnet came from.

Uniqueness the allocators rely on is the database's: one network per segment id (the
segments' key), one port per address of a subnet (the allocations' key), one port per MAC
on a network (a unique constraint), whatever process allocates.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from nuage.drivers.sql.types import ID, UtcDateTime, metadata

networks = Table(
    "networks", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("admin_state_up", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("shared", Boolean, nullable=False),
    Column("external", Boolean, nullable=False),
    # Migration 0011.
    Column("is_default", Boolean, nullable=False),
    Column("mtu", Integer, nullable=False),
    Column("port_security_enabled", Boolean, nullable=False),
    Column("network_type", String(16), nullable=False),
    Column("physical_network", String(64), nullable=True),
    Column("segmentation_id", Integer, nullable=True),
    Column("tags", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

network_segments = Table(
    "network_segments", metadata,
    Column("network_type", String(16), primary_key=True),
    Column("physical_network", String(64), primary_key=True),
    Column("segmentation_id", Integer, primary_key=True),
    Column("network_id", String(36), nullable=False, index=True),
)

subnets = Table(
    "subnets", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("network_id", String(36), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("ip_version", Integer, nullable=False),
    Column("cidr", String(64), nullable=False),
    Column("gateway_ip", String(64), nullable=True),
    Column("allocation_pools", JSON, nullable=False),
    Column("enable_dhcp", Boolean, nullable=False),
    Column("dns_nameservers", JSON, nullable=False),
    Column("host_routes", JSON, nullable=False),
    Column("ipv6_ra_mode", String(32), nullable=True),
    Column("ipv6_address_mode", String(32), nullable=True),
    # Migration 0012: the pool the prefix came from.
    Column("subnetpool_id", String(36), nullable=True, index=True),
    Column("tags", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # One prefix is one subnet's within a pool, whichever process allocates (NULLs, the
    # subnets with no pool, never collide).
    UniqueConstraint("subnetpool_id", "cidr", name="uq_subnets_subnetpool_id_cidr"),
)

ports = Table(
    "ports", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("network_id", String(36), nullable=False, index=True),
    Column("mac_address", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("admin_state_up", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("fixed_ips", JSON, nullable=False),
    Column("device_id", String(255), nullable=False, index=True),
    Column("device_owner", String(255), nullable=False),
    Column("port_security_enabled", Boolean, nullable=False),
    Column("allowed_address_pairs", JSON, nullable=False),
    Column("binding_host_id", String(255), nullable=False),
    Column("binding_vnic_type", String(32), nullable=False),
    Column("binding_profile", JSON, nullable=False),
    Column("binding_vif_type", String(64), nullable=False),
    Column("binding_vif_details", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Migration 0010: the ids of port_security_groups' rows, for reading.
    Column("security_groups", JSON, nullable=False),
    UniqueConstraint("network_id", "mac_address", name="uq_ports_network_id_mac_address"),
)

ip_allocations = Table(
    "ip_allocations", metadata,
    Column("subnet_id", String(36), primary_key=True),
    Column("ip_address", String(64), primary_key=True),
    Column("port_id", String(36), nullable=False, index=True),
    Column("network_id", String(36), nullable=False),
    Index("ix_ip_allocations_network", "network_id", "ip_address"),
)

network_quotas = Table(
    "network_quotas", metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("network", Integer, nullable=False),
    Column("subnet", Integer, nullable=False),
    Column("port", Integer, nullable=False),
    # Migration 0010.
    Column("security_group", Integer, nullable=False),
    Column("security_group_rule", Integer, nullable=False),
    # Migration 0012.
    Column("subnetpool", Integer, nullable=False),
    # Migration 0009.
    Column("router", Integer, nullable=False, server_default="10"),
    Column("floatingip", Integer, nullable=False, server_default="50"),
)

# Migration 0009: routers and floating IPs. A router's interfaces are its ports
# (device_id = the router); its gateway port is named here.
routers = Table(
    "routers", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("admin_state_up", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("gw_network_id", String(36), nullable=True, index=True),
    Column("gw_port_id", String(36), nullable=True),
    Column("enable_snat", Boolean, nullable=False),
    Column("external_fixed_ips", JSON, nullable=False),
    Column("routes", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

floating_ips = Table(
    "floating_ips", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("floating_network_id", String(36), nullable=False, index=True),
    Column("floating_ip_address", String(64), nullable=False),
    Column("floating_port_id", String(36), nullable=False, unique=True),
    Column("description", String(255), nullable=False),
    Column("port_id", String(36), nullable=True, index=True),
    Column("fixed_ip_address", String(64), nullable=True),
    Column("router_id", String(36), nullable=True, index=True),
    Column("status", String(16), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # One floating IP per fixed address of a port on one external network (NULLs, the
    # unassociated, never collide).
    UniqueConstraint("floating_network_id", "port_id", "fixed_ip_address",
                     name="uq_floating_ips_fixed"),
)

# --- migration 0010: security groups ---
security_groups = Table(
    "security_groups", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("stateful", Boolean, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

security_group_rules = Table(
    "security_group_rules", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("security_group_id", String(36), nullable=False, index=True),
    Column("direction", String(16), nullable=False),
    Column("ethertype", String(16), nullable=False),
    Column("protocol", String(40), nullable=True),
    Column("port_range_min", Integer, nullable=True),
    Column("port_range_max", Integer, nullable=True),
    Column("remote_ip_prefix", String(64), nullable=True),
    Column("remote_group_id", String(36), nullable=True, index=True),
    Column("description", String(255), nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One default group per project: the key refuses a second, whoever makes it.
default_security_groups = Table(
    "default_security_groups", metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("security_group_id", String(36), nullable=False, unique=True),
)

port_security_groups = Table(
    "port_security_groups", metadata,
    Column("port_id", String(36), primary_key=True),
    Column("security_group_id", String(36), primary_key=True, index=True),
)

# (0011) One auto-allocated topology per project: the key refuses a second, whoever builds.
auto_allocated_topologies = Table(
    "auto_allocated_topologies", metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("network_id", String(36), nullable=False, unique=True),
    Column("router_id", String(36), nullable=False),
)

# Migration 0012: subnet pools. The prefixes are the compacted list, as text.
subnetpools = Table(
    "subnetpools", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("ip_version", Integer, nullable=False),
    Column("prefixes", JSON, nullable=False),
    Column("default_prefixlen", Integer, nullable=False),
    Column("min_prefixlen", Integer, nullable=False),
    Column("max_prefixlen", Integer, nullable=False),
    Column("default_quota", Integer, nullable=True),
    Column("shared", Boolean, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# --- migration 0013: RBAC policies (who a network is shared with) ---
# The key makes a duplicate grant impossible whoever adds it (Neutron's DuplicateRbacPolicy).
rbac_policies = Table(
    "rbac_policies", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(36), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    # A project id or "*"; Neutron takes up to 255 characters (it checks no project).
    Column("target_tenant", String(255), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("object_type", "object_id", "action", "target_tenant",
                     name="uq_rbac_policies_object_type_object_id_action_target_tenant"),
)
