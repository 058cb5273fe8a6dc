"""Every image a server reads (its image, the kernel and ramdisk that image names) is checked
against the booting project, at create, at rebuild and again when the host agent fetches
it; kernels and ramdisks are no root disks; faults speak the tenant's terms."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.image_format import OsloImageInspector
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.reconcile import Reconciler
from tests.api.compute_servers import HOST, Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.test_images import Glance
from tests.unit.compute.fakes import MemoryHypervisor

SECRET = b"project A's private ramdisk\n" * 64


def _private_ramdisk(nova: Nova) -> str:
    """Project A's private ramdisk image."""
    _, token_a = nova.member()
    glance = Glance(nova.api, token_a)
    ramdisk = glance.create(name="ramdisk-a", disk_format="ari", container_format="ari")
    assert glance.upload(ramdisk["id"], SECRET).status_code == 204
    return str(ramdisk["id"])


def _image_of(nova: Nova, token: str, **properties: Any) -> str:
    glance = Glance(nova.api, token)
    image = glance.create(name="mine", disk_format="raw", container_format="bare",
                          **properties)
    assert glance.upload(image["id"], b"\0" * 4096).status_code == 204
    return str(image["id"])


def _create(nova: Nova, token: str, image_id: str) -> Any:
    return nova.post("/servers", {"server": {"name": "vm", "imageRef": image_id,
                                             "flavorRef": "1"}}, token)


@pytest.mark.parametrize("prop", ["ramdisk_id", "kernel_id"])
def test_another_projects_private_kernel_or_ramdisk_is_refused(
        nova: Nova, servers: Servers, prop: str) -> None:
    other = _private_ramdisk(nova)
    _, token_b = nova.member()
    hostile = _image_of(nova, token_b, **{prop: other})
    message = assert_fault(_create(nova, token_b, hostile), 400, "badRequest")
    assert message == f"Image {other} could not be found."
    # The same answer as for an image that does not exist: nothing leaks.
    missing = _image_of(nova, token_b, **{prop: "00000000-0000-0000-0000-000000000000"})
    assert "could not be found" in assert_fault(_create(nova, token_b, missing), 400,
                                                "badRequest")
    # Rebuild checks the same.
    sid = servers.active(token_b)
    r = nova.post(f"/servers/{sid}/action", {"rebuild": {"imageRef": hostile}}, token_b)
    assert assert_fault(r, 400, "badRequest") == f"Image {other} could not be found."


def test_kernels_and_ramdisks_are_no_root_disk(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    glance = Glance(nova.api, token)
    for fmt in ("aki", "ari"):
        image = glance.create(name=fmt, disk_format=fmt, container_format=fmt)
        assert glance.upload(image["id"], b"\1" * 1024).status_code == 204
        message = assert_fault(_create(nova, token, image["id"]), 400, "badRequest")
        assert "unacceptable" in message and "root disk" in message
        sid = servers.active(token)
        r = nova.post(f"/servers/{sid}/action", {"rebuild": {"imageRef": image["id"]}},
                      token)
        assert "unacceptable" in assert_fault(r, 400, "badRequest")


def test_the_agent_never_fetches_another_projects_image(
        nova: Nova, servers: Servers, tmp_path: Path) -> None:
    """The image's owner points ramdisk_id at another project's ramdisk after the create:
    the agent asks as the server's project, refuses, and never decrypts the ramdisk."""
    other = _private_ramdisk(nova)
    _, token_b = nova.member()
    image = _image_of(nova, token_b)
    r = _create(nova, token_b, image)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    glance = Glance(nova.api, token_b)
    patched = glance.patch(image, [{"op": "add", "path": "/ramdisk_id", "value": other}])
    assert patched.status_code == 200, patched.text
    cache = tmp_path / "cache"
    reconciler, _ = _agent(nova, cache)
    reconciler.run_once()
    server = nova.get(f"/servers/{sid}", token_b).json()["server"]
    assert server["status"] == "ERROR"
    assert not (cache / other).exists()
    assert all(SECRET not in f.read_bytes() for f in cache.iterdir() if f.is_file())
    assert server["fault"]["message"] == (f"Build of instance {sid} aborted: Image {other} "
                                          f"could not be found.")


def _agent(nova: Nova, cache: Path) -> tuple[Reconciler, MemoryHypervisor]:
    hv = MemoryHypervisor()
    ports = nova.api.cloud.compute_ports
    control = AgentControlService(ports.uow, ports.clock,
                                  nova.api.cloud.compute.hosts).for_host(HOST)
    return Reconciler(control, ports.images, hv, cache, inspector=OsloImageInspector()), hv


def test_a_hostile_copy_in_the_image_cache_is_refused_by_the_agent(
        nova: Nova, servers: Servers, tmp_path: Path) -> None:
    """An image uploaded before nuage inspected uploads: its cached plaintext is a qcow2
    naming a host file as backing, declared raw. The agent refuses it before any guest
    is made, and the tenant's fault names the image, not a host path."""
    _, token = nova.member()
    image = _image_of(nova, token)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    hostile = cache / image
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "/etc/hostname",
                    "-F", "raw", str(hostile), "1M"], check=True)
    r = _create(nova, token, image)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    reconciler, hv = _agent(nova, cache)
    reconciler.run_once()
    assert ("spawn", sid) not in hv.calls
    fault = nova.get(f"/servers/{sid}", token).json()["server"]["fault"]
    assert fault["message"].startswith(f"Build of instance {sid} aborted: Image {image} is "
                                       f"unacceptable: ")
    assert "qcow2" in fault["message"] and str(tmp_path) not in fault["message"]
    assert "details" not in fault


def test_faults_hide_the_hosts_words_from_tenants(
        nova: Nova, servers: Servers, tmp_path: Path) -> None:
    """What the host said (qemu-img's message, with a state directory path) is for the
    operator: the tenant reads what went wrong in its terms; an administrator also sees
    the details, as in Nova."""
    _, token = nova.member()
    sid = servers.create(token)["id"]
    reconciler, hv = _agent(nova, tmp_path / "cache")
    leak = (f"Could not open '{tmp_path}/image-cache/{servers.image_id}': Unknown driver "
            f"'aki'")
    hv.fail_spawn = leak
    reconciler.run_once()
    fault = nova.get(f"/servers/{sid}", token).json()["server"]["fault"]
    assert fault["message"] == (f"Build of instance {sid} aborted: an error occurred on the "
                                f"compute host.")
    assert set(fault) == {"code", "message", "created"}
    listed = nova.get("/servers/detail", token).json()["servers"]
    assert str(tmp_path) not in str(listed) and "Unknown driver" not in str(listed)
    admin = nova.get(f"/servers/{sid}").json()["server"]["fault"]
    assert leak in admin["details"]
