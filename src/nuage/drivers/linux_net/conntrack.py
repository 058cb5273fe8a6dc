"""Tracked connections in the datapath namespace, through pyroute2's ctnetlink client.

Security groups are stateful: a connection already tracked skips the rules. When a group's
rules change, the connections of its members are forgotten so that every next packet meets
the new rules (as Neutron does): a removed rule stops a running `ping`. So are a port's
when its own rules change (other groups, other address pairs) or it goes: a new port that
inherits its address must not inherit its connections either. A forgotten TCP
connection that the rules still allow is picked up again mid-stream (the kernel's default
nf_conntrack_tcp_loose), so allowed traffic does not notice.
"""

from __future__ import annotations

import ipaddress
import socket

from pyroute2 import Conntrack, NetlinkError


def forget(ns: str, members: set[str], zone: int | None = None) -> int:
    """Delete the connections from or to these addresses (or CIDRs), in one conntrack
    zone (a network's) or in every zone. Returns how many went."""
    networks = [ipaddress.ip_network(m, strict=False) for m in members]
    if not networks:
        return 0
    gone = 0
    for family in (socket.AF_INET, socket.AF_INET6):
        with Conntrack(netns=ns, nfgen_family=family) as ct:
            for entry in list(ct.dump_entries()):
                if zone is not None and (entry.zone or 0) != zone:
                    continue
                ends = (entry.tuple_orig.saddr, entry.tuple_orig.daddr)
                if not any(e and ipaddress.ip_address(e) in n for e in ends for n in networks):
                    continue
                try:
                    ct.entry("del", tuple_orig=entry.tuple_orig, zone=entry.zone)
                    gone += 1
                except NetlinkError:
                    pass        # it expired meanwhile
    return gone
