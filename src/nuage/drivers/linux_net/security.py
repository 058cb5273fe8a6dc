"""Security groups and anti-spoofing in the datapath namespace's nftables.

The kernel has no conntrack in nft's bridge family (CONFIG_NF_CONNTRACK_BRIDGE is not
set here, and nuage must not depend on it), so stateful filtering of bridged traffic goes
through br_netfilter: bridged IPv4/IPv6 frames also traverse the inet family's hooks, with
conntrack. Those hooks see the bridge, not the bridge port, so the bridge family marks each
frame first (its chains run at priority -200, before br_netfilter's hooks):

  bridge nuage  prerouting (-200): iifname vmap @ports_in  -> p-<port>-src: anti-spoofing
                   (MAC, IP, ARP, no DHCP/RA server), then meta mark = <tag of the port> << 16
                forward (-200):    oifname vmap @ports_out -> p-<port>-dst:
                   meta mark |= <tag of the port>
  inet nuage    zones (prerouting, raw): iifname <bridge> ct zone set <segment id>
                ingress (forward, filter):     established/related accept; invalid drop;
                   meta mark & 0xffff vmap @to_port -> p-<port>-in -> sg-<group>-in ...; drop
                egress (forward, filter + 10): established/related accept; invalid drop;
                   meta mark & 0xffff0000 vmap @from_port -> p-<port>-out -> sg-<group>-out; drop

Two base chains on the forward hook because an `accept` ends only its own base chain: a
packet must pass the destination port's ingress rules and the source port's egress rules.
A port's tag is its TAP's ifindex in the datapath namespace (unique there, < 2^16).
Conntrack zones keep overlapping tenant ranges apart: each bridge's traffic is tracked in
the zone of its segment id. Ports without port security carry no tag: nothing filters them
(the DHCP and router legs are such ports).

Every change replaces whole chains in one `nft -f` transaction (add chain; flush chain;
add rules), and never the whole table for one port.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from typing import Any

from nuage.drivers.linux_net import nft
from nuage.drivers.linux_net.names import Names
from nuage.ports.network_fabric import FabricError, PortSpec, SecurityGroupSpec, SecurityRule

TABLE = "nuage"
TAG_MAX = 0xFFFF
ICMPV6_IN = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, mld-listener-query"
ICMPV6_OUT = "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report"
PROTOCOLS = {"tcp": "tcp", "udp": "udp", "sctp": "sctp", "icmp": "icmp",
             "ipv6-icmp": "ipv6-icmp", "icmpv6": "ipv6-icmp"}


def base(bridges: Iterable[tuple[str, int]]) -> str:
    """The tables, maps and base chains, their rules rewritten (a base rule deleted by
    hand comes back), and the conntrack zone of each (bridge, segment)."""
    lines = [
        f"table bridge {TABLE} {{",
        "  map ports_in { type ifname : verdict; }",
        "  map ports_out { type ifname : verdict; }",
        "  chain prerouting { type filter hook prerouting priority -200; policy accept; }",
        "  chain forward { type filter hook forward priority -200; policy accept; }",
        "}",
        f"flush chain bridge {TABLE} prerouting",
        f"flush chain bridge {TABLE} forward",
        f"add rule bridge {TABLE} prerouting iifname vmap @ports_in",
        f"add rule bridge {TABLE} forward oifname vmap @ports_out",
        f"table inet {TABLE} {{",
        "  map to_port { type mark : verdict; }",
        "  map from_port { type mark : verdict; }",
        "  chain zones { type filter hook prerouting priority raw; policy accept; }",
        "  chain ingress { type filter hook forward priority filter; policy accept; }",
        "  chain egress { type filter hook forward priority filter + 10; policy accept; }",
        "}",
        f"flush chain inet {TABLE} zones",
    ]
    lines += [f'add rule inet {TABLE} zones iifname "{b}" ct zone set {seg}'
              for b, seg in sorted(bridges)]
    for chain, key, vmap in (("ingress", "0xffff", "to_port"),
                             ("egress", "0xffff0000", "from_port")):
        lines += [f"flush chain inet {TABLE} {chain}",
                  f"add rule inet {TABLE} {chain} ct state established,related accept",
                  f"add rule inet {TABLE} {chain} ct state invalid drop",
                  f"add rule inet {TABLE} {chain} meta mark and {key} vmap @{vmap}"]
    return "\n".join(lines) + "\n"


# -- names
def _port_chain(port_id: str, role: str) -> str:
    return f"p-{port_id}-{role}"


def _group_chain(group_id: str, direction: str) -> str:
    return f"sg-{group_id}-{direction}"


def _group_set(group_id: str, version: int) -> str:
    return f"sg-{group_id}-v{version}"


def group_ids(ruleset: list[dict[str, Any]]) -> set[str]:
    """The security groups present: each has its `sg-<id>-in` chain."""
    return {c["chain"]["name"][3:-3] for c in ruleset
            if "chain" in c and c["chain"]["family"] == "inet" and c["chain"]["table"] == TABLE
            and c["chain"]["name"].startswith("sg-") and c["chain"]["name"].endswith("-in")}


def set_group_ids(ruleset: list[dict[str, Any]]) -> set[str]:
    """Groups that still have member sets (a removed group's sets can outlive it while
    another group's rules name it)."""
    return {s["set"]["name"][3:-3] for s in ruleset
            if "set" in s and s["set"]["family"] == "inet" and s["set"]["table"] == TABLE
            and s["set"]["name"].startswith("sg-")}


def port_ids(ruleset: list[dict[str, Any]]) -> set[str]:
    return {c["chain"]["name"][2:-4] for c in ruleset
            if "chain" in c and c["chain"]["family"] == "bridge"
            and c["chain"]["table"] == TABLE and c["chain"]["name"].startswith("p-")
            and c["chain"]["name"].endswith("-src")}


# -- security groups
def rules_digest(group: SecurityGroupSpec) -> str:
    """What the group's chains hold, kept in the kernel as the comment of the ingress
    chain's first rule: a change of rules (not of members) is known without a state file."""
    text = "\n".join(sorted(repr(r) for r in group.rules))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def applied_digest(ruleset: list[dict[str, Any]], group_id: str) -> str | None:
    chain = f"sg-{group_id}-in"
    for obj in ruleset:
        rule = obj.get("rule")
        if rule and rule["family"] == "inet" and rule["table"] == TABLE \
                and rule["chain"] == chain:
            comment = str(rule.get("comment", ""))
            return comment.removeprefix("rules ") if comment.startswith("rules ") else None
    return None


def group_script(group: SecurityGroupSpec) -> str:
    lines: list[str] = []
    remotes = {r.remote_group_id for r in group.rules if r.remote_group_id}
    for gid in sorted(remotes | {group.group_id}):
        for version, kind in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            lines.append(f"add set inet {TABLE} {_group_set(gid, version)} "
                         f"{{ type {kind}; flags interval; auto-merge; }}")
    for version in (4, 6):
        name = _group_set(group.group_id, version)
        members = sorted({str(ipaddress.ip_network(m, strict=False)) for m in group.members
                          if ipaddress.ip_network(m, strict=False).version == version})
        lines.append(f"flush set inet {TABLE} {name}")
        if members:
            lines.append(f"add element inet {TABLE} {name} {{ {', '.join(members)} }}")
    for direction in ("ingress", "egress"):
        chain = _group_chain(group.group_id, "in" if direction == "ingress" else "out")
        lines += [f"add chain inet {TABLE} {chain}", f"flush chain inet {TABLE} {chain}"]
        if direction == "ingress":
            lines.append(f'add rule inet {TABLE} {chain} counter '
                         f'comment "rules {rules_digest(group)}"')
        for rule in group.rules:
            if rule.direction == direction and (text := rule_text(rule)) is not None:
                lines.append(f"add rule inet {TABLE} {chain} {text}")
    return "\n".join(lines) + "\n"


def rule_text(rule: SecurityRule) -> str | None:
    """The nft expression of one rule (None when it can never match, e.g. an IPv4 prefix
    on an IPv6 rule)."""
    version = 4 if rule.ethertype == "IPv4" else 6
    family = "ip" if version == 4 else "ip6"
    parts = [f"meta nfproto ipv{version}"]
    proto = None
    if rule.protocol not in (None, "", "any"):
        assert rule.protocol is not None
        name = rule.protocol.lower()
        proto = PROTOCOLS.get(name) or (str(int(name)) if name.isdigit() else None)
        if proto is None:
            raise FabricError(f"security group rule: unknown protocol {rule.protocol!r}")
        if proto == "icmp" and version == 6:
            proto = "ipv6-icmp"
        parts.append(f"meta l4proto {proto}")
    low, high = rule.port_range_min, rule.port_range_max
    if proto in ("tcp", "udp", "sctp") and low is not None:
        parts.append(f"th dport {low}" if high in (None, low) else f"th dport {low}-{high}")
    elif proto in ("icmp", "ipv6-icmp") and low is not None:
        kind = "icmp" if proto == "icmp" else "icmpv6"
        parts.append(f"{kind} type {low}")
        if high is not None:
            parts.append(f"{kind} code {high}")
    side = "saddr" if rule.direction == "ingress" else "daddr"
    if rule.remote_ip_prefix:
        prefix = ipaddress.ip_network(rule.remote_ip_prefix, strict=False)
        if prefix.version != version:
            return None
        parts.append(f"{family} {side} {prefix}")
    elif rule.remote_group_id:
        parts.append(f"{family} {side} @{_group_set(rule.remote_group_id, version)}")
    return " ".join([*parts, "accept"])


def remove_group_script(group_id: str) -> str:
    return "\n".join(f"delete chain inet {TABLE} {_group_chain(group_id, d)}"
                     for d in ("in", "out")) + "\n"


def remove_set_script(group_id: str) -> str:
    return "\n".join(f"delete set inet {TABLE} {_group_set(group_id, v)}"
                     for v in (4, 6)) + "\n"


# -- ports
def port_digest(port: PortSpec) -> str:
    """What decides the port's rules, kept as the comment of its ingress chain's first
    rule (as for groups): a change of it forgets the port's tracked connections."""
    text = repr((port.mac.lower(), sorted(f.ip_address for f in port.fixed_ips),
                 sorted(port.security_groups),
                 sorted((p.ip_address, p.mac or "") for p in port.allowed_address_pairs)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def applied_port(ruleset: list[dict[str, Any]], port_id: str) -> tuple[str | None, set[str]]:
    """(digest, addresses) of the port's rules as the kernel holds them: the addresses
    are read back from its anti-spoofing rules (nft's JSON `ip saddr` matches)."""
    digest = None
    addresses: set[str] = set()
    for obj in ruleset:
        rule = obj.get("rule")
        if not rule or rule["table"] != TABLE:
            continue
        if rule["chain"] == f"p-{port_id}-in" and digest is None:
            comment = str(rule.get("comment", ""))
            digest = comment.removeprefix("port ") if comment.startswith("port ") else None
        if rule["chain"] != f"p-{port_id}-src":
            continue
        for expr in rule["expr"]:
            match = expr.get("match", {})
            field = match.get("left", {}).get("payload", {})
            if field.get("protocol") in ("ip", "ip6") and field.get("field") == "saddr":
                right = match["right"]
                if isinstance(right, dict) and "prefix" in right:
                    right = f"{right['prefix']['addr']}/{right['prefix']['len']}"
                if isinstance(right, str) and right not in ("0.0.0.0", "::"):
                    addresses.add(right)
    return digest, addresses


def _stale_elements(ruleset: list[dict[str, Any]], port_id: str) -> list[str]:
    """`delete element` lines for every dispatch entry that leads to this port's chains
    (a re-created TAP has a new ifindex, so its old tag must go)."""
    chains = {f"p-{port_id}-{r}" for r in ("src", "dst", "in", "out")}
    found = []
    for obj in ruleset:
        entry = obj.get("map")
        if not entry or entry["table"] != TABLE:
            continue
        for key, verdict in entry.get("elem", []):
            target = (verdict.get("jump") or verdict.get("goto") or {}).get("target")
            if target in chains:
                shown = f'"{key}"' if entry["family"] == "bridge" else hex(int(key))
                found.append(f"delete element {entry['family']} {TABLE} {entry['name']} "
                             f"{{ {shown} }}")
    return found


def port_script(names: Names, port: PortSpec, tag: int, ruleset: list[dict[str, Any]]) -> str:
    if not 0 < tag <= TAG_MAX:
        raise FabricError(f"port {port.port_id}: device index {tag} does not fit a tag")
    if not port.port_security:
        return remove_port_script(port.port_id, ruleset)
    lines = _stale_elements(ruleset, port.port_id)
    lines += _remove_chains(port.port_id, ruleset, only_flush=True)
    device = nft.quoted(names.tap(port.port_id))
    src, dst = _port_chain(port.port_id, "src"), _port_chain(port.port_id, "dst")
    tagger = _port_chain(port.port_id, "tag")
    into, out = _port_chain(port.port_id, "in"), _port_chain(port.port_id, "out")
    for family, chain in (("bridge", src), ("bridge", dst), ("bridge", tagger),
                          ("inet", into), ("inet", out)):
        lines += [f"add chain {family} {TABLE} {chain}", f"flush chain {family} {TABLE} {chain}"]

    def b(rule: str, chain: str = src) -> None:
        lines.append(f"add rule bridge {TABLE} {chain} {rule}")

    def i(rule: str, chain: str) -> None:
        lines.append(f"add rule inet {TABLE} {chain} {rule}")

    # Anti-spoofing: never a DHCP server or an IPv6 router, and only from its own
    # (MAC, address) pairs; then tagged.
    b("ether type ip udp sport 67 drop")
    b("ether type ip6 udp sport 547 drop")
    b("ether type ip6 icmpv6 type nd-router-advert drop")
    pairs = [(port.mac, f.ip_address) for f in port.fixed_ips]
    pairs += [(p.mac or port.mac, p.ip_address) for p in port.allowed_address_pairs]
    for mac, address in pairs:
        net = ipaddress.ip_network(address, strict=False)
        if net.version == 4:
            b(f"ether saddr {mac} ether type ip ip saddr {net} goto {tagger}")
            b(f"ether saddr {mac} ether type arp arp saddr ether {mac} arp saddr ip {net} "
              f"goto {tagger}")
        else:
            b(f"ether saddr {mac} ether type ip6 ip6 saddr {net} goto {tagger}")
    for mac in sorted({m for m, _ in pairs} | {port.mac}):
        # DHCP discovery, ARP probes (address conflict detection), IPv6 link-local and DAD.
        b(f"ether saddr {mac} ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 "
          f"udp sport 68 udp dport 67 goto {tagger}")
        b(f"ether saddr {mac} ether type arp arp saddr ether {mac} arp saddr ip 0.0.0.0 "
          f"goto {tagger}")
        b(f"ether saddr {mac} ether type ip6 ip6 saddr {{ fe80::/64, :: }} goto {tagger}")
    b("drop")
    b(f"meta mark set {tag << 16:#x}", tagger)
    b(f"meta mark set meta mark or {tag:#x}", dst)
    lines.append(f'add element bridge {TABLE} ports_in {{ {device} : jump {src} }}')
    lines.append(f'add element bridge {TABLE} ports_out {{ {device} : jump {dst} }}')

    # Stateful rules (established traffic never reaches these chains).
    i(f'counter comment "port {port_digest(port)}"', into)
    i("udp sport 67 udp dport 68 accept", into)         # DHCP answers (only from DHCP ports)
    i("meta nfproto ipv6 udp sport 547 udp dport 546 accept", into)     # DHCPv6 answers
    i(f"icmpv6 type {{ {ICMPV6_IN} }} accept", into)
    i("udp sport 68 udp dport 67 accept", out)
    i("meta nfproto ipv6 udp sport 546 udp dport 547 accept", out)      # DHCPv6 requests
    i(f"icmpv6 type {{ {ICMPV6_OUT} }} accept", out)
    for gid in port.security_groups:
        i(f"jump {_group_chain(gid, 'in')}", into)
        i(f"jump {_group_chain(gid, 'out')}", out)
    i("drop", into)
    i("drop", out)
    lines.append(f"add element inet {TABLE} to_port {{ {tag:#x} : jump {into} }}")
    lines.append(f"add element inet {TABLE} from_port {{ {tag << 16:#x} : jump {out} }}")
    return "\n".join(lines) + "\n"


def _remove_chains(port_id: str, ruleset: list[dict[str, Any]],
                   only_flush: bool = False) -> list[str]:
    """Flush (first step of a replacement, so the jumps between them cannot block) or
    delete the port's chains that exist."""
    lines = []
    for obj in ruleset:
        chain = obj.get("chain")
        if not chain or chain["table"] != TABLE:
            continue
        name = chain["name"]
        if name.startswith(f"p-{port_id}-") and name[len(port_id) + 3:] in (
                "src", "dst", "tag", "in", "out"):
            verb = "flush" if only_flush else "delete"
            lines.append(f"{verb} chain {chain['family']} {TABLE} {name}")
    return lines


def remove_port_script(port_id: str, ruleset: list[dict[str, Any]]) -> str:
    lines = _stale_elements(ruleset, port_id)
    flushes = _remove_chains(port_id, ruleset, only_flush=True)
    deletes = _remove_chains(port_id, ruleset)
    # Chains refer to each other (src -> tag): flush all first, then delete.
    return "\n".join(lines + flushes + deletes) + "\n" if deletes or lines else ""
