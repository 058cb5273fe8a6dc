"""IPv6 configuration probes run inside a stand-in namespace (no tcpdump or DHCPv6 client
on this machine: a few lines of Python on raw and UDP sockets). `router_advert` solicits
and returns the first router advertisement's flags and prefixes; `dhcpv6` sends an
Information-Request, or a Solicit for an address, and returns who answered with what."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.netns import sh

PROBE = r'''
import os, socket, struct, sys, time
IFACE = "eth0"
def ra(timeout):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, IFACE.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    idx = socket.if_nametoindex(IFACE)
    s.settimeout(1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s.sendto(struct.pack("!BBHI", 133, 0, 0, 0), ("ff02::2", 0, 0, idx))
        except OSError:        # no usable link-local address yet (DAD)
            time.sleep(0.5)
            continue
        try:
            data, addr = s.recvfrom(2000)
        except socket.timeout:
            continue
        if data[0] != 134:
            continue
        out = [addr[0].split("%")[0], str(data[5] >> 7 & 1), str(data[5] >> 6 & 1)]
        at = 16
        while at + 2 <= len(data) and data[at + 1]:
            if data[at] == 3:
                prefix = socket.inet_ntop(socket.AF_INET6, data[at + 16:at + 32])
                out.append(f"{prefix}/{data[at + 2]}:{data[at + 3] >> 6 & 1}")
            at += data[at + 1] * 8
        print(" ".join(out))
        return
def dhcp(timeout, solicit):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, IFACE.encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", 546))
    idx = socket.if_nametoindex(IFACE)
    mac = bytes.fromhex(open(f"/sys/class/net/{IFACE}/address").read().strip().replace(":", ""))
    duid = struct.pack("!HH", 3, 1) + mac
    xid = os.urandom(3)
    opts = struct.pack("!HH", 1, len(duid)) + duid + struct.pack("!HHH", 6, 2, 23) \
        + struct.pack("!HHH", 8, 2, 0)
    if solicit:
        opts += struct.pack("!HHIII", 3, 12, 1, 0, 0)
    msg = bytes([1 if solicit else 11]) + xid + opts
    s.settimeout(1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s.sendto(msg, ("ff02::1:2", 547, 0, idx))
        except OSError:        # no usable link-local address yet (DAD)
            time.sleep(0.5)
            continue
        try:
            data, addr = s.recvfrom(2000)
        except socket.timeout:
            continue
        if data[0] not in (2, 7) or data[1:4] != xid:
            continue
        dns, leased = [], []
        def walk(at, end):
            while at + 4 <= end:
                code, length = struct.unpack("!HH", data[at:at + 4])
                body = data[at + 4:at + 4 + length]
                if code == 23:
                    dns.extend(socket.inet_ntop(socket.AF_INET6, body[i:i + 16])
                               for i in range(0, len(body), 16))
                elif code == 3:
                    walk(at + 4 + 12, at + 4 + length)
                elif code == 5:
                    leased.append(socket.inet_ntop(socket.AF_INET6, body[:16]))
                at += 4 + length
        walk(4, len(data))
        print(addr[0].split("%")[0], ",".join(dns) or "-", ",".join(leased) or "-")
        return
kind, timeout = sys.argv[1], float(sys.argv[2])
ra(timeout) if kind == "ra" else dhcp(timeout, kind == "solicit")
'''


def _run(ns: str, kind: str, timeout: float) -> str:
    result = sh(ns, "python3", "-c", PROBE, kind, str(timeout), check=False,
                timeout=timeout + 10)
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass(frozen=True)
class RouterAdvert:
    source: str                      # the router's link-local address
    managed: bool                    # M: addresses from DHCPv6
    other: bool                      # O: other configuration from DHCPv6
    prefixes: dict[str, bool]        # prefix -> A flag (autonomous: SLAAC)


@dataclass(frozen=True)
class Dhcpv6Answer:
    server: str                      # the answering server's (link-local) address
    dns: tuple[str, ...]
    addresses: tuple[str, ...]       # IA_NA addresses offered (a Solicit's Advertise)


def router_advert(ns: str, timeout: float = 20) -> RouterAdvert | None:
    out = _run(ns, "ra", timeout)
    if not out.strip():
        return None
    source, m, o, *prefixes = out.split()
    return RouterAdvert(source, m == "1", o == "1",
                        {p.rsplit(":", 1)[0]: p.endswith(":1") for p in prefixes})


def dhcpv6(ns: str, solicit: bool = False, timeout: float = 15) -> Dhcpv6Answer | None:
    """An Information-Request (or a Solicit for an address) from the stand-in's eth0."""
    kind = "solicit" if solicit else "info"
    out = _run(ns, kind, timeout)
    if not out.strip():
        return None
    server, dns, addresses = out.split()
    return Dhcpv6Answer(server, () if dns == "-" else tuple(dns.split(",")),
                        () if addresses == "-" else tuple(addresses.split(",")))
