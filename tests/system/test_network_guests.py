"""Tenant isolation checked by real guests on the real datapath: one `nuage up` with the
network datapath, two projects (each made through Keystone, with a member user: no
admin) that both number their network 10.0.0.0/24, three QEMU guests of the
default image: A1 (10.0.0.10) and A2 (10.0.0.20) in project A, B1 (10.0.0.10, A1's
address) in project B. The guests act through busybox user-data scripts and print
`NUAGE-...` markers on the serial console, which the test reads with
`os-getConsoleOutput`. Every guest serves its own name over HTTP on port 8000, so an
answer says who answered, not only that something did.

- same CIDR, two projects: A2 asking 10.0.0.10 gets A1, never B1; B1 never reaches
  10.0.0.20 (A2's address in A; nothing in B), by HTTP or ping, while A2 is up;
- anti-spoofing: A2 reaches A1 from its own address, not from 10.0.0.30 it added to its
  NIC; B1 gets ARP answers from its DHCP server with its own MAC, none with another one;
- no rogue DHCP server: A1 runs busybox udhcpd on its NIC; A2's DHCP requests still get
  their lease (its own address) from the network's dnsmasq;
- a security-group change on running guests: A1 pings A2 every second; A2's group has no
  ICMP rule (down), the test adds one (up), then removes it (down again);
- metadata: each guest's request to 169.254.169.254 returns its own uuid (B1, at A1's
  address, gets B1's);
- IPv6: project A's network also has a dhcpv6-stateless subnet on its router: A2 takes
  its EUI-64 address from the router's advertisement and pings A1's;
- SNAT: project A's network has a router to the external network; A1 pings a client
  namespace on the external bridge that has no route back to 10.0.0.0/24;
- deleting the servers, ports, router and networks leaves no namespace, device, nft rule
  or process naming any of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.guest_net import (
    ProjectApi,
    fetch_name,
    host_traces,
    member_project,
    metadata_uuid,
    name_server,
    values,
)
from tests.support.live_network import CLIENT, LiveNetworkNuage, live_network, outside, wait
from tests.support.netns import needs_root_net
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.slow, needs_root_net, needs_qemu]

BOOT_TIMEOUT = 420.0              # three TCG guests at once on a loaded machine
CIDR = "10.0.0.0/24"
CIDR6 = "2001:db8:a::/64"        # project A's dhcpv6-stateless subnet, on the router too
A1, A2, B1, SPOOF = "10.0.0.10", "10.0.0.20", "10.0.0.10", "10.0.0.30"
OTHER_MAC = "02:00:00:5e:e0:01"


def a1_script() -> str:
    return f"""#!/bin/sh
cat > /tmp/udhcpd.conf <<EOF
start 10.0.0.150
end 10.0.0.160
interface eth0
lease_file /tmp/udhcpd.leases
option subnet 255.255.255.0
option router 10.0.0.66
option lease 600
EOF
touch /tmp/udhcpd.leases
udhcpd /tmp/udhcpd.conf && echo "NUAGE-ROGUE-DHCP started"
{name_server("A1")}{metadata_uuid()}
for i in $(seq 1 60); do
  if ping -c 1 -W 1 {CLIENT} >/dev/null 2>&1; then echo "NUAGE-SNAT reached"; break; fi
  sleep 1
done
# A2's reachability, every second: a line on each change and every 5 rounds.
(last=""; n=0
 while true; do
   n=$((n + 1))
   if ping -c 1 -W 1 {A2} >/dev/null 2>&1; then s=up; else s=down; fi
   if [ "$s" != "$last" ] || [ $((n % 5)) -eq 0 ]; then echo "NUAGE-A1-PING-A2 $n $s"; fi
   last=$s
   sleep 1
 done) &
"""


def a2_script(a1_v6: str) -> str:
    return f"""#!/bin/sh
{name_server("A2")}{metadata_uuid()}
for i in $(seq 1 150); do
  got={fetch_name(A1)}
  [ -n "$got" ] && break
  sleep 2
done
echo "NUAGE-A2-SEES {got_or_nothing()}"
if ping -c 3 -W 2 -I {A2} {A1} >/dev/null 2>&1; then s=reached; else s=blocked; fi
echo "NUAGE-OWN-IP $s"
ip addr add {SPOOF}/24 dev eth0
if ping -c 3 -W 2 -I {SPOOF} {A1} >/dev/null 2>&1; then s=reached; else s=blocked; fi
echo "NUAGE-SPOOF-IP $s"
ip addr del {SPOOF}/24 dev eth0
cat > /tmp/lease.sh <<'EOF'
#!/bin/sh
[ "$1" = bound ] && echo "NUAGE-DHCP-LEASE $ip $serverid"
exit 0
EOF
chmod 755 /tmp/lease.sh
for i in 1 2 3; do
  udhcpc -i eth0 -f -n -q -t 3 -T 2 -s /tmp/lease.sh 2>/dev/null || echo "NUAGE-DHCP-LEASE none"
done
echo "NUAGE-A2-SEES {got_or_nothing()}"
# IPv6 (dhcpv6-stateless): the address the kernel took from the router's advertisement.
for i in $(seq 1 60); do
  v6=$(ip -6 -o addr show dev eth0 scope global | awk '{{ print $4 }}' | cut -d/ -f1)
  [ -n "$v6" ] && break
  sleep 1
done
echo "NUAGE-V6-ADDR ${{v6:-none}}"
if ping6 -c 3 -W 2 {a1_v6} >/dev/null 2>&1; then s=reached; else s=blocked; fi
echo "NUAGE-V6-PING $s"
echo "NUAGE-A2-DONE"
"""


def got_or_nothing() -> str:
    return "${got:-nothing}"


def b1_script(dhcp_server: str) -> str:
    return f"""#!/bin/sh
{name_server("B1")}{metadata_uuid()}
if arping -f -c 3 -w 4 -I eth0 {dhcp_server} >/dev/null 2>&1; then s=reached; else s=blocked; fi
echo "NUAGE-OWN-MAC $s"
own=$(cat /sys/class/net/eth0/address)
ip link set eth0 down; ip link set eth0 address {OTHER_MAC}; ip link set eth0 up
if arping -f -c 3 -w 4 -I eth0 {dhcp_server} >/dev/null 2>&1; then s=reached; else s=blocked; fi
echo "NUAGE-SPOOF-MAC $s"
ip link set eth0 down; ip link set eth0 address $own; ip link set eth0 up
# A2's address, which B has nothing at: every 3 s, for good.
(n=0
 while true; do
   n=$((n + 1))
   got={fetch_name(A2)}
   if ping -c 1 -W 1 {A2} >/dev/null 2>&1; then p=reached; else p=none; fi
   echo "NUAGE-B1-PROBE $n ${{got:-nothing}} $p"
   sleep 3
 done) &
"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNetworkNuage]:
    with live_network(tmp_path / "state") as node:
        yield node


def last_state(console: str) -> tuple[int, str]:
    lines = values(console, "A1-PING-A2")
    if not lines:
        return 0, ""
    n, state = lines[-1].split()
    return int(n), state


@pytest.mark.timeout(1800)
def test_guests_of_two_projects_on_the_same_cidr(live: LiveNetworkNuage) -> None:
    fabric, prefix = live.fabric, live.prefix
    admin = ProjectApi(live)
    a, b = member_project(live, admin), member_project(live, admin)
    assert a.project_id != b.project_id
    public = admin.public()
    outside(live)

    net_a, sub_a = a.network("guests-a", CIDR)
    sub_a6 = a.neutron("POST", "subnets", {"subnet": {
        "network_id": net_a["id"], "cidr": CIDR6, "ip_version": 6,
        "ipv6_ra_mode": "dhcpv6-stateless", "ipv6_address_mode": "dhcpv6-stateless"}},
        201)["subnet"]
    net_b, sub_b = b.network("guests-b", CIDR)
    router = a.neutron("POST", "routers", {"router": {
        "name": "guests-router", "external_gateway_info": {"network_id": public["id"]}}},
        201)["router"]
    for subnet in (sub_a, sub_a6):
        a.neutron("PUT", f"routers/{router['id']}/add_router_interface",
                  {"subnet_id": subnet["id"]})
    web = [{"protocol": "tcp", "port_range_min": 8000, "port_range_max": 8000}]
    icmp = {"protocol": "icmp"}
    open_a = a.security_group("guests-open", [
        *web, icmp, {"protocol": "ipv6-icmp", "ethertype": "IPv6"}])
    quiet_a = a.security_group("guests-quiet", web)
    open_b = b.security_group("guests-open", [*web, icmp])
    port_a1 = a.port(net_a["id"], sub_a["id"], A1, open_a["id"], (sub_a6["id"],))
    port_a2 = a.port(net_a["id"], sub_a["id"], A2, quiet_a["id"], (sub_a6["id"],))
    a1_v6, a2_v6 = (next(f["ip_address"] for f in p["fixed_ips"] if ":" in f["ip_address"])
                    for p in (port_a1, port_a2))
    port_b1 = b.port(net_b["id"], sub_b["id"], B1, open_b["id"])
    # Another project's network and port are not there for A (404), nor A's for B.
    a.neutron("GET", f"ports/{port_b1['id']}", expect=404)
    b.neutron("GET", f"networks/{net_a['id']}", expect=404)

    wait("B's DHCP port", lambda: bool(b.neutron(
        "GET", f"ports?network_id={net_b['id']}&device_owner=network:dhcp")["ports"]))
    dhcp_b = b.dhcp_address(net_b["id"])
    servers = {"A1": (a, a.boot_on_port("guests-a1", port_a1["id"], a1_script())),
               "A2": (a, a.boot_on_port("guests-a2", port_a2["id"], a2_script(a1_v6))),
               "B1": (b, b.boot_on_port("guests-b1", port_b1["id"], b1_script(dhcp_b)))}

    def console(name: str) -> str:
        api, sid = servers[name]
        return api.console(sid)

    def everything() -> str:
        return "\n".join(f"--- {n}\n{console(n)[-4000:]}" for n in servers)

    def settled(api: ProjectApi, sid: str) -> Callable[[], bool]:
        return lambda: api.status(sid) in ("ACTIVE", "ERROR")

    try:
        for name, (api, sid) in servers.items():
            wait(f"{name} ACTIVE", settled(api, sid), BOOT_TIMEOUT, every=3)
            assert api.status(sid) == "ACTIVE", api.nova("GET", f"servers/{sid}")
        check_guests(a, servers, net_a["id"], quiet_a["id"], a2_v6)
    except BaseException:
        print(everything())        # shown by pytest with the failure
        raise

    def released(api: ProjectApi, port: str) -> Callable[[], bool]:
        return lambda: not api.neutron("GET", f"ports/{port}")["port"]["device_id"]

    # Everything goes, and nothing of it stays on the host.
    ports = [port_a1["id"], port_a2["id"], port_b1["id"]]
    for _, (api, sid) in servers.items():
        api.nova("DELETE", f"servers/{sid}", expect=204)
    for api, port in zip((a, a, b), ports, strict=True):
        wait("the port released", released(api, port), 180, every=3)
        api.neutron("DELETE", f"ports/{port}", expect=204)
    for subnet in (sub_a, sub_a6):
        a.neutron("PUT", f"routers/{router['id']}/remove_router_interface",
                  {"subnet_id": subnet["id"]})
    a.neutron("DELETE", f"routers/{router['id']}", expect=204)
    a.neutron("DELETE", f"networks/{net_a['id']}", expect=204)
    b.neutron("DELETE", f"networks/{net_b['id']}", expect=204)
    for api, group in ((a, open_a), (a, quiet_a), (b, open_b)):
        api.neutron("DELETE", f"security-groups/{group['id']}", expect=204)
    gone = [net_a["id"], net_b["id"], router["id"], *ports,
            open_a["id"], quiet_a["id"], open_b["id"]]

    def nothing_left() -> bool:
        inv = fabric.inventory()
        held = inv.networks | inv.dhcp | inv.ports | inv.routers | inv.security_groups
        return not held & set(gone) and not host_traces(prefix, gone)
    wait("nothing of them on the host", nothing_left, 120,
         lambda: "\n".join(host_traces(prefix, gone)), every=3)


def check_guests(a: ProjectApi, servers: dict[str, tuple[ProjectApi, str]],
                 net_a: str, quiet_a: str, a2_v6: str) -> None:
    """What the guests saw, and the security-group change on running guests."""
    def console(name: str) -> str:
        api, sid = servers[name]
        return api.console(sid)

    def everything() -> str:
        return "\n".join(f"--- {n}\n{console(n)[-4000:]}" for n in servers)

    wait("A2 done", lambda: bool(values(console("A2"), "A2-DONE")), BOOT_TIMEOUT,
         everything, every=5)
    a2_out = console("A2")
    # Same CIDR, two projects: A1 answers at 10.0.0.10 for A2, never B1.
    assert values(a2_out, "A2-SEES") == ["A1", "A1"], a2_out
    # Anti-spoofing on a real guest: its own address reaches A1, another one does not.
    assert values(a2_out, "OWN-IP") == ["reached"], a2_out
    assert values(a2_out, "SPOOF-IP") == ["blocked"], a2_out
    # A1's udhcpd answers nobody: every lease A2 got is its own, from dnsmasq.
    dhcp_a = a.dhcp_address(net_a)
    assert values(a2_out, "DHCP-LEASE") == [f"{A2} {dhcp_a}"] * 3, a2_out
    # IPv6 on a dhcpv6-stateless subnet: the router's advertisement gave A2 the EUI-64
    # address the port holds, and A1 answers there (its group allows ICMPv6).
    assert values(a2_out, "V6-ADDR") == [a2_v6], a2_out
    assert values(a2_out, "V6-PING") == ["reached"], a2_out
    a1_out = console("A1")
    assert values(a1_out, "ROGUE-DHCP") == ["started"], a1_out
    assert values(a1_out, "SNAT") == ["reached"], a1_out

    # Metadata: each guest its own, B1 at A1's address included.
    wait("metadata everywhere", lambda: all(values(console(n), "MD-UUID") for n in servers),
         120, everything, every=5)
    for name, (_, sid) in servers.items():
        assert values(console(name), "MD-UUID") == [sid], console(name)

    # B1, from the moment A2 was known up, for a few more rounds: never reaches 10.0.0.20.
    start = len(values(console("B1"), "B1-PROBE"))
    wait("B1 probing after A2 was up", lambda: len(values(console("B1"), "B1-PROBE"))
         >= start + 3, 120, everything, every=5)
    b1_out = console("B1")
    probes = values(b1_out, "B1-PROBE")
    assert probes and all(p.split()[1:] == ["nothing", "none"] for p in probes), b1_out
    assert values(b1_out, "OWN-MAC") == ["reached"], b1_out
    assert values(b1_out, "SPOOF-MAC") == ["blocked"], b1_out

    # Security groups on running guests: A2's group has no ICMP rule yet.
    n0, _ = last_state(console("A1"))
    wait("A1's pings after A2 was up", lambda: last_state(console("A1"))[0] >= n0 + 5, 120,
         everything, every=3)
    assert last_state(console("A1"))[1] == "down", console("A1")
    rule = a.rule(quiet_a, protocol="icmp")
    wait("A1 reaches A2 once ICMP is allowed", lambda: last_state(console("A1"))[1] == "up",
         90, everything, every=3)
    a.neutron("DELETE", f"security-group-rules/{rule['id']}", expect=204)
    wait("A1 no longer reaches A2", lambda: last_state(console("A1"))[1] == "down",
         90, everything, every=3)

