"""The network agent of one host: makes the host's datapath hold what the control plane
says, at start, when woken (intent changed) and every 30 seconds (a bridge or a rule
deleted by hand comes back; a stale one goes), then records each port's status, and on
the router host each router's and floating IP's, as the datapath shows them.

It runs in a thread of `nuage up` (single node) behind the same channel a remote agent
will answer on a message bus. It reads and writes the control plane only through its port
(ports/network_agent.py), never a unit of work, and drives the datapath only through the
NetworkFabric port: see the import-linter contract in pyproject.toml. It never removes
the datapath when it stops: guests outlive `nuage up`, and the next start converges.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nuage.ports.network_agent import (
    FloatingIpReport,
    HostNetwork,
    HostNetworkState,
    PortReport,
    RouterReport,
)
from nuage.ports.network_fabric import (
    FabricError,
    Inventory,
    NetworkFabric,
    NetworkSpec,
    PortSpec,
)
from nuage.services.periodic import Job, PeriodicLoop

log = logging.getLogger(__name__)

INTERVAL = 30.0


class NetworkAgent:
    def __init__(self, control: HostNetwork, fabric: NetworkFabric,
                 interval: float = INTERVAL) -> None:
        self.control = control
        self.fabric = fabric
        self._loop = PeriodicLoop("network-agent", [Job("converge", interval, self.converge)])

    @property
    def hostname(self) -> str:
        return self.control.host

    def start(self) -> None:
        """Converge once (what changed while no agent ran), then keep converging."""
        self._loop.run_due(everything=True)
        self._loop.start()

    def stop(self) -> None:
        """Stop converging. The datapath stays: guests keep their network."""
        self._loop.stop(timeout=60)

    def wake(self) -> None:
        self._loop.wake()

    def converge(self) -> None:
        """One pass: read the desired state, converge, report the ports. A FabricError is
        logged and the statuses still recorded (what failed is DOWN); the next pass retries.
        """
        state = self.control.desired()
        try:
            self.fabric.converge(state.desired)
        except FabricError as exc:
            log.error("the datapath of %s did not fully converge (retried in the next "
                      "pass): %s", self.hostname, exc)
        held = self.fabric.inventory()
        written = self.control.record_ports(reports(state.desired.ports, state.revisions,
                                                    held, state.desired.networks))
        if written:
            log.info("port statuses recorded: %s", ", ".join(sorted(written)))
        routers_written = self.control.record_routers(router_reports(state, held))
        fips_written = self.control.record_floating_ips(floating_ip_reports(state, held))
        if routers_written or fips_written:
            log.info("router and floating IP statuses recorded: %s",
                     ", ".join(sorted(routers_written | fips_written)))


def reports(ports: Iterable[PortSpec], revisions: dict[str, int], held: Inventory,
            networks: Iterable[NetworkSpec]) -> list[PortReport]:
    """Each port's status as the datapath shows it: ACTIVE when its device is on its
    network's bridge and it is administratively up, DOWN otherwise; a network's DHCP port
    is ACTIVE when its DHCP server runs."""
    out: list[PortReport] = []
    for p in ports:
        up = p.port_id in held.ports and p.network_id in held.networks and p.admin_state_up
        out.append(PortReport(p.port_id, revisions[p.port_id], "ACTIVE" if up else "DOWN"))
    for n in networks:
        if n.dhcp is not None and n.dhcp.port_id in revisions:
            up = n.network_id in held.dhcp
            out.append(PortReport(n.dhcp.port_id, revisions[n.dhcp.port_id],
                                  "ACTIVE" if up else "DOWN"))
    return out


def router_reports(state: HostNetworkState, held: Inventory) -> list[RouterReport]:
    """A router is ACTIVE when it is desired here (up) and its namespace is on the host,
    DOWN otherwise (administratively down, or not built)."""
    carried = {r.router_id for r in state.desired.routers}
    return [RouterReport(rid, revision,
                         "ACTIVE" if rid in carried and rid in held.routers else "DOWN")
            for rid, revision in state.router_revisions.items()]


def floating_ip_reports(state: HostNetworkState, held: Inventory) -> list[FloatingIpReport]:
    """A floating IP is ACTIVE when a router carried here translates it (associated, the
    router up with its gateway) and the kernel holds that translation; DOWN otherwise."""
    wanted = {f.floating_ip for r in state.desired.routers if r.router_id in held.routers
              and r.gateway is not None for f in r.floating_ips}
    return [FloatingIpReport(f.floating_ip_id, f.revision,
                             "ACTIVE" if f.address in wanted and f.address
                             in held.floating_ips else "DOWN")
            for f in state.floating_ips]


class LocalNetworkAgentChannel:
    """NetworkAgentChannel for agents in this process. A change wakes every attached
    agent: in one process that is the single host, and a converge pass is idempotent."""

    def __init__(self) -> None:
        self._agents: dict[str, NetworkAgent] = {}

    def attach(self, agent: NetworkAgent) -> None:
        self._agents[agent.hostname] = agent

    def changed(self, network_id: str, hosts: Iterable[str] = ()) -> None:
        for agent in list(self._agents.values()):
            agent.wake()
