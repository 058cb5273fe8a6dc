"""Security group rules as Neutron checks them, the default group's rules, when two rules
are the same, and who may do what to groups and rules."""

from __future__ import annotations

import pytest

from nuage.domain import network_security as sg
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.domain.network_errors import NetworkFault
from nuage.domain.policy import Target


def test_the_default_groups_rules_are_neutrons() -> None:
    rules = sg.default_rules("g1")
    assert {(r.direction, r.ethertype, r.protocol, r.remote_ip_prefix, r.remote_group_id)
            for r in rules} == {("egress", "IPv4", None, None, None),
                                ("egress", "IPv6", None, None, None),
                                ("ingress", "IPv4", None, None, "g1"),
                                ("ingress", "IPv6", None, None, "g1")}
    assert [(r.direction, r.ethertype) for r in sg.new_group_rules()] == [
        ("egress", "IPv4"), ("egress", "IPv6")]


def test_a_rule_is_stored_as_neutron_stores_it() -> None:
    r = sg.check_rule(sg.RuleSpec(direction="ingress", ethertype="ipv6", protocol="ICMPv6",
                                  port_range_min="128", port_range_max=0,
                                  remote_ip_prefix="2001:db8::5"))
    assert (r.ethertype, r.protocol, r.port_range_min, r.port_range_max,
            r.remote_ip_prefix) == ("IPv6", "icmpv6", 128, 0, "2001:db8::5/128")
    assert sg.check_rule(sg.RuleSpec(direction="egress", protocol="any")).protocol is None
    assert sg.check_rule(sg.RuleSpec(direction="egress", protocol=0)).protocol == "0"
    # Legacy "icmp" on an IPv6 rule is Neutron's too.
    assert sg.check_rule(sg.RuleSpec(direction="egress", ethertype="IPv6",
                                     protocol="icmp")).protocol == "icmp"


@pytest.mark.parametrize(("spec", "fault"), [
    (sg.RuleSpec(direction=None), NetworkFault.SG_RULE_DIRECTION_INVALID),
    (sg.RuleSpec(direction="ingress", protocol=True), NetworkFault.SG_RULE_PROTOCOL_INVALID),
    (sg.RuleSpec(direction="ingress", protocol="-1"), NetworkFault.SG_RULE_PROTOCOL_INVALID),
    (sg.RuleSpec(direction="ingress", protocol="58"),
     NetworkFault.SG_ETHERTYPE_PROTOCOL_CONFLICT),
    (sg.RuleSpec(direction="ingress", protocol="tcp", port_range_min="x",
                 port_range_max=1), NetworkFault.SG_PORT_VALUE_INVALID),
    (sg.RuleSpec(direction="ingress", protocol="udp", port_range_min=1, port_range_max=0),
     NetworkFault.SG_PORT_VALUE_INVALID),
    (sg.RuleSpec(direction="ingress", ethertype="IPv6", protocol="ipv6-icmp",
                 port_range_min=256), NetworkFault.SG_ICMP_VALUE_INVALID),
    (sg.RuleSpec(direction="ingress", remote_ip_prefix="10.0.0.0/33"),
     NetworkFault.SG_REMOTE_PREFIX_INVALID),
])
def test_what_neutron_refuses(spec: sg.RuleSpec, fault: NetworkFault) -> None:
    with pytest.raises(ValidationError) as exc:
        sg.check_rule(spec)
    assert exc.value.fault is fault


def test_same_rule_whatever_the_spelling() -> None:
    by_name = sg.check_rule(sg.RuleSpec(direction="ingress", protocol="tcp",
                                        port_range_min=22, port_range_max=22))
    by_number = sg.check_rule(sg.RuleSpec(direction="ingress", protocol=6, port_range_min=22,
                                          port_range_max=22, remote_ip_prefix="0.0.0.0/0"))
    other = sg.check_rule(sg.RuleSpec(direction="ingress", protocol="tcp",
                                      port_range_min=22, port_range_max=22,
                                      remote_ip_prefix="10.0.0.0/8"))
    assert sg.rule_key(by_name) == sg.rule_key(by_number) != sg.rule_key(other)


def _ctx(project: str, roles: set[str], admin_project: bool = False) -> RequestContext:
    return RequestContext(request_id="r", user_id="u", project_id=project,
                          roles=frozenset(roles), is_admin_project=admin_project)


@pytest.mark.parametrize(("who", "row", "project", "allowed"), [
    (_ctx("p-a", {"member", "reader"}), "network:security_group:create", "p-a", True),
    (_ctx("p-a", {"member", "reader"}), "network:security_group:create", "p-b", False),
    (_ctx("p-a", {"reader"}), "network:security_group:create", "p-a", False),
    (_ctx("p-a", {"reader"}), "network:security_group:get", "p-a", True),
    (_ctx("p-a", {"reader"}), "network:security_group_rule:get", "p-b", False),
    (_ctx("p-a", {"member", "reader"}), "network:security_group_rule:delete", "p-a", True),
    (_ctx("p-a", {"admin", "member", "reader"}), "network:security_group:delete_default",
     "p-a", False),
    (_ctx("p-x", {"admin", "member", "reader"}, True),
     "network:security_group:delete_default", "p-a", True),
    (_ctx("p-x", {"admin", "member", "reader"}, True), "network:security_group_rule:create",
     "p-b", True),
])
def test_who_may_do_what(who: RequestContext, row: str, project: str, allowed: bool) -> None:
    assert policy.may(who, row, Target(project_id=project)) is allowed
