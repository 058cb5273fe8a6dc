"""Security group rules: create (checked as Neutron checks them), show, list, delete.

A rule belongs to its group's project, whoever adds it; adding or removing one is a
revision of the group (Neutron bumps the group's revision_number). Two rules of one group
that match the same traffic are one rule too many (409 SecurityGroupRuleExists).
"""

from __future__ import annotations

from dataclasses import dataclass

from nuage.domain import network_security as sg
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_security import RuleSpec, SecurityGroupRule
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import NetworkPorts, NetworkUseCases, all_or_none
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.quotas import NetworkQuotaService
from nuage.services.network.security_groups import add_rules, find_group


@dataclass(frozen=True)
class NewSecurityGroupRule:
    security_group_id: str
    spec: RuleSpec


def rule_visible(ctx: RequestContext, rule: SecurityGroupRule) -> bool:
    return policy.may(ctx, "network:security_group_rule:get",
                      Target(project_id=rule.project_id))


class SecurityGroupRuleService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    @staticmethod
    def _find(uow: UnitOfWork, ctx: RequestContext, rule_id: str) -> SecurityGroupRule:
        rule = uow.security_group_rules.get(rule_id)
        if rule is None or not rule_visible(ctx, rule):
            raise NotFound("security_group_rule", rule_id)
        return rule

    def create(self, ctx: RequestContext, cmd: NewSecurityGroupRule) -> SecurityGroupRule:
        self.require_user(ctx)
        checked = sg.check_rule(cmd.spec)
        with self.p.uow(write=True) as uow:
            group = find_group(uow, ctx, cmd.security_group_id)
            self.enforce(uow, ctx, "network:security_group_rule:create",
                         Target(project_id=group.project_id), "security_group_rule", None)
            if checked.remote_group_id is not None:
                find_group(uow, ctx, checked.remote_group_id)
            key = sg.rule_key(checked)
            for other in uow.security_group_rules.find(security_group_id=group.id):
                if sg.rule_key(other) == key:
                    raise Conflict(NetworkFault.SG_RULE_EXISTS, rule_id=other.id)
            self.quotas.check(uow, group.project_id, "security_group_rule")
            (rule,) = add_rules(self.p, uow, group, [checked])
            group.revision_number += 1
            group.updated_at = rule.created_at
            self.record(uow, ctx, "security_group_rule.create", "security_group_rule", rule.id,
                        group.project_id,
                        {"security_group_id": group.id, "direction": rule.direction,
                         "ethertype": rule.ethertype, "protocol": rule.protocol,
                         "port_range_min": rule.port_range_min,
                         "port_range_max": rule.port_range_max,
                         "remote_ip_prefix": rule.remote_ip_prefix,
                         "remote_group_id": rule.remote_group_id})
            uow.commit()
            self.wake("")   # the hosts applying the group follow at once
            return rule

    def create_many(self, ctx: RequestContext, cmds: list[NewSecurityGroupRule]
                    ) -> list[SecurityGroupRule]:
        return all_or_none(lambda c: self.create(ctx, c), lambda r: self.delete(ctx, r.id),
                           cmds)

    def get(self, ctx: RequestContext, rule_id: str) -> SecurityGroupRule:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self._find(uow, ctx, rule_id)

    def list_rules(self, ctx: RequestContext, q: ListQuery) -> Page[SecurityGroupRule]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            if policy.is_cloud_reader(ctx):
                found = uow.security_group_rules.find()
            else:
                found = (uow.security_group_rules.find(project_id=ctx.project_id)
                         if ctx.project_id else [])
            return page(found, q, "security_group_rule", self.p.config.max_page)

    def delete(self, ctx: RequestContext, rule_id: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            rule = self._find(uow, ctx, rule_id)
            self.enforce(uow, ctx, "network:security_group_rule:delete",
                         Target(project_id=rule.project_id), "security_group_rule", rule.id)
            group = uow.security_groups.get(rule.security_group_id)
            if group is not None:
                group.revision_number += 1
                group.updated_at = self.p.clock.now()
            uow.security_group_rules.delete(rule)
            self.record(uow, ctx, "security_group_rule.delete", "security_group_rule", rule.id,
                        rule.project_id, {"security_group_id": rule.security_group_id})
            uow.commit()
            self.wake("")   # the hosts applying the group follow at once
