"""The authorization order for buckets: policy Deny, owner roles, policy Allow, ACLs."""

from __future__ import annotations

import json

import pytest

from nuage.domain.bucket_policy import AccessRequest, decide, parse_policy, policy_decision
from nuage.domain.context import RequestContext
from nuage.domain.storage_errors import StorageError

OWNER = "projA"


def ctx(project: str | None, *roles: str, ip: str = "127.0.0.1",
        user: str | None = "u1") -> RequestContext:
    return RequestContext(request_id="r", source_ip=ip, user_id=user if project else None,
                          project_id=project, roles=frozenset(roles))


def req(action: str, key: str | None = "k", ip: str = "127.0.0.1",
        secure: bool = False) -> AccessRequest:
    resource = "arn:aws:s3:::b" + (f"/{key}" if key else "")
    return AccessRequest(action, resource, ip, secure)


def allow(principal: object, action: str = "s3:GetObject", resource: str = "arn:aws:s3:::b/*",
          effect: str = "Allow", condition: dict[str, object] | None = None
          ) -> dict[str, object]:
    st: dict[str, object] = {"Effect": effect, "Principal": principal, "Action": action,
                             "Resource": resource}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


@pytest.mark.parametrize(("roles", "action", "expected"), [
    (("reader",), "s3:GetObject", True),
    (("reader",), "s3:ListBucket", True),
    (("reader",), "s3:PutObject", False),
    (("reader", "member"), "s3:PutObject", True),
    (("reader", "member"), "s3:DeleteBucket", True),
    (("reader", "member"), "s3:BypassGovernanceRetention", False),
    (("reader", "member", "admin"), "s3:BypassGovernanceRetention", True),
])
def test_owner_project_roles(roles: tuple[str, ...], action: str, expected: bool) -> None:
    assert decide(ctx(OWNER, *roles), OWNER, None, False, req(action)) is expected


def test_other_projects_and_anonymous_get_nothing_by_default() -> None:
    for who in (ctx("projB", "reader", "member", "admin"), ctx(None)):
        assert not decide(who, OWNER, None, False, req("s3:GetObject"))


def test_cloud_admin_has_no_implicit_access_to_tenant_data() -> None:
    admin = RequestContext(request_id="r", user_id="root", project_id="admin-project",
                           roles=frozenset({"admin", "member", "reader"}), system=True)
    assert not decide(admin, OWNER, None, False, req("s3:GetObject"))


def test_policy_allow_grants_another_project() -> None:
    policy = allow({"AWS": "arn:aws:iam::projB:root"})
    assert decide(ctx("projB", "reader"), OWNER, policy, False, req("s3:GetObject"))
    assert not decide(ctx("projC", "reader"), OWNER, policy, False, req("s3:GetObject"))
    assert not decide(ctx("projB", "reader"), OWNER, policy, False, req("s3:PutObject"))


def test_explicit_deny_beats_the_owner() -> None:
    policy = allow("*", action="s3:DeleteObject", effect="Deny")
    assert not decide(ctx(OWNER, "reader", "member"), OWNER, policy, False,
                      req("s3:DeleteObject"))
    assert decide(ctx(OWNER, "reader", "member"), OWNER, policy, False, req("s3:PutObject"))


def test_public_read_acl_lets_anonymous_read() -> None:
    assert decide(ctx(None), OWNER, None, True, req("s3:GetObject"))


@pytest.mark.parametrize(("operator", "ip", "expected"), [
    ("IpAddress", "10.1.2.3", True), ("IpAddress", "192.0.2.1", False),
    ("NotIpAddress", "10.1.2.3", False), ("NotIpAddress", "192.0.2.1", True),
])
def test_ip_conditions(operator: str, ip: str, expected: bool) -> None:
    policy = allow("*", condition={operator: {"aws:SourceIp": "10.0.0.0/8"}})
    got = policy_decision(policy, ctx(None, ip=ip), req("s3:GetObject", ip=ip))
    assert (got == "Allow") is expected


def test_secure_transport_condition() -> None:
    policy = allow("*", action="s3:*", effect="Deny",
                   condition={"Bool": {"aws:SecureTransport": "false"}})
    assert policy_decision(policy, ctx(OWNER), req("s3:GetObject", secure=False)) == "Deny"
    assert policy_decision(policy, ctx(OWNER), req("s3:GetObject", secure=True)) is None


def test_wildcard_actions_and_resources() -> None:
    policy = allow("*", action="s3:Get*", resource="arn:aws:s3:::b/public/*")
    assert policy_decision(policy, ctx(None), req("s3:GetObject", "public/x")) == "Allow"
    assert policy_decision(policy, ctx(None), req("s3:GetObject", "private/x")) is None
    assert policy_decision(policy, ctx(None), req("s3:PutObject", "public/x")) is None


@pytest.mark.parametrize("doc", [
    "not json",
    json.dumps({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:*",
                               "Resource": "arn:aws:s3:::b"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*",
                               "Resource": "arn:aws:s3:::b"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*",
                               "Resource": "arn:aws:s3:::b"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                               "Resource": "arn:aws:s3:::other/*"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                               "Resource": "arn:aws:s3:::b",
                               "Condition": {"StringLike": {"aws:Referer": "x"}}}]}),
])
def test_malformed_policies_are_refused(doc: str) -> None:
    with pytest.raises(StorageError) as err:
        parse_policy(doc, "b")
    assert err.value.fault.value == "MalformedPolicy"


def test_a_valid_policy_parses() -> None:
    doc = json.dumps(allow({"AWS": ["projB"]}, resource="arn:aws:s3:::b/*"))
    assert parse_policy(doc, "b")["Statement"][0]["Effect"] == "Allow"


@pytest.mark.parametrize("action", ["s3:BypassGovernanceRetention", "s3:*", "s3:Bypass*", "*"])
@pytest.mark.parametrize("principal", ["*", {"AWS": OWNER}, {"AWS": "projB"}])
def test_a_policy_never_grants_bypassing_governance(action: str, principal: object) -> None:
    """Issue 8: a member could write itself a policy granting the bypass. Only the owner
    project's admin role holds it; a policy may still deny it to that admin."""
    doc = allow(principal, action=action, resource="arn:aws:s3:::b/*")
    for who in (ctx(OWNER, "reader", "member"), ctx("projB", "reader", "member", "admin"),
                ctx(None)):
        assert not decide(who, OWNER, doc, True, req("s3:BypassGovernanceRetention"))
    admin = ctx(OWNER, "reader", "member", "admin")
    assert decide(admin, OWNER, doc, False, req("s3:BypassGovernanceRetention"))
    deny = allow(principal, action=action, resource="arn:aws:s3:::b/*", effect="Deny")
    if principal != {"AWS": "projB"}:
        assert not decide(admin, OWNER, deny, False, req("s3:BypassGovernanceRetention"))
