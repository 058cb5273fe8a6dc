"""Keypairs: a user's named SSH public keys, given to the servers they boot.

nuage only imports public keys: it never makes (so never sees) a private key. The
`openstack keypair create` CLI generates the pair on the client and sends the public half.
"""

from __future__ import annotations

import re

from nuage.domain.compute import KEYPAIR_TYPES, Keypair, ssh_fingerprint, x509_fingerprint
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.services.compute.base import ResourcePorts, ResourceUseCases, is_admin
from nuage.services.compute.quotas import QuotaService

# Nova's keypair names below microversion 2.92.
NAME = re.compile(r"^[a-zA-Z0-9 _-]+$")
MAX_PUBLIC_KEY = 16384


class KeypairService(ResourceUseCases):
    def __init__(self, ports: ResourcePorts, quotas: QuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    @staticmethod
    def _user(ctx: RequestContext, user_id: str | None = None, action: str = "index") -> str:
        """Whose key pairs: the caller's, or (2.10) another user's for an administrator."""
        if user_id is not None and user_id != ctx.user_id:
            if not is_admin(ctx):
                raise Forbidden(f"Policy doesn't allow os_compute_api:os-keypairs:{action} to "
                                "be performed.")
            return user_id
        if ctx.user_id is None:
            raise ValidationError("A user token is needed for keypairs.")
        return ctx.user_id

    def create(self, ctx: RequestContext, name: str, public_key: str | None,
               key_type: str = "ssh", user_id: str | None = None) -> Keypair:
        """`key_type` (2.2): "ssh" (an OpenSSH public key) or "x509" (a PEM certificate)."""
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "create")
        if not name or len(name) > 255 or not NAME.match(name) or name != name.strip():
            raise ValidationError("Invalid input for field 'name': Keypair name must be "
                                  "string and between 1 and 255 characters long, of letters, "
                                  "digits, spaces, '_' and '-'.")
        if public_key is None:
            raise ValidationError("'public_key' is a required property: nuage imports "
                                  "public keys and never generates private keys.")
        if key_type not in KEYPAIR_TYPES:
            raise ValidationError(f"Invalid input for field/attribute type. Value: "
                                  f"{key_type!r}. {key_type!r} is not one of ['ssh', 'x509']")
        if len(public_key) > MAX_PUBLIC_KEY:
            raise ValidationError("Keypair data is invalid: the public key is too long.")
        try:
            fingerprint = (ssh_fingerprint(public_key) if key_type == "ssh"
                           else x509_fingerprint(public_key))
        except ValueError as exc:
            raise ValidationError(f"Keypair data is invalid: {exc}.") from exc
        with self.p.uow(write=True) as uow:
            # Before the reads: a concurrent create of the same name or past the quota
            # waits here for this one to end (PostgreSQL; SQLite serialises writers).
            uow.compute.lock_user_key_pairs(user_id)
            if uow.keypairs.first(user_id=user_id, name=name) is not None:
                raise Conflict(f"Key pair '{name}' already exists.")
            self.quotas.check_key_pairs(uow, ctx.project_id, user_id)
            keypair = Keypair(user_id=user_id, name=name, public_key=public_key,
                              fingerprint=fingerprint, created_at=self.p.clock.now(),
                              type=key_type)
            uow.keypairs.add(keypair)
            self.record(uow, ctx, "compute.keypair.create", "keypair", name,
                        project_id=ctx.project_id,
                        detail={"fingerprint": fingerprint, "type": key_type,
                                "user_id": user_id})
            uow.commit()
            return keypair

    def find(self, ctx: RequestContext, user_id: str | None = None) -> list[Keypair]:
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "index")
        with self.p.uow() as uow:
            return sorted(uow.keypairs.find(user_id=user_id), key=lambda k: k.name)

    def get(self, ctx: RequestContext, name: str, user_id: str | None = None) -> Keypair:
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "show")
        with self.p.uow() as uow:
            found = uow.keypairs.first(user_id=user_id, name=name)
        if found is None:
            raise NotFound("keypair", name)
        return found

    def delete(self, ctx: RequestContext, name: str, user_id: str | None = None) -> None:
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "delete")
        with self.p.uow(write=True) as uow:
            found = uow.keypairs.first(user_id=user_id, name=name)
            if found is None:
                raise NotFound("keypair", name)
            uow.keypairs.delete(found)
            self.record(uow, ctx, "compute.keypair.delete", "keypair", name,
                        project_id=ctx.project_id, detail={"user_id": user_id})
            uow.commit()
