"""EC2 credentials as S3 access keys: who signs with a key, and with which secret.

Looked up on every S3 request, so answers are cached until identity state changes (the
same rule as token validation: see validation_cache.py). A disabled user or project, or a
deleted credential, stops working on the next request.

A key made through an application credential (Keystone's `app_cred_id` in the blob) acts
with that credential's roles only, and stops working when it is deleted or expires: the
expiry is kept with the cached answer, since time passing writes no audit event.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime

from nuage.domain.context import RequestContext
from nuage.domain.identity import CredentialType
from nuage.domain.tokens import Scope
from nuage.ports.repositories import UnitOfWork
from nuage.services.identity.assignments import (
    direct_role_ids,
    effective_roles,
    expand_implied,
)
from nuage.services.identity.base import IdentityPorts, IdentityUseCases
from nuage.services.identity.credentials import bound_app_cred


@dataclass(frozen=True)
class SigningIdentity:
    access_key: str
    secret: str
    user_id: str
    user_domain_id: str
    project_id: str
    project_domain_id: str
    roles: frozenset[str]
    app_cred_id: str | None = None
    app_cred_unrestricted: bool = False
    # When the application credential it is bound to expires.
    expires_at: datetime | None = None

    def context(self, request_id: str, source_ip: str | None, secure: bool) -> RequestContext:
        return RequestContext(
            request_id=request_id, source_ip=source_ip, user_id=self.user_id,
            user_domain_id=self.user_domain_id, project_id=self.project_id,
            project_domain_id=self.project_domain_id, roles=self.roles,
            app_cred_id=self.app_cred_id, app_cred_unrestricted=self.app_cred_unrestricted,
            token_methods=("ec2",), secure_transport=secure)


class S3KeyService(IdentityUseCases):
    def __init__(self, ports: IdentityPorts) -> None:
        super().__init__(ports)
        self._cache: dict[str, tuple[tuple[str, int], SigningIdentity | None]] = {}
        self._lock = threading.Lock()

    def _revision(self) -> tuple[str, int]:
        local = self.p.uow.local_revision()
        if local is not None:
            return ("local", local)
        with self.p.uow() as uow:
            head = uow.audit.head()
            return ("chain", head.seq if head else 0)

    def signing_identity_cached(self, access_key: str) -> SigningIdentity | None:
        """The cached answer when it is exact without I/O (see `local_revision`), else None;
        None also for a cached unknown key, which `signing_identity` then confirms."""
        local = self.p.uow.local_revision()
        if local is None:
            return None
        with self._lock:
            hit = self._cache.get(access_key)
        if hit is not None and hit[0] == ("local", local) and self._alive(hit[1]):
            return hit[1]
        return None

    def _alive(self, found: SigningIdentity | None) -> bool:
        return found is None or found.expires_at is None or found.expires_at > self.p.clock.now()

    def signing_identity(self, access_key: str) -> SigningIdentity | None:
        """Who owns this access key, if it is usable now; None for an unknown or dead key."""
        revision = self._revision()
        with self._lock:
            hit = self._cache.get(access_key)
        if hit is not None and hit[0] == revision and self._alive(hit[1]):
            return hit[1]
        found = self._lookup(access_key)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[access_key] = (revision, found)
        return found

    def _lookup(self, access_key: str) -> SigningIdentity | None:
        with self.p.uow() as uow:
            cred = uow.credentials.first(access_key=access_key, type=CredentialType.EC2.value)
            if cred is None or cred.project_id is None:
                return None
            user = uow.users.get(cred.user_id)
            project = uow.projects.get(cred.project_id)
            if user is None or project is None or not user.enabled or not project.enabled:
                return None
            user_domain = uow.domains.get(user.domain_id)
            project_domain = uow.domains.get(project.domain_id)
            if not (user_domain and user_domain.enabled and project_domain
                    and project_domain.enabled):
                return None
            blob = json.loads(self.p.secrets.open(cred.encrypted_blob))
            app_cred_id = bound_app_cred(blob)
            if app_cred_id is None:
                roles = effective_roles(uow, user.id, Scope(project_id=project.id))
                if not roles:
                    return None
                return SigningIdentity(
                    access_key=access_key, secret=str(blob["secret"]), user_id=user.id,
                    user_domain_id=user.domain_id, project_id=project.id,
                    project_domain_id=project.domain_id,
                    roles=frozenset(r.name for r in roles))
            return self._bound(uow, access_key, str(blob["secret"]), app_cred_id, user.id,
                               user.domain_id, project.id, project.domain_id)

    def _bound(self, uow: UnitOfWork, access_key: str, secret: str, app_cred_id: str,
               user_id: str, user_domain_id: str, project_id: str, project_domain_id: str
               ) -> SigningIdentity | None:
        """A key bound to an application credential: its roles the user still holds, as a
        token from that credential would have them (TokenService._describe)."""
        app_cred = uow.app_creds.get(app_cred_id)
        if app_cred is None or app_cred.expired(self.p.clock.now()) \
                or app_cred.user_id != user_id or app_cred.project_id != project_id:
            return None
        held = {r.id for r in expand_implied(
            uow, direct_role_ids(uow, user_id, Scope(project_id=project_id)))}
        roles = expand_implied(uow, held & set(app_cred.role_ids))
        if not roles:
            return None
        return SigningIdentity(
            access_key=access_key, secret=secret, user_id=user_id,
            user_domain_id=user_domain_id, project_id=project_id,
            project_domain_id=project_domain_id, roles=frozenset(r.name for r in roles),
            app_cred_id=app_cred.id, app_cred_unrestricted=app_cred.unrestricted,
            expires_at=app_cred.expires_at)
