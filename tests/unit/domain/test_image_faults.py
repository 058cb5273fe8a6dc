"""Image rules raise fault codes plus fields; Glance's table words them as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nuage.api.openstack.image.errors import WORDING
from nuage.domain import image as rules
from nuage.domain.errors import Conflict, Forbidden, NuageError, ValidationError
from nuage.domain.image import Image, PatchOp, Rights, TooLarge
from nuage.domain.image_errors import ImageFault, RangeNotSatisfiable
from nuage.services.image.data import parse_range

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USER = Rights()


def _image() -> Image:
    return Image(id="i-1", owner="p-a", created_at=NOW, updated_at=NOW)


@pytest.mark.parametrize(("ops", "error", "fault", "fields", "words"), [
    ([PatchOp("replace", "visibility", "public")], Forbidden, ImageFault.PUBLICIZE_DENIED,
     {}, "Only administrators may make an image public."),
    ([PatchOp("replace", "owner", "p-b")], Forbidden, ImageFault.OWNER_CHANGE_DENIED, {},
     "Only administrators may change an image's owner."),
    ([PatchOp("remove", "nope")], Conflict, ImageFault.PROPERTY_MISSING, {"name": "nope"},
     "Property nope does not exist."),
    ([PatchOp("add", "status", "x")], Forbidden, ImageFault.ATTRIBUTE_READ_ONLY,
     {"name": "status"}, "Attribute 'status' is read-only."),
    ([PatchOp("add", "disk_format", "floppy")], ValidationError,
     ImageFault.VALUE_NOT_A_CHOICE, {"name": "disk_format", "value": "floppy",
                                     "choices": rules.DISK_FORMATS},
     "Invalid value 'floppy' for 'disk_format': expected one of ami, ari, aki, vhd, vhdx, "
     "vmdk, raw, qcow2, vdi, iso, ploop."),
    ([PatchOp("add", "min_ram", "1")], ValidationError, ImageFault.VALUE_NOT_NON_NEGATIVE,
     {"name": "min_ram", "value": "1"},
     "Invalid value for 'min_ram': '1' is not a non-negative integer."),
    ([PatchOp("add", "tags", [str(n) for n in range(129)])], TooLarge,
     ImageFault.TAGS_TOO_MANY, {"limit": 128}, "Maximum number of tags (128) exceeded."),
])
def test_patch_refusals_are_fault_codes(ops: list[PatchOp], error: type[NuageError],
                                        fault: ImageFault, fields: dict[str, object],
                                        words: str) -> None:
    with pytest.raises(error) as exc:
        rules.apply_patch(_image(), ops, USER)
    assert exc.value.fault is fault
    assert exc.value.fields == fields
    assert exc.value.worded(WORDING) == words


def test_admin_rights_let_the_same_patch_through() -> None:
    image = _image()
    rules.apply_patch(image, [PatchOp("replace", "visibility", "public"),
                              PatchOp("replace", "owner", "p-b")],
                      Rights(publicize=True, set_owner=True))
    assert (image.visibility, image.owner) == ("public", "p-b")


def test_status_changes_name_the_verb_and_status() -> None:
    with pytest.raises(ValidationError) as exc:
        rules.deactivate(_image())
    assert exc.value.fault is ImageFault.STATUS_CHANGE_NOT_ALLOWED
    assert exc.value.fields == {"verb": "deactivate", "status": "queued"}
    assert exc.value.worded(WORDING) == "Not allowed to deactivate image in status 'queued'."


def test_a_range_outside_the_image_is_a_structured_416() -> None:
    with pytest.raises(RangeNotSatisfiable) as exc:
        parse_range("bytes=500-", 100)
    assert exc.value.fault is ImageFault.RANGE_NOT_SATISFIABLE
    assert exc.value.size == 100
    assert exc.value.worded(WORDING) == "Requested range not satisfiable."
