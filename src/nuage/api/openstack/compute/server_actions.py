"""POST /servers/{id}/action: one typed descriptor per action name (the body's one key).

A descriptor names the parser of the value under its key (server_requests.py), the
microversions it exists at, and the service call that answers it; `action` looks the key up
and runs it. A new action is one row in ACTIONS (as the S3 routing table is, api/s3/app.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.backups import parse_backup
from nuage.api.openstack.compute.deps import Deps, caller
from nuage.api.openstack.compute.server_requests import (
    RebuildRequest,
    SnapshotRequest,
    console_length,
    crash_dump_body,
    lock_reason,
    no_argument,
    nova_console_text,
    parse_create_image,
    parse_rebuild_action,
    reboot_type,
    reset_state,
    unlock_body,
)
from nuage.api.openstack.compute.server_security_groups import group_name
from nuage.api.openstack.compute.server_views import Version
from nuage.api.openstack.compute.servers import detail_views
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.services.compute.server_actions import Backup

T = TypeVar("T")


@dataclass(frozen=True)
class ActionCall:
    """One action request: who asks, on which server, at which microversion."""
    request: Request
    d: Deps
    ctx: RequestContext
    server_id: str
    name: str
    version: Version


@dataclass(frozen=True)
class ServerAction(Generic[T]):
    """`parse` reads the body's value at the request's microversion (400 on bad input);
    `run` makes the service call and writes the answer. Below `min_version` the server is
    still looked up (404 first, as Nova) and then the action refused (400); above
    `max_version` (an action a microversion removed) it is a 404 before any look-up."""
    parse: Callable[[object, Version], T]
    run: Callable[[ActionCall, T], Awaitable[Response]]
    min_version: Version | None = None
    max_version: Version | None = None

    async def __call__(self, c: ActionCall, arg: object) -> Response:
        if self.max_version is not None and c.version > self.max_version:
            raise NotFound("resource", c.request.url.path)
        if self.min_version is not None and c.version < self.min_version:
            await call(c.d.s.servers.get, c.ctx, c.server_id)
            major, minor = self.min_version
            raise ValidationError(f"The action {c.name} needs microversion {major}.{minor} "
                                  "or later.")
        return await self.run(c, self.parse(arg, c.version))


@dataclass(frozen=True)
class _Task:
    """The start/stop/pause family: the body is not read; the parsed value is the task
    the service is asked for."""
    task: str

    def parse(self, arg: object, version: Version) -> str:
        return self.task


async def _act(c: ActionCall, task: str) -> Response:
    await call(c.d.s.server_actions.act, c.ctx, c.server_id, task)
    return empty(202)


def simple(task: str) -> ServerAction[str]:
    """An action that only moves the server through a task (start, stop, pause...)."""
    return ServerAction(_Task(task).parse, _act)


async def _unsupported(c: ActionCall, _: None) -> Response:
    # The server is still looked up first, so an unknown server is a 404 as in Nova.
    await call(c.d.s.servers.get, c.ctx, c.server_id)
    raise ValidationError(f"The action {c.name} is not supported by this cloud.")


async def _soft_deleted_only(c: ActionCall, _: None) -> Response:
    # Only soft-deleted servers can be restored or force-deleted, and nuage deletes at once.
    found = await call(c.d.s.servers.get, c.ctx, c.server_id)
    raise Conflict(ComputeFault.SERVER_VM_STATE_CONFLICT, action=c.name,
                   server_id=c.server_id, vm_state=found.vm_state)


async def _console_output(c: ActionCall, length: int | None) -> Response:
    output = await call(c.d.s.servers.console_output, c.ctx, c.server_id, length)
    return reply({"output": nova_console_text(output, length)})


async def _lock(c: ActionCall, reason: str | None) -> Response:
    await call(c.d.s.server_actions.lock, c.ctx, c.server_id, reason)
    return empty(202)


async def _unlock(c: ActionCall, _: None) -> Response:
    await call(c.d.s.server_actions.unlock, c.ctx, c.server_id)
    return empty(202)


async def _reset_state(c: ActionCall, state: str) -> Response:
    # Nova validates the body first (400), then finds the server (404), then checks the
    # policy (403): the parser runs before this call.
    await call(c.d.s.server_actions.reset_state, c.ctx, c.server_id, state)
    return empty(202)


async def _trigger_crash_dump(c: ActionCall, _: None) -> Response:
    await call(c.d.s.server_actions.trigger_crash_dump, c.ctx, c.server_id)
    return empty(202)


async def _reboot(c: ActionCall, kind: str | None) -> Response:
    await call(c.d.s.server_actions.act, c.ctx, c.server_id, "reboot", reboot_type=kind)
    return empty(202)


async def _rebuild(c: ActionCall, req: RebuildRequest) -> Response:
    server = await call(c.d.s.server_actions.act, c.ctx, c.server_id, "rebuild",
                        image_ref=req.image_ref, name=req.name, description=req.description,
                        rebuild=req.changes)
    # Nova answers a rebuild with the same view as an update.
    views = await detail_views(c.request, c.ctx, [server], single=True, updated=True,
                               rebuild=True)
    return reply({"server": views[0]}, status=202)


async def _create_image(c: ActionCall, req: SnapshotRequest) -> Response:
    server = await call(c.d.s.server_actions.act, c.ctx, c.server_id, "createImage",
                        snapshot_name=req.name, snapshot_metadata=req.metadata)
    image_id = (server.task_args or {}).get("image_id")
    if c.version >= (2, 45):
        # 2.45: the image id in the body, no Location.
        return reply({"image_id": image_id}, status=202)
    return empty(202, headers={"Location": f"{c.d.server_views.image_base}/v2/images/"
                                           f"{image_id}"})


def _backup_request(arg: object, version: Version) -> tuple[str, Backup]:
    return parse_backup(arg)


async def _create_backup(c: ActionCall, req: tuple[str, Backup]) -> Response:
    image_name, backup = req
    server = await call(c.d.s.server_actions.act, c.ctx, c.server_id, "createBackup",
                        snapshot_name=image_name, backup=backup)
    image_id = (server.task_args or {}).get("image_id")
    if c.version >= (2, 45):
        return reply({"image_id": image_id}, status=202)
    # Nova names the image through its own images proxy, and only when it is kept.
    headers = ({"Location": f"{c.d.api_url(c.request)}/images/{image_id}"}
               if backup.rotation > 0 else None)
    return empty(202, headers=headers)


async def _add_security_group(c: ActionCall, name: str) -> Response:
    await call(c.d.s.servers.add_security_group, c.ctx, c.server_id, name)
    return empty(202)


async def _remove_security_group(c: ActionCall, name: str) -> Response:
    await call(c.d.s.servers.remove_security_group, c.ctx, c.server_id, name)
    return empty(202)


def _network_id(arg: object, version: Version) -> str:
    """addFixedIp's {"networkId": ...} (Nova's multinic schema)."""
    if not isinstance(arg, dict) or not isinstance(arg.get("networkId"), str | int) \
            or set(arg) != {"networkId"}:
        raise ValidationError("Invalid input for field/attribute addFixedIp. Value: "
                              f"{arg!r}. 'networkId' is a required property")
    return str(arg["networkId"])


def _address(arg: object, version: Version) -> str:
    """removeFixedIp's {"address": ...}."""
    if not isinstance(arg, dict) or not isinstance(arg.get("address"), str) \
            or set(arg) != {"address"}:
        raise ValidationError("Invalid input for field/attribute removeFixedIp. Value: "
                              f"{arg!r}. 'address' is a required property")
    return str(arg["address"])


async def _add_fixed_ip(c: ActionCall, network_id: str) -> Response:
    await call(c.d.s.interfaces.add_fixed_ip, c.ctx, c.server_id, network_id)
    return empty(202)


async def _remove_fixed_ip(c: ActionCall, address: str) -> Response:
    await call(c.d.s.interfaces.remove_fixed_ip, c.ctx, c.server_id, address)
    return empty(202)


UNSUPPORTED = ServerAction(no_argument, _unsupported)
# The floating and fixed IP proxies of Neutron, which 2.44 removed (404 from then on).
NETWORK_PROXY = ServerAction(no_argument, _unsupported, max_version=(2, 43))
SOFT_DELETE_ONLY = ServerAction(no_argument, _soft_deleted_only)

ACTIONS: dict[str, ServerAction[Any]] = {
    "os-start": simple("start"),
    "os-stop": simple("stop"),
    "pause": simple("pause"),
    "unpause": simple("unpause"),
    "suspend": simple("suspend"),
    "resume": simple("resume"),
    "reboot": ServerAction(reboot_type, _reboot),
    "rebuild": ServerAction(parse_rebuild_action, _rebuild),
    "createImage": ServerAction(parse_create_image, _create_image),
    "createBackup": ServerAction(_backup_request, _create_backup),
    "os-getConsoleOutput": ServerAction(console_length, _console_output),
    "lock": ServerAction(lock_reason, _lock),
    "unlock": ServerAction(unlock_body, _unlock),
    "os-resetState": ServerAction(reset_state, _reset_state),
    "trigger_crash_dump": ServerAction(crash_dump_body, _trigger_crash_dump,
                                       min_version=(2, 17)),
    "restore": SOFT_DELETE_ONLY,
    "forceDelete": SOFT_DELETE_ONLY,
    "addSecurityGroup": ServerAction(group_name, _add_security_group),
    "removeSecurityGroup": ServerAction(group_name, _remove_security_group),
    # os-multinic, which 2.44 removed (os-interface does it since).
    "addFixedIp": ServerAction(_network_id, _add_fixed_ip, max_version=(2, 43)),
    "removeFixedIp": ServerAction(_address, _remove_fixed_ip, max_version=(2, 43)),
    **dict.fromkeys(("addFloatingIp", "removeFloatingIp"), NETWORK_PROXY),
    # Nova actions nuage does not offer (yet): looked up, then refused with a 400.
    **dict.fromkeys(("migrate", "os-migrateLive", "resize", "confirmResize", "revertResize",
                     "shelve", "shelveOffload", "unshelve", "rescue", "unrescue",
                     "resetNetwork", "injectNetworkInfo", "changePassword", "evacuate",
                     "os-getVNCConsole", "os-getSPICEConsole", "os-getSerialConsole",
                     "os-getRDPConsole"),
                    UNSUPPORTED),
}


async def action(request: Request) -> Response:
    d, ctx = await caller(request)
    sid = request.path_params["server_id"]
    body = await json_object(request)
    if len(body) != 1:
        raise ValidationError("Exactly one action is expected in the request body.")
    (name, arg), = body.items()
    found = ACTIONS.get(name)
    if found is None:
        raise ValidationError(f"There is no such action: {name}")
    return await found(ActionCall(request, d, ctx, sid, name, d.version(request)), arg)


ROUTES: list[Route] = [Route("/servers/{server_id}/action", action, methods=["POST"])]
