"""os-volume_upload_image on the wire: Cinder's answer, the queued image in Glance, the
volume `uploading` until the agent's outcome, and the refusals (the agent's side is
recorded directly: the real agent is not running here)."""

from __future__ import annotations

from typing import Any

import pytest

from nuage.domain.errors import NotFound
from nuage.ports import volume_agent as agent
from tests.api.conftest import AGENT_HOST, Api
from tests.api.volume_support import Cinder, cinder_error


@pytest.fixture
def member(api: Api) -> Cinder:
    project = api.project()
    _, token = api.member_of(project["id"])
    return Cinder(api, token, project=project["id"])


def _image(api: Api, member: Cinder, image_id: str) -> dict[str, Any] | None:
    r = api.http.get(f"/image/v2/images/{image_id}", headers={"X-Auth-Token": member.token
                                                              or ""})
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_upload_answers_as_cinder_and_queues_the_image(api: Api, member: Cinder) -> None:
    v = member.volume(size=1, name="data", description="d")
    r = member.action(v["id"], "os-volume_upload_image",
                      {"image_name": "from-vol", "force": False, "disk_format": "raw",
                       "container_format": "bare"})
    assert r.status_code == 202, r.text
    body = r.json()["os-volume_upload_image"]
    assert {"id", "updated_at", "status", "display_description", "size", "volume_type",
            "image_id", "container_format", "disk_format", "image_name"} <= set(body)
    assert (body["id"], body["status"], body["size"], body["display_description"]) == (
        v["id"], "uploading", 1, "d")
    assert body["volume_type"]["name"] == "__DEFAULT__"
    assert (body["disk_format"], body["container_format"], body["image_name"]) == (
        "raw", "bare", "from-vol")
    image = _image(api, member, body["image_id"])
    assert image is not None
    assert (image["status"], image["name"], image["disk_format"]) == ("queued", "from-vol",
                                                                      "raw")
    assert member.status(v["id"]) == "uploading"
    # Busy while uploading: another upload, a delete wait.
    r = member.action(v["id"], "os-volume_upload_image", {"image_name": "again"})
    cinder_error(r, 400, "badRequest")
    member.agent_record(v["id"], "uploading", agent.Uploaded(body["image_id"]))
    assert member.status(v["id"]) == "available"


def test_a_failed_upload_gives_the_volume_back_and_discards_the_image(
        api: Api, member: Cinder) -> None:
    v = member.volume()
    r = member.action(v["id"], "os-volume_upload_image", {"image_name": "x"})
    assert r.status_code == 202, r.text
    image_id = r.json()["os-volume_upload_image"]["image_id"]
    member.agent_record(v["id"], "uploading", agent.Failed("read failed"))
    assert member.status(v["id"]) == "available"
    assert _image(api, member, image_id) is None


def test_visibility_and_protected_from_3_1(api: Api, member: Cinder) -> None:
    v = member.volume()
    newer = Cinder(api, member.token, version="3.1")
    r = newer.action(v["id"], "os-volume_upload_image",
                     {"image_name": "x", "visibility": "private", "protected": False})
    assert r.status_code == 202, r.text
    body = r.json()["os-volume_upload_image"]
    assert (body["visibility"], body["protected"]) == ("private", False)


def test_refusals(api: Api, member: Cinder) -> None:
    v = member.volume()
    r = member.action(v["id"], "os-volume_upload_image", {})
    assert "image_name" in cinder_error(r, 400, "badRequest")
    r = member.action(v["id"], "os-volume_upload_image",
                      {"image_name": "x", "disk_format": "vmdk"})
    assert "vmdk" in cinder_error(r, 400, "badRequest")
    # Attached without force: Cinder's 400; nothing reserved in Glance.
    r = member.action(v["id"], "os-attach", {"host_name": "h", "mountpoint": "/dev/vdb"})
    assert r.status_code == 202, r.text
    before = api.http.get("/image/v2/images", headers={"X-Auth-Token": member.token or ""})
    r = member.action(v["id"], "os-volume_upload_image", {"image_name": "x"})
    cinder_error(r, 400, "badRequest")
    after = api.http.get("/image/v2/images", headers={"X-Auth-Token": member.token or ""})
    assert len(after.json()["images"]) == len(before.json()["images"])
    other = api.project()
    _, token = api.member_of(other["id"])
    r = Cinder(api, token).action(v["id"], "os-volume_upload_image", {"image_name": "x"})
    cinder_error(r, 404, "itemNotFound")


def test_an_attached_volume_is_uploaded_from_a_snapshot(api: Api, member: Cinder) -> None:
    v = member.volume()
    r = member.action(v["id"], "os-attach", {"host_name": "h", "mountpoint": "/dev/vdb"})
    assert r.status_code == 202, r.text
    r = member.action(v["id"], "os-volume_upload_image", {"image_name": "x", "force": True})
    assert r.status_code == 202, r.text
    image_id = r.json()["os-volume_upload_image"]["image_id"]
    [snap] = member.get("/snapshots").json()["snapshots"]
    assert (snap["volume_id"], snap["status"]) == (v["id"], "creating")
    services = api.cloud.volume
    assert services is not None
    control = services.agent_control(AGENT_HOST)

    def assigned() -> agent.VolumeAssignment:
        [a] = [a for a in control.volumes() if a.id == v["id"]]
        return a
    # Not before the snapshot is taken (by the holder of the file).
    first = assigned()
    assert (first.upload_image_id, first.upload_snapshot_id) == (None, snap["id"])
    # Read by an upload: it cannot be deleted meanwhile.
    assert control.record(v["id"], "creating", agent.SnapshotTaken(snap["id"]))
    r = member.delete(f"/snapshots/{snap['id']}")
    cinder_error(r, 400, "badRequest")
    ready = assigned()
    assert (ready.upload_image_id, ready.upload_snapshot_id) == (image_id, snap["id"])
    member.agent_record(v["id"], "uploading", agent.Uploaded(image_id))
    assert member.status(v["id"]) == "in-use"
    shown = member.get(f"/snapshots/{snap['id']}").json()["snapshot"]
    assert shown["status"] == "deleting"


def test_the_image_port_fills_an_image_once(api: Api, member: Cinder) -> None:
    """What the agent's upload relies on after a crash: an image already filled is left
    as it is; one gone is an error (the control plane then discards and gives back)."""
    v = member.volume()
    r = member.action(v["id"], "os-volume_upload_image", {"image_name": "x"})
    image_id = r.json()["os-volume_upload_image"]["image_id"]
    services = api.cloud.volume
    assert services is not None and services.ports.images is not None
    images = services.ports.images
    images.upload_image(image_id, iter([b"a" * 512, b"b" * 512]), 1024)
    images.upload_image(image_id, iter([b"never read"]), 10)
    shown = _image(api, member, image_id)
    assert shown is not None and (shown["status"], shown["size"]) == ("active", 1024)
    images.discard_snapshot(image_id, "test")
    with pytest.raises(NotFound):
        images.upload_image(image_id, iter([b"x"]), 1)
