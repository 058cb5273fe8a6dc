"""The authorization table, read as "who may do what to which target"."""

from __future__ import annotations

import pytest

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Forbidden
from nuage.domain.policy import Target

ADMIN_ROLES = frozenset({"admin", "member", "reader"})
MEMBER_ROLES = frozenset({"member", "reader"})
READER_ROLES = frozenset({"reader"})


def _ctx(user: str, **kw: object) -> RequestContext:
    return RequestContext(request_id="req-test", user_id=user, user_domain_id="d1",
                          **kw)  # type: ignore[arg-type]


# The cast: every kind of caller the policy knows about.
ACTORS: dict[str, RequestContext] = {
    "system admin": _ctx("u-sysadmin", system=True, roles=ADMIN_ROLES),
    "system reader": _ctx("u-sysreader", system=True, roles=READER_ROLES),
    "admin-project admin": _ctx("u-opadmin", project_id="p-admin", project_domain_id="default",
                                roles=ADMIN_ROLES, is_admin_project=True),
    "admin-project member": _ctx("u-opmember", project_id="p-admin",
                                 project_domain_id="default", roles=MEMBER_ROLES,
                                 is_admin_project=True),
    "domain d1 admin": _ctx("u-d1admin", domain_id="d1", roles=ADMIN_ROLES),
    "domain d1 reader": _ctx("u-d1reader", domain_id="d1", roles=READER_ROLES),
    "project A admin": _ctx("u-aadmin", project_id="p-a", project_domain_id="d1",
                            roles=ADMIN_ROLES),
    "project A member": _ctx("u-amember", project_id="p-a", project_domain_id="d1",
                             roles=MEMBER_ROLES),
    "project A reader": _ctx("u-areader", project_id="p-a", project_domain_id="d1",
                             roles=READER_ROLES),
    "unscoped": _ctx("u-unscoped"),
    "anonymous": RequestContext(request_id="req-anon"),
}

PROJECT_A = Target(domain_id="d1", project_id="p-a")
PROJECT_B = Target(domain_id="d1", project_id="p-b")
PROJECT_IN_D2 = Target(domain_id="d2", project_id="p-c")
DOMAIN_D1 = Target(domain_id="d1")
DOMAIN_D2 = Target(domain_id="d2")
A_MEMBER_SELF = Target(domain_id="d1", user_id="u-amember")
USER_IN_D1 = Target(domain_id="d1", user_id="u-other")
USER_IN_D2 = Target(domain_id="d2", user_id="u-far")
NOTHING = Target()
# Grants and memberships: the actor's domain counts as much as the target's.
GRANT_D1_USER_ON_B = Target(domain_id="d1", project_id="p-b", actor_domain_id="d1")
GRANT_D2_USER_ON_B = Target(domain_id="d1", project_id="p-b", actor_domain_id="d2")
CLOUD_ADMIN_IN_D1 = Target(domain_id="d1", user_id="u-cloud-admin", protected=True)
PROTECTED_GRANT_IN_D1 = Target(domain_id="d1", project_id="p-a", actor_domain_id="d1",
                               protected=True)
GRANT_D1_USER_ON_D1_D2_ROLE = Target(domain_id="d1", actor_domain_id="d1",
                                     role_domain_id="d2")

Y, N = True, False

# (who, action, target, allowed)
TABLE: list[tuple[str, str, Target, bool]] = [
    # Cloud administrators (system scope, or the admin project) may do everything.
    ("system admin", "identity:create_domain", NOTHING, Y),
    ("system admin", "identity:create_project", PROJECT_IN_D2, Y),
    ("system admin", "identity:delete_user", USER_IN_D2, Y),
    ("system admin", "identity:create_role", NOTHING, Y),
    ("system admin", "identity:create_system_grant", NOTHING, Y),
    ("system admin", "identity:list_credentials", USER_IN_D2, Y),
    ("system admin", "audit:list_events", PROJECT_B, Y),
    ("admin-project admin", "identity:create_domain", NOTHING, Y),
    ("admin-project admin", "identity:update_project", PROJECT_IN_D2, Y),
    ("admin-project admin", "identity:create_grant", PROJECT_B, Y),
    ("admin-project admin", "identity:delete_application_credential", USER_IN_D2, Y),
    ("admin-project admin", "identity:revoke_token", USER_IN_D1, Y),
    # ...but membership of the admin project alone is not administration.
    ("admin-project member", "identity:create_domain", NOTHING, N),
    ("admin-project member", "identity:create_user", DOMAIN_D1, N),
    ("admin-project member", "identity:list_users", DOMAIN_D1, N),
    # The system reader reads everything and changes nothing.
    ("system reader", "identity:list_domains", NOTHING, Y),
    ("system reader", "identity:list_users", DOMAIN_D2, Y),
    ("system reader", "identity:get_credential", USER_IN_D2, Y),
    ("system reader", "audit:list_events", PROJECT_B, Y),
    ("system reader", "identity:create_project", DOMAIN_D1, N),
    ("system reader", "identity:delete_user", USER_IN_D1, N),
    ("system reader", "identity:create_role", NOTHING, N),
    # A domain administrator manages their own domain, and only it.
    ("domain d1 admin", "identity:create_project", DOMAIN_D1, Y),
    ("domain d1 admin", "identity:update_user", USER_IN_D1, Y),
    ("domain d1 admin", "identity:create_grant", GRANT_D1_USER_ON_B, Y),
    ("domain d1 admin", "identity:create_grant", PROJECT_B, N),
    ("domain d1 admin", "identity:create_grant", GRANT_D2_USER_ON_B, N),
    ("domain d1 admin", "identity:revoke_grant", GRANT_D2_USER_ON_B, N),
    ("domain d1 admin", "identity:check_grant", GRANT_D2_USER_ON_B, N),
    ("domain d1 admin", "identity:create_grant", GRANT_D1_USER_ON_D1_D2_ROLE, N),
    ("domain d1 admin", "identity:add_user_to_group", GRANT_D2_USER_ON_B, N),
    ("domain d1 reader", "identity:check_user_in_group", GRANT_D2_USER_ON_B, N),
    ("domain d1 reader", "identity:list_grants", GRANT_D1_USER_ON_B, Y),
    ("admin-project admin", "identity:create_grant", GRANT_D2_USER_ON_B, Y),
    # The cloud's administration is not a domain admin's, even in its domain.
    ("domain d1 admin", "identity:update_user", CLOUD_ADMIN_IN_D1, N),
    ("domain d1 admin", "identity:create_grant", PROTECTED_GRANT_IN_D1, N),
    ("domain d1 reader", "identity:get_user", CLOUD_ADMIN_IN_D1, Y),
    ("admin-project admin", "identity:update_user", CLOUD_ADMIN_IN_D1, Y),
    ("admin-project admin", "identity:create_grant", PROTECTED_GRANT_IN_D1, Y),
    ("domain d1 admin", "identity:list_role_assignments", PROJECT_A, Y),
    ("domain d1 admin", "identity:create_project", DOMAIN_D2, N),
    ("domain d1 admin", "identity:delete_user", USER_IN_D2, N),
    ("domain d1 admin", "identity:create_grant", PROJECT_IN_D2, N),
    ("domain d1 admin", "identity:create_domain", NOTHING, N),
    ("domain d1 admin", "identity:create_role", NOTHING, N),
    ("domain d1 admin", "identity:create_system_grant", NOTHING, N),
    ("domain d1 reader", "identity:list_users", DOMAIN_D1, Y),
    ("domain d1 reader", "identity:get_project", PROJECT_B, Y),
    ("domain d1 reader", "identity:create_user", DOMAIN_D1, N),
    ("domain d1 reader", "identity:list_users", DOMAIN_D2, N),
    # A project's reader reads the project (and its audit trail); that is all.
    ("project A reader", "identity:get_project", PROJECT_A, Y),
    ("project A reader", "audit:list_events", PROJECT_A, Y),
    ("project A reader", "identity:get_project", PROJECT_B, N),
    ("project A reader", "audit:list_events", PROJECT_B, N),
    ("project A reader", "identity:list_users", DOMAIN_D1, N),
    # A project's member: same reach as the reader for identity.
    ("project A member", "identity:get_project", PROJECT_A, Y),
    ("project A member", "identity:update_project", PROJECT_A, N),
    ("project A member", "identity:create_grant", PROJECT_A, N),
    ("project A member", "identity:list_role_assignments", PROJECT_A, N),
    # A project's admin is not a cloud or domain administrator.
    ("project A admin", "identity:get_project", PROJECT_A, Y),
    ("project A admin", "identity:create_user", DOMAIN_D1, N),
    ("project A admin", "identity:create_grant", PROJECT_A, N),
    ("project A admin", "identity:delete_project", PROJECT_A, N),
    ("project A admin", "identity:create_domain", NOTHING, N),
    # Owners act on what is theirs.
    ("project A member", "identity:get_user", A_MEMBER_SELF, Y),
    ("project A member", "identity:change_password", A_MEMBER_SELF, Y),
    ("project A member", "identity:create_application_credential", A_MEMBER_SELF, Y),
    ("project A member", "identity:list_credentials", A_MEMBER_SELF, Y),
    ("project A member", "identity:ec2_create_credential", A_MEMBER_SELF, Y),
    ("project A member", "identity:revoke_token", A_MEMBER_SELF, Y),
    ("project A member", "identity:validate_token", A_MEMBER_SELF, Y),
    ("project A member", "identity:list_user_projects", A_MEMBER_SELF, Y),
    ("project A member", "identity:get_user", USER_IN_D1, N),
    ("project A member", "identity:change_password", USER_IN_D1, N),
    ("project A member", "identity:list_credentials", USER_IN_D1, N),
    ("project A member", "identity:revoke_token", USER_IN_D1, N),
    ("project A member", "identity:validate_token", USER_IN_D1, N),
    ("project A admin", "identity:get_user", USER_IN_D1, N),
    # Regions are public to anyone authenticated; nothing is public to the anonymous.
    ("unscoped", "identity:list_regions", NOTHING, Y),
    ("unscoped", "identity:get_project", PROJECT_A, N),
    ("anonymous", "identity:list_regions", NOTHING, N),
    ("anonymous", "audit:list_events", PROJECT_A, N),
    # compute: servers and their actions. A project's readers see its servers, its
    # members change them; cloud readers see every project's, cloud administrators
    # change them and alone override locks, reset states and see hosts.
    ("project A reader", "compute:server:get", PROJECT_A, Y),
    ("project A reader", "compute:server:list", PROJECT_A, Y),
    ("project A reader", "compute:server:update", PROJECT_A, N),
    ("project A reader", "compute:server:console_output", PROJECT_A, N),
    ("project A reader", "compute:server:create", PROJECT_A, N),
    ("project A member", "compute:server:create", PROJECT_A, Y),
    ("project A member", "compute:server:stop", PROJECT_A, Y),
    ("project A member", "compute:server:lock", PROJECT_A, Y),
    ("project A member", "compute:server:get", PROJECT_B, N),
    ("project A member", "compute:server:unlock_override", PROJECT_A, N),
    ("project A member", "compute:server:override_lock", PROJECT_A, N),
    # A server's volumes: readers list them, members attach, update and detach them;
    # swapping one for another is a cloud administrator's (Nova's rule).
    ("project A reader", "compute:server:list_volumes", PROJECT_A, Y),
    ("project A reader", "compute:server:attach_volume", PROJECT_A, N),
    ("project A member", "compute:server:attach_volume", PROJECT_A, Y),
    ("project A member", "compute:server:detach_volume", PROJECT_A, Y),
    ("project A member", "compute:server:swap_volume", PROJECT_A, N),
    ("project A admin", "compute:server:swap_volume", PROJECT_A, N),
    ("admin-project admin", "compute:server:swap_volume", PROJECT_A, Y),
    ("project A admin", "compute:server:reset_state", PROJECT_A, N),
    ("project A admin", "compute:server:list_all_projects", NOTHING, N),
    ("project A admin", "compute:server:show_host", PROJECT_A, N),
    ("system reader", "compute:server:get", PROJECT_B, Y),
    ("system reader", "compute:server:list_all_projects", NOTHING, Y),
    ("system reader", "compute:server:delete", PROJECT_B, N),
    ("system reader", "compute:server:create", NOTHING, N),
    ("admin-project admin", "compute:server:delete", PROJECT_B, Y),
    ("admin-project admin", "compute:server:unlock_override", PROJECT_B, Y),
    ("admin-project admin", "compute:server:reset_state", PROJECT_B, Y),
    ("admin-project admin", "compute:server:allow_all_filters", NOTHING, Y),
    ("admin-project admin", "compute:migration:list", NOTHING, Y),
    ("admin-project member", "compute:server:delete", PROJECT_B, N),
    ("domain d1 admin", "compute:server:get", PROJECT_A, N),
    ("anonymous", "compute:server:list", NOTHING, N),
    # --- identity: rows the identity services now ask instead of hand-written checks ---
    ("project A member", "identity:list_own_role_assignments", A_MEMBER_SELF, Y),
    ("project A member", "identity:list_own_role_assignments", USER_IN_D1, N),
    ("anonymous", "identity:list_own_role_assignments", NOTHING, N),
    ("system admin", "identity:create_credential_without_role", PROJECT_IN_D2, Y),
    ("admin-project admin", "identity:create_credential_without_role", PROJECT_B, Y),
    ("domain d1 admin", "identity:create_credential_without_role", PROJECT_B, N),
    ("project A admin", "identity:create_credential_without_role", PROJECT_A, N),
    ("project A member", "identity:list_credentials", A_MEMBER_SELF, Y),
    ("project A member", "identity:list_credentials", NOTHING, N),
    ("system reader", "identity:list_credentials", NOTHING, Y),
    # storage (S3): a bucket's project's roles; the provider's administrators get no
    # implicit access to tenant buckets.
    ("project A reader", "storage:bucket:read", PROJECT_A, Y),
    ("project A reader", "storage:bucket:write", PROJECT_A, N),
    ("project A member", "storage:bucket:write", PROJECT_A, Y),
    ("project A member", "storage:bucket:bypass_governance", PROJECT_A, N),
    ("project A member", "storage:bucket:manage_policy", PROJECT_A, N),
    ("project A admin", "storage:bucket:bypass_governance", PROJECT_A, Y),
    ("project A admin", "storage:bucket:manage_policy", PROJECT_A, Y),
    ("system admin", "storage:bucket:read", PROJECT_A, N),
    ("admin-project admin", "storage:bucket:write", PROJECT_A, N),
    ("project A reader", "storage:bucket:create", PROJECT_A, N),
    ("project A member", "storage:bucket:create", PROJECT_A, Y),
    ("project A reader", "storage:bucket:list", PROJECT_A, Y),
    ("unscoped", "storage:bucket:list", NOTHING, N),
    # Storage quotas: any token of the project reads its own; the operator sets them.
    ("project A reader", "storage:quota:read", PROJECT_A, Y),
    ("system reader", "storage:quota:read", PROJECT_A, Y),
    ("domain d1 admin", "storage:quota:read", PROJECT_A, N),
    ("project A admin", "storage:quota:update", PROJECT_A, N),
    ("system reader", "storage:quota:update", PROJECT_A, N),
    ("system admin", "storage:quota:update", PROJECT_A, Y),
    # compute: flavors, keypairs, quotas, aggregates, hosts, usage. Cloud administrators
    # alone manage flavors, quotas and the operator's views...
    ("admin-project admin", "compute:flavor:create", NOTHING, Y),
    ("system admin", "compute:hypervisor:list", NOTHING, Y),
    ("system admin", "compute:flavor:read_all", NOTHING, Y),
    ("system reader", "compute:flavor:create", NOTHING, N),
    ("domain d1 admin", "compute:service:update", NOTHING, N),
    ("project A admin", "compute:flavor:read_all", NOTHING, N),
    ("project A admin", "compute:aggregate:list", NOTHING, N),
    ("project A admin", "compute:quota:update", PROJECT_A, N),
    ("project A member", "compute:usage:list", NOTHING, N),
    # ...a project's users read its quotas, limits and usage...
    ("project A reader", "compute:quota:show", PROJECT_A, Y),
    ("project A reader", "compute:limits:show", PROJECT_A, Y),
    ("project A member", "compute:usage:show", PROJECT_A, Y),
    ("project A admin", "compute:quota:show", PROJECT_B, N),
    ("system admin", "compute:usage:show", PROJECT_B, Y),
    ("anonymous", "compute:quota:show", PROJECT_A, N),
    # ...and key pairs are their user's, or a cloud administrator's to name (2.10).
    ("project A member", "compute:keypair:list", A_MEMBER_SELF, Y),
    ("project A member", "compute:keypair:create", USER_IN_D1, N),
    ("admin-project admin", "compute:keypair:delete", USER_IN_D1, Y),
]


@pytest.mark.parametrize(
    ("who", "action", "target", "expected"),
    [pytest.param(*row, id=f"{row[0]} {'may' if row[3] else 'may not'} {row[1]}")
     for row in TABLE],
)
def test_policy_table(who: str, action: str, target: Target, expected: bool) -> None:
    assert policy.may(ACTORS[who], action, target) is expected


def test_every_action_in_the_table_exists() -> None:
    assert {action for _, action, _, _ in TABLE} <= set(policy.POLICY)


# Rules that do not look at the target's project at all.
NOT_ABOUT_PROJECTS = {"identity:get_region", "identity:list_regions", "identity:get_domain",
                      # Volume types are the cloud's, read by every user.
                      "volume:type:get"}


@pytest.mark.parametrize("who", ["project A reader", "project A member", "project A admin"])
@pytest.mark.parametrize("action", sorted(set(policy.POLICY) - NOT_ABOUT_PROJECTS))
def test_a_project_user_never_acts_on_another_project(who: str, action: str) -> None:
    """Whatever their role on A, nothing about project B or its users is granted to them."""
    ctx = ACTORS[who]
    for target in (PROJECT_B, Target(domain_id="d1", project_id="p-b", user_id="u-b"),
                   Target(project_id="p-b"), PROJECT_IN_D2):
        assert not policy.may(ctx, action, target), (who, action, target)


def test_enforce_raises_forbidden_naming_the_action() -> None:
    with pytest.raises(Forbidden, match="identity:create_domain"):
        policy.enforce(ACTORS["project A admin"], "identity:create_domain")
    policy.enforce(ACTORS["system admin"], "identity:create_domain")


def test_cloud_admin_and_reader_helpers() -> None:
    assert policy.is_cloud_admin(ACTORS["admin-project admin"])
    assert policy.is_cloud_admin(ACTORS["system admin"])
    assert not policy.is_cloud_admin(ACTORS["system reader"])
    assert not policy.is_cloud_admin(ACTORS["domain d1 admin"])
    assert not policy.is_cloud_admin(ACTORS["project A admin"])
    assert policy.is_cloud_reader(ACTORS["system reader"])
    assert not policy.is_cloud_reader(ACTORS["domain d1 reader"])


# --- image (Glance): the owner project's members change its images; any user of a project
# acts on its own memberships; only a cloud admin publicizes, gives away, or sees all.
IMAGE_TABLE: list[tuple[str, str, Target, bool]] = [
    ("project A member", "image:image:create", PROJECT_A, Y),
    ("project A reader", "image:image:create", PROJECT_A, N),
    ("unscoped", "image:image:create", Target(), N),
    ("system admin", "image:image:create", Target(), Y),
    ("project A member", "image:image:update", PROJECT_A, Y),
    ("project A admin", "image:image:delete", PROJECT_A, Y),
    ("project A reader", "image:image:delete", PROJECT_A, N),
    ("project A member", "image:image:deactivate", PROJECT_B, N),
    ("admin-project admin", "image:image:deactivate", PROJECT_B, Y),
    ("project A member", "image:member:create", PROJECT_A, Y),
    ("project A reader", "image:member:create", PROJECT_A, N),
    ("project A reader", "image:member:read_all", PROJECT_A, Y),
    ("project A reader", "image:member:set_status", PROJECT_A, Y),
    ("project A member", "image:member:set_status", PROJECT_B, N),
    ("system admin", "image:member:set_status", PROJECT_B, Y),
    ("project A admin", "image:image:publicize", PROJECT_A, N),
    ("admin-project admin", "image:image:publicize", NOTHING, Y),
    ("project A admin", "image:image:set_owner", PROJECT_A, N),
    ("system admin", "image:image:set_owner", NOTHING, Y),
    ("system reader", "image:image:read_all_projects", NOTHING, N),
    ("system admin", "image:image:read_all_projects", NOTHING, Y),
    ("project A member", "image:image:download_deactivated", PROJECT_A, N),
    ("system admin", "image:image:download_deactivated", NOTHING, Y),
]


@pytest.mark.parametrize(
    ("who", "action", "target", "expected"),
    [pytest.param(*row, id=f"{row[0]} {'may' if row[3] else 'may not'} {row[1]}")
     for row in IMAGE_TABLE],
)
def test_image_policy_table(who: str, action: str, target: Target, expected: bool) -> None:
    assert action in policy.POLICY
    assert policy.may(ACTORS[who], action, target) is expected


# --- identity: the roles no role may imply ---
def test_nothing_implies_admin() -> None:
    assert not policy.may_be_implied(policy.ADMIN_ROLE)
    assert policy.may_be_implied("member") and policy.may_be_implied("reader")


# compute: flavors, keypairs, quotas, aggregates, hosts, usage.
def test_any_role_on_a_project_reads_its_compute_quota() -> None:
    """Nova lets every user of a project read its quotas, limits and usage, whatever the
    role (not only reader, member or admin)."""
    other_role = RequestContext(request_id="req-test", user_id="u-x", project_id="p-a",
                                roles=frozenset({"observer"}))
    for action in ("compute:quota:show", "compute:limits:show", "compute:usage:show"):
        assert policy.may(other_role, action, PROJECT_A)
        assert not policy.may(other_role, action, PROJECT_B)


# --- volumes (Cinder): a project's members change its volumes, its readers see them;
# statuses forced by hand, types and other projects' lists are the cloud's.
@pytest.mark.parametrize(("who", "action", "allowed"), [
    ("project A member", "volume:volume:create", True),
    ("project A reader", "volume:volume:create", False),
    ("project A reader", "volume:volume:get", True),
    ("project A admin", "volume:volume:reset_status", False),
    ("admin-project admin", "volume:volume:reset_status", True),
    ("project A admin", "volume:type:manage", False),
    ("project A reader", "volume:quota:get", True),
    ("project A admin", "volume:quota:update", False),
])
def test_volume_rows(who: str, action: str, allowed: bool) -> None:
    assert policy.may(ACTORS[who], action, PROJECT_A) is allowed
