"""Revocation events: which tokens a recorded revocation matches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nuage.domain.identity import RevocationEvent

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)

# The token every case is matched against (fields overridable per case).
TOKEN: dict[str, Any] = dict(user_id="u1", project_id="p1", domain_id=None,
                             audit_ids=["aud-self", "aud-parent"], app_cred_id=None,
                             issued_at=NOW - timedelta(minutes=5), user_domain_id="d1")


@pytest.mark.parametrize(("event", "token", "revoked"), [
    pytest.param({"user_id": "u1"}, {}, True, id="user's tokens"),
    pytest.param({"user_id": "u2"}, {}, False, id="another user's tokens"),
    pytest.param({"project_id": "p1"}, {}, True, id="project's tokens"),
    pytest.param({"project_id": "p2"}, {}, False, id="another project's tokens"),
    pytest.param({"domain_id": "d1"}, {}, True, id="domain of the user"),
    pytest.param({"domain_id": "d9"}, {"domain_id": "d9", "project_id": None}, True,
                 id="domain-scoped token"),
    pytest.param({"domain_id": "d2"}, {}, False, id="unrelated domain"),
    pytest.param({"audit_id": "aud-self"}, {}, True, id="this very token"),
    pytest.param({"audit_id": "aud-parent"}, {}, False,
                 id="audit id of the parent does not revoke a rescoped child"),
    pytest.param({"audit_chain_id": "aud-parent"}, {}, True, id="the whole rescope chain"),
    pytest.param({"audit_chain_id": "aud-other"}, {}, False, id="another chain"),
    pytest.param({"app_cred_id": "ac1"}, {"app_cred_id": "ac1"}, True,
                 id="application credential's tokens"),
    pytest.param({"app_cred_id": "ac1"}, {}, False, id="not an application credential token"),
    pytest.param({"user_id": "u1", "project_id": "p2"}, {}, False, id="all fields must match"),
    pytest.param({"user_id": "u1", "issued_before": NOW - timedelta(hours=1)}, {}, False,
                 id="tokens issued after the revocation survive"),
    pytest.param({"user_id": "u1", "issued_before": TOKEN["issued_at"]}, {}, True,
                 id="issued at the very instant is revoked"),
    pytest.param({"audit_id": "aud-self"}, {"audit_ids": []}, False, id="token with no audit id"),
])
def test_revocation_matching(event: dict[str, Any], token: dict[str, Any],
                             revoked: bool) -> None:
    ev = RevocationEvent(**{"issued_before": NOW, "revoked_at": NOW, **event})
    assert ev.matches(**{**TOKEN, **token}) is revoked


def test_an_event_with_no_field_revokes_every_earlier_token() -> None:
    ev = RevocationEvent(issued_before=NOW, revoked_at=NOW)
    assert ev.matches(**TOKEN)
