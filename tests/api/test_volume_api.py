"""Cinder v3 on the wire: discovery, microversions, shapes, status codes and Cinder's
error envelope; statuses moved past `creating` by the agent side's outcomes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nuage.ports import volume_agent as agent
from tests.api.conftest import Api, make_api
from tests.api.volume_support import Cinder, cinder_error

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def member(api: Api) -> Cinder:
    project = api.project()
    _, token = api.member_of(project["id"])
    return Cinder(api, token, project=project["id"])


def test_version_discovery(api: Api) -> None:
    r = api.http.get("/volume/")
    assert r.status_code == 300
    (version,) = r.json()["versions"]
    assert (version["id"], version["min_version"], version["version"]) == ("v3.0", "3.0",
                                                                           "3.42")
    assert any(link["rel"] == "self" and link["href"].endswith("/volume/v3/")
               for link in version["links"])
    r = api.http.get("/volume/v3/")
    assert r.status_code == 200 and r.json()["versions"][0]["id"] == "v3.0"


def test_microversion_headers(api: Api) -> None:
    cinder = Cinder(api, version="3.42")
    r = cinder.get("/types")
    assert r.status_code == 200 and r.headers["OpenStack-API-Version"] == "volume 3.42"
    assert Cinder(api).get("/types").headers["OpenStack-API-Version"] == "volume 3.0"
    r = Cinder(api, version="3.99").get("/types")
    assert "maximum is 3.42" in cinder_error(r, 406, "computeFault")
    r = Cinder(api, version="latest").get("/types")
    assert r.headers["OpenStack-API-Version"] == "volume 3.42"


def test_catalog_has_block_storage(api: Api) -> None:
    r = api.http.get("/identity/v3/auth/catalog", headers=api.h())
    types = {s["type"] for s in r.json()["catalog"]}
    assert {"block-storage", "volumev3"} <= types


def test_volume_lifecycle_and_shapes(member: Cinder) -> None:
    r = member.post("/volumes", {"volume": {"size": 1, "name": "data",
                                            "metadata": {"k": "v"}}})
    assert r.status_code == 202, r.text
    v = r.json()["volume"]
    assert (v["status"], v["size"], v["name"], v["bootable"]) == ("creating", 1, "data",
                                                                  "false")
    assert v["volume_type"] == "__DEFAULT__" and v["encrypted"] is True
    assert STAMP.match(v["created_at"]), v["created_at"]
    assert "os-vol-host-attr:host" not in v
    member.agent_record(v["id"], "creating", agent.Created(size_gb=1))
    assert member.status(v["id"]) == "available"
    summary = member.get("/volumes").json()["volumes"]
    assert [set(s) for s in summary] == [{"id", "name", "links"}]
    [detail] = member.get("/volumes/detail", name="data").json()["volumes"]
    assert detail["metadata"] == {"k": "v"}
    r = member.put(f"/volumes/{v['id']}", {"volume": {"name": "renamed"}})
    assert r.status_code == 200 and r.json()["volume"]["name"] == "renamed"
    r = member.post(f"/volumes/{v['id']}/metadata", {"metadata": {"a": "b"}})
    assert r.json()["metadata"] == {"k": "v", "a": "b"}
    assert member.delete(f"/volumes/{v['id']}").status_code == 202
    assert member.status(v["id"]) == "deleting"
    member.agent_record(v["id"], "deleting", agent.Deleted())
    r = member.get(f"/volumes/{v['id']}")
    assert f"Volume {v['id']} could not be found." == cinder_error(r, 404, "itemNotFound")


def test_routes_without_project_id_too(api: Api, member: Cinder) -> None:
    v = member.volume()
    plain = Cinder(api, member.token)
    assert plain.get(f"/volumes/{v['id']}").status_code == 200


def test_paging_links(member: Cinder) -> None:
    ids = [member.volume(name=f"v{i}")["id"] for i in range(3)]
    r = member.get("/volumes", limit=2, sort="name:asc")
    body = r.json()
    assert [v["name"] for v in body["volumes"]] == ["v0", "v1"]
    [link] = body["volumes_links"]
    assert link["rel"] == "next" and f"marker={ids[1]}" in link["href"]
    rest = member.get("/volumes", limit=2, sort="name:asc", marker=ids[1]).json()
    assert [v["name"] for v in rest["volumes"]] == ["v2"] and "volumes_links" not in rest
    cinder_error(member.get("/volumes", sort="bogus"), 400, "badRequest")


def test_isolation_between_projects(api: Api, member: Cinder) -> None:
    v = member.volume()
    other = api.project()
    _, token = api.member_of(other["id"])
    stranger = Cinder(api, token, project=other["id"])
    cinder_error(stranger.get(f"/volumes/{v['id']}"), 404, "itemNotFound")
    cinder_error(stranger.delete(f"/volumes/{v['id']}"), 404, "itemNotFound")
    cinder_error(stranger.action(v["id"], "os-extend", {"new_size": 2}), 404, "itemNotFound")
    assert stranger.get("/volumes/detail").json()["volumes"] == []
    # The administrator sees it with all_tenants.
    admin = Cinder(api)
    listed = admin.get("/volumes/detail", all_tenants="1").json()["volumes"]
    assert v["id"] in {x["id"] for x in listed}
    assert "os-vol-host-attr:host" in listed[0]


def test_bad_input_gets_cinders_errors(member: Cinder) -> None:
    v = member.volume(size=2)
    r = member.action(v["id"], "os-extend", {"new_size": 1})
    assert "New size for extend must be greater" in cinder_error(r, 400, "badRequest")
    assert member.status(v["id"]) == "available"
    r = member.action(v["id"], "os-attach", {"instance_uuid": "srv-1", "mountpoint": "/dev/vdb"})
    assert r.status_code == 202, r.text
    cinder_error(member.delete(f"/volumes/{v['id']}"), 400, "badRequest")
    r = member.post("/snapshots", {"snapshot": {"volume_id": v["id"]}})
    assert "in-use" in cinder_error(r, 400, "badRequest")
    # Extending an in-use volume needs 3.42.
    cinder_error(member.action(v["id"], "os-extend", {"new_size": 3}), 400, "badRequest")
    newer = Cinder(member.api, member.token, version="3.42")
    assert newer.action(v["id"], "os-extend", {"new_size": 3}).status_code == 202
    assert member.status(v["id"]) == "extending"
    cinder_error(member.post("/volumes", {"volume": {"size": 0}}), 400, "badRequest")
    cinder_error(member.post("/volumes", {"nope": {}}), 400, "badRequest")
    cinder_error(member.action(v["id"], "os-bogus", {}), 400, "badRequest")


def test_quota_exceeded_is_413(api: Api, member: Cinder) -> None:
    project = member.prefix.rsplit("/", 1)[-1]
    admin = Cinder(api)
    r = admin.put(f"/os-quota-sets/{project}", {"quota_set": {"volumes": 1}})
    assert r.status_code == 200 and r.json()["quota_set"]["volumes"] == 1
    member.volume()
    r = member.post("/volumes", {"volume": {"size": 1}})
    assert "VolumeLimitExceeded" in cinder_error(r, 413, "overLimit")
    usage = member.get(f"/os-quota-sets/{project}", usage="true").json()["quota_set"]
    assert usage["volumes"] == {"limit": 1, "in_use": 1, "reserved": 0}
    limits = member.get("/limits").json()["limits"]["absolute"]
    assert (limits["maxTotalVolumes"], limits["totalVolumesUsed"]) == (1, 1)
    cinder_error(member.put(f"/os-quota-sets/{project}", {"quota_set": {"volumes": 5}}),
                 403, "forbidden")


def test_snapshots_and_clone(member: Cinder) -> None:
    v = member.volume()
    r = member.post("/snapshots", {"snapshot": {"volume_id": v["id"], "name": "s1"}})
    assert r.status_code == 202, r.text
    snap = r.json()["snapshot"]
    assert snap["status"] == "creating"
    member.agent_record(v["id"], "creating", agent.SnapshotTaken(snapshot_id=snap["id"]))
    r = member.get(f"/snapshots/{snap['id']}")
    assert r.json()["snapshot"]["os-extended-snapshot-attributes:progress"] == "100%"
    clone = member.post("/volumes", {"volume": {"snapshot_id": snap["id"]}})
    assert clone.status_code == 202 and clone.json()["volume"]["snapshot_id"] == snap["id"]
    cinder_error(member.delete(f"/volumes/{v['id']}"), 400, "badRequest")
    assert member.delete(f"/volumes/{v['id']}", cascade="true").status_code == 202


def test_types_are_the_admins(api: Api, member: Cinder) -> None:
    r = member.post("/types", {"volume_type": {"name": "fast"}})
    cinder_error(r, 403, "forbidden")
    admin = Cinder(api)
    r = admin.post("/types", {"volume_type": {"name": "fast", "extra_specs": {"a": "b"}}})
    assert r.status_code == 200, r.text
    fast = r.json()["volume_type"]
    assert fast["extra_specs"] == {"a": "b"} and fast["is_public"] is True
    names = {t["name"] for t in member.get("/types").json()["volume_types"]}
    assert names == {"__DEFAULT__", "fast"}
    assert member.get("/types/default").json()["volume_type"]["name"] == "__DEFAULT__"
    v = member.volume(volume_type="fast")
    assert member.get(f"/volumes/{v['id']}").json()["volume"]["volume_type"] == "fast"
    cinder_error(admin.delete(f"/types/{fast['id']}"), 400, "badRequest")


def test_backups_records(member: Cinder) -> None:
    v = member.volume()
    r = member.post("/backups", {"backup": {"volume_id": v["id"], "incremental": True}})
    cinder_error(r, 400, "badRequest")
    r = member.post("/backups", {"backup": {"volume_id": v["id"], "name": "b1"}})
    assert r.status_code == 202, r.text
    backup_id = r.json()["backup"]["id"]
    control = member.api.cloud.volume
    assert control is not None
    assert control.agent_control("host1").record_backup(
        backup_id, "creating", agent.BackupDone(size_gb=1, object_count=2))
    [b] = member.get("/backups/detail").json()["backups"]
    assert (b["status"], b["object_count"], b["is_incremental"]) == ("available", 2, False)
    r = member.post(f"/backups/{backup_id}/restore", {"restore": {"name": "back"}})
    assert r.status_code == 202, r.text
    assert r.json()["restore"]["backup_id"] == backup_id


def test_misc_documents(api: Api, member: Cinder) -> None:
    zones = member.get("/os-availability-zone").json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}}]
    assert member.get("/extensions").status_code == 200
    cinder_error(member.get("/os-services"), 403, "forbidden")
    services = Cinder(api).get("/os-services").json()["services"]
    assert {s["binary"] for s in services} >= {"cinder-volume"}


def test_project_in_the_path_must_be_the_tokens(api: Api, member: Cinder) -> None:
    other = api.project()
    wrong = Cinder(api, member.token, project=other["id"])
    assert "Malformed request URL" in cinder_error(wrong.get("/volumes"), 400, "badRequest")


def test_no_token_is_keystonemiddlewares_401(api: Api) -> None:
    r = api.http.get("/volume/v3/volumes")
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    assert r.json()["error"]["code"] == 401
    assert api.http.get("/volume/v3/nowhere", headers=api.h()).json() == {
        "itemNotFound": {"code": 404, "message": "The resource could not be found."}}


def test_volume_from_an_image(api: Api, member: Cinder) -> None:
    h = {"X-Auth-Token": member.token or ""}
    r = api.http.post("/image/v2/images", headers=h, json={
        "name": "img", "disk_format": "raw", "container_format": "bare", "min_disk": 2,
        "os_distro": "alpine"})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = api.http.put(f"/image/v2/images/{image_id}/file", content=b"\0" * 4096,
                     headers={**h, "Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    r = member.post("/volumes", {"volume": {"size": 1, "imageRef": image_id}})
    assert "cannot be smaller" in cinder_error(r, 400, "badRequest")
    r = member.post("/volumes", {"volume": {"size": 2, "imageRef": "no-such-image"}})
    assert r.status_code == 404, r.text
    v = member.volume(size=2, imageRef=image_id)
    shown = member.get(f"/volumes/{v['id']}").json()["volume"]
    assert shown["bootable"] == "true"
    meta = shown["volume_image_metadata"]
    assert (meta["image_id"], meta["os_distro"], meta["min_disk"]) == (image_id, "alpine", "2")


def test_quota_defaults_come_from_the_settings(tmp_path: Path) -> None:
    for api in make_api(tmp_path / "state", volume_quota_volumes=3):
        cinder = Cinder(api)
        r = cinder.get(f"/os-quota-sets/{api.admin_project_id}/defaults")
        assert r.json()["quota_set"]["volumes"] == 3


def test_snapshot_metadata(member: Cinder) -> None:
    v = member.volume()
    snap = member.post("/snapshots", {"snapshot": {"volume_id": v["id"],
                                                   "metadata": {"a": "1"}}}).json()["snapshot"]
    sid = snap["id"]
    r = member.put(f"/snapshots/{sid}/metadata/b", {"meta": {"b": "2"}})
    assert r.status_code == 200 and r.json() == {"meta": {"b": "2"}}
    assert member.get(f"/snapshots/{sid}/metadata").json()["metadata"] == {"a": "1", "b": "2"}
    r = member.put(f"/snapshots/{sid}/metadata", {"metadata": {"c": "3"}})
    assert r.json()["metadata"] == {"c": "3"}
    assert member.delete(f"/snapshots/{sid}/metadata/c").status_code == 200
    cinder_error(member.get(f"/snapshots/{sid}/metadata/c"), 404, "itemNotFound")
    cinder_error(member.put(f"/snapshots/{sid}/metadata/x", {"meta": {"y": "1"}}), 400,
                 "badRequest")
