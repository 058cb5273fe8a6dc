"""Servers on Neutron networks, over HTTP: `networks` at create makes (or takes) ports
bound to the server's host, `addresses` shows them in Nova's form, and unknown networks
or ports and ports in use are refused in Nova's words and status codes."""

from __future__ import annotations

from typing import Any

from tests.api.compute_servers import HOST, Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.network_support import Neutron

MISSING = "5f1c2a9e-0000-4000-8000-000000000000"


def _project(nova: Nova) -> tuple[str, Neutron]:
    _, token = nova.member()
    return token, Neutron(nova.api, token)


def _network(neutron: Neutron, name: str = "private") -> dict[str, Any]:
    net = neutron.network(name=name)
    neutron.subnet(net["id"], "10.0.0.0/24")
    return net


def test_a_server_on_a_network_shows_its_address(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)
    sid = servers.create(token, networks=[{"uuid": net["id"]}])["id"]
    r = neutron.get("/ports", device_id=sid)
    [port] = r.json()["ports"]
    assert (port["device_owner"], port["network_id"]) == ("compute:nova", net["id"])
    # The binding is the cloud's: its administrators see the host.
    admin_view = Neutron(nova.api).get(f"/ports/{port['id']}").json()["port"]
    assert admin_view["binding:host_id"] == HOST
    expected = {"private": [{"version": 4, "addr": "10.0.0.2", "OS-EXT-IPS:type": "fixed",
                             "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]}]}
    shown = nova.get(f"/servers/{sid}", token).json()["server"]
    assert shown["addresses"] == expected
    assert (shown["accessIPv4"], shown["accessIPv6"]) == ("", "")
    listed = nova.get("/servers/detail", token).json()["servers"]
    assert [s["addresses"] for s in listed] == [expected]
    ips = nova.get(f"/servers/{sid}/ips", token).json()
    assert ips == {"addresses": {"private": [{"version": 4, "addr": "10.0.0.2"}]}}
    assert nova.get(f"/servers/{sid}/ips/private", token).json() == {
        "private": [{"version": 4, "addr": "10.0.0.2"}]}
    assert assert_fault(nova.get(f"/servers/{sid}/ips/public", token), 404, "itemNotFound"
                        ) == "Instance is not a member of specified network"
    # At 2.37 too, and with an address asked for.
    r = nova.at("2.37").post("/servers", {"server": {
        "name": "vm2", "imageRef": servers.image_id, "flavorRef": "1",
        "networks": [{"uuid": net["id"], "fixed_ip": "10.0.0.42"}]}}, token)
    assert r.status_code == 202, r.text
    second = nova.get(f"/servers/{r.json()['server']['id']}", token).json()["server"]
    assert second["addresses"]["private"][0]["addr"] == "10.0.0.42"


def test_update_answers_bare_addresses_before_2_75(nova: Nova, servers: Servers) -> None:
    """Nova builds the update (and rebuild) view with extend_address=False below 2.75:
    Tempest's update and rebuild schemas refuse the address type and MAC there."""
    token, neutron = _project(nova)
    sid = servers.create(token, networks=[{"uuid": _network(neutron)["id"]}])["id"]
    r = nova.put(f"/servers/{sid}", {"server": {"name": "renamed"}}, token)
    assert r.status_code == 200, r.text
    assert r.json()["server"]["addresses"] == {"private": [{"version": 4, "addr": "10.0.0.2"}]}
    r = nova.at("2.75").put(f"/servers/{sid}", {"server": {"name": "again"}}, token)
    assert r.status_code == 200, r.text
    [entry] = r.json()["server"]["addresses"]["private"]
    assert (entry["addr"], entry["OS-EXT-IPS:type"]) == ("10.0.0.2", "fixed")


def test_ip_filters_match_fixed_addresses_from_their_start(nova: Nova,
                                                          servers: Servers) -> None:
    """Nova's `ip` (IPv4) and `ip6` (IPv6) list filters: regular expressions matched at
    the start of a server's fixed addresses; the caller's servers only."""
    token, neutron = _project(nova)
    net = _network(neutron)
    by_ip = {ip: servers.create(token, networks=[{"uuid": net["id"], "fixed_ip": ip}])["id"]
             for ip in ("10.0.0.5", "10.0.0.51", "10.0.0.6")}

    def listed(**q: str) -> set[str]:
        r = nova.get("/servers", token, params=q)
        assert r.status_code == 200, r.text
        return {s["id"] for s in r.json()["servers"]}
    assert listed(ip="10.0.0.51") == {by_ip["10.0.0.51"]}
    assert listed(ip="10.0.0.5") == {by_ip["10.0.0.5"], by_ip["10.0.0.51"]}
    assert listed(ip="0.0.5") == set()                   # anchored at the start
    assert listed(ip=r"10\.0\.0\.[56]$") == {by_ip["10.0.0.5"], by_ip["10.0.0.6"]}
    assert listed(ip6="10.0.0.5") == set()               # no IPv6 address
    other, _ = _project(nova)
    assert nova.get("/servers", other, params={"ip": "10."}).json()["servers"] == []


def test_a_port_passed_is_taken_and_then_in_use(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)
    port = neutron.make("port", network_id=net["id"], name="mine")
    sid = servers.create(token, networks=[{"port": port["id"]}])["id"]
    taken = neutron.get(f"/ports/{port['id']}").json()["port"]
    assert (taken["device_id"], taken["device_owner"]) == (sid, "compute:nova")
    message = assert_fault(nova.post("/servers", {"server": {
        "name": "again", "imageRef": servers.image_id, "flavorRef": "1",
        "networks": [{"port": port["id"]}]}}, token), 409, "conflictingRequest")
    assert message == f"Port {port['id']} is still in use."


def test_unknown_networks_and_ports_are_400s(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    _, other = _project(nova)
    theirs = _network(other, "theirs")

    def create(networks: Any) -> Any:
        return nova.post("/servers", {"server": {
            "name": "vm", "imageRef": servers.image_id, "flavorRef": "1",
            "networks": networks}}, token)

    assert assert_fault(create([{"uuid": MISSING}]), 400, "badRequest") == (
        f"Network {MISSING} could not be found.")
    # Another project's network is as unknown.
    assert assert_fault(create([{"uuid": theirs["id"]}]), 400, "badRequest") == (
        f"Network {theirs['id']} could not be found.")
    assert assert_fault(create([{"port": MISSING}]), 400, "badRequest") == (
        f"Port id {MISSING} could not be found.")
    bare = neutron.network(name="bare")
    assert "requires a subnet" in assert_fault(create([{"uuid": bare["id"]}]), 400,
                                               "badRequest")
    net = _network(neutron)
    assert assert_fault(create([{"uuid": net["id"], "fixed_ip": "192.0.2.1"}]), 400,
                        "badRequest") == "Fixed IP address 192.0.2.1 is invalid."
    # Nothing was made by any of them.
    assert nova.get("/servers", token).json()["servers"] == []
    assert neutron.get("/ports").json()["ports"] == []


def test_auto_and_none(nova: Nova, servers: Servers) -> None:
    token, neutron = _project(nova)
    _network(neutron)
    auto = servers.create(token, networks="auto")["id"]
    none = servers.create(token, networks="none")["id"]
    assert list(nova.get(f"/servers/{auto}", token).json()["server"]["addresses"]) == [
        "private"]
    assert nova.get(f"/servers/{none}", token).json()["server"]["addresses"] == {}


def test_a_floating_ip_follows_its_fixed_ip_in_the_server_views(nova: Nova,
                                                                  servers: Servers) -> None:
    token, neutron = _project(nova)
    net = _network(neutron)
    subnet_id = neutron.get("/subnets", network_id=net["id"]).json()["subnets"][0]["id"]
    # The cloud's administrator makes an external network (this cloud seeds none).
    admin = Neutron(nova.api)
    ext = admin.network(name="ext", **{"router:external": True})
    admin.subnet(ext["id"], "203.0.113.0/24", enable_dhcp=False)
    router = neutron.make("router", external_gateway_info={"network_id": ext["id"]})
    neutron.put(f"/routers/{router['id']}/add_router_interface", {"subnet_id": subnet_id})
    sid = servers.create(token, networks=[{"uuid": net["id"]}])["id"]
    [port] = neutron.get("/ports", device_id=sid).json()["ports"]
    fip = neutron.make("floatingip", floating_network_id=ext["id"], port_id=port["id"])
    fixed = port["fixed_ips"][0]["ip_address"]
    mac = port["mac_address"]
    shown = nova.get(f"/servers/{sid}", token).json()["server"]
    assert shown["addresses"] == {"private": [
        {"version": 4, "addr": fixed, "OS-EXT-IPS:type": "fixed",
         "OS-EXT-IPS-MAC:mac_addr": mac},
        {"version": 4, "addr": fip["floating_ip_address"], "OS-EXT-IPS:type": "floating",
         "OS-EXT-IPS-MAC:mac_addr": mac}]}
    assert nova.get(f"/servers/{sid}/ips/private", token).json() == {"private": [
        {"version": 4, "addr": fixed}, {"version": 4, "addr": fip["floating_ip_address"]}]}
    # Disassociated: the server shows its fixed address alone again.
    neutron.put(f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
    shown = nova.get(f"/servers/{sid}", token).json()["server"]
    assert [a["OS-EXT-IPS:type"] for a in shown["addresses"]["private"]] == ["fixed"]
