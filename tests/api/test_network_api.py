"""Neutron v2.0 on the wire: discovery, extensions, resource shapes, status codes and the
NeutronError envelope with Neutron's exception names and words."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuage.api.openstack.common.body import MAX_BODY
from tests.api.conftest import Api, make_api
from tests.api.network_support import Neutron, neutron_error

NETWORK_KEYS = {"id", "name", "description", "project_id", "tenant_id", "status",
                "admin_state_up", "shared", "router:external", "mtu", "port_security_enabled",
                "subnets", "tags", "created_at", "updated_at", "revision_number", "is_default",
                "availability_zone_hints", "availability_zones", "ipv4_address_scope",
                "ipv6_address_scope", "l2_adjacency"}
PROVIDER = {"provider:network_type", "provider:physical_network", "provider:segmentation_id"}


@pytest.fixture
def neutron(api: Api) -> Neutron:
    return Neutron(api)


@pytest.fixture
def member(api: Api) -> Neutron:
    project = api.project()
    _, token = api.member_of(project["id"])
    return Neutron(api, token)


def test_version_discovery_and_resources(api: Api) -> None:
    r = api.http.get("/network/")
    assert r.status_code == 200
    (version,) = r.json()["versions"]
    assert (version["id"], version["status"]) == ("v2.0", "CURRENT")
    assert version["links"][0]["href"].endswith("/network/v2.0/")
    r = api.http.get("/network/v2.0/")
    names = {res["name"] for res in r.json()["resources"]}
    assert names >= {"network", "subnet", "port"}


def test_the_catalog_lists_neutron_unversioned(api: Api) -> None:
    r = api.http.post("/identity/v3/auth/tokens",
                      json=api.auth_body("admin", api.admin_password, api.admin_project_id))
    (entry,) = [s for s in r.json()["token"]["catalog"] if s["type"] == "network"]
    assert entry["name"] == "neutron"
    assert {e["url"] for e in entry["endpoints"]} == {"http://127.0.0.1:8800/network"}


def test_extensions_list_what_works_and_404_the_rest(neutron: Neutron) -> None:
    aliases = {e["alias"] for e in neutron.get("/extensions").json()["extensions"]}
    assert aliases >= {"external-net", "provider", "quotas", "binding", "port-security",
                       "standard-attr-tag", "pagination", "sorting", "project-id"}
    assert aliases >= {"router", "ext-gw-mode", "extraroute", "security-group",
                       "stateful-security-group"}
    assert "l3-flavors" not in aliases
    assert neutron.get("/extensions/provider").json()["extension"]["alias"] == "provider"
    # The CLI probes this one before setting a router gateway: it must 404 here.
    neutron_error(neutron.get("/extensions/external-gateway-multihoming"), 404, "NotFound")


def test_network_shape_for_a_member_and_for_an_admin(neutron: Neutron, member: Neutron
                                                     ) -> None:
    net = member.network(name="private")
    assert set(net) == NETWORK_KEYS                         # no provider:* for a member
    assert (net["status"], net["mtu"], net["shared"], net["router:external"]) == (
        "ACTIVE", 1450, False, False)
    assert net["project_id"] == net["tenant_id"]
    assert net["created_at"].endswith("Z") and net["revision_number"] == 0
    seen = neutron.get(f"/networks/{net['id']}").json()["network"]
    assert set(seen) == NETWORK_KEYS | PROVIDER
    assert seen["provider:network_type"] == "vxlan"
    assert isinstance(seen["provider:segmentation_id"], int)


def test_subnet_and_port_shapes(member: Neutron) -> None:
    net = member.network()
    subnet = member.subnet(net["id"], "10.10.0.0/24", name="s", dns_nameservers=["192.0.2.53"])
    assert subnet["gateway_ip"] == "10.10.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.10.0.2", "end": "10.10.0.254"}]
    assert subnet["ipv6_ra_mode"] is None and subnet["subnetpool_id"] is None
    assert member.get(f"/networks/{net['id']}").json()["network"]["subnets"] == [subnet["id"]]
    port = member.make("port", network_id=net["id"], name="p")
    assert port["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.10.0.2"}]
    assert port["mac_address"].startswith("fa:16:3e:")
    assert (port["status"], port["device_owner"], port["binding:vnic_type"]) == (
        "DOWN", "", "normal")
    assert "binding:host_id" not in port and "binding:profile" not in port
    # The project's default security group, made for it on this first port.
    (default,) = member.get("/security-groups", name="default").json()["security_groups"]
    assert port["security_groups"] == [default["id"]]
    assert port["allowed_address_pairs"] == []


def test_ipv6_slaac_subnet_round_trips(member: Neutron) -> None:
    net = member.network()
    v6 = member.subnet(net["id"], "2001:db8:5::/64", ipv6_ra_mode="slaac",
                       ipv6_address_mode="slaac")
    assert (v6["ip_version"], v6["ipv6_ra_mode"], v6["ipv6_address_mode"]) == (
        6, "slaac", "slaac")
    port = member.make("port", network_id=net["id"], mac_address="fa:16:3e:00:00:07")
    assert port["fixed_ips"] == [{"subnet_id": v6["id"],
                                  "ip_address": "2001:db8:5:0:f816:3eff:fe00:7"}]


def test_neutron_errors(member: Neutron) -> None:
    net = member.network()
    subnet = member.subnet(net["id"], "10.0.0.0/24")
    message = neutron_error(member.post("/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.0.0.128/25", "ip_version": 4}}), 400,
        "InvalidInput")
    assert message == (f"Invalid input for operation: Requested subnet with cidr: "
                       f"10.0.0.128/25 for network: {net['id']} overlaps with another subnet.")
    message = neutron_error(member.post("/ports", {"port": {
        "network_id": net["id"], "fixed_ips": [{"subnet_id": subnet["id"],
                                                "ip_address": "10.9.9.9"}]}}), 400,
        "InvalidIpForSubnet")
    assert message == "IP address 10.9.9.9 is not a valid IP for the specified subnet."
    member.make("port", network_id=net["id"], fixed_ips=[{"ip_address": "10.0.0.9"}])
    neutron_error(member.post("/ports", {"port": {
        "network_id": net["id"], "fixed_ips": [{"ip_address": "10.0.0.9"}]}}), 409,
        "IpAddressInUse")
    message = neutron_error(member.delete(f"/networks/{net['id']}"), 409, "NetworkInUse")
    assert message.startswith(f"Unable to complete operation on network {net['id']}.")
    missing = "0b6c6a53-7f0a-4d52-b2a3-2b9d1f2b36a1"
    message = neutron_error(member.get(f"/networks/{missing}"), 404, "NetworkNotFound")
    assert message == f"Network {missing} could not be found."
    neutron_error(member.get(f"/ports/{missing}"), 404, "PortNotFound")
    neutron_error(member.delete(f"/subnets/{missing}"), 404, "SubnetNotFound")
    message = neutron_error(member.post("/networks", {"network": {"shared": True}}), 403,
                            "PolicyNotAuthorized")
    assert message == "(rule:network:network:create_shared) is disallowed by policy"
    neutron_error(member.post("/networks", {"network": {"bogus": 1}}), 400, "HTTPBadRequest")
    neutron_error(member.post("/networks", {"network": {"id": "x"}}), 400, "HTTPBadRequest")
    neutron_error(member.post("/networks", {"network": {"admin_state_up": "maybe"}}), 400,
                  "HTTPBadRequest")
    neutron_error(member.put(f"/networks/{net['id']}", {"network": {"status": "DOWN"}}), 400,
                  "HTTPBadRequest")
    neutron_error(member.get("/nothing-here"), 404, "HTTPNotFound")


def test_no_token_is_a_401_with_the_keystone_pointer(api: Api) -> None:
    r = api.http.get("/network/v2.0/networks")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Keystone uri=")


def test_update_delete_and_the_revision(member: Neutron) -> None:
    net = member.network(name="a")
    r = member.put(f"/networks/{net['id']}", {"network": {"name": "b",
                                                          "description": "d"}})
    assert r.status_code == 200, r.text
    changed = r.json()["network"]
    assert (changed["name"], changed["description"], changed["revision_number"]) == (
        "b", "d", 1)
    assert member.delete(f"/networks/{net['id']}").status_code == 204
    neutron_error(member.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")


def test_admin_acts_for_a_project_and_sets_provider_attributes(api: Api, neutron: Neutron,
                                                               member: Neutron) -> None:
    project = api.project()
    net = neutron.network(tenant_id=project["id"], **{"provider:network_type": "vxlan",
                                                      "provider:segmentation_id": 4242})
    assert net["project_id"] == project["id"]
    assert net["provider:segmentation_id"] == 4242
    message = neutron_error(neutron.post("/networks", {"network": {
        "provider:network_type": "vxlan", "provider:segmentation_id": 4242}}), 409,
        "TunnelIdInUse")
    assert message == "Unable to create the network. The tunnel ID 4242 is in use."
    neutron_error(member.post("/networks", {"network": {"project_id": project["id"]}}), 403,
                  "PolicyNotAuthorized")
    neutron_error(neutron.post("/networks", {"network": {"project_id": "a",
                                                         "tenant_id": "b"}}), 400,
                  "HTTPBadRequest")


def test_quotas_on_the_wire(api: Api, neutron: Neutron, member: Neutron) -> None:
    project = api.project()
    r = neutron.get(f"/quotas/{project['id']}")
    assert r.json() == {"quota": {"network": 100, "subnet": 100, "port": 500,
                                  "security_group": 10, "security_group_rule": 100,
                                  "router": 10, "floatingip": 50, "subnetpool": -1}}
    # The CLI always sends check_limit (quota-check-limit).
    r = neutron.put(f"/quotas/{project['id']}", {"quota": {"network": 0,
                                                          "check_limit": False}})
    assert r.status_code == 200 and r.json()["quota"]["network"] == 0
    _, token = api.member_of(project["id"])
    limited = neutron.as_(token)
    message = neutron_error(limited.post("/networks", {"network": {}}), 409, "OverQuota")
    assert message == "Quota exceeded for resources: ['network']."
    details = limited.get(f"/quotas/{project['id']}/details").json()["quota"]
    assert details["network"] == {"limit": 0, "used": 0, "reserved": 0}
    neutron_error(limited.put(f"/quotas/{project['id']}", {"quota": {"network": 5}}), 403,
                  "PolicyNotAuthorized")
    assert neutron.delete(f"/quotas/{project['id']}").status_code == 204
    assert limited.get(f"/quotas/{project['id']}").json()["quota"]["network"] == 100


def test_tags(member: Neutron) -> None:
    net = member.network()
    path = f"/networks/{net['id']}/tags"
    assert member.put(f"{path}/red").status_code == 201
    r = member.put(path, {"tags": ["blue", "green"]})
    assert r.json() == {"tags": ["blue", "green"]}
    assert member.get(f"{path}/blue").status_code == 204
    neutron_error(member.get(f"{path}/red"), 404, "TagNotFound")
    assert member.delete(f"{path}/blue").status_code == 204
    assert member.get(path).json() == {"tags": ["green"]}
    assert [n["id"] for n in member.get("/networks", tags="green").json()["networks"]] == [
        net["id"]]
    assert member.get("/networks", **{"not-tags": "green"}).json()["networks"] == []
    assert member.delete(path).status_code == 204
    assert member.get(path).json() == {"tags": []}


def test_settings_choose_the_vni_range_mtu_and_quotas(tmp_path: Path) -> None:
    gen = make_api(tmp_path / "state", network_vni_min=5000, network_vni_max=5001,
                   network_underlay_mtu=9000, network_quota_networks=2)
    api = next(gen)
    try:
        neutron = Neutron(api)
        first = neutron.network()
        assert (first["provider:segmentation_id"], first["mtu"]) == (5000, 8950)
        assert neutron.network()["provider:segmentation_id"] == 5001
        neutron_error(neutron.post("/networks", {"network": {}}), 409, "OverQuota")
        neutron.put(f"/quotas/{api.admin_project_id}", {"quota": {"network": 10}})
        neutron_error(neutron.post("/networks", {"network": {}}), 503, "NoNetworkAvailable")
    finally:
        for _ in gen:
            pass


def test_bulk_create_is_all_or_none(member: Neutron) -> None:
    r = member.post("/networks", {"networks": [{"name": "b1"}, {"name": "b2"}]})
    assert r.status_code == 201, r.text
    made = r.json()["networks"]
    assert [n["name"] for n in made] == ["b1", "b2"]
    net = made[0]["id"]
    r = member.post("/subnets", {"subnets": [
        {"network_id": net, "cidr": "10.0.0.0/24", "ip_version": 4},
        {"network_id": net, "cidr": "10.0.0.0/25", "ip_version": 4}]})
    neutron_error(r, 400, "InvalidInput")
    assert member.get("/subnets", network_id=net).json()["subnets"] == []   # none kept
    member.subnet(net, "10.0.0.0/24")
    r = member.post("/ports", {"ports": [{"network_id": net}, {"network_id": net}]})
    assert r.status_code == 201 and len(r.json()["ports"]) == 2


def test_bodies_are_bounded_in_neutrons_envelope(api: Api) -> None:
    headers = {**api.h(), "Content-Type": "application/json"}
    deep = b'{"network": ' + b"[" * 100 + b"]" * 100 + b"}"
    r = api.http.post("/network/v2.0/networks", content=deep, headers=headers)
    neutron_error(r, 400, "HTTPBadRequest")
    r = api.http.post("/network/v2.0/networks", content=b" " * (MAX_BODY + 1), headers=headers)
    neutron_error(r, 413, "HTTPRequestEntityTooLarge")
    r = api.http.post("/network/v2.0/networks", content=b"{not json", headers=headers)
    neutron_error(r, 400, "HTTPBadRequest")
