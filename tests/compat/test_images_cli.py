"""Glance v2 through the real `openstack` CLI and openstacksdk against a live nuage."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openstack.connection
import openstack.exceptions
import pytest

from tests.compat.conftest import (
    Tenant,
    cli_json,
    connect,
    image_v2,
    run_cli,
    unique,
    user_env,
)
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat

QEMU_IMG = shutil.which("qemu-img")
needs_qemu_img = pytest.mark.skipif(QEMU_IMG is None, reason="qemu-img is not installed")


def _qcow2(path: Path, size: str = "32M", *extra: str) -> Path:
    assert QEMU_IMG is not None
    subprocess.run([QEMU_IMG, "create", "-f", "qcow2", *extra, str(path), size], check=True,
                   capture_output=True)
    return path


@needs_qemu_img
def test_cli_image_lifecycle(live_nuage: LiveNuage, tenant_factory: Any,
                             tmp_path: Path) -> None:
    t: Tenant = tenant_factory("img")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    disk = _qcow2(tmp_path / "disk.qcow2")
    name = unique("cirros")
    created = cli_json(env, "image", "create", "--file", str(disk), "--disk-format", "qcow2",
                       "--container-format", "bare", name)
    assert created["name"] == name
    shown = cli_json(env, "image", "show", name)
    assert shown["id"] == created["id"]
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(disk.read_bytes()).hexdigest()
    assert shown["size"] == disk.stat().st_size
    assert shown["virtual_size"] == 32 * 1024 * 1024
    assert shown["owner"] == t.project_id

    listed = cli_json(env, "image", "list")
    assert [i["Name"] for i in listed if i["ID"] == created["id"]] == [name]
    long = cli_json(env, "image", "list", "--long")
    row = next(i for i in long if i["ID"] == created["id"])
    assert row["Checksum"] == shown["checksum"]

    run_cli(env, "image", "set", "--property", "os_distro=debian", "--property",
            "hw_disk_bus=virtio", name)
    props = cli_json(env, "image", "show", name)["properties"]
    assert props["os_distro"] == "debian" and props["hw_disk_bus"] == "virtio"
    run_cli(env, "image", "set", "--name", f"{name}-2", "--tag", "gold", name)
    renamed = cli_json(env, "image", "show", f"{name}-2")
    assert renamed["id"] == created["id"] and "gold" in renamed["tags"]

    saved = tmp_path / "saved.qcow2"
    run_cli(env, "image", "save", "--file", str(saved), f"{name}-2")
    assert saved.read_bytes() == disk.read_bytes()

    run_cli(env, "image", "delete", f"{name}-2")
    gone = run_cli(env, "image", "show", f"{name}-2", check=False)
    assert gone.returncode != 0
    assert created["id"] not in {i["ID"] for i in cli_json(env, "image", "list")}


@needs_qemu_img
def test_cli_refuses_qcow2_with_backing_file(live_nuage: LiveNuage, tenant_factory: Any,
                                             tmp_path: Path) -> None:
    t: Tenant = tenant_factory("img")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    base = _qcow2(tmp_path / "base.qcow2")
    child = tmp_path / "child.qcow2"
    assert QEMU_IMG is not None
    subprocess.run([QEMU_IMG, "create", "-f", "qcow2", "-b", str(base), "-F", "qcow2",
                    str(child)], check=True, capture_output=True)
    name = unique("escape")
    result = run_cli(env, "image", "create", "--file", str(child), "--disk-format", "qcow2",
                     "--container-format", "bare", name, check=False)
    assert result.returncode != 0
    assert "backing file" in result.stderr
    # The refused image stays queued without data; the client then deletes what it made.
    leftovers = cli_json(env, "image", "list", "--name", name, "--long")
    assert all(i["Status"] == "queued" and i["Size"] is None for i in leftovers)


def test_images_are_private_between_projects(live_nuage: LiveNuage, tenant_factory: Any,
                                              tmp_path: Path) -> None:
    a: Tenant = tenant_factory("img-a")
    b: Tenant = tenant_factory("img-b")
    env_a = user_env(live_nuage, a.username, a.password, a.project_name)
    env_b = user_env(live_nuage, b.username, b.password, b.project_name)
    data = tmp_path / "raw.img"
    data.write_bytes(b"\0" * 4096 + b"a's data")
    name = unique("private")
    created = cli_json(env_a, "image", "create", "--file", str(data), "--disk-format", "raw",
                       "--container-format", "bare", "--private", name)
    assert run_cli(env_b, "image", "show", name, check=False).returncode != 0
    assert run_cli(env_b, "image", "show", created["id"], check=False).returncode != 0
    assert created["id"] not in {i["ID"] for i in cli_json(env_b, "image", "list")}
    assert run_cli(env_b, "image", "delete", created["id"], check=False).returncode != 0
    assert cli_json(env_a, "image", "show", name)["status"] == "active"
    run_cli(env_a, "image", "delete", name)


def test_sdk_image_workflow(live_nuage: LiveNuage, tenant_factory: Any,
                            tmp_path: Path) -> None:
    t: Tenant = tenant_factory("sdk-img")
    conn: openstack.connection.Connection = connect(live_nuage, t.username, t.password,
                                                    t.project_name)
    try:
        payload = bytes(range(256)) * 4096
        path = tmp_path / "sdk.raw"
        path.write_bytes(payload)
        name = unique("sdk")
        # The file as a stream we close: given `filename=`, openstacksdk opens the file and
        # never closes it (a ResourceWarning, an error under the suite's filter).
        with path.open("rb") as data:
            image = image_v2(conn).create_image(name=name, data=data, disk_format="raw",
                                            container_format="bare", wait=True,
                                            meta={"purpose": "compat"})
        # The SDK returns the image as created; the cloud's view is active.
        assert image_v2(conn).get_image(image.id).status == "active"
        found = image_v2(conn).find_image(name, ignore_missing=False)
        assert found.id == image.id and found.checksum == hashlib.md5(payload).hexdigest()
        assert found.hash_algo == "sha512"
        assert found.hash_value == hashlib.sha512(payload).hexdigest()
        assert image_v2(conn).find_image(unique("nothing")) is None

        image_v2(conn).update_image(image, min_ram=256, os_distro="debian")
        updated = image_v2(conn).get_image(image.id)
        assert updated.min_ram == 256 and updated.os_distro == "debian"
        image_v2(conn).add_tag(image, "blue")
        assert "blue" in image_v2(conn).get_image(image.id).tags

        out = tmp_path / "out.raw"
        image_v2(conn).download_image(image, output=str(out))
        assert out.read_bytes() == payload
        assert [i.id for i in image_v2(conn).images(name=name)] == [image.id]

        image_v2(conn).deactivate_image(image)
        assert image_v2(conn).get_image(image.id).status == "deactivated"
        image_v2(conn).reactivate_image(image)

        image_v2(conn).delete_image(image)
        with pytest.raises(openstack.exceptions.NotFoundException):
            image_v2(conn).get_image(image.id)
    finally:
        conn.close()


def test_sdk_members(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    a: Tenant = tenant_factory("mem-a")
    b: Tenant = tenant_factory("mem-b")
    conn_a = connect(live_nuage, a.username, a.password, a.project_name)
    conn_b = connect(live_nuage, b.username, b.password, b.project_name)
    try:
        image = image_v2(conn_a).create_image(name=unique("shared"), disk_format="raw",
                                          container_format="bare", visibility="shared")
        member = image_v2(conn_a).add_member(image, member_id=b.project_id)
        assert member.status == "pending"
        assert image.id not in {i.id for i in image_v2(conn_b).images()}
        image_v2(conn_b).update_member(b.project_id, image, status="accepted")
        assert image.id in {i.id for i in image_v2(conn_b).images()}
        assert [m.member_id for m in image_v2(conn_a).members(image)] == [b.project_id]
        with pytest.raises(openstack.exceptions.ForbiddenException):
            image_v2(conn_b).delete_image(image)
        image_v2(conn_a).remove_member(b.project_id, image)
        assert image.id not in {i.id for i in image_v2(conn_b).images()}
        image_v2(conn_a).delete_image(image)
    finally:
        conn_a.close()
        conn_b.close()
