"""The createBackup action on the wire, and the image it reserves."""

from __future__ import annotations

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault


def test_create_backup_wire(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    body = {"createBackup": {"name": "b1", "backup_type": "daily", "rotation": "2",
                             "metadata": {"k": "v"}}}
    r = nova.post(f"/servers/{sid}/action", body, token)
    assert r.status_code == 202, r.text
    image_id = r.headers["Location"].rsplit("/", 1)[-1]
    assert r.headers["Location"].endswith(f"/compute/v2.1/images/{image_id}")
    glance = {"headers": nova.api.h(token)}
    image = nova.api.http.get(f"/image/v2/images/{image_id}", **glance).json()
    assert (image["image_type"], image["backup_type"], image["instance_uuid"], image["k"]) \
        == ("backup", "daily", sid, "v")
    r = nova.api.http.get(f"/image/v2/images/{image_id}/tasks", **glance)
    assert r.json() == {"tasks": []}
    servers.settle(sid)   # what the agent does once the copy is uploaded
    # Rotation 0: accepted, no Location (the backup will not be kept).
    r = nova.post(f"/servers/{sid}/action", {"createBackup": {
        "name": "b0", "backup_type": "daily", "rotation": 0}}, token)
    assert r.status_code == 202 and "Location" not in r.headers
    servers.settle(sid)
    for bad in ({"name": "b", "backup_type": "daily"}, {"name": "b", "rotation": 1},
                {"name": "b", "backup_type": "daily", "rotation": -1},
                {"name": "b", "backup_type": "daily", "rotation": 1, "extra": 1},
                {"name": " b", "backup_type": "daily", "rotation": 1},
                {"name": "b", "backup_type": "daily", "rotation": 1,
                 "metadata": {"visibility": "public"}}, None):
        assert_fault(nova.post(f"/servers/{sid}/action", {"createBackup": bad}, token), 400,
                     "badRequest")
    assert_fault(nova.post("/servers/00000000-0000-0000-0000-000000000000/action", {
        "createBackup": {"name": "b", "backup_type": "d", "rotation": 1}}, token), 404,
        "itemNotFound")
