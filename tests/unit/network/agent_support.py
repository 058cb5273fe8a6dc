"""The network services on SQLite :memory: with the control plane's side of the network
agent's port, and a channel that records the wake-ups (the agents' tests share it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from nuage.domain.context import RequestContext
from nuage.domain.network import Port
from nuage.drivers.clock import SystemClock
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports.network_agent import NetworkAgentChannel
from nuage.services.audit import Auditor
from nuage.services.network.agent_control import NetworkAgentControl
from nuage.services.network.base import NetworkConfig, NetworkPorts
from nuage.services.network.build import NetworkServices, build_network
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from nuage.services.network.subnets import NewSubnet

HOST = "node-1"
ADMIN = RequestContext(request_id="req-admin", user_id="u-admin", project_id="p-admin",
                       roles=frozenset({"admin", "member", "reader"}), is_admin_project=True)
ALICE = RequestContext(request_id="req-a", user_id="u-a", project_id="p-a",
                       roles=frozenset({"member", "reader"}))


@dataclass
class RecordingChannel:
    """Records each change, then passes it on (to a local agents' channel, if any)."""

    changes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    then: NetworkAgentChannel | None = None

    def changed(self, network_id: str, hosts: Iterable[str] = ()) -> None:
        self.changes.append((network_id, tuple(hosts)))
        if self.then is not None:
            self.then.changed(network_id, hosts)


@dataclass
class Plane:
    s: NetworkServices
    ports: NetworkPorts
    channel: RecordingChannel
    control: NetworkAgentControl

    def network(self, cidr: str | None = "10.0.0.0/24", **subnet: object) -> str:
        net = self.s.networks.create(ALICE, NewNetwork(name="n")).network
        if cidr is not None:
            self.subnet(net.id, cidr, **subnet)
        return net.id

    def subnet(self, network_id: str, cidr: str, **kw: object) -> str:
        version = 6 if ":" in cidr else 4
        return self.s.subnets.create(ALICE, NewSubnet(
            network_id=network_id, cidr=cidr, ip_version=version, **kw)).id  # type: ignore[arg-type]

    def port(self, network_id: str, host: str | None = HOST, **kw: object) -> Port:
        made = self.s.ports.create(ALICE, NewPort(network_id=network_id, **kw))  # type: ignore[arg-type]
        if host is not None:
            made = self.s.ports.update(ADMIN, made.id, {"binding_host_id": host})
        return made

    def get(self, port_id: str) -> Port:
        return self.s.ports.get(ADMIN, port_id)


def make_plane(dhcp_host: str | None = HOST, config: NetworkConfig | None = None,
               db_url: str = "sqlite://") -> Iterator[Plane]:
    """`db_url`: a file when an agent's thread shares it (:memory: is one connection)."""
    engine = make_engine(db_url)
    upgrade(engine)
    clock = SystemClock()
    channel = RecordingChannel()
    ports = NetworkPorts(uow=SqlUnitOfWorkFactory(engine), clock=clock, auditor=Auditor(clock),
                         config=config or NetworkConfig(), agents=channel)
    services = build_network(ports)
    try:
        yield Plane(services, ports, channel,
                    NetworkAgentControl(ports, services.ports, dhcp_host=dhcp_host))
    finally:
        engine.dispose()
