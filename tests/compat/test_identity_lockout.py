"""Lock-out after repeated wrong passwords (the live server's default: 5 attempts), lifted by
the admin re-enabling the user with the real CLI."""

from __future__ import annotations

from typing import Any

import httpx
import openstack.connection
import pytest

from tests.compat.conftest import Tenant, identity_v3, password_auth, run_cli

pytestmark = pytest.mark.compat

ATTEMPTS = 5  # NUAGE_LOCKOUT_FAILURE_ATTEMPTS default; the live fixture does not change it


def test_lockout_then_admin_enable(admin_env: dict[str, str], tenant_factory: Any,
                                   http: httpx.Client,
                                   admin_conn: openstack.connection.Connection) -> None:
    t: Tenant = tenant_factory("locked")
    right = password_auth(t.username, t.password, t.project_id)
    wrong = password_auth(t.username, "not-" + t.password, t.project_id)

    # A success in between resets the counter: 4 failures do not lock.
    for _ in range(ATTEMPTS - 1):
        assert http.post("/auth/tokens", json=wrong).status_code == 401
    assert http.post("/auth/tokens", json=right).status_code == 201

    for _ in range(ATTEMPTS):
        assert http.post("/auth/tokens", json=wrong).status_code == 401
    locked = http.post("/auth/tokens", json=right)
    assert locked.status_code == 401
    assert "X-Subject-Token" not in locked.headers
    assert locked.json()["error"]["code"] == 401
    # The admin sees why: a locked-out account reads as disabled (and that is what makes
    # the CLI send enabled=true below: it only sends attributes that change).
    assert identity_v3(admin_conn).get_user(t.user_id).is_enabled is False

    run_cli(admin_env, "user", "set", "--enable", t.username)
    unlocked = http.post("/auth/tokens", json=right)
    assert unlocked.status_code == 201, unlocked.text
    assert unlocked.json()["token"]["project"]["id"] == t.project_id
    assert identity_v3(admin_conn).get_user(t.user_id).is_enabled is True
