"""What compute needs from the network service: a server's NICs (Neutron ports).

Compute allocates a server's ports when it records the server, describes them for its
views, the host agent and the config drive, and releases them when the server is gone.
services/network implements it (compute_binding.py), as services/image serves
`ImageSource`; compute never reads the network tables itself.

`allocate` and `release` take compute's unit of work: the ports are written in the same
transaction as the server's row (and its deletion), so a refused or failed allocation
leaves neither server nor port behind, and a crash cannot leave a deleted server's port
bound. A remote network service would take an idempotent request id instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from nuage.domain.context import RequestContext
from nuage.ports.nics import NicAddress, ServerNic
from nuage.ports.repositories import UnitOfWork

__all__ = ["DEVICE_OWNER", "GroupRule", "NetworkRequest", "NicAddress", "ServerGroup",
           "ServerNetworks", "ServerNic"]

# Neutron's device_owner for a server's port (Nova writes "compute:<zone>"; nuage has one
# zone name per host, so the owner says compute without naming it).
DEVICE_OWNER = "compute:nova"


@dataclass(frozen=True)
class NetworkRequest:
    """One NIC asked for: a network (optionally with an address), or an existing port."""

    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    # A device tag (2.32/2.42 at create, 2.49 at attach), kept on the port.
    tag: str | None = None


@dataclass(frozen=True)
class GroupRule:
    """An ingress rule of a server's security group, as Nova's os-security-groups shows it
    (Nova shows no egress rules there). `remote_group_name` is set for a rule allowing a
    group's members; else `cidr` (Neutron's no prefix: "0.0.0.0/0" as Nova says it)."""

    id: str
    parent_group_id: str
    protocol: str | None
    from_port: int | None
    to_port: int | None
    cidr: str | None = None
    remote_group_name: str | None = None
    remote_group_project_id: str | None = None


@dataclass(frozen=True)
class ServerGroup:
    """A security group on a server's ports (plain data, as ServerNic)."""

    id: str
    name: str
    description: str
    project_id: str
    rules: tuple[GroupRule, ...] = ()


# Compute's view of a project's network quotas: Nova's key -> (limit, in use).
NetworkQuotas = dict[str, tuple[int, int]]


class ServerNetworks(Protocol):
    def check(self, uow: UnitOfWork, ctx: RequestContext,
              requests: tuple[NetworkRequest, ...], count: int) -> None:
        """Refuse, before anything is stored, what `allocate` would refuse for `count`
        servers asking for `requests` (a network or port unknown to the caller: 400; a
        port in use: 409; a port or an address asked for several servers: 400)."""
        ...

    def prepare_auto(self, ctx: RequestContext) -> None:
        """Before a create's unit of work, for "auto" (2.37): when the project has no
        network to use, make its auto-allocated topology (Neutron's), so that `auto`
        finds it. Blocking, its own transactions; 400
        (ComputeFault.SERVER_NETWORK_AUTO_ALLOCATION_FAILED) when none can be made."""
        ...

    def auto(self, uow: UnitOfWork, ctx: RequestContext) -> tuple[NetworkRequest, ...]:
        """What "auto" (and no networks at all) gives: the project's one usable network
        (its own or a shared one), else nothing (no NIC); several: 409
        (ComputeFault.SERVER_NETWORK_AMBIGUOUS), as Nova."""
        ...

    def find_groups(self, uow: UnitOfWork, ctx: RequestContext, names: tuple[str, ...]
                    ) -> tuple[str, ...]:
        """The ids of the security groups a create names (by name or id, as Nova takes
        them; the caller's project's or ones it may see), in order, without repeats. An
        unknown one: 400 (ComputeFault.SERVER_SECURITY_GROUP_NOT_FOUND)."""
        ...

    def allocate(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                 project_id: str, host: str, requests: tuple[NetworkRequest, ...],
                 security_groups: tuple[str, ...] | None = None) -> list[ServerNic]:
        """Create (or take, for ports the caller names) the server's ports, bound to
        `host` (binding:host_id), device owner compute, device id the server's. The ports
        created get `security_groups` (ids from `find_groups`), or the project's default
        group when None; ports the caller named keep theirs (as in Nova). In the
        caller's unit of work; raises the refusals `check` names and quota's 403."""
        ...

    def attach(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, project_id: str,
               host: str, request: NetworkRequest, tag: str | None = None) -> ServerNic:
        """os-interface's attach: one more NIC for the server, after its others: the
        caller's port (`request.port_id`), or a port created on `request.network_id`
        (with `request.fixed_ip`), or neither: one on the network `auto` would pick. The
        port is bound to `host` and remembers `tag` (else `request.tag`). Refusals, in
        Nova's: an unknown port or network 404; a port in use or an address taken 409;
        no network to pick, several, or a full subnet 400; the port quota 403."""
        ...

    def detach(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
               port_id: str) -> list[str]:
        """os-interface's detach: the port leaves the server, deleted if compute created
        it, else unbound and kept (the caller's port, as in Nova). Not one of the
        server's ports: 404. Returns the hosts whose network agents must unplug it."""
        ...

    def add_fixed_ip(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                     network_id: str) -> list[str]:
        """Nova's addFixedIp (before 2.44): one more address on the server's port on
        that network (its first subnet). No port there: 404; the subnet full: 400.
        Returns the hosts whose network agents must apply it."""
        ...

    def remove_fixed_ip(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                        address: str) -> list[str]:
        """Nova's removeFixedIp (before 2.44): the address off the server's port having
        it (400 when none has). Returns the hosts to wake."""
        ...

    def groups(self, uow: UnitOfWork, ctx: RequestContext, server_ids: Iterable[str]
               ) -> dict[str, list[ServerGroup]]:
        """The security groups on each server's ports that `ctx` may see, each once, in
        the order the ports show them; servers without any are absent."""
        ...

    def add_group(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                  name: str) -> list[str]:
        """Nova's addSecurityGroup: the group (name or id) onto every port of the server.
        An unknown group or a server without ports: 404; a port without port security:
        400. Returns the hosts whose network agents must apply it."""
        ...

    def remove_group(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                     name: str) -> list[str]:
        """Nova's removeSecurityGroup: the group off every port having it; 404 when no
        port has it (or the group or the server's ports are unknown)."""
        ...

    def quotas(self, uow: UnitOfWork, project_id: str) -> NetworkQuotas:
        """The project's network quotas under Nova's names (floating_ips, networks,
        security_groups, security_group_rules): limit and usage."""
        ...

    def describe(self, uow: UnitOfWork, server_ids: Iterable[str]
                 ) -> dict[str, list[ServerNic]]:
        """The NICs of each server (in creation order), by server id; servers without
        any are absent."""
        ...

    def release(self, uow: UnitOfWork, server_id: str) -> list[str]:
        """The server is gone: delete the ports compute created for it, unbind those
        the caller had passed (they survive, as in Nova). Returns the hosts they were
        bound to (whose network agents should unplug them)."""
        ...

    def wake(self, hosts: Iterable[str]) -> None:
        """Wake the network agents of `hosts` (after the commit). Losing it only
        delays: the agents converge periodically."""
        ...
