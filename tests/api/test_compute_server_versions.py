"""Servers at microversions 2.1 to 2.100: what each version adds to the views (2.3, 2.9,
2.16, 2.19, 2.26), description (2.19), lock/unlock, trigger_crash_dump (2.17) and the
instance actions of deleted servers (2.21)."""

from __future__ import annotations

from tests.api.compute_servers import HOST, KERNEL, RAMDISK, Servers
from tests.api.compute_support import Nova, assert_fault

EXTENDED_23 = {"OS-EXT-SRV-ATTR:reservation_id", "OS-EXT-SRV-ATTR:launch_index",
               "OS-EXT-SRV-ATTR:hostname", "OS-EXT-SRV-ATTR:kernel_id",
               "OS-EXT-SRV-ATTR:ramdisk_id", "OS-EXT-SRV-ATTR:root_device_name",
               "OS-EXT-SRV-ATTR:user_data"}
UPDATE_KEYS = {"OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "addresses", "created",
               "flavor", "hostId", "id", "image", "links", "metadata", "name", "progress",
               "status", "tenant_id", "updated", "user_id"}




def test_views_grow_with_the_microversion(nova: Nova, servers: Servers) -> None:
    sid = servers.active(user_data="aGVsbG8=")
    at21 = nova.get(f"/servers/{sid}").json()["server"]
    assert not ({"locked", "description", "tags", "host_status"} | EXTENDED_23) & set(at21)
    at2 = nova.at("2.2").get(f"/servers/{sid}")
    assert at2.headers["X-OpenStack-Nova-API-Version"] == "2.2"
    assert set(at2.json()["server"]) == set(at21)

    at3 = nova.at("2.3").get(f"/servers/{sid}").json()["server"]
    assert set(at3) == set(at21) | EXTENDED_23
    assert at3["OS-EXT-SRV-ATTR:reservation_id"].startswith("r-")
    assert at3["OS-EXT-SRV-ATTR:launch_index"] == 0
    assert at3["OS-EXT-SRV-ATTR:hostname"] == "vm"
    assert (at3["OS-EXT-SRV-ATTR:kernel_id"], at3["OS-EXT-SRV-ATTR:ramdisk_id"]) == (
        KERNEL, RAMDISK)
    assert at3["OS-EXT-SRV-ATTR:root_device_name"] == "/dev/vda"
    assert at3["OS-EXT-SRV-ATTR:user_data"] == "aGVsbG8="

    at9 = nova.at("2.9").get(f"/servers/{sid}").json()["server"]
    assert set(at9) - set(at3) == {"locked"} and at9["locked"] is False
    at16 = nova.at("2.16").get(f"/servers/{sid}").json()["server"]
    assert set(at16) - set(at9) == {"host_status"} and at16["host_status"] == "UP"
    at19 = nova.at("2.19").get(f"/servers/{sid}").json()["server"]
    # Created at 2.1: Nova stored the name as the description.
    assert set(at19) - set(at16) == {"description"} and at19["description"] == "vm"
    at26 = nova.at("2.26").get(f"/servers/{sid}").json()["server"]
    assert set(at26) - set(at19) == {"tags"} and at26["tags"] == []
    latest = nova.at("latest").get("/servers/detail")
    assert latest.headers["X-OpenStack-Nova-API-Version"] == "2.100"
    assert latest.json()["servers"][0] == nova.at("2.100").get("/servers/detail").json()[
        "servers"][0]


def test_members_see_no_admin_fields(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    shown = nova.at("2.26").get(f"/servers/{sid}", token).json()["server"]
    assert not (EXTENDED_23 | {"host_status", "OS-EXT-SRV-ATTR:host"}) & set(shown)
    assert {"locked", "description", "tags"} <= set(shown)


def test_multiple_create_shares_a_reservation(nova: Nova, servers: Servers) -> None:
    servers.create(name="many", min_count=2, max_count=2)
    found = nova.at("2.3").get("/servers/detail", params={"name": "^many"}).json()["servers"]
    by_name = {s["name"]: s for s in found}
    assert sorted(by_name) == ["many-1", "many-2"]
    assert len({s["OS-EXT-SRV-ATTR:reservation_id"] for s in found}) == 1
    assert by_name["many-2"]["OS-EXT-SRV-ATTR:launch_index"] == 1
    assert by_name["many-1"]["OS-EXT-SRV-ATTR:hostname"] == "many-1"


def test_host_status_follows_the_host(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    v = nova.at("2.16")

    def status() -> str:
        return str(v.get(f"/servers/{sid}").json()["server"]["host_status"])

    assert status() == "UP"
    assert nova.put("/os-services/disable", {"host": HOST, "binary": "nova-compute"}
                    ).status_code == 200
    assert status() == "MAINTENANCE"
    assert nova.at("2.11").put("/os-services/force-down", {
        "host": HOST, "binary": "nova-compute", "forced_down": True}).status_code == 200
    assert status() == "DOWN"
    # A server that never got a host has an empty host_status.
    with nova.api.cloud.compute_ports.uow(write=True) as uow:
        server = uow.servers.get(sid)
        assert server is not None
        server.host = None
        uow.commit()
    assert status() == ""


def test_description(nova: Nova, servers: Servers) -> None:
    v = nova.at("2.19")
    sid = servers.create(nova=v, name="described", description="first one")["id"]
    assert v.get(f"/servers/{sid}").json()["server"]["description"] == "first one"
    bare = servers.create(nova=v, name="bare")["id"]
    assert v.get(f"/servers/{bare}").json()["server"]["description"] is None

    r = v.put(f"/servers/{sid}", {"server": {"description": "changed"}})
    assert r.status_code == 200, r.text
    assert set(r.json()["server"]) == UPDATE_KEYS | {"locked", "description"}
    assert r.json()["server"]["description"] == "changed"
    r = v.put(f"/servers/{sid}", {"server": {"description": None}})
    assert r.json()["server"]["description"] is None
    # An update at 2.1 keeps Nova's reduced view, and refuses the new key.
    r = nova.put(f"/servers/{sid}", {"server": {"name": "renamed"}})
    assert set(r.json()["server"]) == UPDATE_KEYS
    assert_fault(nova.put(f"/servers/{sid}", {"server": {"description": "x"}}), 400,
                 "badRequest")
    assert_fault(nova.post("/servers", {"server": {
        "name": "x", "imageRef": servers.image_id, "flavorRef": "1", "description": "x"}}),
        400, "badRequest")
    for bad in ("x" * 256, 5, "tab\there"):
        assert_fault(v.put(f"/servers/{sid}", {"server": {"description": bad}}), 400,
                     "badRequest", "2.19")

    servers.settle(sid)
    r = v.post(f"/servers/{sid}/action", {"rebuild": {"imageRef": servers.image_id,
                                                      "description": "rebuilt"}})
    assert r.status_code == 202, r.text
    assert r.json()["server"]["description"] == "rebuilt"
    servers.settle(sid)
    r = nova.at("2.26").post(f"/servers/{sid}/action", {"rebuild": {
        "imageRef": servers.image_id}})
    assert r.json()["server"]["description"] == "rebuilt"
    assert r.json()["server"]["tags"] == []


def test_lock_and_unlock(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    v = nova.at("2.9")
    r = v.post(f"/servers/{sid}/action", {"lock": None}, token)
    assert r.status_code == 202, r.text
    assert v.get(f"/servers/{sid}", token).json()["server"]["locked"] is True
    # A locked server refuses its owner: actions, delete, metadata (409), not renames.
    for body in ({"os-stop": None}, {"reboot": {"type": "HARD"}}, {"pause": None},
                 {"rebuild": {"imageRef": servers.image_id}}):
        message = assert_fault(nova.post(f"/servers/{sid}/action", body, token), 409,
                               "conflictingRequest")
        assert message == f"Instance {sid} is locked"
    assert_fault(nova.delete(f"/servers/{sid}", token), 409, "conflictingRequest")
    assert_fault(nova.post(f"/servers/{sid}/metadata", {"metadata": {"a": "b"}}, token),
                 409, "conflictingRequest")
    assert nova.put(f"/servers/{sid}", {"server": {"name": "still"}}, token
                    ).status_code == 200
    # Locking again changes nothing; an administrator may act on the locked server.
    assert nova.post(f"/servers/{sid}/action", {"lock": {}}, token).status_code == 202
    assert nova.post(f"/servers/{sid}/action", {"os-stop": None}).status_code == 202
    servers.settle(sid, "stopped")
    assert nova.post(f"/servers/{sid}/action", {"unlock": None}, token).status_code == 202
    assert v.get(f"/servers/{sid}", token).json()["server"]["locked"] is False
    assert nova.post(f"/servers/{sid}/action", {"os-start": None}, token).status_code == 202
    actions = [a["action"] for a in nova.get(f"/servers/{sid}/os-instance-actions", token
                                             ).json()["instanceActions"]]
    assert actions[:4] == ["start", "unlock", "stop", "lock"]
    events = [e["action"] for e in nova.api.events() if e["target"]["id"] == sid]
    assert "compute.server.lock" in events and "compute.server.unlock" in events


def test_an_admin_lock_binds_the_owner(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    assert nova.post(f"/servers/{sid}/action", {"lock": None}).status_code == 202
    assert_fault(nova.post(f"/servers/{sid}/action", {"unlock": None}, token), 403,
                 "forbidden")
    assert nova.post(f"/servers/{sid}/action", {"unlock": None}).status_code == 202
    assert_fault(nova.post(f"/servers/{sid}/action", {"lock": {"locked_reason": "x"}}),
                 400, "badRequest")
    assert_fault(nova.post("/servers/nope/action", {"lock": None}), 404, "itemNotFound")


def test_trigger_crash_dump(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    v = nova.at("2.17")
    # Below 2.17 the action does not exist (after the server look-up).
    assert_fault(nova.post(f"/servers/{sid}/action", {"trigger_crash_dump": None}), 400,
                 "badRequest")
    assert_fault(nova.at("2.16").post("/servers/nope/action", {"trigger_crash_dump": None}),
                 404, "itemNotFound", "2.16")
    assert_fault(v.post(f"/servers/{sid}/action", {"trigger_crash_dump": {}}), 400,
                 "badRequest", "2.17")
    # No agent runs in these tests, so the guest is not running: 409, as Nova says when
    # the instance is not running.
    assert_fault(v.post(f"/servers/{sid}/action", {"trigger_crash_dump": None}), 409,
                 "conflictingRequest", "2.17")
    servers.settle(sid, "stopped")
    message = assert_fault(v.post(f"/servers/{sid}/action", {"trigger_crash_dump": None}),
                           409, "conflictingRequest", "2.17")
    assert "vm_state stopped" in message


def test_instance_actions_of_deleted_servers(nova: Nova, servers: Servers) -> None:
    sid = servers.create()["id"]
    servers.settle(sid, "deleted")
    with nova.api.cloud.compute_ports.uow(write=True) as uow:
        server = uow.servers.get(sid)
        assert server is not None
        server.deleted = True
        uow.commit()
    assert_fault(nova.get(f"/servers/{sid}/os-instance-actions"), 404, "itemNotFound")
    v = nova.at("2.21")
    r = v.get(f"/servers/{sid}/os-instance-actions")
    assert r.status_code == 200, r.text
    found = r.json()["instanceActions"]
    assert [a["action"] for a in found] == ["create"]
    r = v.get(f"/servers/{sid}/os-instance-actions/{found[0]['request_id']}")
    assert r.json()["instanceAction"]["action"] == "create"
    assert_fault(v.get(f"/servers/{sid}"), 404, "itemNotFound", "2.21")
