"""Glance v2 at /image, in process: wire shapes, status codes, visibility, data, inspection."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, make_api

V2 = "/image/v2"
PATCH21 = "application/openstack-images-v2.1-json-patch"
PATCH20 = "application/openstack-images-v2.0-json-patch"
OCTET = {"Content-Type": "application/octet-stream"}
QEMU_IMG = shutil.which("qemu-img")
needs_qemu_img = pytest.mark.skipif(QEMU_IMG is None, reason="qemu-img is not installed")


class Glance:
    def __init__(self, api: Api, token: str | None = None) -> None:
        self.api = api
        self.token = token or api.admin_token

    def h(self, **extra: str) -> dict[str, str]:
        return {"X-Auth-Token": self.token, **extra}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.h(), **kw.pop("headers", {})}
        r: httpx.Response = self.api.http.get(V2 + path, headers=headers, **kw)
        return r

    def post(self, path: str, body: Any = None) -> httpx.Response:
        r: httpx.Response = self.api.http.post(V2 + path, json=body, headers=self.h())
        return r

    def put(self, path: str, body: Any = None) -> httpx.Response:
        r: httpx.Response = self.api.http.put(V2 + path, json=body, headers=self.h())
        return r

    def delete(self, path: str) -> httpx.Response:
        r: httpx.Response = self.api.http.delete(V2 + path, headers=self.h())
        return r

    def patch(self, image_id: str, ops: list[dict[str, Any]], media: str = PATCH21
              ) -> httpx.Response:
        r: httpx.Response = self.api.http.patch(f"{V2}/images/{image_id}", json=ops,
                                                headers=self.h(**{"Content-Type": media}))
        return r

    def create(self, **body: Any) -> dict[str, Any]:
        body.setdefault("name", f"img-{uuid.uuid4().hex[:6]}")
        r = self.post("/images", body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def upload(self, image_id: str, data: bytes | Iterator[bytes],
               headers: dict[str, str] | None = None) -> httpx.Response:
        r: httpx.Response = self.api.http.put(f"{V2}/images/{image_id}/file", content=data,
                                              headers=self.h(**OCTET, **(headers or {})))
        return r

    def show(self, image_id: str) -> dict[str, Any]:
        r = self.get(f"/images/{image_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def names(self, **params: Any) -> list[str]:
        r = self.get("/images", params=params)
        assert r.status_code == 200, r.text
        return [i["name"] for i in r.json()["images"]]


@pytest.fixture
def glance(api: Api) -> Glance:
    return Glance(api)


def tenant(api: Api, role: str = "member") -> tuple[str, Glance]:
    project = api.project()
    _, token = api.member_of(project["id"], role)
    return project["id"], Glance(api, token)


def blob_files(api: Api) -> list[Path]:
    root = api.cloud.settings.state_dir / "image-blobs"
    return [p for p in root.rglob("*") if p.is_file()]


def assert_error(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(("application/json", "text/plain")), r.headers
    body = r.json()
    assert body["code"] == status and body["message"], body


def qemu_img(*args: str) -> None:
    assert QEMU_IMG is not None
    subprocess.run([QEMU_IMG, *args], check=True, capture_output=True)


def iso_bytes() -> bytes:
    data = bytearray(64 * 1024)
    data[32769:32774] = b"CD001"
    return bytes(data)


# -- discovery and schemas -------------------------------------------------------------------
def test_version_discovery(api: Api) -> None:
    r = api.http.get("/image")
    assert r.status_code == 300
    versions = r.json()["versions"]
    assert [v["id"] for v in versions] == [f"v2.{n}" for n in range(17, -1, -1)]
    assert versions[0]["status"] == "CURRENT"
    assert {v["status"] for v in versions[1:]} == {"SUPPORTED"}
    assert versions[0]["links"][0]["href"].endswith("/image/v2/")
    assert api.http.get("/image/").status_code == 300
    r = api.http.get("/image/v2/")
    assert r.status_code == 200 and r.json()["versions"]


def test_schemas(glance: Glance) -> None:
    for name in ("image", "images", "member", "members"):
        r = glance.get(f"/schemas/{name}")
        assert r.status_code == 200
        assert r.json()["name"] == name


def test_catalog_lists_glance(api: Api) -> None:
    r = api.http.post("/identity/v3/auth/tokens", json=api.auth_body(
        "admin", api.admin_password, api.admin_project_id))
    catalog = r.json()["token"]["catalog"]
    image = [s for s in catalog if s["type"] == "image"]
    assert image and image[0]["name"] == "glance"
    assert image[0]["endpoints"][0]["url"].endswith("/image")


# -- create and show ---------------------------------------------------------------------------
def test_create_returns_bare_queued_image(glance: Glance, api: Api) -> None:
    r = glance.post("/images", {
        "name": "cirros", "disk_format": "qcow2", "container_format": "bare",
        "owner_specified.openstack.md5": "", "owner_specified.openstack.object": "images/c"})
    assert r.status_code == 201, r.text
    img = r.json()
    assert uuid.UUID(img["id"])
    assert img["status"] == "queued" and img["visibility"] == "shared"
    assert img["protected"] is False and img["os_hidden"] is False
    for key in ("checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size"):
        assert img[key] is None
    assert img["owner"] == api.admin_project_id
    assert img["min_ram"] == 0 and img["min_disk"] == 0 and img["tags"] == []
    assert img["self"] == f"/v2/images/{img['id']}"
    assert img["file"] == f"/v2/images/{img['id']}/file"
    assert img["schema"] == "/v2/schemas/image"
    assert img["owner_specified.openstack.object"] == "images/c"
    assert img["created_at"].endswith("Z") and len(img["created_at"]) == 20
    assert glance.show(img["id"]) == img
    # Glance allows duplicate names.
    assert glance.post("/images", {"name": "cirros"}).status_code == 201


@pytest.mark.parametrize(("body", "status"), [
    ({"os_glance_import_task": "x"}, 403),
    ({"status": "active"}, 403),
    ({"checksum": "abc"}, 403),
    ({"size": 3}, 403),
    ({"deleted": "x"}, 403),
    ({"disk_format": "floppy"}, 400),
    ({"container_format": "zip"}, 400),
    ({"min_ram": -1}, 400),
    ({"min_disk": "1"}, 400),
    ({"protected": "yes"}, 400),
    ({"visibility": "everyone"}, 400),
    ({"tags": "a"}, 400),
    ({"custom": 3}, 400),
    ({"id": "not-a-uuid"}, 400),
])
def test_create_refuses_bad_input(glance: Glance, body: dict[str, Any], status: int) -> None:
    assert_error(glance.post("/images", {"name": "bad", **body}), status)


def test_create_bad_body_and_auth(api: Api, glance: Glance) -> None:
    r = api.http.post(f"{V2}/images", content=b"{not json",
                      headers=glance.h(**{"Content-Type": "application/json"}))
    assert_error(r, 400)
    assert_error(glance.post("/images", ["a"]), 400)
    r = api.http.post(f"{V2}/images", json={"name": "x"})
    assert_error(r, 401)
    r = api.http.get(f"{V2}/images", headers={"X-Auth-Token": "bogus"})
    assert r.status_code == 401
    image = glance.create()
    assert_error(glance.post("/images", {"id": image["id"]}), 409)


def test_public_only_by_admins(api: Api, glance: Glance) -> None:
    _, member = tenant(api)
    assert_error(member.post("/images", {"name": "p", "visibility": "public"}), 403)
    mine = member.create(visibility="private")
    assert_error(member.patch(mine["id"], [{"op": "replace", "path": "/visibility",
                                            "value": "public"}]), 403)
    assert member.create(visibility="community")["visibility"] == "community"
    assert glance.create(visibility="public")["visibility"] == "public"


def test_reader_reads_but_does_not_write(api: Api) -> None:
    project, member = tenant(api)
    _, reader_token = api.member_of(project, "reader")
    reader = Glance(api, reader_token)
    image = member.create()
    assert reader.show(image["id"])["id"] == image["id"]
    assert_error(reader.post("/images", {"name": "r"}), 403)
    assert_error(reader.delete(f"/images/{image['id']}"), 403)
    assert_error(reader.patch(image["id"], [{"op": "replace", "path": "/name",
                                              "value": "x"}]), 403)


def test_null_id_and_names_are_404(api: Api, glance: Glance) -> None:
    image = glance.create(name="by-name")
    assert_error(glance.get("/images/"), 404)
    assert_error(glance.delete("/images/"), 404)
    assert_error(glance.get("/images/by-name"), 404)
    assert_error(glance.get(f"/images/{uuid.uuid4()}"), 404)
    assert glance.names(name="by-name") == ["by-name"]
    assert glance.get("/images", params={"id": f"in:{image['id']},{uuid.uuid4()}"}
                      ).json()["images"][0]["id"] == image["id"]


# -- upload and download -----------------------------------------------------------------------
def test_upload_streams_hashes_encrypts_and_downloads(api: Api, glance: Glance) -> None:
    image = glance.create(disk_format="raw", container_format="bare")
    assert glance.get(f"/images/{image['id']}/file").status_code == 204
    marker = b"PLAINTEXT-MARKER-" * 64
    pieces = [marker + bytes([n]) * (256 * 1024) for n in range(12)]
    data = b"".join(pieces)
    r = glance.upload(image["id"], iter(pieces))
    assert r.status_code == 204 and r.content == b""
    shown = glance.show(image["id"])
    assert shown["status"] == "active"
    assert shown["size"] == len(data) == shown["virtual_size"]
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    # At rest: only ciphertext.
    files = blob_files(api)
    assert len(files) == 1
    assert marker not in files[0].read_bytes()

    r = glance.get(f"/images/{image['id']}/file")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-md5"] == shown["checksum"]
    assert r.headers["content-type"] == "application/octet-stream"
    r = glance.get(f"/images/{image['id']}/file", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == data[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(data)}"
    r = glance.get(f"/images/{image['id']}/file", headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == data[-10:]
    r = glance.get(f"/images/{image['id']}/file", headers={"Range": f"bytes={len(data)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(data)}"

    assert_error(glance.upload(image["id"], b"again"), 409)
    r = glance.delete(f"/images/{image['id']}")
    assert r.status_code == 204 and r.content == b""
    assert blob_files(api) == []


def test_upload_preconditions(api: Api, glance: Glance) -> None:
    bare = glance.create()
    assert_error(glance.upload(bare["id"], b"data"), 400)        # no disk/container format
    assert glance.show(bare["id"])["status"] == "queued"
    image = glance.create(disk_format="raw", container_format="bare")
    r = api.http.put(f"{V2}/images/{image['id']}/file", content=b"x",
                     headers=glance.h(**{"Content-Type": "text/plain"}))
    assert_error(r, 415)
    assert_error(glance.upload(str(uuid.uuid4()), b"x"), 404)
    # Fewer bytes than the declared size: refused, the image stays queued.
    assert_error(glance.upload(image["id"], b"abc",
                               headers={"X-OpenStack-Image-Size": "10"}), 400)
    assert glance.show(image["id"])["status"] == "queued"
    assert glance.upload(image["id"], b"abc").status_code == 204


def test_empty_image(glance: Glance) -> None:
    image = glance.create(disk_format="raw", container_format="bare")
    assert glance.upload(image["id"], b"").status_code == 204
    shown = glance.show(image["id"])
    assert shown["status"] == "active" and shown["size"] == 0
    r = glance.get(f"/images/{image['id']}/file")
    assert r.status_code == 200 and r.content == b""


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path / "capped", image_size_cap=1000)


def test_size_cap_is_413(capped: Api) -> None:
    api = capped
    glance = Glance(api)
    image = glance.create(disk_format="raw", container_format="bare")
    assert_error(glance.upload(image["id"], b"x" * 2000), 413)
    assert glance.show(image["id"])["status"] == "queued"
    assert_error(glance.upload(image["id"], iter([b"x" * 600, b"x" * 600])), 413)
    assert glance.show(image["id"])["status"] == "queued"
    assert blob_files(api) == []
    assert glance.upload(image["id"], b"x" * 1000).status_code == 204


@needs_qemu_img
def test_qcow2_is_inspected(api: Api, glance: Glance, tmp_path: Path) -> None:
    plain = tmp_path / "plain.qcow2"
    qemu_img("create", "-f", "qcow2", str(plain), "64M")
    image = glance.create(disk_format="qcow2", container_format="bare")
    assert glance.upload(image["id"], plain.read_bytes()).status_code == 204
    shown = glance.show(image["id"])
    assert shown["status"] == "active"
    assert shown["virtual_size"] == 64 * 1024 * 1024
    assert shown["size"] == plain.stat().st_size


@needs_qemu_img
def test_qcow2_with_backing_file_is_refused(api: Api, glance: Glance, tmp_path: Path) -> None:
    base = tmp_path / "base.qcow2"
    qemu_img("create", "-f", "qcow2", str(base), "16M")
    child = tmp_path / "x.qcow2"
    qemu_img("create", "-f", "qcow2", "-b", str(base), "-F", "qcow2", str(child))
    image = glance.create(disk_format="qcow2", container_format="bare")
    r = glance.upload(image["id"], child.read_bytes())
    assert_error(r, 400)
    assert "backing file" in r.json()["message"]
    # Refused data is discarded and the image waits for good data.
    shown = glance.show(image["id"])
    assert shown["status"] == "queued" and shown["size"] is None
    assert glance.get(f"/images/{image['id']}/file").status_code == 204
    assert blob_files(api) == []
    events = [e for e in api.events(action="image.upload") if e["target"]["id"] == image["id"]]
    assert [e["outcome"] for e in events] == ["failure"]


@needs_qemu_img
def test_qcow2_with_external_data_file_is_refused(glance: Glance, tmp_path: Path) -> None:
    image_path = tmp_path / "ext.qcow2"
    qemu_img("create", "-f", "qcow2", "-o", f"data_file={tmp_path / 'ext.raw'}",
             str(image_path), "16M")
    image = glance.create(disk_format="qcow2", container_format="bare")
    r = glance.upload(image["id"], image_path.read_bytes())
    assert_error(r, 400)
    assert "data file" in r.json()["message"]
    assert glance.show(image["id"])["status"] == "queued"


@needs_qemu_img
def test_declared_format_is_enforced(glance: Glance, tmp_path: Path) -> None:
    qcow = tmp_path / "q.qcow2"
    qemu_img("create", "-f", "qcow2", str(qcow), "16M")
    as_raw = glance.create(disk_format="raw", container_format="bare")
    assert_error(glance.upload(as_raw["id"], qcow.read_bytes()), 400)
    as_qcow = glance.create(disk_format="qcow2", container_format="bare")
    assert_error(glance.upload(as_qcow["id"], b"\0" * 100_000), 400)
    as_iso = glance.create(disk_format="iso", container_format="bare")
    assert_error(glance.upload(as_iso["id"], b"\0" * 100_000), 400)
    iso = glance.create(disk_format="iso", container_format="bare")
    assert glance.upload(iso["id"], iso_bytes()).status_code == 204
    raw_iso = glance.create(disk_format="raw", container_format="bare")
    assert glance.upload(raw_iso["id"], iso_bytes()).status_code == 204


# -- list, filters, sort, paging ---------------------------------------------------------------
def test_list_filters(api: Api) -> None:
    _, g = tenant(api)
    tag = uuid.uuid4().hex[:6]
    a = g.create(name="alpha", disk_format="raw", container_format="bare", tags=[tag],
                 min_ram=5, os_distro="debian")
    g.create(name="beta", disk_format="qcow2", container_format="ovf", protected=True)
    c = g.create(name="gamma", disk_format="raw", container_format="bare", os_hidden=True)
    g.upload(a["id"], b"x" * 100)
    assert sorted(g.names()) == ["alpha", "beta"]                 # hidden ones are not listed
    assert g.names(os_hidden="true") == ["gamma"]
    assert g.names(name="beta") == ["beta"]
    assert g.names(status="active") == ["alpha"]
    assert g.names(tag=tag) == ["alpha"]
    assert g.names(disk_format="qcow2") == ["beta"]
    assert g.names(container_format="bare") == ["alpha"]
    assert g.names(protected="true") == ["beta"]
    assert g.names(size_min=50) == ["alpha"]
    assert g.names(size_max=50) == []
    assert g.names(os_distro="debian") == ["alpha"]
    assert g.names(visibility="shared", sort="name:asc") == ["alpha", "beta"]
    assert g.names(owner=a["owner"], sort="name:desc") == ["beta", "alpha"]
    assert sorted(g.names(id=f"in:{a['id']},{c['id']}", os_hidden="true")) == ["gamma"]
    assert_error(g.get("/images", params={"visibility": "nobody"}), 400)
    assert_error(g.get("/images", params={"sort_key": "bogus"}), 400)
    assert_error(g.get("/images", params={"sort_dir": "sideways"}), 400)
    assert_error(g.get("/images", params={"limit": "-1"}), 400)
    assert_error(g.get("/images", params={"limit": "x"}), 400)
    assert_error(g.get("/images", params={"marker": str(uuid.uuid4())}), 400)
    assert_error(g.get("/images", params={"protected": "maybe"}), 400)


def test_list_sort_and_paging(api: Api) -> None:
    _, g = tenant(api)
    made = [g.create(name=f"img-{n:02d}") for n in range(7)]
    body = g.get("/images", params={"sort_key": "name", "sort_dir": "asc"}).json()
    assert [i["name"] for i in body["images"]] == [m["name"] for m in made]
    assert body["first"] == "/v2/images" and body["schema"] == "/v2/schemas/images"
    assert "next" not in body
    # Default order: newest first.
    assert g.names()[0] == "img-06" or len({m["created_at"] for m in made}) < 7
    seen: list[str] = []
    url = f"{V2}/images?sort=name:asc&limit=3"
    pages = 0
    while url:
        r = api.http.get(url, headers=g.h())
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [i["name"] for i in body["images"]]
        pages += 1
        url = "/image" + body["next"] if "next" in body else ""
        if url:
            assert body["next"].startswith("/v2/images?") and "marker=" in body["next"]
    assert seen == [m["name"] for m in made] and pages == 3
    assert g.names(limit=0) == []
    assert g.names(marker=made[-1]["id"], sort="name:asc") == []


# -- update --------------------------------------------------------------------------------
def test_patch_v21(glance: Glance) -> None:
    image = glance.create(name="old", disk_format="raw", container_format="bare")
    r = glance.patch(image["id"], [
        {"op": "replace", "path": "/name", "value": "new"},
        {"op": "add", "path": "/hw_disk_bus", "value": "virtio"},
        {"op": "replace", "path": "/min_ram", "value": 512},
        {"op": "add", "path": "/tags", "value": ["a", "b", "a"]},
        {"op": "replace", "path": "/protected", "value": True},
    ])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "new" and body["hw_disk_bus"] == "virtio"
    assert body["min_ram"] == 512 and body["tags"] == ["a", "b"] and body["protected"]
    r = glance.patch(image["id"], [{"op": "replace", "path": "/hw_disk_bus", "value": "ide"}])
    assert r.json()["hw_disk_bus"] == "ide"
    r = glance.patch(image["id"], [{"op": "remove", "path": "/hw_disk_bus"}])
    assert "hw_disk_bus" not in r.json()
    assert glance.show(image["id"])["name"] == "new"


def test_patch_v20(glance: Glance) -> None:
    image = glance.create(name="old")
    r = glance.patch(image["id"], [{"replace": "/name", "value": "tempest"},
                                   {"add": "/k", "value": "v"}], media=PATCH20)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "tempest" and r.json()["k"] == "v"
    r = glance.patch(image["id"], [{"remove": "/k"}], media=PATCH20)
    assert "k" not in r.json()


@pytest.mark.parametrize(("ops", "status"), [
    ([{"op": "replace", "path": "/status", "value": "active"}], 403),
    ([{"op": "replace", "path": "/id", "value": str(uuid.uuid4())}], 403),
    ([{"op": "add", "path": "/os_glance_x", "value": "y"}], 403),
    ([{"op": "remove", "path": "/name"}], 403),
    ([{"op": "remove", "path": "/nope"}], 409),
    ([{"op": "replace", "path": "/nope", "value": "x"}], 409),
    ([{"op": "move", "path": "/name", "from": "/x"}], 400),
    ([{"op": "replace", "path": "name", "value": "x"}], 400),
    ([{"op": "replace", "path": "/a/b", "value": "x"}], 400),
    ([{"op": "replace", "path": "/name"}], 400),
    ([{"op": "replace", "path": "/min_disk", "value": -3}], 400),
    ([{"op": "add", "path": "/prop", "value": 1}], 400),
    ({"op": "replace"}, 400),
])
def test_patch_refusals(glance: Glance, ops: Any, status: int) -> None:
    image = glance.create(name="keep")
    assert_error(glance.patch(image["id"], ops), status)
    assert glance.show(image["id"])["name"] == "keep"


def test_patch_is_atomic_and_typed(api: Api, glance: Glance) -> None:
    image = glance.create(name="keep", disk_format="raw", container_format="bare")
    r = glance.patch(image["id"], [{"op": "replace", "path": "/name", "value": "changed"},
                                   {"op": "replace", "path": "/status", "value": "x"}])
    assert_error(r, 403)
    assert glance.show(image["id"])["name"] == "keep"
    r = api.http.patch(f"{V2}/images/{image['id']}", json=[],
                       headers=glance.h(**{"Content-Type": "application/json"}))
    assert_error(r, 415)
    glance.upload(image["id"], b"data")
    assert_error(glance.patch(image["id"], [{"op": "replace", "path": "/disk_format",
                                             "value": "qcow2"}]), 403)


# -- delete, tags, actions -------------------------------------------------------------------
def test_protected_delete(glance: Glance) -> None:
    image = glance.create(protected=True)
    assert_error(glance.delete(f"/images/{image['id']}"), 403)
    glance.patch(image["id"], [{"op": "replace", "path": "/protected", "value": False}])
    assert glance.delete(f"/images/{image['id']}").status_code == 204
    assert_error(glance.get(f"/images/{image['id']}"), 404)
    assert_error(glance.delete(f"/images/{image['id']}"), 404)


def test_tags(glance: Glance) -> None:
    image = glance.create()
    for tag in ("one", "two", "one"):
        r = glance.put(f"/images/{image['id']}/tags/{tag}")
        assert r.status_code == 204 and r.content == b""
    assert glance.show(image["id"])["tags"] == ["one", "two"]
    assert glance.delete(f"/images/{image['id']}/tags/one").status_code == 204
    assert glance.show(image["id"])["tags"] == ["two"]
    assert_error(glance.delete(f"/images/{image['id']}/tags/one"), 404)
    assert_error(glance.put(f"/images/{uuid.uuid4()}/tags/x"), 404)


def test_deactivate_reactivate(api: Api, glance: Glance) -> None:
    _, owner = tenant(api)
    image = owner.create(disk_format="raw", container_format="bare")
    assert_error(owner.post(f"/images/{image['id']}/actions/deactivate"), 400)
    owner.upload(image["id"], b"payload")
    r = owner.post(f"/images/{image['id']}/actions/deactivate")
    assert r.status_code == 204 and r.content == b""
    assert owner.show(image["id"])["status"] == "deactivated"
    assert owner.post(f"/images/{image['id']}/actions/deactivate").status_code == 204
    assert_error(owner.get(f"/images/{image['id']}/file"), 403)
    r = glance.get(f"/images/{image['id']}/file")           # a cloud admin still may
    assert r.status_code == 200 and r.content == b"payload"
    _, other = tenant(api)
    assert_error(other.post(f"/images/{image['id']}/actions/reactivate"), 404)
    assert owner.post(f"/images/{image['id']}/actions/reactivate").status_code == 204
    assert owner.show(image["id"])["status"] == "active"
    assert owner.get(f"/images/{image['id']}/file").content == b"payload"


# -- visibility, members, isolation ----------------------------------------------------------
def test_private_images_are_invisible_to_other_projects(api: Api) -> None:
    _, a = tenant(api)
    _, b = tenant(api)
    for visibility in ("private", "shared"):
        image = a.create(name=f"secret-{visibility}", visibility=visibility,
                         disk_format="raw", container_format="bare")
        a.upload(image["id"], b"secret bytes")
        iid = image["id"]
        assert image["name"] not in b.names()
        assert image["name"] not in b.names(visibility="all")
        assert b.names(name=image["name"]) == []
        for r in (b.get(f"/images/{iid}"), b.get(f"/images/{iid}/file"),
                  b.delete(f"/images/{iid}"), b.upload(iid, b"x"),
                  b.patch(iid, [{"op": "replace", "path": "/name", "value": "pwned"}]),
                  b.put(f"/images/{iid}/tags/x"), b.get(f"/images/{iid}/members"),
                  b.post(f"/images/{iid}/members", {"member": "me"}),
                  b.post(f"/images/{iid}/actions/deactivate")):
            assert_error(r, 404)
        assert a.show(iid)["name"] == image["name"]
        assert a.show(iid)["status"] == "active"


def test_members_share_an_image(api: Api) -> None:
    owner_project, a = tenant(api)
    b_project, b = tenant(api)
    c_project, c = tenant(api)
    image = a.create(name=f"to-share-{uuid.uuid4().hex[:4]}", disk_format="raw",
                     container_format="bare")
    a.upload(image["id"], b"shared bytes")
    iid = image["id"]
    r = a.post(f"/images/{iid}/members", {"member": b_project})
    assert r.status_code == 200, r.text
    member = r.json()
    assert member == {**member, "image_id": iid, "member_id": b_project, "status": "pending",
                      "schema": "/v2/schemas/member"}
    assert_error(a.post(f"/images/{iid}/members", {"member": b_project}), 409)
    assert_error(a.post(f"/images/{iid}/members", {}), 400)
    # A pending member sees the image but does not list it.
    assert b.show(iid)["id"] == iid
    assert image["name"] not in b.names()
    assert image["name"] in b.names(member_status="pending")
    assert_error(b.put(f"/images/{iid}/members/{b_project}", {"status": "bogus"}), 400)
    assert_error(a.put(f"/images/{iid}/members/{b_project}", {"status": "accepted"}), 403)
    r = b.put(f"/images/{iid}/members/{b_project}", {"status": "accepted"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert image["name"] in b.names()
    assert image["name"] in b.names(visibility="shared")
    assert b.get(f"/images/{iid}/file").content == b"shared bytes"
    # A member may not manage the image or its other members.
    assert_error(b.post(f"/images/{iid}/members", {"member": c_project}), 403)
    assert_error(b.delete(f"/images/{iid}"), 403)
    assert_error(b.patch(iid, [{"op": "replace", "path": "/name", "value": "x"}]), 403)
    a.post(f"/images/{iid}/members", {"member": c_project})
    assert [m["member_id"] for m in b.get(f"/images/{iid}/members").json()["members"]] == [
        b_project]
    assert sorted(m["member_id"] for m in a.get(f"/images/{iid}/members").json()["members"]
                  ) == sorted([b_project, c_project])
    assert_error(b.get(f"/images/{iid}/members/{c_project}"), 404)
    assert_error(b.put(f"/images/{iid}/members/{c_project}", {"status": "accepted"}), 404)
    assert a.get(f"/images/{iid}/members/{c_project}").json()["status"] == "pending"
    # Only shared images have members.
    a.patch(iid, [{"op": "replace", "path": "/visibility", "value": "private"}])
    assert_error(b.get(f"/images/{iid}"), 404)
    assert_error(a.post(f"/images/{iid}/members", {"member": "someone"}), 403)
    a.patch(iid, [{"op": "replace", "path": "/visibility", "value": "shared"}])
    assert b.show(iid)["id"] == iid
    assert a.delete(f"/images/{iid}/members/{b_project}").status_code == 204
    assert_error(b.get(f"/images/{iid}"), 404)
    assert_error(a.delete(f"/images/{iid}/members/{b_project}"), 404)
    assert owner_project != b_project != c_project
    assert c.show(iid)["id"] == iid


def test_community_and_public_visibility(api: Api, glance: Glance) -> None:
    _, a = tenant(api)
    _, b = tenant(api)
    community = a.create(name=f"comm-{uuid.uuid4().hex[:4]}", visibility="community")
    public = glance.create(name=f"pub-{uuid.uuid4().hex[:4]}", visibility="public")
    assert b.show(community["id"])["id"] == community["id"]
    assert community["name"] not in b.names()
    assert community["name"] in b.names(visibility="community")
    assert community["name"] in a.names()          # the owner lists its own
    assert public["name"] in b.names() and public["name"] in b.names(visibility="public")
    assert_error(b.delete(f"/images/{public['id']}"), 403)
    assert_error(b.delete(f"/images/{community['id']}"), 403)


def test_admin_sees_and_manages_every_image(api: Api, glance: Glance) -> None:
    _, a = tenant(api)
    image = a.create(name=f"priv-{uuid.uuid4().hex[:4]}", visibility="private")
    assert glance.show(image["id"])["id"] == image["id"]
    assert image["name"] in glance.names()
    assert glance.delete(f"/images/{image['id']}").status_code == 204


def test_owner_change_by_admin_keeps_data_readable(api: Api, glance: Glance) -> None:
    b_project, b = tenant(api)
    image = glance.create(disk_format="raw", container_format="bare", visibility="private")
    glance.upload(image["id"], b"moving")
    r = glance.patch(image["id"], [{"op": "replace", "path": "/owner", "value": b_project}])
    assert r.status_code == 200 and r.json()["owner"] == b_project
    assert b.get(f"/images/{image['id']}/file").content == b"moving"
    assert_error(b.patch(image["id"], [{"op": "replace", "path": "/owner",
                                        "value": api.admin_project_id}]), 403)


def test_changes_are_audited(api: Api) -> None:
    project, a = tenant(api)
    _, b = tenant(api)
    image = a.create(disk_format="raw", container_format="bare")
    iid = image["id"]
    a.upload(iid, b"audit me")
    a.patch(iid, [{"op": "replace", "path": "/name", "value": "renamed"}])
    a.put(f"/images/{iid}/tags/t")
    a.post(f"/images/{iid}/actions/deactivate")
    a.post(f"/images/{iid}/actions/reactivate")
    a.post(f"/images/{iid}/members", {"member": "other-project"})
    a.delete(f"/images/{iid}/members/other-project")
    a.delete(f"/images/{iid}")
    b.delete(f"/images/{iid}")
    events = [e for e in api.events(project_id=project) if e["target"]["id"] == iid]
    assert [e["action"] for e in events] == [
        "image.create", "image.upload", "image.update", "image.tag.add", "image.deactivate",
        "image.reactivate", "image.member.add", "image.member.remove", "image.delete"]
    assert {e["outcome"] for e in events} == {"success"}
    assert events[1]["detail"]["size"] == len(b"audit me")
