"""Bad volume requests against a live nuage with real guests (issue 11): attaching an in-use
volume to a second server, deleting an attached volume, a snapshot of an attached volume
without `force`, extending to a smaller size, exceeding the quota. Each gets Nova's or
Cinder's status code and error body, and changes nothing: the volumes' statuses, the
attachments, the files in the volumes directory and the guests' disks are as before."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.live import LiveNuage
from tests.support.live_volumes import (
    Cloud,
    attachment_rows,
    guest_volumes,
    query,
    volume_files,
)

pytestmark = pytest.mark.slow

DELETE_REFUSED = ("Invalid volume: Volume status must be available or error or "
                  "error_restoring or error_extending or error_managing and must not be "
                  "migrating, attached, belong to a group, have snapshots, awaiting a "
                  "transfer, or be disassociated from snapshots after volume transfer.")


@dataclass
class World:
    live: LiveNuage
    cloud: Cloud
    first: str          # a server with `attached` on it
    second: str         # a server with no volume
    attached: str       # 1 GiB, in-use on `first`
    spare: str          # 2 GiB, available


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    live = LiveNuage(tmp_path_factory.mktemp("volume-bad-input") / "state")
    live.start(timeout=240)
    try:
        cloud = Cloud(live)
        first, second = cloud.boot_guest("first"), cloud.boot_guest("second")
        attached, spare = cloud.create_volume("attached"), cloud.create_volume("spare", 2)
        cloud.wait_volume(attached, "available")
        cloud.wait_volume(spare, "available")
        cloud.attach(first, attached)
        cloud.wait_volume(attached, "in-use")
        yield World(live, cloud, first, second, attached, spare)
    finally:
        live.close()


def state(w: World) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    volumes = {v["id"]: (v["status"], v["size"], [a["server_id"] for a in v["attachments"]])
               for v in w.cloud.cinder("GET", "volumes/detail")["volumes"]}
    return {
        "volumes": volumes,
        "snapshots": w.cloud.cinder("GET", "snapshots")["snapshots"],
        "attachments": attachment_rows(w.live),
        "files": sorted(volume_files(w.live)),
        "first": guest_volumes(w.live, w.first),
        "second": guest_volumes(w.live, w.second),
        "rows": query(w.live, "SELECT id, status, attach_status, size FROM volumes"),
    }


def fault(response: httpx.Response, code: int, name: str) -> str:
    """The error body's message, once its shape is Nova's or Cinder's."""
    assert response.status_code == code, response.text
    body = response.json()
    assert list(body) == [name], body
    assert body[name]["code"] == code, body
    return str(body[name]["message"])


@pytest.fixture
def unchanged(world: World) -> Iterator[None]:
    before = state(world)
    assert before["first"] == {world.attached} and before["second"] == set()
    yield
    assert state(world) == before


def test_attaching_an_in_use_volume_to_a_second_server(world: World, unchanged: None
                                                       ) -> None:
    r = world.cloud.raw("POST", f"compute/v2.1/servers/{world.second}/os-volume_attachments",
                        {"volumeAttachment": {"volumeId": world.attached}})
    message = fault(r, 400, "badRequest")
    assert message.startswith("Invalid volume: ") and world.attached in message, message


def test_deleting_an_attached_volume(world: World, unchanged: None) -> None:
    r = world.cloud.raw("DELETE", f"volume/v3/{world.cloud.project}/volumes/{world.attached}")
    assert fault(r, 400, "badRequest") == DELETE_REFUSED


def test_a_snapshot_of_an_attached_volume_without_force(world: World, unchanged: None
                                                        ) -> None:
    for force in (None, False):
        body: dict[str, Any] = {"volume_id": world.attached}
        if force is not None:
            body["force"] = force
        r = world.cloud.raw("POST", f"volume/v3/{world.cloud.project}/snapshots",
                            {"snapshot": body})
        assert fault(r, 400, "badRequest") == (
            f"Invalid volume: Volume {world.attached} status must be available, but "
            "current status is: in-use.")


@pytest.mark.parametrize("new_size", [1, 2])
def test_extending_to_a_size_not_larger(world: World, unchanged: None, new_size: int
                                        ) -> None:
    r = world.cloud.raw("POST", f"volume/v3/{world.cloud.project}/volumes/{world.spare}/action",
                        {"os-extend": {"new_size": new_size}})
    assert fault(r, 400, "badRequest") == (
        "Invalid input received: New size for extend must be greater than current size. "
        f"(current: 2, extended: {new_size}).")
    # An attached volume (extendable since 3.42) is refused the same way.
    r = world.cloud.raw("POST",
                        f"volume/v3/{world.cloud.project}/volumes/{world.attached}/action",
                        {"os-extend": {"new_size": 1}}, version="3.42")
    assert fault(r, 400, "badRequest") == (
        "Invalid input received: New size for extend must be greater than current size. "
        "(current: 1, extended: 1).")


@pytest.fixture
def small_quota(world: World) -> Iterator[None]:
    path = f"os-quota-sets/{world.cloud.project}"
    world.cloud.cinder("PUT", path, {"quota_set": {"gigabytes": 4, "volumes": 3}})
    try:
        yield
    finally:
        world.cloud.cinder("PUT", path, {"quota_set": {"gigabytes": 1000, "volumes": 10}})


def test_exceeding_the_quota(world: World, small_quota: None, unchanged: None) -> None:
    project = world.cloud.project
    # 3 GiB are in use (1 + 2): 2 more exceed the 4 allowed.
    r = world.cloud.raw("POST", f"volume/v3/{project}/volumes",
                        {"volume": {"name": "too-big", "size": 2}})
    assert fault(r, 413, "overLimit") == (
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
        "gigabytes quota. Requested 2G, quota is 4G and 3G has been consumed.")
    r = world.cloud.raw("POST", f"volume/v3/{project}/volumes/{world.spare}/action",
                        {"os-extend": {"new_size": 4}})
    assert fault(r, 413, "overLimit") == (
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
        "gigabytes quota. Requested 2G, quota is 4G and 3G has been consumed.")
    # A snapshot counts towards the gigabytes too: the spare's 2 GiB do not fit.
    r = world.cloud.raw("POST", f"volume/v3/{project}/snapshots",
                        {"snapshot": {"volume_id": world.spare}})
    assert fault(r, 413, "overLimit").startswith("VolumeSizeExceedsAvailableQuota: ")
    world.cloud.cinder("PUT", f"os-quota-sets/{project}", {"quota_set": {"volumes": 2}})
    r = world.cloud.raw("POST", f"volume/v3/{project}/volumes",
                        {"volume": {"name": "one-too-many", "size": 1}})
    assert fault(r, 413, "overLimit") == (
        "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota "
        "'volumes'.")
