"""EC2 credentials as S3 access keys: who signs with a key, and with which secret.

Looked up on every S3 request, so answers are cached until identity state changes (the
same rule as token validation: see validation_cache.py). A disabled user or project, or a
deleted credential, stops working on the next request.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from nuage.domain.context import RequestContext
from nuage.domain.identity import CredentialType
from nuage.domain.tokens import Scope
from nuage.services.identity.assignments import effective_roles
from nuage.services.identity.base import IdentityPorts, IdentityUseCases


@dataclass(frozen=True)
class SigningIdentity:
    access_key: str
    secret: str
    user_id: str
    user_domain_id: str
    project_id: str
    project_domain_id: str
    roles: frozenset[str]

    def context(self, request_id: str, source_ip: str | None, secure: bool) -> RequestContext:
        return RequestContext(
            request_id=request_id, source_ip=source_ip, user_id=self.user_id,
            user_domain_id=self.user_domain_id, project_id=self.project_id,
            project_domain_id=self.project_domain_id, roles=self.roles,
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
        if hit is not None and hit[0] == ("local", local):
            return hit[1]
        return None

    def signing_identity(self, access_key: str) -> SigningIdentity | None:
        """Who owns this access key, if it is usable now; None for an unknown or dead key."""
        revision = self._revision()
        with self._lock:
            hit = self._cache.get(access_key)
        if hit is not None and hit[0] == revision:
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
            roles = effective_roles(uow, user.id, Scope(project_id=project.id))
            if not roles:
                return None
            blob = json.loads(self.p.secrets.open(cred.encrypted_blob))
            return SigningIdentity(
                access_key=access_key, secret=str(blob["secret"]), user_id=user.id,
                user_domain_id=user.domain_id, project_id=project.id,
                project_domain_id=project.domain_id, roles=frozenset(r.name for r in roles))
