"""Server actions (POST /servers/{id}/action): each checks the state machine, records the
intent as a task state, and leaves the work to the host agent."""

from __future__ import annotations

from nuage.domain.compute import ALLOWED_ACTIONS, Server, TaskState, VmState
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, ValidationError
from nuage.services.compute.servers import ServerUseCases

# action -> the task state that asks the agent to carry it out
TASKS = {
    "stop": TaskState.POWERING_OFF, "start": TaskState.POWERING_ON,
    "pause": TaskState.PAUSING, "unpause": TaskState.UNPAUSING,
    "suspend": TaskState.SUSPENDING, "resume": TaskState.RESUMING,
    "rebuild": TaskState.REBUILDING, "createImage": TaskState.IMAGE_SNAPSHOT,
}
# Image properties a snapshot keeps from the image its server booted from.
BOOT_PROPERTIES = ("kernel_id", "ramdisk_id", "os_command_line", "os_distro", "hw_disk_bus")
# Nova's action names in instance actions and audit events
RECORDED = {"stop": "stop", "start": "start", "pause": "pause", "unpause": "unpause",
            "suspend": "suspend", "resume": "resume", "rebuild": "rebuild",
            "createImage": "createImage", "reboot": "reboot"}


def _conflict(server: Server, action: str) -> Conflict:
    if server.task_state:
        return Conflict(f"Cannot '{action}' instance {server.id} while it is in task_state "
                        f"{server.task_state}")
    return Conflict(f"Cannot '{action}' instance {server.id} while it is in vm_state "
                    f"{server.vm_state}")


class ServerActionService(ServerUseCases):
    def act(self, ctx: RequestContext, server_id: str, action: str, *,
            reboot_type: str | None = None, image_ref: str | None = None,
            snapshot_name: str | None = None, name: str | None = None) -> Server:
        """Returns the server; for createImage its task_args name the new image."""
        if action == "reboot" and reboot_type not in ("SOFT", "HARD"):
            raise ValidationError("Invalid input for field/attribute type.")
        snapshot_id = None
        if action == "createImage":
            snapshot_id = self._reserve_snapshot(ctx, server_id, snapshot_name)
        try:
            return self._act(ctx, server_id, action, reboot_type, image_ref, name, snapshot_id)
        except BaseException:
            if snapshot_id is not None:
                self.p.images.discard_snapshot(snapshot_id, "the snapshot was refused")
            raise

    def _reserve_snapshot(self, ctx: RequestContext, server_id: str,
                          snapshot_name: str | None) -> str:
        """The image record comes first, outside the server's transaction (the image
        service has its own), so that its id can be returned at once as Nova does."""
        if not snapshot_name:
            raise ValidationError("Invalid input for field/attribute name.")
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.require_member(ctx, server)
            if server.task_state is not None or "createImage" not in ALLOWED_ACTIONS.get(
                    server.vm_state, set()):
                raise _conflict(server, "createImage")
        # A snapshot boots like its base image: it keeps how that image boots.
        base = self.p.images.describe(ctx, server.image_id)
        inherited = {k: v for k, v in base.properties.items() if k in BOOT_PROPERTIES}
        return self.p.images.reserve_snapshot(
            ctx, snapshot_name, {**inherited, "instance_uuid": server.id,
                                 "image_type": "snapshot", "base_image_ref": server.image_id})

    def _act(self, ctx: RequestContext, server_id: str, action: str, reboot_type: str | None,
             image_ref: str | None, name: str | None, snapshot_id: str | None) -> Server:
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id)
            self.require_member(ctx, server)
            if server.task_state is not None or action not in ALLOWED_ACTIONS.get(
                    server.vm_state, set()):
                raise _conflict(server, action)
            if action == "reboot":
                if server.vm_state == VmState.STOPPED and reboot_type == "SOFT":
                    raise _conflict(server, action)
                server.task_state = (TaskState.REBOOTING_HARD if reboot_type == "HARD"
                                     else TaskState.REBOOTING).value
            else:
                server.task_state = TASKS[action].value
            if action == "rebuild":
                # The image service reads in its own transaction: SQLite allows that
                # beside this writer (WAL), and it takes no lock.
                image = self.p.images.describe(ctx, image_ref or server.image_id)
                if image.status != "active":
                    raise ValidationError(f"Image {image.id} is not active.")
                server.image_id = image.id
                if name:
                    server.name = name
                if server.vm_state == VmState.ERROR.value:
                    server.vm_state = VmState.ACTIVE.value
            if snapshot_id is not None:
                server.task_args = {"image_id": snapshot_id}
            server.updated_at = self.p.clock.now()
            self.action(uow, ctx, server, RECORDED[action])
            uow.commit()
            return server
