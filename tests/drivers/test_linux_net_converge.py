"""converge on the Linux datapath: after objects or rules were removed by hand and stale
ones were left behind, one pass of a new fabric instance (as after nuage restarts: the
kernel is the only memory) puts the host back to the desired state and traffic flows
again; an empty desired state leaves nothing of the fabric's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric, dhcp
from nuage.drivers.linux_net.kernel import namespaces
from nuage.ports.network_fabric import (
    DesiredState,
    DhcpHost,
    DhcpServer,
    FixedIp,
    FloatingIpSpec,
    NetworkSpec,
    PortSpec,
    RouterGateway,
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.netns import (
    dhcp_lease,
    external_client,
    linux_fabric,
    needs_root_net,
    sh,
    stand_in,
    tcp_peer,
    tcp_server,
)

pytestmark = needs_root_net


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path / "state") as real:
        yield real


def uid() -> str:
    return str(uuid.uuid4())


def delete_rule(ns: str, family: str, chain: str, matching: str) -> None:
    """Delete by hand the first rule of the chain whose JSON mentions `matching`."""
    listed = json.loads(sh(ns, "nft", "-j", "-a", "list", "chain", family, "nuage",
                           chain).stdout)["nftables"]
    for obj in listed:
        rule = obj.get("rule")
        if rule and matching in json.dumps(rule["expr"]):
            sh(ns, "nft", "delete", "rule", family, "nuage", chain, "handle",
               str(rule["handle"]))
            return
    raise AssertionError(f"no rule with {matching} in {chain}")


def test_converge_repairs_drift_and_removes_stale(fabric: LinuxNetworkFabric,
                                                  tmp_path: Path) -> None:
    sid = uid()
    group = SecurityGroupSpec("web", rules=(
        SecurityRule(direction="egress"),
        SecurityRule(direction="ingress", protocol="tcp", port_range_min=22,
                     port_range_max=22)))
    net = NetworkSpec(uid(), 701, subnets=(SubnetSpec(sid, "10.0.0.0/24", "10.0.0.1"),),
                      dhcp=DhcpServer(uid(), "fa:16:3e:00:70:02", (FixedIp(sid, "10.0.0.2"),)),
                      dhcp_hosts=(DhcpHost("fa:16:3e:00:70:05", "10.0.0.5", "vm"),))
    guest = stand_in(fabric, "vm")
    port = PortSpec(uid(), net.network_id, "fa:16:3e:00:70:05",
                    fixed_ips=(FixedIp(sid, "10.0.0.5"),), security_groups=("web",),
                    guest_netns=guest)
    router = RouterSpec(uid(), interfaces=(RouterInterface(uid(), net.network_id,
                                                           "fa:16:3e:00:70:01",
                                                           "10.0.0.1/24"),),
                        gateway=RouterGateway(uid(), "fa:16:3e:00:71:01", "203.0.113.10/24"),
                        floating_ips=(FloatingIpSpec("203.0.113.20", "10.0.0.5"),))
    desired = DesiredState(networks=(net,), ports=(port,), routers=(router,),
                           security_groups=(group,))
    fabric.converge(desired)
    lease = dhcp_lease(guest, tmp_path)
    assert lease is not None and lease["ip"] == "10.0.0.5"
    client = external_client(fabric, "client", "203.0.113.1/24")
    dp = fabric.guest_netns()
    router_ns = fabric.names.router_ns(router.router_id)
    files = dhcp.state_dir(fabric.state_dir, net.network_id)

    def restarted() -> LinuxNetworkFabric:
        """A new instance, as after nuage restarts: the kernel is the only memory."""
        return LinuxNetworkFabric(fabric.state_dir, prefix=fabric.names.prefix)

    def reachable(port: int = 22) -> bool:
        return tcp_peer(client, "203.0.113.20", port) == "203.0.113.1"

    def works() -> bool:
        """SSH is open, telnet (no rule) is not."""
        return reachable(22) and not reachable(23)

    leg = fabric.names.router_leg(router.interfaces[0].port_id)
    drifts: list[tuple[str, Callable[[], object]]] = [
        ("the SSH rule", lambda: delete_rule(dp, "inet", "sg-web-in", '"dport"')),
        ("the floating IP's DNAT", lambda: delete_rule(router_ns, "ip", "prerouting",
                                                       "dnat")),
        ("the bridge", lambda: sh(dp, "ip", "link", "del", "nb701")),
        ("the router's leg", lambda: sh(dp, "ip", "link", "del", leg)),
        # Base rules: without them the port's ingress chain is skipped (fail-open):
        # telnet gets through until converge puts them back.
        ("the ingress dispatch", lambda: delete_rule(dp, "inet", "ingress", '"vmap"')),
        ("the egress-port tagging", lambda: delete_rule(dp, "bridge", "forward", '"vmap"')),
    ]
    with tcp_server(guest, 22), tcp_server(guest, 23):
        assert works()
        for what, drift in drifts:
            drift()
            assert not works(), what
            if what == "the floating IP's DNAT":
                # What the agent reports the floating IP DOWN from, until repaired.
                assert fabric.inventory().floating_ips == frozenset()
            restarted().converge(desired)
            assert works(), what
        assert fabric.inventory().floating_ips == {"203.0.113.20"}

    pid = dhcp.running(files)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)                               # dnsmasq died
    stale_router = fabric.names.router_ns(uid())               # a crash's leftovers
    stale_dhcp = fabric.names.dhcp_ns(uid())
    for stale in (stale_router, stale_dhcp):
        subprocess.run(["ip", "netns", "add", stale], check=True)
    # A server left running in the stale namespace, its pid file lost.
    orphan = subprocess.Popen(["ip", "netns", "exec", stale_dhcp, "sleep", "600"])
    try:
        restarted().converge(desired)
        assert orphan.wait(timeout=10) != 0
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait()
    assert stale_router not in namespaces() and stale_dhcp not in namespaces()
    assert dhcp.running(files) is not None
    sh(guest, "ip", "addr", "flush", "dev", "eth0")
    assert dhcp_lease(guest, tmp_path) is not None

    # Nothing desired: nothing of the fabric's remains but the empty datapath namespace
    # (and the test's own client leg on the external bridge).
    fabric.converge(DesiredState())
    mine = {n for n in namespaces() if n.startswith(fabric.names.prefix + "-")}
    assert mine == {dp, guest, client}
    links = sh(dp, "ip", "-o", "link").stdout
    assert "nb701" not in links and "tap" not in links and " dh" not in links
    rules = sh(dp, "nft", "list", "ruleset").stdout
    assert "sg-web" not in rules and "p-" not in rules
    assert dhcp.running(files) is None and not files.exists()
    assert fabric.inventory() == fabric.inventory().__class__()
