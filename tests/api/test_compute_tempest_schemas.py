"""Each microversion's answers against Tempest's own response schemas for that version
(Tempest's server-tag and 2.21 tests need Neutron, so they skip against nuage: this runs
their schemas anyway). Skipped when Tempest is not installed."""

from __future__ import annotations

import importlib

import httpx
import pytest

from tests.api.compute_servers import HOST, Servers
from tests.api.compute_support import Nova
from tests.api.test_compute_keypairs import public_key

pytest.importorskip("tempest")
from tempest.lib.common.rest_client import RestClient

SERVER_VERSIONS = ["2.1", "2.3", "2.9", "2.16", "2.19", "2.26", "2.47", "2.54", "2.57",
                   "2.63", "2.71", "2.73", "2.75", "2.84", "2.89", "2.96", "2.98", "2.100"]


class Resp(dict[str, str]):
    def __init__(self, r: httpx.Response) -> None:
        super().__init__({k.lower(): v for k, v in r.headers.items()})
        self.status = r.status_code


def check(module: str, schema: str, r: httpx.Response) -> None:
    found = importlib.import_module(f"tempest.lib.api_schema.response.compute.{module}")
    body = r.json() if r.content else None
    RestClient.validate_response(getattr(found, schema), Resp(r), body)


def schemas(version: str) -> str:
    """Tempest's schema module for servers at `version` (it keeps one per change)."""
    return f"v2_{version.split('.')[1]}.servers"



@pytest.mark.parametrize("version", SERVER_VERSIONS)
def test_server_views_match_tempest(nova: Nova, version: str) -> None:
    servers = Servers(nova)
    v = nova.at(version)
    _, token = nova.member()
    sid = servers.active(token, user_data="aGk=")
    module = schemas(version)
    for who in (None, token):
        check(module, "get_server", v.get(f"/servers/{sid}", who))
        check(module, "list_servers_detail", v.get("/servers/detail", who))
        check(module, "list_servers", v.get("/servers", who))
    check(module, "update_server", v.put(f"/servers/{sid}", {"server": {"name": "n"}}, token))
    r = v.post(f"/servers/{sid}/action", {"rebuild": {"imageRef": servers.image_id}}, token)
    assert r.status_code == 202
    check(module, "rebuild_server", r)
    check(module, "list_instance_actions", v.get(f"/servers/{sid}/os-instance-actions"))
    for who in (None, token):
        listed = v.get(f"/servers/{sid}/os-instance-actions", who).json()["instanceActions"]
        check(module, "show_instance_action",
              v.get(f"/servers/{sid}/os-instance-actions/{listed[0]['request_id']}", who))


def test_tags_match_tempest(nova: Nova) -> None:
    v = nova.at("2.26")
    sid = Servers(nova).active()
    check("v2_26.servers", "update_tag", v.put(f"/servers/{sid}/tags/a", None))
    # Adding a tag the server has is 204 without Location, as Nova answers (Tempest's
    # schema wants Location on both, but its tests only add new tags).
    assert v.put(f"/servers/{sid}/tags/a", None).status_code == 204
    check("v2_26.servers", "check_tag_existence", v.get(f"/servers/{sid}/tags/a"))
    check("v2_26.servers", "update_all_tags", v.put(f"/servers/{sid}/tags", {"tags": ["b"]}))
    check("v2_26.servers", "list_tags", v.get(f"/servers/{sid}/tags"))
    check("v2_26.servers", "delete_tag", v.delete(f"/servers/{sid}/tags/b"))
    check("v2_26.servers", "delete_all_tags", v.delete(f"/servers/{sid}/tags"))


def test_keypairs_and_services_match_tempest(nova: Nova) -> None:
    v = nova.at("2.10")
    check("v2_2.keypairs", "create_keypair", v.post("/os-keypairs", {"keypair": {
        "name": "k", "public_key": public_key(), "type": "ssh"}}))
    check("v2_2.keypairs", "list_keypairs", v.get("/os-keypairs"))
    check("v2_2.keypairs", "get_keypair", v.get("/os-keypairs/k"))
    check("v2_2.keypairs", "delete_keypair", v.delete("/os-keypairs/k"))
    Servers(nova)
    s = nova.at("2.11")
    check("v2_11.services", "list_services", s.get("/os-services"))
    check("v2_11.services", "update_forced_down", s.put("/os-services/force-down", {
        "host": HOST, "binary": "nova-compute", "forced_down": True}))
    check("v2_11.services", "enable_disable_service", s.put("/os-services/enable", {
        "host": HOST, "binary": "nova-compute"}))
    r = s.put("/os-services/disable-log-reason", {"host": HOST, "binary": "nova-compute",
                                                   "disabled_reason": "disk swap"})
    check("v2_11.services", "disable_log_reason", r)
    assert s.get("/os-services?binary=nova-compute").json()["services"][0][
        "disabled_reason"] == "disk swap"
    s.put("/os-services/enable", {"host": HOST, "binary": "nova-compute"})
    assert s.get("/os-services?binary=nova-compute").json()["services"][0][
        "disabled_reason"] is None


def test_any_schema_left_is_a_dict(nova: Nova) -> None:
    # Guards the helper itself: a wrong body must fail validation.
    r = nova.get("/flavors")
    with pytest.raises(Exception, match="invalid"):
        check("v2_26.servers", "list_tags", r)



def test_instance_actions_page_from_2_58(nova: Nova) -> None:
    servers = Servers(nova)
    sid = servers.active()
    for name in ("a", "b"):
        assert nova.put(f"/servers/{sid}", {"server": {"name": name}}).status_code == 200
        assert nova.post(f"/servers/{sid}/action", {"lock": None}).status_code == 202
        assert nova.post(f"/servers/{sid}/action", {"unlock": None}).status_code == 202
    v = nova.at("2.58")
    everything = v.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in everything][-1] == "create" and len(everything) == 5
    page = v.get(f"/servers/{sid}/os-instance-actions?limit=2")
    check("v2_58.servers", "list_instance_actions", page)
    assert [a["request_id"] for a in page.json()["instanceActions"]] == [
        a["request_id"] for a in everything[:2]]
    marker = everything[1]["request_id"]
    rest = v.get(f"/servers/{sid}/os-instance-actions?marker={marker}").json()
    assert [a["request_id"] for a in rest["instanceActions"]] == [
        a["request_id"] for a in everything[2:]]
    assert v.get(f"/servers/{sid}/os-instance-actions?changes-since=2100-01-01T00:00:00Z"
                 ).json()["instanceActions"] == []
    assert v.get(f"/servers/{sid}/os-instance-actions?marker=nope").status_code == 400
    # Members see events from 2.51 (no traceback), and a host id from 2.62, not the host.
    _, token = nova.member()
    own = servers.active(token)
    rid = nova.at("2.62").get(f"/servers/{own}/os-instance-actions", token).json()[
        "instanceActions"][0]["request_id"]
    shown = nova.at("2.62").get(f"/servers/{own}/os-instance-actions/{rid}", token)
    check("v2_62.servers", "show_instance_action", shown)
    event = shown.json()["instanceAction"]["events"][0]
    assert "hostId" in event and "host" not in event and "traceback" not in event
    assert "events" not in nova.at("2.50").get(f"/servers/{own}/os-instance-actions/{rid}",
                                               token).json()["instanceAction"]


@pytest.mark.parametrize("version", ["2.1", "2.28", "2.33", "2.53"])
def test_hypervisors_match_tempest(nova: Nova, version: str) -> None:
    Servers(nova).active()
    v = nova.at(version)
    module = {"2.1": "v2_1", "2.28": "v2_28", "2.33": "v2_33", "2.53": "v2_53"}[version]
    hypervisors = f"{module}.hypervisors"
    check(hypervisors, "list_hypervisors_detail", v.get("/os-hypervisors/detail"))
    ident = v.get("/os-hypervisors").json()["hypervisors"][0]["id"]
    check(hypervisors, "get_hypervisor", v.get(f"/os-hypervisors/{ident}"))
    check(hypervisors, "get_hypervisor_statistics", v.get("/os-hypervisors/statistics"))
    if version == "2.53":
        check(hypervisors, "get_hypervisors_servers", v.get("/os-hypervisors?with_servers=1"))
        check(hypervisors, "list_search_hypervisors",
              v.get(f"/os-hypervisors?hypervisor_hostname_pattern={HOST}"))
    else:
        check(hypervisors, "list_search_hypervisors", v.get(f"/os-hypervisors/{HOST}/search"))
        check(hypervisors, "get_hypervisors_servers", v.get(f"/os-hypervisors/{HOST}/servers"))


def test_services_by_uuid_match_tempest(nova: Nova) -> None:
    Servers(nova)
    v = nova.at("2.53")
    listed = v.get("/os-services?binary=nova-compute")
    check("v2_53.services", "list_services", listed)
    sid = listed.json()["services"][0]["id"]
    r = v.put(f"/os-services/{sid}", {"status": "disabled", "disabled_reason": "maintenance"})
    check("v2_53.services", "update_service", r)
    assert r.json()["service"]["status"] == "disabled"
    assert r.json()["service"]["disabled_reason"] == "maintenance"
    listed = v.get("/os-services?binary=nova-compute").json()["services"][0]
    assert listed["disabled_reason"] == "maintenance"
    hypervisor = v.get("/os-hypervisors/detail").json()["hypervisors"][0]
    assert hypervisor["service"]["disabled_reason"] == "maintenance"
    assert v.put(f"/os-services/{sid}", {"status": "enabled", "disabled_reason": "x"}
                 ).status_code == 400
    r = v.put(f"/os-services/{sid}", {"forced_down": True, "status": "enabled"})
    check("v2_53.services", "update_service", r)
    assert r.json()["service"]["forced_down"] is True
    assert r.json()["service"]["status"] == "enabled"
    # The host-and-binary actions are gone from 2.53.
    assert v.put("/os-services/enable", {"host": HOST, "binary": "nova-compute"}
                 ).status_code == 404
    assert v.put("/os-services/nope", {"status": "enabled"}).status_code == 404


def test_flavors_match_tempest(nova: Nova) -> None:
    nova.post("/flavors", {"flavor": {"name": "t", "ram": 64, "vcpus": 1, "disk": 0,
                                      "id": "t1"}})
    for version, module in (("2.55", "v2_55"), ("2.61", "v2_61"), ("2.75", "v2_61")):
        v = nova.at(version)
        check(f"{module}.flavors", "list_flavors", v.get("/flavors"))
        check(f"{module}.flavors", "list_flavors_details", v.get("/flavors/detail"))
        check(f"{module}.flavors", "create_update_get_flavor_details", v.get("/flavors/t1"))


def test_hypervisors_from_2_88_and_os_hosts_gone_from_2_43(nova: Nova) -> None:
    Servers(nova)
    old = nova.at("2.87").get("/os-hypervisors/detail").json()["hypervisors"][0]
    assert old["cpu_info"] == {"accelerator": "tcg"} and old["vcpus"] == 8
    assert isinstance(nova.at("2.27").get("/os-hypervisors/detail").json()["hypervisors"][0][
        "cpu_info"], str)
    v = nova.at("2.88")
    slim = v.get("/os-hypervisors/detail").json()["hypervisors"][0]
    assert not {"vcpus", "memory_mb", "local_gb", "cpu_info", "running_vms",
                "current_workload"} & set(slim)
    shown = v.get(f"/os-hypervisors/{slim['id']}").json()["hypervisor"]
    assert "uptime" in shown
    assert v.get("/os-hypervisors/statistics").status_code == 404
    assert v.get(f"/os-hypervisors/{slim['id']}/uptime").status_code == 404
    assert nova.at("2.42").get("/os-hosts").status_code == 200
    assert nova.at("2.43").get("/os-hosts").status_code == 404


@pytest.mark.parametrize(("version", "limits", "quotas", "classes"), [
    ("2.36", "v2_36", "v2_36", "v2_1"), ("2.39", "v2_39", "v2_36", "v2_1"),
    ("2.50", "v2_39", "v2_36", "v2_50"), ("2.57", "v2_57", "v2_57", "v2_57")])
def test_limits_and_quotas_match_tempest(nova: Nova, version: str, limits: str,
                                         quotas: str, classes: str) -> None:
    v = nova.at(version)
    project, _ = nova.member()
    check(f"{limits}.limits", "get_limit", v.get("/limits"))
    check(f"{quotas}.quotas", "get_quota_set", v.get(f"/os-quota-sets/{project}"))
    check(f"{quotas}.quotas", "get_quota_set", v.get(f"/os-quota-sets/{project}/defaults"))
    check(f"{quotas}.quotas", "get_quota_set_details",
          v.get(f"/os-quota-sets/{project}/detail"))
    check(f"{quotas}.quotas", "update_quota_set",
          v.put(f"/os-quota-sets/{project}", {"quota_set": {"instances": 7}}))
    check(f"{classes}.quota_classes", "get_quota_class_set",
          v.get("/os-quota-class-sets/default"))
    check(f"{classes}.quota_classes", "update_quota_class_set",
          v.put("/os-quota-class-sets/default", {"quota_class_set": {"cores": 30}}))
    # A key the version dropped is an unexpected property.
    r = v.put(f"/os-quota-sets/{project}", {"quota_set": {"floating_ips": 3}})
    assert r.status_code == 400, r.text


def test_aggregates_match_tempest(nova: Nova) -> None:
    Servers(nova)
    v = nova.at("2.41")
    created = v.post("/os-aggregates", {"aggregate": {"name": "agg"}})
    check("v2_41.aggregates", "create_aggregate", created)
    aid = created.json()["aggregate"]["id"]
    check("v2_41.aggregates", "get_aggregate", v.get(f"/os-aggregates/{aid}"))
    check("v2_41.aggregates", "list_aggregates", v.get("/os-aggregates"))
    check("v2_41.aggregates", "aggregate_add_remove_host", v.post(
        f"/os-aggregates/{aid}/action", {"add_host": {"host": HOST}}))
    uuid = v.get(f"/os-aggregates/{aid}").json()["aggregate"]["uuid"]
    assert uuid == created.json()["aggregate"]["uuid"]
    assert "uuid" not in nova.at("2.40").get(f"/os-aggregates/{aid}").json()["aggregate"]
