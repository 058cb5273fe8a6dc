"""Format inspection of uploads through Glance v2: every format nuage accepts, crafted to
reference host files (VMDK extents, qcow2 backing and data files, QED), or to be another
format than declared, is refused; well-formed images of each format are accepted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.domain.image_format import UnsafeImage
from nuage.drivers.image_format import OsloImageInspector
from tests.api.conftest import Api, make_api
from tests.api.test_images import Glance, assert_error, blob_files
from tests.support.hostile_images import HOSTILE, SAFE, Builder, needs_qemu_img, qcow2_header

pytestmark = needs_qemu_img


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from make_api(tmp_path_factory.mktemp("formats") / "state")


@pytest.mark.parametrize(("declared", "build", "reason"),
                         [pytest.param(d, b, r, id=i) for i, d, b, r in HOSTILE])
def test_hostile_image_is_refused(shared: Api, tmp_path: Path, declared: str, build: Builder,
                                  reason: str) -> None:
    glance = Glance(shared)
    image = glance.create(disk_format=declared, container_format="bare")
    before = set(blob_files(shared))
    r = glance.upload(image["id"], build(tmp_path))
    assert_error(r, 400)
    assert reason.lower() in r.json()["message"].lower(), r.json()
    # Refused data is discarded; the image waits for good data.
    shown = glance.show(image["id"])
    assert shown["status"] == "queued" and shown["size"] is None
    assert glance.get(f"/images/{image['id']}/file").status_code == 204
    assert set(blob_files(shared)) == before
    events = [e for e in shared.events(action="image.upload")
              if e["target"]["id"] == image["id"]]
    assert [e["outcome"] for e in events] == ["failure"]


@pytest.mark.parametrize(("declared", "build", "virtual_size"),
                         [pytest.param(d, b, v, id=i) for i, d, b, v in SAFE])
def test_self_contained_image_is_accepted(shared: Api, tmp_path: Path, declared: str,
                                          build: Builder, virtual_size: int) -> None:
    glance = Glance(shared)
    image = glance.create(disk_format=declared, container_format="bare")
    data = build(tmp_path)
    # In uneven pieces: the verdict may not depend on how the stream is cut.
    pieces = iter([data[n:n + 3001] for n in range(0, len(data), 3001)])
    assert glance.upload(image["id"], pieces).status_code == 204
    shown = glance.show(image["id"])
    assert shown["status"] == "active"
    assert shown["size"] == len(data)
    assert shown["virtual_size"] == virtual_size


def test_a_hostile_header_is_refused_before_the_rest_is_read() -> None:
    inspection = OsloImageInspector().start("qcow2")
    with pytest.raises(UnsafeImage, match="backing file"):
        inspection.feed(qcow2_header(backing=4096))
    inspection = OsloImageInspector().start("raw")
    with pytest.raises(UnsafeImage, match="qcow2"):
        inspection.feed(qcow2_header())


@pytest.mark.parametrize(("data", "refused"), [
    (qcow2_header(), None),
    (qcow2_header(version=2), None),
    (qcow2_header(backing=4096), "backing file"),
    (qcow2_header(features=4), "data file"),
    (qcow2_header(features=1 << 9), "features"),
    (qcow2_header(version=4), "version"),
    (b"QFI\xfb\0\0", "qcow2"),
])
def test_crafted_qcow2_headers(data: bytes, refused: str | None) -> None:
    inspection = OsloImageInspector().start("qcow2")
    try:
        for n in range(0, len(data), 7):
            inspection.feed(data[n:n + 7])
        verdict = inspection.finish(len(data))
    except UnsafeImage as exc:
        assert refused is not None and refused in str(exc), exc
        return
    assert refused is None
    assert verdict.format == "qcow2" and verdict.virtual_size == 1 << 30
