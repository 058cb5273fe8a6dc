"""Deleting a project (or a domain) that still owns servers or buckets is refused with 409
and the list of what remains: nothing is orphaned (servers running for nobody, bucket names
taken for ever). Images do not hold a project: cloud administrators manage them."""

from __future__ import annotations

import uuid

import pytest

from tests.api.compute_servers import Servers
from tests.api.conftest import Api, assert_error


def _mark_deleted(api: Api, server_id: str) -> None:
    """What the compute agent does once the guest is gone."""
    with api.cloud.compute_ports.uow(write=True) as uow:
        server = uow.servers.get(server_id)
        assert server is not None
        server.vm_state, server.task_state, server.deleted = "deleted", None, True
        uow.commit()


def test_a_project_owning_resources_is_not_deleted(api: Api, servers: Servers) -> None:
    project = api.project()
    _, token = api.member_of(project["id"], "member")
    ctx = api.cloud.identity.tokens.context_for(token, "req-test", None)
    server_id = servers.create(token)["id"]
    bucket = f"keep-{uuid.uuid4().hex[:8]}"
    api.cloud.storage.buckets.create(ctx, bucket)
    r = api.http.post("/image/v2/images", json={"name": "mine"},
                      headers={"X-Auth-Token": token})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]

    error = assert_error(api.delete(f"/projects/{project['id']}"), 409)
    for name in (server_id, bucket):
        assert name in error["message"], error
    assert image_id not in error["message"]
    # Nothing changed: the project, and its member's token, still work.
    assert api.get(f"/projects/{project['id']}").status_code == 200
    assert api.get(f"/projects/{project['id']}", token=token).status_code == 200

    api.cloud.storage.buckets.delete(ctx, bucket)
    error = assert_error(api.delete(f"/projects/{project['id']}"), 409)
    assert bucket not in error["message"] and server_id in error["message"]
    r = api.http.delete(f"/image/v2/images/{image_id}", headers={"X-Auth-Token": token})
    assert r.status_code == 204, r.text
    # A server being deleted still holds the project until the agent has removed it.
    r = api.http.delete(f"/compute/v2.1/servers/{server_id}", headers={"X-Auth-Token": token})
    assert r.status_code == 204, r.text
    error = assert_error(api.delete(f"/projects/{project['id']}"), 409)
    assert error["message"].count(server_id) == 1 and image_id not in error["message"]
    _mark_deleted(api, server_id)
    assert api.delete(f"/projects/{project['id']}").status_code == 204


@pytest.mark.parametrize("kind", ["bucket", "server"])
def test_a_domain_owning_resources_is_not_deleted(api: Api, servers: Servers, kind: str) -> None:
    r = api.post("/domains", {"domain": {"name": f"d-{uuid.uuid4().hex[:8]}"}})
    domain_id = r.json()["domain"]["id"]
    r = api.post("/projects", {"project": {"name": "p", "domain_id": domain_id}})
    project_id = r.json()["project"]["id"]
    api.grant(project_id, api.admin_user_id, "member")
    token = api.login("admin", api.admin_password, project_id)
    if kind == "bucket":
        name = f"keep-{uuid.uuid4().hex[:8]}"
        api.cloud.storage.buckets.create(
            api.cloud.identity.tokens.context_for(token, "req-test", None), name)
    else:
        name = servers.create(token)["id"]
    assert api.patch(f"/domains/{domain_id}", {"domain": {"enabled": False}}).status_code == 200
    error = assert_error(api.delete(f"/domains/{domain_id}"), 409)
    assert name in error["message"]
    assert api.get(f"/projects/{project_id}").status_code == 200


def test_images_do_not_hold_a_project_and_stay_with_the_administrators(api: Api) -> None:
    """As in Keystone and Glance (Tempest deletes projects that still own a backup image):
    the image outlives its project, and cloud administrators still see and delete it."""
    project = api.project()
    _, token = api.member_of(project["id"], "member")
    r = api.http.post("/image/v2/images", json={"name": "left"},
                      headers={"X-Auth-Token": token})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    assert api.delete(f"/projects/{project['id']}").status_code == 204
    admin = {"X-Auth-Token": api.admin_token}
    assert api.http.get(f"/image/v2/images/{image_id}", headers=admin).status_code == 200
    assert api.http.delete(f"/image/v2/images/{image_id}", headers=admin).status_code == 204
