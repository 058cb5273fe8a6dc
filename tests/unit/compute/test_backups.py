"""createBackup: a snapshot tagged as a backup, rotated by the agent once uploaded."""

from __future__ import annotations

import pytest

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict
from nuage.services.compute.server_actions import Backup
from tests.unit.compute.test_servers import World, boot, member

# The fixture, re-exported so that pytest finds it here.
from tests.unit.compute.test_servers import world as world


def _backup(w: World, sid: str, name: str, rotation: int, kind: str = "daily") -> str:
    server = w.actions.act(member(), sid, "createBackup", snapshot_name=name,
                           backup=Backup(kind, rotation, {"owner_note": "n"}))
    image_id = str((server.task_args or {})["image_id"])
    assert server.task_args == {"image_id": image_id,
                                "backup": {"type": kind, "rotation": rotation}}
    w.reconciler.run_once()
    return image_id


def test_backups_are_rotated_per_server_and_type(world: World) -> None:
    sid = boot(world)
    first = _backup(world, sid, "b1", 2)
    props = world.images.images[first].properties
    assert props["image_type"] == "backup" and props["backup_type"] == "daily"
    assert props["instance_uuid"] == sid and props["owner_note"] == "n"
    assert world.images.images[first].status == "active"
    weekly = _backup(world, sid, "w1", 1, "weekly")
    second = _backup(world, sid, "b2", 2)
    assert {first, second, weekly} <= set(world.images.images)
    third = _backup(world, sid, "b3", 2)
    # The oldest daily one went; the weekly one is another rotation.
    assert first not in world.images.images
    assert {second, third, weekly} <= set(world.images.images)
    # Rotation 0 keeps none, not even the new one (as Nova).
    zero = _backup(world, sid, "b4", 0)
    assert not {second, third, zero} & set(world.images.images)
    assert world.servers.get(member(), sid).task_state is None


def test_backup_needs_an_idle_server(world: World) -> None:
    """Refused where createImage is (an ERROR server here; PAUSED and SUSPENDED are
    allowed, as in Nova)."""
    sid = boot(world)
    admin = RequestContext(request_id="req-2", user_id="adm", project_id="admin",
                           roles=frozenset({"admin", "member", "reader"}), is_admin_project=True)
    world.actions.reset_state(admin, sid, "error")
    with pytest.raises(Conflict) as exc:
        world.actions.act(member(), sid, "createBackup", snapshot_name="b",
                          backup=Backup("daily", 1))
    assert exc.value.fault is ComputeFault.SERVER_VM_STATE_CONFLICT
    assert exc.value.fields["action"] == "createBackup"
    # Nothing was left behind: no image reserved for a refused backup.
    assert not [i for i in world.images.images.values()
                if i.properties.get("image_type") == "backup"]
