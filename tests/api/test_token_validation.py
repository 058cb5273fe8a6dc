"""GET /v3/auth/tokens answered from memory must answer exactly what a full validation does."""

from __future__ import annotations

from tests.api.conftest import Api, assert_error


def _validate(api: Api, subject: str, token: str | None = None, query: str = ""
              ) -> tuple[int, dict[str, str], bytes]:
    r = api.http.get(f"/identity/v3/auth/tokens{query}",
                     headers={**api.h(token), "X-Subject-Token": subject})
    return r.status_code, dict(r.headers), r.content


def test_a_repeated_validation_answers_the_same_bytes(api: Api) -> None:
    subject = api.login("admin", api.admin_password, api.admin_project_id)
    status, headers, first = _validate(api, subject)
    assert status == 200 and headers["x-subject-token"] == subject
    assert headers["content-type"] == "application/json"
    assert headers["x-openstack-request-id"].startswith("req-")
    for _ in range(3):
        status, again_headers, again = _validate(api, subject)
        assert (status, again) == (200, first)
        # Each answer still gets its own request id from the front middleware.
        assert again_headers["x-openstack-request-id"] != headers["x-openstack-request-id"]
    assert b'"catalog"' in first
    status, _, bare = _validate(api, subject, query="?nocatalog")
    assert status == 200 and b'"catalog"' not in bare
    assert _validate(api, subject, query="?nocatalog")[2] == bare


def test_revocation_and_changes_take_effect_on_the_next_validation(api: Api) -> None:
    project = api.project()
    user, token = api.member_of(project["id"])
    assert _validate(api, token)[0] == 200
    assert _validate(api, token)[0] == 200
    # A role change re-renders the body: the cached one names the old roles.
    api.grant(project["id"], user["id"], "admin")
    status, _, body = _validate(api, token)
    assert status == 200 and b'"admin"' in body
    r = api.http.delete("/identity/v3/auth/tokens",
                        headers={**api.h(), "X-Subject-Token": token})
    assert r.status_code == 204
    assert_error(api.http.get("/identity/v3/auth/tokens",
                              headers={**api.h(), "X-Subject-Token": token}), 404)


def test_a_caller_who_may_not_validate_is_refused_every_time(api: Api) -> None:
    project = api.project()
    _, member_token = api.member_of(project["id"])
    admin_subject = api.login("admin", api.admin_password, api.admin_project_id)
    assert _validate(api, admin_subject)[0] == 200  # cached for the admin caller
    for _ in range(2):
        r = api.http.get("/identity/v3/auth/tokens",
                         headers={**api.h(member_token), "X-Subject-Token": admin_subject})
        assert_error(r, 403)
    # Their own token they may validate.
    assert _validate(api, member_token, member_token)[0] == 200


def test_a_rotated_out_key_invalidates_a_cached_validation(api: Api) -> None:
    subject = api.login("admin", api.admin_password, api.admin_project_id)
    assert _validate(api, subject)[0] == 200
    keys = api.cloud.token_keys
    for _ in range(keys.max_active):
        keys.rotate()
    # The admin token was sealed with a key that is gone too: both fail as Keystone would.
    r = api.http.get("/identity/v3/auth/tokens",
                     headers={**api.h(), "X-Subject-Token": subject})
    assert_error(r, 401)
    fresh = api.login("admin", api.admin_password, api.admin_project_id)
    assert_error(api.http.get("/identity/v3/auth/tokens",
                              headers={**api.h(fresh), "X-Subject-Token": subject}), 404)


def test_head_and_missing_subject_go_the_usual_way(api: Api) -> None:
    subject = api.login("admin", api.admin_password, api.admin_project_id)
    _validate(api, subject)
    r = api.http.head("/identity/v3/auth/tokens",
                      headers={**api.h(), "X-Subject-Token": subject})
    assert r.status_code == 200 and r.content == b""
    assert_error(api.http.get("/identity/v3/auth/tokens", headers=api.h()), 400)


def test_every_facade_words_a_token_fault_as_keystone_does(api: Api) -> None:
    """Why a token is refused is identity's fault, in Keystone's sentence, whichever API
    was called (the sentences predate the fault codes: they must not change)."""
    project = api.project()
    _, token = api.member_of(project["id"])
    r = api.http.delete("/identity/v3/auth/tokens",
                        headers={**api.h(), "X-Subject-Token": token})
    assert r.status_code == 204
    revoked = "The token has been revoked."
    keystone = api.http.get("/identity/v3/projects", headers=api.h(token))
    assert assert_error(keystone, 401)["message"] == revoked
    nova = api.http.get("/compute/v2.1/flavors", headers=api.h(token))
    assert nova.status_code == 401 and nova.json()["unauthorized"]["message"] == revoked
    glance = api.http.get("/image/v2/images", headers=api.h(token))
    assert glance.status_code == 401 and glance.json()["message"] == revoked


def test_a_refused_validation_says_so_in_keystone_words(api: Api) -> None:
    project = api.project()
    _, member_token = api.member_of(project["id"])
    admin_subject = api.login("admin", api.admin_password, api.admin_project_id)
    r = api.http.get("/identity/v3/auth/tokens",
                     headers={**api.h(member_token), "X-Subject-Token": admin_subject})
    assert assert_error(r, 403)["message"] == "You are not authorized to validate this token."
