"""The Keystone error table: domain errors -> {"error": {"code", "title", "message"}}."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nuage.api.openstack.common.body import iso
from nuage.api.openstack.common.errors import TITLES, json_error, status_of
from nuage.domain.errors import (
    AuthReceiptRequired,
    CommonFault,
    FaultCode,
    NuageError,
    Wording,
)
from nuage.domain.identity_errors import IdentityFault as F

# A refusal by a policy row, in Keystone's words where they differ from the default
# "You are not authorized to perform the requested action: <action>." (action -> sentence).
POLICY_WORDS: dict[str, str] = {
    "identity:validate_token": "You are not authorized to validate this token.",
}


def _policy_denied(f: Mapping[str, Any]) -> str:
    action = f["action"]
    return POLICY_WORDS.get(
        action, f"You are not authorized to perform the requested action: {action}.")


def _owns_resources(f: Mapping[str, Any]) -> str:
    listed = "; ".join(
        f"{len(items)} {kind}: {', '.join(items[:20])}{', ...' if len(items) > 20 else ''}"
        for kind, items in f["remaining"].items())
    return (f"Cannot delete {f['kind']} {f['ident']}: it still owns resources ({listed}). "
            "Delete them first.")


def _interface_invalid(f: Mapping[str, Any]) -> str:
    if "interface" not in f:
        return "Invalid interface."
    return f"Invalid interface {f['interface']!r}: one of public, internal, admin."


# Keystone's uniform answer to bad credentials (and to a missing token).
_AUTHENTICATE = "The request you have made requires authentication."

# Each fault in Keystone's words (the audit API and the CLI speak them too).
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: "Could not find {kind}: {ident}.",
    CommonFault.POLICY_DENIED: _policy_denied,
    CommonFault.AUTHENTICATION_REQUIRED: _AUTHENTICATE,
    # authentication
    F.AUTH_FAILED: _AUTHENTICATE,
    F.AUTH_METHODS_MISSING: "Expecting to find methods in identity.",
    F.AUTH_METHOD_BODY_MISSING: "Expecting to find {method} in identity.",
    F.AUTH_METHOD_UNSUPPORTED: "Attempted to authenticate with an unsupported method: "
                               "{method}.",
    F.AUTH_USERS_DIFFER: "All authentication methods must identify the same user.",
    F.AUTH_USER_MISSING: "Expecting to find user id or name in the auth request.",
    F.AUTH_USER_DOMAIN_MISSING: "A user given by name needs a domain.",
    F.AUTH_METHODS_INSUFFICIENT: "Insufficient auth methods received for user {user_id}.",
    F.RECEIPT_EXPIRED: "The auth receipt has expired.",
    F.USER_LOCKED: "The account is locked for user: {user_id}.",
    F.PASSWORD_EXPIRED: "The password is expired and needs to be changed for user: {user_id}.",
    F.DOMAIN_REF_INVALID: "A domain reference needs an id or a name.",
    # scope
    F.SCOPE_NOT_FOUND: "Could not find {kind}: {ident}.",
    F.SCOPE_PROJECT_DOMAIN_MISSING: "A project given by name needs a domain.",
    F.SCOPE_PROJECT_DISABLED: "Project {project_id} is disabled.",
    F.SCOPE_EMPTY: "The scope names no project, domain or system.",
    F.SCOPE_NO_ROLE: "User {user_id} has no access to the requested scope.",
    # tokens
    F.TOKEN_EXPIRED: "The token has expired.",
    F.TOKEN_REVOKED: "The token has been revoked.",
    F.TOKEN_PROJECT_UNAVAILABLE: "The token's project is no longer available.",
    F.TOKEN_DOMAIN_UNAVAILABLE: "The token's domain is no longer available.",
    F.TOKEN_NO_ROLE: "The user no longer has a role on the token's scope.",
    # application credentials
    F.APP_CRED_REF_INCOMPLETE: "An application credential needs an id, or a name and a user.",
    F.APP_CRED_EXPIRED: "The application credential has expired.",
    F.APP_CRED_INVALID: "The application credential is no longer valid.",
    F.APP_CRED_SCOPE_REQUESTED: "Application credentials cannot request a scope.",
    F.APP_CRED_TOKEN_RESCOPED: "Application credential tokens cannot be rescoped.",
    F.APP_CRED_FOR_ANOTHER_USER: "You may only create application credentials for yourself.",
    F.APP_CRED_NEEDS_PROJECT: "Application credentials need a project-scoped token.",
    F.APP_CRED_RESTRICTED_CREATE: "A restricted application credential cannot create "
                                  "another one.",
    F.APP_CRED_RESTRICTED_DELETE: "A restricted application credential cannot delete "
                                  "credentials.",
    F.APP_CRED_EXPIRY_PAST: "expires_at must be in the future.",
    F.APP_CRED_ROLE_NOT_HELD: "You do not hold the role {role} on this project.",
    F.APP_CRED_NAME_TAKEN: "Duplicate application credential name {name}.",
    F.APP_CRED_EC2_ONLY: "A token from an application credential can only create EC2 "
                         "credentials, bound to that application credential.",
    F.APP_CRED_OWN_TARGET_ONLY: "A token from an application credential can only create EC2 "
                                "credentials for its own user on its own project.",
    # credentials
    F.CREDENTIAL_BLOB_INVALID: "Invalid blob in credential.",
    F.CREDENTIAL_ACCESS_TAKEN: "A credential with that access key already exists.",
    F.CREDENTIAL_USER_HAS_NO_ROLE: "The user has no role on that project.",
    F.EC2_BLOB_NOT_OBJECT: "An ec2 credential's blob must be a JSON object.",
    F.EC2_BLOB_NO_ACCESS: "An ec2 credential's blob needs an access key.",
    F.EC2_NO_PROJECT: "An ec2 credential needs a project_id.",
    F.EC2_BINDING_INVALID: "app_cred_id names no application credential of this user on this "
                           "project.",
    F.EC2_BINDING_IMMUTABLE: "app_cred_id can not be updated for credential.",
    F.TOTP_BLOB_INVALID: "A totp credential's blob must be a base32 secret.",
    # users, passwords, groups
    F.USER_OPTIONS_INVALID: "Invalid user options: {options}",
    F.MFA_RULES_INVALID: "multi_factor_auth_rules must be a list of lists of methods.",
    F.USER_NAME_TAKEN: "Conflict occurred attempting to store user - Duplicate entry found "
                       "with name {name} at domain ID {domain_id}.",
    F.USER_DELETES_SELF: "You cannot delete your own user.",
    F.PASSWORD_ORIGINAL_WRONG: "The original password is not correct.",
    F.PASSWORD_LOCKED: "You are not allowed to change your password.",
    F.GROUP_NAME_TAKEN: "Conflict occurred attempting to store group - Duplicate entry found "
                        "with name {name}.",
    # domains and projects
    F.DOMAIN_NAME_TAKEN: "Conflict occurred attempting to store domain - Duplicate entry "
                         "found with name {name}.",
    F.DOMAIN_ENABLED: "Cannot delete a domain that is enabled, please disable it first.",
    F.PROJECT_NAME_TAKEN: "Conflict occurred attempting to store project - it is not "
                          "permitted to have two projects with the same name in the same "
                          "domain : {name}.",
    F.PROJECT_PARENT_DOMAIN: "The project must be in its parent's domain.",
    F.PARENT_ID_IMMUTABLE: "Update of `parent_id` is not allowed.",
    F.PROJECT_HAS_CHILDREN: "Cannot delete project {project_id}: it has child projects.",
    F.ADMIN_PROJECT_UNDELETABLE: "The cloud's admin project cannot be deleted.",
    F.OWNS_RESOURCES: _owns_resources,
    F.PROJECT_TOO_MANY_TAGS: "A project may have at most {limit} tags.",
    F.PROJECT_TAG_INVALID: "Invalid tag: {tag!r}.",
    F.DOMAIN_ID_IMMUTABLE: "Update of `domain_id` is not allowed.",
    F.ATTRIBUTES_NOT_UPDATABLE: "Cannot update these attributes: {attributes}",
    F.RENAME_TAKEN: "Duplicate entry found with name {name}.",
    # roles and assignments
    F.ROLE_NAME_TAKEN: "Conflict occurred attempting to store role - Duplicate entry found "
                       "with name {name}.",
    F.ROLE_IMPLICATION_PROHIBITED: "{implied_id} cannot be an implied role of {prior_id}.",
    F.ROLE_OUTSIDE_ITS_DOMAIN: "A domain-specific role can only be granted in its domain.",
    # catalog
    F.REGION_COUNTRY_INVALID: "country must be an ISO 3166-1 alpha-2 code, such as FR.",
    F.REGION_ID_TAKEN: "Duplicate ID, {region_id}.",
    F.REGION_HAS_CHILDREN: "Cannot delete a region that has child regions.",
    F.REGION_HAS_ENDPOINTS: "Cannot delete a region that still has endpoints.",
    F.ENDPOINT_INTERFACE_INVALID: _interface_invalid,
}


def keystone_error(status: int, title: str, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    return json_error({"error": {"code": status, "title": title, "message": message}},
                      status, headers)


def to_response(request: Request, exc: NuageError, identity_url: str) -> Response:
    if isinstance(exc, AuthReceiptRequired):
        # keystoneauth parses expires_at as an ISO 8601 string (MissingAuthMethods).
        expires = iso(datetime.fromtimestamp(exc.expires_at, UTC))
        body = {
            "receipt": {"methods": exc.methods, "user": {"id": exc.user_id},
                        "expires_at": expires},
            "required_auth_methods": exc.required,
            "error": {"code": 401, "title": "Unauthorized",
                      "message": exc.worded(WORDING)},
        }
        return json_error(body, 401, {"Openstack-Auth-Receipt": exc.receipt,
                                      "WWW-Authenticate": f'Keystone uri="{identity_url}"'})
    status = status_of(exc)
    if status is None:
        return keystone_error(500, TITLES[500], "An unexpected error occurred.")
    headers = ({"WWW-Authenticate": f'Keystone uri="{identity_url}"'}
               if status == 401 else None)
    return keystone_error(status, TITLES[status], exc.worded(WORDING), headers)
