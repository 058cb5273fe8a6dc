"""Who may do what: one readable table.

Roles imply each other (admin -> member -> reader), so a check for `reader` passes for a
member or an admin. Three kinds of administrator exist:

- a cloud administrator: the admin role on the system, or on the cloud's admin project;
- a domain administrator: the admin role on a domain, acting within that domain; for a
  grant or a group membership, every party (user or group, project or domain, and a
  domain-specific role) must belong to that domain, as in Keystone's grant and group
  policies, and what it reads of assignments and memberships is limited to its domain; it
  never changes the cloud's own administration (`Target.protected`);
- a project's own roles: reader, member, admin, acting within that project.

A user of one project never reaches another project's users, assignments or credentials:
no rule below grants anything across projects except to cloud or domain administrators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Forbidden


@dataclass(frozen=True)
class Target:
    """What the action touches: the fields rules compare with the caller's scope."""

    domain_id: str | None = None
    project_id: str | None = None
    user_id: str | None = None
    # For grants and memberships: the domain of the user or group, and of the role when it
    # is domain-specific (None for a global role).
    actor_domain_id: str | None = None
    role_domain_id: str | None = None
    # The cloud's own administration: the admin project, a grant that reaches it or the
    # system, or a user or group holding such a grant. Only a cloud administrator changes
    # it; otherwise the admin of the admin project's domain would make itself one.
    protected: bool = False
    # A resource its owner shares with every project (a shared or an external network, and
    # the subnets on it): any authenticated caller may read it.
    shared: bool = False


Rule = Callable[[RequestContext, Target], bool]


def cloud_admin(ctx: RequestContext, _t: Target) -> bool:
    return "admin" in ctx.roles and (ctx.system or ctx.is_admin_project)


def cloud_reader(ctx: RequestContext, t: Target) -> bool:
    return ("reader" in ctx.roles and ctx.system) or cloud_admin(ctx, t)


def domain_admin(ctx: RequestContext, t: Target) -> bool:
    return ("admin" in ctx.roles and ctx.domain_id is not None and ctx.domain_id == t.domain_id
            and not t.protected)


def domain_reader(ctx: RequestContext, t: Target) -> bool:
    return "reader" in ctx.roles and ctx.domain_id is not None and ctx.domain_id == t.domain_id


def _whole_pair_in(ctx: RequestContext, t: Target) -> bool:
    """The actor, the target and a domain-specific role all belong to the caller's domain."""
    return (ctx.domain_id is not None and ctx.domain_id == t.domain_id
            and ctx.domain_id == t.actor_domain_id
            and t.role_domain_id in (None, ctx.domain_id))


def domain_admin_of_pair(ctx: RequestContext, t: Target) -> bool:
    return "admin" in ctx.roles and _whole_pair_in(ctx, t) and not t.protected


def domain_reader_of_pair(ctx: RequestContext, t: Target) -> bool:
    return "reader" in ctx.roles and _whole_pair_in(ctx, t)


def project_reader(ctx: RequestContext, t: Target) -> bool:
    return "reader" in ctx.roles and ctx.project_id is not None and ctx.project_id == t.project_id


def project_admin(ctx: RequestContext, t: Target) -> bool:
    return "admin" in ctx.roles and ctx.project_id is not None and ctx.project_id == t.project_id


def project_member(ctx: RequestContext, t: Target) -> bool:
    return "member" in ctx.roles and ctx.project_id is not None and ctx.project_id == t.project_id


def in_domain(ctx: RequestContext, t: Target) -> bool:
    """Any authenticated user scoped within the domain (to read the domain itself)."""
    return t.domain_id is not None and t.domain_id in (ctx.domain_id, ctx.project_domain_id)


def owner(ctx: RequestContext, t: Target) -> bool:
    return ctx.user_id is not None and ctx.user_id == t.user_id


def service(ctx: RequestContext, _t: Target) -> bool:
    return "service" in ctx.roles and (ctx.system or ctx.is_admin_project)


def authenticated(ctx: RequestContext, _t: Target) -> bool:
    return ctx.authenticated


def shared_with_all(ctx: RequestContext, t: Target) -> bool:
    return ctx.authenticated and t.shared


def any_of(*rules: Rule) -> Rule:
    def check(ctx: RequestContext, t: Target) -> bool:
        return any(rule(ctx, t) for rule in rules)

    return check


def in_project(ctx: RequestContext, t: Target) -> bool:
    """Any user scoped to the target's project, whatever the role (it acts for the project:
    accepts an image shared with it, reads its quotas, limits and usage)."""
    return ctx.project_id is not None and ctx.project_id == t.project_id


# Roles no other role may imply (Keystone's `prohibited_implied_role`): implying admin
# would make every holder of the prior role an administrator without a grant saying so.
ADMIN_ROLE = "admin"
PROHIBITED_IMPLIED_ROLES = frozenset({ADMIN_ROLE})


def may_be_implied(role_name: str) -> bool:
    """May a role of this name be implied by another (POST /v3/roles/{prior}/implies)?"""
    return role_name not in PROHIBITED_IMPLIED_ROLES


ADMIN = cloud_admin
READ_ALL = cloud_reader
MANAGE_IN_DOMAIN = any_of(cloud_admin, domain_admin)
READ_IN_DOMAIN = any_of(cloud_reader, domain_reader)
SELF_OR_ADMIN = any_of(owner, cloud_admin)
# Grants and memberships join two parties: a domain administrator needs both in its domain.
MANAGE_PAIR_IN_DOMAIN = any_of(cloud_admin, domain_admin_of_pair)
READ_PAIR_IN_DOMAIN = any_of(cloud_reader, domain_reader_of_pair)
SELF_OR_READER = any_of(owner, cloud_reader)

POLICY: dict[str, Rule] = {
    # domains
    "identity:get_domain": any_of(READ_IN_DOMAIN, in_domain),
    "identity:list_domains": READ_ALL,
    "identity:create_domain": ADMIN,
    "identity:update_domain": ADMIN,
    "identity:delete_domain": ADMIN,
    # projects
    "identity:get_project": any_of(READ_IN_DOMAIN, project_reader),
    "identity:list_projects": READ_IN_DOMAIN,
    "identity:list_user_projects": any_of(READ_IN_DOMAIN, owner),
    "identity:create_project": MANAGE_IN_DOMAIN,
    "identity:update_project": MANAGE_IN_DOMAIN,
    "identity:delete_project": MANAGE_IN_DOMAIN,
    # users
    "identity:get_user": any_of(READ_IN_DOMAIN, owner),
    "identity:list_users": READ_IN_DOMAIN,
    "identity:create_user": MANAGE_IN_DOMAIN,
    "identity:update_user": MANAGE_IN_DOMAIN,
    "identity:delete_user": MANAGE_IN_DOMAIN,
    "identity:change_password": owner,
    # groups
    "identity:get_group": READ_IN_DOMAIN,
    "identity:list_groups": READ_IN_DOMAIN,
    "identity:list_groups_for_user": any_of(READ_IN_DOMAIN, owner),
    "identity:list_users_in_group": READ_IN_DOMAIN,
    "identity:check_user_in_group": READ_PAIR_IN_DOMAIN,
    "identity:create_group": MANAGE_IN_DOMAIN,
    "identity:update_group": MANAGE_IN_DOMAIN,
    "identity:delete_group": MANAGE_IN_DOMAIN,
    "identity:add_user_to_group": MANAGE_PAIR_IN_DOMAIN,
    "identity:remove_user_from_group": MANAGE_PAIR_IN_DOMAIN,
    # roles and assignments
    "identity:get_role": READ_IN_DOMAIN,
    "identity:list_roles": READ_IN_DOMAIN,
    "identity:create_role": ADMIN,
    "identity:update_role": ADMIN,
    "identity:delete_role": ADMIN,
    "identity:list_implied_roles": READ_ALL,
    "identity:create_implied_role": ADMIN,
    "identity:delete_implied_role": ADMIN,
    "identity:check_grant": READ_PAIR_IN_DOMAIN,
    "identity:list_grants": READ_PAIR_IN_DOMAIN,
    "identity:create_grant": MANAGE_PAIR_IN_DOMAIN,
    "identity:revoke_grant": MANAGE_PAIR_IN_DOMAIN,
    "identity:check_system_grant": READ_ALL,
    "identity:list_system_grants": READ_ALL,
    "identity:create_system_grant": ADMIN,
    "identity:revoke_system_grant": ADMIN,
    "identity:list_role_assignments": READ_IN_DOMAIN,
    # A user lists their own assignments whatever their roles (as Keystone allows).
    "identity:list_own_role_assignments": owner,
    # catalog
    "identity:get_region": authenticated,
    "identity:list_regions": authenticated,
    "identity:create_region": ADMIN,
    "identity:update_region": ADMIN,
    "identity:delete_region": ADMIN,
    "identity:get_service": READ_ALL,
    "identity:list_services": READ_ALL,
    "identity:create_service": ADMIN,
    "identity:update_service": ADMIN,
    "identity:delete_service": ADMIN,
    "identity:get_endpoint": READ_ALL,
    "identity:list_endpoints": READ_ALL,
    "identity:create_endpoint": ADMIN,
    "identity:update_endpoint": ADMIN,
    "identity:delete_endpoint": ADMIN,
    # credentials
    "identity:get_application_credential": SELF_OR_READER,
    "identity:list_application_credentials": SELF_OR_READER,
    "identity:create_application_credential": owner,
    "identity:delete_application_credential": SELF_OR_ADMIN,
    "identity:ec2_get_credential": SELF_OR_READER,
    "identity:ec2_list_credentials": SELF_OR_READER,
    "identity:ec2_create_credential": SELF_OR_ADMIN,
    "identity:ec2_delete_credential": SELF_OR_ADMIN,
    "identity:get_credential": SELF_OR_READER,
    "identity:list_credentials": SELF_OR_READER,
    "identity:create_credential": SELF_OR_ADMIN,
    "identity:update_credential": SELF_OR_ADMIN,
    "identity:delete_credential": SELF_OR_ADMIN,
    # An EC2 credential for a user on a project where the user holds no role.
    "identity:create_credential_without_role": ADMIN,
    # tokens
    "identity:validate_token": any_of(cloud_reader, service, owner),
    "identity:revoke_token": any_of(cloud_admin, owner),
    # audit trail: a project's readers see that project's events, cloud readers see all
    "audit:list_events": any_of(cloud_reader, project_reader),
    "audit:list_all_projects": READ_ALL,
    # --- compute: servers and their actions (Nova) ---
    # A project's readers see its servers and its members change them; cloud readers see
    # every project's, cloud administrators change them. Another project's server stays
    # invisible (404) to a caller its "compute:server:get" row refuses.
    "compute:server:create": project_member,
    "compute:server:get": any_of(cloud_reader, project_reader),
    "compute:server:list": project_reader,
    "compute:server:list_all_projects": cloud_reader,
    # Filter a list on any field (others' filters outside Nova's list are dropped).
    "compute:server:allow_all_filters": cloud_admin,
    # Boot a private flavor without an access grant for the project.
    "compute:server:use_any_flavor": cloud_admin,
    # Ask for a destination host at create (2.74).
    "compute:server:create_on_host": cloud_admin,
    "compute:server:update": any_of(cloud_admin, project_member),
    "compute:server:delete": any_of(cloud_admin, project_member),
    "compute:server:set_metadata": any_of(cloud_admin, project_member),
    "compute:server:delete_metadata": any_of(cloud_admin, project_member),
    "compute:server:update_tags": any_of(cloud_admin, project_member),
    # The console may show secrets the guest prints: members, not readers.
    "compute:server:console_output": any_of(cloud_admin, project_member),
    "compute:server:start": any_of(cloud_admin, project_member),
    "compute:server:stop": any_of(cloud_admin, project_member),
    "compute:server:reboot": any_of(cloud_admin, project_member),
    "compute:server:pause": any_of(cloud_admin, project_member),
    "compute:server:unpause": any_of(cloud_admin, project_member),
    "compute:server:suspend": any_of(cloud_admin, project_member),
    "compute:server:resume": any_of(cloud_admin, project_member),
    "compute:server:rebuild": any_of(cloud_admin, project_member),
    "compute:server:create_image": any_of(cloud_admin, project_member),
    "compute:server:create_backup": any_of(cloud_admin, project_member),
    "compute:server:trigger_crash_dump": any_of(cloud_admin, project_member),
    "compute:server:lock": any_of(cloud_admin, project_member),
    # Nova's os-security-groups rows on a server: list (reader), add and remove (member).
    "compute:server:security_groups:list": any_of(cloud_admin, project_reader),
    "compute:server:security_groups:update": any_of(cloud_admin, project_member),
    # Nova's os-attach-interfaces rows: list and show (reader), create and delete (member).
    "compute:server:interface:list": any_of(cloud_admin, project_reader),
    "compute:server:interface:show": any_of(cloud_admin, project_reader),
    "compute:server:interface:create": any_of(cloud_admin, project_member),
    "compute:server:interface:delete": any_of(cloud_admin, project_member),
    # Nova's os-volumes-attachments rows: index and show (reader), create, update and
    # delete (member); swapping a volume for another is the administrators' (Nova's).
    "compute:server:attach_volume": any_of(cloud_admin, project_member),
    "compute:server:detach_volume": any_of(cloud_admin, project_member),
    "compute:server:update_volume": any_of(cloud_admin, project_member),
    "compute:server:list_volumes": any_of(cloud_admin, project_reader),
    "compute:server:show_volume": any_of(cloud_admin, project_reader),
    "compute:server:swap_volume": cloud_admin,
    "compute:server:unlock": any_of(cloud_admin, project_member),
    # Unlock a lock taken by someone else (an administrator's, or the owner's by another
    # project's administrator); change a locked server.
    "compute:server:unlock_override": cloud_admin,
    "compute:server:override_lock": cloud_admin,
    "compute:server:reset_state": cloud_admin,
    # What a server's views show administrators only: its host and host status, the
    # host's words in its fault, and the host and traceback of its actions' events.
    "compute:server:show_host": cloud_admin,
    "compute:server:show_fault_details": cloud_admin,
    "compute:server:show_action_events": cloud_admin,
    # Migrations (nuage has none to show).
    "compute:migration:list": cloud_admin,
    "compute:server:list_migrations": cloud_admin,
    "compute:server:get_migration": cloud_admin,
    # --- compute: flavors, keypairs, quotas, aggregates, hosts, usage ---
    # flavors: anyone reads the public ones and those shared with their project; cloud
    # administrators also see private and disabled ones, and alone change them
    "compute:flavor:read_all": ADMIN,
    "compute:flavor:create": ADMIN,
    "compute:flavor:update": ADMIN,
    "compute:flavor:delete": ADMIN,
    "compute:flavor:list_access": ADMIN,
    "compute:flavor:add_access": ADMIN,
    "compute:flavor:remove_access": ADMIN,
    "compute:flavor:set_extra_specs": ADMIN,
    "compute:flavor:delete_extra_spec": ADMIN,
    # key pairs are their user's (Target.user_id); a cloud administrator names another
    # user (2.10)
    "compute:keypair:list": SELF_OR_ADMIN,
    "compute:keypair:show": SELF_OR_ADMIN,
    "compute:keypair:create": SELF_OR_ADMIN,
    "compute:keypair:delete": SELF_OR_ADMIN,
    # quotas, limits and usage: a project's users read their project's
    "compute:quota:show": any_of(cloud_admin, in_project),
    "compute:quota:update": ADMIN,
    "compute:quota:delete": ADMIN,
    "compute:quota_class:show": ADMIN,
    "compute:quota_class:update": ADMIN,
    "compute:limits:show": any_of(cloud_admin, in_project),
    "compute:usage:list": ADMIN,
    "compute:usage:show": any_of(cloud_admin, in_project),
    # the operator's views: aggregates, hypervisors, services, hosts, zones in detail
    "compute:aggregate:list": ADMIN,
    "compute:aggregate:show": ADMIN,
    "compute:aggregate:create": ADMIN,
    "compute:aggregate:update": ADMIN,
    "compute:aggregate:delete": ADMIN,
    "compute:aggregate:add_host": ADMIN,
    "compute:aggregate:remove_host": ADMIN,
    "compute:aggregate:set_metadata": ADMIN,
    "compute:hypervisor:list": ADMIN,
    "compute:hypervisor:show": ADMIN,
    "compute:hypervisor:uptime": ADMIN,
    "compute:hypervisor:search": ADMIN,
    "compute:hypervisor:servers": ADMIN,
    "compute:service:list": ADMIN,
    "compute:service:update": ADMIN,
    "compute:service:force_down": ADMIN,
    "compute:host:list": ADMIN,
    "compute:host:show": ADMIN,
    "compute:host:action": ADMIN,
    "compute:host:show_status": ADMIN,
    "compute:availability_zone:detail": ADMIN,
    "compute:server:diagnostics": ADMIN,
    # --- image (Glance) ---
    # Targets: the image's owner project (for create, the caller's; for a membership's
    # status, the member project). Visibility (public, community, shared with the caller)
    # decides which images others see: services/image/base.py, `visible`.
    "image:image:read_all_projects": ADMIN,
    "image:image:create": any_of(ADMIN, project_member),
    # Create an image for another project, or give one away.
    "image:image:set_owner": ADMIN,
    "image:image:publicize": ADMIN,
    "image:image:update": any_of(ADMIN, project_member),
    "image:image:delete": any_of(ADMIN, project_member),
    "image:image:upload": any_of(ADMIN, project_member),
    "image:image:deactivate": any_of(ADMIN, project_member),
    "image:image:reactivate": any_of(ADMIN, project_member),
    "image:image:download_deactivated": ADMIN,
    "image:member:create": any_of(ADMIN, project_member),
    "image:member:delete": any_of(ADMIN, project_member),
    # Every member of an image (others see only their own membership).
    "image:member:read_all": any_of(ADMIN, in_project),
    "image:member:set_status": any_of(ADMIN, in_project),
    # --- storage (S3) ---
    # A bucket's own project: its roles grant S3 actions on its buckets (bucket policies
    # and ACLs add grants in domain/bucket_policy.py). The provider's administrators get no
    # implicit access to tenant data. Target: the bucket's project.
    "storage:bucket:read": project_reader,
    "storage:bucket:write": project_member,
    "storage:bucket:bypass_governance": project_admin,
    # Get, put or delete the bucket policy whatever it says (a bad policy never locks the
    # owner project out, as S3's account root).
    "storage:bucket:manage_policy": project_admin,
    # Create a bucket in, or list the buckets of, the caller's own project.
    "storage:bucket:create": project_member,
    "storage:bucket:list": project_reader,
    # Per-project storage quotas (the operator's CLI): any token of the project reads its own.
    "storage:quota:read": any_of(cloud_reader, in_project),
    "storage:quota:update": cloud_admin,
    # --- network (Neutron) ---
    # Target.project_id is the resource's project (for a create: the project it is made
    # for, which an admin may name in the body); for the network-owner rows it is the
    # network's. Seeing a network, subnet or port is checked first (404, not 403).
    "network:network:create": any_of(cloud_admin, project_member),
    "network:network:create_shared": ADMIN,
    "network:network:create_external": ADMIN,
    "network:network:create_provider": ADMIN,
    "network:network:get": any_of(cloud_reader, project_reader, shared_with_all),
    "network:network:get_provider": READ_ALL,
    "network:network:update": any_of(cloud_admin, project_member),
    "network:network:update_shared": ADMIN,
    "network:network:update_external": ADMIN,
    "network:network:update_provider": ADMIN,
    "network:network:delete": any_of(cloud_admin, project_member),
    # is_default: which external network auto-allocated routers use (Neutron: admins).
    "network:network:set_default": ADMIN,
    # A project's auto-allocated topology (target: that project): made on first GET,
    # removed by DELETE. Neutron lets the project itself or an admin do both.
    "network:auto_allocated_topology:get": any_of(cloud_admin, project_member),
    "network:auto_allocated_topology:delete": any_of(cloud_admin, project_member),
    # A subnet is made on a network by its owner (target: the network's project).
    "network:subnet:create": any_of(cloud_admin, project_member),
    "network:subnet:get": any_of(cloud_reader, project_reader, shared_with_all),
    "network:subnet:update": any_of(cloud_admin, project_member),
    "network:subnet:delete": any_of(cloud_admin, project_member),
    # Ports: anyone's on a network they see (shared ones included); what touches the
    # network's plumbing (a network:* device owner, a chosen MAC or address, port security,
    # address pairs) only the network's owner or an admin (target: the network's project).
    "network:port:create": any_of(cloud_admin, project_member),
    "network:port:set_network_device_owner": any_of(cloud_admin, project_member),
    # Name another project's router as a port's device (Neutron: admins only).
    "network:port:serve_any_router": ADMIN,
    "network:port:set_mac_address": any_of(cloud_admin, project_member),
    "network:port:set_fixed_ip_address": any_of(cloud_admin, project_member),
    "network:port:set_port_security": any_of(cloud_admin, project_member),
    "network:port:set_allowed_address_pairs": any_of(cloud_admin, project_member),
    # binding:host_id, binding:profile: where and how the port is plugged (admins, Nova).
    "network:port:update_binding": ADMIN,
    "network:port:get_binding": READ_ALL,
    "network:port:get": any_of(cloud_reader, project_reader),
    "network:port:update": any_of(cloud_admin, project_member),
    "network:port:delete": any_of(cloud_admin, project_member),
    # quotas: a project reads its own, admins read and set anyone's
    "network:quota:get": any_of(cloud_reader, project_reader),
    "network:quota:list": READ_ALL,
    "network:quota:update": ADMIN,
    "network:quota:delete": ADMIN,
    # Security groups and their rules: a project's own (target: the group's project). A
    # project's default group is removed by an admin only (Neutron: when the project goes).
    "network:security_group:create": any_of(cloud_admin, project_member),
    "network:security_group:get": any_of(cloud_reader, project_reader),
    "network:security_group:update": any_of(cloud_admin, project_member),
    "network:security_group:delete": any_of(cloud_admin, project_member),
    "network:security_group:delete_default": ADMIN,
    "network:security_group_rule:create": any_of(cloud_admin, project_member),
    "network:security_group_rule:get": any_of(cloud_reader, project_reader),
    "network:security_group_rule:delete": any_of(cloud_admin, project_member),
    # Routers: a project's own (target: the router's project). Choosing the gateway's
    # addresses or SNAT is the cloud's (Neutron's external_gateway_info:enable_snat and
    # :external_fixed_ips rows); the external network itself is seen by everyone.
    "network:router:create": any_of(cloud_admin, project_member),
    "network:router:get": any_of(cloud_reader, project_reader),
    "network:router:update": any_of(cloud_admin, project_member),
    "network:router:delete": any_of(cloud_admin, project_member),
    "network:router:set_enable_snat": ADMIN,
    "network:router:set_external_fixed_ips": ADMIN,
    # Interfaces: the router's project adds and removes them (target: the router's).
    "network:router:add_interface": any_of(cloud_admin, project_member),
    "network:router:remove_interface": any_of(cloud_admin, project_member),
    # Floating IPs: a project's own; a chosen address is the cloud's (Neutron: admin).
    "network:floatingip:create": any_of(cloud_admin, project_member),
    "network:floatingip:set_address": ADMIN,
    "network:floatingip:get": any_of(cloud_reader, project_reader),
    "network:floatingip:update": any_of(cloud_admin, project_member),
    "network:floatingip:delete": any_of(cloud_admin, project_member),
    # Subnet pools: a project's own, and a shared one seen (and allocated from) by everyone
    # (target: the pool's project, shared when it is); sharing a pool and naming the default
    # pool of an IP version are the cloud's (Neutron's create_subnetpool:shared and
    # :is_default rows).
    "network:subnetpool:create": any_of(cloud_admin, project_member),
    "network:subnetpool:create_shared": ADMIN,
    "network:subnetpool:set_default": ADMIN,
    "network:subnetpool:get": any_of(cloud_reader, project_reader, shared_with_all),
    "network:subnetpool:update": any_of(cloud_admin, project_member),
    "network:subnetpool:delete": any_of(cloud_admin, project_member),


    # RBAC policies (Neutron's *_rbac_policy): the target is the policy's project for
    # create/get/update/delete; `share_network` is checked against the shared network's
    # project (only its owner or an admin grants access to it); a grant to every project
    # (target_tenant `*`) is the cloud's (create_rbac_policy:target_tenant).
    "network:rbac_policy:create": any_of(cloud_admin, project_member),
    "network:rbac_policy:share_network": any_of(cloud_admin, project_member),
    "network:rbac_policy:target_all": ADMIN,
    "network:rbac_policy:get": any_of(cloud_reader, project_reader),
    "network:rbac_policy:update": any_of(cloud_admin, project_member),
    "network:rbac_policy:delete": any_of(cloud_admin, project_member),
    # --- volumes (Cinder v3) ---
    # A project's volumes, snapshots and backups are its members' to change and its
    # readers' to see; statuses forced by hand, other projects' lists and types are the
    # cloud's.
    "volume:volume:create": any_of(cloud_admin, project_member),
    "volume:volume:get": any_of(cloud_reader, project_reader),
    "volume:volume:get_all_projects": READ_ALL,
    "volume:volume:update": any_of(cloud_admin, project_member),
    "volume:volume:delete": any_of(cloud_admin, project_member),
    "volume:volume:extend": any_of(cloud_admin, project_member),
    "volume:volume:attach": any_of(cloud_admin, project_member),
    "volume:volume:set_bootable": any_of(cloud_admin, project_member),
    "volume:volume:upload_image": any_of(cloud_admin, project_member),
    "volume:volume:reset_status": ADMIN,
    "volume:volume:force_delete": ADMIN,
    "volume:volume:show_host": READ_ALL,
    "volume:snapshot:create": any_of(cloud_admin, project_member),
    "volume:snapshot:get": any_of(cloud_reader, project_reader),
    "volume:snapshot:update": any_of(cloud_admin, project_member),
    "volume:snapshot:delete": any_of(cloud_admin, project_member),
    "volume:snapshot:reset_status": ADMIN,
    "volume:snapshot:force_delete": ADMIN,
    "volume:type:get": authenticated,
    "volume:type:manage": ADMIN,
    "volume:backup:create": any_of(cloud_admin, project_member),
    "volume:backup:get": any_of(cloud_reader, project_reader),
    "volume:backup:delete": any_of(cloud_admin, project_member),
    "volume:backup:update": any_of(cloud_admin, project_member),
    "volume:backup:reset_status": ADMIN,
    "volume:backup:restore": any_of(cloud_admin, project_member),
    "volume:quota:get": any_of(cloud_reader, in_project),
    "volume:quota:update": ADMIN,
    "volume:service:list": READ_ALL,
    "volume:service:update": ADMIN,
}


def is_cloud_reader(ctx: RequestContext) -> bool:
    return cloud_reader(ctx, Target())


def reads_only_domain(ctx: RequestContext) -> str | None:
    """The domain a caller's reads of assignments and memberships are limited to: its own,
    unless it reads everything (a cloud reader)."""
    return None if is_cloud_reader(ctx) else ctx.domain_id


def is_cloud_admin(ctx: RequestContext) -> bool:
    return cloud_admin(ctx, Target())


def may(ctx: RequestContext, action: str, target: Target | None = None) -> bool:
    """May the caller do `action` to `target`? The one question every service (and a
    console deciding which buttons to show) asks; `action` is a row of POLICY."""
    return POLICY[action](ctx, target or Target())


def enforce(ctx: RequestContext, action: str, target: Target | None = None) -> None:
    if not may(ctx, action, target):
        raise Forbidden(CommonFault.POLICY_DENIED, action=action)
