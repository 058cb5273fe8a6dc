"""Roles and the roles they imply."""

from __future__ import annotations

from typing import Any

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound
from nuage.domain.identity import ImpliedRole, Role, new_id
from nuage.domain.identity_errors import IdentityFault
from nuage.services.identity.base import IdentityUseCases


class RoleService(IdentityUseCases):
    def create(self, ctx: RequestContext, name: str, domain_id: str | None = None,
               description: str = "", options: dict[str, Any] | None = None,
               extra: dict[str, Any] | None = None) -> Role:
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_role", policy.Target(domain_id=domain_id),
                       target_type="role", target_id=None)
            if domain_id:
                self.domain(uow, domain_id)
            if uow.roles.first(name=name, domain_id=domain_id):
                raise Conflict(IdentityFault.ROLE_NAME_TAKEN, name=name)
            role = Role(id=new_id(), name=name, domain_id=domain_id, description=description,
                        options=options or {}, extra=extra or {})
            uow.roles.add(role)
            self.record(uow, ctx, "identity.role.create", "role", role.id)
            uow.commit()
            return role

    def get(self, ctx: RequestContext, role_id: str) -> Role:
        with self.p.uow() as uow:
            role = self.role(uow, role_id)
            if not policy.may(ctx, "identity:get_role", policy.Target(
                    domain_id=role.domain_id or ctx.domain_id)):
                policy.enforce(ctx, "identity:get_role", policy.Target(domain_id=role.domain_id))
            return role

    def find(self, ctx: RequestContext, name: str | None = None,
             domain_id: str | None = None) -> list[Role]:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:list_roles",
                           policy.Target(domain_id=domain_id or ctx.domain_id))
            filters: dict[str, Any] = {"domain_id": domain_id}
            if name is not None:
                filters["name"] = name
            return sorted(uow.roles.find(**filters), key=lambda r: r.name)

    def update(self, ctx: RequestContext, role_id: str, changes: dict[str, Any]) -> Role:
        with self.p.uow(write=True) as uow:
            role = self.role(uow, role_id)
            self.guard(uow, ctx, "identity:update_role", policy.Target(domain_id=role.domain_id),
                       target_type="role", target_id=role.id)
            if "name" in changes and changes["name"] != role.name and uow.roles.first(
                    name=changes["name"], domain_id=role.domain_id):
                raise Conflict(IdentityFault.RENAME_TAKEN, kind="role", name=changes["name"])
            changes.pop("domain_id", None)
            for key, value in changes.items():
                setattr(role, key, value)
            self.record(uow, ctx, "identity.role.update", "role", role.id)
            uow.commit()
            return role

    def delete(self, ctx: RequestContext, role_id: str) -> None:
        with self.p.uow(write=True) as uow:
            role = self.role(uow, role_id)
            self.guard(uow, ctx, "identity:delete_role", policy.Target(domain_id=role.domain_id),
                       target_type="role", target_id=role.id)
            uow.assignments.delete_where(role_id=role.id)
            uow.implied_roles.delete_where(prior_role_id=role.id)
            uow.implied_roles.delete_where(implied_role_id=role.id)
            for cred in uow.app_creds.find():
                if role.id in cred.role_ids:
                    cred.role_ids = [r for r in cred.role_ids if r != role.id]
            uow.roles.delete(role)
            self.record(uow, ctx, "identity.role.delete", "role", role.id)
            uow.commit()

    def imply(self, ctx: RequestContext, prior_id: str, implied_id: str) -> tuple[Role, Role]:
        with self.p.uow(write=True) as uow:
            prior, implied = self.role(uow, prior_id), self.role(uow, implied_id)
            self.guard(uow, ctx, "identity:create_implied_role", policy.Target(),
                       target_type="role", target_id=prior.id)
            # Keystone's rules (403): a global role never implies a domain-specific one, and
            # the policy names the roles nothing may imply (its `prohibited_implied_role`).
            if (implied.domain_id and not prior.domain_id) or not policy.may_be_implied(
                    implied.name):
                raise Forbidden(IdentityFault.ROLE_IMPLICATION_PROHIBITED, prior_id=prior.id,
                                implied_id=implied.id)
            if uow.implied_roles.first(prior_role_id=prior_id, implied_role_id=implied_id) is None:
                uow.implied_roles.add(ImpliedRole(prior_id, implied_id))
                self.record(uow, ctx, "identity.role.imply", "role", prior.id,
                            detail={"implies": implied.id})
            uow.commit()
            return prior, implied

    def implied(self, ctx: RequestContext, prior_id: str) -> tuple[Role, list[Role]]:
        with self.p.uow() as uow:
            prior = self.role(uow, prior_id)
            policy.enforce(ctx, "identity:list_implied_roles")
            rows = uow.implied_roles.find(prior_role_id=prior_id)
            roles = uow.roles.find(id=[r.implied_role_id for r in rows]) if rows else []
            return prior, roles

    def check_implied(self, ctx: RequestContext, prior_id: str, implied_id: str
                      ) -> tuple[Role, Role]:
        with self.p.uow() as uow:
            prior, implied = self.role(uow, prior_id), self.role(uow, implied_id)
            policy.enforce(ctx, "identity:list_implied_roles")
            if uow.implied_roles.first(prior_role_id=prior_id, implied_role_id=implied_id) is None:
                raise NotFound("implied role", f"{prior_id} -> {implied_id}")
            return prior, implied

    def unimply(self, ctx: RequestContext, prior_id: str, implied_id: str) -> None:
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:delete_implied_role", policy.Target(),
                       target_type="role", target_id=prior_id)
            row = uow.implied_roles.first(prior_role_id=prior_id, implied_role_id=implied_id)
            if row is None:
                raise NotFound("implied role", f"{prior_id} -> {implied_id}")
            uow.implied_roles.delete(row)
            self.record(uow, ctx, "identity.role.unimply", "role", prior_id,
                        detail={"implies": implied_id})
            uow.commit()

    def inferences(self, ctx: RequestContext) -> list[tuple[Role, list[Role]]]:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:list_implied_roles")
            rows = uow.implied_roles.find()
            roles = {r.id: r for r in uow.roles.find()}
            grouped: dict[str, list[Role]] = {}
            for row in rows:
                grouped.setdefault(row.prior_role_id, []).append(roles[row.implied_role_id])
            return [(roles[prior], implied) for prior, implied in grouped.items()]
