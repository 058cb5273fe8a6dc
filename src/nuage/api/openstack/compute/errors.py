"""The Nova error table: domain errors -> {"<faultName>": {"code", "message"}}."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.image.errors import IMAGE_WORDING
from nuage.domain.compute_errors import ComputeFault, OverLimit
from nuage.domain.errors import (
    CommonFault,
    Conflict,
    FaultCode,
    Forbidden,
    NotFound,
    NuageError,
    RequestTooLarge,
    Unauthorized,
    ValidationError,
    Wording,
)

# OverLimit lives in the domain (services raise it); it is re-exported here for the facade.
__all__ = ["TABLE", "WORDING", "OverLimit", "nova_fault", "to_response"]

TABLE: list[tuple[type[NuageError], int, str]] = [
    (OverLimit, 403, "forbidden"),
    (ValidationError, 400, "badRequest"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "itemNotFound"),
    (Conflict, 409, "conflictingRequest"),
    (RequestTooLarge, 413, "overLimit"),
]


# A refusal by a policy row, in Nova's words where they differ from the default
# "Policy doesn't allow <action> to be performed." (action -> sentence).
POLICY_WORDS: dict[str, str] = {
    # --- servers and their actions ---
    # Nova's rule names, where it names one.
    "compute:server:create": "Policy doesn't allow os_compute_api:servers:create to be "
                             "performed.",
    "compute:server:create_on_host": "Policy doesn't allow compute:servers:create:"
                                     "requested_destination to be performed.",
    "compute:server:unlock_override": "Policy doesn't allow os_compute_api:os-lock-server:"
                                      "unlock:unlock_override to be performed.",
    "compute:server:reset_state": "Policy doesn't allow os_compute_api:os-admin-actions:"
                                  "reset_state to be performed.",
    "compute:migration:list": "Policy doesn't allow os_compute_api:os-migrations:index to "
                              "be performed.",
    "compute:server:list_migrations": "Policy doesn't allow os_compute_api:servers:"
                                      "migrations:index to be performed.",
    "compute:server:get_migration": "Policy doesn't allow os_compute_api:servers:migrations:"
                                    "show to be performed.",
    # The rest name none.
    **dict.fromkeys((
        "compute:server:get", "compute:server:list", "compute:server:update",
        "compute:server:delete", "compute:server:set_metadata",
        "compute:server:delete_metadata", "compute:server:update_tags",
        "compute:server:console_output", "compute:server:start", "compute:server:stop",
        "compute:server:reboot", "compute:server:pause", "compute:server:unpause",
        "compute:server:suspend", "compute:server:resume", "compute:server:rebuild",
        "compute:server:create_image", "compute:server:create_backup",
        "compute:server:trigger_crash_dump", "compute:server:lock", "compute:server:unlock",
    ), "Policy doesn't allow this operation."),
    # --- flavors, keypairs, quotas, aggregates, hosts, usage ---
}


def _policy_denied(f: Mapping[str, Any]) -> str:
    action = f["action"]
    return POLICY_WORDS.get(action, f"Policy doesn't allow {action} to be performed.")


# Each fault in Nova's words.
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: "Could not find {kind}: {ident}.",
    CommonFault.POLICY_DENIED: _policy_denied,
    # --- servers and their actions ---
    ComputeFault.SERVER_FIELD_INVALID: "Invalid input for field/attribute {field}.",
    ComputeFault.SERVER_COUNT_RANGE_INVALID: "min_count must be <= max_count",
    ComputeFault.SERVER_METADATA_INVALID:
        "Invalid metadata: keys and values must be strings of 1 to 255 characters.",
    ComputeFault.SERVER_METADATA_OVER_LIMIT:
        "Quota exceeded for metadata items: at most {limit} allowed.",
    ComputeFault.SERVER_NETWORKS_UNAVAILABLE:
        'Networks are not available yet: use "networks": "none" or "auto".',
    ComputeFault.SERVER_VOLUME_BOOT_UNSUPPORTED:
        "Booting from volume is not supported: an imageRef is required.",
    ComputeFault.SERVER_KEYPAIR_INVALID: "Invalid key_name provided.",
    ComputeFault.SERVER_ZONE_UNAVAILABLE: "The requested availability zone is not available",
    ComputeFault.SERVER_USER_DATA_TOO_LARGE:
        "User data too large. User data must be no larger than {limit} bytes once base64 "
        "encoded.",
    ComputeFault.SERVER_USER_DATA_NOT_BASE64: "User data needs to be valid base 64.",
    ComputeFault.SERVER_FLAVOR_NOT_FOUND: "Flavor {flavor_id} could not be found.",
    ComputeFault.SERVER_FLAVOR_DISABLED: "Flavor {flavor_id} is disabled.",
    ComputeFault.SERVER_FLAVOR_RAM_TOO_SMALL: "Flavor's memory is too small for requested image.",
    ComputeFault.SERVER_FLAVOR_DISK_TOO_SMALL: "Flavor's disk is too small for requested image.",
    ComputeFault.SERVER_MARKER_NOT_FOUND: "marker [{marker}] not found",
    ComputeFault.SERVER_DESCRIPTION_INVALID:
        "Invalid input for field/attribute description. Value: {description!r}. It must be "
        "at most 255 printable characters.",
    ComputeFault.SERVER_HOSTNAME_INVALID:
        "Invalid input for field/attribute hostname. Value: {hostname!r}.",
    ComputeFault.SERVER_TAGS_INVALID:
        "Invalid input for field/attribute tags. Value: {tags!r}. {problem}",
    ComputeFault.SERVER_TAGS_TOO_MANY:
        "Invalid input for field/attribute tags. Value: {tags!r}. The number of tags exceeded "
        "the per-server limit {limit}",
    ComputeFault.SERVER_TAG_INVALID:
        "Tag '{tag}' is invalid. It must be a non empty string without characters '/' and "
        "','. Validation error message: {problem}",
    ComputeFault.SERVER_TAG_LIMIT_REACHED:
        "The number of tags exceeded the per-server limit {limit}",
    ComputeFault.SERVER_TAG_ABSENT: "Server {server_id} has no tag '{tag}'",
    ComputeFault.SERVER_TAG_NOT_FOUND: "Instance {server_id} has no tag '{tag}'",
    ComputeFault.SERVER_LOCKED: "Instance {server_id} is locked",
    ComputeFault.SERVER_TASK_STATE_CONFLICT:
        "Cannot '{action}' instance {server_id} while it is in task_state {task_state}",
    ComputeFault.SERVER_VM_STATE_CONFLICT:
        "Cannot '{action}' instance {server_id} while it is in vm_state {vm_state}",
    ComputeFault.SERVER_NO_CONSOLE: "Instance {server_id} is not ready yet: it has no console.",
    ComputeFault.SERVER_HOST_UNREACHABLE: "The host of instance {server_id} is not reachable.",
    ComputeFault.SERVER_NOT_RUNNING: "Instance {server_id} is not running.",
    ComputeFault.SERVER_RESET_STATE_INVALID:
        "Invalid input for field/attribute state. Value: {state!r}. {state!r} is not one of "
        "['active', 'error']",
    ComputeFault.SERVER_IMAGE_NOT_FOUND: "Can not find requested image",
    ComputeFault.SERVER_REBUILD_IMAGE_NOT_FOUND: "Cannot find image for rebuild",
    ComputeFault.SERVER_IMAGE_INACTIVE: "Image {image_id} is not active.",
    ComputeFault.SERVER_IMAGE_NOT_BOOTABLE:
        "Image {image_id} is unacceptable: a kernel (aki) or ramdisk (ari) image cannot be a "
        "server's root disk.",
    ComputeFault.SERVER_IMAGE_PART_NOT_FOUND: "Image {image_id} could not be found.",
    # --- flavors, keypairs, quotas, aggregates, hosts, usage ---
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires authentication.",
}
# Nova's /images proxy and createImage pass the image service's faults on in Glance's words.
WORDING.update(IMAGE_WORDING)


def nova_fault(status: int, name: str, message: str,
               headers: dict[str, str] | None = None) -> Response:
    body = {name: {"code": status, "message": message}}
    return Response(json.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


def to_response(exc: NuageError, headers: dict[str, str]) -> Response:
    for kind, status, name in TABLE:
        if isinstance(exc, kind):
            return nova_fault(status, name, exc.worded(WORDING), headers)
    return nova_fault(500, "computeFault", "Unexpected API Error.", headers)
