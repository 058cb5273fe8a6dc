"""What a token says. Tokens are not stored: the payload is sealed into the token itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Scope:
    """Exactly one of project, domain or system; all None for an unscoped token."""

    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False

    @property
    def unscoped(self) -> bool:
        return self.project_id is None and self.domain_id is None and not self.system


UNSCOPED = Scope()


@dataclass(frozen=True)
class TokenPayload:
    user_id: str
    methods: tuple[str, ...]
    scope: Scope
    issued_at: datetime
    expires_at: datetime
    # audit_ids[0] names this token; audit_ids[1], when present, the token it was rescoped from.
    audit_ids: tuple[str, ...]
    app_cred_id: str | None = None


@dataclass(frozen=True)
class ReceiptPayload:
    """A partial multi-factor authentication: the methods already passed."""

    user_id: str
    methods: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True)
class RoleRef:
    id: str
    name: str
    domain_id: str | None = None


@dataclass(frozen=True)
class NamedRef:
    id: str
    name: str
    domain_id: str | None = None
    domain_name: str | None = None


@dataclass(frozen=True)
class ValidatedToken:
    """A token checked against current state: what the wire adapters render."""

    payload: TokenPayload
    user: NamedRef
    password_expires_at: datetime | None
    roles: tuple[RoleRef, ...]
    project: NamedRef | None = None
    domain: NamedRef | None = None
    app_cred_name: str | None = None
    app_cred_unrestricted: bool = False
    app_cred_expires_at: datetime | None = None
    is_admin_project: bool = False
    catalog: list[CatalogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogEndpoint:
    id: str
    interface: str
    region_id: str | None
    url: str


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    type: str
    name: str
    endpoints: tuple[CatalogEndpoint, ...]
