"""Two projects on the Neutron API: each sees only its own and the shared networks, cannot
reach into the other's, and overlapping ranges live side by side."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.network_support import Neutron, neutron_error


def test_two_projects_are_isolated(api: Api) -> None:
    a, b = api.project(), api.project()
    alice = Neutron(api, api.member_of(a["id"])[1])
    bob = Neutron(api, api.member_of(b["id"])[1])
    net_a = alice.network(name="a")
    net_b = bob.network(name="b")
    sub_a = alice.subnet(net_a["id"], "10.0.0.0/24")
    sub_b = bob.subnet(net_b["id"], "10.0.0.0/24")           # the same range, each its own
    port_a = alice.make("port", network_id=net_a["id"])
    port_b = bob.make("port", network_id=net_b["id"])
    assert port_a["fixed_ips"][0]["ip_address"] == port_b["fixed_ips"][0]["ip_address"]

    assert [n["id"] for n in alice.get("/networks").json()["networks"]] == [net_a["id"]]
    assert [s["id"] for s in alice.get("/subnets").json()["subnets"]] == [sub_a["id"]]
    assert [p["id"] for p in alice.get("/ports").json()["ports"]] == [port_a["id"]]
    # Another project's things are absent, not forbidden.
    neutron_error(alice.get(f"/networks/{net_b['id']}"), 404, "NetworkNotFound")
    neutron_error(alice.get(f"/subnets/{sub_b['id']}"), 404, "SubnetNotFound")
    neutron_error(alice.get(f"/ports/{port_b['id']}"), 404, "PortNotFound")
    neutron_error(alice.put(f"/networks/{net_b['id']}", {"network": {"name": "x"}}), 404,
                  "NetworkNotFound")
    neutron_error(alice.delete(f"/ports/{port_b['id']}"), 404, "PortNotFound")
    # A port on the other project's (unshared) network: refused as Neutron does.
    neutron_error(alice.post("/ports", {"port": {"network_id": net_b["id"]}}), 404,
                  "NetworkNotFound")
    neutron_error(alice.post("/subnets", {"subnet": {"network_id": net_b["id"],
                                                     "cidr": "10.1.0.0/24",
                                                     "ip_version": 4}}), 404,
                  "NetworkNotFound")
    neutron_error(alice.get(f"/quotas/{b['id']}"), 403, "PolicyNotAuthorized")


def test_a_shared_network_is_seen_and_used_not_owned(api: Api) -> None:
    admin = Neutron(api)
    shared = admin.network(name="shared", shared=True)
    subnet = admin.subnet(shared["id"], "10.20.0.0/24")
    project = api.project()
    user = Neutron(api, api.member_of(project["id"])[1])
    assert [n["id"] for n in user.get("/networks", shared="true").json()["networks"]] == [
        shared["id"]]
    assert user.get(f"/subnets/{subnet['id']}").status_code == 200
    port = user.make("port", network_id=shared["id"])
    assert port["project_id"] == project["id"]
    neutron_error(user.put(f"/networks/{shared['id']}", {"network": {"name": "mine"}}), 403,
                  "PolicyNotAuthorized")
    neutron_error(user.delete(f"/subnets/{subnet['id']}"), 403, "PolicyNotAuthorized")
    # The admin sees it all, with bindings.
    seen = admin.get(f"/ports/{port['id']}").json()["port"]
    assert seen["binding:host_id"] == "" and seen["binding:vif_type"] == "unbound"
