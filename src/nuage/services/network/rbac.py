"""RBAC policies on networks (Neutron's /v2.0/rbac-policies): create, show, list, update
(only the target), delete.

One source of truth: the policies table. A network's `shared` column is a cached "a
wildcard access_as_shared policy exists", and its `external` column (`router:external`) a
cached "an access_as_external policy exists", written only here, in the transaction that
adds or removes those rows (a policy made, moved or deleted, or `shared`/`router:external`
set through the network API, which calls `share_with_all`/`unshare_with_all`,
`external_for_all`/`not_external`: the wildcard, every project's). What a caller sees as
`shared` is Neutron's: true when the wildcard exists or a policy names the caller's
project. Who sees a network through a policy is `base.granted_networks`.

Who: the network's owner shares its own network with a named project, an admin any
network with anyone (`*` included: Neutron's create_rbac_policy:target_tenant). A policy
is seen only by its own project (and the cloud's readers): another project's is 404.
Taking access away from a project that still has ports on the network (access_as_shared)
or a router gateway on it (access_as_external) is refused (409 RbacPolicyInUse), as
Neutron's ensure_no_tenant_ports_on_network and _validate_ext_not_in_use_by_tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.domain.network import OWN_PORT_OWNERS, Network
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_rbac import WILDCARD, RbacAction, RbacObjectType, RbacPolicy
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import NetworkPorts, NetworkUseCases, all_or_none
from nuage.services.network.listing import ListQuery, Page, page

# The actions each object type has (Neutron's get_type_allowed_actions).
ALLOWED_ACTIONS: dict[str, tuple[str, ...]] = {
    RbacObjectType.NETWORK.value: (RbacAction.ACCESS_AS_EXTERNAL.value,
                                   RbacAction.ACCESS_AS_SHARED.value),
}
SHARED = RbacAction.ACCESS_AS_SHARED.value
EXTERNAL = RbacAction.ACCESS_AS_EXTERNAL.value


@dataclass(frozen=True)
class NewRbacPolicy:
    object_type: str
    object_id: str
    action: str
    target_tenant: str
    # Another project's, for an admin acting for it.
    project_id: str | None = None


def _policies(uow: UnitOfWork, network_id: str, action: str) -> list[RbacPolicy]:
    return uow.rbac_policies.find(object_type=RbacObjectType.NETWORK.value,
                                  object_id=network_id, action=action)


def _still_allowed(uow: UnitOfWork, net: Network, removed: RbacPolicy | None, action: str,
                   target: str) -> set[str] | None:
    """The projects that keep `action` on `net` once the grant to `target` goes (None:
    every project, a wildcard remains and covers the one losing it)."""
    others = [p for p in _policies(uow, net.id, action)
              if removed is None or p.id != removed.id]
    if target != WILDCARD and any(p.target_tenant == WILDCARD for p in others):
        return None
    return {net.project_id, *(p.target_tenant for p in others)}


def ports_losing_access(uow: UnitOfWork, net: Network, removed: RbacPolicy | None,
                        target: str) -> list[str]:
    """The ids of ports that would lose their access to `net` if the access_as_shared
    grant to `target` went away (`removed` is that policy's row, None when it is being made
    up for the network's `shared: false`): ports of projects no other policy covers, the
    network's owner and its own infrastructure ports aside."""
    allowed = _still_allowed(uow, net, removed, SHARED, target)
    if allowed is None:
        return []
    return [p.id for p in uow.ports.find(network_id=net.id)
            if p.device_owner not in OWN_PORT_OWNERS and p.project_id not in allowed
            and (target == WILDCARD or p.project_id == target)]


def gateways_losing_access(uow: UnitOfWork, net: Network, removed: RbacPolicy,
                           target: str) -> list[str]:
    """The routers whose gateway is on `net` and whose project would lose it as an external
    network (Neutron's _validate_ext_not_in_use_by_tenant)."""
    allowed = _still_allowed(uow, net, removed, EXTERNAL, target)
    if allowed is None:
        return []
    return [r.id for r in uow.routers.find(gw_network_id=net.id)
            if r.project_id not in allowed and (target == WILDCARD or r.project_id == target)]


def external_for_all(p: NetworkPorts, uow: UnitOfWork, net: Network) -> None:
    """`router:external` set through the network API: every project's external network
    (the wildcard access_as_external policy, the network owner's, as Neutron makes it)."""
    if _find(uow, net.id, EXTERNAL, WILDCARD) is None:
        _add_wildcard(p, uow, net, EXTERNAL)
    net.external = True


def not_external(uow: UnitOfWork, net: Network) -> None:
    """`router:external: false`: no project has it as external any more."""
    uow.rbac_policies.delete_where(object_type=RbacObjectType.NETWORK.value,
                                   object_id=net.id, action=EXTERNAL)
    net.external = False


def _add_wildcard(p: NetworkPorts, uow: UnitOfWork, net: Network, action: str) -> None:
    now = p.clock.now()
    uow.rbac_policies.add(RbacPolicy(
        id=str(uuid.uuid4()), project_id=net.project_id,
        object_type=RbacObjectType.NETWORK.value, object_id=net.id, action=action,
        target_tenant=WILDCARD, created_at=now, updated_at=now))


def wildcard_of(uow: UnitOfWork, network_id: str) -> RbacPolicy | None:
    return _find(uow, network_id, RbacAction.ACCESS_AS_SHARED.value, WILDCARD)


def share_with_all(p: NetworkPorts, uow: UnitOfWork, net: Network) -> None:
    """The wildcard policy that `shared: true` on a network stands for (made by the
    network's owner, as Neutron does); the caller records the network's own change."""
    if wildcard_of(uow, net.id) is None:
        _add_wildcard(p, uow, net, SHARED)
    net.shared = True


def unshare_with_all(uow: UnitOfWork, net: Network) -> None:
    """`shared: false`: the wildcard policy goes (the caller checked no port needs it)."""
    uow.rbac_policies.delete_where(object_type=RbacObjectType.NETWORK.value,
                                   object_id=net.id,
                                   action=RbacAction.ACCESS_AS_SHARED.value,
                                   target_tenant=WILDCARD)
    net.shared = False


def drop_network_policies(uow: UnitOfWork, network_id: str) -> None:
    """A deleted network's policies go with it (Neutron's foreign key cascades)."""
    uow.rbac_policies.delete_where(object_type=RbacObjectType.NETWORK.value,
                                   object_id=network_id)


def _find(uow: UnitOfWork, network_id: str, action: str, target: str) -> RbacPolicy | None:
    return uow.rbac_policies.first(object_type=RbacObjectType.NETWORK.value,
                                   object_id=network_id, action=action, target_tenant=target)


def policy_visible(ctx: RequestContext, rbac: RbacPolicy) -> bool:
    return policy.may(ctx, "network:rbac_policy:get", Target(project_id=rbac.project_id))


class RbacPolicyService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts) -> None:
        super().__init__(ports)

    @staticmethod
    def _find_policy(uow: UnitOfWork, ctx: RequestContext, policy_id: str) -> RbacPolicy:
        found = uow.rbac_policies.get(policy_id)
        if found is None or not policy_visible(ctx, found):
            raise NotFound("rbac_policy", policy_id)
        return found

    def _network_of(self, uow: UnitOfWork, ctx: RequestContext, network_id: str) -> Network:
        """The network to share (404 when the caller does not see it), which only its owner
        or an admin shares (400, as Neutron's callback refuses it)."""
        net = self.find_network(uow, ctx, network_id, for_update=True)
        if not policy.may(ctx, "network:rbac_policy:share_network",
                          Target(project_id=net.project_id)):
            raise ValidationError(NetworkFault.RBAC_NOT_OWNER)
        return net

    def _enforce_target(self, uow: UnitOfWork, ctx: RequestContext, target: str,
                        project: str, policy_id: str | None) -> None:
        if target == WILDCARD:
            self.enforce(uow, ctx, "network:rbac_policy:target_all", Target(project_id=project),
                         "rbac_policy", policy_id)

    def _check_in_use(self, uow: UnitOfWork, net: Network, rbac: RbacPolicy) -> None:
        if rbac.target_tenant == net.project_id:
            return                               # the owner sharing with itself
        if rbac.action == SHARED and ports_losing_access(uow, net, rbac, rbac.target_tenant):
            raise Conflict(NetworkFault.RBAC_IN_USE, object_id=net.id,
                           details=f"Unable to reconfigure sharing settings for network "
                                   f"{net.id}. Multiple tenants are using it.")
        if rbac.action == EXTERNAL and gateways_losing_access(uow, net, rbac,
                                                               rbac.target_tenant):
            raise Conflict(NetworkFault.RBAC_IN_USE, object_id=net.id,
                           details=f"Unable to reconfigure external settings for network "
                                   f"{net.id}. Routers of other projects use it as their "
                                   "gateway.")

    def _after_change(self, uow: UnitOfWork, net: Network, action: str) -> None:
        """The network's cached flags follow its policies: `shared` is "a wildcard
        access_as_shared exists", `router:external` "an access_as_external exists" (Neutron
        makes a network external with its first such policy, and takes that back with the
        last)."""
        if action == SHARED:
            self._set_flag(net, "shared", wildcard_of(uow, net.id) is not None)
        else:
            self._set_flag(net, "external", bool(_policies(uow, net.id, EXTERNAL)))

    # -- use cases --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewRbacPolicy) -> RbacPolicy:
        self.require_user(ctx)
        if cmd.object_type not in ALLOWED_ACTIONS:
            raise ValidationError(NetworkFault.RBAC_OBJECT_TYPE_INVALID, value=cmd.object_type)
        valid = ALLOWED_ACTIONS[cmd.object_type]
        if cmd.action not in valid:
            raise ValidationError(NetworkFault.RBAC_ACTION_INVALID, action=cmd.action,
                                  object_type=cmd.object_type, valid_actions=list(valid))
        project = self.owner_project(ctx, cmd.project_id)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "network:rbac_policy:create", Target(project_id=project),
                         "rbac_policy", None)
            self._enforce_target(uow, ctx, cmd.target_tenant, project, None)
            net = self._network_of(uow, ctx, cmd.object_id)
            if _find(uow, net.id, cmd.action, cmd.target_tenant) is not None:
                raise Conflict(NetworkFault.RBAC_DUPLICATE)
            now = self.p.clock.now()
            made = RbacPolicy(id=str(uuid.uuid4()), project_id=project,
                              object_type=cmd.object_type, object_id=net.id, action=cmd.action,
                              target_tenant=cmd.target_tenant, created_at=now, updated_at=now)
            uow.rbac_policies.add(made)
            self._after_change(uow, net, made.action)
            self.record(uow, ctx, "rbac_policy.create", "rbac_policy", made.id, project,
                        {"object_type": made.object_type, "object_id": made.object_id,
                         "action": made.action, "target_tenant": made.target_tenant})
            uow.commit()
            return made

    def create_many(self, ctx: RequestContext, cmds: list[NewRbacPolicy]) -> list[RbacPolicy]:
        return all_or_none(lambda c: self.create(ctx, c), lambda r: self.delete(ctx, r.id),
                           cmds)

    def get(self, ctx: RequestContext, policy_id: str) -> RbacPolicy:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self._find_policy(uow, ctx, policy_id)

    def list_policies(self, ctx: RequestContext, q: ListQuery) -> Page[RbacPolicy]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            if policy.is_cloud_reader(ctx):
                found = uow.rbac_policies.find()
            else:
                found = (uow.rbac_policies.find(project_id=ctx.project_id)
                         if ctx.project_id else [])
            return page(found, q, "rbac_policy", self.p.config.max_page)

    def update(self, ctx: RequestContext, policy_id: str, target_tenant: str) -> RbacPolicy:
        """Only the target changes; the project losing access must have no port left on
        the network (unless another policy still covers it)."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            rbac = self._find_policy(uow, ctx, policy_id)
            target = Target(project_id=rbac.project_id)
            self.enforce(uow, ctx, "network:rbac_policy:update", target, "rbac_policy", rbac.id)
            self._enforce_target(uow, ctx, target_tenant, rbac.project_id, rbac.id)
            net = self._network_of(uow, ctx, rbac.object_id)
            if target_tenant != rbac.target_tenant:
                if _find(uow, net.id, rbac.action, target_tenant) is not None:
                    raise Conflict(NetworkFault.RBAC_DUPLICATE)
                self._check_in_use(uow, net, rbac)
                rbac.target_tenant = target_tenant
                rbac.updated_at = self.p.clock.now()
                self._after_change(uow, net, rbac.action)
            self.record(uow, ctx, "rbac_policy.update", "rbac_policy", rbac.id,
                        rbac.project_id, {"target_tenant": target_tenant})
            uow.commit()
            return rbac

    def delete(self, ctx: RequestContext, policy_id: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            rbac = self._find_policy(uow, ctx, policy_id)
            self.enforce(uow, ctx, "network:rbac_policy:delete",
                         Target(project_id=rbac.project_id), "rbac_policy", rbac.id)
            net = uow.networks.get_for_update(rbac.object_id)
            if net is not None:
                self._check_in_use(uow, net, rbac)
            uow.rbac_policies.delete(rbac)
            if net is not None:
                self._after_change(uow, net, rbac.action)
            self.record(uow, ctx, "rbac_policy.delete", "rbac_policy", rbac.id,
                        rbac.project_id, {"object_id": rbac.object_id,
                                          "target_tenant": rbac.target_tenant})
            uow.commit()

    def _set_flag(self, net: Network, flag: str, value: bool) -> None:
        if getattr(net, flag) != value:
            setattr(net, flag, value)
            net.updated_at = self.p.clock.now()
            net.revision_number += 1
