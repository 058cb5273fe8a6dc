"""/limits and os-quota-sets: shapes, usage counted from servers and keypairs, enforcement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from nuage.api.openstack.compute.errors import WORDING
from nuage.domain.compute import Server
from nuage.domain.compute_errors import ComputeFault, OverLimit
from tests.api.compute_support import Nova, assert_fault
from tests.api.test_compute_keypairs import public_key

ABSOLUTE = {"maxImageMeta", "maxPersonality", "maxPersonalitySize", "maxSecurityGroupRules",
            "maxSecurityGroups", "maxServerMeta", "maxTotalCores", "maxTotalFloatingIps",
            "maxTotalInstances", "maxTotalKeypairs", "maxTotalRAMSize", "totalCoresUsed",
            "totalFloatingIpsUsed", "totalInstancesUsed", "totalRAMUsed",
            "totalSecurityGroupsUsed"}
OPTIONAL = {"maxServerGroups", "maxServerGroupMembers", "totalServerGroupsUsed"}
QUOTA_KEYS = {"instances", "cores", "ram", "floating_ips", "fixed_ips", "metadata_items",
              "key_pairs", "security_groups", "security_group_rules", "injected_files",
              "injected_file_content_bytes", "injected_file_path_bytes", "server_groups",
              "server_group_members"}




def add_server(nova: Nova, project_id: str, vcpus: int, ram: int,
               deleted: bool = False) -> None:
    """A server row as the servers service records it (only what usage reads matters)."""
    now = datetime.now(UTC)
    with nova.api.cloud.compute.quotas.p.uow(write=True) as uow:
        number = uow.compute.next_server_number()
        uow.servers.add(Server(
            id=str(uuid.uuid4()), name="s", project_id=project_id, user_id="u",
            image_id=str(uuid.uuid4()), flavor_id="1",
            flavor={"id": "1", "vcpus": vcpus, "ram": ram, "disk": 1}, vm_state="active",
            created_at=now, updated_at=now, number=number, deleted=deleted))
        uow.commit()


def test_limits_shape_and_usage(nova: Nova) -> None:
    project, token = nova.member()
    r = nova.get("/limits", token)
    assert r.status_code == 200, r.text
    limits = r.json()["limits"]
    assert set(limits) == {"absolute", "rate"} and limits["rate"] == []
    absolute = limits["absolute"]
    assert ABSOLUTE <= set(absolute) <= ABSOLUTE | OPTIONAL
    assert all(isinstance(v, int) for v in absolute.values())
    assert (absolute["maxTotalInstances"], absolute["maxTotalCores"],
            absolute["maxTotalRAMSize"], absolute["maxTotalKeypairs"]) == (10, 20, 51200, 100)
    assert absolute["totalInstancesUsed"] == 0

    add_server(nova, project, 2, 512)
    add_server(nova, project, 1, 256)
    add_server(nova, project, 8, 4096, deleted=True)
    absolute = nova.get("/limits", token).json()["limits"]["absolute"]
    assert (absolute["totalInstancesUsed"], absolute["totalCoresUsed"],
            absolute["totalRAMUsed"]) == (2, 3, 768)
    # An admin may read another project's; a member may not.
    other = nova.get("/limits", params={"tenant_id": project}).json()["limits"]["absolute"]
    assert other["totalCoresUsed"] == 3
    assert_fault(nova.get("/limits", token, params={"tenant_id": nova.api.admin_project_id}),
                 403, "forbidden")


def test_quota_sets(nova: Nova) -> None:
    project, token = nova.member()
    r = nova.get(f"/os-quota-sets/{project}", token)
    assert r.status_code == 200, r.text
    qs = r.json()["quota_set"]
    assert set(qs) == QUOTA_KEYS | {"id"} and qs["id"] == project
    assert nova.get(f"/os-quota-sets/{project}/defaults", token).json()["quota_set"][
        "instances"] == 10

    r = nova.put(f"/os-quota-sets/{project}", {"quota_set": {"cores": 4, "instances": "3",
                                                             "floating_ips": 7}})
    assert r.status_code == 200, r.text
    updated = r.json()["quota_set"]
    assert set(updated) == QUOTA_KEYS
    assert (updated["cores"], updated["instances"]) == (4, 3)
    assert nova.get(f"/os-quota-sets/{project}", token).json()["quota_set"]["cores"] == 4
    assert nova.get("/limits", token).json()["limits"]["absolute"]["maxTotalCores"] == 4

    nova.post("/os-keypairs", {"keypair": {"name": "k", "public_key": public_key()}}, token)
    add_server(nova, project, 2, 256)
    detail = nova.get(f"/os-quota-sets/{project}/detail", token).json()["quota_set"]
    assert detail["id"] == project
    assert detail["cores"] == {"limit": 4, "in_use": 2, "reserved": 0}
    assert detail["key_pairs"]["in_use"] == 1

    # Not below usage unless forced; bad values; members may not change quotas.
    assert_fault(nova.put(f"/os-quota-sets/{project}", {"quota_set": {"cores": 1}}),
                 400, "badRequest")
    assert nova.put(f"/os-quota-sets/{project}", {"quota_set": {"cores": 1, "force": True}}
                    ).status_code == 200
    for bad in ({"cores": -2}, {"cores": "many"}, {"cores": True}, {"bogus": 1}):
        assert_fault(nova.put(f"/os-quota-sets/{project}", {"quota_set": bad}),
                     400, "badRequest")
    assert_fault(nova.put(f"/os-quota-sets/{project}", {"quota_set": {"cores": 99}}, token),
                 403, "forbidden")
    _, outsider = nova.member()
    assert_fault(nova.get(f"/os-quota-sets/{project}", outsider), 403, "forbidden")

    r = nova.delete(f"/os-quota-sets/{project}")
    assert r.status_code == 202
    assert nova.get(f"/os-quota-sets/{project}").json()["quota_set"]["cores"] == 20


def test_check_raises_over_limit(nova: Nova) -> None:
    project, _ = nova.member()
    quotas = nova.api.cloud.compute.quotas
    nova.put(f"/os-quota-sets/{project}", {"quota_set": {"cores": 20, "instances": 2}})
    add_server(nova, project, 19, 512)
    with quotas.p.uow() as uow:
        quotas.check(uow, project, instances=1, cores=1, ram=512)
        with pytest.raises(OverLimit) as refused:
            quotas.check(uow, project, instances=1, cores=2, ram=512)
    assert refused.value.fault is ComputeFault.QUOTA_RESOURCE_EXCEEDED
    assert refused.value.fields == {"resource": "cores", "requested": 2, "used": 19,
                                    "limit": 20}
    # Nova's words for it.
    assert refused.value.worded(WORDING) == ("Quota exceeded for cores: Requested 2, but "
                                             "already used 19 of 20 cores")
    add_server(nova, project, 1, 512)
    with quotas.p.uow() as uow, pytest.raises(OverLimit) as refused:
        quotas.check(uow, project, instances=1, cores=0, ram=0)
    assert refused.value.fields["resource"] == "instances"
    # -1 means unlimited.
    nova.put(f"/os-quota-sets/{project}", {"quota_set": {"instances": -1, "cores": -1}})
    with quotas.p.uow() as uow:
        quotas.check(uow, project, instances=5, cores=100, ram=1)
