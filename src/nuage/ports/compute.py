"""What compute needs from the image service: describing, fetching and publishing images.

A port rather than a direct call so that a remote agent can fetch over HTTP later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from nuage.domain.context import RequestContext


@dataclass(frozen=True)
class ImageInfo:
    id: str
    name: str | None
    status: str
    disk_format: str | None
    min_disk: int
    min_ram: int
    size: int | None
    properties: dict[str, str] = field(default_factory=dict)


class ImageSource(Protocol):
    def describe(self, ctx: RequestContext, image_id: str) -> ImageInfo:
        """The image as the caller may see it; NotFound if absent or invisible."""
        ...

    def fetch(self, image_id: str, dest: Path) -> None:
        """Write the image's bytes to `dest` (blocking, streamed). For the host's image cache,
        which checks first that the server's project may see the image (`describe` as that
        project) and proves the bytes afterwards: no check here."""
        ...

    def reserve_snapshot(self, ctx: RequestContext, name: str, properties: dict[str, str]
                         ) -> str:
        """Create a queued image owned by the caller's project for a server snapshot;
        returns its id (Nova returns it at once, before any byte is copied)."""
        ...

    def register_volume_snapshot(self, ctx: RequestContext, name: str,
                                 properties: dict[str, str]) -> str:
        """Create, owned by the caller's project, the image of a volume-backed server's
        snapshot: no data (size 0), active at once, its properties saying how to boot from
        the volume snapshots (Nova's block_device_mapping); returns its id."""
        ...

    def upload_snapshot(self, image_id: str, source: Path, disk_format: str) -> None:
        """Fill a reserved image from a local file; it becomes active."""
        ...

    def upload_image(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        """Fill a reserved image with `size` bytes streamed from `chunks` (a volume read
        in place: no local file); it becomes active. Blocking. An image already active
        is left as it is (a repeated call after a crash); one that is neither queued nor
        active (deleted, or an upload cut half way): an error, and the caller discards."""
        ...

    def discard_snapshot(self, image_id: str, reason: str) -> None:
        """Remove a reserved image that will never get its data."""
        ...

    def rotate_backups(self, project_id: str, instance_uuid: str, backup_type: str,
                       rotation: int) -> list[str]:
        """Delete the project's backups (image_type backup) of that server and type but
        the `rotation` newest (by created_at); returns the ids deleted. Blocking."""
        ...


class AgentChannel(Protocol):
    """How the control plane reaches the agent of a host (in-process in single-node mode;
    a message bus between machines later)."""

    def notify(self, host: str) -> None:
        """Wake the host's agent: intent changed. Non-blocking; losing it only delays."""
        ...

    def console_output(self, host: str, guest_id: str, length: int | None) -> str: ...

    def trigger_crash_dump(self, host: str, guest_id: str) -> None:
        """Inject an NMI into the running guest now (blocking, quick). LookupError when the
        host's agent is unreachable or the guest is not running there."""
        ...

    def diagnostics(self, host: str, guest_id: str) -> dict[str, Any]:
        """The guest's diagnostics (`Hypervisor.diagnostics`), read now (blocking, quick).
        LookupError when the host's agent is unreachable or the guest is not running."""
        ...

    def host_uptime(self, host: str) -> str:
        """The host's uptime as the `uptime` command prints it (Nova's hypervisor uptime),
        read by the host's agent now. LookupError when the agent is unreachable."""
        ...


class ComputeIndex(Protocol):
    def next_server_number(self) -> int:
        """The next server sequence number (call within the inserting write transaction)."""
        ...

    def lock_hosts(self) -> None:
        """Lock the compute host rows until the transaction ends (placement claims)."""
        ...

    def lock_project_quota(self, project_id: str) -> None:
        """Serialise, until the transaction ends, the write transactions that count a
        project's compute usage and then add to it (quota checks): a second one waits
        here for the first to end, then counts what it stored."""
        ...

    def lock_user_key_pairs(self, user_id: str) -> None:
        """The same for a user's key pairs (their quota is per user, across projects)."""
        ...
