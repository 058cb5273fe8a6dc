"""Servers at microversions 2.27 to 2.100: networks required at create (2.37), createImage's
body (2.45), the embedded flavor (2.47), tags at create (2.52), key pair and user data at
rebuild (2.54, 2.57), lock reasons (2.73), the whole view on update and rebuild (2.75),
hostnames (2.90, 2.94) and the later view fields; and the Nova details Tempest checks:
progress, x-compute-request-id, min_count alone, console output for members only."""

from __future__ import annotations

from typing import Any

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.test_compute_keypairs import public_key


def body(servers: Servers, **fields: Any) -> dict[str, Any]:
    return {"server": {"name": "vm", "imageRef": servers.image_id, "flavorRef": "1",
                       **fields}}


def test_networks_required_from_2_37(nova: Nova, servers: Servers) -> None:
    assert_fault(nova.at("2.37").post("/servers", body(servers)), 400, "badRequest", "2.37")
    # Below 2.37, as before: no networks is fine.
    assert nova.at("2.36").post("/servers", body(servers)).status_code == 202
    for networks in ("none", "auto"):
        r = nova.at("2.37").post("/servers", body(servers, networks=networks))
        assert r.status_code == 202, r.text
    # A list names networks: one unknown is a 400 (test_compute_server_networks.py).
    assert_fault(nova.at("2.37").post("/servers", body(servers, networks=[
        {"uuid": "6b1a0e3c-9a8f-4a5e-8c52-1f0a3c2b9d01"}])), 400, "badRequest", "2.37")


def test_tags_at_create_from_2_52(nova: Nova, servers: Servers) -> None:
    assert_fault(nova.at("2.51").post("/servers", body(servers, networks="none", tags=["a"])),
                 400, "badRequest", "2.51")
    r = nova.at("2.52").post("/servers", body(servers, networks="none", tags=["b", "a"]))
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    assert nova.at("2.52").get(f"/servers/{sid}").json()["server"]["tags"] == ["a", "b"]
    assert_fault(nova.at("2.52").post("/servers", body(servers, networks="none",
                                                       tags=["a/b"])), 400, "badRequest",
                 "2.52")
    assert_fault(nova.at("2.52").post("/servers", body(servers, networks="none",
                                                       tags=[str(i) for i in range(51)])),
                 400, "badRequest", "2.52")


def test_embedded_flavor_from_2_47(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    old = nova.at("2.46").get(f"/servers/{sid}").json()["server"]["flavor"]
    assert old["id"] == "1" and old["links"]
    new = nova.at("2.47").get(f"/servers/{sid}").json()["server"]["flavor"]
    assert new == {"original_name": "m1.tiny", "vcpus": 1, "ram": 256, "disk": 1,
                   "ephemeral": 0, "swap": 0, "extra_specs": {}}


def test_create_image_answers_image_id_from_2_45(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    r = nova.at("2.45").post(f"/servers/{sid}/action", {"createImage": {"name": "snap"}})
    assert r.status_code == 202, r.text
    assert "Location" not in r.headers
    image_id = r.json()["image_id"]
    assert nova.get(f"/images/{image_id}").json()["image"]["name"] == "snap"
    servers.settle(sid)
    r = nova.at("2.44").post(f"/servers/{sid}/action", {"createImage": {"name": "snap2"}})
    assert r.status_code == 202 and r.headers["Location"].endswith("/images/" + r.headers[
        "Location"].rsplit("/", 1)[-1]) and not r.content


def test_create_image_metadata_become_the_image_properties(nova: Nova, servers: Servers) -> None:
    """createImage's metadata are the snapshot's properties, over what it would inherit
    (Nova applies them last: Tempest sets image_type); Nova's metadata schema refuses an
    empty key or one over 255 characters (400)."""
    sid = servers.active()
    for bad in ({"": ""}, {"a" * 256: "b"}, {"k": "v" * 256}, {"k": 1}, ["k"]):
        r = nova.post(f"/servers/{sid}/action", {"createImage": {"name": "s", "metadata": bad}})
        assert assert_fault(r, 400, "badRequest")
    r = nova.at("2.45").post(f"/servers/{sid}/action", {"createImage": {
        "name": "snap", "metadata": {"image_type": "test", "purpose": "tempest"}}})
    assert r.status_code == 202, r.text
    shown = nova.get(f"/images/{r.json()['image_id']}").json()["image"]["metadata"]
    assert (shown["image_type"], shown["purpose"], shown["instance_uuid"]) == (
        "test", "tempest", sid)


def test_lock_reason_from_2_73(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    v = nova.at("2.73")
    assert v.get(f"/servers/{sid}").json()["server"]["locked_reason"] is None
    assert v.post(f"/servers/{sid}/action", {"lock": {"locked_reason": "audit"}}
                  ).status_code == 202
    shown = v.get(f"/servers/{sid}").json()["server"]
    assert shown["locked"] is True and shown["locked_reason"] == "audit"
    assert "locked_reason" not in nova.at("2.72").get(f"/servers/{sid}").json()["server"]
    assert v.post(f"/servers/{sid}/action", {"unlock": None}).status_code == 202
    assert v.get(f"/servers/{sid}").json()["server"]["locked_reason"] is None
    assert_fault(nova.at("2.72").post(f"/servers/{sid}/action", {
        "lock": {"locked_reason": "x"}}), 400, "badRequest", "2.72")


def test_rebuild_key_name_and_user_data(nova: Nova, servers: Servers) -> None:
    assert nova.post("/os-keypairs", {"keypair": {"name": "k", "public_key": public_key()}}
                     ).status_code == 200
    sid = servers.active(user_data="aGk=")
    rebuild = {"imageRef": servers.image_id, "key_name": "k"}
    assert_fault(nova.at("2.53").post(f"/servers/{sid}/action", {"rebuild": rebuild}), 400,
                 "badRequest", "2.53")
    r = nova.at("2.54").post(f"/servers/{sid}/action", {"rebuild": rebuild})
    assert r.status_code == 202, r.text
    assert r.json()["server"]["key_name"] == "k"
    servers.settle(sid)
    r = nova.at("2.57").post(f"/servers/{sid}/action", {"rebuild": {
        "imageRef": servers.image_id, "user_data": "Ynll", "key_name": None}})
    assert r.status_code == 202, r.text
    assert r.json()["server"]["user_data"] == "Ynll" and r.json()["server"]["key_name"] is None
    servers.settle(sid)
    assert_fault(nova.at("2.57").post(f"/servers/{sid}/action", {"rebuild": {
        "imageRef": servers.image_id, "user_data": "not base64!"}}), 400, "badRequest", "2.57")
    assert_fault(nova.at("2.57").post(f"/servers/{sid}/action", {"rebuild": {
        "imageRef": servers.image_id, "key_name": "nope"}}), 400, "badRequest", "2.57")


def test_update_and_rebuild_show_the_whole_server_from_2_75(nova: Nova,
                                                            servers: Servers) -> None:
    sid = servers.active()
    v = nova.at("2.75")
    shown = v.get(f"/servers/{sid}").json()["server"]
    updated = v.put(f"/servers/{sid}", {"server": {"name": "vm"}}).json()["server"]
    assert set(updated) == set(shown)
    r = v.post(f"/servers/{sid}/action", {"rebuild": {"imageRef": servers.image_id}})
    rebuilt = r.json()["server"]
    assert set(rebuilt) == set(shown) - {"OS-EXT-SRV-ATTR:user_data"} | {"user_data"}
    assert len(nova.at("2.74").put(f"/servers/{sid}", {"server": {"name": "vm"}}).json()[
        "server"]) < len(shown)


def test_hostname_from_2_90_and_fqdn_from_2_94(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    assert_fault(nova.at("2.89").post("/servers", body(servers, networks="none",
                                                       hostname="h1"), token),
                 400, "badRequest", "2.89")
    r = nova.at("2.90").post("/servers", body(servers, networks="none", hostname="h1"), token)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    # 2.90: members see the hostname too.
    assert nova.at("2.90").get(f"/servers/{sid}", token).json()["server"][
        "OS-EXT-SRV-ATTR:hostname"] == "h1"
    assert "OS-EXT-SRV-ATTR:hostname" not in nova.at("2.89").get(
        f"/servers/{sid}", token).json()["server"]
    assert_fault(nova.at("2.90").put(f"/servers/{sid}", {"server": {
        "hostname": "h.example.org"}}, token), 400, "badRequest", "2.90")
    r = nova.at("2.94").put(f"/servers/{sid}", {"server": {"hostname": "h.example.org"}},
                            token)
    assert r.status_code == 200, r.text
    assert r.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "h.example.org"
    assert_fault(nova.at("2.94").post("/servers", body(servers, networks="none",
                                                       hostname="-bad-"), token),
                 400, "badRequest", "2.94")
    # One hostname cannot name several servers.
    assert_fault(nova.at("2.90").post("/servers", body(servers, networks="none",
                                                       hostname="h2", max_count=2), token),
                 400, "badRequest", "2.90")


def test_late_view_fields(nova: Nova, servers: Servers) -> None:
    sid = servers.active(availability_zone="nova")
    shown = nova.at("2.100").get(f"/servers/{sid}").json()["server"]
    assert shown["trusted_image_certificates"] is None
    assert shown["server_groups"] == []
    assert shown["pinned_availability_zone"] == "nova"
    assert shown["scheduler_hints"] == {}
    assert shown["image"]["properties"]["kernel_id"]
    listed = nova.at("2.100").get("/servers/detail").json()["servers"][0]
    # Nova shows a server's groups only for one server.
    assert "server_groups" not in listed and listed["pinned_availability_zone"] == "nova"
    assert "properties" not in nova.at("2.97").get(f"/servers/{sid}").json()["server"][
        "image"]


def test_refused_create_options(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    # nuage verifies no image signature, so it takes no trusted certificates.
    assert_fault(nova.at("2.63").post("/servers", body(
        servers, networks="none", trusted_image_certificates=["c"])), 400, "badRequest",
        "2.63")
    # Choosing the host is for administrators (2.74).
    assert_fault(nova.at("2.74").post("/servers", body(servers, networks="none", host="h"),
                                      token), 403, "forbidden", "2.74")
    assert_fault(nova.at("2.73").post("/servers", body(servers, networks="none", host="h")),
                 400, "badRequest", "2.73")
    # 2.57 removed personality.
    assert_fault(nova.at("2.57").post("/servers", body(servers, networks="none",
                                                       personality=[])), 400, "badRequest",
                 "2.57")


def test_list_filters(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    assert_fault(nova.at("2.38").get("/servers?status=WRONG"), 400, "badRequest", "2.38")
    assert nova.at("2.37").get("/servers?status=WRONG").json()["servers"] == []
    before = nova.at("2.66").get("/servers?changes-before=2100-01-01T00:00:00Z").json()[
        "servers"]
    assert [s["id"] for s in before] == [sid]
    assert nova.at("2.66").get("/servers?changes-before=2000-01-01T00:00:00Z").json()[
        "servers"] == []
    assert_fault(nova.at("2.66").get(
        "/servers?changes-since=2030-01-01T00:00:00Z&changes-before=2000-01-01T00:00:00Z"),
        400, "badRequest", "2.66")


def test_progress_only_where_nova_shows_it(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    assert nova.get(f"/servers/{sid}").json()["server"]["progress"] == 100
    building = servers.create()["id"]
    assert nova.get(f"/servers/{building}").json()["server"]["progress"] == 0
    servers.settle(sid, "stopped")
    assert "progress" not in nova.get(f"/servers/{sid}").json()["server"]
    servers.settle(sid, "error")
    assert "progress" not in nova.get(f"/servers/{sid}").json()["server"]


def test_min_count_alone_means_that_many(nova: Nova, servers: Servers) -> None:
    r = nova.post("/servers", body(servers, min_count=3, return_reservation_id=True))
    assert r.status_code == 202, r.text
    reservation = r.json()["reservation_id"]
    found = [s for s in nova.get("/servers/detail").json()["servers"]]
    assert len(found) == 3
    assert all(s["name"].startswith("vm-") for s in found), reservation


def test_request_id_headers_on_every_answer(nova: Nova, servers: Servers) -> None:
    for r in (nova.get("/servers"), nova.get("/servers/nope"),
              nova.at("2.101").get("/servers"), nova.post("/servers", {"server": {}})):
        assert r.headers["X-Compute-Request-Id"].startswith("req-"), r.status_code
        assert r.headers["X-Compute-Request-Id"] == r.headers["X-OpenStack-Request-ID"]


def test_console_output_needs_a_member(nova: Nova, servers: Servers) -> None:
    project, member = nova.member()
    sid = servers.active(member)
    _, reader = nova.api.member_of(project, role="reader")
    # A reader sees the server, but not its console (Nova: PROJECT_MEMBER_OR_ADMIN).
    assert nova.get(f"/servers/{sid}", reader).status_code == 200
    assert_fault(nova.post(f"/servers/{sid}/action", {"os-getConsoleOutput": {}}, reader),
                 403, "forbidden")
    # A member gets past the policy (this test runs no agent: the host is unreachable).
    r = nova.post(f"/servers/{sid}/action", {"os-getConsoleOutput": {}}, member)
    assert r.status_code != 403, r.text


def test_a_reader_reads_but_changes_nothing(nova: Nova, servers: Servers) -> None:
    """Nova's default policies, as a class: every server read is PROJECT_READER_OR_ADMIN,
    every change and every action (console output included) PROJECT_MEMBER_OR_ADMIN."""
    project, member = nova.member()
    sid = servers.active(member, metadata={"k": "v"})
    _, reader = nova.api.member_of(project, role="reader")
    v = nova.at("2.100")
    for path in ("", "/metadata", "/metadata/k", "/tags", "/ips", "/os-instance-actions"):
        assert v.get(f"/servers/{sid}{path}", reader).status_code == 200, path
    actions: list[dict[str, Any]] = [
        {"os-stop": None}, {"os-start": None}, {"reboot": {"type": "SOFT"}}, {"pause": None},
        {"unpause": None}, {"suspend": None}, {"resume": None},
        {"rebuild": {"imageRef": servers.image_id}}, {"createImage": {"name": "s"}},
        {"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}},
        {"lock": None}, {"unlock": None}, {"trigger_crash_dump": None},
        {"os-getConsoleOutput": {}}]
    for action in actions:
        r = v.post(f"/servers/{sid}/action", action, reader)
        assert r.status_code == 403, (action, r.text)
    changes = [v.put(f"/servers/{sid}", {"server": {"name": "x"}}, reader),
               v.post(f"/servers/{sid}/metadata", {"metadata": {"a": "b"}}, reader),
               v.put(f"/servers/{sid}/metadata/k", {"meta": {"k": "w"}}, reader),
               v.delete(f"/servers/{sid}/metadata/k", reader),
               v.put(f"/servers/{sid}/tags/t", None, reader),
               v.put(f"/servers/{sid}/tags", {"tags": ["t"]}, reader),
               v.delete(f"/servers/{sid}/tags", reader),
               v.delete(f"/servers/{sid}", reader),
               v.post("/servers", body(servers, networks="none"), reader)]
    assert [r.status_code for r in changes] == [403] * len(changes), [r.text for r in changes]
    shown = v.get(f"/servers/{sid}", member).json()["server"]
    assert shown["name"] == "vm" and shown["metadata"] == {"k": "v"} and shown["tags"] == []


def test_topology_from_2_78_and_event_details_from_2_84(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    assert nova.at("2.77").get(f"/servers/{sid}/topology").status_code == 404
    r = nova.at("2.78").get(f"/servers/{sid}/topology")
    assert r.status_code == 200 and r.json() == {"nodes": [], "pagesize_kb": None}
    rid = nova.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"][0][
        "request_id"]
    shown = nova.at("2.84").get(f"/servers/{sid}/os-instance-actions/{rid}").json()
    assert "details" in shown["instanceAction"]["events"][0]
    assert "details" not in nova.at("2.83").get(
        f"/servers/{sid}/os-instance-actions/{rid}").json()["instanceAction"]["events"][0]


def test_unknown_query_parameters_are_400_from_2_75(nova: Nova, servers: Servers) -> None:
    servers.active()
    assert nova.at("2.74").get("/servers?bogus=1").status_code == 200
    assert_fault(nova.at("2.75").get("/servers?bogus=1"), 400, "badRequest", "2.75")
    assert_fault(nova.at("2.75").get("/servers/detail?flavorRef=1"), 400, "badRequest",
                 "2.75")
    for query in ("deleted=False", "all_tenants=1", "sort_key=created_at", "ip=10.0.0.1",
                  "locked=false", "changes-before=2100-01-01T00:00:00Z"):
        assert nova.at("2.100").get(f"/servers/detail?{query}").status_code == 200, query


def test_exact_filters_and_who_may_use_them(nova: Nova, servers: Servers) -> None:
    _, member = nova.member()
    plain = servers.active(member)
    keyed_key = {"keypair": {"name": "k", "public_key": public_key()}}
    assert nova.post("/os-keypairs", keyed_key, member).status_code == 200
    keyed = servers.active(member, key_name="k")
    ids = [s["id"] for s in nova.at("2.83").get("/servers?key_name=k", member).json()[
        "servers"]]
    assert ids == [keyed]
    # Below 2.83 a member's key_name filter is dropped, as Nova drops it: both are listed.
    ids = [s["id"] for s in nova.at("2.82").get("/servers?key_name=k", member).json()[
        "servers"]]
    assert set(ids) == {plain, keyed}
    # `host` is for administrators only, at every version.
    assert len(nova.at("2.100").get("/servers?host=elsewhere", member).json()["servers"]) == 2
    assert nova.at("2.100").get("/servers?all_tenants=1&host=elsewhere").json()[
        "servers"] == []
    assert nova.post(f"/servers/{keyed}/action", {"lock": None}, member).status_code == 202
    ids = [s["id"] for s in nova.at("2.73").get("/servers?locked=true", member).json()[
        "servers"]]
    assert ids == [keyed]
    servers.settle(plain, "stopped")
    ids = [s["id"] for s in nova.at("2.83").get("/servers?vm_state=stopped", member).json()[
        "servers"]]
    assert ids == [plain]


def test_network_proxy_actions_gone_from_2_44(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    body = {"addFloatingIp": {"address": "192.0.2.1"}}
    assert_fault(nova.at("2.43").post(f"/servers/{sid}/action", body), 400, "badRequest",
                 "2.43")
    assert_fault(nova.at("2.44").post(f"/servers/{sid}/action", body), 404, "itemNotFound",
                 "2.44")
