"""Identity faults the services raise; Keystone's error table words them."""

from __future__ import annotations

from nuage.domain.errors import FaultCode


class IdentityFault(FaultCode):
    """What went wrong in identity, token and credential use cases.

    Each comment names the fields the fault carries (what a wording may quote)."""

    # -- authentication (POST /v3/auth/tokens) ---------------------------------------------
    # Bad credentials, whatever was wrong with them: one fault, one sentence, so that a
    # refusal never tells an unknown user from a wrong password (Keystone's uniform 401).
    AUTH_FAILED = "auth.failed"
    AUTH_METHODS_MISSING = "auth.methods_missing"
    # A method is named but its body is absent. Fields: method.
    AUTH_METHOD_BODY_MISSING = "auth.method_body_missing"
    # Fields: method.
    AUTH_METHOD_UNSUPPORTED = "auth.method_unsupported"
    AUTH_USERS_DIFFER = "auth.users_differ"
    AUTH_USER_MISSING = "auth.user_missing"
    # A user named without its domain.
    AUTH_USER_DOMAIN_MISSING = "auth.user_domain_missing"
    # Multi-factor rules need more methods; a receipt goes with it. Fields: user_id.
    AUTH_METHODS_INSUFFICIENT = "auth.methods_insufficient"
    RECEIPT_EXPIRED = "receipt.expired"
    # Fields: user_id.
    USER_LOCKED = "user.locked"
    # Fields: user_id.
    PASSWORD_EXPIRED = "password.expired"
    DOMAIN_REF_INVALID = "domain.ref_invalid"
    # -- scope -----------------------------------------------------------------------------
    # The requested scope is absent or disabled. Fields: kind ("domain", "project"), ident.
    SCOPE_NOT_FOUND = "scope.not_found"
    SCOPE_PROJECT_DOMAIN_MISSING = "scope.project_domain_missing"
    # Fields: project_id.
    SCOPE_PROJECT_DISABLED = "scope.project_disabled"
    SCOPE_EMPTY = "scope.empty"
    # Fields: user_id.
    SCOPE_NO_ROLE = "scope.no_role"
    # -- tokens ----------------------------------------------------------------------------
    TOKEN_EXPIRED = "token.expired"
    TOKEN_REVOKED = "token.revoked"
    TOKEN_PROJECT_UNAVAILABLE = "token.project_unavailable"
    TOKEN_DOMAIN_UNAVAILABLE = "token.domain_unavailable"
    TOKEN_NO_ROLE = "token.no_role"
    # -- application credentials -----------------------------------------------------------
    APP_CRED_REF_INCOMPLETE = "app_cred.ref_incomplete"
    APP_CRED_EXPIRED = "app_cred.expired"
    APP_CRED_INVALID = "app_cred.invalid"
    APP_CRED_SCOPE_REQUESTED = "app_cred.scope_requested"
    APP_CRED_TOKEN_RESCOPED = "app_cred.token_rescoped"
    APP_CRED_FOR_ANOTHER_USER = "app_cred.for_another_user"
    APP_CRED_NEEDS_PROJECT = "app_cred.needs_project"
    # A token from a restricted application credential creates or deletes none.
    APP_CRED_RESTRICTED_CREATE = "app_cred.restricted_create"
    APP_CRED_RESTRICTED_DELETE = "app_cred.restricted_delete"
    APP_CRED_EXPIRY_PAST = "app_cred.expiry_past"
    # Fields: role (its id or name, as the request gave it).
    APP_CRED_ROLE_NOT_HELD = "app_cred.role_not_held"
    # Fields: name.
    APP_CRED_NAME_TAKEN = "app_cred.name_taken"
    # What a token from an application credential may create: EC2 keys, for itself.
    APP_CRED_EC2_ONLY = "app_cred.ec2_only"
    APP_CRED_OWN_TARGET_ONLY = "app_cred.own_target_only"
    # -- credentials (EC2, TOTP, stored) ---------------------------------------------------
    CREDENTIAL_BLOB_INVALID = "credential.blob_invalid"
    CREDENTIAL_ACCESS_TAKEN = "credential.access_taken"
    # Fields: user_id, project_id.
    CREDENTIAL_USER_HAS_NO_ROLE = "credential.user_has_no_role"
    EC2_BLOB_NOT_OBJECT = "ec2.blob_not_object"
    EC2_BLOB_NO_ACCESS = "ec2.blob_no_access"
    EC2_NO_PROJECT = "ec2.no_project"
    EC2_BINDING_INVALID = "ec2.binding_invalid"
    EC2_BINDING_IMMUTABLE = "ec2.binding_immutable"
    TOTP_BLOB_INVALID = "totp.blob_invalid"
    # -- users, passwords, groups ----------------------------------------------------------
    # Fields: options (the unknown ones, sorted).
    USER_OPTIONS_INVALID = "user.options_invalid"
    MFA_RULES_INVALID = "user.mfa_rules_invalid"
    # Fields: name, domain_id.
    USER_NAME_TAKEN = "user.name_taken"
    USER_DELETES_SELF = "user.deletes_self"
    PASSWORD_ORIGINAL_WRONG = "password.original_wrong"
    PASSWORD_LOCKED = "password.locked"
    # Fields: name.
    GROUP_NAME_TAKEN = "group.name_taken"
    # -- domains and projects --------------------------------------------------------------
    # Fields: name.
    DOMAIN_NAME_TAKEN = "domain.name_taken"
    # Fields: domain_id.
    DOMAIN_ENABLED = "domain.enabled"
    # Fields: name, domain_id.
    PROJECT_NAME_TAKEN = "project.name_taken"
    PROJECT_PARENT_DOMAIN = "project.parent_domain"
    PARENT_ID_IMMUTABLE = "project.parent_id_immutable"
    # Fields: project_id.
    PROJECT_HAS_CHILDREN = "project.has_children"
    ADMIN_PROJECT_UNDELETABLE = "project.admin_undeletable"
    # Deleting it would orphan what its projects own. Fields: kind ("domain", "project"),
    # ident, remaining ({"servers": [ids], "buckets": [names]}).
    OWNS_RESOURCES = "project.owns_resources"
    # Fields: limit.
    PROJECT_TOO_MANY_TAGS = "project.too_many_tags"
    # Fields: tag.
    PROJECT_TAG_INVALID = "project.tag_invalid"
    # -- shared by users, groups, projects, domains and roles ------------------------------
    DOMAIN_ID_IMMUTABLE = "identity.domain_id_immutable"
    # Fields: attributes (sorted).
    ATTRIBUTES_NOT_UPDATABLE = "identity.attributes_not_updatable"
    # A rename onto a name already taken. Fields: kind, name.
    RENAME_TAKEN = "identity.rename_taken"
    # -- roles and assignments -------------------------------------------------------------
    # Fields: name.
    ROLE_NAME_TAKEN = "role.name_taken"
    # Fields: prior_id, implied_id.
    ROLE_IMPLICATION_PROHIBITED = "role.implication_prohibited"
    # Fields: role_id.
    ROLE_OUTSIDE_ITS_DOMAIN = "role.outside_its_domain"
    # -- catalog ---------------------------------------------------------------------------
    REGION_COUNTRY_INVALID = "region.country_invalid"
    # Fields: region_id.
    REGION_ID_TAKEN = "region.id_taken"
    # Fields: region_id.
    REGION_HAS_CHILDREN = "region.has_children"
    # Fields: region_id.
    REGION_HAS_ENDPOINTS = "region.has_endpoints"
    # Fields: interface (absent when Keystone's sentence does not quote it, on update).
    ENDPOINT_INTERFACE_INVALID = "endpoint.interface_invalid"
