"""Subnets: an IPv4 or IPv6 prefix on a network, its gateway, allocation pools, DNS servers
and host routes; IPv6 address modes (SLAAC, DHCPv6 stateless or stateful) stored and
returned, and applied to port addresses (auto-address modes derive them from the MAC).

The network's owner (or an admin) adds subnets; one network's prefixes never overlap. A
subnet's prefix is given (`cidr`) or taken from a subnet pool (`subnetpool_id`, or
`use_default_subnetpool`; see subnetpools.py), in the same transaction; the subnets of one
network and IP version come from one pool or none (Neutron's NetworkSubnetPoolAffinity).
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass, field
from typing import Any

from nuage.domain import network as rules
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, ValidationError
from nuage.domain.network import (
    OWN_PORT_OWNERS,
    ROUTER_OWNERS,
    IpAllocation,
    IPNetwork,
    Subnet,
)
from nuage.domain.network_errors import NetworkFault
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import (
    NetworkPorts,
    NetworkUseCases,
    all_or_none,
)
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.networks import NetworkService
from nuage.services.network.quotas import NetworkQuotaService
from nuage.services.network.subnetpools import PoolRequest, SubnetPoolService


@dataclass(frozen=True)
class NewSubnet:
    network_id: str
    # None: the prefix comes from a subnet pool (subnetpool_id or use_default_subnetpool).
    cidr: str | None = None
    # None: the pool's version (4 when no pool is named either).
    ip_version: int | None = 4
    name: str = ""
    description: str = ""
    # gateway_given False: the first address; True with None: no gateway at all.
    gateway_ip: str | None = None
    gateway_given: bool = False
    allocation_pools: list[dict[str, str]] | None = None
    enable_dhcp: bool = True
    dns_nameservers: list[str] = field(default_factory=list)
    host_routes: list[dict[str, str]] = field(default_factory=list)
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None
    project_id: str | None = None
    tags: tuple[str, ...] = ()
    # Subnet pools (services/network/subnetpools.py): a pool by id, or the default pool of
    # the version; a prefix length (the pool's default when None) or a cidr inside it.
    subnetpool_id: str | None = None
    use_default_subnetpool: bool = False
    prefixlen: int | None = None

    @classmethod
    def from_default_pool(cls, network_id: str, ip_version: int = 4,
                          project_id: str | None = None, name: str = "") -> NewSubnet:
        """A subnet of the default pool of `ip_version`, of the pool's default prefix
        length, for `project_id` (the caller's when None): what the auto-allocated topology
        asks `SubnetService.create` for."""
        return cls(network_id=network_id, ip_version=ip_version, project_id=project_id,
                   name=name, use_default_subnetpool=True)


# A new subnet's gateway, allocation pools, DNS servers and host routes, as checked.
Shape = tuple[str | None, list[dict[str, str]], list[str], list[dict[str, str]]]

UPDATABLE = frozenset({"name", "description", "gateway_ip", "allocation_pools", "enable_dhcp",
                       "dns_nameservers", "host_routes", "tags"})


def _dns(ip_version: int, servers: list[str]) -> list[str]:
    return [str(rules.parse_address("dns_nameservers", s, ip_version)) for s in servers]


def _routes(ip_version: int, routes: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for route in routes:
        destination = str(route.get("destination", ""))
        try:
            dest = ipaddress.ip_network(destination, strict=False)
        except ValueError as exc:
            raise ValidationError(NetworkFault.ADDRESS_INVALID, attribute="host_routes",
                                  value=destination) from exc
        if dest.version != ip_version:
            raise ValidationError(NetworkFault.ADDRESS_INVALID, attribute="host_routes",
                                  value=destination)
        hop = rules.parse_address("host_routes", str(route.get("nexthop", "")), ip_version)
        out.append({"destination": str(dest), "nexthop": str(hop)})
    return out


class SubnetService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    def _gateway_and_pools(self, net: IPNetwork, gateway: str | None, gateway_given: bool,
                           pools: list[dict[str, str]] | None
                           ) -> tuple[str | None, list[dict[str, str]]]:
        gw = (rules.default_gateway(net) if not gateway_given
              else None if gateway is None else rules.parse_address("gateway_ip", gateway,
                                                                    net.version))
        if gw is not None:
            rules.check_gateway(net, gw)
        parsed = (rules.default_pools(net, gw) if pools is None
                  else rules.parse_pools(net, pools))
        rules.check_gateway_outside_pools(gw, parsed)
        return (None if gw is None else str(gw)), rules.pools_as_dicts(net.version, parsed)

    def _shape(self, cmd: NewSubnet, prefix: IPNetwork) -> Shape:
        """What the prefix decides: the gateway, pools, DNS servers and routes (checked)."""
        rules.check_ipv6_modes(prefix.version, cmd.ipv6_ra_mode, cmd.ipv6_address_mode,
                               prefix)
        gateway, pools = self._gateway_and_pools(prefix, cmd.gateway_ip, cmd.gateway_given,
                                                 cmd.allocation_pools)
        return (gateway, pools, _dns(prefix.version, cmd.dns_nameservers),
                _routes(prefix.version, cmd.host_routes))

    @staticmethod
    def _pool_request(cmd: NewSubnet) -> PoolRequest | None:
        """Neutron's checks of a subnet request before any pool is read."""
        if cmd.cidr is not None and cmd.prefixlen is not None:
            raise ValidationError(NetworkFault.SUBNET_POOL_REQUEST_INVALID,
                                  reason="cidr and prefixlen must not be supplied together")
        if cmd.subnetpool_id is None and not cmd.use_default_subnetpool:
            if cmd.cidr is None:
                raise ValidationError(NetworkFault.SUBNET_POOL_REQUEST_INVALID,
                                      reason="a subnetpool must be specified in the absence "
                                             "of a cidr")
            return None
        if cmd.cidr is None and cmd.allocation_pools is not None:
            raise ValidationError(NetworkFault.SUBNET_POOL_REQUEST_INVALID,
                                  reason="allocation_pools allowed only for specific subnet "
                                         "requests.")
        return PoolRequest(subnetpool_id=cmd.subnetpool_id,
                           use_default=cmd.use_default_subnetpool, ip_version=cmd.ip_version,
                           cidr=cmd.cidr, prefixlen=cmd.prefixlen)

    def create(self, ctx: RequestContext, cmd: NewSubnet) -> Subnet:
        self.require_user(ctx)
        if cmd.ip_version not in (4, 6, None):
            raise ValidationError(NetworkFault.CIDR_VERSION_MISMATCH, cidr=cmd.cidr,
                                  ip_version=cmd.ip_version)
        request = self._pool_request(cmd)
        prefix: IPNetwork | None = None
        shape: Shape | None = None
        if request is None:
            # A given cidr is checked before any lock (a pool's prefix, once allocated).
            prefix = rules.parse_cidr(str(cmd.cidr), cmd.ip_version or 4)
            shape = self._shape(cmd, prefix)
        with self.p.uow(write=True) as uow:
            # Locked: subnets and port addresses of one network are decided one at a time.
            net = self.find_network(uow, ctx, cmd.network_id, for_update=True)
            project = self.owner_project(ctx, cmd.project_id)
            self.enforce(uow, ctx, "network:subnet:create", Target(project_id=net.project_id),
                         "subnet", None)
            if project != net.project_id:
                self.enforce(uow, ctx, "network:subnet:create", Target(project_id=project),
                             "subnet", None)
            pool_id: str | None = None
            if request is not None:
                pool = SubnetPoolService.resolve(uow, ctx, request)
                assert pool is not None          # a request always names a pool
                if cmd.cidr is not None:
                    rules.parse_cidr(cmd.cidr, pool.ip_version)
                allocated = SubnetPoolService.allocate(uow, pool, project, request)
                prefix = rules.parse_cidr(str(allocated), pool.ip_version)
                shape = self._shape(cmd, prefix)
                pool_id = pool.id
            assert prefix is not None and shape is not None
            existing = uow.subnets.find(network_id=net.id)
            if any(s.ip_version == prefix.version and s.subnetpool_id != pool_id
                   for s in existing):
                raise ValidationError(NetworkFault.NETWORK_SUBNETPOOL_AFFINITY)
            other = rules.overlapping(str(prefix), existing)
            if other is not None:
                raise ValidationError(NetworkFault.SUBNET_OVERLAPS, cidr=str(prefix),
                                      network_id=net.id, subnet_id=other.id)
            self.quotas.check(uow, project, "subnet")
            gateway, pools, dns, routes = shape
            now = self.p.clock.now()
            subnet = Subnet(
                id=str(uuid.uuid4()), project_id=project, network_id=net.id,
                ip_version=prefix.version, cidr=str(prefix), created_at=now, updated_at=now,
                name=cmd.name, description=cmd.description, gateway_ip=gateway,
                allocation_pools=pools, enable_dhcp=cmd.enable_dhcp, dns_nameservers=dns,
                host_routes=routes, ipv6_ra_mode=cmd.ipv6_ra_mode,
                ipv6_address_mode=cmd.ipv6_address_mode, tags=list(cmd.tags),
                subnetpool_id=pool_id)
            uow.subnets.add(subnet)
            if subnet.auto_address:
                self._address_existing_ports(uow, subnet)
            self.record(uow, ctx, "subnet.create", "subnet", subnet.id, project,
                        {"network_id": net.id, "cidr": subnet.cidr,
                         "subnetpool_id": pool_id})
            uow.commit()
            self.wake(subnet.network_id)
            return subnet

    def _enforce_owner(self, uow: UnitOfWork, ctx: RequestContext, row: str, subnet: Subnet,
                       network_project: str | None) -> None:
        """The subnet's project, or its network's owner (Neutron's admin_or_network_owner),
        may change it."""
        if network_project is not None and policy.may(ctx, row,
                                                      Target(project_id=network_project)):
            return
        self.enforce(uow, ctx, row, Target(project_id=subnet.project_id), "subnet", subnet.id)

    def create_many(self, ctx: RequestContext, cmds: list[NewSubnet]) -> list[Subnet]:
        return all_or_none(lambda c: self.create(ctx, c), lambda s: self.delete(ctx, s.id),
                           cmds)

    @staticmethod
    def _address_existing_ports(uow: UnitOfWork, subnet: Subnet) -> None:
        """An auto-address subnet gives every port already on the network its EUI-64
        address (routers pick theirs when they attach)."""
        for port in uow.ports.find(network_id=subnet.network_id):
            if port.device_owner in ROUTER_OWNERS:
                continue
            ip = rules.eui64_address(subnet.cidr, port.mac_address)
            uow.ip_allocations.add(IpAllocation(subnet.id, ip, port.id, subnet.network_id))
            port.fixed_ips = [*port.fixed_ips, {"subnet_id": subnet.id, "ip_address": ip}]
            port.revision_number += 1

    def get(self, ctx: RequestContext, subnet_id: str) -> Subnet:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self.find_subnet(uow, ctx, subnet_id)

    def list_subnets(self, ctx: RequestContext, q: ListQuery) -> Page[Subnet]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            if policy.is_cloud_reader(ctx):
                subnets = uow.subnets.find()
            else:
                nets = NetworkService.visible_networks(uow, ctx)
                subnets = uow.subnets.find(network_id=[n.id for n in nets])
            return page(subnets, q, "subnet", self.p.config.max_page)

    def update(self, ctx: RequestContext, subnet_id: str, changes: dict[str, Any]) -> Subnet:
        self.require_user(ctx)
        changes = {k: v for k, v in changes.items() if k in UPDATABLE}
        with self.p.uow(write=True) as uow:
            subnet = self.find_subnet(uow, ctx, subnet_id)
            net = self.find_network(uow, ctx, subnet.network_id, for_update=True)
            self._enforce_owner(uow, ctx, "network:subnet:update", subnet, net.project_id)
            prefix = ipaddress.ip_network(subnet.cidr)
            if "gateway_ip" in changes or "allocation_pools" in changes:
                gateway, pools = self._gateway_and_pools(
                    prefix, changes.get("gateway_ip", subnet.gateway_ip), True,
                    changes.get("allocation_pools", subnet.allocation_pools))
                if gateway is not None and gateway != subnet.gateway_ip and (
                        uow.ip_allocations.get((subnet.id, gateway)) is not None):
                    raise Conflict(NetworkFault.IP_TAKEN, ip_address=gateway,
                                   network_id=net.id)
                subnet.gateway_ip, subnet.allocation_pools = gateway, pools
            if "dns_nameservers" in changes:
                subnet.dns_nameservers = _dns(subnet.ip_version, changes["dns_nameservers"])
            if "host_routes" in changes:
                subnet.host_routes = _routes(subnet.ip_version, changes["host_routes"])
            for key in ("name", "description", "enable_dhcp"):
                if key in changes:
                    setattr(subnet, key, changes[key])
            if "tags" in changes:
                subnet.tags = list(changes["tags"])
            subnet.updated_at = self.p.clock.now()
            subnet.revision_number += 1
            self.record(uow, ctx, "subnet.update", "subnet", subnet.id, subnet.project_id,
                        {"changed": sorted(changes)})
            uow.commit()
            self.wake(subnet.network_id)
            return subnet

    def delete(self, ctx: RequestContext, subnet_id: str) -> None:
        """Refused (409 SubnetInUse) while a port other than the network's own DHCP port
        holds an address from it (unless the subnet's addresses are SLAAC ones)."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            subnet = self.find_subnet(uow, ctx, subnet_id)
            net = uow.networks.get_for_update(subnet.network_id)
            self._enforce_owner(uow, ctx, "network:subnet:delete", subnet,
                                net.project_id if net is not None else None)
            holders = {a.port_id for a in uow.ip_allocations.find(subnet_id=subnet.id)}
            ports = uow.ports.find(id=list(holders)) if holders else []
            # An auto-address (SLAAC) subnet's addresses follow the prefix: they go with it.
            if not subnet.auto_address and any(p.device_owner not in OWN_PORT_OWNERS
                                               for p in ports):
                raise Conflict(NetworkFault.SUBNET_IN_USE, subnet_id=subnet.id)
            for port in ports:
                port.fixed_ips = [f for f in port.fixed_ips if f["subnet_id"] != subnet.id]
                port.revision_number += 1
            uow.ip_allocations.delete_where(subnet_id=subnet.id)
            uow.subnets.delete(subnet)
            self.record(uow, ctx, "subnet.delete", "subnet", subnet.id, subnet.project_id,
                        {"network_id": subnet.network_id, "cidr": subnet.cidr})
            uow.commit()
            self.wake(subnet.network_id)
