"""The identity and audit tables. Changes go through a new Alembic migration in
`migrations/versions/`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nuage.drivers.sql.types import ID, UtcDateTime, metadata

domains = Table(
    "domains", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("tags", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
)

projects = Table(
    "projects", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("domain_id", String(ID), ForeignKey("domains.id"), nullable=False),
    Column("parent_id", String(ID), ForeignKey("projects.id"), nullable=True),
    Column("description", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("tags", JSON, nullable=False),
    Column("options", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
    UniqueConstraint("domain_id", "name", name="uq_projects_domain_name"),
)

users = Table(
    "users", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("domain_id", String(ID), ForeignKey("domains.id"), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("default_project_id", String(ID), nullable=True),
    Column("password_hash", String(255), nullable=True),
    Column("password_created_at", UtcDateTime, nullable=True),
    Column("password_expires_at", UtcDateTime, nullable=True),
    Column("failed_auth_count", Integer, nullable=False, default=0),
    Column("last_failed_auth_at", UtcDateTime, nullable=True),
    Column("options", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
    UniqueConstraint("domain_id", "name", name="uq_users_domain_name"),
)

groups = Table(
    "groups", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("domain_id", String(ID), ForeignKey("domains.id"), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("extra", JSON, nullable=False),
    UniqueConstraint("domain_id", "name", name="uq_groups_domain_name"),
)

group_memberships = Table(
    "group_memberships", metadata,
    Column("group_id", String(ID), ForeignKey("groups.id"), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Index("ix_group_memberships_user", "user_id"),
)

roles = Table(
    "roles", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("domain_id", String(ID), nullable=True),
    Column("description", Text, nullable=False, default=""),
    Column("options", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
)

implied_roles = Table(
    "implied_roles", metadata,
    Column("prior_role_id", String(ID), ForeignKey("roles.id"), primary_key=True),
    Column("implied_role_id", String(ID), ForeignKey("roles.id"), primary_key=True),
)

assignments = Table(
    "assignments", metadata,
    Column("actor_type", String(16), primary_key=True),
    Column("actor_id", String(ID), primary_key=True),
    Column("target_type", String(16), primary_key=True),
    Column("target_id", String(ID), primary_key=True),
    Column("role_id", String(ID), ForeignKey("roles.id"), primary_key=True),
    Column("inherited", Boolean, primary_key=True, default=False),
    Index("ix_assignments_target", "target_type", "target_id"),
    Index("ix_assignments_actor", "actor_id"),
)

regions = Table(
    "regions", metadata,
    Column("id", String(255), primary_key=True),
    Column("description", Text, nullable=False, default=""),
    Column("parent_region_id", String(255), ForeignKey("regions.id"), nullable=True),
    Column("country", String(2), nullable=True),
    Column("extra", JSON, nullable=False),
)

services = Table(
    "services", metadata,
    Column("id", String(ID), primary_key=True),
    Column("type", String(255), nullable=False),
    Column("name", String(255), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("extra", JSON, nullable=False),
)

endpoints = Table(
    "endpoints", metadata,
    Column("id", String(ID), primary_key=True),
    Column("service_id", String(ID), ForeignKey("services.id"), nullable=False),
    Column("interface", String(8), nullable=False),
    Column("url", Text, nullable=False),
    Column("region_id", String(255), ForeignKey("regions.id"), nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("extra", JSON, nullable=False),
)

application_credentials = Table(
    "application_credentials", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("project_id", String(ID), ForeignKey("projects.id"), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    Column("role_ids", JSON, nullable=False),
    Column("description", Text, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("unrestricted", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=True),
    UniqueConstraint("user_id", "name", name="uq_application_credentials_user_name"),
)

credentials = Table(
    "credentials", metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("project_id", String(ID), nullable=True),
    Column("type", String(255), nullable=False),
    Column("encrypted_blob", Text, nullable=False),
    Column("access_key", String(255), nullable=True, unique=True),
    Column("extra", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
    Index("ix_credentials_user", "user_id"),
)

revocation_events = Table(
    "revocation_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issued_before", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=False),
    Column("user_id", String(ID), nullable=True),
    Column("project_id", String(ID), nullable=True),
    Column("domain_id", String(ID), nullable=True),
    Column("audit_id", String(64), nullable=True),
    Column("audit_chain_id", String(64), nullable=True),
    Column("app_cred_id", String(ID), nullable=True),
    Index("ix_revocation_events_issued_before", "issued_before"),
)

audit_events = Table(
    "audit_events", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=False),
    Column("id", String(64), nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("target_type", String(64), nullable=False),
    Column("target_id", String(255), nullable=True),
    Column("project_id", String(ID), nullable=True),
    Column("actor_user_id", String(ID), nullable=True),
    Column("actor_project_id", String(ID), nullable=True),
    Column("by_provider", Boolean, nullable=False, default=False),
    Column("source_ip", String(64), nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_project_seq", "project_id", "seq"),
    Index("ix_audit_events_at", "at"),
)

# One row: the last sequence number and hash. Writers lock it to chain in order, and it
# shows when events are cut off the end of the trail.
audit_chain = Table(
    "audit_chain", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("hash", String(64), nullable=False),
)
