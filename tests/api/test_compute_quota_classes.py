"""os-quota-class-sets: the default quotas are stored and editable by administrators, and
projects without their own quota follow them."""

from __future__ import annotations

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault

CLASS_KEYS = {"instances", "cores", "ram", "key_pairs", "metadata_items", "floating_ips",
              "fixed_ips", "security_groups", "security_group_rules", "injected_files",
              "injected_file_content_bytes", "injected_file_path_bytes"}


def test_show_and_update_the_default_class(nova: Nova) -> None:
    r = nova.get("/os-quota-class-sets/default")
    assert r.status_code == 200, r.text
    shown = r.json()["quota_class_set"]
    assert shown.pop("id") == "default"
    assert set(shown) == CLASS_KEYS and shown["instances"] == 10
    raised = {k: v + 100 for k, v in shown.items()}
    r = nova.put("/os-quota-class-sets/default", {"quota_class_set": raised})
    assert r.status_code == 200, r.text
    assert r.json()["quota_class_set"] == raised
    assert nova.get("/os-quota-class-sets/default").json()["quota_class_set"] == {
        "id": "default", **raised}
    # os-quota-sets defaults and a project without its own row follow the class.
    _, token = nova.member()
    defaults = nova.get("/os-quota-sets/x/defaults", token).json()["quota_set"]
    assert defaults["instances"] == 110
    # The network keys are the network service's (its defaults), whatever the class says.
    assert defaults["floating_ips"] == 50
    limits = nova.get("/limits", token).json()["limits"]["absolute"]
    assert limits["maxTotalInstances"] == 110 and limits["maxTotalCores"] == 120
    events = [e for e in nova.api.events() if e["action"] == "compute.quota_class.update"]
    assert events and events[0]["target"] == {"type": "quota_class", "id": "default"}


def test_the_default_class_is_enforced(nova: Nova, servers: Servers) -> None:
    project, token = nova.member()
    assert nova.put("/os-quota-class-sets/default",
                    {"quota_class_set": {"instances": 1}}).status_code == 200
    servers.create(token)
    assert_fault(nova.post("/servers", {"server": {
        "name": "vm2", "imageRef": servers.image_id, "flavorRef": "1"}}, token), 403,
        "forbidden")
    # A project's own quota still wins over the class.
    assert nova.put(f"/os-quota-sets/{project}",
                    {"quota_set": {"instances": 3}}).status_code == 200
    servers.create(token)


def test_quota_class_errors(nova: Nova) -> None:
    _, token = nova.member()
    assert_fault(nova.get("/os-quota-class-sets/default", token), 403, "forbidden")
    assert_fault(nova.put("/os-quota-class-sets/default",
                          {"quota_class_set": {"instances": 5}}, token), 403, "forbidden")
    for bad in ({"instances": -2}, {"instances": "many"}, {"bogus": 1}, {"cores": True}):
        assert_fault(nova.put("/os-quota-class-sets/default", {"quota_class_set": bad}),
                     400, "badRequest")
    assert_fault(nova.put("/os-quota-class-sets/default", {"quota_set": {}}), 400,
                 "badRequest")
    assert nova.get("/os-quota-class-sets/default").json()["quota_class_set"]["instances"] == 10
