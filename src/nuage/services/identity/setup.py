"""First start: the default domain, the admin project and user, roles, region, catalog.

Idempotent: every start runs it; it creates what is missing and moves the catalog's
endpoints to the URLs this start serves, so changing the port keeps the catalog true.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from nuage.domain.context import RequestContext
from nuage.domain.identity import (
    DEFAULT_DOMAIN_ID,
    SYSTEM_ALL,
    ActorType,
    Assignment,
    Domain,
    Endpoint,
    ImpliedRole,
    Interface,
    Project,
    Region,
    Role,
    Service,
    TargetType,
    User,
    new_id,
)
from nuage.ports.repositories import UnitOfWork
from nuage.services.identity.base import IdentityUseCases

ROLE_NAMES = ("admin", "member", "reader", "service")
IMPLIED = (("admin", "member"), ("member", "reader"))


@dataclass(frozen=True)
class ServiceSpec:
    type: str
    name: str
    url: str


@dataclass(frozen=True)
class SeedResult:
    admin_user_id: str
    admin_project_id: str
    # Set only on the start that created the admin user: shown once, never again.
    admin_password: str | None


class SetupService(IdentityUseCases):
    def seed(self, region_id: str, country: str, services: list[ServiceSpec],
             admin_user: str = "admin") -> SeedResult:
        ctx = RequestContext(request_id="setup")
        with self.p.uow(write=True) as uow:
            domain = uow.domains.get(DEFAULT_DOMAIN_ID)
            if domain is None:
                domain = Domain(id=DEFAULT_DOMAIN_ID, name="Default",
                                description="The default domain")
                uow.domains.add(domain)
                self.record(uow, ctx, "identity.domain.create", "domain", domain.id)
            roles = {r.name: r for r in uow.roles.find(domain_id=None)}
            for name in ROLE_NAMES:
                if name not in roles:
                    roles[name] = Role(id=new_id(), name=name)
                    uow.roles.add(roles[name])
                    self.record(uow, ctx, "identity.role.create", "role", roles[name].id)
            for prior, implied in IMPLIED:
                if uow.implied_roles.first(prior_role_id=roles[prior].id,
                                           implied_role_id=roles[implied].id) is None:
                    uow.implied_roles.add(ImpliedRole(roles[prior].id, roles[implied].id))
            project = uow.projects.first(name=self.p.config.admin_project_name,
                                         domain_id=DEFAULT_DOMAIN_ID)
            if project is None:
                project = Project(id=new_id(), name=self.p.config.admin_project_name,
                                  domain_id=DEFAULT_DOMAIN_ID,
                                  description="The cloud operators' project")
                uow.projects.add(project)
                self.record(uow, ctx, "identity.project.create", "project", project.id,
                            project_id=project.id)
            password = None
            user = uow.users.first(name=admin_user, domain_id=DEFAULT_DOMAIN_ID)
            if user is None:
                password = secrets.token_urlsafe(18)
                now = self.p.clock.now()
                user = User(id=new_id(), name=admin_user, domain_id=DEFAULT_DOMAIN_ID,
                            default_project_id=project.id,
                            password_hash=self.p.hasher.hash(password),
                            password_created_at=now, created_at=now,
                            # The operator's own account must never lock itself out.
                            options={"ignore_lockout_failure_attempts": True})
                uow.users.add(user)
                self.record(uow, ctx, "identity.user.create", "user", user.id)
            self._assign(uow, user.id, TargetType.PROJECT, project.id, roles["admin"].id)
            self._assign(uow, user.id, TargetType.SYSTEM, SYSTEM_ALL, roles["admin"].id)
            self._region(uow, region_id, country)
            for wanted in services:
                self._service(uow, wanted, region_id)
            uow.commit()
            return SeedResult(user.id, project.id, password)

    def _assign(self, uow: UnitOfWork, user_id: str, target_type: TargetType, target_id: str,
                role_id: str) -> None:
        key = dict(actor_type=ActorType.USER.value, actor_id=user_id,
                   target_type=target_type.value, target_id=target_id, role_id=role_id,
                   inherited=False)
        if uow.assignments.first(**key) is None:
            uow.assignments.add(Assignment(**key))  # type: ignore[arg-type]

    def _region(self, uow: UnitOfWork, region_id: str, country: str) -> None:
        region = uow.regions.get(region_id)
        if region is None:
            uow.regions.add(Region(id=region_id, description="", country=country.upper()))
        elif region.country != country.upper():
            region.country = country.upper()

    def _service(self, uow: UnitOfWork, wanted: ServiceSpec, region_id: str) -> None:
        service = uow.services.first(type=wanted.type)
        if service is None:
            service = Service(id=new_id(), type=wanted.type, name=wanted.name)
            uow.services.add(service)
        for interface in Interface:
            endpoint = uow.endpoints.first(service_id=service.id, interface=interface.value,
                                           region_id=region_id)
            if endpoint is None:
                uow.endpoints.add(Endpoint(id=new_id(), service_id=service.id,
                                           interface=interface.value, url=wanted.url,
                                           region_id=region_id))
            elif endpoint.url != wanted.url:
                endpoint.url = wanted.url
