"""What every identity use case shares: its ports, settings, guards and look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from nuage.domain import policy
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Forbidden, NotFound, ValidationError
from nuage.domain.identity import Domain, Project, Role, User
from nuage.domain.identity_errors import IdentityFault
from nuage.ports.clock import Clock
from nuage.ports.crypto import PasswordHasher, SecretBox, TokenCodec
from nuage.ports.repositories import Repository, UnitOfWork, UnitOfWorkFactory
from nuage.services.audit import Auditor

T = TypeVar("T")


@dataclass(frozen=True)
class IdentityConfig:
    token_expiration: int = 3600
    receipt_expiration: int = 300
    lockout_failure_attempts: int = 5
    lockout_duration: int = 1800
    admin_project_name: str = "admin"
    admin_project_domain_id: str = "default"
    any_project_admin_is_cloud_admin: bool = False
    region_id: str = "RegionOne"


@dataclass(frozen=True)
class IdentityPorts:
    uow: UnitOfWorkFactory
    clock: Clock
    hasher: PasswordHasher
    tokens: TokenCodec
    secrets: SecretBox
    auditor: Auditor
    config: IdentityConfig


class IdentityUseCases:
    """Base of the identity services: guards that audit refusals, name look-ups."""

    def __init__(self, ports: IdentityPorts) -> None:
        self.p = ports

    def guard(self, uow: UnitOfWork, ctx: RequestContext, action: str, target: policy.Target,
              *, target_type: str, target_id: str | None) -> None:
        """Enforce the policy; a refused change is itself recorded (outcome denied)."""
        if policy.may(ctx, action, target):
            return
        self.p.auditor.record(uow, ctx, action, target_type, target_id,
                              project_id=target.project_id, outcome=Outcome.DENIED)
        uow.commit()
        raise Forbidden(CommonFault.POLICY_DENIED, action=action)

    def record(self, uow: UnitOfWork, ctx: RequestContext, action: str, target_type: str,
               target_id: str | None, project_id: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        self.p.auditor.record(uow, ctx, action, target_type, target_id,
                              project_id=project_id, detail=detail)

    @staticmethod
    def domain(uow: UnitOfWork, domain_id: str) -> Domain:
        return existing(uow.domains, "domain", domain_id)

    @staticmethod
    def project(uow: UnitOfWork, project_id: str) -> Project:
        return existing(uow.projects, "project", project_id)

    @staticmethod
    def user(uow: UnitOfWork, user_id: str) -> User:
        return existing(uow.users, "user", user_id)

    @staticmethod
    def role(uow: UnitOfWork, role_id: str) -> Role:
        return existing(uow.roles, "role", role_id)

    @staticmethod
    def domain_by_ref(uow: UnitOfWork, ref: dict[str, Any] | None) -> Domain:
        """A `{"id": ...}` or `{"name": ...}` domain reference from an auth body."""
        if not isinstance(ref, dict):
            raise ValidationError(IdentityFault.DOMAIN_REF_INVALID)
        if isinstance(ref.get("id"), str):
            found = uow.domains.get(ref["id"])
        elif isinstance(ref.get("name"), str):
            found = uow.domains.first(name=ref["name"])
        else:
            raise ValidationError(IdentityFault.DOMAIN_REF_INVALID)
        if found is None:
            raise NotFound("domain", str(ref.get("id") or ref.get("name")))
        return found

    def is_admin_project(self, project: Project) -> bool:
        cfg = self.p.config
        return project.name == cfg.admin_project_name and (
            project.domain_id == cfg.admin_project_domain_id
        )


def existing(repo: Repository[T], kind: str, ident: str) -> T:
    """The entity with this id, or NotFound naming its kind."""
    found = repo.get(ident)
    if found is None:
        raise NotFound(kind, ident)
    return found


def page(items: list[Any], marker: str | None, limit: int | None,
         key: str = "id") -> tuple[list[Any], bool]:
    """Marker/limit paging over a list sorted by `key`; returns (page, more)."""
    items = sorted(items, key=lambda item: str(getattr(item, key)))
    if marker:
        items = [item for item in items if str(getattr(item, key)) > marker]
    if limit is None:
        return items, False
    return items[:limit], len(items) > limit
