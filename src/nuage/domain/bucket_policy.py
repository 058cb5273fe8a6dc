"""Who may do what to a bucket and its objects: project roles, bucket policies, canned ACLs.

Order of evaluation, as S3 does it: an explicit Deny in the bucket policy wins over
everything; then the owner project's own roles (reader: reads and lists; member: everything
but bypassing governance retention; admin: that too; rows "storage:bucket:*" of
domain/policy.py); then an Allow in the policy; then
canned ACLs (public-read). Otherwise AccessDenied. The admin-only actions
(s3:BypassGovernanceRetention) come from the owner project's admin role alone: a policy can
deny them but never grant them. One exception first, as in S3: the owner
project's admin may always get, put or delete the bucket policy, whatever it says. The
provider's administrators get no implicit access to tenant data: a sovereign cloud's operator
is not a reader of its tenants.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from nuage.domain import policy as authz
from nuage.domain.context import RequestContext
from nuage.domain.storage_errors import Fault, StorageError, StorageReason

READ_PREFIXES = ("s3:Get", "s3:List")
ADMIN_ONLY = {"s3:BypassGovernanceRetention"}
# The owner project's admin may always read, replace or delete the bucket policy.
POLICY_ACTIONS = {"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}
CONDITION_KEYS = {"aws:SourceIp", "aws:SecureTransport"}
# S3's limit on a bucket policy's size. A valid policy nests at most 6 levels (document,
# Statement list, statement, Condition, operator, value list): 8 leaves room.
MAX_POLICY_BYTES = 20 * 1024
MAX_POLICY_DEPTH = 8


@dataclass(frozen=True)
class AccessRequest:
    action: str            # e.g. s3:GetObject
    resource: str          # arn:aws:s3:::bucket or arn:aws:s3:::bucket/key
    source_ip: str | None
    secure_transport: bool


def bucket_arn(bucket: str, key: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, ctx: RequestContext) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for ident in _as_list(principal.get("AWS", [])):
        if ident == "*":
            return True
        if not isinstance(ident, str) or ctx.project_id is None:
            continue
        # Accounts are projects: "<project>", "arn:aws:iam::<project>:root";
        # users: "arn:aws:iam::<project>:user/<user id>".
        if ident in (ctx.project_id, f"arn:aws:iam::{ctx.project_id}:root"):
            return True
        if ctx.user_id and ident == f"arn:aws:iam::{ctx.project_id}:user/{ctx.user_id}":
            return True
    return False


def _condition_holds(condition: dict[str, Any], req: AccessRequest) -> bool:
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            values = [str(v) for v in _as_list(wanted)]
            if key == "aws:SourceIp":
                if req.source_ip is None:
                    return False
                try:
                    ip = ipaddress.ip_address(req.source_ip)
                    inside = any(ip in ipaddress.ip_network(v, strict=False) for v in values)
                except ValueError:
                    return False
                if (operator == "IpAddress") != inside:
                    return False
            elif key == "aws:SecureTransport":
                actual = "true" if req.secure_transport else "false"
                matches = actual in [v.lower() for v in values]
                if (operator == "Bool") != matches:
                    return False
    return True


def _statement_matches(st: dict[str, Any], ctx: RequestContext, req: AccessRequest) -> bool:
    if "Principal" in st and not _principal_matches(st["Principal"], ctx):
        return False
    actions = [str(a) for a in _as_list(st.get("Action", []))]
    if "NotAction" in st:
        if any(fnmatch.fnmatchcase(req.action, a) for a in _as_list(st["NotAction"])):
            return False
    elif not any(fnmatch.fnmatchcase(req.action, a) for a in actions):
        return False
    resources = [str(r) for r in _as_list(st.get("Resource", []))]
    if not any(fnmatch.fnmatchcase(req.resource, r) for r in resources):
        return False
    return _condition_holds(st.get("Condition", {}), req)


def policy_decision(policy: dict[str, Any] | None, ctx: RequestContext, req: AccessRequest
                    ) -> str | None:
    """"Deny", "Allow", or None when no statement speaks."""
    if not policy:
        return None
    verdict = None
    for st in _as_list(policy.get("Statement", [])):
        if isinstance(st, dict) and _statement_matches(st, ctx, req):
            if st.get("Effect") == "Deny":
                return "Deny"
            verdict = "Allow"
    return verdict


def role_row(action: str) -> str:
    """The row of the policy table (domain/policy.py) by which the owner project's roles
    grant an S3 action: reads and lists, writes, or bypassing governance retention."""
    if action in ADMIN_ONLY:
        return "storage:bucket:bypass_governance"
    if action.startswith(READ_PREFIXES):
        return "storage:bucket:read"
    return "storage:bucket:write"


def role_allows(ctx: RequestContext, owner_project: str, action: str) -> bool:
    return authz.may(ctx, role_row(action), authz.Target(project_id=owner_project))


def decide(ctx: RequestContext, owner_project: str, policy: dict[str, Any] | None,
           acl_allows: bool, req: AccessRequest) -> bool:
    if req.action in POLICY_ACTIONS and authz.may(
            ctx, "storage:bucket:manage_policy", authz.Target(project_id=owner_project)):
        # As S3 lets the owner account's root do, so a bad policy cannot lock the owner out.
        return True
    verdict = policy_decision(policy, ctx, req)
    if verdict == "Deny":
        return False
    if role_allows(ctx, owner_project, req.action):
        return True
    if req.action in ADMIN_ONLY:
        # Only the owner project's admin role holds these: a policy (which a member may
        # write) or an ACL never grants them, else a member writes itself the right to
        # remove a governance lock.
        return False
    return verdict == "Allow" or acl_allows


def _nesting(text: str) -> int:
    """How deep arrays and objects nest in a JSON text, counted without parsing it (the
    parser recurses: `[` x 100,000 would exhaust the stack before any check could run)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_policy(text: str, bucket: str) -> dict[str, Any]:
    """Check a bucket policy document; MalformedPolicy for anything S3 would refuse."""
    def bad(reason: StorageReason, **fields: Any) -> StorageError:
        return StorageError(Fault.MALFORMED_POLICY, reason, **fields)

    if len(text.encode()) > MAX_POLICY_BYTES:
        raise bad(StorageReason.POLICY_TOO_LARGE, limit=MAX_POLICY_BYTES)
    if _nesting(text) > MAX_POLICY_DEPTH:
        raise bad(StorageReason.POLICY_NOT_JSON)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise bad(StorageReason.POLICY_NOT_JSON) from exc
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise bad(StorageReason.POLICY_STATEMENT_MISSING)
    for st in _as_list(doc["Statement"]):
        if not isinstance(st, dict):
            raise bad(StorageReason.POLICY_STATEMENT_INVALID)
        if st.get("Effect") not in ("Allow", "Deny"):
            raise bad(StorageReason.POLICY_EFFECT_INVALID)
        if "Principal" not in st:
            raise bad(StorageReason.POLICY_PRINCIPAL_MISSING)
        if "Action" not in st and "NotAction" not in st:
            raise bad(StorageReason.POLICY_ACTION_MISSING)
        for action in _as_list(st.get("Action", st.get("NotAction"))):
            if not isinstance(action, str) or not (action == "*" or action.startswith("s3:")):
                raise bad(StorageReason.POLICY_ACTION_INVALID, action=action)
        for resource in _as_list(st.get("Resource", [])):
            arn = bucket_arn(bucket)
            if not isinstance(resource, str) or not (
                    resource == arn or resource.startswith(arn + "/")):
                raise bad(StorageReason.POLICY_RESOURCE_FOREIGN, arn=resource)
        if not st.get("Resource"):
            raise bad(StorageReason.POLICY_RESOURCE_MISSING)
        condition = st.get("Condition", {})
        if not isinstance(condition, dict):
            raise bad(StorageReason.POLICY_CONDITION_INVALID)
        for operator, tests in condition.items():
            if operator not in ("IpAddress", "NotIpAddress", "Bool") or not isinstance(tests, dict):
                raise bad(StorageReason.POLICY_CONDITION_OPERATOR_INVALID, operator=operator)
            for key in tests:
                if key not in CONDITION_KEYS:
                    raise bad(StorageReason.POLICY_CONDITION_KEY_INVALID, key=key)
    return doc
