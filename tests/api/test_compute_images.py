"""Nova's /images proxy at 2.1: Glance images in Nova's shape, filters, metadata as
properties."""

from __future__ import annotations

from tests.api.compute_support import Nova, assert_fault
from tests.api.conftest import Api
from tests.api.test_images import Glance

DETAIL_KEYS = {"id", "name", "status", "created", "updated", "links", "minDisk", "minRam",
               "progress", "metadata", "OS-EXT-IMG-SIZE:size"}



def test_list_show_and_metadata(api: Api, nova: Nova) -> None:
    glance = Glance(api)
    image = glance.create(name="proxied", disk_format="raw", container_format="bare",
                          min_ram=64, kind="web")
    glance.upload(image["id"], b"x" * 1024)

    r = nova.get(f"/images/{image['id']}")
    assert r.status_code == 200, r.text
    shown = r.json()["image"]
    assert set(shown) == DETAIL_KEYS
    assert (shown["status"], shown["progress"], shown["minRam"]) == ("ACTIVE", 100, 64)
    assert shown["metadata"] == {"kind": "web"}
    assert [link["rel"] for link in shown["links"]] == ["self", "bookmark", "alternate"]

    r = nova.get("/images", params={"name": "proxied", "status": "ACTIVE"})
    assert [i["id"] for i in r.json()["images"]] == [image["id"]]
    assert set(r.json()["images"][0]) == {"id", "name", "links"}
    bigger = nova.get("/images/detail", params={"minRam": "128"}).json()["images"]
    assert image["id"] not in [i["id"] for i in bigger]

    r = nova.post(f"/images/{image['id']}/metadata", {"metadata": {"os": "linux"}})
    assert r.json()["metadata"] == {"kind": "web", "os": "linux"}
    r = nova.put(f"/images/{image['id']}/metadata", {"metadata": {"only": "this"}})
    assert r.json()["metadata"] == {"only": "this"}
    assert nova.get(f"/images/{image['id']}/metadata/only").json() == {"meta": {"only": "this"}}
    r = nova.put(f"/images/{image['id']}/metadata/other", {"meta": {"only": "x"}})
    assert_fault(r, 400, "badRequest")
    assert nova.delete(f"/images/{image['id']}/metadata/only").status_code == 204
    assert_fault(nova.delete(f"/images/{image['id']}/metadata/only"), 404, "itemNotFound")

    assert nova.delete(f"/images/{image['id']}").status_code == 204
    assert_fault(nova.get(f"/images/{image['id']}"), 404, "itemNotFound")
    assert_fault(nova.delete("/images/"), 404, "itemNotFound")


def test_the_proxy_is_gone_from_2_36(nova: Nova) -> None:
    """Nova's image proxy stops at 2.35, its metadata calls at 2.38."""
    glance = Glance(nova.api)
    image = glance.create(name="i", disk_format="raw", container_format="bare")["id"]
    assert nova.at("2.35").get("/images").status_code == 200
    for path in ("/images", "/images/detail", f"/images/{image}"):
        assert nova.at("2.36").get(path).status_code == 404
    assert nova.at("2.36").delete(f"/images/{image}").status_code == 404
    assert nova.at("2.38").get(f"/images/{image}/metadata").status_code == 200
    assert nova.at("2.39").get(f"/images/{image}/metadata").status_code == 404
    assert nova.get(f"/images/{image}").status_code == 200
