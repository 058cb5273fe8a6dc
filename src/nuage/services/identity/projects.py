"""Domains and projects."""

from __future__ import annotations

from typing import Any

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.identity import (
    Domain,
    Project,
    RevocationEvent,
    TargetType,
    new_id,
)
from nuage.domain.identity_errors import IdentityFault
from nuage.ports.repositories import UnitOfWork
from nuage.services.identity.assignments import actor_ids
from nuage.services.identity.base import IdentityUseCases

# Keystone's limit on a project's tags.
MAX_TAGS = 80
PROJECT_FIELDS = {"name", "description", "enabled", "tags", "options", "extra"}


class DomainService(IdentityUseCases):
    def create(self, ctx: RequestContext, name: str, description: str = "",
               enabled: bool = True, tags: list[str] | None = None,
               extra: dict[str, Any] | None = None, domain_id: str | None = None) -> Domain:
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_domain", policy.Target(),
                       target_type="domain", target_id=None)
            if uow.domains.first(name=name):
                raise Conflict(IdentityFault.DOMAIN_NAME_TAKEN, name=name)
            domain = Domain(id=domain_id or new_id(), name=name, description=description,
                            enabled=enabled, tags=tags or [], extra=extra or {})
            uow.domains.add(domain)
            self.record(uow, ctx, "identity.domain.create", "domain", domain.id)
            uow.commit()
            return domain

    def get(self, ctx: RequestContext, domain_id: str) -> Domain:
        with self.p.uow() as uow:
            domain = self.domain(uow, domain_id)
            policy.enforce(ctx, "identity:get_domain", policy.Target(domain_id=domain.id))
            return domain

    def list_for_user(self, ctx: RequestContext, user_id: str) -> list[Domain]:
        """Enabled domains where the user or a group of theirs holds a role (/auth/domains)."""
        with self.p.uow() as uow:
            user = self.user(uow, user_id)
            policy.enforce(ctx, "identity:list_user_projects",
                           policy.Target(domain_id=user.domain_id, user_id=user.id))
            rows = uow.assignments.find(actor_id=actor_ids(uow, user_id),
                                        target_type=TargetType.DOMAIN.value, inherited=False)
            ids = {a.target_id for a in rows}
            found = uow.domains.find(id=ids) if ids else []
            return sorted((d for d in found if d.enabled), key=lambda d: d.id)

    def find(self, ctx: RequestContext, name: str | None = None,
             enabled: bool | None = None) -> list[Domain]:
        with self.p.uow() as uow:
            filters: dict[str, Any] = {}
            if name is not None:
                filters["name"] = name
            if enabled is not None:
                filters["enabled"] = enabled
            found = uow.domains.find(**filters)
            if policy.may(ctx, "identity:list_domains"):
                return found
            # Others see the domains they are scoped within.
            return [d for d in found
                    if policy.may(ctx, "identity:get_domain", policy.Target(domain_id=d.id))]

    def update(self, ctx: RequestContext, domain_id: str, changes: dict[str, Any]) -> Domain:
        with self.p.uow(write=True) as uow:
            domain = self.domain(uow, domain_id)
            self.guard(uow, ctx, "identity:update_domain", policy.Target(domain_id=domain.id),
                       target_type="domain", target_id=domain.id)
            if "name" in changes and changes["name"] != domain.name and uow.domains.first(
                    name=changes["name"]):
                raise Conflict(IdentityFault.RENAME_TAKEN, kind="domain", name=changes["name"])
            for key, value in changes.items():
                setattr(domain, key, value)
            if changes.get("enabled") is False:
                uow.revocations.add(RevocationEvent(issued_before=self.p.clock.now(),
                                                    revoked_at=self.p.clock.now(),
                                                    domain_id=domain.id))
            self.record(uow, ctx, "identity.domain.update", "domain", domain.id,
                        detail={"fields": sorted(changes)})
            uow.commit()
            return domain

    def delete(self, ctx: RequestContext, domain_id: str) -> None:
        with self.p.uow(write=True) as uow:
            domain = self.domain(uow, domain_id)
            self.guard(uow, ctx, "identity:delete_domain", policy.Target(domain_id=domain.id),
                       target_type="domain", target_id=domain.id)
            if domain.enabled:
                # Keystone answers 403 here (ForbiddenNotSecurity), not 400.
                raise Forbidden(IdentityFault.DOMAIN_ENABLED, domain_id=domain.id)
            projects = uow.projects.find(domain_id=domain.id)
            _refuse_if_owning(uow, [p.id for p in projects], "domain", domain.id)
            for project in projects:
                _purge_project(uow, project)
            for user in uow.users.find(domain_id=domain.id):
                _purge_user(uow, user.id)
            for group in uow.groups.find(domain_id=domain.id):
                uow.memberships.delete_where(group_id=group.id)
                uow.assignments.delete_where(actor_id=group.id)
                uow.groups.delete(group)
            uow.assignments.delete_where(target_type=TargetType.DOMAIN.value,
                                         target_id=domain.id)
            for role in uow.roles.find(domain_id=domain.id):
                uow.implied_roles.delete_where(prior_role_id=role.id)
                uow.implied_roles.delete_where(implied_role_id=role.id)
                uow.roles.delete(role)
            uow.domains.delete(domain)
            self.record(uow, ctx, "identity.domain.delete", "domain", domain.id)
            uow.commit()


class ProjectService(IdentityUseCases):
    def create(self, ctx: RequestContext, name: str, domain_id: str | None,
               parent_id: str | None = None, description: str = "", enabled: bool = True,
               tags: list[str] | None = None, options: dict[str, Any] | None = None,
               extra: dict[str, Any] | None = None) -> Project:
        with self.p.uow(write=True) as uow:
            if parent_id:
                parent = uow.projects.get(parent_id)
                if parent is None:
                    raise NotFound("project", parent_id)
                if domain_id and domain_id != parent.domain_id:
                    raise ValidationError(IdentityFault.PROJECT_PARENT_DOMAIN)
                domain_id = parent.domain_id
            domain_id = domain_id or ctx.project_domain_id or ctx.domain_id or "default"
            target = policy.Target(domain_id=domain_id)
            self.guard(uow, ctx, "identity:create_project", target,
                       target_type="project", target_id=None)
            self.domain(uow, domain_id)
            if uow.projects.first(domain_id=domain_id, name=name):
                raise Conflict(IdentityFault.PROJECT_NAME_TAKEN, name=name, domain_id=domain_id)
            project = Project(id=new_id(), name=name, domain_id=domain_id, parent_id=parent_id,
                              description=description, enabled=enabled, tags=tags or [],
                              options=options or {}, extra=extra or {})
            uow.projects.add(project)
            self.record(uow, ctx, "identity.project.create", "project", project.id,
                        project_id=project.id)
            uow.commit()
            return project

    def get(self, ctx: RequestContext, project_id: str) -> Project:
        with self.p.uow() as uow:
            project = self.project(uow, project_id)
            policy.enforce(ctx, "identity:get_project",
                           policy.Target(domain_id=project.domain_id, project_id=project.id))
            return project

    def find(self, ctx: RequestContext, filters: dict[str, Any],
             tags: list[str] | None = None, tags_any: list[str] | None = None,
             not_tags: list[str] | None = None) -> list[Project]:
        with self.p.uow() as uow:
            if not policy.may(ctx, "identity:list_projects",
                                  policy.Target(domain_id=filters.get("domain_id"))):
                if ctx.domain_id and "domain_id" not in filters:
                    filters = {**filters, "domain_id": ctx.domain_id}
                policy.enforce(ctx, "identity:list_projects",
                               policy.Target(domain_id=filters.get("domain_id")))
            found = uow.projects.find(**filters)
        return [p for p in found if _tags_match(p.tags, tags, tags_any, not_tags)]

    def list_for_user(self, ctx: RequestContext, user_id: str) -> list[Project]:
        """Projects where the user holds any role (GET /users/{id}/projects, /auth/projects)."""
        with self.p.uow() as uow:
            user = self.user(uow, user_id)
            policy.enforce(ctx, "identity:list_user_projects",
                           policy.Target(domain_id=user.domain_id, user_id=user.id))
            found = projects_of_user(uow, user_id)
            # A domain reader sees the user's projects in its own domain only.
            domain_id = None if ctx.user_id == user_id else policy.reads_only_domain(ctx)
            return [p for p in found if domain_id is None or p.domain_id == domain_id]

    def update(self, ctx: RequestContext, project_id: str, changes: dict[str, Any]) -> Project:
        with self.p.uow(write=True) as uow:
            project = self.project(uow, project_id)
            self.guard(uow, ctx, "identity:update_project",
                       policy.Target(domain_id=project.domain_id, project_id=project.id,
                                     protected=self.is_admin_project(project)),
                       target_type="project", target_id=project.id)
            if "domain_id" in changes and changes.pop("domain_id") != project.domain_id:
                raise ValidationError(IdentityFault.DOMAIN_ID_IMMUTABLE)
            if "parent_id" in changes and changes.pop("parent_id") != project.parent_id:
                raise Forbidden(IdentityFault.PARENT_ID_IMMUTABLE)
            unknown = set(changes) - PROJECT_FIELDS
            if unknown:
                raise ValidationError(IdentityFault.ATTRIBUTES_NOT_UPDATABLE,
                                      attributes=sorted(unknown))
            if "name" in changes and changes["name"] != project.name and uow.projects.first(
                    domain_id=project.domain_id, name=changes["name"]):
                raise Conflict(IdentityFault.RENAME_TAKEN, kind="project", name=changes["name"])
            for key, value in changes.items():
                setattr(project, key, value)
            if changes.get("enabled") is False:
                now = self.p.clock.now()
                uow.revocations.add(RevocationEvent(issued_before=now, revoked_at=now,
                                                    project_id=project.id))
            self.record(uow, ctx, "identity.project.update", "project", project.id,
                        project_id=project.id, detail={"fields": sorted(changes)})
            uow.commit()
            return project

    def delete(self, ctx: RequestContext, project_id: str) -> None:
        with self.p.uow(write=True) as uow:
            project = self.project(uow, project_id)
            self.guard(uow, ctx, "identity:delete_project",
                       policy.Target(domain_id=project.domain_id, project_id=project.id,
                                     protected=self.is_admin_project(project)),
                       target_type="project", target_id=project.id)
            if uow.projects.first(parent_id=project.id):
                raise Forbidden(IdentityFault.PROJECT_HAS_CHILDREN, project_id=project.id)
            if self.is_admin_project(project):
                raise Forbidden(IdentityFault.ADMIN_PROJECT_UNDELETABLE, project_id=project.id)
            _refuse_if_owning(uow, [project.id], "project", project.id)
            _purge_project(uow, project)
            now = self.p.clock.now()
            uow.revocations.add(RevocationEvent(issued_before=now, revoked_at=now,
                                                project_id=project.id))
            self.record(uow, ctx, "identity.project.delete", "project", project.id,
                        project_id=project.id)
            uow.commit()

    def tags(self, ctx: RequestContext, project_id: str) -> list[str]:
        return list(self.get(ctx, project_id).tags)

    def set_tags(self, ctx: RequestContext, project_id: str, tags: list[str]) -> list[str]:
        return list(self.update(ctx, project_id, {"tags": _check_tags(tags)}).tags)

    def add_tag(self, ctx: RequestContext, project_id: str, tag: str) -> None:
        current = self.tags(ctx, project_id)
        if tag not in current:
            self.set_tags(ctx, project_id, [*current, tag])

    def has_tag(self, ctx: RequestContext, project_id: str, tag: str) -> None:
        if tag not in self.tags(ctx, project_id):
            raise NotFound("tag", tag)

    def remove_tag(self, ctx: RequestContext, project_id: str, tag: str) -> None:
        current = self.tags(ctx, project_id)
        if tag not in current:
            raise NotFound("tag", tag)
        self.set_tags(ctx, project_id, [t for t in current if t != tag])


def _check_tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise ValidationError(IdentityFault.PROJECT_TOO_MANY_TAGS, limit=MAX_TAGS)
    for tag in tags:
        if not isinstance(tag, str) or not tag or len(tag) > 255 or "/" in tag or "," in tag:
            raise ValidationError(IdentityFault.PROJECT_TAG_INVALID, tag=tag)
    return list(dict.fromkeys(tags))


def _tags_match(have: list[str], tags: list[str] | None, tags_any: list[str] | None,
                not_tags: list[str] | None) -> bool:
    present = set(have)
    if tags and not set(tags) <= present:
        return False
    if tags_any and not set(tags_any) & present:
        return False
    return not (not_tags and set(not_tags) <= present)


def projects_of_user(uow: UnitOfWork, user_id: str) -> list[Project]:
    actors = actor_ids(uow, user_id)
    rows = uow.assignments.find(actor_id=actors, target_type=TargetType.PROJECT.value)
    ids = {a.target_id for a in rows}
    domains = {a.target_id for a in uow.assignments.find(
        actor_id=actors, target_type=TargetType.DOMAIN.value, inherited=True)}
    found = uow.projects.find(id=ids) if ids else []
    if domains:
        found += uow.projects.find(domain_id=domains)
    unique = {p.id: p for p in found}
    return sorted(unique.values(), key=lambda p: p.name)


def remaining_resources(uow: UnitOfWork, project_ids: list[str]) -> dict[str, list[str]]:
    """What the projects still own that nobody could reach once they are gone: servers not
    deleted (a guest running for nobody) and buckets (only the owner project reaches one,
    and its name stays taken). Images do not hold a project, as in Keystone and Glance:
    cloud administrators see and manage every image (delete it, or give it an owner), and
    OpenStack's own tests delete projects that still own an image (Tempest's 2.47
    createBackup test). Key pairs belong to users, not projects."""
    if not project_ids:
        return {}
    found = {
        "servers": sorted(s.id for s in uow.servers.find(project_id=project_ids, deleted=False)),
        "buckets": sorted(b.name for b in uow.buckets.find(project_id=project_ids)),
    }
    return {kind: items for kind, items in found.items() if items}


def _refuse_if_owning(uow: UnitOfWork, project_ids: list[str], kind: str, ident: str) -> None:
    """Deleting a project that still owns resources would orphan them: servers running for
    nobody, buckets nobody reaches. Refused (409) with the list (the wording quotes it, as
    Keystone's envelope carries it: in the message)."""
    remaining = remaining_resources(uow, project_ids)
    if not remaining:
        return
    raise Conflict(IdentityFault.OWNS_RESOURCES, kind=kind, ident=ident, remaining=remaining)


def _purge_project(uow: UnitOfWork, project: Project) -> None:
    uow.assignments.delete_where(target_type=TargetType.PROJECT.value, target_id=project.id)
    uow.app_creds.delete_where(project_id=project.id)
    uow.credentials.delete_where(project_id=project.id)
    uow.projects.delete(project)


def _purge_user(uow: UnitOfWork, user_id: str) -> None:
    uow.memberships.delete_where(user_id=user_id)
    uow.assignments.delete_where(actor_id=user_id)
    uow.app_creds.delete_where(user_id=user_id)
    uow.credentials.delete_where(user_id=user_id)
    user = uow.users.get(user_id)
    if user is not None:
        uow.users.delete(user)
