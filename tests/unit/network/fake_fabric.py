"""An in-memory NetworkFabric for the tests of the layers above (the agent, services).

It keeps the port's contract, checked against the Linux driver by
tests/drivers/test_linux_net_contract.py: same preconditions, same errors, same inventory.
"""

from __future__ import annotations

from nuage.ports.network_fabric import (
    DesiredState,
    FabricError,
    Inventory,
    NetworkSpec,
    PortSpec,
    RouterSpec,
    SecurityGroupSpec,
)

SEGMENT_MAX = 65535



class MemoryNetworkFabric:
    def __init__(self, prefix: str = "nuage") -> None:
        self.prefix = prefix
        self.networks: dict[str, NetworkSpec] = {}
        self.ports: dict[str, PortSpec] = {}
        self.routers: dict[str, RouterSpec] = {}
        self.groups: dict[str, SecurityGroupSpec] = {}
        self.calls: list[str] = []

    def guest_netns(self) -> str:
        return f"{self.prefix}-dp"

    def tap_name(self, port_id: str) -> str:
        return f"tap{port_id[:11]}"

    def ensure_network(self, network: NetworkSpec) -> None:
        self.calls.append(f"ensure_network {network.network_id}")
        if not 1 <= network.segment_id <= SEGMENT_MAX:
            raise FabricError(f"segment id {network.segment_id}: 1 to {SEGMENT_MAX}")
        for other in self.networks.values():
            if (other.segment_id == network.segment_id
                    and other.network_id != network.network_id):
                raise FabricError(f"segment {network.segment_id} already carries "
                                  f"network {other.network_id}")
        self.networks[network.network_id] = network

    def remove_network(self, network_id: str) -> None:
        self.calls.append(f"remove_network {network_id}")
        self.networks.pop(network_id, None)

    def ensure_security_group(self, group: SecurityGroupSpec) -> None:
        self.calls.append(f"ensure_security_group {group.group_id}")
        self.groups[group.group_id] = group

    def remove_security_group(self, group_id: str) -> None:
        self.calls.append(f"remove_security_group {group_id}")
        users = [p.port_id for p in self.ports.values()
                 if p.port_security and group_id in p.security_groups]
        if users:
            raise FabricError(f"security group {group_id} is in use by port {users[0]}")
        self.groups.pop(group_id, None)

    def ensure_port(self, port: PortSpec) -> None:
        self.calls.append(f"ensure_port {port.port_id}")
        if port.network_id not in self.networks:
            raise FabricError(f"port {port.port_id}: network {port.network_id} "
                              "is not on this host")
        if port.port_security:
            for group_id in port.security_groups:
                if group_id not in self.groups:
                    raise FabricError(f"port {port.port_id}: security group {group_id} "
                                      "is not on this host")
        self.ports[port.port_id] = port

    def remove_port(self, port_id: str) -> None:
        self.calls.append(f"remove_port {port_id}")
        self.ports.pop(port_id, None)

    def ensure_router(self, router: RouterSpec) -> None:
        self.calls.append(f"ensure_router {router.router_id}")
        for iface in router.interfaces:
            if iface.ipv6_ra_mode not in (None, "slaac", "dhcpv6-stateless",
                                          "dhcpv6-stateful"):
                raise FabricError(f"router {router.router_id}: ipv6_ra_mode "
                                  f"{iface.ipv6_ra_mode!r} is not supported")
            if iface.network_id not in self.networks:
                raise FabricError(f"router {router.router_id}: network {iface.network_id} "
                                  "is not on this host")
        self.routers[router.router_id] = router

    def remove_router(self, router_id: str) -> None:
        self.calls.append(f"remove_router {router_id}")
        self.routers.pop(router_id, None)

    def converge(self, desired: DesiredState) -> None:
        failures: list[str] = []
        for group in desired.security_groups:
            self.ensure_security_group(group)
        for network in desired.networks:
            try:
                self.ensure_network(network)
            except FabricError as exc:
                failures.append(f"network {network.network_id}: {exc}")
        for port in desired.ports:
            try:
                self.ensure_port(port)
            except FabricError as exc:
                failures.append(f"port {port.port_id}: {exc}")
        for router in desired.routers:
            try:
                self.ensure_router(router)
            except FabricError as exc:
                failures.append(f"router {router.router_id}: {exc}")
        keep_ports = {p.port_id for p in desired.ports}
        self.ports = {k: v for k, v in self.ports.items() if k in keep_ports}
        keep_nets = {n.network_id for n in desired.networks}
        self.networks = {k: v for k, v in self.networks.items() if k in keep_nets}
        keep_routers = {r.router_id for r in desired.routers}
        self.routers = {k: v for k, v in self.routers.items() if k in keep_routers}
        keep_groups = {g.group_id for g in desired.security_groups}
        self.groups = {k: v for k, v in self.groups.items() if k in keep_groups}
        if failures:
            raise FabricError("; ".join(failures))

    def inventory(self) -> Inventory:
        return Inventory(
            networks=frozenset(self.networks),
            dhcp=frozenset(n.network_id for n in self.networks.values() if n.dhcp),
            ports=frozenset(self.ports),
            routers=frozenset(self.routers),
            security_groups=frozenset(self.groups),
            floating_ips=frozenset(f.floating_ip for r in self.routers.values()
                                   if r.gateway is not None for f in r.floating_ips))
