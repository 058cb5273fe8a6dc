"""The cloud's external network ("public"): made on a cloud's first start, so routers have
a gateway and floating IPs an address range before an operator does anything.

It is an ordinary admin-owned network with router:external, made through the network and
subnet use cases (their checks, segment and audit event); the seed only decides whether
one is needed: never when any external network exists already, so an operator's own
external network (or the deletion of this one in favour of it) stays as they left it.
"""

from __future__ import annotations

from dataclasses import dataclass

from nuage.domain.context import RequestContext
from nuage.domain.network import Network
from nuage.services.network.networks import NetworkService, NewNetwork
from nuage.services.network.subnets import NewSubnet, SubnetService

# Devstack's layout: an untagged (flat) network on the physical network "public".
PHYSICAL_NETWORK = "public"


@dataclass(frozen=True)
class ExternalSpec:
    name: str
    cidr: str
    # None: the subnet's first address.
    gateway_ip: str | None
    pool_start: str
    pool_end: str


class ExternalNetworkSeed:
    def __init__(self, networks: NetworkService, subnets: SubnetService) -> None:
        self.networks = networks
        self.subnets = subnets

    def ensure(self, admin: RequestContext, spec: ExternalSpec) -> Network | None:
        """The external network and its subnet, made by `admin` (the cloud's administrator,
        acting at setup) when the cloud has no external network; None when it has one."""
        with self.networks.p.uow() as uow:
            if uow.networks.first(external=True) is not None:
                return None
        info = self.networks.create(admin, NewNetwork(
            name=spec.name, external=True, shared=False, network_type="flat",
            # The default for auto-allocated topologies (auto_allocation.py).
            is_default=True,
            physical_network=PHYSICAL_NETWORK,
            description="The cloud's external network: router gateways, floating IPs"))
        self.subnets.create(admin, NewSubnet(
            network_id=info.network.id, cidr=spec.cidr, name=f"{spec.name}-subnet",
            gateway_ip=spec.gateway_ip, gateway_given=spec.gateway_ip is not None,
            allocation_pools=[{"start": spec.pool_start, "end": spec.pool_end}],
            enable_dhcp=False))
        return info.network
