"""A seeded cloud on in-memory SQLite, and short ways to make users and log them in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nuage.bootstrap import Cloud, Overrides, build
from nuage.domain.audit import AuditEvent
from nuage.domain.context import RequestContext
from nuage.domain.identity import ActorType, Project, TargetType, User
from nuage.ports.repositories import AuditQuery
from nuage.services.identity.assignments import Grant
from nuage.services.identity.tokens import AuthRequest, IssuedToken, ScopeRequest, UserRef
from nuage.settings import Settings

PASSWORD = "correct horse battery staple"


@dataclass
class FakeClock:
    """Real time plus an offset tests can move forward."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class World:
    cloud: Cloud
    clock: FakeClock
    admin_user_id: str
    admin_project_id: str
    admin_password: str
    admin: RequestContext

    @property
    def s(self) -> Any:
        return self.cloud.identity

    def anon(self, ip: str = "192.0.2.7") -> RequestContext:
        return RequestContext.anonymous(f"req-{uuid.uuid4()}", ip)

    def login(self, name: str, password: str = PASSWORD, *, project_id: str | None = None,
              system: bool = False, unscoped: bool = False, ip: str = "192.0.2.7"
              ) -> IssuedToken:
        scope = (ScopeRequest(project_id=project_id) if project_id else
                 ScopeRequest(system=True) if system else
                 ScopeRequest(unscoped=True) if unscoped else None)
        req = AuthRequest(methods=("password",),
                          password=(UserRef(name=name, domain={"id": "default"}), password),
                          scope=scope)
        issued: IssuedToken = self.s.tokens.authenticate(self.anon(ip), req)
        return issued

    def ctx(self, token: str, ip: str = "192.0.2.7") -> RequestContext:
        ctx: RequestContext = self.s.tokens.context_for(token, f"req-{uuid.uuid4()}", ip)
        return ctx

    def project(self, name: str | None = None) -> Project:
        project: Project = self.s.projects.create(self.admin, name or f"p-{uuid.uuid4().hex[:8]}",
                                                  "default")
        return project

    def user(self, project_id: str | None = None, roles: tuple[str, ...] = ("member",),
             name: str | None = None, **kw: Any) -> User:
        user: User = self.s.users.create(self.admin, name or f"u-{uuid.uuid4().hex[:8]}",
                                         "default", password=PASSWORD, **kw)
        for role in roles if project_id else ():
            self.grant(user.id, project_id or "", role)
        return user

    def role_id(self, name: str) -> str:
        return str(self.s.roles.find(self.admin, name=name)[0].id)

    def grant(self, user_id: str, project_id: str, role: str) -> None:
        self.s.assignments.grant(self.admin, Grant(ActorType.USER, user_id, TargetType.PROJECT,
                                                   project_id, self.role_id(role)))

    def events(self, **filters: Any) -> list[AuditEvent]:
        page = self.cloud.audit.list_events(self.admin, AuditQuery(limit=1000, **filters))
        return list(page.events)


def make_world(tmp_path: Path, database_url: str = "sqlite://",
               **settings: Any) -> World:
    clock = FakeClock()
    cloud = build(Settings.model_validate({
        "state_dir": tmp_path / "state", "database_url": database_url,
        "fast_password_hashing": True, "user_clouds_yaml": False, **settings}),
        overrides=Overrides(clock=clock))
    seeded = cloud.seed()
    assert seeded.admin_password is not None
    world = World(cloud, clock, seeded.admin_user_id, seeded.admin_project_id,
                  seeded.admin_password, RequestContext(request_id="bootstrap"))
    token = world.login("admin", seeded.admin_password, project_id=seeded.admin_project_id)
    world.admin = world.ctx(token.token, ip="198.51.100.1")
    return world
