"""Tokens through the services: issue, validate, revoke, lock-out, MFA, app creds, keys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nuage.domain import totp
from nuage.domain.errors import AuthReceiptRequired, Forbidden, NotFound, Unauthorized
from nuage.domain.identity_errors import IdentityFault
from nuage.services.identity.credentials import NewAppCred
from nuage.services.identity.tokens import AppCredRef, AuthRequest, ScopeRequest, UserRef
from tests.unit.services.world import PASSWORD, World

TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


# -- issue / validate / revoke ---------------------------------------------------------------
def test_issue_and_validate_a_project_token(world: World) -> None:
    project = world.project()
    user = world.user(project.id, roles=("member",))
    issued = world.login(user.name, project_id=project.id)
    info = world.s.tokens.validate(issued.token)
    assert info.user.id == user.id
    assert info.project is not None and info.project.id == project.id
    assert sorted(r.name for r in info.roles) == ["member", "reader"]
    assert info.payload.methods == ("password",)
    assert not info.is_admin_project
    ctx = world.ctx(issued.token)
    assert ctx.project_id == project.id and ctx.roles == {"member", "reader"}


def test_an_unscoped_token_carries_no_roles_and_no_catalog(world: World) -> None:
    user = world.user()
    issued = world.login(user.name, unscoped=True)
    assert issued.info.payload.scope.unscoped
    assert issued.info.roles == () and issued.info.catalog == []


def test_the_admin_gets_a_catalog_and_is_cloud_admin(world: World) -> None:
    issued = world.login("admin", world.admin_password, project_id=world.admin_project_id)
    assert issued.info.is_admin_project
    assert {e.type for e in issued.info.catalog} >= {"identity", "audit"}
    system = world.login("admin", world.admin_password, system=True)
    assert system.info.payload.scope.system


def test_scoping_to_a_project_without_a_role_fails(world: World) -> None:
    mine, other = world.project(), world.project()
    user = world.user(mine.id)
    with pytest.raises(Unauthorized):
        world.login(user.name, project_id=other.id)


def test_revoked_token_fails_validation_and_is_404_for_validate_subject(world: World) -> None:
    project = world.project()
    user = world.user(project.id)
    token = world.login(user.name, project_id=project.id).token
    other = world.login(user.name, project_id=project.id).token
    ctx = world.ctx(token)
    world.s.tokens.revoke(ctx, token)
    with pytest.raises(Unauthorized) as refused:
        world.s.tokens.validate(token)
    assert refused.value.fault is IdentityFault.TOKEN_REVOKED
    with pytest.raises(NotFound):
        world.s.tokens.validate_subject(world.admin, token, with_catalog=False)
    # Only that token: the user's other token lives on.
    assert world.s.tokens.validate(other).user.id == user.id
    revokes = world.events(action="identity.token.revoke")
    assert revokes and revokes[-1].actor_user_id == user.id


def test_a_user_cannot_revoke_someone_elses_token(world: World) -> None:
    project = world.project()
    alice, bob = world.user(project.id), world.user(project.id)
    alice_token = world.login(alice.name, project_id=project.id).token
    bob_ctx = world.ctx(world.login(bob.name, project_id=project.id).token)
    with pytest.raises(Forbidden):
        world.s.tokens.revoke(bob_ctx, alice_token)
    assert world.s.tokens.validate(alice_token).user.id == alice.id
    denied = world.events(action="identity:revoke_token")
    assert denied and denied[-1].outcome == "denied" and denied[-1].actor_user_id == bob.id


def test_expired_token_fails(world: World) -> None:
    user = world.user()
    issued = world.login(user.name, unscoped=True)
    world.clock.advance(3601)
    with pytest.raises(Unauthorized) as refused:
        world.s.tokens.validate(issued.token)
    assert refused.value.fault is IdentityFault.TOKEN_EXPIRED


def test_disabling_a_user_or_changing_the_password_kills_their_tokens(world: World) -> None:
    project = world.project()
    user = world.user(project.id)
    token = world.login(user.name, project_id=project.id).token
    world.s.users.update(world.admin, user.id, {"enabled": False})
    with pytest.raises(Unauthorized):
        world.s.tokens.validate(token)
    world.s.users.update(world.admin, user.id, {"enabled": True})
    world.clock.advance(1)
    token = world.login(user.name, project_id=project.id).token
    world.s.users.change_password(world.ctx(token), user.id, PASSWORD, "new password 123")
    with pytest.raises(Unauthorized):
        world.s.tokens.validate(token)
    world.clock.advance(1)
    assert world.login(user.name, "new password 123", project_id=project.id).token


def test_removing_the_role_invalidates_the_project_token(world: World) -> None:
    project = world.project()
    user = world.user(project.id)
    token = world.login(user.name, project_id=project.id).token
    from nuage.domain.identity import ActorType, TargetType
    from nuage.services.identity.assignments import Grant
    world.s.assignments.revoke(world.admin, Grant(ActorType.USER, user.id, TargetType.PROJECT,
                                                  project.id, world.role_id("member")))
    with pytest.raises(Unauthorized):
        world.s.tokens.validate(token)


def test_rescoping_keeps_the_expiry_and_chains_audit_ids(world: World) -> None:
    project = world.project()
    user = world.user(project.id)
    unscoped = world.login(user.name, unscoped=True)
    rescoped = world.s.tokens.authenticate(world.anon(), AuthRequest(
        methods=("token",), token=unscoped.token, scope=ScopeRequest(project_id=project.id)))
    p = rescoped.info.payload
    assert p.expires_at == unscoped.info.payload.expires_at
    assert p.audit_ids[1] == unscoped.info.payload.audit_ids[0]
    assert set(p.methods) == {"password", "token"}


# -- lock-out ----------------------------------------------------------------------------------
def test_lockout_after_n_failures_then_unlock_after_the_duration(world: World) -> None:
    user = world.user()
    for _ in range(3):
        with pytest.raises(Unauthorized):
            world.login(user.name, "wrong", unscoped=True, ip="203.0.113.9")
    with pytest.raises(Unauthorized) as refused:
        world.login(user.name, unscoped=True)
    assert refused.value.fault is IdentityFault.USER_LOCKED
    assert refused.value.fields == {"user_id": user.id}
    lockouts = world.events(action="identity.user.lockout")
    assert [e.target_id for e in lockouts] == [user.id]
    lock = lockouts[0]
    assert lock.outcome == "failure" and lock.actor_user_id == user.id
    assert lock.source_ip == "203.0.113.9" and (lock.request_id or "").startswith("req-")
    failures = [e for e in world.events(action="identity.authenticate", target_id=user.id)
                if e.outcome == "failure"]
    assert len(failures) == 4
    world.clock.advance(601)
    assert world.login(user.name, unscoped=True).token


def test_success_before_the_limit_resets_the_counter(world: World) -> None:
    user = world.user()
    for _ in range(2):
        with pytest.raises(Unauthorized):
            world.login(user.name, "wrong", unscoped=True)
    world.login(user.name, unscoped=True)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            world.login(user.name, "wrong", unscoped=True)
    assert world.login(user.name, unscoped=True).token


def test_an_admin_re_enabling_the_user_lifts_the_lockout(world: World) -> None:
    user = world.user()
    for _ in range(3):
        with pytest.raises(Unauthorized):
            world.login(user.name, "wrong", unscoped=True)
    with pytest.raises(Unauthorized) as refused:
        world.login(user.name, unscoped=True)
    assert refused.value.fault is IdentityFault.USER_LOCKED
    assert refused.value.fields == {"user_id": user.id}
    world.s.users.update(world.admin, user.id, {"enabled": True})
    assert world.login(user.name, unscoped=True).token


def test_the_admin_and_exempt_users_never_lock(world: World) -> None:
    exempt = world.user(options={"ignore_lockout_failure_attempts": True})
    for name, password in (("admin", world.admin_password), (exempt.name, PASSWORD)):
        for _ in range(5):
            with pytest.raises(Unauthorized):
                world.login(name, "wrong", unscoped=True)
        assert world.login(name, password, unscoped=True).token


# -- multi-factor ------------------------------------------------------------------------------
def _mfa_user(world: World) -> str:
    user = world.user(options={"multi_factor_auth_enabled": True,
                               "multi_factor_auth_rules": [["password", "totp"]]})
    world.s.credentials.create(world.admin, user.id, "totp", TOTP_SECRET, None)
    return str(user.name)


def test_mfa_password_alone_yields_a_receipt_then_totp_finishes(world: World) -> None:
    name = _mfa_user(world)
    with pytest.raises(AuthReceiptRequired) as caught:
        world.login(name, unscoped=True)
    receipt = caught.value
    assert receipt.methods == ["password"] and receipt.required == [["password", "totp"]]
    assert receipt.fault is IdentityFault.AUTH_METHODS_INSUFFICIENT
    assert receipt.fields == {"user_id": receipt.user_id}
    code = totp.passcode(TOTP_SECRET, world.clock.now().timestamp())
    issued = world.s.tokens.authenticate(world.anon(), AuthRequest(
        methods=("totp",), totp=(UserRef(name=name, domain={"id": "default"}), code),
        receipt=receipt.receipt, scope=ScopeRequest(unscoped=True)))
    assert set(issued.info.payload.methods) == {"password", "totp"}


def test_mfa_both_methods_at_once_and_a_wrong_code(world: World) -> None:
    name = _mfa_user(world)
    ref = UserRef(name=name, domain={"id": "default"})
    code = totp.passcode(TOTP_SECRET, world.clock.now().timestamp())
    issued = world.s.tokens.authenticate(world.anon(), AuthRequest(
        methods=("password", "totp"), password=(ref, PASSWORD), totp=(ref, code),
        scope=ScopeRequest(unscoped=True)))
    assert issued.token
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(Unauthorized) as caught:
        world.s.tokens.authenticate(world.anon(), AuthRequest(
            methods=("password", "totp"), password=(ref, PASSWORD), totp=(ref, wrong),
            scope=ScopeRequest(unscoped=True)))
    assert not isinstance(caught.value, AuthReceiptRequired)
    # A wrong code is refused as any bad credential is: one fault, nothing said of why.
    assert caught.value.fault is IdentityFault.AUTH_FAILED and not caught.value.fields


def test_an_expired_receipt_is_refused(world: World) -> None:
    name = _mfa_user(world)
    with pytest.raises(AuthReceiptRequired) as caught:
        world.login(name, unscoped=True)
    world.clock.advance(301)
    code = totp.passcode(TOTP_SECRET, world.clock.now().timestamp())
    with pytest.raises(Unauthorized) as refused:
        world.s.tokens.authenticate(world.anon(), AuthRequest(
            methods=("totp",), totp=(UserRef(name=name, domain={"id": "default"}), code),
            receipt=caught.value.receipt))
    assert refused.value.fault is IdentityFault.RECEIPT_EXPIRED


# -- application credentials -------------------------------------------------------------------
def test_app_cred_carries_only_the_chosen_subset_of_roles(world: World) -> None:
    project = world.project()
    user = world.user(project.id, roles=("member",))
    ctx = world.ctx(world.login(user.name, project_id=project.id).token)
    view = world.s.credentials.create_app_cred(ctx, user.id, NewAppCred(
        name="ci", roles=({"name": "reader"},)))
    assert [r.name for r in view.roles] == ["reader"] and view.secret
    issued = world.s.tokens.authenticate(world.anon(), AuthRequest(
        methods=("application_credential",), app_cred=AppCredRef(secret=view.secret,
                                                                 id=view.cred.id)))
    assert [r.name for r in issued.info.roles] == ["reader"]
    assert issued.info.project is not None and issued.info.project.id == project.id
    app_ctx = world.ctx(issued.token)
    assert app_ctx.app_cred_id == view.cred.id and app_ctx.roles == {"reader"}
    # A restricted credential cannot mint another one.
    with pytest.raises(Forbidden):
        world.s.credentials.create_app_cred(app_ctx, user.id, NewAppCred(name="again"))


def test_app_cred_cannot_ask_for_a_role_the_user_lacks(world: World) -> None:
    project = world.project()
    user = world.user(project.id, roles=("member",))
    ctx = world.ctx(world.login(user.name, project_id=project.id).token)
    with pytest.raises(Forbidden):
        world.s.credentials.create_app_cred(ctx, user.id, NewAppCred(
            name="greedy", roles=({"name": "admin"},)))
    assert world.s.credentials.list_app_creds(ctx, user.id) == []


def test_app_cred_wrong_secret_expiry_and_deletion(world: World) -> None:
    project = world.project()
    user = world.user(project.id, roles=("member",))
    ctx = world.ctx(world.login(user.name, project_id=project.id).token)
    view = world.s.credentials.create_app_cred(ctx, user.id, NewAppCred(
        name="short", expires_at=world.clock.now() + timedelta(seconds=120)))
    assert view.secret is not None

    def login(secret: str) -> str:
        issued = world.s.tokens.authenticate(world.anon(), AuthRequest(
            methods=("application_credential",),
            app_cred=AppCredRef(secret=secret, id=view.cred.id)))
        return str(issued.token)

    with pytest.raises(Unauthorized):
        login("not the secret")
    token = login(view.secret)
    # The token cannot outlive its credential.
    assert world.s.tokens.validate(token).payload.expires_at <= view.cred.expires_at
    world.s.credentials.delete_app_cred(ctx, user.id, view.cred.id)
    with pytest.raises(Unauthorized):
        world.s.tokens.validate(token)
    with pytest.raises(Unauthorized):
        login(view.secret)


def test_app_cred_after_expiry_is_refused(world: World) -> None:
    project = world.project()
    user = world.user(project.id)
    ctx = world.ctx(world.login(user.name, project_id=project.id).token)
    view = world.s.credentials.create_app_cred(ctx, user.id, NewAppCred(
        name="brief", expires_at=world.clock.now() + timedelta(seconds=60)))
    world.clock.advance(61)
    with pytest.raises(Unauthorized) as refused:
        world.s.tokens.authenticate(world.anon(), AuthRequest(
            methods=("application_credential",),
            app_cred=AppCredRef(secret=view.secret or "", id=view.cred.id)))
    assert refused.value.fault is IdentityFault.APP_CRED_EXPIRED


# -- key rotation ------------------------------------------------------------------------------
def test_key_rotation_keeps_old_tokens_until_their_key_is_dropped(world: World) -> None:
    keys = world.cloud.token_keys
    assert keys.max_active == 3
    user = world.user()
    first = world.login(user.name, unscoped=True).token
    assert keys.rotate() == 2
    second = world.login(user.name, unscoped=True).token
    assert world.s.tokens.validate(first).user.id == user.id
    assert keys.rotate() == 3
    # Still within the active keys: 1, 2, 3.
    assert world.s.tokens.validate(first).user.id == user.id
    assert world.s.tokens.validate(second).user.id == user.id
    assert keys.rotate() == 4
    # Key 1 is gone (keys 2, 3, 4 remain): the first token no longer opens, and its cached
    # validation is not answered from memory either.
    assert world.s.tokens.cached(first) is None
    with pytest.raises(Unauthorized):
        world.s.tokens.validate(first)
    assert world.s.tokens.validate(second).user.id == user.id
    assert keys.rotate() == 5
    with pytest.raises(Unauthorized):
        world.s.tokens.validate(second)
    assert world.s.tokens.validate(world.login(user.name, unscoped=True).token)


def test_a_token_from_another_cloud_is_refused(world: World, tmp_path_factory:
                                               pytest.TempPathFactory) -> None:
    from nuage.drivers.crypto.keys import KeyRepository
    from nuage.drivers.crypto.tokens import FernetTokenCodec
    user = world.user()
    payload = world.login(user.name, unscoped=True).info.payload
    keys = KeyRepository(tmp_path_factory.mktemp("other-keys"))
    keys.setup()
    forged = FernetTokenCodec(keys).seal_token(payload)
    with pytest.raises(Unauthorized):
        world.s.tokens.validate(forged)
    with pytest.raises(Unauthorized):
        world.s.tokens.validate("garbage")
