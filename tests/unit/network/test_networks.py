"""Networks: segments allocated centrally, provider/shared/external for admins only,
visibility between projects, deletion refused while ports remain."""

from __future__ import annotations

import pytest

from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.network_errors import NetworkFault, Unavailable
from nuage.services.network.listing import ListQuery
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from nuage.services.network.routers import NewRouter
from tests.unit.network.conftest import Net


def test_a_project_network_gets_the_lowest_free_vxlan_segment(net: Net) -> None:
    first = net.network(name="one").network
    second = net.network(name="two").network
    assert (first.network_type, first.segmentation_id, first.mtu) == ("vxlan", 1, 1450)
    assert second.segmentation_id == 2
    net.s.networks.delete(net.alice, first.id)
    third = net.network(name="three").network
    assert third.segmentation_id == 1                 # a freed id is reused
    with net.uow() as uow:
        held = sorted(s.segmentation_id for s in uow.segments.find(network_type="vxlan"))
    assert held == [1, 2]


def test_segment_ids_stay_unique_until_the_range_is_exhausted(small: Net) -> None:
    ids = [small.network(small.admin, name=f"n{i}").network.segmentation_id for i in range(3)]
    assert ids == [10, 11, 12]
    with pytest.raises(Unavailable) as exc:
        small.network(small.admin)
    assert exc.value.fault is NetworkFault.NO_SEGMENT_AVAILABLE


def test_provider_attributes_are_the_admins(net: Net) -> None:
    with pytest.raises(Forbidden) as exc:
        net.network(network_type="vxlan", segmentation_id=77)
    assert exc.value.fields["action"] == "network:network:create_provider"
    made = net.network(net.admin, network_type="vxlan", segmentation_id=77).network
    assert made.segmentation_id == 77
    with pytest.raises(Conflict) as taken:
        net.network(net.admin, network_type="vxlan", segmentation_id=77)
    assert taken.value.fault is NetworkFault.SEGMENT_TAKEN
    flat = net.network(net.admin, network_type="flat", physical_network="public").network
    assert (flat.segmentation_id, flat.mtu) == (None, 1500)
    with pytest.raises(Conflict):
        net.network(net.admin, network_type="flat", physical_network="public")
    with pytest.raises(ValidationError) as bad:
        net.network(net.admin, network_type="vlan")
    assert bad.value.fault is NetworkFault.PROVIDER_INVALID


def test_shared_and_external_need_an_admin(net: Net) -> None:
    for kw, row in (({"shared": True}, "network:network:create_shared"),
                    ({"external": True}, "network:network:create_external")):
        with pytest.raises(Forbidden) as exc:
            net.network(**kw)
        assert exc.value.fields["action"] == row
    assert [e.outcome for e in net.events("network.network.create_shared")] == ["denied"]


def test_an_admin_creates_for_another_project_a_member_cannot(net: Net) -> None:
    made = net.network(net.admin, project_id="p-b").network
    assert made.project_id == "p-b"
    assert net.s.networks.get(net.bob, made.id).network.id == made.id
    with pytest.raises(Forbidden):
        net.network(net.alice, project_id="p-b")


def test_another_projects_network_is_invisible_unless_shared(net: Net) -> None:
    private = net.network(name="private").network
    shared = net.network(net.admin, name="shared", shared=True).network
    external = net.network(net.admin, name="ext", external=True).network
    with pytest.raises(NotFound):
        net.s.networks.get(net.bob, private.id)
    seen = {i.network.id for i in net.s.networks.list_networks(net.bob, ListQuery()).items}
    assert seen == {shared.id, external.id}
    every = {i.network.id for i in net.s.networks.list_networks(net.admin, ListQuery()).items}
    assert every == {private.id, shared.id, external.id}
    # Seeing a shared network is not owning it.
    with pytest.raises(Forbidden):
        net.s.networks.update(net.bob, shared.id, {"name": "mine"})
    with pytest.raises(NotFound):
        net.s.networks.delete(net.bob, private.id)


def test_update_bumps_the_revision_and_checks_the_mtu(net: Net) -> None:
    made = net.network(name="a").network
    changed = net.s.networks.update(net.alice, made.id, {"name": "b", "mtu": 1400}).network
    assert (changed.name, changed.mtu, changed.revision_number) == ("b", 1400, 1)
    with pytest.raises(ValidationError) as exc:
        net.s.networks.update(net.alice, made.id, {"mtu": 9000})
    assert exc.value.fault is NetworkFault.MTU_INVALID
    with pytest.raises(Forbidden):
        net.s.networks.update(net.alice, made.id, {"shared": True})


def test_a_network_with_ports_is_in_use_its_dhcp_port_is_not(net: Net) -> None:
    made = net.network().network
    net.subnet(made.id)
    dhcp = net.s.ports.create(net.alice, NewPort(network_id=made.id,
                                                  device_owner="network:dhcp"))
    vm = net.s.ports.create(net.alice, NewPort(network_id=made.id, device_owner="compute:nova"))
    with pytest.raises(Conflict) as exc:
        net.s.networks.delete(net.alice, made.id)
    assert exc.value.fault is NetworkFault.NETWORK_IN_USE
    assert exc.value.fields == {"network_id": made.id}
    net.s.ports.delete(net.alice, vm.id)
    net.s.networks.delete(net.alice, made.id)
    with net.uow() as uow:
        assert uow.ports.get(dhcp.id) is None
        assert uow.subnets.find(network_id=made.id) == []
        assert uow.ip_allocations.find(network_id=made.id) == []
        assert uow.segments.find(network_id=made.id) == []
    assert [e.target_id for e in net.events("network.network.delete")] == [made.id]


def test_unsharing_a_network_other_projects_use_is_refused(net: Net) -> None:
    shared = net.network(net.admin, shared=True).network
    net.subnet(shared.id, ctx=net.admin)
    net.s.ports.create(net.bob, NewPort(network_id=shared.id))
    with pytest.raises(Conflict) as exc:
        net.s.networks.update(net.admin, shared.id, {"shared": False})
    assert exc.value.fault is NetworkFault.NETWORK_SHARED_IN_USE


def test_a_create_is_audited_in_its_transaction(net: Net) -> None:
    made = net.s.networks.create(net.alice, NewNetwork(name="audited")).network
    (event,) = net.events("network.network.create")
    assert (event.target_id, event.project_id, event.outcome) == (made.id, "p-a", "success")
    assert event.detail["segmentation_id"] == made.segmentation_id


def test_bulk_create_undoes_what_it_made_when_one_is_refused(small: Net) -> None:
    small.network()
    small.network()
    # Three segment ids in all: the bulk's first item takes the last, its second fails.
    with pytest.raises(Unavailable) as exc:
        small.s.networks.create_many(small.alice, [NewNetwork(name=f"b{i}") for i in range(3)])
    assert exc.value.fault is NetworkFault.NO_SEGMENT_AVAILABLE
    with small.uow() as uow:
        assert len(uow.networks.find(project_id="p-a")) == 2
    assert len(small.events("network.network.delete")) == 1      # the undo is audited


def test_a_router_interface_keeps_its_network(net: Net) -> None:
    made = net.network().network
    net.subnet(made.id)
    router = net.s.routers.create(net.alice, NewRouter(name="r"))
    port = net.s.ports.create(net.alice, NewPort(network_id=made.id,
                                                  device_owner="network:router_interface",
                                                  device_id=router.id))
    with pytest.raises(Conflict):
        net.s.networks.delete(net.alice, made.id)
    net.s.routers.remove_interface(net.alice, router.id, port_id=port.id)
    net.s.networks.delete(net.alice, made.id)
