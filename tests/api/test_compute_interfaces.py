"""Nova's os-interface over HTTP: attach a network or a port to a server after its
create, list, show and detach them, in Nova's bodies, status codes and words. No agent
runs here: the ports are what the API changed (the guest side is reconcile's, see
tests/unit/compute/test_interface_convergence.py and tests/system)."""

from __future__ import annotations

from typing import Any

from tests.api.compute_servers import HOST, Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.network_support import Neutron

MISSING = "5f1c2a9e-0000-4000-8000-000000000000"


def _project(nova: Nova) -> tuple[str, Neutron]:
    _, token = nova.member()
    return token, Neutron(nova.api, token)


def _network(neutron: Neutron, name: str = "private", cidr: str = "10.0.0.0/24"
             ) -> dict[str, Any]:
    net = neutron.network(name=name)
    neutron.subnet(net["id"], cidr)
    return net


def test_attach_a_network_list_show_and_detach(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    first = _network(neutron)
    second = _network(neutron, "second", "10.1.0.0/24")
    sid = servers.active(token, networks=[{"uuid": first["id"]}])
    r = nova.post(f"/servers/{sid}/os-interface",
                  {"interfaceAttachment": {"net_id": second["id"],
                                           "fixed_ips": [{"ip_address": "10.1.0.7"}]}},
                  token)
    assert r.status_code == 200, r.text
    att = r.json()["interfaceAttachment"]
    [port] = neutron.get("/ports", network_id=second["id"]).json()["ports"]
    assert att == {"port_state": "DOWN", "port_id": port["id"], "net_id": second["id"],
                   "mac_addr": port["mac_address"],
                   "fixed_ips": [{"subnet_id": port["fixed_ips"][0]["subnet_id"],
                                  "ip_address": "10.1.0.7"}]}
    # The port is the server's, bound to its host, after its first NIC.
    assert (port["device_id"], port["device_owner"]) == (sid, "compute:nova")
    admin_view = Neutron(nova.api).get(f"/ports/{port['id']}").json()["port"]
    assert admin_view["binding:host_id"] == HOST
    listed = nova.get(f"/servers/{sid}/os-interface", token).json()["interfaceAttachments"]
    assert [a["net_id"] for a in listed] == [first["id"], second["id"]]
    shown = nova.get(f"/servers/{sid}/os-interface/{port['id']}", token).json()
    assert shown == {"interfaceAttachment": att}
    addresses = nova.get(f"/servers/{sid}", token).json()["server"]["addresses"]
    assert addresses["second"][0]["addr"] == "10.1.0.7"
    # An instance action, as Nova records one.
    actions = nova.get(f"/servers/{sid}/os-instance-actions", token).json()
    assert "attach_interface" in [a["action"] for a in actions["instanceActions"]]
    # Detach: 202; the port compute made is gone.
    r = nova.delete(f"/servers/{sid}/os-interface/{port['id']}", token)
    assert (r.status_code, r.content) == (202, b"")
    assert neutron.get(f"/ports/{port['id']}").status_code == 404
    listed = nova.get(f"/servers/{sid}/os-interface", token).json()["interfaceAttachments"]
    assert [a["net_id"] for a in listed] == [first["id"]]
    assert_fault(nova.get(f"/servers/{sid}/os-interface/{port['id']}", token), 404,
                 "itemNotFound")
    assert assert_fault(nova.delete(f"/servers/{sid}/os-interface/{port['id']}", token),
                        404, "itemNotFound") == f"Port {port['id']} could not be found."


def test_a_users_port_is_taken_then_kept_on_detach(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)
    sid = servers.active(token, networks="none")
    mine = neutron.make("port", network_id=net["id"], name="mine")
    r = nova.post(f"/servers/{sid}/os-interface",
                  {"interfaceAttachment": {"port_id": mine["id"]}}, token)
    assert r.status_code == 200, r.text
    assert r.json()["interfaceAttachment"]["port_id"] == mine["id"]
    # In use now: another server cannot take it (409, Nova's words).
    other = servers.active(token, networks="none")
    assert assert_fault(nova.post(f"/servers/{other}/os-interface",
                                  {"interfaceAttachment": {"port_id": mine["id"]}}, token),
                        409, "conflictingRequest") == f"Port {mine['id']} is still in use."
    assert nova.delete(f"/servers/{sid}/os-interface/{mine['id']}", token).status_code == 202
    kept = neutron.get(f"/ports/{mine['id']}").json()["port"]
    assert (kept["device_id"], kept["device_owner"], kept["name"]) == ("", "", "mine")
    # Free again: the other server takes it.
    r = nova.post(f"/servers/{other}/os-interface",
                  {"interfaceAttachment": {"port_id": mine["id"]}}, token)
    assert r.status_code == 200, r.text


def test_attach_with_nothing_picks_the_one_network(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    sid = servers.active(token, networks="none")
    message = assert_fault(nova.post(f"/servers/{sid}/os-interface", {}, token), 400,
                           "badRequest")
    assert message.startswith("No specific network was requested and none are available")
    net = _network(neutron)
    r = nova.post(f"/servers/{sid}/os-interface", {"interfaceAttachment": {}}, token)
    assert r.status_code == 200, r.text
    assert r.json()["interfaceAttachment"]["net_id"] == net["id"]
    _network(neutron, "another", "10.2.0.0/24")
    assert assert_fault(nova.post(f"/servers/{sid}/os-interface", {}, token), 400,
                        "badRequest") == ("Multiple possible networks found, use a Network "
                                          "ID to be more specific.")


def test_tags_from_2_49_shown_from_2_70(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)
    sid = servers.active(token, networks="none")
    body = {"interfaceAttachment": {"net_id": net["id"], "tag": "data"}}
    assert_fault(nova.at("2.48").post(f"/servers/{sid}/os-interface", body, token), 400,
                 "badRequest", "2.48")
    r = nova.at("2.49").post(f"/servers/{sid}/os-interface", body, token)
    assert r.status_code == 200, r.text
    assert "tag" not in r.json()["interfaceAttachment"]
    port_id = r.json()["interfaceAttachment"]["port_id"]
    shown = nova.at("2.70").get(f"/servers/{sid}/os-interface/{port_id}", token).json()
    assert shown["interfaceAttachment"]["tag"] == "data"
    listed = nova.at("2.70").get(f"/servers/{sid}/os-interface", token).json()
    assert [a["tag"] for a in listed["interfaceAttachments"]] == ["data"]


def test_refusals_in_novas_words(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)
    sid = servers.active(token, networks=[{"uuid": net["id"]}])

    def attach(att: Any, server: str = sid, who: str = token) -> Any:
        return nova.post(f"/servers/{server}/os-interface", {"interfaceAttachment": att},
                         who)

    assert assert_fault(attach({"port_id": MISSING}), 404, "itemNotFound") == (
        f"Port {MISSING} could not be found.")
    assert assert_fault(attach({"net_id": MISSING}), 404, "itemNotFound") == (
        f"Network {MISSING} could not be found.")
    assert assert_fault(attach({"net_id": net["id"], "port_id": MISSING}), 400,
                        "badRequest") == "Must not input both network_id and port_id"
    assert assert_fault(attach({"fixed_ips": [{"ip_address": "10.0.0.9"}]}), 400,
                        "badRequest") == "Must input network_id when request IP address"
    assert_fault(attach({"net_id": "not-a-uuid"}), 400, "badRequest")
    assert_fault(attach({"net_id": net["id"], "fixed_ips": [{"ip_address": "nope"}]}), 400,
                 "badRequest")
    assert_fault(attach({"net_id": net["id"], "bogus": 1}), 400, "badRequest")
    # The address the first NIC has: Nova's FixedIpAlreadyInUse, a 409.
    assert_fault(attach({"net_id": net["id"], "fixed_ips": [{"ip_address": "10.0.0.2"}]}),
                 409, "conflictingRequest")
    # Another project's network or server: unknown.
    other_token, other = _project(nova)
    theirs = _network(other, "theirs")
    assert_fault(attach({"net_id": theirs["id"]}), 404, "itemNotFound")
    assert_fault(attach({"net_id": net["id"]}, who=other_token), 404, "itemNotFound")
    assert_fault(nova.get(f"/servers/{sid}/os-interface", other_token), 404, "itemNotFound")
    # A server being built, or with a task, cannot change (409).
    building = servers.create(token, networks="none")["id"]
    assert assert_fault(attach({"net_id": net["id"]}, building), 409,
                        "conflictingRequest") == (
        f"Cannot 'attach_interface' instance {building} while it is in vm_state building")
    servers.settle(building, "active", "powering-off")
    assert assert_fault(attach({"net_id": net["id"]}, building), 409,
                        "conflictingRequest") == (
        f"Cannot 'attach_interface' instance {building} while it is in task_state "
        "powering-off")
    # Stopped and paused servers take one (the guest gets it at its next start).
    servers.settle(building, "stopped")
    assert attach({"net_id": net["id"]}, building).status_code == 200
    # A locked server refuses its member.
    assert nova.post(f"/servers/{sid}/action", {"lock": None}, token).status_code == 202
    assert_fault(attach({"net_id": net["id"]}), 409, "conflictingRequest")
    [port] = nova.get(f"/servers/{sid}/os-interface", token).json()["interfaceAttachments"]
    assert_fault(nova.delete(f"/servers/{sid}/os-interface/{port['port_id']}", token), 409,
                 "conflictingRequest")


def test_add_and_remove_fixed_ip_below_2_44(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)
    sid = servers.active(token, networks=[{"uuid": net["id"]}])
    old = nova.at("2.43")

    def addresses() -> list[str]:
        [port] = neutron.get("/ports", device_id=sid).json()["ports"]
        return [f["ip_address"] for f in port["fixed_ips"]]

    r = old.post(f"/servers/{sid}/action", {"addFixedIp": {"networkId": net["id"]}}, token)
    assert (r.status_code, r.content) == (202, b"")
    assert addresses() == ["10.0.0.2", "10.0.0.3"]
    r = old.post(f"/servers/{sid}/action", {"removeFixedIp": {"address": "10.0.0.2"}}, token)
    assert (r.status_code, r.content) == (202, b"")
    assert addresses() == ["10.0.0.3"]
    assert assert_fault(old.post(f"/servers/{sid}/action",
                                 {"removeFixedIp": {"address": "10.0.0.2"}}, token),
                        400, "badRequest", "2.43") == (
        f"Unable to find address 10.0.0.2 on instance {sid}")
    assert_fault(old.post(f"/servers/{sid}/action", {"addFixedIp": {"networkId": MISSING}},
                          token), 404, "itemNotFound", "2.43")
    assert_fault(old.post(f"/servers/{sid}/action", {"addFixedIp": {}}, token), 400,
                 "badRequest", "2.43")
    # Gone from 2.44.
    assert_fault(nova.at("2.44").post(f"/servers/{sid}/action",
                                      {"addFixedIp": {"networkId": net["id"]}}, token),
                 404, "itemNotFound", "2.44")


def test_device_tags_at_create_follow_2_32_2_37_2_42(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)

    def create(version: str) -> Any:
        return nova.at(version).post("/servers", {"server": {
            "name": "vm", "imageRef": servers.image_id, "flavorRef": "1",
            "networks": [{"uuid": net["id"], "tag": "front"}]}}, token)

    for refused in ("2.31", "2.37", "2.41"):
        assert_fault(create(refused), 400, "badRequest", refused)
    for taken in ("2.32", "2.42"):
        r = create(taken)
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        servers.settle(sid)
        [att] = nova.at("2.70").get(f"/servers/{sid}/os-interface", token).json()[
            "interfaceAttachments"]
        assert att["tag"] == "front"
