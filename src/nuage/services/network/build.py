"""The network use cases of one deployment, built from their ports (see `build_image`)."""

from __future__ import annotations

from dataclasses import dataclass

from nuage.services.network.base import NetworkPorts
from nuage.services.network.external import ExternalNetworkSeed
from nuage.services.network.floatingips import FloatingIpService
from nuage.services.network.networks import NetworkService
from nuage.services.network.ports import PortService
from nuage.services.network.quotas import NetworkQuotaService
from nuage.services.network.routers import RouterService
from nuage.services.network.subnets import SubnetService


@dataclass(frozen=True)
class NetworkServices:
    networks: NetworkService
    subnets: SubnetService
    ports: PortService
    quotas: NetworkQuotaService
    routers: RouterService
    floatingips: FloatingIpService
    external: ExternalNetworkSeed
    config_max_page: int


def build_network(ports: NetworkPorts) -> NetworkServices:
    quotas = NetworkQuotaService(ports)
    networks = NetworkService(ports, quotas)
    subnets = SubnetService(ports, quotas)
    port_service = PortService(ports, quotas)
    routers = RouterService(ports, quotas, port_service)
    return NetworkServices(networks=networks, subnets=subnets, ports=port_service,
                           quotas=quotas, routers=routers,
                           floatingips=FloatingIpService(ports, quotas, port_service, routers),
                           external=ExternalNetworkSeed(networks, subnets),
                           config_max_page=ports.config.max_page)
