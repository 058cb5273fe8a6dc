"""Compute faults the services raise and Nova names on the wire."""

from __future__ import annotations

from nuage.domain.errors import FaultCode, NotFound, NuageError


class ComputeFault(FaultCode):
    """What went wrong in compute use cases."""

    # --- servers and their actions ---
    # A request value the schema refuses, without more said. Fields: field.
    SERVER_FIELD_INVALID = "server.field_invalid"
    # A create asks for fewer servers at most than at least. Fields: min_count, max_count.
    SERVER_COUNT_RANGE_INVALID = "server.count_range_invalid"
    # A metadata key or value is not a string of 1 to 255 characters.
    SERVER_METADATA_INVALID = "server.metadata_invalid"
    # More metadata items than a server holds (Nova counts them as a quota: 403 OverLimit).
    # Fields: limit.
    SERVER_METADATA_OVER_LIMIT = "server.metadata_over_limit"
    # Networks asked for by name or port: nuage has none to give yet.
    SERVER_NETWORKS_UNAVAILABLE = "server.networks_unavailable"
    # A create without an image (boot from volume).
    SERVER_VOLUME_BOOT_UNSUPPORTED = "server.volume_boot_unsupported"
    # The caller has no key pair of that name. Fields: key_name.
    SERVER_KEYPAIR_INVALID = "server.keypair_invalid"
    # No host is in the zone asked for. Fields: availability_zone.
    SERVER_ZONE_UNAVAILABLE = "server.zone_unavailable"
    # Fields: limit (bytes, base64-encoded).
    SERVER_USER_DATA_TOO_LARGE = "server.user_data_too_large"
    SERVER_USER_DATA_NOT_BASE64 = "server.user_data_not_base64"
    # The flavor asked for does not exist or is private to other projects. Fields: flavor_id.
    SERVER_FLAVOR_NOT_FOUND = "server.flavor_not_found"
    # Fields: flavor_id.
    SERVER_FLAVOR_DISABLED = "server.flavor_disabled"
    # The flavor is smaller than the image needs. Fields: flavor_id, image_id.
    SERVER_FLAVOR_RAM_TOO_SMALL = "server.flavor_ram_too_small"
    SERVER_FLAVOR_DISK_TOO_SMALL = "server.flavor_disk_too_small"
    # A list's marker names no server of the list. Fields: marker.
    SERVER_MARKER_NOT_FOUND = "server.marker_not_found"
    # Fields: description (the value refused).
    SERVER_DESCRIPTION_INVALID = "server.description_invalid"
    # Fields: hostname (the value refused).
    SERVER_HOSTNAME_INVALID = "server.hostname_invalid"
    # Tags given at create or to replace a server's. Fields: tags, and `problem`
    # (domain.compute.tag_problem's account of the first bad tag) or `limit`.
    SERVER_TAGS_INVALID = "server.tags_invalid"
    SERVER_TAGS_TOO_MANY = "server.tags_too_many"
    # One tag added. Fields: tag, problem; or limit.
    SERVER_TAG_INVALID = "server.tag_invalid"
    SERVER_TAG_LIMIT_REACHED = "server.tag_limit_reached"
    # TagNotFound: the server lacks the tag checked for, or the tag to remove.
    # Fields: server_id, tag (and NotFound's kind, ident).
    SERVER_TAG_ABSENT = "server.tag_absent"
    SERVER_TAG_NOT_FOUND = "server.tag_not_found"
    # A locked server refuses the change (409). Fields: server_id.
    SERVER_LOCKED = "server.locked"
    # The server's state does not allow the action (409). Fields: action, server_id, and
    # task_state or vm_state.
    SERVER_TASK_STATE_CONFLICT = "server.task_state_conflict"
    SERVER_VM_STATE_CONFLICT = "server.vm_state_conflict"
    # No console yet (building, error, no host). Fields: server_id.
    SERVER_NO_CONSOLE = "server.no_console"
    # The server's host agent does not answer. Fields: server_id.
    SERVER_HOST_UNREACHABLE = "server.host_unreachable"
    # No running guest for an action that needs one. Fields: server_id.
    SERVER_NOT_RUNNING = "server.not_running"
    # os-resetState to a state it does not set. Fields: state.
    SERVER_RESET_STATE_INVALID = "server.reset_state_invalid"
    # Boot images (create, rebuild; refused with 400): the root image is unknown or
    # invisible to the project, at create or at rebuild. Fields: image_ref.
    SERVER_IMAGE_NOT_FOUND = "server.image_not_found"
    SERVER_REBUILD_IMAGE_NOT_FOUND = "server.rebuild_image_not_found"
    # The root image, its kernel or its ramdisk is not active. Fields: image_id.
    SERVER_IMAGE_INACTIVE = "server.image_inactive"
    # A kernel (aki) or ramdisk (ari) image as a root disk. Fields: image_id.
    SERVER_IMAGE_NOT_BOOTABLE = "server.image_not_bootable"
    # The kernel or ramdisk the root image names is unknown or invisible. Fields: image_id.
    SERVER_IMAGE_PART_NOT_FOUND = "server.image_part_not_found"
    # --- flavors, keypairs, quotas, aggregates, hosts, usage ---


class OverLimit(NuageError):
    """A quota would be exceeded (Nova answers 403 with the quota's name and numbers)."""


class TagNotFound(NotFound):
    """A server does not have the tag asked about (404, in Nova's words)."""

    def __init__(self, fault: ComputeFault, server_id: str, tag: str) -> None:
        super().__init__("tag", tag, fault=fault, server_id=server_id, tag=tag)
        self.server_id = server_id
