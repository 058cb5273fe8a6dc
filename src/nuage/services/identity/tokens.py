"""Authentication: issuing, validating and revoking tokens; the service catalog.

Tokens are sealed payloads (see ports.crypto.TokenCodec); validation re-reads the user,
the scope and the roles, so disabling a user or removing a role takes effect at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from nuage.domain import policy, totp
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import (
    AuthReceiptRequired,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationError,
)
from nuage.domain.identity import (
    ApplicationCredential,
    CredentialType,
    RevocationEvent,
    User,
    new_audit_id,
)
from nuage.domain.identity_errors import IdentityFault
from nuage.domain.tokens import (
    CatalogEndpoint,
    CatalogEntry,
    NamedRef,
    ReceiptPayload,
    RoleRef,
    Scope,
    TokenPayload,
    ValidatedToken,
)
from nuage.ports.repositories import UnitOfWork
from nuage.services.identity.assignments import direct_role_ids, expand_implied
from nuage.services.identity.base import IdentityPorts, IdentityUseCases
from nuage.services.identity.validation_cache import Revision, ValidationCache


@dataclass(frozen=True)
class UserRef:
    id: str | None = None
    name: str | None = None
    domain: dict[str, Any] | None = None


@dataclass(frozen=True)
class AppCredRef:
    secret: str
    id: str | None = None
    name: str | None = None
    user: UserRef | None = None


@dataclass(frozen=True)
class ScopeRequest:
    project_id: str | None = None
    project_name: str | None = None
    project_domain: dict[str, Any] | None = None
    domain_id: str | None = None
    domain_name: str | None = None
    system: bool = False
    unscoped: bool = False


@dataclass(frozen=True)
class AuthRequest:
    methods: tuple[str, ...]
    password: tuple[UserRef, str] | None = None
    token: str | None = None
    app_cred: AppCredRef | None = None
    totp: tuple[UserRef, str] | None = None
    scope: ScopeRequest | None = None
    receipt: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    info: ValidatedToken


@dataclass
class _Proof:
    """What the methods established so far in one authentication request."""

    user: User | None = None
    methods: list[str] = field(default_factory=list)
    expires_at: datetime | None = None
    parent_audit_id: str | None = None
    app_cred: ApplicationCredential | None = None


class TokenService(IdentityUseCases):
    def __init__(self, ports: IdentityPorts) -> None:
        super().__init__(ports)
        self._cache = ValidationCache()

    # -- issuing ---------------------------------------------------------------------------
    def authenticate(self, ctx: RequestContext, req: AuthRequest) -> IssuedToken:
        now = self.p.clock.now()
        with self.p.uow(write=True) as uow:
            try:
                proof = self._prove(uow, ctx, req, now)
                assert proof.user is not None
                self._check_mfa(proof, req, now)
                scope = self._resolve_scope(uow, proof, req.scope)
            except Unauthorized as exc:
                # The failure is recorded, with any lock-out counter, before refusing.
                self.p.auditor.record(uow, ctx, "identity.authenticate", "user",
                                      getattr(exc, "user_id", None), outcome=Outcome.FAILURE,
                                      detail={"reason": exc.message})
                uow.commit()
                raise
            user = proof.user
            audit_ids = (new_audit_id(),) + ((proof.parent_audit_id,) if proof.parent_audit_id
                                             else ())
            expires = proof.expires_at or now + timedelta(seconds=self.p.config.token_expiration)
            if proof.app_cred and proof.app_cred.expires_at:
                expires = min(expires, proof.app_cred.expires_at)
            payload = TokenPayload(
                user_id=user.id, methods=tuple(proof.methods), scope=scope, issued_at=now,
                expires_at=expires, audit_ids=audit_ids,
                app_cred_id=proof.app_cred.id if proof.app_cred else None,
            )
            info = self._describe(uow, payload, with_catalog=True)
            self.p.auditor.record(uow, ctx, "identity.authenticate", "user", user.id,
                                  project_id=scope.project_id, actor_user_id=user.id,
                                  detail={"methods": list(proof.methods),
                                          "audit_id": audit_ids[0]})
            uow.commit()
        return IssuedToken(self.p.tokens.seal_token(payload), info)

    def _prove(self, uow: UnitOfWork, ctx: RequestContext, req: AuthRequest,
               now: datetime) -> _Proof:
        if not req.methods:
            raise ValidationError(IdentityFault.AUTH_METHODS_MISSING)
        proof = _Proof()
        if req.receipt:
            receipt = self.p.tokens.open_receipt(req.receipt)
            if receipt.expires_at <= now:
                raise Unauthorized(IdentityFault.RECEIPT_EXPIRED)
            proof.user = self.user_or_401(uow, receipt.user_id)
            proof.methods += list(receipt.methods)
        for method in req.methods:
            if method in proof.methods:
                continue
            if method == "password" and req.password:
                user = self._password(uow, ctx, req.password[0], req.password[1], now)
            elif method == "token" and req.token:
                user = self._token_method(uow, req.token, proof, now)
            elif method == "application_credential" and req.app_cred:
                user = self._app_cred(uow, req.app_cred, proof, now)
            elif method == "totp" and req.totp:
                user = self._totp(uow, req.totp[0], req.totp[1], now)
            elif method in ("password", "token", "application_credential", "totp"):
                raise ValidationError(IdentityFault.AUTH_METHOD_BODY_MISSING, method=method)
            else:
                raise Unauthorized(IdentityFault.AUTH_METHOD_UNSUPPORTED, method=method)
            if proof.user is not None and proof.user.id != user.id:
                raise Unauthorized(IdentityFault.AUTH_USERS_DIFFER)
            proof.user = user
            proof.methods.append(method)
        return proof

    def user_or_401(self, uow: UnitOfWork, user_id: str) -> User:
        user = uow.users.get(user_id)
        if user is None:
            raise Unauthorized(IdentityFault.AUTH_FAILED)
        self._check_enabled(uow, user)
        return user

    def _check_enabled(self, uow: UnitOfWork, user: User) -> None:
        domain = uow.domains.get(user.domain_id)
        if not user.enabled or domain is None or not domain.enabled:
            raise _UserUnauthorized(IdentityFault.AUTH_FAILED, user.id)

    def _find_user(self, uow: UnitOfWork, ref: UserRef) -> User:
        if ref.id:
            user = uow.users.get(ref.id)
        elif ref.name:
            if ref.domain is None:
                raise ValidationError(IdentityFault.AUTH_USER_DOMAIN_MISSING)
            try:
                domain = self.domain_by_ref(uow, ref.domain)
            except NotFound as exc:
                raise Unauthorized(IdentityFault.AUTH_FAILED) from exc
            user = uow.users.first(name=ref.name, domain_id=domain.id)
        else:
            raise ValidationError(IdentityFault.AUTH_USER_MISSING)
        if user is None:
            raise Unauthorized(IdentityFault.AUTH_FAILED)
        return user

    def _password(self, uow: UnitOfWork, ctx: RequestContext, ref: UserRef, password: str,
                  now: datetime) -> User:
        user = self._find_user(uow, ref)
        self._check_enabled(uow, user)
        cfg = self.p.config
        limit = cfg.lockout_failure_attempts
        exempt = bool(user.options.get("ignore_lockout_failure_attempts"))
        if user.locked_out(now, limit, cfg.lockout_duration):
            raise _UserUnauthorized(IdentityFault.USER_LOCKED, user.id, user_id=user.id)
        if limit > 0 and not exempt and user.failed_auth_count >= limit:
            user.failed_auth_count = 0  # the lock-out period is over
        if user.password_hash is None or not self.p.hasher.verify(user.password_hash, password):
            user.failed_auth_count += 1
            user.last_failed_auth_at = now
            if limit > 0 and not exempt and user.failed_auth_count == limit:
                # The request that tripped the lock: its source address and id are evidence.
                self.p.auditor.record(uow, ctx, "identity.user.lockout", "user", user.id,
                                      outcome=Outcome.FAILURE, actor_user_id=user.id,
                                      detail={"failed_attempts": user.failed_auth_count})
            raise _UserUnauthorized(IdentityFault.AUTH_FAILED, user.id)
        if user.password_expires_at and user.password_expires_at <= now:
            raise _UserUnauthorized(IdentityFault.PASSWORD_EXPIRED, user.id, user_id=user.id)
        if user.failed_auth_count:
            user.failed_auth_count = 0
        return user

    def _token_method(self, uow: UnitOfWork, token: str, proof: _Proof, now: datetime) -> User:
        payload = self._open_valid(uow, token, now)
        if payload.app_cred_id:
            raise Forbidden(IdentityFault.APP_CRED_TOKEN_RESCOPED)
        proof.expires_at = payload.expires_at
        proof.parent_audit_id = payload.audit_ids[0]
        user = self.user_or_401(uow, payload.user_id)
        for method in payload.methods:
            if method not in proof.methods:
                proof.methods.append(method)
        # "token" itself is appended by the caller.
        return user

    def _app_cred(self, uow: UnitOfWork, ref: AppCredRef, proof: _Proof, now: datetime) -> User:
        if ref.id:
            cred = uow.app_creds.get(ref.id)
        elif ref.name and ref.user:
            owner = self._find_user(uow, ref.user)
            cred = uow.app_creds.first(user_id=owner.id, name=ref.name)
        else:
            raise ValidationError(IdentityFault.APP_CRED_REF_INCOMPLETE)
        if cred is None or not self.p.hasher.verify(cred.secret_hash, ref.secret):
            raise Unauthorized(IdentityFault.AUTH_FAILED)
        if cred.expired(now):
            raise Unauthorized(IdentityFault.APP_CRED_EXPIRED)
        user = self.user_or_401(uow, cred.user_id)
        proof.app_cred = cred
        return user

    def _totp(self, uow: UnitOfWork, ref: UserRef, code: str, now: datetime) -> User:
        user = self._find_user(uow, ref)
        self._check_enabled(uow, user)
        creds = uow.credentials.find(user_id=user.id, type=CredentialType.TOTP.value)
        stamp = now.timestamp()
        for cred in creds:
            if totp.verify(self.p.secrets.open(cred.encrypted_blob), code, stamp):
                return user
        raise _UserUnauthorized(IdentityFault.AUTH_FAILED, user.id)

    def _check_mfa(self, proof: _Proof, req: AuthRequest, now: datetime) -> None:
        assert proof.user is not None
        rules = proof.user.mfa_rules()
        # Application credentials and rescoping stand in for the original authentication.
        if not rules or proof.app_cred or "token" in req.methods:
            return
        have = set(proof.methods)
        if any(set(rule) <= have for rule in rules):
            return
        expires = now + timedelta(seconds=self.p.config.receipt_expiration)
        receipt = self.p.tokens.seal_receipt(
            ReceiptPayload(proof.user.id, tuple(proof.methods), expires))
        raise AuthReceiptRequired(IdentityFault.AUTH_METHODS_INSUFFICIENT, receipt, rules,
                                  list(proof.methods), proof.user.id, expires.timestamp())

    def _resolve_scope(self, uow: UnitOfWork, proof: _Proof, req: ScopeRequest | None) -> Scope:
        user = proof.user
        assert user is not None
        if proof.app_cred:
            if req and req.project_id and req.project_id != proof.app_cred.project_id:
                raise Unauthorized(IdentityFault.APP_CRED_SCOPE_REQUESTED)
            scope = Scope(project_id=proof.app_cred.project_id)
        elif req is None:
            scope = self._default_scope(uow, user)
        elif req.unscoped:
            scope = Scope()
        elif req.system:
            scope = Scope(system=True)
        elif req.domain_id or req.domain_name:
            domain = (uow.domains.get(req.domain_id) if req.domain_id
                      else uow.domains.first(name=req.domain_name))
            if domain is None or not domain.enabled:
                raise Unauthorized(IdentityFault.SCOPE_NOT_FOUND, kind="domain",
                                   ident=req.domain_id or req.domain_name)
            scope = Scope(domain_id=domain.id)
        elif req.project_id or req.project_name:
            if req.project_id:
                project = uow.projects.get(req.project_id)
            else:
                if req.project_domain is None:
                    raise ValidationError(IdentityFault.SCOPE_PROJECT_DOMAIN_MISSING)
                try:
                    domain = self.domain_by_ref(uow, req.project_domain)
                except NotFound as exc:
                    raise Unauthorized(IdentityFault.SCOPE_NOT_FOUND, kind=exc.kind,
                                       ident=exc.ident) from exc
                project = uow.projects.first(name=req.project_name, domain_id=domain.id)
            if project is None:
                raise Unauthorized(IdentityFault.SCOPE_NOT_FOUND, kind="project",
                                   ident=req.project_id or req.project_name)
            domain = uow.domains.get(project.domain_id)
            if not project.enabled or domain is None or not domain.enabled:
                raise Unauthorized(IdentityFault.SCOPE_PROJECT_DISABLED, project_id=project.id)
            scope = Scope(project_id=project.id)
        else:
            raise ValidationError(IdentityFault.SCOPE_EMPTY)
        if not scope.unscoped and not direct_role_ids(uow, user.id, scope):
            raise Unauthorized(IdentityFault.SCOPE_NO_ROLE, user_id=user.id)
        return scope

    @staticmethod
    def _default_scope(uow: UnitOfWork, user: User) -> Scope:
        """Keystone scopes a request without scope to the user's default project, if usable."""
        if user.default_project_id:
            project = uow.projects.get(user.default_project_id)
            scope = Scope(project_id=user.default_project_id)
            if project and project.enabled and direct_role_ids(uow, user.id, scope):
                return scope
        return Scope()

    # -- validating ------------------------------------------------------------------------
    def _open_valid(self, uow: UnitOfWork, token: str, now: datetime) -> TokenPayload:
        payload = self.p.tokens.open_token(token)
        if payload.expires_at <= now:
            raise Unauthorized(IdentityFault.TOKEN_EXPIRED)
        user = uow.users.get(payload.user_id)
        if user is None:
            raise Unauthorized(IdentityFault.AUTH_FAILED)
        for event in uow.revocations.issued_after(payload.issued_at):
            if event.matches(user_id=payload.user_id, project_id=payload.scope.project_id,
                             domain_id=payload.scope.domain_id,
                             audit_ids=list(payload.audit_ids),
                             app_cred_id=payload.app_cred_id, issued_at=payload.issued_at,
                             user_domain_id=user.domain_id):
                raise Unauthorized(IdentityFault.TOKEN_REVOKED)
        return payload

    def cached(self, token: str, *, with_catalog: bool = False) -> ValidatedToken | None:
        """A validation answered from memory without I/O, when that is exact; else None.

        Non-blocking: adapters call it on the event loop and fall back to `validate`. A hit
        returns the very object cached, so callers may memoize what they derive from it.
        """
        revision = self.p.uow.local_revision()
        if revision is None:
            return None
        return self._cache.get(token, with_catalog,
                               ("local", revision, self.p.tokens.key_generation()),
                               self.p.clock.now())

    def validate(self, token: str, *, with_catalog: bool = False) -> ValidatedToken:
        """Check a token against current state. Raises Unauthorized when it is not valid."""
        now = self.p.clock.now()
        local = self.p.uow.local_revision()
        # Read before opening the token: a rotation in between then only costs a miss.
        keys = self.p.tokens.key_generation()
        with self.p.uow() as uow:
            if local is not None:
                revision: Revision = ("local", local, keys)
            else:
                head = uow.audit.head()
                revision = ("chain", head.seq if head else 0, keys)
            cached = self._cache.get(token, with_catalog, revision, now)
            if cached is not None:
                return cached
            payload = self._open_valid(uow, token, now)
            info = self._describe(uow, payload, with_catalog=with_catalog)
        valid_until = payload.expires_at
        if info.app_cred_expires_at is not None:
            valid_until = min(valid_until, info.app_cred_expires_at)
        self._cache.put(token, with_catalog, revision, valid_until, info)
        return info

    def context_for(self, token: str, request_id: str, source_ip: str | None) -> RequestContext:
        info = self.validate(token)
        return self.to_context(info, request_id, source_ip)

    @staticmethod
    def to_context(info: ValidatedToken, request_id: str, source_ip: str | None
                   ) -> RequestContext:
        p = info.payload
        return RequestContext(
            request_id=request_id, source_ip=source_ip, user_id=info.user.id,
            user_domain_id=info.user.domain_id,
            project_id=info.project.id if info.project else None,
            project_domain_id=info.project.domain_id if info.project else None,
            domain_id=info.domain.id if info.domain else None,
            system=p.scope.system, roles=frozenset(r.name for r in info.roles),
            is_admin_project=info.is_admin_project, app_cred_id=p.app_cred_id,
            app_cred_unrestricted=info.app_cred_unrestricted,
            audit_ids=p.audit_ids, token_methods=p.methods,
        )

    def validate_subject(self, ctx: RequestContext, subject: str, *, with_catalog: bool,
                         allow_expired: bool = False) -> ValidatedToken:
        """GET/HEAD /v3/auth/tokens: an invalid subject token is a 404, as in Keystone."""
        try:
            info = self.validate(subject, with_catalog=with_catalog)
        except Unauthorized as exc:
            raise NotFound("token", subject[:12] + "...") from exc
        self.check_may_validate(ctx, info)
        return info

    @staticmethod
    def check_may_validate(ctx: RequestContext, info: ValidatedToken) -> None:
        policy.enforce(ctx, "identity:validate_token", policy.Target(user_id=info.user.id))

    def _describe(self, uow: UnitOfWork, payload: TokenPayload, *,
                  with_catalog: bool) -> ValidatedToken:
        user = uow.users.get(payload.user_id)
        if user is None:
            raise Unauthorized(IdentityFault.AUTH_FAILED)
        self._check_enabled(uow, user)
        user_domain = uow.domains.get(user.domain_id)
        assert user_domain is not None
        scope = payload.scope
        project_ref = domain_ref = None
        admin_project = False
        if scope.project_id:
            project = uow.projects.get(scope.project_id)
            pdomain = uow.domains.get(project.domain_id) if project else None
            if project is None or not project.enabled or pdomain is None or not pdomain.enabled:
                raise Unauthorized(IdentityFault.TOKEN_PROJECT_UNAVAILABLE)
            project_ref = NamedRef(project.id, project.name, pdomain.id, pdomain.name)
            admin_project = (self.is_admin_project(project)
                             or self.p.config.any_project_admin_is_cloud_admin)
        elif scope.domain_id:
            domain = uow.domains.get(scope.domain_id)
            if domain is None or not domain.enabled:
                raise Unauthorized(IdentityFault.TOKEN_DOMAIN_UNAVAILABLE)
            domain_ref = NamedRef(domain.id, domain.name)
        role_ids = direct_role_ids(uow, user.id, scope)
        app_cred_name: str | None = None
        app_cred_expires_at = None
        unrestricted = False
        if payload.app_cred_id:
            cred = uow.app_creds.get(payload.app_cred_id)
            if cred is None or cred.expired(self.p.clock.now()):
                raise Unauthorized(IdentityFault.APP_CRED_INVALID)
            # The credential's roles the user still holds, implied ones included: a member
            # may delegate just `reader`, which they hold only through `member`.
            role_ids = {r.id for r in expand_implied(uow, role_ids)} & set(cred.role_ids)
            app_cred_name, unrestricted = cred.name, cred.unrestricted
            app_cred_expires_at = cred.expires_at
        roles = expand_implied(uow, role_ids)
        if not scope.unscoped and not roles:
            raise Unauthorized(IdentityFault.TOKEN_NO_ROLE)
        return ValidatedToken(
            payload=payload,
            user=NamedRef(user.id, user.name, user_domain.id, user_domain.name),
            password_expires_at=user.password_expires_at,
            roles=tuple(RoleRef(r.id, r.name, r.domain_id) for r in roles),
            project=project_ref, domain=domain_ref, app_cred_name=app_cred_name,
            app_cred_unrestricted=unrestricted, app_cred_expires_at=app_cred_expires_at,
            is_admin_project=admin_project,
            catalog=self._catalog(uow) if with_catalog and not scope.unscoped else [],
        )

    def _catalog(self, uow: UnitOfWork) -> list[CatalogEntry]:
        services = uow.services.find(enabled=True)
        if not services:
            return []
        endpoints = uow.endpoints.find(enabled=True, service_id=[s.id for s in services])
        entries = []
        for s in sorted(services, key=lambda s: s.type):
            eps = tuple(CatalogEndpoint(e.id, e.interface, e.region_id, e.url)
                        for e in endpoints if e.service_id == s.id)
            entries.append(CatalogEntry(s.id, s.type, s.name, eps))
        return entries

    def catalog(self, ctx: RequestContext) -> list[CatalogEntry]:
        with self.p.uow() as uow:
            return self._catalog(uow)

    # -- revoking --------------------------------------------------------------------------
    def prune_revocations(self) -> int:
        """Forget revocation events older than any token still unexpired (run at start)."""
        horizon = self.p.clock.now() - timedelta(seconds=self.p.config.token_expiration)
        with self.p.uow(write=True) as uow:
            removed = uow.revocations.prune(horizon)
            uow.commit()
            return removed

    def revoke(self, ctx: RequestContext, subject: str) -> None:
        now = self.p.clock.now()
        with self.p.uow(write=True) as uow:
            try:
                payload = self._open_valid(uow, subject, now)
            except Unauthorized as exc:
                raise NotFound("token", subject[:12] + "...") from exc
            self.guard(uow, ctx, "identity:revoke_token", policy.Target(user_id=payload.user_id),
                       target_type="token", target_id=payload.audit_ids[0])
            uow.revocations.add(RevocationEvent(issued_before=payload.issued_at, revoked_at=now,
                                                audit_id=payload.audit_ids[0]))
            self.record(uow, ctx, "identity.token.revoke", "token", payload.audit_ids[0],
                        project_id=payload.scope.project_id)
            uow.commit()


class _UserUnauthorized(Unauthorized):
    """An authentication failure that names the user, for the audit event (`user_id` is
    not a field: the uniform AUTH_FAILED must not quote it)."""

    def __init__(self, fault: IdentityFault, user_id: str, /, **fields: Any) -> None:
        super().__init__(fault, **fields)
        self.user_id = user_id


def ec2_credential_id(access: str) -> str:
    """Keystone names an EC2 credential by the SHA-256 of its access key."""
    return hashlib.sha256(access.encode()).hexdigest()
