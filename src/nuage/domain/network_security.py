"""Security groups and their rules (Neutron's security-group extension): the entities and
the rules that need no I/O.

A rule is checked here as Neutron checks it (`securitygroups_db._validate_*`): the
direction, the ethertype, the protocol by name or number, the port range (or an ICMP
type and code), and either a remote prefix of the rule's family or a remote group. The
services read what exists (the group, its rules, the remote group) and call these.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nuage.domain.errors import ValidationError
from nuage.domain.network_errors import NetworkFault

DEFAULT_GROUP_NAME = "default"
DEFAULT_GROUP_DESCRIPTION = "Default security group"

DIRECTIONS = ("ingress", "egress")
ETHERTYPES = ("IPv4", "IPv6")

# Neutron's sg_supported_protocols (neutron_lib.constants.IP_PROTOCOL_MAP) and their numbers.
PROTOCOLS: dict[str, int] = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
    "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113,
    "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
# Protocols with ports (SG_PORT_PROTO_NAMES): their rules take a port range.
PORT_PROTOCOLS = frozenset({6, 17, 33, 132, 136})
ICMP_PROTOCOLS = frozenset({1, 58})
IPV6_ICMP = 58
# "any": no protocol (every one).
ANY = "any"


@dataclass
class SecurityGroup:
    id: str
    project_id: str
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    stateful: bool = True
    tags: list[str] = field(default_factory=list)
    # +1 per update of the group and per rule added to or removed from it (as Neutron).
    revision_number: int = 0


@dataclass
class SecurityGroupRule:
    id: str
    # The group's project, whoever added the rule.
    project_id: str
    security_group_id: str
    created_at: datetime
    updated_at: datetime
    direction: str = "ingress"
    ethertype: str = "IPv4"
    # A name (lower case) or a number as text (Neutron stores "6" for 6); None: any.
    protocol: str | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None
    # With its mask ("192.0.2.10" is kept as "192.0.2.10/32"), host bits as given.
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    description: str = ""
    revision_number: int = 0

    @property
    def normalized_cidr(self) -> str | None:
        """The prefix with its host bits cleared (what the datapath matches)."""
        if self.remote_ip_prefix is None:
            return None
        return str(ipaddress.ip_network(self.remote_ip_prefix, strict=False))


@dataclass
class DefaultSecurityGroup:
    """The project's `default` group: keyed by project, so a project has one whoever makes
    it first."""

    project_id: str
    security_group_id: str


@dataclass
class PortSecurityGroup:
    """One group applied to one port (the port's `security_groups` repeats them for
    reading; both change in one transaction)."""

    port_id: str
    security_group_id: str


@dataclass(frozen=True)
class RuleSpec:
    """A rule as asked for, before it is checked."""

    direction: str | None
    ethertype: str | None = "IPv4"
    protocol: Any = None
    port_range_min: Any = None
    port_range_max: Any = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CheckedRule:
    direction: str
    ethertype: str
    protocol: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None
    description: str


def default_rules(group_id: str) -> list[CheckedRule]:
    """Neutron's rules of a project's default group: everything out, and in from members of
    the same group, for both families."""
    rules = [_open_egress(e) for e in ETHERTYPES]
    rules += [CheckedRule("ingress", e, None, None, None, None, group_id, "")
              for e in ETHERTYPES]
    return rules


def new_group_rules() -> list[CheckedRule]:
    """A new (not default) group allows all egress, both families (as Neutron)."""
    return [_open_egress(e) for e in ETHERTYPES]


def _open_egress(ethertype: str) -> CheckedRule:
    return CheckedRule("egress", ethertype, None, None, None, None, None, "")


def protocol_number(protocol: str | None) -> int | None:
    if protocol is None:
        return None
    return PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)


def check_protocol(value: Any) -> str | None:
    """None for any protocol; a known name (lower case) or 0..255 as text."""
    if value is None or (isinstance(value, str) and value.lower() == ANY):
        return None
    if isinstance(value, bool):
        raise ValidationError(NetworkFault.SG_RULE_PROTOCOL_INVALID, protocol=value)
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        number = int(value)
        if 0 <= number <= 255:
            return str(number)
        raise ValidationError(NetworkFault.SG_RULE_PROTOCOL_INVALID, protocol=value)
    if isinstance(value, str) and value.lower() in PROTOCOLS:
        return value.lower()
    raise ValidationError(NetworkFault.SG_RULE_PROTOCOL_INVALID, protocol=value)


def _port(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (
            isinstance(value, str) and value.isdigit())):
        raise ValidationError(NetworkFault.SG_PORT_VALUE_INVALID, port=value)
    number = int(value)
    if not 0 <= number <= 65535:
        raise ValidationError(NetworkFault.SG_PORT_VALUE_INVALID, port=value)
    return number


def _check_ports(protocol: str | None, low: int | None, high: int | None) -> None:
    """Neutron's _validate_port_range: ports need a protocol with ports; ICMP's are the
    type (min) and code (max), each 0..255, a code only with a type."""
    if low is None and high is None:
        return
    if protocol is None:
        raise ValidationError(NetworkFault.SG_PROTOCOL_REQUIRED_WITH_PORTS)
    number = protocol_number(protocol)
    if number in PORT_PROTOCOLS:
        if low == 0 or high == 0:
            raise ValidationError(NetworkFault.SG_PORT_VALUE_INVALID, port=0)
        if low is None or high is None or low > high:
            raise ValidationError(NetworkFault.SG_PORT_RANGE_INVALID)
        return
    if number in ICMP_PROTOCOLS:
        for value, name, attr in ((low, "type", "port_range_min"),
                                  (high, "code", "port_range_max")):
            if value is not None and not 0 <= value <= 255:
                raise ValidationError(NetworkFault.SG_ICMP_VALUE_INVALID, field=name,
                                      attr=attr, value=value)
        if low is None:
            raise ValidationError(NetworkFault.SG_ICMP_TYPE_MISSING, value=high)
        return
    raise ValidationError(NetworkFault.SG_PROTOCOL_WITHOUT_PORTS, protocol=number,
                          valid=", ".join(sorted(p.upper() for p, n in PROTOCOLS.items()
                                                 if n in PORT_PROTOCOLS)))


def _prefix(value: str, ethertype: str) -> str:
    """The prefix with its mask, of the rule's family."""
    try:
        interface = ipaddress.ip_interface(value)
    except ValueError as exc:
        raise ValidationError(NetworkFault.SG_REMOTE_PREFIX_INVALID, prefix=value) from exc
    if f"IPv{interface.version}" != ethertype:
        raise ValidationError(NetworkFault.SG_RULE_ETHERTYPE_CONFLICT, ethertype=ethertype,
                              cidr=value)
    return str(interface)


def check_rule(spec: RuleSpec) -> CheckedRule:
    """The rule in its stored form, or the first thing Neutron would refuse."""
    if spec.direction not in DIRECTIONS:
        raise ValidationError(NetworkFault.SG_RULE_DIRECTION_INVALID, direction=spec.direction)
    ethertype = spec.ethertype if spec.ethertype is not None else "IPv4"
    # Neutron takes the family in any case ("ipv4") and stores its own spelling.
    matched = [e for e in ETHERTYPES if e.lower() == str(ethertype).lower()]
    if not matched:
        raise ValidationError(NetworkFault.SG_RULE_ETHERTYPE_INVALID, ethertype=ethertype)
    ethertype = matched[0]
    protocol = check_protocol(spec.protocol)
    if protocol_number(protocol) == IPV6_ICMP and ethertype == "IPv4":
        raise ValidationError(NetworkFault.SG_ETHERTYPE_PROTOCOL_CONFLICT, ethertype=ethertype,
                              protocol=protocol)
    low, high = _port(spec.port_range_min), _port(spec.port_range_max)
    _check_ports(protocol, low, high)
    if spec.remote_ip_prefix is not None and spec.remote_group_id is not None:
        raise ValidationError(NetworkFault.SG_REMOTE_IP_AND_GROUP)
    prefix = (None if spec.remote_ip_prefix is None
              else _prefix(spec.remote_ip_prefix, ethertype))
    return CheckedRule(spec.direction, ethertype, protocol, low, high, prefix,
                       spec.remote_group_id, spec.description)


def _any_prefix(prefix: str | None) -> str | None:
    """0.0.0.0/0 and ::/0 mean what no prefix means."""
    if prefix is None or ipaddress.ip_network(prefix, strict=False).prefixlen == 0:
        return None
    return str(ipaddress.ip_network(prefix, strict=False))


def rule_key(rule: CheckedRule | SecurityGroupRule) -> tuple[Any, ...]:
    """What makes two rules of one group the same rule (the description does not)."""
    number = protocol_number(rule.protocol)
    return (rule.direction, rule.ethertype, number, rule.port_range_min, rule.port_range_max,
            _any_prefix(rule.remote_ip_prefix), rule.remote_group_id)
