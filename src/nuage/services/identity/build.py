"""The identity use cases of one deployment, built from their ports.

The composition root (bootstrap) calls `build_identity` once; the CLI, the Keystone
adapter and the other areas' bundles take what they need from `IdentityServices`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nuage.services.identity.assignments import AssignmentService
from nuage.services.identity.base import IdentityPorts
from nuage.services.identity.catalog import CatalogService
from nuage.services.identity.credentials import CredentialService
from nuage.services.identity.projects import DomainService, ProjectService
from nuage.services.identity.roles import RoleService
from nuage.services.identity.s3_keys import S3KeyService
from nuage.services.identity.setup import SetupService
from nuage.services.identity.tokens import TokenService
from nuage.services.identity.users import GroupService, UserService


@dataclass(frozen=True)
class IdentityServices:
    tokens: TokenService
    domains: DomainService
    projects: ProjectService
    users: UserService
    groups: GroupService
    roles: RoleService
    assignments: AssignmentService
    catalog: CatalogService
    credentials: CredentialService
    # EC2-style keys: what S3 signatures are checked against.
    s3_keys: S3KeyService
    # First start: the admin, the default domain, the catalog.
    setup: SetupService


def build_identity(ports: IdentityPorts) -> IdentityServices:
    return IdentityServices(
        tokens=TokenService(ports), domains=DomainService(ports),
        projects=ProjectService(ports), users=UserService(ports), groups=GroupService(ports),
        roles=RoleService(ports), assignments=AssignmentService(ports),
        catalog=CatalogService(ports), credentials=CredentialService(ports),
        s3_keys=S3KeyService(ports), setup=SetupService(ports))
