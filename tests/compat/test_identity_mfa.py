"""TOTP multi-factor authentication: set up through the CLI and the SDK, then checked on the
wire (receipts) and through the CLI's v3multifactor plugin."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import httpx
import openstack.connection
import pytest

from nuage.domain.totp import passcode
from tests.compat.conftest import Tenant, cli_json, identity_v3, password_auth, run_cli, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat

RULES = [["password", "totp"]]


def _secret() -> str:
    return base64.b32encode(os.urandom(20)).decode()


def _password_totp(t: Tenant, code: str) -> dict[str, Any]:
    body = password_auth(t.username, t.password, t.project_id)
    identity = body["auth"]["identity"]
    identity["methods"] = ["password", "totp"]
    identity["totp"] = {"user": {"id": t.user_id, "passcode": code}}
    return body


def _check_mfa_enforced(http: httpx.Client, t: Tenant, secret: str) -> None:
    alone = http.post("/auth/tokens", json=password_auth(t.username, t.password, t.project_id))
    assert alone.status_code == 401
    receipt = alone.headers.get("Openstack-Auth-Receipt")
    assert receipt, alone.headers
    body = alone.json()
    assert body["receipt"]["methods"] == ["password"]
    assert body["receipt"]["user"]["id"] == t.user_id
    assert body["required_auth_methods"] == RULES
    # keystoneauth parses this as an ISO 8601 timestamp.
    assert isinstance(body["receipt"]["expires_at"], str)
    assert body["receipt"]["expires_at"].endswith("Z")
    assert "X-Subject-Token" not in alone.headers

    wrong_code = "000000" if passcode(secret, time.time()) != "000000" else "111111"
    wrong = http.post("/auth/tokens", json=_password_totp(t, wrong_code))
    assert wrong.status_code == 401
    assert "X-Subject-Token" not in wrong.headers

    both = http.post("/auth/tokens", json=_password_totp(t, passcode(secret, time.time())))
    assert both.status_code == 201, both.text
    assert sorted(both.json()["token"]["methods"]) == ["password", "totp"]
    assert both.json()["token"]["project"]["id"] == t.project_id

    # The receipt from the first attempt stands in for the password.
    second = {"auth": {"identity": {"methods": ["totp"], "totp": {"user": {
        "id": t.user_id, "passcode": passcode(secret, time.time())}}},
        "scope": {"project": {"id": t.project_id}}}}
    follow = http.post("/auth/tokens", json=second,
                       headers={"Openstack-Auth-Receipt": receipt})
    assert follow.status_code == 201, follow.text
    assert sorted(follow.json()["token"]["methods"]) == ["password", "totp"]


def test_totp_through_the_cli(live_nuage: LiveNuage, admin_env: dict[str, str],
                              admin_conn: openstack.connection.Connection,
                              tenant_factory: Any, http: httpx.Client) -> None:
    t: Tenant = tenant_factory("mfa-cli")
    secret = _secret()
    cred = cli_json(admin_env, "credential", "create", "--type", "totp", t.username, secret)
    assert cred["type"] == "totp"
    assert cred["user_id"] == t.user_id

    run_cli(admin_env, "user", "set", "--enable-multi-factor-auth",
            "--multi-factor-auth-rule", "password,totp", t.username)
    options = identity_v3(admin_conn).get_user(t.user_id).options
    assert options["multi_factor_auth_enabled"] is True
    assert options["multi_factor_auth_rules"] == RULES

    _check_mfa_enforced(http, t, secret)

    env = user_env(live_nuage, t.username, t.password, t.project_name)
    refused = run_cli(env, "token", "issue", check=False)
    assert refused.returncode != 0
    # keystoneauth understood the receipt: it names the rule still to satisfy.
    assert "Not all required auth rules were satisfied" in refused.stderr, refused.stderr
    assert "['password', 'totp']" in refused.stderr

    token = cli_json(env, "--os-auth-type", "v3multifactor",
                     "--os-auth-methods", "v3password,v3totp",
                     "--os-passcode", passcode(secret, time.time()), "token", "issue")
    assert token["user_id"] == t.user_id
    assert token["project_id"] == t.project_id


def test_totp_through_the_sdk(admin_conn: openstack.connection.Connection,
                              tenant_factory: Any, http: httpx.Client) -> None:
    t: Tenant = tenant_factory("mfa-sdk")
    secret = _secret()
    cred = identity_v3(admin_conn).create_credential(type="totp", user_id=t.user_id, blob=secret)
    assert cred.type == "totp"
    # Before MFA is switched on, the password alone still works.
    assert http.post("/auth/tokens", json=password_auth(t.username, t.password)
                     ).status_code == 201

    user = identity_v3(admin_conn).update_user(t.user_id, options={
        "multi_factor_auth_enabled": True, "multi_factor_auth_rules": RULES})
    assert user.options["multi_factor_auth_enabled"] is True
    _check_mfa_enforced(http, t, secret)

    # Switching MFA off again lets the password alone through.
    identity_v3(admin_conn).update_user(t.user_id, options={"multi_factor_auth_enabled": False})
    assert http.post("/auth/tokens", json=password_auth(t.username, t.password)
                     ).status_code == 201
