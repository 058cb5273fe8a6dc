"""The network agent's port: what a host's network agent asks of the control plane, and
tells it (the compute agent's template, ports/compute_agent.py).

The agent learns the whole desired datapath of its host (`HostNetwork.desired`: a
`DesiredState` of the fabric port, plus the revision of every port it was built from) and
records what the datapath holds (`HostNetwork.record_ports`, and on the router host
`record_routers` and `record_floating_ips`), with compare-and-set on the revision it acted
on: a port changed, moved or deleted meanwhile is not overwritten, and
the next pass sees the change. Everything that crosses is a frozen dataclass of strings,
numbers and tuples, so that the port can be served over a message bus exactly as it is
served in-process today; it never carries a unit of work or a record (see the
import-linter contract in pyproject.toml).

The port is bound to one host: the side that serves it names the host, never the agent's
arguments, so an agent can neither read nor change another host's ports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from nuage.ports.network_fabric import DesiredState

PortStatus = Literal["ACTIVE", "DOWN"]


@dataclass(frozen=True)
class HostNetworkState:
    """What the host's datapath should hold, and what it was built from: `revisions`
    maps every port the agent may report on (the ports plugged here and the networks'
    DHCP ports) to the port's `revision_number` when read."""

    desired: DesiredState
    revisions: dict[str, int] = field(default_factory=dict)
    # The routers this host answers for (the router host: every router, those that are
    # down too) and their revisions.
    router_revisions: dict[str, int] = field(default_factory=dict)
    # The floating IPs this host answers for (the router host: every one).
    floating_ips: tuple[FloatingIpState, ...] = ()


@dataclass(frozen=True)
class FloatingIpState:
    """A floating IP as read: its address (the fabric's key) and revision."""

    floating_ip_id: str
    revision: int
    address: str


@dataclass(frozen=True)
class PortReport:
    """The datapath's view of one port, as of the revision the agent acted on."""

    port_id: str
    revision: int
    status: PortStatus


@dataclass(frozen=True)
class RouterReport:
    """A router's status as the datapath shows it, as of the revision acted on."""

    router_id: str
    revision: int
    status: PortStatus


@dataclass(frozen=True)
class FloatingIpReport:
    """A floating IP's status as the datapath shows it, as of the revision acted on."""

    floating_ip_id: str
    revision: int
    status: PortStatus


class HostNetwork(Protocol):
    """The control plane, as one host's network agent sees it. Blocking calls, each its
    own transaction(s) on the serving side; safe to call from several threads."""

    @property
    def host(self) -> str:
        """The host this port is bound to."""
        ...

    def desired(self) -> HostNetworkState:
        """The datapath this host should hold now: every network it carries (with its
        subnets, DHCP server and static leases) and the ports bound to it."""
        ...

    def record_ports(self, reports: Iterable[PortReport]) -> frozenset[str]:
        """Write each report's status only if the port still exists, is still served by
        this host and still has the reported revision. The ids written (a report equal to
        what is recorded writes nothing)."""
        ...

    def record_routers(self, reports: Iterable[RouterReport]) -> frozenset[str]:
        """The same for routers this host answers for: written only if the router still
        exists with the reported revision. The ids written."""
        ...

    def record_floating_ips(self, reports: Iterable[FloatingIpReport]) -> frozenset[str]:
        """The same for floating IPs this host answers for. The ids written."""
        ...


class NetworkAgentChannel(Protocol):
    """How the network services wake the agents whose datapath a change touches
    (in-process today; a message bus between machines later)."""

    def changed(self, network_id: str, hosts: Iterable[str] = ()) -> None:
        """Intent changed on `network_id` (every host carrying it is concerned) and for
        the ports bound to `hosts`. Non-blocking; losing it only delays until the agents'
        next periodic pass."""
        ...


class NoNetworkAgents:
    """The channel when no agent runs (tests of the services, NUAGE_NETWORK_DATAPATH off)."""

    def changed(self, network_id: str, hosts: Iterable[str] = ()) -> None:
        return None
