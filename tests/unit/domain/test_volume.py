"""The volume state machine and the rules that need no I/O."""

from __future__ import annotations

from nuage.domain.volume import (
    DELETABLE,
    VOLUME_TRANSITIONS,
    VolumeStatus,
    check_metadata,
    may_move,
    type_quota_keys,
)


def test_cinders_statuses() -> None:
    assert {s.value for s in VolumeStatus} >= {
        "creating", "available", "reserved", "attaching", "in-use", "detaching", "deleting",
        "error", "error_deleting", "extending", "error_extending", "maintenance"}


def test_transitions() -> None:
    assert may_move("creating", "available")
    assert may_move("available", "attaching") and may_move("attaching", "in-use")
    assert may_move("in-use", "detaching") and may_move("detaching", "available")
    assert may_move("extending", "error_extending")
    assert not may_move("in-use", "deleting")
    assert not may_move("deleting", "available")
    assert not may_move("bogus", "available")
    # Every status but the one in progress leaves somewhere.
    assert set(VOLUME_TRANSITIONS) == set(VolumeStatus)
    assert VolumeStatus.IN_USE not in DELETABLE


def test_metadata_and_quota_keys() -> None:
    assert check_metadata({"k": "v"})
    assert not check_metadata({"": "v"}) and not check_metadata({"k": 1})
    assert not check_metadata({"k": "x" * 256}) and not check_metadata(["k"])
    assert type_quota_keys("fast") == ("volumes_fast", "gigabytes_fast", "snapshots_fast")
