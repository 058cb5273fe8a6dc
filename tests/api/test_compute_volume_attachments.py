"""Nova's os-volume_attachments over HTTP, with the in-memory ServerVolumes in place of
the volume service: shapes per microversion (2.1, 2.49, 2.70, 2.79, 2.85, 2.89), Nova's
status codes and words for its refusals, and volumes_attached in the server's views. No
agent runs here: attachments stay `attaching` unless a test records them (the guest side
is the reconciler's, tests/unit/compute/test_volume_attachments.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from nuage.bootstrap import Overrides, build
from nuage.settings import Settings
from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.conftest import AGENT_HOST, Api
from tests.support.server_volumes import MemoryServerVolumes
from tests.unit.compute.fakes import MemoryHypervisor

MISSING = "5f1c2a9e-0000-4000-8000-000000000000"


@pytest.fixture
def volumes() -> MemoryServerVolumes:
    return MemoryServerVolumes()


@pytest.fixture
def api(tmp_path: Path, volumes: MemoryServerVolumes) -> Iterator[Api]:
    """tests/api/conftest.py's, with the fake ServerVolumes composed in."""
    cloud = build(Settings.model_validate({
        "state_dir": tmp_path / "state", "fast_password_hashing": True,
        "user_clouds_yaml": False, "network_external_cidr": ""}),
        overrides=Overrides(hypervisor=MemoryHypervisor(), hostname=AGENT_HOST,
                            server_volumes=volumes))
    seeded = cloud.seed()
    assert seeded.admin_password is not None
    with TestClient(cloud.app()) as http:
        made = Api(cloud, http, "", seeded.admin_user_id, seeded.admin_project_id,
                   seeded.admin_password)
        made.admin_token = made.login("admin", seeded.admin_password,
                                      seeded.admin_project_id)
        yield made
    cloud.engine.dispose()


def _server(nova: Nova, servers: Servers) -> tuple[str, str, str]:
    project, token = nova.member()
    return project, token, servers.active(token, networks="none")


def _attach(nova: Nova, sid: str, token: str, **fields: Any) -> dict[str, Any]:
    r = nova.post(f"/servers/{sid}/os-volume_attachments",
                  {"volumeAttachment": fields}, token)
    assert r.status_code == 200, r.text
    return dict(r.json()["volumeAttachment"])


def test_attach_list_show_detach_at_2_1(nova: Nova, servers: Servers,
                                        volumes: MemoryServerVolumes) -> None:
    project, token, sid = _server(nova, servers)
    vid = volumes.add(project)
    made = _attach(nova, sid, token, volumeId=vid, device="/dev/vdb")
    assert made == {"id": vid, "volumeId": vid, "serverId": sid, "device": "/dev/vdb"}
    listed = nova.get(f"/servers/{sid}/os-volume_attachments", token).json()
    assert listed == {"volumeAttachments": [made]}
    shown = nova.get(f"/servers/{sid}/os-volume_attachments/{vid}", token).json()
    assert shown == {"volumeAttachment": made}
    server = nova.get(f"/servers/{sid}", token).json()["server"]
    assert server["os-extended-volumes:volumes_attached"] == [{"id": vid}]
    actions = nova.get(f"/servers/{sid}/os-instance-actions", token).json()
    assert "attach_volume" in [a["action"] for a in actions["instanceActions"]]
    r = nova.delete(f"/servers/{sid}/os-volume_attachments/{vid}", token)
    assert (r.status_code, r.content) == (202, b"")
    assert volumes.volumes[vid].status == "detaching"


def test_shapes_per_microversion(nova: Nova, servers: Servers,
                                 volumes: MemoryServerVolumes) -> None:
    project, token, sid = _server(nova, servers)
    first, second = volumes.add(project), volumes.add(project)
    # tag is taken from 2.49, shown from 2.70; delete_on_termination from 2.79.
    r = nova.at("2.48").post(f"/servers/{sid}/os-volume_attachments",
                             {"volumeAttachment": {"volumeId": first, "tag": "db"}}, token)
    assert_fault(r, 400, "badRequest", "2.48")
    made = _attach(nova.at("2.49"), sid, token, volumeId=first, tag="db")
    assert "tag" not in made
    r = nova.at("2.78").post(f"/servers/{sid}/os-volume_attachments", {
        "volumeAttachment": {"volumeId": second, "delete_on_termination": True}}, token)
    assert_fault(r, 400, "badRequest", "2.78")
    made = _attach(nova.at("2.79"), sid, token, volumeId=second,
                   delete_on_termination=True)
    assert made == {"id": second, "volumeId": second, "serverId": sid, "device": "/dev/vdc",
                    "tag": None, "delete_on_termination": True}
    shown = nova.at("2.70").get(f"/servers/{sid}/os-volume_attachments/{first}",
                                token).json()["volumeAttachment"]
    assert shown == {"id": first, "volumeId": first, "serverId": sid, "device": "/dev/vdb",
                     "tag": "db"}
    attachment = volumes.of(first)
    assert attachment is not None
    new = nova.at("2.89").get(f"/servers/{sid}/os-volume_attachments/{first}",
                              token).json()["volumeAttachment"]
    assert new["attachment_id"] == attachment.attachment_id
    uuid.UUID(new["bdm_uuid"])
    assert new["bdm_uuid"] != new["attachment_id"]
    assert "id" not in new and new["delete_on_termination"] is False
    # Paging: limit and offset.
    page = nova.get(f"/servers/{sid}/os-volume_attachments?limit=1&offset=1",
                    token).json()["volumeAttachments"]
    assert [a["volumeId"] for a in page] == [second]
    server = nova.at("2.3").get(f"/servers/{sid}", token).json()["server"]
    assert server["os-extended-volumes:volumes_attached"] == [
        {"id": first, "delete_on_termination": False},
        {"id": second, "delete_on_termination": True}]


def test_update_at_2_85_and_swap_before(nova: Nova, servers: Servers,
                                        volumes: MemoryServerVolumes) -> None:
    project, token, sid = _server(nova, servers)
    vid = volumes.add(project)
    _attach(nova, sid, token, volumeId=vid)
    path = f"/servers/{sid}/os-volume_attachments/{vid}"
    # Below 2.85 only volumeId: another one is a swap, an administrator's action.
    r = nova.at("2.84").put(path, {"volumeAttachment": {"volumeId": vid,
                                                        "delete_on_termination": True}},
                            token)
    assert_fault(r, 400, "badRequest", "2.84")
    other = volumes.add(project)
    r = nova.put(path, {"volumeAttachment": {"volumeId": other}}, token)
    assert_fault(r, 403, "forbidden")
    r = nova.put(path, {"volumeAttachment": {"volumeId": other}}, nova.api.admin_token)
    assert_fault(r, 409, "conflictingRequest")
    r = nova.at("2.85").put(path, {"volumeAttachment": {
        "volumeId": vid, "delete_on_termination": True, "device": "/dev/vdb"}}, token)
    assert r.status_code == 202, r.text
    shown = nova.at("2.85").get(path, token).json()["volumeAttachment"]
    assert shown["delete_on_termination"] is True
    r = nova.at("2.85").put(path, {"volumeAttachment": {"volumeId": vid,
                                                        "device": "/dev/vdz"}}, token)
    assert_fault(r, 400, "badRequest", "2.85")


def test_refusals_in_novas_words(nova: Nova, servers: Servers,
                                 volumes: MemoryServerVolumes) -> None:
    project, token, sid = _server(nova, servers)
    vid = volumes.add(project)
    base = f"/servers/{sid}/os-volume_attachments"
    r = nova.post(f"/servers/{MISSING}/os-volume_attachments",
                  {"volumeAttachment": {"volumeId": vid}}, token)
    assert_fault(r, 404, "itemNotFound")
    r = nova.post(base, {"volumeAttachment": {"volumeId": MISSING}}, token)
    assert assert_fault(r, 404, "itemNotFound") == f"Volume {MISSING} could not be found."
    bad: dict[str, Any]
    for bad in ({}, {"volumeAttachment": {}}, {"volumeAttachment": {"volumeId": "nope"}},
                {"volumeAttachment": {"volumeId": vid, "device": "sdb"}},
                {"volumeAttachment": {"volumeId": vid, "extra": 1}}):
        assert_fault(nova.post(base, bad, token), 400, "badRequest")
    _attach(nova, sid, token, volumeId=vid)
    assert assert_fault(nova.post(base, {"volumeAttachment": {"volumeId": vid}}, token),
                        400, "badRequest") == f"Invalid volume: volume {vid} already attached"
    other = servers.active(token, networks="none")
    r = nova.post(f"/servers/{other}/os-volume_attachments",
                  {"volumeAttachment": {"volumeId": vid}}, token)
    assert "status must be 'available'" in assert_fault(r, 400, "badRequest")
    r = nova.delete(f"/servers/{other}/os-volume_attachments/{vid}", token)
    assert assert_fault(r, 404, "itemNotFound") == f"volume_id not found: {vid}"
    r = nova.get(f"/servers/{other}/os-volume_attachments/{vid}", token)
    assert assert_fault(r, 404, "itemNotFound") == (
        f"No volume Block Device Mapping with id {vid}.")
    # A server Nova does not attach to in its state: 409, instance-invalid-state.
    servers.settle(other, "error")
    r = nova.post(f"/servers/{other}/os-volume_attachments",
                  {"volumeAttachment": {"volumeId": volumes.add(project)}}, token)
    assert assert_fault(r, 409, "conflictingRequest") == (
        f"Cannot 'attach_volume' instance {other} while it is in vm_state error")
    # Another project sees no server there.
    _, stranger = nova.member()
    assert_fault(nova.get(base, stranger), 404, "itemNotFound")


def test_the_root_volume_is_not_detached(nova: Nova, servers: Servers,
                                         volumes: MemoryServerVolumes) -> None:
    project, token, sid = _server(nova, servers)
    vid = volumes.add(project)
    _attach(nova, sid, token, volumeId=vid)
    attachment = volumes.of(vid)
    assert attachment is not None
    # As the boot volume of a server booted from it.
    volumes.attachments[attachment.attachment_id] = replace(attachment, boot_index=0)
    r = nova.delete(f"/servers/{sid}/os-volume_attachments/{vid}", token)
    assert assert_fault(r, 400, "badRequest") == "Cannot detach a root device volume"


def test_a_locked_server_refuses(nova: Nova, servers: Servers,
                                 volumes: MemoryServerVolumes) -> None:
    project, token, sid = _server(nova, servers)
    r = nova.post(f"/servers/{sid}/action", {"lock": None}, token)
    assert r.status_code == 202, r.text
    r = nova.post(f"/servers/{sid}/os-volume_attachments",
                  {"volumeAttachment": {"volumeId": volumes.add(project)}}, token)
    assert assert_fault(r, 409, "conflictingRequest") == f"Instance {sid} is locked"


# -- boot from volume ---------------------------------------------------------------------

def _create(nova: Nova, token: str, **fields: Any) -> Any:
    body = {"name": "vm", "flavorRef": "1", "networks": "none", **fields}
    return nova.at("2.67").post("/servers", {"server": body}, token)


def test_boot_from_volume_shows_no_image(nova: Nova, servers: Servers,
                                         volumes: MemoryServerVolumes) -> None:
    project, token = nova.member()
    vid = volumes.add(project)
    r = _create(nova, token, imageRef="", block_device_mapping_v2=[{
        "source_type": "volume", "destination_type": "volume", "uuid": vid,
        "boot_index": 0, "delete_on_termination": True}])
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    server = nova.at("2.67").get(f"/servers/{sid}", token).json()["server"]
    assert server["image"] == ""
    assert server["os-extended-volumes:volumes_attached"] == [
        {"id": vid, "delete_on_termination": True}]
    # From an image: the image's volume is made (volume_type from 2.67).
    r = _create(nova, token, block_device_mapping_v2=[{
        "source_type": "image", "destination_type": "volume", "uuid": servers.image_id,
        "volume_size": 1, "boot_index": "0", "volume_type": "fast"}])
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    assert nova.get(f"/servers/{sid}", token).json()["server"]["image"] == ""
    # An existing volume made from an image: the guest is made with that image (the
    # agent's spawn needs one), the API still shows "".
    made = volumes.add(project, image_id=servers.image_id)
    r = _create(nova, token, imageRef="", block_device_mapping_v2=[{
        "source_type": "volume", "destination_type": "volume", "uuid": made,
        "boot_index": 0}])
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    assert nova.get(f"/servers/{sid}", token).json()["server"]["image"] == ""
    with nova.api.cloud.compute_ports.uow() as uow:
        stored = uow.servers.get(sid)
        assert stored is not None and stored.image_id == servers.image_id
    # The legacy syntax: the volume on the root device is the boot volume.
    other = volumes.add(project)
    r = nova.post("/servers", {"server": {
        "name": "old", "flavorRef": "1", "imageRef": "",
        "block_device_mapping": [{"volume_id": other, "device_name": "vda"}]}}, token)
    assert r.status_code == 202, r.text


def test_block_device_mappings_nova_refuses(nova: Nova, servers: Servers,
                                            volumes: MemoryServerVolumes) -> None:
    project, token = nova.member()
    vid = volumes.add(project)
    image = servers.image_id
    bad: list[tuple[Any, str]] = [
        ([{"source_type": "image", "destination_type": "volume", "uuid": image,
           "boot_index": 0}], "need to have a non-zero size"),
        ([{"source_type": "volume", "boot_index": 0}], "Missing device UUID"),
        ([{"source_type": "floppy", "uuid": vid}], "source_type"),
        ([{"source_type": "volume", "destination_type": "local", "uuid": vid}],
         "Block Device Mapping is Invalid"),
        ([{"source_type": "volume", "uuid": vid, "boot_index": 1}],
         "Boot sequence"),
        ([{"source_type": "volume", "uuid": vid, "boot_index": 0, "tag": "a"}],
         "'tag' was unexpected"),
        ([{"source_type": "volume", "uuid": "x", "boot_index": 0}], "is not a 'uuid'"),
    ]
    for mappings, words in bad:
        r = nova.at("2.41").post("/servers", {"server": {
            "name": "vm", "flavorRef": "1", "networks": "none", "imageRef": "",
            "block_device_mapping_v2": mappings}}, token)
        assert words in assert_fault(r, 400, "badRequest", "2.41"), mappings
    r = nova.at("2.66").post("/servers", {"server": {
        "name": "vm", "flavorRef": "1", "networks": "none", "imageRef": "",
        "block_device_mapping_v2": [{"source_type": "volume", "uuid": vid, "boot_index": 0,
                                     "volume_type": "x"}]}}, token)
    assert "'volume_type' was unexpected" in assert_fault(r, 400, "badRequest", "2.66")
    r = nova.post("/servers", {"server": {
        "name": "vm", "flavorRef": "1", "imageRef": "",
        "block_device_mapping": [{"volume_id": vid, "device_name": "vda"}],
        "block_device_mapping_v2": [{"source_type": "volume", "uuid": vid,
                                     "boot_index": 0}]}}, token)
    assert_fault(r, 400, "badRequest")
    # A volume in use: the volume service's refusal, before anything is stored.
    volumes.volumes[vid].status = "in-use"
    r = _create(nova, token, imageRef="", block_device_mapping_v2=[{
        "source_type": "volume", "uuid": vid, "boot_index": 0}])
    assert "status must be 'available'" in assert_fault(r, 400, "badRequest", "2.67")
    assert nova.get("/servers", token).json()["servers"] == []


def test_create_image_of_a_volume_backed_server_and_boot_from_it(
        nova: Nova, servers: Servers, volumes: MemoryServerVolumes) -> None:
    """Nova's snapshot_volume_backed: 202 with the image, which has no data and says how
    to boot new volumes from the volumes' snapshots; a create from it makes them."""
    project, token = nova.member()
    vid = volumes.add(project, image_id=servers.image_id)
    r = _create(nova, token, imageRef="", block_device_mapping_v2=[{
        "source_type": "volume", "destination_type": "volume", "uuid": vid,
        "boot_index": 0}])
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    servers.settle(sid)
    r = nova.at("2.45").post(f"/servers/{sid}/action",
                             {"createImage": {"name": "snap", "metadata": {"k": "v"}}},
                             token)
    assert r.status_code == 202, r.text
    image_id = r.json()["image_id"]
    [snapshot_id] = volumes.volumes[vid].snapshots
    image = nova.api.http.get(f"/image/v2/images/{image_id}", headers={
        "X-Auth-Token": token})
    assert image.status_code == 200, image.text
    shown = image.json()
    assert (shown["status"], shown["size"], shown["name"]) == ("active", 0, "snap")
    assert (shown["bdm_v2"], shown["root_device_name"], shown["k"]) == (
        "True", "/dev/vda", "v")
    assert shown["instance_uuid"] == sid
    [mapping] = json.loads(shown["block_device_mapping"])
    assert {k: mapping[k] for k in ("source_type", "destination_type", "snapshot_id",
                                    "boot_index", "volume_size", "device_name",
                                    "delete_on_termination")} == {
        "source_type": "snapshot", "destination_type": "volume",
        "snapshot_id": snapshot_id, "boot_index": 0, "volume_size": 1,
        "device_name": "/dev/vda", "delete_on_termination": False}
    # The server has no task: a second snapshot may follow at once.
    assert nova.get(f"/servers/{sid}", token).json()["server"]["status"] == "ACTIVE"
    # A backup of it is refused, in Nova's words.
    r = nova.post(f"/servers/{sid}/action", {"createBackup": {
        "name": "b", "backup_type": "daily", "rotation": 1}}, token)
    assert assert_fault(r, 400, "badRequest") == (
        "Backup is not supported for volume-backed instances.")
    # Booting from the image makes a new volume from the snapshot.
    before = set(volumes.attachments)
    r = _create(nova, token, imageRef=image_id)
    assert r.status_code == 202, r.text
    booted = r.json()["server"]["id"]
    [made] = [a for k, a in volumes.attachments.items() if k not in before]
    assert (made.server_id, made.boot_index) == (booted, 0)
    assert volumes.made_from == {snapshot_id}
