"""Server actions (POST /servers/{id}/action): each checks the state machine, records the
intent as a task state, and leaves the work to the host agent."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from nuage.domain.compute import (
    ALLOWED_ACTIONS,
    LOCKED_BY_ADMIN,
    LOCKED_BY_OWNER,
    Server,
    TaskState,
    VmState,
)
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.ports.compute_volumes import VolumeSnapshotTaken
from nuage.ports.repositories import UnitOfWork
from nuage.services.compute.boot_images import boot_image
from nuage.services.compute.servers import ServerService, ServerUseCases, check_description

# Rebuild leaves the description alone unless one is given (null clears it).
KEEP: Any = object()
# Where a crash dump can be asked for (Nova: active, paused, error; no task running).
CRASH_DUMP_STATES = frozenset({VmState.ACTIVE.value, VmState.PAUSED.value,
                               VmState.ERROR.value})

# os-resetState: the states an administrator may force (Nova's schema allows these two).
RESET_STATES = {"active": VmState.ACTIVE, "error": VmState.ERROR}
# action -> the task state that asks the agent to carry it out
TASKS = {
    "stop": TaskState.POWERING_OFF, "start": TaskState.POWERING_ON,
    "pause": TaskState.PAUSING, "unpause": TaskState.UNPAUSING,
    "suspend": TaskState.SUSPENDING, "resume": TaskState.RESUMING,
    "rebuild": TaskState.REBUILDING, "createImage": TaskState.IMAGE_SNAPSHOT,
    # A backup is a snapshot the agent rotates once uploaded (task_args["backup"]).
    "createBackup": TaskState.IMAGE_SNAPSHOT,
}
# Snapshots: allowed where createImage is, and not refused for a locked server (Nova
# checks neither snapshot nor backup against the lock).
SNAPSHOTS = frozenset({"createImage", "createBackup"})
# Image properties a snapshot keeps from the image its server booted from.
BOOT_PROPERTIES = ("kernel_id", "ramdisk_id", "os_command_line", "os_distro", "hw_disk_bus")
# A volume-backed server's root device (its boot volume's, as the volume service names it).
ROOT_DEVICE_NAME = "/dev/vda"
# action -> the policy row that allows it
ROWS = {
    "stop": "compute:server:stop", "start": "compute:server:start",
    "pause": "compute:server:pause", "unpause": "compute:server:unpause",
    "suspend": "compute:server:suspend", "resume": "compute:server:resume",
    "rebuild": "compute:server:rebuild", "createImage": "compute:server:create_image",
    "createBackup": "compute:server:create_backup", "reboot": "compute:server:reboot",
}
# Nova's action names in instance actions and audit events
RECORDED = {"stop": "stop", "start": "start", "pause": "pause", "unpause": "unpause",
            "suspend": "suspend", "resume": "resume", "rebuild": "rebuild",
            "createImage": "createImage", "createBackup": "createBackup", "reboot": "reboot"}


@dataclass(frozen=True)
class Backup:
    """createBackup: the backups of this server and type beyond the `rotation` newest are
    deleted once this one is uploaded; `metadata` become image properties."""

    backup_type: str
    rotation: int
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RebuildChanges:
    """What a rebuild may change beside the image, name and description: the key pair
    (2.54; None removes it), the user data (2.57; None removes it), the hostname (2.90).
    KEEP leaves a field as it is."""

    key_name: Any = KEEP
    user_data: Any = KEEP
    hostname: str | None = None


def _mapping(taken: VolumeSnapshotTaken) -> dict[str, Any]:
    """Nova's block_device.snapshot_from_bdm(...).get_image_mapping(): the volume's
    mapping, now a new volume made from its snapshot."""
    return {"source_type": "snapshot", "destination_type": "volume",
            "snapshot_id": taken.snapshot_id, "volume_id": None, "image_id": None,
            "volume_size": taken.size_gb, "boot_index": taken.boot_index,
            "delete_on_termination": taken.delete_on_termination,
            "device_name": taken.device or None, "tag": taken.tag, "device_type": "disk",
            "disk_bus": None, "guest_format": None, "no_device": None,
            "volume_type": None}


def _conflict(server: Server, action: str) -> Conflict:
    if server.task_state:
        return Conflict(ComputeFault.SERVER_TASK_STATE_CONFLICT, action=action,
                        server_id=server.id, task_state=server.task_state)
    return Conflict(ComputeFault.SERVER_VM_STATE_CONFLICT, action=action,
                    server_id=server.id, vm_state=server.vm_state)


class ServerActionService(ServerUseCases):
    def act(self, ctx: RequestContext, server_id: str, action: str, *,
            reboot_type: str | None = None, image_ref: str | None = None,
            snapshot_name: str | None = None, name: str | None = None,
            description: Any = KEEP, backup: Backup | None = None,
            rebuild: RebuildChanges | None = None,
            snapshot_metadata: dict[str, str] | None = None) -> Server:
        """Returns the server; for createImage and createBackup its task_args name the new
        image. `description` (rebuild, 2.19) is KEEP, None or a string; `backup` is what
        createBackup asks for; `rebuild` the key pair, user data and hostname a rebuild
        changes (2.54, 2.57, 2.90); `snapshot_metadata` createImage's image properties."""
        if action == "reboot" and reboot_type not in ("SOFT", "HARD"):
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="type")
        snapshot_id = None
        if action == "createImage" and self._volume_backed(ctx, server_id):
            return self._snapshot_volumes(ctx, server_id, snapshot_name,
                                          snapshot_metadata or {})
        if action in SNAPSHOTS:
            snapshot_id = self._reserve_snapshot(ctx, server_id, snapshot_name, action, backup,
                                                 snapshot_metadata or {})
        try:
            server = self._act(ctx, server_id, action, reboot_type, image_ref, name,
                               snapshot_id, description, backup, rebuild or RebuildChanges())
        except BaseException:
            if snapshot_id is not None:
                self.p.images.discard_snapshot(snapshot_id, "the snapshot was refused")
            raise
        # Committed: the host's agent carries the task out.
        self.wake_agents([server.host])
        return server

    def _reserve_snapshot(self, ctx: RequestContext, server_id: str,
                          snapshot_name: str | None, action: str = "createImage",
                          backup: Backup | None = None,
                          metadata: dict[str, str] | None = None) -> str:
        """The image record comes first, outside the server's transaction (the image
        service has its own), so that its id can be returned at once as Nova does."""
        if not snapshot_name:
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="name")
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, ROWS[action], server)
            if server.task_state is not None or "createImage" not in ALLOWED_ACTIONS.get(
                    server.vm_state, set()):
                raise _conflict(server, action)
        # A snapshot boots like its base image: it keeps how that image boots.
        base = self.p.images.describe(ctx, server.image_id)
        inherited = {k: v for k, v in base.properties.items() if k in BOOT_PROPERTIES}
        # As Nova: createImage's metadata come last (a tenant may say its own image_type).
        kind = {"image_type": "snapshot", **(metadata or {})} if backup is None else {
            **backup.metadata, "image_type": "backup", "backup_type": backup.backup_type}
        return self.p.images.reserve_snapshot(
            ctx, snapshot_name, {**inherited, **kind, "instance_uuid": server.id,
                                 "base_image_ref": server.image_id})

    def _volume_backed(self, ctx: RequestContext, server_id: str) -> bool:
        if self.p.volumes is None:
            return False
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            found = self.p.volumes.describe(uow, [server.id]).get(server.id, [])
        return any(v.boot_index == 0 for v in found)

    def _snapshot_volumes(self, ctx: RequestContext, server_id: str,
                          snapshot_name: str | None, metadata: dict[str, str]) -> Server:
        """createImage of a volume-backed server, as Nova's snapshot_volume_backed: a
        forced snapshot of each volume (taken by the agents after the commit) and an image
        with no data whose block_device_mapping boots new volumes from them. The server
        gets no task: the returned view's task_args name the image (not stored)."""
        assert self.p.volumes is not None
        if not snapshot_name:
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="name")
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, ROWS["createImage"], server)
            if server.task_state is not None or "createImage" not in ALLOWED_ACTIONS.get(
                    server.vm_state, set()):
                raise _conflict(server, "createImage")
            taken = self.p.volumes.snapshot(uow, ctx, server.id,
                                            f"snapshot for {snapshot_name}")
            self.action(uow, ctx, server, RECORDED["createImage"], finished=True)
            uow.commit()
        self.wake_agents([server.host])
        inherited: dict[str, str] = {}
        if server.image_id:
            try:
                base = self.p.images.describe(ctx, server.image_id)
                inherited = {k: v for k, v in base.properties.items()
                             if k in BOOT_PROPERTIES}
            except NotFound:
                pass  # the image the boot volume was made from is gone: nothing to keep
        properties = {**inherited, "image_type": "snapshot", **metadata,
                      "instance_uuid": server.id, "root_device_name": ROOT_DEVICE_NAME,
                      # Glance properties are strings: Nova's image API stores these two so.
                      "bdm_v2": "True",
                      "block_device_mapping": json.dumps([_mapping(t) for t in taken])}
        if server.image_id:
            properties["base_image_ref"] = server.image_id
        image_id = self.p.images.register_volume_snapshot(ctx, snapshot_name, properties)
        return dataclasses.replace(server, task_args={"image_id": image_id})

    def _act(self, ctx: RequestContext, server_id: str, action: str, reboot_type: str | None,
             image_ref: str | None, name: str | None, snapshot_id: str | None,
             description: Any, backup: Backup | None = None,
             rebuild: RebuildChanges | None = None) -> Server:
        if description is not KEEP:
            check_description(description)
        changes = rebuild or RebuildChanges()
        if changes.user_data is not KEEP:
            ServerService.check_user_data(changes.user_data)
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, ROWS[action], server)
            # Nova does not check the lock for a snapshot or a backup.
            if action not in SNAPSHOTS:
                self.require_unlocked(ctx, server)
            if server.task_state is not None or (
                    "createImage" if action in SNAPSHOTS else action) not in ALLOWED_ACTIONS.get(
                    server.vm_state, set()):
                raise _conflict(server, action)
            if action == "reboot":
                if server.vm_state == VmState.STOPPED and reboot_type == "SOFT":
                    raise _conflict(server, action)
                server.task_state = (TaskState.REBOOTING_HARD if reboot_type == "HARD"
                                     else TaskState.REBOOTING).value
            else:
                server.task_state = TASKS[action].value
            if action in ("rebuild", *SNAPSHOTS):
                self._volume_backed_refusals(uow, server, action, image_ref)
            if action == "rebuild":
                # The image service reads in its own transaction: SQLite allows that
                # beside this writer (WAL), and it takes no lock.
                image = boot_image(self.p.images, ctx, image_ref or server.image_id,
                                   not_found=ComputeFault.SERVER_REBUILD_IMAGE_NOT_FOUND)
                server.image_id = image.id
                # The guest boots the new image as that image says.
                server.kernel_id = image.properties.get("kernel_id", "")
                server.ramdisk_id = image.properties.get("ramdisk_id", "")
                if name:
                    server.name = name
                if description is not KEEP:
                    server.description = description
                self._rebuild_changes(uow, ctx, server, changes)
                if server.vm_state == VmState.ERROR.value:
                    server.vm_state = VmState.ACTIVE.value
            if snapshot_id is not None:
                server.task_args = {"image_id": snapshot_id}
                if backup is not None:
                    server.task_args["backup"] = {"type": backup.backup_type,
                                                  "rotation": backup.rotation}
            server.updated_at = self.p.clock.now()
            self.action(uow, ctx, server, RECORDED[action])
            uow.commit()
            return server

    def _volume_backed_refusals(self, uow: UnitOfWork, server: Server, action: str,
                                image_ref: str | None) -> None:
        """A server booted from a volume: its root disk is the volume, so a rebuild onto
        another image is refused (Nova's, before 2.93), and so is a backup (Nova refuses
        it too; createImage snapshots the volumes instead, `_snapshot_volumes`)."""
        if self.p.volumes is None:
            return
        found = self.p.volumes.describe(uow, [server.id]).get(server.id, [])
        if not any(v.boot_index == 0 for v in found):
            return
        if action in SNAPSHOTS:
            # Nova's 400 for a backup (createImage does not come here).
            raise ValidationError(ComputeFault.SERVER_VOLUME_SNAPSHOT_UNSUPPORTED,
                                  server_id=server.id)
        if image_ref and image_ref != server.image_id:
            raise ValidationError(ComputeFault.SERVER_VOLUME_REBUILD_IMAGE)

    @staticmethod
    def _rebuild_changes(uow: UnitOfWork, ctx: RequestContext, server: Server,
                         changes: RebuildChanges) -> None:
        if changes.key_name is not KEEP:
            if changes.key_name is None:
                server.key_name = server.key_data = None
            else:
                # The server owner's key pairs, as at create (Nova looks up the caller's).
                key = uow.keypairs.first(user_id=ctx.user_id, name=changes.key_name)
                if key is None:
                    raise ValidationError(ComputeFault.SERVER_KEYPAIR_INVALID,
                                          key_name=changes.key_name)
                server.key_name, server.key_data = key.name, key.public_key
        if changes.user_data is not KEEP:
            server.user_data = changes.user_data
        if changes.hostname is not None:
            server.hostname = changes.hostname

    # -- done by the API alone ---------------------------------------------------------------
    def lock(self, ctx: RequestContext, server_id: str, reason: str | None = None) -> Server:
        """Locks the server (Nova: by its owner, or by an administrator of another project).
        The owner locking again changes nothing. `reason` is 2.73's `locked_reason`."""
        if reason is not None and (not reason or len(reason) > 255):
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="locked_reason")
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, "compute:server:lock", server)
            is_owner = server.project_id == ctx.project_id
            if server.locked and is_owner:
                return server
            server.locked_by = LOCKED_BY_OWNER if is_owner else LOCKED_BY_ADMIN
            server.locked_reason = reason
            server.updated_at = self.p.clock.now()
            self.action(uow, ctx, server, "lock", finished=True)
            uow.commit()
            return server

    def unlock(self, ctx: RequestContext, server_id: str) -> Server:
        """Unlocks the server. A lock an administrator took can only be taken off by an
        administrator (Nova's unlock_override): 403 for the owner."""
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, "compute:server:unlock", server)
            expected = LOCKED_BY_OWNER if server.project_id == ctx.project_id else LOCKED_BY_ADMIN
            if server.locked_by not in (None, expected):
                self.enforce(ctx, "compute:server:unlock_override", server)
            server.locked_by = None
            server.locked_reason = None
            server.updated_at = self.p.clock.now()
            self.action(uow, ctx, server, "unlock", finished=True)
            uow.commit()
            return server

    def reset_state(self, ctx: RequestContext, server_id: str, state: str) -> Server:
        """os-resetState (administrators): sets the vm_state to `active` or `error` and
        clears any task, as Nova's admin action does. Nothing is asked of the agent: a
        server reset to `active` whose guest is not running is moved to `stopped` by
        the agent's next pass; one reset to `error` is left alone until deleted or
        rebuilt. The lock is not checked (Nova does not)."""
        if state not in RESET_STATES:
            raise ValidationError(ComputeFault.SERVER_RESET_STATE_INVALID, state=state)
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, "compute:server:reset_state", server)
            server.vm_state = RESET_STATES[state].value
            server.task_state = None
            server.task_args = None
            server.updated_at = self.p.clock.now()
            self.action(uow, ctx, server, "resetState", finished=True)
            uow.commit()
            return server

    def trigger_crash_dump(self, ctx: RequestContext, server_id: str) -> None:
        """Injects an NMI into the guest (2.17), which a guest set up for it answers with a
        crash dump. Asked of the host's agent at once: there is no task state for it."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, "compute:server:trigger_crash_dump", server)
            self.require_unlocked(ctx, server)
            if server.task_state is not None:
                raise _conflict(server, "trigger_crash_dump")
            if server.vm_state not in CRASH_DUMP_STATES or server.host is None:
                raise Conflict(ComputeFault.SERVER_VM_STATE_CONFLICT,
                               action="trigger_crash_dump", server_id=server.id,
                               vm_state=server.vm_state)
            host = server.host
        try:
            self.p.agents.trigger_crash_dump(host, server.id)
        except LookupError as exc:
            # No agent, or no running guest: Nova's InstanceNotRunning is a 409 too.
            raise Conflict(ComputeFault.SERVER_NOT_RUNNING, server_id=server.id) from exc
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id)
            self.action(uow, ctx, server, "trigger_crash_dump", finished=True)
            uow.commit()
