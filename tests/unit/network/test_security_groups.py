"""Security groups and rules: the default group and its rules as Neutron makes them, rule
validation, duplicates, isolation between projects, groups on ports, quotas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_security import RuleSpec, SecurityGroupRule
from nuage.services.network.base import NetworkConfig, QuotaDefaults
from nuage.services.network.listing import ListQuery
from nuage.services.network.ports import NewPort
from nuage.services.network.security_group_rules import NewSecurityGroupRule
from nuage.services.network.security_groups import NewSecurityGroup
from tests.unit.network.conftest import Net, make_net


def _shape(rules: list[SecurityGroupRule]) -> set[tuple[str | None, ...]]:
    return {(r.direction, r.ethertype, r.protocol, r.remote_ip_prefix, r.remote_group_id)
            for r in rules}


def rule(group_id: str, **kw: Any) -> NewSecurityGroupRule:
    kw.setdefault("direction", "ingress")
    return NewSecurityGroupRule(group_id, RuleSpec(**kw))


def test_listing_makes_the_default_group_once_with_neutrons_rules(net: Net) -> None:
    first = net.s.security_groups.list_groups(net.alice, ListQuery()).items
    again = net.s.security_groups.list_groups(net.alice, ListQuery()).items
    assert [i.group.id for i in first] == [i.group.id for i in again]
    (info,) = first
    g = info.group
    assert (g.name, g.description, g.project_id, g.stateful) == (
        "default", "Default security group", "p-a", True)
    assert _shape(info.rules) == {("egress", "IPv4", None, None, None),
                                  ("egress", "IPv6", None, None, None),
                                  ("ingress", "IPv4", None, None, g.id),
                                  ("ingress", "IPv6", None, None, g.id)}
    assert all(r.project_id == "p-a" for r in info.rules)
    assert len(net.events("network.security_group.create")) == 1
    # Bob has his own default, and does not see Alice's.
    (bobs,) = net.s.security_groups.list_groups(net.bob, ListQuery()).items
    assert bobs.group.id != g.id
    with pytest.raises(NotFound):
        net.s.security_groups.get(net.bob, g.id)


def test_a_new_group_gets_egress_rules_and_the_default_appears(net: Net) -> None:
    info = net.s.security_groups.create(net.alice, NewSecurityGroup(name="web",
                                                                    tags=("t",)))
    assert _shape(info.rules) == {("egress", "IPv4", None, None, None),
                                  ("egress", "IPv6", None, None, None)}
    names = {i.group.name for i in net.s.security_groups.list_groups(
        net.alice, ListQuery()).items}
    assert names == {"default", "web"}
    with pytest.raises(Conflict) as dup:
        net.s.security_groups.create(net.alice, NewSecurityGroup(name="Default"))
    assert dup.value.fault is NetworkFault.SG_DEFAULT_EXISTS


def test_the_default_group_keeps_its_name_and_stays(net: Net) -> None:
    default = net.s.security_groups.default_of(net.alice, "p-a").group
    with pytest.raises(Conflict) as rename:
        net.s.security_groups.update(net.alice, default.id, {"name": "x"})
    assert rename.value.fault is NetworkFault.SG_DEFAULT_RENAME
    assert net.s.security_groups.update(net.alice, default.id,
                                        {"description": "d"}).group.revision_number == 1
    with pytest.raises(Conflict) as gone:
        net.s.security_groups.delete(net.alice, default.id)
    assert gone.value.fault is NetworkFault.SG_DEFAULT_DELETE
    web = net.s.security_groups.create(net.alice, NewSecurityGroup(name="web")).group
    with pytest.raises(Conflict) as taken:
        net.s.security_groups.update(net.alice, web.id, {"name": "default"})
    assert taken.value.fault is NetworkFault.SG_DEFAULT_EXISTS
    # An admin removes a project's default (when the project goes); a new one comes later.
    net.s.security_groups.delete(net.admin, default.id)
    assert net.s.security_groups.default_of(net.alice, "p-a").group.id != default.id


@pytest.mark.parametrize(("kw", "fault"), [
    ({"direction": "sideways"}, NetworkFault.SG_RULE_DIRECTION_INVALID),
    ({"ethertype": "IPv5"}, NetworkFault.SG_RULE_ETHERTYPE_INVALID),
    ({"protocol": "bogus"}, NetworkFault.SG_RULE_PROTOCOL_INVALID),
    ({"protocol": 256}, NetworkFault.SG_RULE_PROTOCOL_INVALID),
    ({"protocol": "icmpv6"}, NetworkFault.SG_ETHERTYPE_PROTOCOL_CONFLICT),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 79},
     NetworkFault.SG_PORT_RANGE_INVALID),
    ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 80},
     NetworkFault.SG_PORT_VALUE_INVALID),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 65536},
     NetworkFault.SG_PORT_VALUE_INVALID),
    ({"protocol": "udp", "port_range_min": 53}, NetworkFault.SG_PORT_RANGE_INVALID),
    ({"port_range_min": 22, "port_range_max": 22},
     NetworkFault.SG_PROTOCOL_REQUIRED_WITH_PORTS),
    ({"protocol": "gre", "port_range_min": 1, "port_range_max": 2},
     NetworkFault.SG_PROTOCOL_WITHOUT_PORTS),
    ({"protocol": "icmp", "port_range_min": 300}, NetworkFault.SG_ICMP_VALUE_INVALID),
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 256},
     NetworkFault.SG_ICMP_VALUE_INVALID),
    ({"protocol": "icmp", "port_range_max": 0}, NetworkFault.SG_ICMP_TYPE_MISSING),
    ({"remote_ip_prefix": "not-a-prefix"}, NetworkFault.SG_REMOTE_PREFIX_INVALID),
    ({"remote_ip_prefix": "2001:db8::/64"}, NetworkFault.SG_RULE_ETHERTYPE_CONFLICT),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "x"},
     NetworkFault.SG_REMOTE_IP_AND_GROUP),
])
def test_rules_neutron_refuses(net: Net, kw: dict[str, object], fault: NetworkFault) -> None:
    group = net.s.security_groups.create(net.alice, NewSecurityGroup(name="g")).group
    with pytest.raises(ValidationError) as exc:
        net.s.security_group_rules.create(net.alice, rule(group.id, **kw))
    assert exc.value.fault is fault


def test_rules_are_normalised_and_duplicates_refused(net: Net) -> None:
    group = net.s.security_groups.create(net.alice, NewSecurityGroup(name="g")).group
    ssh = net.s.security_group_rules.create(net.alice, rule(
        group.id, protocol="TCP", port_range_min=22, port_range_max="22",
        remote_ip_prefix="192.0.2.10", ethertype="ipv4"))
    assert (ssh.protocol, ssh.port_range_min, ssh.port_range_max, ssh.remote_ip_prefix,
            ssh.ethertype, ssh.normalized_cidr) == ("tcp", 22, 22, "192.0.2.10/32", "IPv4",
                                                    "192.0.2.10/32")
    host_bits = net.s.security_group_rules.create(net.alice, rule(
        group.id, protocol="6", port_range_min=80, port_range_max=80,
        remote_ip_prefix="10.1.2.3/8"))
    assert (host_bits.protocol, host_bits.remote_ip_prefix, host_bits.normalized_cidr) == (
        "6", "10.1.2.3/8", "10.0.0.0/8")
    ping = net.s.security_group_rules.create(net.alice, rule(
        group.id, protocol="icmp", port_range_min=8, port_range_max=0))
    assert (ping.port_range_min, ping.port_range_max) == (8, 0)
    numbered = net.s.security_group_rules.create(net.alice, rule(group.id, protocol=132))
    assert numbered.protocol == "132"
    # "6" is tcp and 0.0.0.0/0 is no prefix: the same rule again.
    with pytest.raises(Conflict) as dup:
        net.s.security_group_rules.create(net.alice, rule(
            group.id, protocol="6", port_range_min=22, port_range_max=22,
            remote_ip_prefix="192.0.2.10/32"))
    assert (dup.value.fault, dup.value.fields) == (NetworkFault.SG_RULE_EXISTS,
                                                   {"rule_id": ssh.id})
    with pytest.raises(Conflict):
        net.s.security_group_rules.create(net.alice, rule(
            group.id, direction="egress", remote_ip_prefix="0.0.0.0/0"))
    assert net.s.security_groups.get(net.alice, group.id).group.revision_number == 4
    net.s.security_group_rules.delete(net.alice, ssh.id)
    assert net.s.security_groups.get(net.alice, group.id).group.revision_number == 5
    with pytest.raises(NotFound):
        net.s.security_group_rules.get(net.alice, ssh.id)


def test_rules_of_another_projects_group_are_absent(net: Net) -> None:
    alices = net.s.security_groups.create(net.alice, NewSecurityGroup(name="a")).group
    bobs = net.s.security_groups.create(net.bob, NewSecurityGroup(name="b")).group
    with pytest.raises(NotFound) as into:
        net.s.security_group_rules.create(net.bob, rule(alices.id))
    assert into.value.fields["kind"] == "security_group"
    with pytest.raises(NotFound):
        net.s.security_group_rules.create(net.bob, rule(bobs.id, remote_group_id=alices.id))
    egress = net.s.security_groups.get(net.alice, alices.id).rules[0]
    with pytest.raises(NotFound):
        net.s.security_group_rules.get(net.bob, egress.id)
    with pytest.raises(NotFound):
        net.s.security_group_rules.delete(net.bob, egress.id)
    seen = {r.security_group_id for r in net.s.security_group_rules.list_rules(
        net.bob, ListQuery()).items}
    assert alices.id not in seen and bobs.id in seen
    with pytest.raises(NotFound):
        net.s.security_groups.delete(net.bob, alices.id)


def test_a_remote_group_rule_goes_with_its_remote_group(net: Net) -> None:
    web = net.s.security_groups.create(net.alice, NewSecurityGroup(name="web")).group
    db = net.s.security_groups.create(net.alice, NewSecurityGroup(name="db")).group
    from_web = net.s.security_group_rules.create(net.alice, rule(
        db.id, protocol="tcp", port_range_min=5432, port_range_max=5432,
        remote_group_id=web.id))
    net.s.security_groups.delete(net.alice, web.id)
    with pytest.raises(NotFound):
        net.s.security_group_rules.get(net.alice, from_web.id)
    assert len(net.s.security_groups.get(net.alice, db.id).rules) == 2


def test_ports_get_the_default_group_or_the_named_ones(net: Net) -> None:
    network = net.network().network
    port = net.s.ports.create(net.alice, NewPort(network_id=network.id))
    default = net.s.security_groups.default_of(net.alice, "p-a").group
    assert port.security_groups == [default.id]
    # The network's own ports and ports without port security get none.
    dhcp = net.s.ports.create(net.alice, NewPort(network_id=network.id,
                                                 device_owner="network:dhcp"))
    assert dhcp.security_groups == []
    open_port = net.s.ports.create(net.alice, NewPort(network_id=network.id,
                                                      port_security_enabled=False))
    assert open_port.security_groups == []
    web = net.s.security_groups.create(net.alice, NewSecurityGroup(name="web")).group
    named = net.s.ports.create(net.alice, NewPort(network_id=network.id,
                                                  security_groups=(web.id, web.id)))
    assert named.security_groups == [web.id]
    none = net.s.ports.create(net.alice, NewPort(network_id=network.id, security_groups=()))
    assert none.security_groups == []
    with pytest.raises(ValidationError) as insecure:
        net.s.ports.create(net.alice, NewPort(network_id=network.id,
                                              port_security_enabled=False,
                                              security_groups=(web.id,)))
    assert insecure.value.fault is NetworkFault.PORT_SECURITY_REQUIRED_FOR_GROUPS
    # In use: neither deleted nor made stateless.
    with pytest.raises(Conflict) as busy:
        net.s.security_groups.delete(net.alice, web.id)
    assert (busy.value.fault, busy.value.fields) == (NetworkFault.SG_IN_USE,
                                                     {"security_group_id": web.id})
    with pytest.raises(Conflict):
        net.s.security_groups.update(net.alice, web.id, {"stateful": False})
    # Port security off needs the groups gone first (or in the same update).
    with pytest.raises(Conflict) as has:
        net.s.ports.update(net.alice, named.id, {"port_security_enabled": False})
    assert has.value.fault is NetworkFault.PORT_HAS_SECURITY_GROUPS
    updated = net.s.ports.update(net.alice, named.id, {"port_security_enabled": False,
                                                       "security_groups": []})
    assert updated.security_groups == []
    net.s.ports.update(net.alice, port.id, {"security_groups": [web.id, default.id]})
    assert net.s.ports.get(net.alice, port.id).security_groups == [web.id, default.id]
    net.s.ports.delete(net.alice, port.id)
    net.s.security_groups.delete(net.alice, web.id)


def test_a_port_takes_only_its_projects_groups(net: Net) -> None:
    network = net.network().network
    bobs = net.s.security_groups.create(net.bob, NewSecurityGroup(name="b")).group
    with pytest.raises(NotFound) as exc:
        net.s.ports.create(net.alice, NewPort(network_id=network.id,
                                              security_groups=(bobs.id, "nope")))
    assert exc.value.fields == {"kind": "security_group", "ident": f"{bobs.id}, nope"}
    port = net.s.ports.create(net.alice, NewPort(network_id=network.id))
    with pytest.raises(NotFound):
        net.s.ports.update(net.alice, port.id, {"security_groups": [bobs.id]})
    # An admin may (as Neutron lets it).
    net.s.ports.update(net.admin, port.id, {"security_groups": [bobs.id]})


@pytest.fixture
def tight() -> Iterator[Net]:
    yield from make_net(NetworkConfig(quotas=QuotaDefaults(security_group=2,
                                                           security_group_rule=7)))


def test_security_group_quotas(tight: Net) -> None:
    one = tight.s.security_groups.create(tight.alice, NewSecurityGroup(name="one")).group
    with pytest.raises(Conflict) as groups:      # the default is the second
        tight.s.security_groups.create(tight.alice, NewSecurityGroup(name="two"))
    assert groups.value.fields == {"resources": ["security_group"]}
    # 4 default rules + 2 egress rules; one more fits.
    tight.s.security_group_rules.create(tight.alice, rule(one.id, protocol="tcp"))
    with pytest.raises(Conflict) as rules:
        tight.s.security_group_rules.create(tight.alice, rule(one.id, protocol="udp"))
    assert rules.value.fields == {"resources": ["security_group_rule"]}
    details = tight.s.quotas.details(tight.alice, "p-a")
    assert details["security_group"]["used"] == 2
    assert details["security_group_rule"]["used"] == 7


def test_filters_and_paging(net: Net) -> None:
    for name in ("b", "a", "c"):
        net.s.security_groups.create(net.alice, NewSecurityGroup(name=name, tags=(name,)))
    q = ListQuery(sorts=(("name", True),), limit=2)
    first = net.s.security_groups.list_groups(net.alice, q)
    assert [i.group.name for i in first.items] == ["a", "b"] and first.has_next
    tagged = net.s.security_groups.list_groups(net.alice, ListQuery(tags_any=("c",)))
    assert [i.group.name for i in tagged.items] == ["c"]
    egress = net.s.security_group_rules.list_rules(
        net.alice, ListQuery(filters={"direction": ("egress",), "ethertype": ("IPv6",)}))
    assert len(egress.items) == 4
