"""A server's volumes after its create: Nova's os-volume_attachments (list, show, attach,
update, detach), on which `openstack server add|remove volume` ride.

The volume service owns the attachments (ServerVolumes, ports/compute_volumes.py): an
attach reserves the volume for the server in the same transaction as its instance
action, a detach marks it detaching. The guest follows on its host: the compute agent's
reconciler hot-plugs the volume into a running guest (or records it for a stopped one's
next start) and records `Attached`, or unplugs it and records `Detached`
(reconcile_volumes.py). Both sides' states are stored, so a crash loses nothing: the
next pass converges.
"""

from __future__ import annotations

from nuage.domain.compute import Server, VmState
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound
from nuage.ports.compute_volumes import ServerVolume, ServerVolumes
from nuage.ports.repositories import UnitOfWork
from nuage.services.compute.servers import ServerUseCases

# Nova's attach_volume and detach_volume (check_instance_state): these vm_states, no
# task. nuage has no shelved, resized or soft-deleted servers.
ATTACHABLE = frozenset({VmState.ACTIVE.value, VmState.PAUSED.value, VmState.STOPPED.value,
                        VmState.SUSPENDED.value})


class VolumeAttachmentService(ServerUseCases):
    def index(self, ctx: RequestContext, server_id: str, limit: int | None = None,
             offset: int = 0) -> list[ServerVolume]:
        """The server's volumes, boot volume first then by device, a page of them."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, "compute:server:list_volumes", server)
            found = self._described(uow, server)
        page = found[offset:]
        return page if limit is None else page[:limit]

    def show(self, ctx: RequestContext, server_id: str, volume_id: str) -> ServerVolume:
        """404 when the volume is not one of the server's."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, "compute:server:show_volume", server)
            found = self._described(uow, server)
        for volume in found:
            if volume.volume_id == volume_id:
                return volume
        raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NO_MAPPING,
                       volume_id=volume_id, server_id=server.id)

    def attach(self, ctx: RequestContext, server_id: str, volume_id: str,
               tag: str | None = None, delete_on_termination: bool = False) -> ServerVolume:
        """The volume reserved for the server (`attaching`); its host's agent plugs it.
        The device name is the volume service's to assign: a name the caller asks for is
        not honoured, as Nova's libvirt driver does not (virtio names disks in the order
        the guest finds them)."""
        with self.p.uow(write=True) as uow:
            server, volumes = self._changeable(uow, ctx, server_id,
                                               "compute:server:attach_volume",
                                               "attach_volume", volume_id)
            attached = volumes.reserve(uow, ctx, server.id, server.project_id,
                                       str(server.host), volume_id, None, tag,
                                       delete_on_termination)
            self.action(uow, ctx, server, "attach_volume", finished=True)
            uow.commit()
        self.wake_agents([server.host])
        return attached

    def update(self, ctx: RequestContext, server_id: str, volume_id: str,
               new_volume_id: str, delete_on_termination: bool | None = None
               ) -> ServerVolume:
        """PUT: `new_volume_id` other than `volume_id` asks for a swap (an administrator's
        action in Nova, which nuage's hypervisor cannot do: 409); else (2.85) only
        delete_on_termination changes."""
        swap = new_volume_id != volume_id
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            if swap:
                self.enforce(ctx, "compute:server:swap_volume", server)
            self.enforce(ctx, "compute:server:update_volume", server)
            self.require_unlocked(ctx, server)
            volumes = self.p.volumes
            if volumes is None:
                raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NOT_ATTACHED,
                               volume_id=volume_id)
            if swap:
                self._in_state(server, "swap_volume")
                if not any(v.volume_id == volume_id
                           for v in volumes.describe(uow, [server.id]).get(server.id, [])):
                    raise NotFound("volume", volume_id,
                                   ComputeFault.SERVER_VOLUME_NOT_ATTACHED,
                                   volume_id=volume_id)
                raise Conflict(ComputeFault.SERVER_VOLUME_SWAP_UNSUPPORTED,
                               server_id=server.id)
            changed = volumes.update(uow, ctx, server.id, volume_id, delete_on_termination)
            self.action(uow, ctx, server, "update_volume", finished=True)
            uow.commit()
        return changed

    def detach(self, ctx: RequestContext, server_id: str, volume_id: str) -> None:
        with self.p.uow(write=True) as uow:
            server, volumes = self._changeable(uow, ctx, server_id,
                                               "compute:server:detach_volume",
                                               "detach_volume", volume_id)
            volumes.begin_detach(uow, ctx, server.id, volume_id)
            self.action(uow, ctx, server, "detach_volume", finished=True)
            uow.commit()
        self.wake_agents([server.host])

    def _described(self, uow: UnitOfWork, server: Server) -> list[ServerVolume]:
        if self.p.volumes is None:
            return []
        return self.p.volumes.describe(uow, [server.id]).get(server.id, [])

    def _changeable(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, row: str,
                    action: str, volume_id: str) -> tuple[Server, ServerVolumes]:
        """The server, locked for the change: the caller may, it is not locked, and it
        is in a state Nova attaches and detaches in (409 otherwise)."""
        server = self.server(uow, ctx, server_id, for_update=True)
        self.enforce(ctx, row, server)
        self.require_unlocked(ctx, server)
        self._in_state(server, action)
        if self.p.volumes is None:
            # A cloud without block storage: no volume exists to attach or detach.
            if action == "attach_volume":
                raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NOT_FOUND,
                               volume_id=volume_id)
            raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NOT_ATTACHED,
                           volume_id=volume_id)
        return server, self.p.volumes

    @staticmethod
    def _in_state(server: Server, action: str) -> None:
        # Nova's check_instance_state: the vm_state first, then the task.
        if server.vm_state not in ATTACHABLE or server.host is None:
            raise Conflict(ComputeFault.SERVER_VM_STATE_CONFLICT, action=action,
                           server_id=server.id, vm_state=server.vm_state)
        if server.task_state is not None:
            raise Conflict(ComputeFault.SERVER_TASK_STATE_CONFLICT, action=action,
                           server_id=server.id, task_state=server.task_state)
