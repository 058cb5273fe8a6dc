"""Keypairs: a user's named SSH public keys (or x509 certificates), given to the servers
they boot.

Below microversion 2.92 a create without a public key makes the pair, as Nova does: the
private key is in that one answer and is never stored (nuage cannot show it again). From
2.92 the public key is required (the `openstack keypair create` CLI then makes the pair on
the client and sends the public half).
"""

from __future__ import annotations

import re
from dataclasses import replace

from nuage.domain import policy
from nuage.domain.compute import KEYPAIR_TYPES, Keypair, ssh_fingerprint, x509_fingerprint
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.ports.crypto import KeyPairGenerator
from nuage.services.compute.base import ResourcePorts, ResourceUseCases
from nuage.services.compute.quotas import QuotaService

# Nova's keypair names below microversion 2.92; from 2.92 '@' and '.' are allowed too.
NAME = re.compile(r"^[a-zA-Z0-9 _-]+$")
NAME_292 = re.compile(r"^[a-zA-Z0-9 @._-]+$")
MAX_PUBLIC_KEY = 16384


class KeypairService(ResourceUseCases):
    def __init__(self, ports: ResourcePorts, quotas: QuotaService,
                 generator: KeyPairGenerator | None = None) -> None:
        super().__init__(ports)
        self.quotas = quotas
        self.generator = generator

    @staticmethod
    def _user(ctx: RequestContext, user_id: str | None, row: str) -> str:
        """Whose key pairs: the caller's, or (2.10) another user's, as the policy `row`
        allows (an administrator)."""
        if user_id is None or user_id == ctx.user_id:
            if ctx.user_id is None:
                raise ValidationError(ComputeFault.KEYPAIR_USER_REQUIRED)
            user_id = ctx.user_id
        policy.enforce(ctx, row, policy.Target(user_id=user_id))
        return user_id

    def create(self, ctx: RequestContext, name: str, public_key: str | None,
               key_type: str = "ssh", user_id: str | None = None,
               wider_names: bool = False) -> Keypair:
        """`key_type` (2.2): "ssh" (an OpenSSH public key) or "x509" (a PEM certificate).
        No `public_key`: the pair is made here and the result's `private_key` holds the
        private half (the adapter refuses that from 2.92, as Nova does)."""
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "compute:keypair:create")
        pattern = NAME_292 if wider_names else NAME
        if not name or len(name) > 255 or not pattern.match(name) or name != name.strip():
            raise ValidationError(ComputeFault.KEYPAIR_NAME_INVALID)
        if key_type not in KEYPAIR_TYPES:
            raise ValidationError(ComputeFault.KEYPAIR_TYPE_INVALID, key_type=key_type)
        private_key = None
        if public_key is None:
            if self.generator is None:
                raise ValidationError(ComputeFault.KEYPAIR_PUBLIC_KEY_REQUIRED)
            public_key, private_key = (self.generator.ssh() if key_type == "ssh"
                                       else self.generator.x509(user_id))
        if len(public_key) > MAX_PUBLIC_KEY:
            raise ValidationError(ComputeFault.KEYPAIR_PUBLIC_KEY_TOO_LONG)
        try:
            fingerprint = (ssh_fingerprint(public_key) if key_type == "ssh"
                           else x509_fingerprint(public_key))
        except ValueError as exc:
            raise ValidationError(ComputeFault.KEYPAIR_DATA_INVALID, reason=str(exc)) from exc
        with self.p.uow(write=True) as uow:
            # Before the reads: a concurrent create of the same name or past the quota
            # waits here for this one to end (PostgreSQL; SQLite serialises writers).
            uow.compute.lock_user_key_pairs(user_id)
            if uow.keypairs.first(user_id=user_id, name=name) is not None:
                raise Conflict(ComputeFault.KEYPAIR_NAME_TAKEN, name=name)
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
            # Only in this answer: the stored key pair never holds it.
            return replace(keypair, private_key=private_key) if private_key else keypair

    def find(self, ctx: RequestContext, user_id: str | None = None,
             marker: str | None = None, limit: int | None = None) -> list[Keypair]:
        """The user's key pairs by name; `marker` and `limit` page them (2.35): the page
        starts after the key pair named `marker` (NotFound for an unknown one)."""
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "compute:keypair:list")
        with self.p.uow() as uow:
            found = sorted(uow.keypairs.find(user_id=user_id), key=lambda k: k.name)
        if marker is not None:
            names = [k.name for k in found]
            if marker not in names:
                raise NotFound("keypair", marker)
            found = found[names.index(marker) + 1:]
        return found if limit is None else found[:limit]

    def get(self, ctx: RequestContext, name: str, user_id: str | None = None) -> Keypair:
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "compute:keypair:show")
        with self.p.uow() as uow:
            found = uow.keypairs.first(user_id=user_id, name=name)
        if found is None:
            raise NotFound("keypair", name)
        return found

    def delete(self, ctx: RequestContext, name: str, user_id: str | None = None) -> None:
        self.require_user(ctx)
        user_id = self._user(ctx, user_id, "compute:keypair:delete")
        with self.p.uow(write=True) as uow:
            found = uow.keypairs.first(user_id=user_id, name=name)
            if found is None:
                raise NotFound("keypair", name)
            uow.keypairs.delete(found)
            self.record(uow, ctx, "compute.keypair.delete", "keypair", name,
                        project_id=ctx.project_id, detail={"user_id": user_id})
            uow.commit()
