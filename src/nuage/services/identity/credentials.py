"""Application credentials, EC2 credentials (the S3 access keys) and stored credentials."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nuage.domain import policy, totp
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.identity import (
    ApplicationCredential,
    Credential,
    CredentialType,
    RevocationEvent,
    Role,
)
from nuage.domain.identity_errors import IdentityFault
from nuage.domain.tokens import Scope
from nuage.ports.repositories import UnitOfWork
from nuage.services.identity.assignments import direct_role_ids, expand_implied
from nuage.services.identity.base import IdentityUseCases
from nuage.services.identity.tokens import ec2_credential_id


@dataclass(frozen=True)
class NewAppCred:
    name: str
    secret: str | None = None
    description: str | None = None
    expires_at: datetime | None = None
    # Each role as {"id": ...} or {"name": ...}; empty means the token's roles.
    roles: tuple[dict[str, str], ...] = ()
    unrestricted: bool = False


@dataclass(frozen=True)
class AppCredView:
    cred: ApplicationCredential
    roles: list[Role]
    secret: str | None = None


@dataclass(frozen=True)
class CredentialView:
    cred: Credential
    blob: str


@dataclass(frozen=True)
class Ec2View:
    user_id: str
    project_id: str | None
    access: str
    secret: str


def bound_app_cred(blob: dict[str, Any]) -> str | None:
    """The application credential an EC2 credential is bound to, if any (Keystone's
    `app_cred_id` in the blob): it then acts with that credential's roles, and dies with it."""
    value = blob.get("app_cred_id")
    return value if isinstance(value, str) and value else None


def _parse_blob(blob: str) -> dict[str, Any]:
    try:
        parsed = json.loads(blob)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(IdentityFault.CREDENTIAL_BLOB_INVALID) from exc
    if not isinstance(parsed, dict):
        raise ValidationError(IdentityFault.EC2_BLOB_NOT_OBJECT)
    return parsed


class CredentialService(IdentityUseCases):
    """Credentials made through a token never exceed or outlive that token's authority.

    A token from an application credential is the credential's roles on its project, for its
    lifetime. So, as Keystone does, the EC2 credentials it creates carry the application
    credential's id in their blob (S3 then acts with its roles, and the key dies with it);
    it cannot create TOTP or other stored credentials (they authenticate as the whole user);
    and it sees and manages only the credentials bound to it (reading the secret of the
    user's own unbound EC2 key would be the user's full authority).
    """

    # -- application credentials -----------------------------------------------------------
    def create_app_cred(self, ctx: RequestContext, user_id: str, new: NewAppCred) -> AppCredView:
        # Refused before any work, with Keystone's own sentences (not audited, as before;
        # the guard below then records nothing it could refuse).
        if not policy.may(ctx, "identity:create_application_credential",
                          policy.Target(user_id=user_id, project_id=ctx.project_id)):
            raise Forbidden(IdentityFault.APP_CRED_FOR_ANOTHER_USER)
        if ctx.project_id is None:
            raise ValidationError(IdentityFault.APP_CRED_NEEDS_PROJECT)
        if ctx.app_cred_id and not ctx.app_cred_unrestricted:
            raise Forbidden(IdentityFault.APP_CRED_RESTRICTED_CREATE)
        now = self.p.clock.now()
        if new.expires_at is not None and new.expires_at <= now:
            raise ValidationError(IdentityFault.APP_CRED_EXPIRY_PAST)
        secret = new.secret or secrets.token_urlsafe(48)
        secret_hash = self.p.hasher.hash(secret)
        expires_at = new.expires_at
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_application_credential",
                       policy.Target(user_id=user_id, project_id=ctx.project_id),
                       target_type="application_credential", target_id=None)
            held = {r.id: r for r in expand_implied(
                uow, direct_role_ids(uow, user_id, Scope(project_id=ctx.project_id)))}
            if ctx.app_cred_id:
                # An unrestricted application credential delegates at most its own roles,
                # for at most its own lifetime.
                held = {k: r for k, r in held.items() if r.name in ctx.roles}
                parent = uow.app_creds.get(ctx.app_cred_id)
                if parent is None:
                    raise Forbidden(IdentityFault.APP_CRED_INVALID)
                if parent.expires_at is not None:
                    expires_at = (parent.expires_at if expires_at is None
                                  else min(expires_at, parent.expires_at))
            chosen = self._pick_roles(held, new.roles, ctx)
            if uow.app_creds.first(user_id=user_id, name=new.name):
                raise Conflict(IdentityFault.APP_CRED_NAME_TAKEN, name=new.name)
            cred = ApplicationCredential(
                id=uuid.uuid4().hex, name=new.name, user_id=user_id, project_id=ctx.project_id,
                secret_hash=secret_hash, role_ids=[r.id for r in chosen],
                description=new.description, expires_at=expires_at,
                unrestricted=new.unrestricted, created_at=now)
            uow.app_creds.add(cred)
            self.record(uow, ctx, "identity.application_credential.create",
                        "application_credential", cred.id, project_id=ctx.project_id)
            uow.commit()
            return AppCredView(cred, chosen, secret)

    @staticmethod
    def _pick_roles(held: dict[str, Role], wanted: tuple[dict[str, str], ...],
                    ctx: RequestContext) -> list[Role]:
        if not wanted:
            return sorted((r for r in held.values() if r.name in ctx.roles), key=lambda r: r.name)
        chosen: list[Role] = []
        for ref in wanted:
            match = [r for r in held.values()
                     if ref.get("id") == r.id or (not ref.get("id") and ref.get("name") == r.name)]
            if not match:
                raise Forbidden(IdentityFault.APP_CRED_ROLE_NOT_HELD,
                                role=ref.get("id") or ref.get("name"))
            chosen.append(match[0])
        return chosen

    def _app_cred(self, uow: UnitOfWork, user_id: str, cred_id: str) -> ApplicationCredential:
        cred = uow.app_creds.get(cred_id)
        if cred is None or cred.user_id != user_id:
            raise NotFound("application credential", cred_id)
        return cred

    def get_app_cred(self, ctx: RequestContext, user_id: str, cred_id: str) -> AppCredView:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:get_application_credential",
                           policy.Target(user_id=user_id))
            cred = self._app_cred(uow, user_id, cred_id)
            return AppCredView(cred, uow.roles.find(id=cred.role_ids) if cred.role_ids else [])

    def list_app_creds(self, ctx: RequestContext, user_id: str, name: str | None = None
                       ) -> list[AppCredView]:
        with self.p.uow() as uow:
            self.user(uow, user_id)
            policy.enforce(ctx, "identity:list_application_credentials",
                           policy.Target(user_id=user_id))
            filters: dict[str, Any] = {"user_id": user_id}
            if name is not None:
                filters["name"] = name
            roles = {r.id: r for r in uow.roles.find()}
            return [AppCredView(c, [roles[r] for r in c.role_ids if r in roles])
                    for c in sorted(uow.app_creds.find(**filters), key=lambda c: c.name)]

    def delete_app_cred(self, ctx: RequestContext, user_id: str, cred_id: str) -> None:
        if ctx.app_cred_id and not ctx.app_cred_unrestricted:
            raise Forbidden(IdentityFault.APP_CRED_RESTRICTED_DELETE)
        with self.p.uow(write=True) as uow:
            cred = self._app_cred(uow, user_id, cred_id)
            self.guard(uow, ctx, "identity:delete_application_credential",
                       policy.Target(user_id=user_id), target_type="application_credential",
                       target_id=cred_id)
            uow.app_creds.delete(cred)
            now = self.p.clock.now()
            uow.revocations.add(RevocationEvent(issued_before=now, revoked_at=now,
                                                app_cred_id=cred_id))
            # The EC2 keys made through it go with it (S3 would refuse them anyway).
            for bound in self._bound_to(uow, user_id, cred_id):
                uow.credentials.delete(bound)
                self.record(uow, ctx, "identity.credential.delete", "credential", bound.id,
                            project_id=bound.project_id, detail={"type": bound.type,
                                                                 "app_cred_id": cred_id})
            self.record(uow, ctx, "identity.application_credential.delete",
                        "application_credential", cred_id, project_id=cred.project_id)
            uow.commit()

    # -- EC2 credentials -------------------------------------------------------------------
    def create_ec2(self, ctx: RequestContext, user_id: str, project_id: str) -> Ec2View:
        with self.p.uow(write=True) as uow:
            self.user(uow, user_id)
            self.guard(uow, ctx, "identity:ec2_create_credential",
                       policy.Target(user_id=user_id, project_id=project_id),
                       target_type="credential", target_id=None)
            self.project(uow, project_id)
            self._check_user_on_project(uow, ctx, user_id, project_id)
            self._check_app_cred_target(ctx, user_id, CredentialType.EC2.value, project_id)
            access, secret = uuid.uuid4().hex, uuid.uuid4().hex
            fields: dict[str, Any] = {"access": access, "secret": secret, "trust_id": None}
            if ctx.app_cred_id:
                fields["app_cred_id"] = ctx.app_cred_id
            blob = json.dumps(fields)
            cred = Credential(id=ec2_credential_id(access), user_id=user_id,
                              type=CredentialType.EC2.value, project_id=project_id,
                              encrypted_blob=self.p.secrets.seal(blob), access_key=access,
                              created_at=self.p.clock.now())
            uow.credentials.add(cred)
            self.record(uow, ctx, "identity.credential.create", "credential", cred.id,
                        project_id=project_id, detail={"type": "ec2", "access": access})
            uow.commit()
            return Ec2View(user_id, project_id, access, secret)

    @staticmethod
    def _check_user_on_project(uow: UnitOfWork, ctx: RequestContext, user_id: str,
                               project_id: str) -> None:
        """An EC2 key acts on its project: its user must hold a role there, unless the
        policy lets the caller give one regardless."""
        if not policy.may(ctx, "identity:create_credential_without_role",
                          policy.Target(user_id=user_id, project_id=project_id)) \
                and not direct_role_ids(uow, user_id, Scope(project_id=project_id)):
            raise Forbidden(IdentityFault.CREDENTIAL_USER_HAS_NO_ROLE, user_id=user_id,
                            project_id=project_id)

    @staticmethod
    def _check_app_cred_target(ctx: RequestContext, user_id: str, type: str,
                               project_id: str | None) -> None:
        """What a token from an application credential may create: EC2 keys for its own
        user on its own project, which are then bound to it."""
        if not ctx.app_cred_id:
            return
        if type != CredentialType.EC2.value:
            raise Forbidden(IdentityFault.APP_CRED_EC2_ONLY)
        if user_id != ctx.user_id or project_id != ctx.project_id:
            raise Forbidden(IdentityFault.APP_CRED_OWN_TARGET_ONLY)

    def _blob(self, cred: Credential) -> dict[str, Any]:
        try:
            parsed = json.loads(self.p.secrets.open(cred.encrypted_blob))
        except ValueError:
            return {}  # not an EC2 blob: bound to nothing
        return parsed if isinstance(parsed, dict) else {}

    def _reachable(self, ctx: RequestContext, cred: Credential) -> bool:
        """A token from an application credential reaches only the credentials bound to it."""
        if not ctx.app_cred_id:
            return True
        return (cred.type == CredentialType.EC2.value
                and bound_app_cred(self._blob(cred)) == ctx.app_cred_id)

    def _bound_to(self, uow: UnitOfWork, user_id: str, app_cred_id: str) -> list[Credential]:
        return [c for c in uow.credentials.find(user_id=user_id, type=CredentialType.EC2.value)
                if bound_app_cred(self._blob(c)) == app_cred_id]

    def _ec2_view(self, cred: Credential) -> Ec2View:
        blob = self._blob(cred)
        return Ec2View(cred.user_id, cred.project_id, blob["access"], blob["secret"])

    def list_ec2(self, ctx: RequestContext, user_id: str) -> list[Ec2View]:
        with self.p.uow() as uow:
            self.user(uow, user_id)
            policy.enforce(ctx, "identity:ec2_list_credentials", policy.Target(user_id=user_id))
            creds = uow.credentials.find(user_id=user_id, type=CredentialType.EC2.value)
            return [self._ec2_view(c) for c in creds if self._reachable(ctx, c)]

    def _ec2(self, uow: UnitOfWork, ctx: RequestContext, user_id: str, access: str
             ) -> Credential:
        # By access key, not by id: an update may have changed the key (the id stays).
        cred = uow.credentials.first(access_key=access)
        if cred is None or cred.user_id != user_id or cred.type != CredentialType.EC2.value \
                or not self._reachable(ctx, cred):
            raise NotFound("credential", access)
        return cred

    def get_ec2(self, ctx: RequestContext, user_id: str, access: str) -> Ec2View:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:ec2_get_credential", policy.Target(user_id=user_id))
            return self._ec2_view(self._ec2(uow, ctx, user_id, access))

    def delete_ec2(self, ctx: RequestContext, user_id: str, access: str) -> None:
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:ec2_delete_credential", policy.Target(user_id=user_id),
                       target_type="credential", target_id=ec2_credential_id(access))
            cred = self._ec2(uow, ctx, user_id, access)
            uow.credentials.delete(cred)
            self.record(uow, ctx, "identity.credential.delete", "credential", cred.id,
                        project_id=cred.project_id, detail={"type": "ec2"})
            uow.commit()

    # -- /v3/credentials -------------------------------------------------------------------
    def create(self, ctx: RequestContext, user_id: str, type: str, blob: str,
               project_id: str | None, extra: dict[str, Any] | None = None) -> CredentialView:
        with self.p.uow(write=True) as uow:
            self.user(uow, user_id)
            self.guard(uow, ctx, "identity:create_credential",
                       policy.Target(user_id=user_id, project_id=project_id),
                       target_type="credential", target_id=None)
            self._check_app_cred_target(ctx, user_id, type, project_id)
            if ctx.app_cred_id:
                # Keystone's binding: whatever the client wrote, the key is this credential's.
                blob = json.dumps({**_parse_blob(blob), "app_cred_id": ctx.app_cred_id})
            cred_id, access = self._check_blob(uow, ctx, user_id, type, blob, project_id)
            if uow.credentials.get(cred_id) is not None or (
                    access is not None and uow.credentials.first(access_key=access)):
                raise Conflict(IdentityFault.CREDENTIAL_ACCESS_TAKEN)
            cred = Credential(id=cred_id, user_id=user_id, type=type, project_id=project_id,
                              encrypted_blob=self.p.secrets.seal(blob), access_key=access,
                              extra=extra or {}, created_at=self.p.clock.now())
            uow.credentials.add(cred)
            self.record(uow, ctx, "identity.credential.create", "credential", cred.id,
                        project_id=project_id, detail={"type": type})
            uow.commit()
            return CredentialView(cred, blob)

    def _check_blob(self, uow: UnitOfWork, ctx: RequestContext, user_id: str, type: str,
                    blob: str, project_id: str | None) -> tuple[str, str | None]:
        if type == CredentialType.EC2.value:
            parsed = _parse_blob(blob)
            if not isinstance(parsed.get("access"), str):
                raise ValidationError(IdentityFault.EC2_BLOB_NO_ACCESS)
            if not project_id:
                raise ValidationError(IdentityFault.EC2_NO_PROJECT)
            self.project(uow, project_id)
            self._check_user_on_project(uow, ctx, user_id, project_id)
            bound = bound_app_cred(parsed)
            if bound is not None and bound != ctx.app_cred_id:
                # A binding the client wrote itself must name this user's credential on
                # that project; S3 checks it again on every request.
                app_cred = uow.app_creds.get(bound)
                if app_cred is None or app_cred.user_id != user_id \
                        or app_cred.project_id != project_id:
                    raise ValidationError(IdentityFault.EC2_BINDING_INVALID)
            return ec2_credential_id(parsed["access"]), parsed["access"]
        if type == CredentialType.TOTP.value and not totp.valid_secret(blob):
            raise ValidationError(IdentityFault.TOTP_BLOB_INVALID)
        return uuid.uuid4().hex, None

    def _cred(self, uow: UnitOfWork, ctx: RequestContext, cred_id: str, action: str
              ) -> Credential:
        cred = uow.credentials.get(cred_id)
        # Someone else's credential is as invisible as a missing one.
        if cred is None or not policy.may(ctx, action, policy.Target(user_id=cred.user_id)) \
                or not self._reachable(ctx, cred):
            raise NotFound("credential", cred_id)
        return cred

    def get(self, ctx: RequestContext, cred_id: str) -> CredentialView:
        with self.p.uow() as uow:
            cred = self._cred(uow, ctx, cred_id, "identity:get_credential")
            return CredentialView(cred, self.p.secrets.open(cred.encrypted_blob))

    def find(self, ctx: RequestContext, user_id: str | None, type: str | None
             ) -> list[CredentialView]:
        with self.p.uow() as uow:
            filters: dict[str, Any] = {}
            # Others than readers of everything see their own credentials only.
            if not policy.may(ctx, "identity:list_credentials", policy.Target(user_id=user_id)):
                if user_id is not None:
                    return []
                user_id = ctx.user_id
            if user_id is not None:
                filters["user_id"] = user_id
            if type is not None:
                filters["type"] = type
            return [CredentialView(c, self.p.secrets.open(c.encrypted_blob))
                    for c in uow.credentials.find(**filters) if self._reachable(ctx, c)]

    def update(self, ctx: RequestContext, cred_id: str, changes: dict[str, Any]
               ) -> CredentialView:
        with self.p.uow(write=True) as uow:
            cred = self._cred(uow, ctx, cred_id, "identity:update_credential")
            old_blob = self.p.secrets.open(cred.encrypted_blob)
            blob = changes.get("blob", old_blob)
            type = changes.get("type", cred.type)
            project_id = changes.get("project_id", cred.project_id)
            self._check_app_cred_target(ctx, cred.user_id, type, project_id)
            if cred.type == CredentialType.EC2.value:
                # As Keystone: a binding can be neither changed nor removed.
                was = bound_app_cred(_parse_blob(old_blob))
                now_bound = (bound_app_cred(_parse_blob(blob))
                             if type == CredentialType.EC2.value else None)
                if was != now_bound:
                    raise ValidationError(IdentityFault.EC2_BINDING_IMMUTABLE)
            _, access = self._check_blob(uow, ctx, cred.user_id, type, blob, project_id)
            # Keystone lets a blob update change the access key; the id stays.
            if access is not None and access != cred.access_key and uow.credentials.first(
                    access_key=access):
                raise Conflict(IdentityFault.CREDENTIAL_ACCESS_TAKEN)
            cred.type, cred.project_id, cred.access_key = type, project_id, access
            cred.encrypted_blob = self.p.secrets.seal(blob)
            self.record(uow, ctx, "identity.credential.update", "credential", cred.id,
                        project_id=project_id)
            uow.commit()
            return CredentialView(cred, blob)

    def delete(self, ctx: RequestContext, cred_id: str) -> None:
        with self.p.uow(write=True) as uow:
            cred = self._cred(uow, ctx, cred_id, "identity:delete_credential")
            uow.credentials.delete(cred)
            self.record(uow, ctx, "identity.credential.delete", "credential", cred.id,
                        project_id=cred.project_id)
            uow.commit()
