"""Keystone's project list filters (tags, tags-any, not-tags, name, paging): parsed in
api/openstack/identity/requests.py since issue 9, answered as before."""

from __future__ import annotations

import uuid

from tests.api.conftest import Api, assert_error


def test_project_tag_filters_name_filter_and_paging(api: Api) -> None:
    mark = uuid.uuid4().hex[:8]
    tags = {"a": ["red", mark], "b": ["red", "blue", mark], "c": ["green", mark]}
    ids = {}
    for key, its in tags.items():
        project = api.project(f"{key}-{mark}")
        ids[key] = project["id"]
        r = api.http.put(f"/identity/v3/projects/{project['id']}/tags",
                         json={"tags": its}, headers=api.h(None))
        assert r.status_code == 200, r.text

    def names(**params: str) -> list[str]:
        r = api.get("/projects", params=params)
        assert r.status_code == 200, r.text
        return sorted(p["name"][0] for p in r.json()["projects"]
                      if p["name"].endswith(mark))

    assert names(tags=mark) == ["a", "b", "c"]
    assert names(tags=f"red,{mark}") == ["a", "b"]
    assert names(**{"tags-any": "blue,green"}) == ["b", "c"]
    assert names(tags=mark, **{"not-tags": "red"}) == ["c"]
    assert names(name=f"b-{mark}") == ["b"]
    page = api.get("/projects", params={"tags": mark, "limit": "2"}).json()
    assert len(page["projects"]) == 2 and page["links"]["next"]
    assert_error(api.get("/projects", params={"limit": "x"}), 400)
