"""The block storage answers against Tempest's own response schemas (volume API at its
default microversion, 3.0). Skipped when Tempest is not installed."""

from __future__ import annotations

import importlib

import httpx
import pytest

from nuage.ports import volume_agent as agent
from tests.api.conftest import Api
from tests.api.volume_support import Cinder

pytest.importorskip("tempest")
from tempest.lib.common.rest_client import RestClient


class Resp(dict[str, str]):
    def __init__(self, r: httpx.Response) -> None:
        super().__init__({k.lower(): v for k, v in r.headers.items()})
        self.status = r.status_code


def check(module: str, schema: str, r: httpx.Response) -> None:
    found = importlib.import_module(f"tempest.lib.api_schema.response.volume.{module}")
    body = r.json() if r.content else None
    RestClient.validate_response(getattr(found, schema), Resp(r), body)


def test_volume_answers_match_tempests_schemas(api: Api) -> None:
    project = api.project()
    _, token = api.member_of(project["id"])
    cinder = Cinder(api, token)
    admin = Cinder(api)
    check("versions", "list_versions", api.http.get("/volume/"))
    r = cinder.post("/volumes", {"volume": {"size": 1, "name": "v"}})
    check("volumes", "create_volume", r)
    vid = r.json()["volume"]["id"]
    cinder.agent_record(vid, "creating", agent.Created(size_gb=1))
    check("volumes", "show_volume", cinder.get(f"/volumes/{vid}"))
    check("volumes", "show_volume", admin.get(f"/volumes/{vid}"))
    check("volumes", "list_volumes_no_detail", cinder.get("/volumes"))
    check("volumes", "list_volumes_with_detail", cinder.get("/volumes/detail"))
    check("volumes", "update_volume", cinder.put(f"/volumes/{vid}",
                                                 {"volume": {"name": "w"}}))
    check("volumes", "create_volume_metadata",
          cinder.post(f"/volumes/{vid}/metadata", {"metadata": {"a": "b"}}))
    check("volumes", "show_volume_metadata", cinder.get(f"/volumes/{vid}/metadata"))
    check("volumes", "show_volume_metadata_item", cinder.get(f"/volumes/{vid}/metadata/a"))
    check("volumes", "set_bootable_volume",
          cinder.action(vid, "os-set_bootable", {"bootable": True}))
    check("volumes", "reserve_volume", cinder.action(vid, "os-reserve"))
    check("volumes", "unreserve_volume", cinder.action(vid, "os-unreserve"))

    r = cinder.post("/snapshots", {"snapshot": {"volume_id": vid, "name": "s"}})
    check("snapshots", "create_snapshot", r)
    sid = r.json()["snapshot"]["id"]
    check("snapshots", "show_snapshot", cinder.get(f"/snapshots/{sid}"))
    check("snapshots", "list_snapshots_no_detail", cinder.get("/snapshots"))
    check("snapshots", "list_snapshots_with_detail", cinder.get("/snapshots/detail"))
    check("snapshots", "update_snapshot", cinder.put(f"/snapshots/{sid}",
                                                     {"snapshot": {"name": "t"}}))

    r = admin.post("/types", {"volume_type": {"name": "fast", "extra_specs": {"a": "b"}}})
    check("volume_types", "create_volume_type", r)
    tid = r.json()["volume_type"]["id"]
    check("volume_types", "show_volume_type", admin.get(f"/types/{tid}"))
    check("volume_types", "list_volume_types", cinder.get("/types"))
    check("volume_types", "list_volume_types_extra_specs", admin.get(f"/types/{tid}/extra_specs"))

    r = cinder.post("/backups", {"backup": {"volume_id": vid, "name": "b"}})
    check("backups", "create_backup", r)
    bid = r.json()["backup"]["id"]
    check("backups", "show_backup", cinder.get(f"/backups/{bid}"))
    check("backups", "list_backups_no_detail", cinder.get("/backups"))
    check("backups", "list_backups_with_detail", cinder.get("/backups/detail"))

    check("quotas", "show_quota_set", cinder.get(f"/os-quota-sets/{project['id']}"))
    check("quotas", "show_quota_set_usage",
          cinder.get(f"/os-quota-sets/{project['id']}", usage="true"))
    check("quotas", "update_quota_set",
          admin.put(f"/os-quota-sets/{project['id']}", {"quota_set": {"volumes": 5}}))
    check("limits", "show_limits", cinder.get("/limits"))
    check("extensions", "list_extensions", cinder.get("/extensions"))
    check("services", "list_services", admin.get("/os-services"))
    check("volumes", "delete_volume", cinder.delete(f"/volumes/{vid}", cascade="true"))
