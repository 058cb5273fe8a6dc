"""Keystone request parsing: auth bodies, resource changes, query filters and paging.

Everything here turns the wire's JSON or query string into what the identity services take,
raising ValidationError (400) on a malformed shape; the handlers only route and render.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from nuage.api.openstack.common.body import (
    boolean,
    extra,
    member,
    name,
    obj,
    query_bool,
    string,
    string_list,
    timestamp,
)
from nuage.domain.errors import ValidationError
from nuage.services.identity.assignments import AssignmentFilter
from nuage.services.identity.credentials import NewAppCred
from nuage.services.identity.tokens import AppCredRef, AuthRequest, ScopeRequest, UserRef


def filters(request: Request, *names: str, booleans: tuple[str, ...] = ()) -> dict[str, Any]:
    """Equality filters from the query string (Keystone's `?name=...&enabled=...`)."""
    out: dict[str, Any] = {}
    for key in names:
        value = request.query_params.get(key)
        if value is not None:
            out[key] = value
    for key in booleans:
        value = request.query_params.get(key)
        if value is not None:
            out[key] = query_bool(value)
    return out


def paging(request: Request) -> tuple[str | None, int | None]:
    marker = request.query_params.get("marker")
    raw = request.query_params.get("limit")
    if raw is None:
        return marker, None
    try:
        limit = int(raw)
    except ValueError as exc:
        raise ValidationError(f"Invalid limit: {raw!r}.") from exc
    if limit < 0:
        raise ValidationError("limit must not be negative.")
    return marker, limit


def tag_filters(request: Request
                ) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
    """Keystone's `?tags=a,b&tags-any=...&not-tags=...` project filters, in that order."""
    q = request.query_params

    def split(key: str) -> list[str] | None:
        return q[key].split(",") if key in q else None

    return split("tags"), split("tags-any"), split("not-tags")


def user_ref(d: dict[str, Any]) -> UserRef:
    user = member(d, "user", "the method")
    domain = user.get("domain")
    if domain is not None and not isinstance(domain, dict):
        raise ValidationError("Invalid input for field 'domain': an object is expected.")
    return UserRef(id=string(user, "id"), name=string(user, "name"), domain=domain)


def parse_auth(body: dict[str, Any], receipt: str | None) -> AuthRequest:
    auth = member(body, "auth")
    identity = member(auth, "identity", "auth")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise ValidationError("Expecting to find methods in identity.")
    password = token = app_cred = totp = None
    if "password" in methods:
        pw = member(identity, "password", "identity")
        secret = string(strict(pw, "user"), "password", required=True, max_len=4096)
        password = (user_ref(pw), secret or "")
    if "token" in methods:
        token = string(member(identity, "token", "identity"), "id", required=True, max_len=8192)
    if "application_credential" in methods:
        ac = member(identity, "application_credential", "identity")
        user = ac.get("user")
        app_cred = AppCredRef(
            secret=string(ac, "secret", required=True, max_len=4096) or "",
            id=string(ac, "id"), name=string(ac, "name"),
            user=user_ref(ac) if isinstance(user, dict) else None)
    if "totp" in methods:
        tp = member(identity, "totp", "identity")
        code = string(strict(tp, "user"), "passcode", required=True, max_len=16)
        totp = (user_ref(tp), code or "")
    return AuthRequest(methods=tuple(methods), password=password, token=token,
                       app_cred=app_cred, totp=totp, scope=scope_request(auth.get("scope")),
                       receipt=receipt)


def strict(d: dict[str, Any], key: str) -> dict[str, Any]:
    return member(d, key, "the method")


def scope_request(scope: Any) -> ScopeRequest | None:
    if scope is None:
        return None
    if scope == "unscoped":
        return ScopeRequest(unscoped=True)
    if not isinstance(scope, dict):
        raise ValidationError("Invalid scope: an object is expected.")
    if "system" in scope:
        system = scope["system"]
        if not isinstance(system, dict) or system.get("all") is not True:
            raise ValidationError("A system scope must be {\"all\": true}.")
        return ScopeRequest(system=True)
    if "project" in scope:
        project = member(scope, "project", "scope")
        domain = project.get("domain")
        return ScopeRequest(project_id=string(project, "id"), project_name=string(project, "name"),
                            project_domain=domain if isinstance(domain, dict) else None)
    if "domain" in scope:
        domain = member(scope, "domain", "scope")
        return ScopeRequest(domain_id=string(domain, "id"), domain_name=string(domain, "name"))
    if "OS-TRUST:trust" in scope:
        raise ValidationError("Trusts are not supported.")
    raise ValidationError("The scope names no project, domain or system.")


DOMAIN_KEYS = {"id", "name", "description", "enabled", "tags", "options", "explicit_domain_id",
               "links"}
# Keystone limits project and domain names to 64 characters (users, groups, roles: 255).
PROJECT_KEYS = {"id", "name", "description", "enabled", "domain_id", "parent_id", "is_domain",
                "tags", "options", "links"}


def project_changes(p: dict[str, Any], creating: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in p:
        changes["name"] = name(p, max_len=64)
    if "description" in p:
        changes["description"] = string(p, "description", nullable=True, max_len=65535) or ""
    if "enabled" in p:
        changes["enabled"] = boolean(p, "enabled")
    if "tags" in p:
        changes["tags"] = string_list(p, "tags")
    if "options" in p:
        changes["options"] = obj(p, "options")
    if not creating:
        for key in ("domain_id", "parent_id"):
            if key in p:
                changes[key] = p[key]
    more = extra(p, PROJECT_KEYS)
    if more:
        changes["extra"] = more
    return changes


def domain_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = name(body, max_len=64)
    if "description" in body:
        changes["description"] = string(body, "description", nullable=True,
                                        max_len=65535) or ""
    if "enabled" in body:
        changes["enabled"] = boolean(body, "enabled")
    if "tags" in body:
        changes["tags"] = string_list(body, "tags")
    more = extra(body, DOMAIN_KEYS)
    if more:
        changes["extra"] = more
    return changes


USER_KEYS = {"id", "name", "domain_id", "enabled", "default_project_id", "password", "options",
             "links", "password_expires_at", "federated"}
GROUP_KEYS = {"id", "name", "domain_id", "description", "links"}


def user_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = name(body)
    if "enabled" in body:
        changes["enabled"] = boolean(body, "enabled")
    if "default_project_id" in body:
        changes["default_project_id"] = string(body, "default_project_id", nullable=True)
    if "password" in body:
        changes["password"] = string(body, "password", nullable=True, max_len=4096)
    if "options" in body:
        changes["options"] = obj(body, "options")
    if "domain_id" in body:
        changes["domain_id"] = string(body, "domain_id")
    more = extra(body, USER_KEYS)
    if more:
        changes["extra"] = more
    return changes


REGION_KEYS = {"id", "description", "parent_region_id", "country", "links"}
SERVICE_KEYS = {"id", "type", "name", "description", "enabled", "links"}
ENDPOINT_KEYS = {"id", "service_id", "interface", "url", "region_id", "region", "enabled",
                 "links"}


def catalog_changes(body: dict[str, Any], strings: tuple[str, ...], known: set[str]
                    ) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in strings:
        if key in body:
            changes[key] = string(body, key, nullable=True, max_len=65535)
    if "enabled" in body:
        changes["enabled"] = boolean(body, "enabled")
    more = extra(body, known)
    if more:
        changes["extra"] = more
    return changes


CREDENTIAL_KEYS = {"id", "user_id", "project_id", "type", "blob", "links"}


def app_cred_roles(body: dict[str, Any]) -> tuple[dict[str, str], ...]:
    roles = body.get("roles") or []
    if not isinstance(roles, list) or not all(
            isinstance(x, dict) and (isinstance(x.get("id"), str) or isinstance(x.get("name"), str))
            for x in roles):
        raise ValidationError("Invalid input for field 'roles': a list of {id} or {name}.")
    return tuple({k: v for k, v in x.items() if k in ("id", "name")} for x in roles)


def new_app_cred(body: dict[str, Any]) -> NewAppCred:
    if body.get("access_rules"):
        raise ValidationError("Access rules are not supported.")
    return NewAppCred(name=name(body), secret=string(body, "secret", nullable=True,
                                                     max_len=4096),
                      description=string(body, "description", nullable=True, max_len=65535),
                      expires_at=timestamp(body, "expires_at"), roles=app_cred_roles(body),
                      unrestricted=bool(boolean(body, "unrestricted", False)))


def credential_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("type", "blob", "project_id"):
        if key in body:
            changes[key] = string(body, key, nullable=key == "project_id", max_len=65535)
    return changes


ROLE_KEYS = {"id", "name", "domain_id", "description", "options", "links"}


def role_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = name(body)
    if "description" in body:
        changes["description"] = string(body, "description", nullable=True,
                                        max_len=65535) or ""
    if "options" in body:
        changes["options"] = obj(body, "options")
    return changes


def assignment_filter(request: Request) -> AssignmentFilter:
    """GET /v3/role_assignments' query string (`user.id`, `scope.project.id`, ...)."""
    q = request.query_params
    inherited = None
    if "scope.OS-INHERIT:inherited_to" in q:
        inherited = True
    f = AssignmentFilter(
        user_id=q.get("user.id"), group_id=q.get("group.id"),
        project_id=q.get("scope.project.id"), domain_id=q.get("scope.domain.id"),
        system="scope.system" in q, role_id=q.get("role.id"),
        effective="effective" in q and q.get("effective", "").lower() != "false",
        inherited=inherited,
        include_subtree=q.get("include_subtree", "").lower() == "true")
    return f
