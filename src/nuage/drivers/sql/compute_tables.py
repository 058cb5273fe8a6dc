"""Compute schema: flavors, keypairs, servers, instance actions, hosts, allocations, quotas,
quota classes, host aggregates."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nuage.drivers.sql.types import ID, UtcDateTime, metadata

flavors = Table(
    "flavors", metadata,
    Column("id", String(255), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("vcpus", Integer, nullable=False),
    Column("ram_mb", Integer, nullable=False),
    Column("disk_gb", Integer, nullable=False),
    Column("ephemeral_gb", Integer, nullable=False, default=0),
    Column("swap_mb", Integer, nullable=False, default=0),
    Column("rxtx_factor", Float, nullable=False, default=1.0),
    Column("is_public", Boolean, nullable=False, default=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=True),
    Column("extra_specs", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
)

flavor_access = Table(
    "flavor_access", metadata,
    Column("flavor_id", String(255), primary_key=True),
    Column("project_id", String(ID), primary_key=True),
)

keypairs = Table(
    "keypairs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(ID), nullable=False),
    Column("name", String(255), nullable=False),
    Column("public_key", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("type", String(16), nullable=False, default="ssh"),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("user_id", "name", name="uq_keypairs_user_name"),
)

servers = Table(
    "servers", metadata,
    Column("id", String(36), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("project_id", String(ID), nullable=False),
    Column("user_id", String(ID), nullable=False),
    Column("image_id", String(36), nullable=False),
    Column("flavor_id", String(255), nullable=False),
    Column("flavor", JSON, nullable=False),
    Column("vm_state", String(16), nullable=False),
    Column("task_state", String(32), nullable=True),
    Column("power_state", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("key_name", String(255), nullable=True),
    Column("key_data", Text, nullable=True),
    Column("user_data", Text, nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("availability_zone", String(255), nullable=True),
    Column("host", String(255), nullable=True),
    Column("launched_at", UtcDateTime, nullable=True),
    Column("terminated_at", UtcDateTime, nullable=True),
    Column("fault", JSON, nullable=True),
    Column("access_ipv4", String(64), nullable=False, default=""),
    Column("access_ipv6", String(64), nullable=False, default=""),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("task_args", JSON, nullable=True),
    # 0005: microversions 2.3 (extended attributes), 2.9 (lock), 2.19 (description).
    Column("description", Text, nullable=True),
    Column("locked_by", String(16), nullable=True),
    Column("reservation_id", String(32), nullable=True),
    Column("launch_index", Integer, nullable=False, default=0),
    Column("hostname", String(255), nullable=False, default=""),
    Column("kernel_id", String(36), nullable=True),
    Column("ramdisk_id", String(36), nullable=True),
    # 0007: microversion 2.73's lock reason.
    Column("locked_reason", String(255), nullable=True),
    Index("ix_servers_project", "project_id", "deleted"),
    Index("ix_servers_host", "host", "deleted"),
)

instance_actions = Table(
    "instance_actions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("server_id", String(36), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("project_id", String(ID), nullable=False),
    Column("user_id", String(ID), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("finish_time", UtcDateTime, nullable=True),
    Column("message", Text, nullable=True),
    Column("events", JSON, nullable=False),
)

compute_hosts = Table(
    "compute_hosts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hostname", String(255), nullable=False, unique=True),
    Column("vcpus", Integer, nullable=False),
    Column("memory_mb", Integer, nullable=False),
    Column("disk_gb", Integer, nullable=False),
    Column("accelerator", String(16), nullable=False),
    Column("hypervisor_type", String(32), nullable=False, default="QEMU"),
    Column("cpu_allocation_ratio", Float, nullable=False, default=4.0),
    Column("ram_allocation_ratio", Float, nullable=False, default=1.0),
    Column("disk_allocation_ratio", Float, nullable=False, default=1.0),
    Column("availability_zone", String(255), nullable=False, default="nova"),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("last_seen", UtcDateTime, nullable=True),
    # 0005: os-services force-down (2.11).
    Column("forced_down", Boolean, nullable=False, default=False),
    # 0007: os-services disabled_reason.
    Column("disabled_reason", String(255), nullable=True),
)

allocations = Table(
    "allocations", metadata,
    Column("server_id", String(36), primary_key=True),
    Column("hostname", String(255), nullable=False, index=True),
    Column("vcpus", Integer, nullable=False),
    Column("memory_mb", Integer, nullable=False),
    Column("disk_gb", Integer, nullable=False),
)

compute_quotas = Table(
    "compute_quotas", metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("instances", Integer, nullable=False),
    Column("cores", Integer, nullable=False),
    Column("ram", Integer, nullable=False),
    Column("key_pairs", Integer, nullable=False),
    Column("metadata_items", Integer, nullable=False),
)

# 0006: os-quota-class-sets; `limits` holds only the keys an administrator has set.
compute_quota_classes = Table(
    "compute_quota_classes", metadata,
    Column("name", String(255), primary_key=True),
    Column("limits", JSON, nullable=False),
)

# 0006: os-aggregates. Hosts are a JSON list of host names (an aggregate has few, and
# every change rewrites it under the row's lock); the zone is metadata["availability_zone"].
aggregates = Table(
    "aggregates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("metadata", JSON, nullable=False),
    Column("hosts", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),
)
