"""The one composition root: Settings -> drivers -> services -> apps."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette

from nuage.api.app import front_app
from nuage.api.audit.app import audit_app
from nuage.api.openstack.identity.app import identity_app
from nuage.api.openstack.identity.deps import IdentityServices
from nuage.drivers.clock import SystemClock
from nuage.drivers.crypto.keys import KeyRepository
from nuage.drivers.crypto.passwords import Argon2PasswordHasher
from nuage.drivers.crypto.tokens import FernetSecretBox, FernetTokenCodec
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.services.audit import Auditor, AuditService
from nuage.services.identity.assignments import AssignmentService
from nuage.services.identity.base import IdentityConfig, IdentityPorts
from nuage.services.identity.catalog import CatalogService
from nuage.services.identity.credentials import CredentialService
from nuage.services.identity.projects import DomainService, ProjectService
from nuage.services.identity.roles import RoleService
from nuage.services.identity.setup import SeedResult, ServiceSpec, SetupService
from nuage.services.identity.tokens import TokenService
from nuage.services.identity.users import GroupService, UserService
from nuage.settings import Settings


@dataclass
class Cloud:
    settings: Settings
    engine: Engine
    token_keys: KeyRepository
    identity: IdentityServices
    audit: AuditService
    setup: SetupService

    def app(self) -> Starlette:
        s = self.settings
        return front_app({
            "/identity": identity_app(self.identity, s.identity_url),
            "/audit": audit_app(self.audit, self.identity.tokens.context_for,
                                f"{s.base_url}/audit", s.identity_url),
        })

    def catalog(self) -> list[ServiceSpec]:
        base = self.settings.base_url
        return [ServiceSpec("identity", "keystone", f"{base}/identity"),
                ServiceSpec("audit", "nuage-audit", f"{base}/audit")]

    def seed(self) -> SeedResult:
        return self.setup.seed(self.settings.region, self.settings.region_country,
                               self.catalog())


def key_repositories(settings: Settings) -> tuple[KeyRepository, KeyRepository]:
    return (KeyRepository(settings.state_dir / "fernet-keys", settings.max_active_keys),
            KeyRepository(settings.state_dir / "credential-keys", settings.max_active_keys))


def build(settings: Settings, *, migrate: bool = True) -> Cloud:
    state: Path = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    engine = make_engine(settings.db_url)
    if migrate:
        upgrade(engine)
    token_keys, credential_keys = key_repositories(settings)
    token_keys.setup()
    credential_keys.setup()
    clock = SystemClock()
    hasher = (Argon2PasswordHasher(time_cost=1, memory_cost=8)
              if settings.fast_password_hashing else Argon2PasswordHasher())
    ports = IdentityPorts(
        uow=SqlUnitOfWorkFactory(engine), clock=clock, hasher=hasher,
        tokens=FernetTokenCodec(token_keys), secrets=FernetSecretBox(credential_keys),
        auditor=Auditor(clock),
        config=IdentityConfig(
            token_expiration=settings.token_expiration,
            lockout_failure_attempts=settings.lockout_failure_attempts,
            lockout_duration=settings.lockout_duration,
            admin_project_name=settings.admin_project_name, region_id=settings.region,
            any_project_admin_is_cloud_admin=settings.any_project_admin_is_cloud_admin),
    )
    identity = IdentityServices(
        tokens=TokenService(ports), domains=DomainService(ports),
        projects=ProjectService(ports), users=UserService(ports), groups=GroupService(ports),
        roles=RoleService(ports), assignments=AssignmentService(ports),
        catalog=CatalogService(ports), credentials=CredentialService(ports))
    return Cloud(settings=settings, engine=engine, token_keys=token_keys, identity=identity,
                 audit=AuditService(ports.uow), setup=SetupService(ports))
