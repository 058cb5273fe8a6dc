"""The network use cases of one deployment, built from their ports (see `build_image`)."""

from __future__ import annotations

from dataclasses import dataclass

from nuage.services.network.auto_allocation import AutoAllocationService
from nuage.services.network.base import NetworkPorts
from nuage.services.network.compute_binding import ComputeNetworkBinding
from nuage.services.network.external import ExternalNetworkSeed
from nuage.services.network.floatingips import FloatingIpService
from nuage.services.network.metadata import MetadataLookup
from nuage.services.network.networks import NetworkService
from nuage.services.network.ports import PortService
from nuage.services.network.quotas import NetworkQuotaService
from nuage.services.network.rbac import RbacPolicyService
from nuage.services.network.routers import RouterService
from nuage.services.network.security_group_rules import SecurityGroupRuleService
from nuage.services.network.security_groups import SecurityGroupService
from nuage.services.network.subnetpools import SubnetPoolService
from nuage.services.network.subnets import SubnetService


@dataclass(frozen=True)
class NetworkServices:
    networks: NetworkService
    subnets: SubnetService
    ports: PortService
    quotas: NetworkQuotaService
    security_groups: SecurityGroupService
    security_group_rules: SecurityGroupRuleService
    routers: RouterService
    floatingips: FloatingIpService
    external: ExternalNetworkSeed
    auto_allocation: AutoAllocationService
    config_max_page: int
    # Who asks the metadata service (api/metadata).
    metadata: MetadataLookup
    # Compute's ServerNetworks port (its servers' NICs), served by these use cases.
    compute_binding: ComputeNetworkBinding
    subnetpools: SubnetPoolService
    rbac_policies: RbacPolicyService


def build_network(ports: NetworkPorts) -> NetworkServices:
    quotas = NetworkQuotaService(ports)
    networks = NetworkService(ports, quotas)
    subnets = SubnetService(ports, quotas)
    port_service = PortService(ports, quotas)
    routers = RouterService(ports, quotas, port_service)
    auto_allocation = AutoAllocationService(ports, networks, subnets, routers)
    binding = ComputeNetworkBinding(port_service)
    binding.auto_allocation = auto_allocation
    return NetworkServices(networks=networks, subnets=subnets, ports=port_service,
                           quotas=quotas, routers=routers,
                           floatingips=FloatingIpService(ports, quotas, port_service, routers),
                           external=ExternalNetworkSeed(networks, subnets),
                           auto_allocation=auto_allocation,
                           security_groups=SecurityGroupService(ports, quotas),
                           security_group_rules=SecurityGroupRuleService(ports, quotas),
                           config_max_page=ports.config.max_page,
                           metadata=MetadataLookup(ports),
                           compute_binding=binding,
                           subnetpools=SubnetPoolService(ports, quotas),
                           rbac_policies=RbacPolicyService(ports))
