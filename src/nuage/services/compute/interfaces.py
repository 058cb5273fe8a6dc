"""A server's network interfaces after its create: Nova's os-interface (list, show,
attach, detach), on which `openstack server add|remove port|network|fixed ip` ride.

The network service owns the ports (ServerNetworks): an attach binds one more to the
server in the same transaction as its instance action, a detach lets one go (deleted if
compute made it, kept unbound if it was the caller's). The guest follows on its host:
the network agent plugs the port's TAP (port ACTIVE), then the compute agent's
reconciler hot-plugs the NIC into the running guest, or a stopped guest gets it at its
next start (reconcile.py, `_converge_nics`); a detach is hot-unplugged the same way.
Both sides' states are stored, so nothing is lost to a crash: the agents converge.
"""

from __future__ import annotations

from dataclasses import dataclass

from nuage.domain.compute import Server, VmState
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.ports.compute_network import NetworkRequest, ServerNetworks, ServerNic
from nuage.ports.repositories import UnitOfWork
from nuage.services.compute.servers import ServerUseCases

# Nova's attach_interface and detach_interface: ACTIVE, PAUSED or STOPPED, no task.
ATTACHABLE = frozenset({VmState.ACTIVE.value, VmState.PAUSED.value, VmState.STOPPED.value})


@dataclass(frozen=True)
class InterfaceRequest:
    """An attach: the caller's port, or a network (with an address), or neither."""

    port_id: str | None = None
    network_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


class InterfaceService(ServerUseCases):
    def list(self, ctx: RequestContext, server_id: str) -> list[ServerNic]:
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, "compute:server:interface:list", server)
            if self.p.networks is None:
                return []
            return self.p.networks.describe(uow, [server.id]).get(server.id, [])

    def show(self, ctx: RequestContext, server_id: str, port_id: str) -> ServerNic:
        """404 when the port is not one of the server's (whoever's port it is)."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, "compute:server:interface:show", server)
            found = [] if self.p.networks is None else self.p.networks.describe(
                uow, [server.id]).get(server.id, [])
        for nic in found:
            if nic.port_id == port_id:
                return nic
        raise NotFound("port", port_id, ComputeFault.INTERFACE_NOT_ATTACHED,
                       server_id=server.id, port_id=port_id)

    def attach(self, ctx: RequestContext, server_id: str, request: InterfaceRequest
               ) -> ServerNic:
        """The new interface, its port bound to the server's host (not yet ACTIVE: the
        host's network agent plugs it, then the compute agent plugs the guest)."""
        if request.port_id is not None and request.network_id is not None:
            raise ValidationError(ComputeFault.INTERFACE_PORT_AND_NETWORK)
        if request.fixed_ip is not None and request.network_id is None:
            raise ValidationError(ComputeFault.INTERFACE_ADDRESS_WITHOUT_NETWORK)
        with self.p.uow(write=True) as uow:
            server, networks = self._changeable(uow, ctx, server_id,
                                                "compute:server:interface:create",
                                                "attach_interface")
            nic = networks.attach(uow, ctx, server.id, server.project_id, str(server.host),
                                  NetworkRequest(network_id=request.network_id,
                                                 port_id=request.port_id,
                                                 fixed_ip=request.fixed_ip), request.tag)
            self.action(uow, ctx, server, "attach_interface", finished=True)
            uow.commit()
        networks.wake([str(server.host)])
        self.wake_agents([server.host])
        return nic

    def detach(self, ctx: RequestContext, server_id: str, port_id: str) -> None:
        with self.p.uow(write=True) as uow:
            server, networks = self._changeable(uow, ctx, server_id,
                                                "compute:server:interface:delete",
                                                "detach_interface")
            hosts = networks.detach(uow, ctx, server.id, port_id)
            self.action(uow, ctx, server, "detach_interface", finished=True)
            uow.commit()
        networks.wake(hosts)
        self.wake_agents([server.host])

    def add_fixed_ip(self, ctx: RequestContext, server_id: str, network_id: str) -> None:
        """Nova's addFixedIp (2.1 to 2.43): an address more on its port on the network."""
        self._readdress(ctx, server_id, "addFixedIp", network_id=network_id)

    def remove_fixed_ip(self, ctx: RequestContext, server_id: str, address: str) -> None:
        """Nova's removeFixedIp (2.1 to 2.43)."""
        self._readdress(ctx, server_id, "removeFixedIp", address=address)

    def _readdress(self, ctx: RequestContext, server_id: str, action: str, *,
                   network_id: str = "", address: str = "") -> None:
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            # Nova checks these under the rows of os-multinic.
            self.enforce(ctx, "compute:server:interface:create", server)
            self.require_unlocked(ctx, server)
            if self.p.networks is None:
                raise NotFound("server", server.id, ComputeFault.SERVER_WITHOUT_PORTS)
            networks = self.p.networks
            if action == "addFixedIp":
                hosts = networks.add_fixed_ip(uow, ctx, server.id, network_id)
            else:
                hosts = networks.remove_fixed_ip(uow, ctx, server.id, address)
            self.action(uow, ctx, server, action, finished=True)
            uow.commit()
        networks.wake(hosts)

    def _changeable(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, row: str,
                    action: str) -> tuple[Server, ServerNetworks]:
        """The server, locked for the change: the caller may, it is not locked, and it
        is in a state Nova attaches and detaches in (409 otherwise)."""
        server = self.server(uow, ctx, server_id, for_update=True)
        self.enforce(ctx, row, server)
        self.require_unlocked(ctx, server)
        # Nova's check_instance_state: the vm_state first, then the task.
        if server.vm_state not in ATTACHABLE or server.host is None:
            raise Conflict(ComputeFault.SERVER_VM_STATE_CONFLICT, action=action,
                           server_id=server.id, vm_state=server.vm_state)
        if server.task_state is not None:
            raise Conflict(ComputeFault.SERVER_TASK_STATE_CONFLICT, action=action,
                           server_id=server.id, task_state=server.task_state)
        if self.p.networks is None:
            # A deployment without networks: no network to attach, no port to detach.
            raise NotFound("server", server.id, ComputeFault.SERVER_WITHOUT_PORTS)
        return server, self.p.networks
