"""Security groups: create, show, list, update, delete, and each project's `default` group.

A project's default group is made on first need (the project lists its groups, creates a
group or a port), with Neutron's rules: all egress, and ingress from members of the same
group, for IPv4 and IPv6. Its row in default_security_groups is keyed by project, and it
is made after the project's network lock, so two first needs make one group. A new group
of a client's gets the two egress rules; its rules are SecurityGroupRuleService's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from nuage.domain import network_security as sg
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_security import (
    DefaultSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import NetworkPorts, NetworkUseCases, all_or_none
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.quotas import NetworkQuotaService


@dataclass(frozen=True)
class NewSecurityGroup:
    name: str = ""
    description: str = ""
    stateful: bool = True
    # Another project's, for an admin acting for it.
    project_id: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityGroupInfo:
    """A group and its rules (Neutron shows them on the group)."""

    group: SecurityGroup
    rules: list[SecurityGroupRule] = field(default_factory=list)


UPDATABLE = frozenset({"name", "description", "stateful", "tags"})


def group_visible(ctx: RequestContext, group: SecurityGroup) -> bool:
    return policy.may(ctx, "network:security_group:get", Target(project_id=group.project_id))


def find_group(uow: UnitOfWork, ctx: RequestContext, group_id: str) -> SecurityGroup:
    """The group, or 404 when absent or another project's."""
    group = uow.security_groups.get(group_id)
    if group is None or not group_visible(ctx, group):
        raise NotFound("security_group", group_id)
    return group


def add_rules(p: NetworkPorts, uow: UnitOfWork, group: SecurityGroup,
              rules: list[sg.CheckedRule]) -> list[SecurityGroupRule]:
    now = p.clock.now()
    made = []
    for r in rules:
        rule = SecurityGroupRule(
            id=str(uuid.uuid4()), project_id=group.project_id, security_group_id=group.id,
            created_at=now, updated_at=now, direction=r.direction, ethertype=r.ethertype,
            protocol=r.protocol, port_range_min=r.port_range_min,
            port_range_max=r.port_range_max, remote_ip_prefix=r.remote_ip_prefix,
            remote_group_id=r.remote_group_id, description=r.description)
        uow.security_group_rules.add(rule)
        made.append(rule)
    return made


def default_group_id(uow: UnitOfWork, project_id: str) -> str | None:
    row = uow.default_security_groups.get(project_id)
    return None if row is None else row.security_group_id


def ensure_default_group(p: NetworkPorts, uow: UnitOfWork, ctx: RequestContext,
                         project_id: str) -> SecurityGroup:
    """The project's default group, made now (with Neutron's four rules) if it has none.
    Call it in a write unit of work; the caller commits."""
    # Queues a concurrent first need of the same project behind this one (PostgreSQL).
    uow.network.lock_project_quota(project_id)
    existing = default_group_id(uow, project_id)
    if existing is not None:
        group = uow.security_groups.get(existing)
        if group is not None:
            return group
        uow.default_security_groups.delete_where(project_id=project_id)
    now = p.clock.now()
    group = SecurityGroup(id=str(uuid.uuid4()), project_id=project_id, created_at=now,
                          updated_at=now, name=sg.DEFAULT_GROUP_NAME,
                          description=sg.DEFAULT_GROUP_DESCRIPTION)
    uow.security_groups.add(group)
    uow.default_security_groups.add(DefaultSecurityGroup(project_id, group.id))
    add_rules(p, uow, group, sg.default_rules(group.id))
    p.auditor.record(uow, ctx, "network.security_group.create", "security_group", group.id,
                     project_id=project_id, detail={"name": group.name, "default": True})
    return group


class SecurityGroupService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    def _ensure_default(self, ctx: RequestContext, project_id: str) -> None:
        """Make the project's default group if it has none (a write only the first time)."""
        with self.p.uow() as uow:
            if default_group_id(uow, project_id) is not None:
                return
        with self.p.uow(write=True) as uow:
            ensure_default_group(self.p, uow, ctx, project_id)
            uow.commit()

    @staticmethod
    def _rules_of(uow: UnitOfWork, group_ids: list[str]) -> dict[str, list[SecurityGroupRule]]:
        found: dict[str, list[SecurityGroupRule]] = {}
        rules = uow.security_group_rules.find(security_group_id=group_ids) if group_ids else []
        for rule in sorted(rules, key=lambda r: (r.created_at, r.id)):
            found.setdefault(rule.security_group_id, []).append(rule)
        return found

    def _info(self, uow: UnitOfWork, group: SecurityGroup) -> SecurityGroupInfo:
        return SecurityGroupInfo(group, self._rules_of(uow, [group.id]).get(group.id, []))

    # -- use cases --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewSecurityGroup) -> SecurityGroupInfo:
        self.require_user(ctx)
        if cmd.name.lower() == sg.DEFAULT_GROUP_NAME:
            raise Conflict(NetworkFault.SG_DEFAULT_EXISTS)
        project = self.owner_project(ctx, cmd.project_id)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "network:security_group:create",
                         Target(project_id=project), "security_group", None)
            ensure_default_group(self.p, uow, ctx, project)
            self.quotas.check(uow, project, "security_group")
            now = self.p.clock.now()
            group = SecurityGroup(id=str(uuid.uuid4()), project_id=project, created_at=now,
                                  updated_at=now, name=cmd.name, description=cmd.description,
                                  stateful=cmd.stateful, tags=list(cmd.tags))
            uow.security_groups.add(group)
            rules = add_rules(self.p, uow, group, sg.new_group_rules())
            self.record(uow, ctx, "security_group.create", "security_group", group.id, project,
                        {"name": group.name, "stateful": group.stateful})
            uow.commit()
            return SecurityGroupInfo(group, rules)

    def create_many(self, ctx: RequestContext, cmds: list[NewSecurityGroup]
                    ) -> list[SecurityGroupInfo]:
        return all_or_none(lambda c: self.create(ctx, c),
                           lambda i: self.delete(ctx, i.group.id), cmds)

    def get(self, ctx: RequestContext, group_id: str) -> SecurityGroupInfo:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self._info(uow, find_group(uow, ctx, group_id))

    def default_of(self, ctx: RequestContext, project_id: str) -> SecurityGroupInfo:
        """The project's default group, made if it has none yet."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "network:security_group:get", Target(project_id=project_id),
                         "security_group", None)
            group = ensure_default_group(self.p, uow, ctx, project_id)
            uow.commit()
            return self._info(uow, group)

    def list_groups(self, ctx: RequestContext, q: ListQuery) -> Page[SecurityGroupInfo]:
        """The caller's groups (a reader of the cloud: everyone's). As Neutron, listing makes
        the default group of the caller's project, or of the one an admin filters on."""
        self.require_user(ctx)
        asked = q.filters.get("project_id", ())
        if len(asked) == 1 and policy.may(ctx, "network:security_group:create",
                                          Target(project_id=asked[0])):
            self._ensure_default(ctx, asked[0])
        elif ctx.project_id is not None and policy.may(
                ctx, "network:security_group:get", Target(project_id=ctx.project_id)):
            self._ensure_default(ctx, ctx.project_id)
        with self.p.uow() as uow:
            if policy.is_cloud_reader(ctx):
                groups = uow.security_groups.find()
            else:
                groups = (uow.security_groups.find(project_id=ctx.project_id)
                          if ctx.project_id else [])
            chosen = page(groups, q, "security_group", self.p.config.max_page)
            rules = self._rules_of(uow, [g.id for g in chosen.items])
        return Page([SecurityGroupInfo(g, rules.get(g.id, [])) for g in chosen.items],
                    chosen.has_next, chosen.has_previous)

    def update(self, ctx: RequestContext, group_id: str, changes: dict[str, Any]
               ) -> SecurityGroupInfo:
        self.require_user(ctx)
        changes = {k: v for k, v in changes.items() if k in UPDATABLE}
        if str(changes.get("name", "")).lower() == sg.DEFAULT_GROUP_NAME:
            raise Conflict(NetworkFault.SG_DEFAULT_EXISTS)
        with self.p.uow(write=True) as uow:
            group = find_group(uow, ctx, group_id)
            self.enforce(uow, ctx, "network:security_group:update",
                         Target(project_id=group.project_id), "security_group", group.id)
            if "name" in changes and default_group_id(uow, group.project_id) == group.id:
                raise Conflict(NetworkFault.SG_DEFAULT_RENAME, security_group_id=group.id)
            if "stateful" in changes and changes["stateful"] != group.stateful and (
                    uow.port_security_groups.first(security_group_id=group.id) is not None):
                # Ports' connection tracking would change under established flows.
                raise Conflict(NetworkFault.SG_IN_USE, security_group_id=group.id)
            for key, value in changes.items():
                setattr(group, key, list(value) if key == "tags" else value)
            group.updated_at = self.p.clock.now()
            group.revision_number += 1
            self.record(uow, ctx, "security_group.update", "security_group", group.id,
                        group.project_id, {"changed": sorted(changes)})
            uow.commit()
            return self._info(uow, group)

    def delete(self, ctx: RequestContext, group_id: str) -> None:
        """Refused while a port uses it (409 SecurityGroupInUse), and for the project's
        default group unless an admin asks; rules of other groups that name it as their
        remote group go with it (as Neutron's foreign key cascades)."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            group = find_group(uow, ctx, group_id)
            target = Target(project_id=group.project_id)
            self.enforce(uow, ctx, "network:security_group:delete", target, "security_group",
                         group.id)
            is_default = default_group_id(uow, group.project_id) == group.id
            if is_default and not policy.may(ctx, "network:security_group:delete_default",
                                             target):
                raise Conflict(NetworkFault.SG_DEFAULT_DELETE, security_group_id=group.id)
            if uow.port_security_groups.first(security_group_id=group.id) is not None:
                raise Conflict(NetworkFault.SG_IN_USE, security_group_id=group.id)
            now = self.p.clock.now()
            for rule in uow.security_group_rules.find(remote_group_id=group.id):
                if rule.security_group_id == group.id:
                    continue                        # its own rules go below
                other = uow.security_groups.get(rule.security_group_id)
                if other is not None:
                    other.revision_number += 1
                    other.updated_at = now
                uow.security_group_rules.delete(rule)
            uow.security_group_rules.delete_where(security_group_id=group.id)
            if is_default:
                uow.default_security_groups.delete_where(project_id=group.project_id)
            uow.security_groups.delete(group)
            self.record(uow, ctx, "security_group.delete", "security_group", group.id,
                        group.project_id, {"name": group.name})
            uow.commit()
