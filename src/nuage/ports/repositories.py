"""Repositories and the unit of work: how services read and change state atomically."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from nuage.domain.audit import AuditChainHead, AuditEvent
from nuage.domain.compute import (
    Aggregate,
    Allocation,
    ComputeHost,
    ComputeQuota,
    Flavor,
    FlavorAccess,
    InstanceAction,
    Keypair,
    QuotaClass,
    Server,
)
from nuage.domain.identity import (
    ApplicationCredential,
    Assignment,
    Credential,
    Domain,
    Endpoint,
    Group,
    GroupMembership,
    ImpliedRole,
    Project,
    Region,
    RevocationEvent,
    Role,
    Service,
    User,
)
from nuage.domain.image import Image, ImageMember
from nuage.domain.network import (
    IpAllocation,
    Network,
    NetworkQuota,
    Port,
    Segment,
    Subnet,
)
from nuage.domain.network_l3 import AutoAllocatedTopology, FloatingIp, Router
from nuage.domain.network_pools import SubnetPool
from nuage.domain.network_rbac import RbacPolicy
from nuage.domain.network_security import (
    DefaultSecurityGroup,
    PortSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)
from nuage.domain.storage import (
    Bucket,
    GarbageBlob,
    MultipartUpload,
    ObjectVersion,
    Part,
    StorageQuota,
)
from nuage.domain.volume import (
    Backup,
    Snapshot,
    Volume,
    VolumeAttachment,
    VolumeQuota,
    VolumeType,
)
from nuage.ports.compute import ComputeIndex
from nuage.ports.network import NetworkIndex
from nuage.ports.storage import MeteringLog, ObjectIndex
from nuage.ports.volume import VolumeIndex

T = TypeVar("T")


class Repository(Protocol[T]):
    """Entities of one kind. Filters are equalities; a list/tuple/set value means "any of".

    Entities returned are live within the unit of work: changing an attribute and
    committing stores the change. Assign new lists and dicts rather than mutating them.
    """

    def get(self, ident: Any) -> T | None: ...

    def get_for_update(self, ident: Any) -> T | None:
        """`get`, locking the entity's row until the unit of work ends (blocking while
        another one holds it), and reading its latest committed state: for
        read-modify-write in a write unit of work, so that concurrent changes queue
        instead of losing one (PostgreSQL's read committed). Where the write unit of work
        already holds the database's only write lock (SQLite), the same as `get`."""
        ...

    def add(self, entity: T) -> None: ...

    def delete(self, entity: T) -> None: ...

    def find(self, **equals: Any) -> list[T]: ...

    def first(self, **equals: Any) -> T | None: ...

    def delete_where(self, **equals: Any) -> int: ...


class RevocationLog(Protocol):
    def add(self, event: RevocationEvent) -> None: ...

    def issued_after(self, issued_at: datetime) -> list[RevocationEvent]:
        """Events that could revoke a token issued at `issued_at`."""
        ...

    def latest_change(self) -> int:
        """A number that grows whenever an event is added (lets callers cache)."""
        ...

    def prune(self, before: datetime) -> int:
        """Forget events that can only match tokens already expired."""
        ...


@dataclass(frozen=True)
class AuditQuery:
    project_id: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_seq: int | None = None
    limit: int = 100


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None:
        """Seal the event onto the chain and store it in the current transaction.

        Serialises writers on the chain head, so concurrent transactions chain in order.
        """
        ...

    def query(self, q: AuditQuery) -> list[AuditEvent]: ...

    def walk(self) -> Iterator[AuditEvent]:
        """Every event in sequence order, streamed."""
        ...

    def head(self) -> AuditChainHead | None: ...


class Transaction(Protocol):
    """What a unit of work does besides holding repositories. An implementation names it
    as its base, so that mypy checks it implements every method (its repositories come
    from the UnitOfWork declaration below, not written out again)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Rolls back whatever was not committed."""
        ...


class UnitOfWork(Transaction, Protocol):
    """The one declaration of the repositories: what services see in a unit of work. The
    SQL unit of work derives its repositories from these annotations (drivers/sql/uow.py);
    a new repository is one line here (and its entity's table in drivers/sql/mapping.py)."""

    domains: Repository[Domain]
    projects: Repository[Project]
    users: Repository[User]
    groups: Repository[Group]
    memberships: Repository[GroupMembership]
    roles: Repository[Role]
    implied_roles: Repository[ImpliedRole]
    assignments: Repository[Assignment]
    regions: Repository[Region]
    services: Repository[Service]
    endpoints: Repository[Endpoint]
    app_creds: Repository[ApplicationCredential]
    credentials: Repository[Credential]
    revocations: RevocationLog
    audit: AuditLog
    buckets: Repository[Bucket]
    objects: ObjectIndex
    object_versions: Repository[ObjectVersion]
    uploads: Repository[MultipartUpload]
    parts: Repository[Part]
    quotas: Repository[StorageQuota]
    garbage: Repository[GarbageBlob]
    metering: MeteringLog
    images: Repository[Image]
    image_members: Repository[ImageMember]
    flavors: Repository[Flavor]
    flavor_access: Repository[FlavorAccess]
    keypairs: Repository[Keypair]
    servers: Repository[Server]
    instance_actions: Repository[InstanceAction]
    compute_hosts: Repository[ComputeHost]
    allocations: Repository[Allocation]
    compute_quotas: Repository[ComputeQuota]
    quota_classes: Repository[QuotaClass]
    aggregates: Repository[Aggregate]
    compute: ComputeIndex
    networks: Repository[Network]
    segments: Repository[Segment]
    subnets: Repository[Subnet]
    ports: Repository[Port]
    ip_allocations: Repository[IpAllocation]
    network_quotas: Repository[NetworkQuota]
    security_groups: Repository[SecurityGroup]
    security_group_rules: Repository[SecurityGroupRule]
    default_security_groups: Repository[DefaultSecurityGroup]
    port_security_groups: Repository[PortSecurityGroup]
    routers: Repository[Router]
    floating_ips: Repository[FloatingIp]
    auto_allocated_topologies: Repository[AutoAllocatedTopology]
    subnetpools: Repository[SubnetPool]
    rbac_policies: Repository[RbacPolicy]
    network: NetworkIndex
    volume_types: Repository[VolumeType]
    volumes: Repository[Volume]
    volume_snapshots: Repository[Snapshot]
    volume_attachments: Repository[VolumeAttachment]
    volume_backups: Repository[Backup]
    volume_quotas: Repository[VolumeQuota]
    volume: VolumeIndex


class UnitOfWorkFactory(Protocol):
    def __call__(self, write: bool = False, snapshot: bool = False) -> UnitOfWork:
        """A new unit of work. `write=True` takes the write lock up front where the
        database needs that (SQLite), so read-then-write transactions never deadlock.

        `snapshot=True` (read-only work) sees one consistent state across all its reads,
        where the database would otherwise give each statement its own (PostgreSQL's
        read committed): e.g. the audit chain head and the events it covers."""
        ...

    def local_revision(self) -> int | None:
        """A number that changes whenever a unit of work commits, when this process is the
        database's only writer (embedded SQLite) and so can know it without I/O; None
        when other processes write too (then callers read the audit chain head)."""
        ...
