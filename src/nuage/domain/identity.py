"""Identity entities: domains, projects, users, groups, roles, assignments, catalog.

Plain dataclasses; the SQL driver maps them onto tables without them knowing.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

DEFAULT_DOMAIN_ID = "default"


def new_id() -> str:
    """Keystone-style identifier: 32 lowercase hex characters."""
    return uuid.uuid4().hex


def new_audit_id() -> str:
    """A short random id carried by a token and its rescoped children (22 chars)."""
    return secrets.token_urlsafe(16)[:22]


@dataclass
class Domain:
    id: str
    name: str
    description: str = ""
    enabled: bool = True
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Project:
    id: str
    name: str
    domain_id: str
    parent_id: str | None = None
    description: str = ""
    enabled: bool = True
    tags: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class User:
    id: str
    name: str
    domain_id: str
    enabled: bool = True
    default_project_id: str | None = None
    password_hash: str | None = None
    password_created_at: datetime | None = None
    password_expires_at: datetime | None = None
    failed_auth_count: int = 0
    last_failed_auth_at: datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None

    def locked_out(self, now: datetime, attempts: int, duration: int) -> bool:
        """Too many wrong passwords in a row, and the lock-out period not over yet."""
        if attempts <= 0 or self.options.get("ignore_lockout_failure_attempts"):
            return False
        if self.failed_auth_count < attempts:
            return False
        return now < (self.last_failed_auth_at or now) + timedelta(seconds=duration)

    def mfa_rules(self) -> list[list[str]]:
        """The method sets of which one must be fully satisfied, when MFA is on."""
        if not self.options.get("multi_factor_auth_enabled"):
            return []
        rules = self.options.get("multi_factor_auth_rules") or []
        return [list(rule) for rule in rules if rule]


@dataclass
class Group:
    id: str
    name: str
    domain_id: str
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroupMembership:
    group_id: str
    user_id: str


@dataclass
class Role:
    id: str
    name: str
    domain_id: str | None = None
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImpliedRole:
    prior_role_id: str
    implied_role_id: str


class ActorType(StrEnum):
    USER = "user"
    GROUP = "group"


class TargetType(StrEnum):
    PROJECT = "project"
    DOMAIN = "domain"
    SYSTEM = "system"


SYSTEM_ALL = "all"


@dataclass
class Assignment:
    """One role given to a user or a group on a project, a domain or the system."""

    actor_type: str
    actor_id: str
    target_type: str
    target_id: str
    role_id: str
    inherited: bool = False


@dataclass
class Region:
    id: str
    description: str = ""
    parent_region_id: str | None = None
    # ISO 3166-1 alpha-2 country the region's machines stand in: what residency rules read.
    country: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Service:
    id: str
    type: str
    name: str = ""
    description: str = ""
    enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class Interface(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    ADMIN = "admin"


@dataclass
class Endpoint:
    id: str
    service_id: str
    interface: str
    url: str
    region_id: str | None = None
    enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApplicationCredential:
    id: str
    name: str
    user_id: str
    project_id: str
    secret_hash: str
    role_ids: list[str] = field(default_factory=list)
    description: str | None = None
    expires_at: datetime | None = None
    unrestricted: bool = False
    created_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class CredentialType(StrEnum):
    EC2 = "ec2"
    TOTP = "totp"
    CERT = "cert"


@dataclass
class Credential:
    """A secret a user keeps with identity: EC2 (S3) access keys or a TOTP seed.

    `encrypted_blob` is the blob sealed by the credential keys: credentials are secrets the
    service must read back (to check S3 signatures and TOTP codes), so they cannot be hashed.
    """

    id: str
    user_id: str
    type: str
    encrypted_blob: str
    project_id: str | None = None
    # For EC2 credentials, the access key: looked up on every S3 request.
    access_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass
class RevocationEvent:
    """Tokens matching every non-null field and issued before `issued_before` are revoked."""

    issued_before: datetime
    revoked_at: datetime
    user_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    audit_id: str | None = None
    audit_chain_id: str | None = None
    app_cred_id: str | None = None
    id: int | None = None

    def matches(self, *, user_id: str, project_id: str | None, domain_id: str | None,
                audit_ids: list[str], app_cred_id: str | None, issued_at: datetime,
                user_domain_id: str) -> bool:
        if issued_at > self.issued_before:
            return False
        if self.user_id is not None and self.user_id != user_id:
            return False
        if self.project_id is not None and self.project_id != project_id:
            return False
        if self.domain_id is not None and self.domain_id not in (domain_id, user_domain_id):
            return False
        if self.audit_id is not None and (not audit_ids or self.audit_id != audit_ids[0]):
            return False
        if self.audit_chain_id is not None and self.audit_chain_id not in audit_ids:
            return False
        return not (self.app_cred_id is not None and self.app_cred_id != app_cred_id)
