"""Users, passwords and groups."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from nuage.domain.identity import (
    ActorType,
    Group,
    GroupMembership,
    RevocationEvent,
    User,
    new_id,
)
from nuage.domain.identity_errors import IdentityFault
from nuage.ports.repositories import UnitOfWork
from nuage.services.identity.assignments import administers_cloud
from nuage.services.identity.base import IdentityUseCases
from nuage.services.identity.projects import _purge_user

USER_FIELDS = {"name", "enabled", "default_project_id", "password", "options", "extra"}
USER_OPTIONS = {
    "ignore_change_password_upon_first_use", "ignore_password_expiry",
    "ignore_lockout_failure_attempts", "lock_password", "multi_factor_auth_enabled",
    "multi_factor_auth_rules", "ignore_user_inactivity",
}


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - USER_OPTIONS
    if unknown:
        raise ValidationError(IdentityFault.USER_OPTIONS_INVALID, options=sorted(unknown))
    rules = options.get("multi_factor_auth_rules")
    if rules is not None and (not isinstance(rules, list) or not all(
            isinstance(rule, list) and all(isinstance(m, str) for m in rule) for rule in rules)):
        raise ValidationError(IdentityFault.MFA_RULES_INVALID)
    return options


class UserService(IdentityUseCases):
    def _user_target(self, uow: UnitOfWork, user: User) -> policy.Target:
        """A user who administers the cloud is the cloud administrators' to change."""
        protected = administers_cloud(uow, self.p.config, ActorType.USER, user.id)
        return policy.Target(domain_id=user.domain_id, user_id=user.id, protected=protected)

    def create(self, ctx: RequestContext, name: str, domain_id: str | None,
               password: str | None = None, enabled: bool = True,
               default_project_id: str | None = None, options: dict[str, Any] | None = None,
               extra: dict[str, Any] | None = None) -> User:
        domain_id = domain_id or ctx.project_domain_id or ctx.domain_id or "default"
        # Hash before taking the write lock: argon2 is slow on purpose.
        password_hash = self.p.hasher.hash(password) if password else None
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_user", policy.Target(domain_id=domain_id),
                       target_type="user", target_id=None)
            self.domain(uow, domain_id)
            if uow.users.first(domain_id=domain_id, name=name):
                raise Conflict(IdentityFault.USER_NAME_TAKEN, name=name, domain_id=domain_id)
            if default_project_id and uow.projects.get(default_project_id) is None:
                raise NotFound("project", default_project_id)
            now = self.p.clock.now()
            user = User(id=new_id(), name=name, domain_id=domain_id, enabled=enabled,
                        default_project_id=default_project_id, password_hash=password_hash,
                        password_created_at=now if password else None,
                        options=check_options(options or {}), extra=extra or {},
                        created_at=now)
            uow.users.add(user)
            self.record(uow, ctx, "identity.user.create", "user", user.id,
                        project_id=default_project_id)
            uow.commit()
            return user

    def get(self, ctx: RequestContext, user_id: str) -> User:
        with self.p.uow() as uow:
            user = self.user(uow, user_id)
            policy.enforce(ctx, "identity:get_user",
                           policy.Target(domain_id=user.domain_id, user_id=user.id))
            return self._as_seen(user)

    def find(self, ctx: RequestContext, filters: dict[str, Any]) -> list[User]:
        with self.p.uow() as uow:
            if not policy.may(ctx, "identity:list_users",
                                  policy.Target(domain_id=filters.get("domain_id"))):
                if ctx.domain_id and "domain_id" not in filters:
                    filters = {**filters, "domain_id": ctx.domain_id}
                policy.enforce(ctx, "identity:list_users",
                               policy.Target(domain_id=filters.get("domain_id")))
            filters = dict(filters)
            enabled = filters.pop("enabled", None)
            users = [self._as_seen(u) for u in uow.users.find(**filters)]
            return sorted((u for u in users if enabled is None or u.enabled == enabled),
                          key=lambda u: u.name)

    def _as_seen(self, user: User) -> User:
        """A locked-out account reads as disabled (a copy; the stored user is unchanged).

        Re-enabling is how an administrator lifts a lock-out, as in Keystone; but the
        openstack CLI (SDK dirty tracking) only sends `enabled: true` when it read false.
        """
        cfg = self.p.config
        if user.enabled and user.locked_out(self.p.clock.now(), cfg.lockout_failure_attempts,
                                            cfg.lockout_duration):
            return replace(user, enabled=False)
        return user

    def update(self, ctx: RequestContext, user_id: str, changes: dict[str, Any]) -> User:
        password = changes.pop("password", None)
        password_hash = self.p.hasher.hash(password) if password else None
        with self.p.uow(write=True) as uow:
            user = self.user(uow, user_id)
            self.guard(uow, ctx, "identity:update_user", self._user_target(uow, user),
                       target_type="user", target_id=user.id)
            if "domain_id" in changes and changes.pop("domain_id") != user.domain_id:
                raise ValidationError(IdentityFault.DOMAIN_ID_IMMUTABLE)
            unknown = set(changes) - USER_FIELDS
            if unknown:
                raise ValidationError(IdentityFault.ATTRIBUTES_NOT_UPDATABLE,
                                      attributes=sorted(unknown))
            if "name" in changes and changes["name"] != user.name and uow.users.first(
                    domain_id=user.domain_id, name=changes["name"]):
                raise Conflict(IdentityFault.RENAME_TAKEN, kind="user", name=changes["name"])
            if "options" in changes:
                changes["options"] = {**user.options, **check_options(changes["options"])}
                changes["options"] = {k: v for k, v in changes["options"].items()
                                      if v is not None}
            if "extra" in changes:
                changes["extra"] = {**user.extra, **changes["extra"]}
            for key, value in changes.items():
                setattr(user, key, value)
            now = self.p.clock.now()
            if changes.get("enabled") is True:
                # Re-enabling is how an administrator lifts a lock-out.
                user.failed_auth_count = 0
            if password_hash:
                user.password_hash = password_hash
                user.password_created_at = now
                user.failed_auth_count = 0
            if changes.get("enabled") is False or password_hash:
                uow.revocations.add(RevocationEvent(issued_before=now, revoked_at=now,
                                                    user_id=user.id))
            fields = sorted(changes) + (["password"] if password_hash else [])
            self.record(uow, ctx, "identity.user.update", "user", user.id,
                        detail={"fields": fields})
            uow.commit()
            return self._as_seen(user)

    def change_password(self, ctx: RequestContext, user_id: str, original: str,
                        new: str) -> None:
        """Self-service change (POST /v3/users/{id}/password): proves the old password."""
        with self.p.uow() as uow:
            user = self.user(uow, user_id)
            current_hash = user.password_hash
        # No policy check, as in Keystone (an unenforced call): the original password is
        # the proof, whoever's token comes with the request, or none at all.
        if current_hash is None or not self.p.hasher.verify(current_hash, original):
            raise Unauthorized(IdentityFault.PASSWORD_ORIGINAL_WRONG)
        new_hash = self.p.hasher.hash(new)
        with self.p.uow(write=True) as uow:
            user = self.user(uow, user_id)
            if user.options.get("lock_password"):
                raise Forbidden(IdentityFault.PASSWORD_LOCKED)
            now = self.p.clock.now()
            user.password_hash = new_hash
            user.password_created_at = now
            user.failed_auth_count = 0
            uow.revocations.add(RevocationEvent(issued_before=now, revoked_at=now,
                                                user_id=user.id))
            # Keystone takes this call without a token: the old password is the proof.
            self.p.auditor.record(uow, ctx, "identity.user.change_password", "user", user.id,
                                  actor_user_id=user.id)
            uow.commit()

    def delete(self, ctx: RequestContext, user_id: str) -> None:
        with self.p.uow(write=True) as uow:
            user = self.user(uow, user_id)
            self.guard(uow, ctx, "identity:delete_user", self._user_target(uow, user),
                       target_type="user", target_id=user.id)
            if user.id == ctx.user_id:
                raise Forbidden(IdentityFault.USER_DELETES_SELF)
            _purge_user(uow, user.id)
            now = self.p.clock.now()
            uow.revocations.add(RevocationEvent(issued_before=now, revoked_at=now,
                                                user_id=user.id))
            self.record(uow, ctx, "identity.user.delete", "user", user.id)
            uow.commit()


class GroupService(IdentityUseCases):
    def create(self, ctx: RequestContext, name: str, domain_id: str | None,
               description: str = "", extra: dict[str, Any] | None = None) -> Group:
        domain_id = domain_id or ctx.project_domain_id or ctx.domain_id or "default"
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_group", policy.Target(domain_id=domain_id),
                       target_type="group", target_id=None)
            self.domain(uow, domain_id)
            if uow.groups.first(domain_id=domain_id, name=name):
                raise Conflict(IdentityFault.GROUP_NAME_TAKEN, name=name)
            group = Group(id=new_id(), name=name, domain_id=domain_id, description=description,
                          extra=extra or {})
            uow.groups.add(group)
            self.record(uow, ctx, "identity.group.create", "group", group.id)
            uow.commit()
            return group

    def _group_target(self, uow: UnitOfWork, group: Group,
                      user: User | None = None) -> policy.Target:
        """A group holding a role on the cloud's administration (its members are cloud
        administrators or readers) is the cloud administrators' to change."""
        protected = administers_cloud(uow, self.p.config, ActorType.GROUP, group.id) or (
            user is not None and administers_cloud(uow, self.p.config, ActorType.USER, user.id))
        return policy.Target(domain_id=group.domain_id,
                             actor_domain_id=user.domain_id if user else None,
                             protected=protected)

    def _group(self, uow: Any, group_id: str) -> Group:
        group: Group | None = uow.groups.get(group_id)
        if group is None:
            raise NotFound("group", group_id)
        return group

    def get(self, ctx: RequestContext, group_id: str) -> Group:
        with self.p.uow() as uow:
            group = self._group(uow, group_id)
            policy.enforce(ctx, "identity:get_group", policy.Target(domain_id=group.domain_id))
            return group

    def find(self, ctx: RequestContext, filters: dict[str, Any]) -> list[Group]:
        with self.p.uow() as uow:
            if not policy.may(ctx, "identity:list_groups",
                                  policy.Target(domain_id=filters.get("domain_id"))):
                if ctx.domain_id and "domain_id" not in filters:
                    filters = {**filters, "domain_id": ctx.domain_id}
                policy.enforce(ctx, "identity:list_groups",
                               policy.Target(domain_id=filters.get("domain_id")))
            return sorted(uow.groups.find(**filters), key=lambda g: g.name)

    def update(self, ctx: RequestContext, group_id: str, changes: dict[str, Any]) -> Group:
        with self.p.uow(write=True) as uow:
            group = self._group(uow, group_id)
            self.guard(uow, ctx, "identity:update_group", self._group_target(uow, group),
                       target_type="group", target_id=group.id)
            if "domain_id" in changes and changes.pop("domain_id") != group.domain_id:
                raise ValidationError(IdentityFault.DOMAIN_ID_IMMUTABLE)
            if "name" in changes and changes["name"] != group.name and uow.groups.first(
                    domain_id=group.domain_id, name=changes["name"]):
                raise Conflict(IdentityFault.RENAME_TAKEN, kind="group", name=changes["name"])
            for key, value in changes.items():
                setattr(group, key, value)
            self.record(uow, ctx, "identity.group.update", "group", group.id)
            uow.commit()
            return group

    def delete(self, ctx: RequestContext, group_id: str) -> None:
        with self.p.uow(write=True) as uow:
            group = self._group(uow, group_id)
            self.guard(uow, ctx, "identity:delete_group", self._group_target(uow, group),
                       target_type="group", target_id=group.id)
            uow.memberships.delete_where(group_id=group.id)
            uow.assignments.delete_where(actor_id=group.id)
            uow.groups.delete(group)
            self.record(uow, ctx, "identity.group.delete", "group", group.id)
            uow.commit()

    def add_member(self, ctx: RequestContext, group_id: str, user_id: str) -> None:
        with self.p.uow(write=True) as uow:
            group = self._group(uow, group_id)
            user = self.user(uow, user_id)
            self.guard(uow, ctx, "identity:add_user_to_group",
                       self._group_target(uow, group, user), target_type="group",
                       target_id=group.id)
            if uow.memberships.first(group_id=group_id, user_id=user_id) is None:
                uow.memberships.add(GroupMembership(group_id=group_id, user_id=user_id))
                self.record(uow, ctx, "identity.group.add_member", "group", group.id,
                            detail={"user_id": user_id})
            uow.commit()

    def remove_member(self, ctx: RequestContext, group_id: str, user_id: str) -> None:
        with self.p.uow(write=True) as uow:
            group = self._group(uow, group_id)
            user = self.user(uow, user_id)
            self.guard(uow, ctx, "identity:remove_user_from_group",
                       self._group_target(uow, group, user), target_type="group",
                       target_id=group.id)
            membership = uow.memberships.first(group_id=group_id, user_id=user_id)
            if membership is None:
                raise NotFound("membership", f"{user_id} in {group_id}")
            uow.memberships.delete(membership)
            now = self.p.clock.now()
            uow.revocations.add(RevocationEvent(issued_before=now, revoked_at=now,
                                                user_id=user_id))
            self.record(uow, ctx, "identity.group.remove_member", "group", group.id,
                        detail={"user_id": user_id})
            uow.commit()

    def check_member(self, ctx: RequestContext, group_id: str, user_id: str) -> None:
        with self.p.uow() as uow:
            group = self._group(uow, group_id)
            user = self.user(uow, user_id)
            policy.enforce(ctx, "identity:check_user_in_group",
                           policy.Target(domain_id=group.domain_id,
                                         actor_domain_id=user.domain_id))
            if uow.memberships.first(group_id=group_id, user_id=user_id) is None:
                raise NotFound("membership", f"{user_id} in {group_id}")

    def members(self, ctx: RequestContext, group_id: str) -> list[User]:
        with self.p.uow() as uow:
            group = self._group(uow, group_id)
            policy.enforce(ctx, "identity:list_users_in_group",
                           policy.Target(domain_id=group.domain_id))
            ids = [m.user_id for m in uow.memberships.find(group_id=group_id)]
            found = uow.users.find(id=ids) if ids else []
            # A domain reader sees the members of its own domain only.
            domain_id = policy.reads_only_domain(ctx)
            return sorted((u for u in found if domain_id is None or u.domain_id == domain_id),
                          key=lambda u: u.name)

    def groups_of(self, ctx: RequestContext, user_id: str) -> list[Group]:
        with self.p.uow() as uow:
            user = self.user(uow, user_id)
            policy.enforce(ctx, "identity:list_groups_for_user",
                           policy.Target(domain_id=user.domain_id, user_id=user.id))
            ids = [m.group_id for m in uow.memberships.find(user_id=user_id)]
            found = uow.groups.find(id=ids) if ids else []
            # A user sees all their groups; a domain reader only its domain's.
            domain_id = None if ctx.user_id == user_id else policy.reads_only_domain(ctx)
            return sorted((g for g in found if domain_id is None or g.domain_id == domain_id),
                          key=lambda g: g.name)
