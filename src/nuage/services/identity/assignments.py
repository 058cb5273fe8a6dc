"""Role assignments: granting, revoking, listing, and the roles a user holds somewhere."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.identity import SYSTEM_ALL, ActorType, Assignment, Project, Role, TargetType
from nuage.domain.identity_errors import IdentityFault
from nuage.domain.tokens import Scope
from nuage.ports.repositories import UnitOfWork
from nuage.services.identity.base import IdentityConfig, IdentityUseCases


def expand_implied(uow: UnitOfWork, role_ids: set[str]) -> list[Role]:
    """The roles plus every role they imply, transitively (admin -> member -> reader)."""
    seen = set(role_ids)
    frontier = set(role_ids)
    while frontier:
        implied = uow.implied_roles.find(prior_role_id=frontier)
        frontier = {i.implied_role_id for i in implied} - seen
        seen |= frontier
    if not seen:
        return []
    return sorted(uow.roles.find(id=seen), key=lambda r: r.name)


def project_ancestors(uow: UnitOfWork, project_id: str) -> list[str]:
    ancestors: list[str] = []
    current = uow.projects.get(project_id)
    while current is not None and current.parent_id and current.parent_id not in ancestors:
        ancestors.append(current.parent_id)
        current = uow.projects.get(current.parent_id)
    return ancestors


def actor_ids(uow: UnitOfWork, user_id: str) -> list[str]:
    return [user_id] + [m.group_id for m in uow.memberships.find(user_id=user_id)]


def reaches_cloud_administration(uow: UnitOfWork, cfg: IdentityConfig, target_type: str,
                                 target_id: str, inherited: bool) -> bool:
    """Whether a role given there makes its holder a cloud administrator or reader: on the
    system, or on the admin project (directly, or inherited from its domain or ancestors)."""
    if target_type == TargetType.SYSTEM.value:
        return True
    admin = uow.projects.first(name=cfg.admin_project_name,
                               domain_id=cfg.admin_project_domain_id)
    if admin is None:
        return False
    if target_type == TargetType.PROJECT.value:
        return target_id == admin.id or (inherited and target_id in project_ancestors(
            uow, admin.id))
    return inherited and target_type == TargetType.DOMAIN.value and target_id == admin.domain_id


def administers_cloud(uow: UnitOfWork, cfg: IdentityConfig, actor_type: ActorType,
                      actor_id: str) -> bool:
    """Whether the user (or one of its groups), or the group, holds a role reaching the
    cloud's administration."""
    actors = actor_ids(uow, actor_id) if actor_type is ActorType.USER else [actor_id]
    return any(reaches_cloud_administration(uow, cfg, a.target_type, a.target_id, a.inherited)
               for a in uow.assignments.find(actor_id=actors))


def direct_role_ids(uow: UnitOfWork, user_id: str, scope: Scope) -> set[str]:
    """Roles assigned to the user or its groups on the scope (including inherited ones)."""
    actors = actor_ids(uow, user_id)
    found: list[Assignment]
    if scope.project_id:
        project = uow.projects.get(scope.project_id)
        if project is None:
            return set()
        found = uow.assignments.find(actor_id=actors, target_type=TargetType.PROJECT.value,
                                     target_id=scope.project_id, inherited=False)
        found += uow.assignments.find(actor_id=actors, target_type=TargetType.DOMAIN.value,
                                      target_id=project.domain_id, inherited=True)
        ancestors = project_ancestors(uow, project.id)
        if ancestors:
            found += uow.assignments.find(actor_id=actors, target_type=TargetType.PROJECT.value,
                                          target_id=ancestors, inherited=True)
    elif scope.domain_id:
        found = uow.assignments.find(actor_id=actors, target_type=TargetType.DOMAIN.value,
                                     target_id=scope.domain_id, inherited=False)
    elif scope.system:
        found = uow.assignments.find(actor_id=actors, target_type=TargetType.SYSTEM.value,
                                     target_id=SYSTEM_ALL)
    else:
        return set()
    return {a.role_id for a in found}


def effective_roles(uow: UnitOfWork, user_id: str, scope: Scope) -> list[Role]:
    return expand_implied(uow, direct_role_ids(uow, user_id, scope))


@dataclass(frozen=True)
class Grant:
    actor_type: ActorType
    actor_id: str
    target_type: TargetType
    target_id: str
    role_id: str
    inherited: bool = False


@dataclass(frozen=True)
class AssignmentFilter:
    user_id: str | None = None
    group_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    role_id: str | None = None
    effective: bool = False
    inherited: bool | None = None
    include_subtree: bool = False


@dataclass(frozen=True)
class AssignmentView:
    """One row of GET /v3/role_assignments; `via_group_id` is set for effective rows.

    `prior_role_id` is set on an effective row that holds a role implied by another;
    `inherited_from` on one that an inherited assignment (domain or parent project) gives.
    """

    assignment: Assignment
    via_group_id: str | None = None
    prior_role_id: str | None = None
    inherited_from: Assignment | None = None


class AssignmentService(IdentityUseCases):
    def _check_parties(self, uow: UnitOfWork, grant: Grant) -> policy.Target:
        """Both parties exist; the policy target names the domain of each (a domain
        administrator needs the actor, the target and a domain-specific role in its own),
        and whether the grant touches the cloud's administration."""
        return replace(self._parties(uow, grant), protected=reaches_cloud_administration(
            uow, self.p.config, grant.target_type.value, grant.target_id, grant.inherited)
            or administers_cloud(uow, self.p.config, grant.actor_type, grant.actor_id))

    def _parties(self, uow: UnitOfWork, grant: Grant) -> policy.Target:
        actor_domain = self._actor_domain(uow, grant.actor_type, grant.actor_id)
        role = self.role(uow, grant.role_id)
        if grant.target_type is TargetType.PROJECT:
            project = self.project(uow, grant.target_id)
            if role.domain_id and role.domain_id != project.domain_id:
                raise ValidationError(IdentityFault.ROLE_OUTSIDE_ITS_DOMAIN, role_id=role.id)
            return policy.Target(domain_id=project.domain_id, project_id=project.id,
                                 actor_domain_id=actor_domain, role_domain_id=role.domain_id)
        if grant.target_type is TargetType.DOMAIN:
            self.domain(uow, grant.target_id)
            if role.domain_id and role.domain_id != grant.target_id:
                raise ValidationError(IdentityFault.ROLE_OUTSIDE_ITS_DOMAIN, role_id=role.id)
            return policy.Target(domain_id=grant.target_id, actor_domain_id=actor_domain,
                                 role_domain_id=role.domain_id)
        return policy.Target()

    def _actor_domain(self, uow: UnitOfWork, actor_type: ActorType, actor_id: str) -> str:
        if actor_type is ActorType.USER:
            return self.user(uow, actor_id).domain_id
        group = uow.groups.get(actor_id)
        if group is None:
            raise NotFound("group", actor_id)
        return group.domain_id

    def _action(self, grant: Grant, verb: str) -> str:
        system = "system_" if grant.target_type is TargetType.SYSTEM else ""
        return f"identity:{verb}_{system}grant"

    def grant(self, ctx: RequestContext, grant: Grant) -> None:
        with self.p.uow(write=True) as uow:
            target = self._check_parties(uow, grant)
            self.guard(uow, ctx, self._action(grant, "create"), target,
                       target_type="role_assignment", target_id=grant.role_id)
            existing = uow.assignments.first(**self._key(grant))
            if existing is None:
                uow.assignments.add(Assignment(**self._key(grant)))
                self.record(uow, ctx, "identity.role_assignment.create", "role_assignment",
                            grant.role_id, project_id=target.project_id,
                            detail=self._detail(grant))
            uow.commit()

    def check(self, ctx: RequestContext, grant: Grant) -> None:
        with self.p.uow() as uow:
            target = self._check_parties(uow, grant)
            self.guard(uow, ctx, self._action(grant, "check"), target,
                       target_type="role_assignment", target_id=grant.role_id)
            if uow.assignments.first(**self._key(grant)) is None:
                raise NotFound("role assignment", grant.role_id)

    def revoke(self, ctx: RequestContext, grant: Grant) -> None:
        with self.p.uow(write=True) as uow:
            target = self._check_parties(uow, grant)
            self.guard(uow, ctx, self._action(grant, "revoke"), target,
                       target_type="role_assignment", target_id=grant.role_id)
            existing = uow.assignments.first(**self._key(grant))
            if existing is None:
                raise NotFound("role assignment", grant.role_id)
            uow.assignments.delete(existing)
            self.record(uow, ctx, "identity.role_assignment.delete", "role_assignment",
                        grant.role_id, project_id=target.project_id, detail=self._detail(grant))
            uow.commit()

    def list_grants(self, ctx: RequestContext, actor_type: ActorType, actor_id: str,
                    target_type: TargetType, target_id: str, inherited: bool = False
                    ) -> list[Role]:
        with self.p.uow() as uow:
            actor_domain = self._actor_domain(uow, actor_type, actor_id)
            target = policy.Target()
            if target_type is TargetType.PROJECT:
                project = self.project(uow, target_id)
                target = policy.Target(domain_id=project.domain_id, project_id=project.id,
                                       actor_domain_id=actor_domain)
            elif target_type is TargetType.DOMAIN:
                self.domain(uow, target_id)
                target = policy.Target(domain_id=target_id, actor_domain_id=actor_domain)
            action = ("identity:list_system_grants" if target_type is TargetType.SYSTEM
                      else "identity:list_grants")
            self.guard(uow, ctx, action, target, target_type="role_assignment", target_id=None)
            rows = uow.assignments.find(actor_id=actor_id, target_type=target_type.value,
                                        target_id=target_id, inherited=inherited)
            roles = [uow.roles.get(r.role_id) for r in rows]
            return sorted((r for r in roles if r is not None), key=lambda r: r.name)

    def names(self, views: list[AssignmentView]) -> dict[str, dict[str, object]]:
        with self.p.uow() as uow:
            return describe(uow, views)

    def list_assignments(self, ctx: RequestContext, f: AssignmentFilter) -> list[AssignmentView]:
        with self.p.uow() as uow:
            target = policy.Target()
            if f.project_id:
                project = uow.projects.get(f.project_id)
                target = policy.Target(domain_id=project.domain_id if project else None,
                                       project_id=f.project_id)
            elif f.domain_id:
                target = policy.Target(domain_id=f.domain_id)
            # A user may always list their own assignments (Keystone allows this too).
            if policy.may(ctx, "identity:list_own_role_assignments",
                          policy.Target(user_id=f.user_id)):
                return self._query(uow, f)
            policy.enforce(ctx, "identity:list_role_assignments", target)
            views = self._query(uow, f)
            domain_id = policy.reads_only_domain(ctx)
            return views if domain_id is None else _within(uow, views, domain_id)

    def _query(self, uow: UnitOfWork, f: AssignmentFilter) -> list[AssignmentView]:
        equals: dict[str, object] = {}
        if f.role_id:
            equals["role_id"] = f.role_id
        if f.inherited is not None:
            equals["inherited"] = f.inherited
        if f.project_id:
            targets: list[str] = [f.project_id]
            if f.include_subtree:
                targets += [p.id for p in self._subtree(uow, f.project_id)]
            equals.update(target_type=TargetType.PROJECT.value, target_id=targets)
        elif f.domain_id:
            equals.update(target_type=TargetType.DOMAIN.value, target_id=f.domain_id)
        elif f.system:
            equals.update(target_type=TargetType.SYSTEM.value)
        if f.effective:
            return self._effective(uow, f, equals)
        if f.user_id:
            equals.update(actor_type=ActorType.USER.value, actor_id=f.user_id)
        elif f.group_id:
            equals.update(actor_type=ActorType.GROUP.value, actor_id=f.group_id)
        rows = uow.assignments.find(**equals)
        return [AssignmentView(a) for a in sorted(rows, key=_order)]

    def _effective(self, uow: UnitOfWork, f: AssignmentFilter,
                   equals: dict[str, object]) -> list[AssignmentView]:
        """What `effective` asks, as Keystone computes it: group assignments expanded to
        their members, inherited ones to the projects below their target, implied roles."""
        equals.pop("inherited", None)
        # As in Keystone, the role filter applies after implied roles are expanded.
        role_id = equals.pop("role_id", None)
        target_type = equals.pop("target_type", None)
        raw_ids = equals.pop("target_id", None)
        target_ids = None if raw_ids is None else (
            set(raw_ids) if isinstance(raw_ids, list) else {str(raw_ids)})

        def rows(**q: object) -> list[Assignment]:
            if not f.user_id:
                return uow.assignments.find(**q)
            groups = [m.group_id for m in uow.memberships.find(user_id=f.user_id)]
            found = uow.assignments.find(actor_type=ActorType.USER.value, actor_id=f.user_id,
                                         **q)
            if groups:
                found += uow.assignments.find(actor_type=ActorType.GROUP.value,
                                              actor_id=groups, **q)
            return found

        where: dict[str, object] = {"inherited": False}
        if target_type is not None:
            where["target_type"] = target_type
        if target_ids is not None:
            where["target_id"] = sorted(target_ids)
        found: list[tuple[Assignment, Assignment | None]] = [(a, None) for a in rows(**where)]
        if target_type in (None, TargetType.PROJECT.value):
            for a in rows(inherited=True):
                for pid in self._inherited_targets(uow, a):
                    if target_ids is None or pid in target_ids:
                        found.append((Assignment(a.actor_type, a.actor_id,
                                                 TargetType.PROJECT.value, pid, a.role_id), a))
        views: list[AssignmentView] = []
        for a, source in found:
            if a.actor_type == ActorType.USER.value:
                views.append(AssignmentView(a, inherited_from=source))
                continue
            for m in uow.memberships.find(group_id=a.actor_id):
                if f.user_id and m.user_id != f.user_id:
                    continue
                views.append(AssignmentView(
                    Assignment(ActorType.USER.value, m.user_id, a.target_type, a.target_id,
                               a.role_id), via_group_id=a.actor_id, inherited_from=source))
        views = _with_implied(uow, views)
        if role_id:
            views = [v for v in views if v.assignment.role_id == role_id]
        return sorted(views, key=lambda v: _order(v.assignment))

    def _inherited_targets(self, uow: UnitOfWork, a: Assignment) -> list[str]:
        """The projects an inherited assignment reaches: all of a domain's, or a subtree."""
        if a.target_type == TargetType.DOMAIN.value:
            return [p.id for p in uow.projects.find(domain_id=a.target_id)]
        if a.target_type == TargetType.PROJECT.value:
            return [p.id for p in self._subtree(uow, a.target_id)]
        return []

    def _subtree(self, uow: UnitOfWork, project_id: str) -> list[Project]:
        out: list[Project] = []
        frontier = [project_id]
        while frontier:
            children = uow.projects.find(parent_id=frontier)
            out += children
            frontier = [c.id for c in children]
        return out

    @staticmethod
    def _key(grant: Grant) -> dict[str, Any]:
        return {
            "actor_type": grant.actor_type.value, "actor_id": grant.actor_id,
            "target_type": grant.target_type.value, "target_id": grant.target_id,
            "role_id": grant.role_id, "inherited": grant.inherited,
        }

    @staticmethod
    def _detail(grant: Grant) -> dict[str, object]:
        return {
            "actor_type": grant.actor_type.value, "actor_id": grant.actor_id,
            "target_type": grant.target_type.value, "target_id": grant.target_id,
            "inherited": grant.inherited,
        }


def _with_implied(uow: UnitOfWork, views: list[AssignmentView]) -> list[AssignmentView]:
    """Add the roles each row's role implies; drop domain-specific roles, as Keystone does.

    A domain-specific role is never effective itself, only through the roles it implies.
    """
    rules: dict[str, list[str]] = {}
    for rule in uow.implied_roles.find():
        rules.setdefault(rule.prior_role_id, []).append(rule.implied_role_id)
    out: list[AssignmentView] = []
    for view in views:
        out.append(view)
        seen = {view.assignment.role_id}
        frontier = [view.assignment.role_id]
        while frontier:
            prior = frontier.pop()
            for implied in rules.get(prior, []):
                if implied in seen:
                    continue
                seen.add(implied)
                frontier.append(implied)
                a = view.assignment
                out.append(AssignmentView(
                    Assignment(a.actor_type, a.actor_id, a.target_type, a.target_id, implied),
                    via_group_id=view.via_group_id, prior_role_id=prior,
                    inherited_from=view.inherited_from))
    role_ids = {v.assignment.role_id for v in out}
    scoped = {r.id for r in uow.roles.find(id=role_ids) if r.domain_id} if role_ids else set()
    return [v for v in out if v.assignment.role_id not in scoped]


def _within(uow: UnitOfWork, views: list[AssignmentView], domain_id: str
            ) -> list[AssignmentView]:
    """The rows a domain reader may see: actor (and the group it came through), target and
    role all in its domain. A user of another domain granted a role here is that domain's
    business, and so is a group of another domain."""
    users = {v.assignment.actor_id for v in views if v.assignment.actor_type == "user"}
    groups = {v.assignment.actor_id for v in views if v.assignment.actor_type == "group"}
    groups |= {v.via_group_id for v in views if v.via_group_id}
    projects = {v.assignment.target_id for v in views if v.assignment.target_type == "project"}
    roles = {v.assignment.role_id for v in views}
    home: dict[str, str] = {}
    for user in uow.users.find(id=users) if users else []:
        home[user.id] = user.domain_id
    for group in uow.groups.find(id=groups) if groups else []:
        home[group.id] = group.domain_id
    for project in uow.projects.find(id=projects) if projects else []:
        home[project.id] = project.domain_id
    foreign_roles = {r.id for r in uow.roles.find(id=roles)
                     if r.domain_id and r.domain_id != domain_id} if roles else set()

    def inside(v: AssignmentView) -> bool:
        a = v.assignment
        target = a.target_id if a.target_type == "domain" else home.get(a.target_id)
        return (target == domain_id and home.get(a.actor_id) == domain_id
                and (v.via_group_id is None or home.get(v.via_group_id) == domain_id)
                and a.role_id not in foreign_roles)

    return [v for v in views if inside(v)]


def _order(a: Assignment) -> tuple[str, str, str, str]:
    return (a.target_type, a.target_id, a.actor_id, a.role_id)


def describe(uow: UnitOfWork, views: list[AssignmentView]) -> dict[str, dict[str, object]]:
    """Names for the ids in assignment rows (`include_names`)."""
    domains = {d.id: d for d in uow.domains.find()}

    def dom(domain_id: str | None) -> dict[str, object]:
        d = domains.get(domain_id or "")
        return {"id": domain_id, "name": d.name if d else None}

    out: dict[str, dict[str, object]] = {}
    rows = [v.assignment for v in views]
    for role in uow.roles.find(id={a.role_id for a in rows}) if rows else []:
        out[role.id] = {"name": role.name} | ({"domain": dom(role.domain_id)}
                                              if role.domain_id else {})
    users = {a.actor_id for a in rows if a.actor_type == "user"}
    for user in uow.users.find(id=users) if users else []:
        out[user.id] = {"name": user.name, "domain": dom(user.domain_id)}
    groups = {a.actor_id for a in rows if a.actor_type == "group"}
    for group in uow.groups.find(id=groups) if groups else []:
        out[group.id] = {"name": group.name, "domain": dom(group.domain_id)}
    projects = {a.target_id for a in rows if a.target_type == "project"}
    for project in uow.projects.find(id=projects) if projects else []:
        out[project.id] = {"name": project.name, "domain": dom(project.domain_id)}
    for a in rows:
        if a.target_type == "domain" and a.target_id in domains:
            out[a.target_id] = {"name": domains[a.target_id].name}
    return out
