"""Routers: a project's router, its gateway to an external network, its interfaces on
subnets, and its static routes (Neutron's router, ext-gw-mode and extraroute).

A router's interfaces are ports (device_owner network:router_interface, device_id the
router), each holding the gateway address of its subnet; its gateway is a port of the
external network (network:router_gateway) that belongs to no project, as in Neutron. All
of it is rows: the datapath is built from them by the agent, never called from here.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass, field
from typing import Any

from nuage.domain import network_l3 as l3
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.domain.network import DEVICE_OWNER_ROUTER_INTF, Network, Port, Subnet
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_l3 import DEVICE_OWNER_ROUTER_GW, Router
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import (
    NetworkPorts,
    NetworkUseCases,
    all_or_none,
    drop_port,
)
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.ports import FixedIp, PortService
from nuage.services.network.quotas import NetworkQuotaService


@dataclass(frozen=True)
class GatewayInfo:
    """external_gateway_info as asked: the external network, SNAT (None: keep, or
    Neutron's default, on), and the gateway's addresses (None: the cloud chooses)."""

    network_id: str
    enable_snat: bool | None = None
    external_fixed_ips: tuple[FixedIp, ...] | None = None


@dataclass(frozen=True)
class NewRouter:
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    gateway: GatewayInfo | None = None
    project_id: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class InterfaceInfo:
    """What add/remove_router_interface answer."""

    router_id: str
    project_id: str
    port_id: str
    subnet_id: str
    network_id: str
    subnet_ids: list[str] = field(default_factory=list)


# An interface is as up as its router (ACTIVE, as the router's status says): nothing but
# the router plugs it, and clients (Tempest) wait for it before removing it. Other ports
# stay DOWN until a datapath binds them.
INTERFACE_STATUS = "ACTIVE"

# Attributes an update may change ("gateway": a GatewayInfo, or None to remove it).
UPDATABLE = frozenset({"name", "description", "admin_state_up", "gateway", "routes", "tags"})


def router_visible(ctx: RequestContext, router: Router) -> bool:
    return policy.may(ctx, "network:router:get", Target(project_id=router.project_id))


def _subnet_ids(port: Port) -> list[str]:
    return [f["subnet_id"] for f in port.fixed_ips]


class RouterService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService,
                 port_service: PortService) -> None:
        super().__init__(ports)
        self.quotas = quotas
        self.ports = port_service

    # -- lookups ----------------------------------------------------------------------------
    @staticmethod
    def find_router(uow: UnitOfWork, ctx: RequestContext, router_id: str) -> Router:
        router = uow.routers.get_for_update(router_id)
        if router is None or not router_visible(ctx, router):
            raise NotFound("router", router_id)
        return router

    @staticmethod
    def interfaces(uow: UnitOfWork, router_id: str) -> list[Port]:
        return sorted(uow.ports.find(device_id=router_id, device_owner=DEVICE_OWNER_ROUTER_INTF),
                      key=lambda p: p.created_at)

    @staticmethod
    def _subnets_of(uow: UnitOfWork, ports: list[Port]) -> list[Subnet]:
        ids = [s for p in ports for s in _subnet_ids(p)]
        return uow.subnets.find(id=ids) if ids else []

    def _check_overlap(self, uow: UnitOfWork, router: Router, adding: list[Subnet]) -> None:
        """No two of the router's subnets (interfaces and gateway) overlap."""
        attached = self._subnets_of(uow, self.interfaces(uow, router.id))
        gateway_ids = [f["subnet_id"] for f in router.external_fixed_ips]
        if gateway_ids:
            attached += uow.subnets.find(id=gateway_ids)
        for subnet in adding:
            other = l3.overlapping_subnet(subnet, attached)
            if other is not None:
                raise ValidationError(NetworkFault.ROUTER_SUBNETS_OVERLAP, cidr=subnet.cidr,
                                      subnet_id=subnet.id, other_cidr=other.cidr,
                                      other_subnet_id=other.id)
            attached.append(subnet)

    # -- the gateway ------------------------------------------------------------------------
    def _clear_gateway(self, uow: UnitOfWork, router: Router) -> None:
        if router.gw_network_id is None:
            return
        if uow.floating_ips.first(router_id=router.id) is not None:
            raise Conflict(NetworkFault.GATEWAY_IN_USE_BY_FLOATINGIP, router_id=router.id,
                           network_id=router.gw_network_id)
        if router.gw_port_id is not None:
            drop_port(uow, router.gw_port_id)
        router.gw_network_id = router.gw_port_id = None
        router.external_fixed_ips = []
        router.enable_snat = True

    def _set_gateway(self, uow: UnitOfWork, ctx: RequestContext, router: Router,
                     info: GatewayInfo | None) -> None:
        if info is None:
            self._clear_gateway(uow, router)
            return
        net = self.find_network(uow, ctx, info.network_id, for_update=True)
        if not net.external:
            raise ValidationError(NetworkFault.NOT_EXTERNAL, resource="router",
                                  network_id=net.id)
        anyone = Target()
        if info.enable_snat is not None and info.enable_snat != router.enable_snat:
            self.enforce(uow, ctx, "network:router:set_enable_snat", anyone, "router",
                         router.id)
        if info.external_fixed_ips is not None:
            self.enforce(uow, ctx, "network:router:set_external_fixed_ips", anyone, "router",
                         router.id)
        if router.gw_network_id == net.id and router.gw_port_id is not None:
            port = uow.ports.get(router.gw_port_id)
            if port is not None and info.external_fixed_ips is not None:
                port.fixed_ips = self.ports.allocate_for(uow, net, port,
                                                         info.external_fixed_ips)
                port.revision_number += 1
                router.external_fixed_ips = list(port.fixed_ips)
        else:
            self._clear_gateway(uow, router)
            self._check_overlap(uow, router, uow.subnets.find(network_id=net.id))
            port = self.ports.make_port(uow, net, "", router.id, DEVICE_OWNER_ROUTER_GW,
                                        info.external_fixed_ips)
            if not port.fixed_ips:
                raise ValidationError(NetworkFault.ROUTER_BAD_REQUEST,
                                      reason=f"No IPs available for external network {net.id}")
            router.gw_network_id, router.gw_port_id = net.id, port.id
            router.external_fixed_ips = list(port.fixed_ips)
        if info.enable_snat is not None:
            router.enable_snat = info.enable_snat

    # -- use cases --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewRouter) -> Router:
        self.require_user(ctx)
        project = self.owner_project(ctx, cmd.project_id)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "network:router:create", Target(project_id=project),
                         "router", None)
            self.quotas.check(uow, project, "router")
            now = self.p.clock.now()
            router = Router(id=str(uuid.uuid4()), project_id=project, created_at=now,
                            updated_at=now, name=cmd.name, description=cmd.description,
                            admin_state_up=cmd.admin_state_up, tags=list(cmd.tags))
            self._set_gateway(uow, ctx, router, cmd.gateway)
            uow.routers.add(router)
            self.record(uow, ctx, "router.create", "router", router.id, project,
                        {"name": router.name, "gateway_network_id": router.gw_network_id})
            uow.commit()
            self.wake(router.gw_network_id or "")   # the router host's datapath follows
            return router

    def create_many(self, ctx: RequestContext, cmds: list[NewRouter]) -> list[Router]:
        return all_or_none(lambda c: self.create(ctx, c), lambda r: self.delete(ctx, r.id),
                           cmds)

    def get(self, ctx: RequestContext, router_id: str) -> Router:
        self.require_user(ctx)
        with self.p.uow() as uow:
            router = uow.routers.get(router_id)
            if router is None or not router_visible(ctx, router):
                raise NotFound("router", router_id)
            return router

    def list_routers(self, ctx: RequestContext, q: ListQuery) -> Page[Router]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            if policy.is_cloud_reader(ctx):
                found = uow.routers.find()
            else:
                found = uow.routers.find(project_id=ctx.project_id) if ctx.project_id else []
            return page(found, q, "router", self.p.config.max_page)

    def update(self, ctx: RequestContext, router_id: str, changes: dict[str, Any]) -> Router:
        self.require_user(ctx)
        changes = {k: v for k, v in changes.items() if k in UPDATABLE}
        with self.p.uow(write=True) as uow:
            router = self.find_router(uow, ctx, router_id)
            self.enforce(uow, ctx, "network:router:update",
                         Target(project_id=router.project_id), "router", router.id)
            if "gateway" in changes:
                self._set_gateway(uow, ctx, router, changes["gateway"])
            if "routes" in changes:
                router.routes = self._checked_routes(uow, router, list(changes["routes"]))
            for key in ("name", "description", "admin_state_up"):
                if key in changes:
                    setattr(router, key, changes[key])
            if "tags" in changes:
                router.tags = list(changes["tags"])
            router.updated_at = self.p.clock.now()
            router.revision_number += 1
            self.record(uow, ctx, "router.update", "router", router.id, router.project_id,
                        {"changed": sorted(changes)})
            uow.commit()
            self.wake(router.gw_network_id or "")   # the router host's datapath follows
            return router

    def _checked_routes(self, uow: UnitOfWork, router: Router, routes: list[dict[str, str]]
                        ) -> list[dict[str, str]]:
        """extraroute: each nexthop on one of the router's subnets, not its own address."""
        ports = self.interfaces(uow, router.id)
        connected = [s.cidr for s in self._subnets_of(uow, ports)]
        gateway_ids = [f["subnet_id"] for f in router.external_fixed_ips]
        if gateway_ids:
            connected += [s.cidr for s in uow.subnets.find(id=gateway_ids)]
        own = [f["ip_address"] for p in ports for f in p.fixed_ips]
        own += [f["ip_address"] for f in router.external_fixed_ips]
        return l3.check_routes(router.id, routes, connected, own)

    def delete(self, ctx: RequestContext, router_id: str) -> None:
        """Refused (409 RouterInUse) while interfaces remain; the gateway goes with it."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            router = self.find_router(uow, ctx, router_id)
            self.enforce(uow, ctx, "network:router:delete",
                         Target(project_id=router.project_id), "router", router.id)
            if self.interfaces(uow, router.id):
                raise Conflict(NetworkFault.ROUTER_IN_USE, router_id=router.id)
            self._clear_gateway(uow, router)
            uow.routers.delete(router)
            self.record(uow, ctx, "router.delete", "router", router.id, router.project_id,
                        {"name": router.name})
            uow.commit()
            self.wake(router.gw_network_id or "")   # the router host's datapath follows

    # -- interfaces -------------------------------------------------------------------------
    @staticmethod
    def _one_of(subnet_id: str | None, port_id: str | None) -> None:
        if subnet_id is None and port_id is None:
            raise ValidationError(NetworkFault.ROUTER_BAD_REQUEST,
                                  reason="Either subnet_id or port_id must be specified")

    def add_interface(self, ctx: RequestContext, router_id: str, subnet_id: str | None = None,
                      port_id: str | None = None) -> InterfaceInfo:
        self.require_user(ctx)
        self._one_of(subnet_id, port_id)
        if subnet_id is not None and port_id is not None:
            raise ValidationError(NetworkFault.ROUTER_BAD_REQUEST,
                                  reason="Cannot specify both subnet-id and port-id")
        with self.p.uow(write=True) as uow:
            router = self.find_router(uow, ctx, router_id)
            self.enforce(uow, ctx, "network:router:add_interface",
                         Target(project_id=router.project_id), "router", router.id)
            if port_id is not None:
                port, subnets = self._attach_port(uow, ctx, router, port_id)
            else:
                assert subnet_id is not None
                port, subnets = self._attach_subnet(uow, ctx, router, subnet_id)
            info = InterfaceInfo(router.id, router.project_id, port.id, subnets[0].id,
                                 port.network_id, [s.id for s in subnets])
            self.record(uow, ctx, "router.add_interface", "router", router.id,
                        router.project_id, {"port_id": port.id,
                                            "subnet_ids": info.subnet_ids})
            uow.commit()
            self.wake(port.network_id)   # the router host's datapath follows
            return info

    def _check_not_attached(self, uow: UnitOfWork, router: Router, subnets: list[Subnet]
                            ) -> None:
        attached = {s for p in self.interfaces(uow, router.id) for s in _subnet_ids(p)}
        for subnet in subnets:
            if subnet.id in attached:
                raise ValidationError(NetworkFault.SUBNET_ALREADY_ATTACHED,
                                      router_id=router.id, subnet_id=subnet.id)
        self._check_overlap(uow, router, subnets)

    def _attach_subnet(self, uow: UnitOfWork, ctx: RequestContext, router: Router,
                       subnet_id: str) -> tuple[Port, list[Subnet]]:
        subnet = self.find_subnet(uow, ctx, subnet_id)
        net = self.find_network(uow, ctx, subnet.network_id, for_update=True)
        if subnet.gateway_ip is None:
            raise ValidationError(NetworkFault.SUBNET_WITHOUT_GATEWAY, subnet_id=subnet.id)
        self._check_not_attached(uow, router, [subnet])
        # The interface holds the subnet's gateway address (IpAddressInUse when a port
        # took it), and belongs to the subnet's project, as in Neutron.
        port = self.ports.make_port(uow, net, subnet.project_id, router.id,
                                    DEVICE_OWNER_ROUTER_INTF,
                                    (FixedIp(subnet.id, subnet.gateway_ip),))
        port.status = INTERFACE_STATUS
        return port, [subnet]

    def _attach_port(self, uow: UnitOfWork, ctx: RequestContext, router: Router,
                     port_id: str) -> tuple[Port, list[Subnet]]:
        port = self.find_port(uow, ctx, port_id)
        self.find_network(uow, ctx, port.network_id, for_update=True)
        if port.device_id:
            raise Conflict(NetworkFault.PORT_IN_USE, port_id=port.id,
                           network_id=port.network_id, device_id=port.device_id)
        if not port.fixed_ips:
            raise ValidationError(NetworkFault.PORT_WITHOUT_IP, port_id=port.id)
        subnets = self._subnets_of(uow, [port])
        if len([s for s in subnets if s.ip_version == 4]) > 1:
            raise ValidationError(NetworkFault.ROUTER_BAD_REQUEST,
                                  reason=f"Cannot have multiple IPv4 subnets on router port "
                                         f"{port.id}")
        self._check_not_attached(uow, router, subnets)
        port.device_id, port.device_owner = router.id, DEVICE_OWNER_ROUTER_INTF
        port.status = INTERFACE_STATUS
        port.updated_at = self.p.clock.now()
        port.revision_number += 1
        order = _subnet_ids(port)
        return port, sorted(subnets, key=lambda s: order.index(s.id))

    def remove_interface(self, ctx: RequestContext, router_id: str,
                         subnet_id: str | None = None, port_id: str | None = None
                         ) -> InterfaceInfo:
        self.require_user(ctx)
        self._one_of(subnet_id, port_id)
        with self.p.uow(write=True) as uow:
            router = self.find_router(uow, ctx, router_id)
            self.enforce(uow, ctx, "network:router:remove_interface",
                         Target(project_id=router.project_id), "router", router.id)
            ports = self.interfaces(uow, router.id)
            if port_id is not None:
                port = next((p for p in ports if p.id == port_id), None)
                if port is None:
                    raise NotFound("router interface", port_id,
                                   NetworkFault.INTERFACE_NOT_FOUND, router_id=router.id,
                                   port_id=port_id)
                if subnet_id is not None and subnet_id not in _subnet_ids(port):
                    raise ValidationError(NetworkFault.SUBNET_MISMATCH_FOR_PORT, port_id=port.id,
                                   subnet_id=subnet_id)
                leaving = _subnet_ids(port)
            else:
                assert subnet_id is not None
                port = next((p for p in ports if subnet_id in _subnet_ids(p)), None)
                if port is None:
                    raise NotFound("router interface", subnet_id,
                                   NetworkFault.INTERFACE_NOT_FOUND_FOR_SUBNET,
                                   router_id=router.id, subnet_id=subnet_id)
                leaving = [subnet_id]
            for subnet in uow.subnets.find(id=leaving):
                self._check_unused(uow, router, subnet)
            kept = [f for f in port.fixed_ips if f["subnet_id"] not in leaving]
            if kept:
                for gone in leaving:
                    uow.ip_allocations.delete_where(port_id=port.id, subnet_id=gone)
                port.fixed_ips = kept
                port.revision_number += 1
            else:
                drop_port(uow, port.id)
            info = InterfaceInfo(router.id, router.project_id, port.id, leaving[0],
                                 port.network_id, list(leaving))
            self.record(uow, ctx, "router.remove_interface", "router", router.id,
                        router.project_id, {"port_id": port.id, "subnet_ids": leaving})
            uow.commit()
            self.wake(port.network_id)   # the router host's datapath follows
            return info

    @staticmethod
    def _check_unused(uow: UnitOfWork, router: Router, subnet: Subnet) -> None:
        """An interface a static route or a floating IP goes through stays."""
        if l3.routes_through(router.routes, subnet.cidr):
            raise Conflict(NetworkFault.INTERFACE_IN_USE_BY_ROUTE, router_id=router.id,
                           subnet_id=subnet.id)
        prefix = ipaddress.ip_network(subnet.cidr)
        for fip in uow.floating_ips.find(router_id=router.id):
            if fip.fixed_ip_address is not None and ipaddress.ip_address(
                    fip.fixed_ip_address) in prefix:
                raise Conflict(NetworkFault.INTERFACE_IN_USE_BY_FLOATINGIP,
                               router_id=router.id, subnet_id=subnet.id)

    # -- for floating IPs -------------------------------------------------------------------
    def router_between(self, uow: UnitOfWork, subnet_id: str, external: Network
                       ) -> Router | None:
        """A router with an interface on `subnet_id` and its gateway on `external`."""
        for port in uow.ports.find(device_owner=DEVICE_OWNER_ROUTER_INTF):
            if subnet_id not in _subnet_ids(port):
                continue
            router = uow.routers.get(port.device_id)
            if router is not None and router.gw_network_id == external.id:
                return router
        return None
