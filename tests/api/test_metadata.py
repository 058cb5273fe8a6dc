"""The metadata service over its unix socket, against a real cloud (SQLite, the services,
the Nova and Neutron APIs making servers and ports): a guest is known by the network or
router its request came through and its address, gets its own server's data only, and
another project's guest with the same address on its own network gets its own."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nuage.api.metadata.listener import SocketInUse, bind_unix, close_unix
from tests.api.compute_servers import Servers
from tests.api.conftest import Api
from tests.api.metadata_support import Tenant, as_guest, client, serving
from tests.api.network_support import Neutron


def _ed25519(seed: int) -> str:
    """An OpenSSH public key line (the wire format: length-prefixed type and 32 bytes)."""
    def part(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b
    blob = part(b"ssh-ed25519") + part(bytes([seed]) * 32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} guest@test"


KEY = _ed25519(7)


@pytest.fixture
def http(api: Api) -> Iterator[httpx.Client]:
    with serving(api.cloud) as path, client(path) as c:
        yield c


def keypair(servers: Servers, token: str) -> None:
    r = servers.nova.post("/os-keypairs", {"keypair": {"name": "k1", "public_key": KEY}},
                          token)
    assert r.status_code == 200, r.text


def test_a_guest_reads_its_own_server(api: Api, servers: Servers,
                                      http: httpx.Client) -> None:
    t = Tenant(api, servers, "alpha", metadata={"role": "web"},
               user_data=base64.b64encode(b"#!/bin/sh\necho hi\n").decode())
    r = t.get(http, "/openstack/latest/meta_data.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    meta = r.json()
    assert meta["uuid"] == t.server_id
    assert meta["name"] == "alpha" and meta["hostname"] == "alpha"
    assert meta["project_id"] == t.project_id
    assert meta["availability_zone"] == "nova" and meta["launch_index"] == 0
    assert meta["meta"] == {"role": "web"}
    assert meta["public_keys"] == {} and meta["keys"] == [] and meta["devices"] == []

    assert t.get(http, "/openstack/latest/user_data").content == b"#!/bin/sh\necho hi\n"
    assert t.get(http, "/openstack/latest/vendor_data.json").json() == {}
    assert t.get(http, "/openstack/latest/vendor_data2.json").json() == {}
    listing = t.get(http, "/openstack/latest").text.split("\n")
    assert listing == ["meta_data.json", "user_data", "vendor_data.json",
                       "network_data.json", "vendor_data2.json"]
    assert t.get(http, "/openstack/2012-08-10/").text.split("\n") == ["meta_data.json",
                                                                      "user_data"]
    assert t.get(http, "/openstack/2012-08-10/network_data.json").status_code == 404
    assert t.get(http, "/openstack/2015-10-15/network_data.json").status_code == 200
    assert t.get(http, "/openstack/1999-01-01/meta_data.json").status_code == 404
    assert "latest" in t.get(http, "/openstack").text.split("\n")

    net = t.get(http, "/openstack/latest/network_data.json").json()
    tap = f"tap{t.port['id'][:11]}"
    assert net["links"] == [{"id": tap, "vif_id": t.port["id"], "type": "tap",
                             "mtu": t.network["mtu"],
                             "ethernet_mac_address": t.port["mac_address"]}]
    assert net["networks"] == [{"id": "network0", "type": "ipv4_dhcp", "link": tap,
                                "network_id": t.network["id"]}]
    assert net["services"] == [{"type": "dns", "address": "10.0.0.53"}]


def test_network_data_of_a_static_subnet_and_two_ports(api: Api, servers: Servers,
                                                       http: httpx.Client) -> None:
    t = Tenant(api, servers, "two")
    other = t.neutron.network(name="second")
    subnet = t.neutron.subnet(other["id"], "10.1.0.0/24", enable_dhcp=False,
                              host_routes=[{"destination": "192.168.0.0/16",
                                            "nexthop": "10.1.0.254"}])
    second = t.neutron.make("port", network_id=other["id"], device_id=t.server_id,
                            device_owner="compute:nova",
                            fixed_ips=[{"subnet_id": subnet["id"], "ip_address": "10.1.0.7"}])
    net = t.get(http, "/openstack/latest/network_data.json").json()
    assert [link["vif_id"] for link in net["links"]] == [t.port["id"], second["id"]]
    static = net["networks"][1]
    assert static == {
        "id": "network1", "type": "ipv4", "link": f"tap{second['id'][:11]}",
        "network_id": other["id"], "ip_address": "10.1.0.7", "netmask": "255.255.255.0",
        "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.1.0.1"},
                   {"network": "192.168.0.0", "netmask": "255.255.0.0",
                    "gateway": "10.1.0.254"}],
        "services": []}
    # The same guest asking through its second network is the same server.
    r = as_guest(http, "/openstack/latest/meta_data.json", "10.1.0.7", network_id=other["id"])
    assert r.json()["uuid"] == t.server_id


def test_ec2_paths(api: Api, servers: Servers, http: httpx.Client) -> None:
    t = Tenant(api, servers, "ec2vm")
    keypair(servers, t.token)
    # As a user does it: a port with the address wanted, then the server on that port.
    port = t.neutron.make("port", network_id=t.network["id"],
                          fixed_ips=[{"subnet_id": t.subnet["id"], "ip_address": "10.0.0.9"}])
    assert port["project_id"] == t.project_id
    sid = servers.active(t.token, name="keyed", key_name="k1",
                         networks=[{"port": port["id"]}])

    def get(path: str) -> httpx.Response:
        return as_guest(http, path, "10.0.0.9", network_id=t.network["id"])

    assert "latest" in get("/").text.split("\n")
    assert get("/latest/").text.split("\n") == ["meta-data/"]          # no user data
    assert get("/latest/user-data").status_code == 404
    listing = get("/latest/meta-data/").text.split("\n")
    for key in ("ami-id", "hostname", "instance-id", "instance-type", "local-hostname",
                "local-ipv4", "placement/", "public-keys/", "reservation-id",
                "security-groups"):
        assert key in listing, (key, listing)
    assert "public-ipv4" not in listing          # no floating IP
    with servers.nova.api.cloud.compute_ports.uow() as uow:
        server = uow.servers.get(sid)
        assert server is not None
        number, reservation = server.number, server.reservation_id
    assert get("/latest/meta-data/instance-id").text == f"i-{number:08x}"
    assert get("/latest/meta-data/local-ipv4").text == "10.0.0.9"
    assert get("/latest/meta-data/hostname").text == "keyed"
    assert get("/latest/meta-data/local-hostname").text == "keyed"
    assert get("/latest/meta-data/instance-type").text == "m1.tiny"
    assert get("/latest/meta-data/reservation-id").text == (reservation or "")
    assert get("/latest/meta-data/ami-id").text.startswith("ami-")
    assert get("/latest/meta-data/placement/").text == "availability-zone"
    assert get("/latest/meta-data/placement/availability-zone").text == "nova"
    assert get("/latest/meta-data/public-keys/").text == "0=k1"
    assert get("/latest/meta-data/public-keys/0/").text == "openssh-key"
    assert get("/latest/meta-data/public-keys/0/openssh-key").text == KEY
    assert get("/latest/meta-data/public-ipv4").status_code == 404
    assert get("/latest/meta-data/nothing").status_code == 404
    assert get("/2009-04-04/meta-data/hostname").text == "keyed"
    assert get("/1999-01-01/meta-data/hostname").status_code == 404
    meta = get("/openstack/latest/meta_data.json").json()
    assert meta["public_keys"] == {"k1": KEY}
    assert meta["keys"] == [{"name": "k1", "type": "ssh", "data": KEY}]


def test_same_address_in_two_projects(api: Api, servers: Servers, http: httpx.Client) -> None:
    """Two projects, each a network 10.0.0.0/24 with a guest at 10.0.0.5: each request is
    answered with the server of the network it came through, never the other."""
    first = Tenant(api, servers, "first")
    second = Tenant(api, servers, "second")
    assert first.get(http, "/openstack/latest/meta_data.json").json()["uuid"] == \
        first.server_id
    meta = second.get(http, "/openstack/latest/meta_data.json").json()
    assert meta["uuid"] == second.server_id and meta["project_id"] == second.project_id
    assert second.get(http, "/latest/meta-data/hostname").text == "second"


def test_unknown_guests_get_404(api: Api, servers: Servers, http: httpx.Client) -> None:
    t = Tenant(api, servers, "known")
    path = "/openstack/latest/meta_data.json"
    for address in ("10.0.0.6", "10.0.0.5x", "::1"):
        assert as_guest(http, path, address, network_id=t.network["id"]).status_code == 404
    assert as_guest(http, path, "10.0.0.5", network_id="no-such-net").status_code == 404
    assert as_guest(http, path, "10.0.0.5", router_id="no-such-router").status_code == 404
    # Not through a proxy: no identity, both, or a list of addresses.
    assert http.get(path).status_code == 400
    assert as_guest(http, path, "10.0.0.5", network_id=t.network["id"],
                    router_id="r").status_code == 400
    assert as_guest(http, path, "10.0.0.5, 10.0.0.6",
                    network_id=t.network["id"]).status_code == 400
    # A port that is not a server's (the DHCP port, a bare port) is nobody.
    bare = t.neutron.make("port", network_id=t.network["id"],
                          fixed_ips=[{"subnet_id": t.subnet["id"], "ip_address": "10.0.0.8"}])
    assert bare["device_id"] == ""
    assert as_guest(http, path, "10.0.0.8", network_id=t.network["id"]).status_code == 404


def test_a_port_naming_another_projects_server_reveals_nothing(
        api: Api, servers: Servers, http: httpx.Client) -> None:
    victim = Tenant(api, servers, "victim")
    attacker = Tenant(api, servers, "attacker")
    # device_id is whatever the port's owner writes: it names the victim's server.
    rogue = attacker.neutron.make("port", network_id=attacker.network["id"],
                                  device_id=victim.server_id, device_owner="compute:nova",
                                  fixed_ips=[{"subnet_id": attacker.subnet["id"],
                                              "ip_address": "10.0.0.66"}])
    assert rogue["device_id"] == victim.server_id
    r = as_guest(http, "/openstack/latest/meta_data.json", "10.0.0.66",
                 network_id=attacker.network["id"])
    assert r.status_code == 404
    assert victim.server_id not in r.text


def test_deleted_server_is_nobody(api: Api, servers: Servers, http: httpx.Client) -> None:
    t = Tenant(api, servers, "gone")
    with api.cloud.compute_ports.uow(write=True) as uow:
        server = uow.servers.get(t.server_id)
        assert server is not None
        server.deleted = True
        uow.commit()
    assert t.get(http, "/openstack/latest/meta_data.json").status_code == 404


def test_through_a_router(api: Api, servers: Servers, http: httpx.Client) -> None:
    """A router's interface ports (made here as the router branch will: device_owner
    network:router_interface, device_id the router) name the subnets it reaches."""
    t = Tenant(api, servers, "routed")
    router_id = "8a1c6c1e-0000-4000-8000-000000000001"
    admin = Neutron(api)
    leg = admin.make("port", network_id=t.network["id"], device_id=router_id,
                     device_owner="network:router_interface", project_id=t.project_id,
                     fixed_ips=[{"subnet_id": t.subnet["id"], "ip_address": "10.0.0.1"}])
    assert leg["device_owner"] == "network:router_interface"
    r = as_guest(http, "/openstack/latest/meta_data.json", "10.0.0.5", router_id=router_id)
    assert r.status_code == 200, r.text
    assert r.json()["uuid"] == t.server_id
    # Another project's guest with the same address is not behind this router.
    other = Tenant(api, servers, "elsewhere")
    assert as_guest(http, "/latest/meta-data/hostname", other.address,
                    router_id=router_id).text == "routed"
    assert as_guest(http, "/latest/meta-data/hostname", "10.0.0.77",
                    router_id=router_id).status_code == 404


def test_the_socket_is_owner_only(api: Api, tmp_path: Path) -> None:
    assert api.cloud.metadata_socket == api.cloud.settings.state_dir / "metadata.sock"
    with serving(api.cloud) as path:
        mode = path.stat().st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
        # A second server on the same socket is refused while the first serves.
        with pytest.raises(SocketInUse):
            bind_unix(path)
    # A crash's leftover socket file is replaced.
    stale = bind_unix(tmp_path / "s.sock")
    stale.close()
    again = bind_unix(tmp_path / "s.sock")
    close_unix(again, tmp_path / "s.sock")
    assert not (tmp_path / "s.sock").exists()


def test_answers_are_json_where_openstack_says_so(api: Api, servers: Servers,
                                                  http: httpx.Client) -> None:
    t = Tenant(api, servers, "shapes")
    body = t.get(http, "/openstack/2013-04-04/meta_data.json").content
    assert json.loads(body)["uuid"] == t.server_id
    assert t.get(http, "/openstack/latest/user_data").status_code == 404   # none given


def test_an_address_another_port_may_send_from_names_nobody(
        api: Api, servers: Servers, http: httpx.Client) -> None:
    """An allowed address pair lets a second port send from a guest's address (anti-
    spoofing admits it): the address then names no single guest, so the metadata service
    answers nobody rather than hand the holder's user data and keys to the other port."""
    t = Tenant(api, servers, "holder", user_data=base64.b64encode(b"secret").decode())
    assert t.get(http, "/openstack/latest/user_data").content == b"secret"
    other = t.neutron.make("port", network_id=t.network["id"],
                           allowed_address_pairs=[{"ip_address": "10.0.0.0/28"}])
    for path in ("/openstack/latest/user_data", "/openstack/latest/meta_data.json",
                 "/latest/meta-data/instance-id"):
        assert t.get(http, path).status_code == 404, path
    # The pair gone, the address names its holder again.
    r = t.neutron.put(f"/ports/{other['id']}", {"port": {"allowed_address_pairs": []}})
    assert r.status_code == 200, r.text
    assert t.get(http, "/openstack/latest/user_data").content == b"secret"


def test_public_ipv4_is_the_floating_ip_while_associated(api: Api, servers: Servers,
                                                         http: httpx.Client) -> None:
    t = Tenant(api, servers, "floating")
    admin = Neutron(api)
    ext = admin.network(name="ext", **{"router:external": True})
    admin.subnet(ext["id"], "203.0.113.0/24", enable_dhcp=False)
    router = t.neutron.make("router", external_gateway_info={"network_id": ext["id"]})
    r = t.neutron.put(f"/routers/{router['id']}/add_router_interface",
                      {"subnet_id": t.subnet["id"]})
    assert r.status_code == 200, r.text
    fip = t.neutron.make("floatingip", floating_network_id=ext["id"],
                         port_id=t.port["id"])
    address = fip["floating_ip_address"]
    assert "public-ipv4" in t.get(http, "/latest/meta-data/").text.splitlines()
    assert t.get(http, "/latest/meta-data/public-ipv4").text == address
    # The same through the router's proxy.
    assert as_guest(http, "/latest/meta-data/public-ipv4", t.address,
                    router_id=router["id"]).text == address
    # Another project's guest at the same address has none.
    other = Tenant(api, servers, "grounded")
    assert other.get(http, "/latest/meta-data/public-ipv4").status_code == 404
    # Disassociated: the key goes, as Nova omits it.
    r = t.neutron.put(f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
    assert r.status_code == 200, r.text
    assert "public-ipv4" not in t.get(http, "/latest/meta-data/").text.splitlines()
    assert t.get(http, "/latest/meta-data/public-ipv4").status_code == 404


def test_network_data_shows_an_attached_port_and_not_a_detached_one(
        api: Api, servers: Servers, http: httpx.Client) -> None:
    """The config drive cannot change under a running guest; the metadata service's
    network_data.json follows os-interface at once."""
    t = Tenant(api, servers, "attach")
    other = t.neutron.network(name="attached")
    t.neutron.subnet(other["id"], "10.2.0.0/24")
    r = servers.nova.post(f"/servers/{t.server_id}/os-interface",
                          {"interfaceAttachment": {"net_id": other["id"]}}, t.token)
    assert r.status_code == 200, r.text
    port_id = r.json()["interfaceAttachment"]["port_id"]
    net = t.get(http, "/openstack/latest/network_data.json").json()
    assert [link["vif_id"] for link in net["links"]] == [t.port["id"], port_id]
    assert net["networks"][1]["network_id"] == other["id"]
    r = servers.nova.delete(f"/servers/{t.server_id}/os-interface/{port_id}", t.token)
    assert r.status_code == 202
    net = t.get(http, "/openstack/latest/network_data.json").json()
    assert [link["vif_id"] for link in net["links"]] == [t.port["id"]]
