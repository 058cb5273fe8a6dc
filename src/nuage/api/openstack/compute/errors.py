"""The Nova error table: domain errors -> {"<faultName>": {"code", "message"}}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.common.errors import json_error, status_of
from nuage.api.openstack.image.errors import IMAGE_WORDING
from nuage.domain.compute_errors import ComputeFault, OverLimit
from nuage.domain.errors import (
    CommonFault,
    FaultCode,
    NuageError,
    Wording,
)

# OverLimit lives in the domain (services raise it); it is re-exported here for the facade.
__all__ = ["NAMES", "WORDING", "OverLimit", "nova_fault", "to_response"]

# Nova's fault names by status; OverLimit (a quota) is a 403 "forbidden" ahead of the rest.
NAMES: dict[int, str] = {400: "badRequest", 401: "unauthorized", 403: "forbidden",
                         404: "itemNotFound", 409: "conflictingRequest", 413: "overLimit"}
EXTRA: list[tuple[type[NuageError], int]] = [(OverLimit, 403)]


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
    # Rows checked by ResourceUseCases.enforce: nuage has always named its audit action.
    "compute:flavor:create": "Policy doesn't allow compute.flavor.create to be performed.",
    "compute:flavor:update": "Policy doesn't allow compute.flavor.update to be performed.",
    "compute:flavor:delete": "Policy doesn't allow compute.flavor.delete to be performed.",
    "compute:flavor:add_access":
        "Policy doesn't allow compute.flavor.access.add to be performed.",
    "compute:flavor:remove_access":
        "Policy doesn't allow compute.flavor.access.remove to be performed.",
    "compute:flavor:set_extra_specs":
        "Policy doesn't allow compute.flavor.extra_specs.set to be performed.",
    "compute:flavor:delete_extra_spec":
        "Policy doesn't allow compute.flavor.extra_specs.delete to be performed.",
    "compute:quota:update": "Policy doesn't allow compute.quota.update to be performed.",
    "compute:quota:delete": "Policy doesn't allow compute.quota.delete to be performed.",
    "compute:quota_class:update":
        "Policy doesn't allow compute.quota_class.update to be performed.",
    "compute:aggregate:create":
        "Policy doesn't allow compute.aggregate.create to be performed.",
    "compute:aggregate:update":
        "Policy doesn't allow compute.aggregate.update to be performed.",
    "compute:aggregate:delete":
        "Policy doesn't allow compute.aggregate.delete to be performed.",
    "compute:aggregate:add_host":
        "Policy doesn't allow compute.aggregate.add_host to be performed.",
    "compute:aggregate:remove_host":
        "Policy doesn't allow compute.aggregate.remove_host to be performed.",
    "compute:aggregate:set_metadata":
        "Policy doesn't allow compute.aggregate.set_metadata to be performed.",
    "compute:service:update": "Policy doesn't allow compute.service.update to be performed.",
    "compute:service:force_down":
        "Policy doesn't allow compute.service.force_down to be performed.",
    # Reads, in Nova's policy names.
    "compute:flavor:list_access":
        "Policy doesn't allow os_compute_api:os-flavor-access to be performed.",
    "compute:keypair:list":
        "Policy doesn't allow os_compute_api:os-keypairs:index to be performed.",
    "compute:keypair:show":
        "Policy doesn't allow os_compute_api:os-keypairs:show to be performed.",
    "compute:keypair:create":
        "Policy doesn't allow os_compute_api:os-keypairs:create to be performed.",
    "compute:keypair:delete":
        "Policy doesn't allow os_compute_api:os-keypairs:delete to be performed.",
    "compute:quota:show":
        "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.",
    "compute:quota_class:show":
        "Policy doesn't allow os_compute_api:os-quota-class-sets:show to be performed.",
    "compute:limits:show":
        "Policy doesn't allow os_compute_api:limits:other_project to be performed.",
    "compute:usage:list":
        "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed.",
    "compute:usage:show":
        "Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed.",
    "compute:aggregate:list":
        "Policy doesn't allow os_compute_api:os-aggregates:index to be performed.",
    "compute:aggregate:show":
        "Policy doesn't allow os_compute_api:os-aggregates:show to be performed.",
    "compute:hypervisor:list":
        "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.",
    "compute:hypervisor:show":
        "Policy doesn't allow os_compute_api:os-hypervisors:show to be performed.",
    "compute:hypervisor:uptime":
        "Policy doesn't allow os_compute_api:os-hypervisors:uptime to be performed.",
    "compute:hypervisor:search":
        "Policy doesn't allow os_compute_api:os-hypervisors:search to be performed.",
    "compute:hypervisor:servers":
        "Policy doesn't allow os_compute_api:os-hypervisors:servers to be performed.",
    "compute:service:list":
        "Policy doesn't allow os_compute_api:os-services:list to be performed.",
    "compute:host:list": "Policy doesn't allow os_compute_api:os-hosts:list to be performed.",
    "compute:host:show": "Policy doesn't allow os_compute_api:os-hosts:show to be performed.",
    "compute:host:show_status":
        "Policy doesn't allow os_compute_api:servers:show:host_status to be performed.",
    "compute:availability_zone:detail":
        "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed.",
    "compute:server:diagnostics":
        "Policy doesn't allow os_compute_api:os-server-diagnostics to be performed.",
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
    ComputeFault.SERVER_NETWORK_NOT_FOUND: "Network {network_id} could not be found.",
    ComputeFault.SERVER_NETWORK_REQUIRES_SUBNET:
        "Network {network_id} requires a subnet in order to boot instances on.",
    ComputeFault.SERVER_PORT_NOT_FOUND: "Port id {port_id} could not be found.",
    ComputeFault.SERVER_PORT_IN_USE: "Port {port_id} is still in use.",
    ComputeFault.SERVER_PORT_WITH_COUNT:
        "Unable to launch multiple instances with a single configured port ID. Please "
        "launch your instance one by one with different ports.",
    ComputeFault.SERVER_FIXED_IP_WITH_COUNT:
        "max_count cannot be greater than 1 if an fixed_ip is specified.",
    ComputeFault.SERVER_FIXED_IP_INVALID: "Fixed IP address {address} is invalid.",
    ComputeFault.SERVER_FIXED_IP_IN_USE: "Fixed IP address {address} is already in use.",
    ComputeFault.SERVER_NO_MORE_FIXED_IPS:
        "No fixed IP addresses available for network: {network_id}",
    ComputeFault.SERVER_PORT_LIMIT_EXCEEDED: "Maximum number of ports exceeded",
    ComputeFault.SERVER_SECURITY_GROUP_NOT_FOUND:
        "Unable to find security_group with name or id '{group}'",
    ComputeFault.SERVER_GROUP_UNKNOWN: "Security group {group} is not found for project "
                                       "{project_id}",
    ComputeFault.SERVER_WITHOUT_PORTS:
        "instance_id {ident} could not be found as device id on any ports",
    ComputeFault.SERVER_GROUP_NOT_ON_SERVER:
        "Security group {group} not associated with the instance {server_id}",
    ComputeFault.SERVER_NETWORK_AMBIGUOUS:
        "Multiple possible networks found, use a Network ID to be more specific.",
    ComputeFault.SERVER_NETWORK_AUTO_ALLOCATION_FAILED:
        "Unable to automatically allocate a network for project {project_id}",
    ComputeFault.SERVER_GROUP_AMBIGUOUS:
        "Multiple security_group matches found for name '{group}', use an ID to be more "
        "specific.",
    ComputeFault.SERVER_GROUP_CANNOT_BE_APPLIED:
        "Network requires port_security_enabled and subnet associated in order to apply "
        "security groups.",
    ComputeFault.SERVER_NOT_ON_NETWORK: "Instance is not a member of specified network",
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
    ComputeFault.FLAVOR_SORT_KEY_INVALID: "Invalid sort_key: {sort_key}.",
    ComputeFault.FLAVOR_SORT_DIR_INVALID: "Invalid sort_dir: {sort_dir}.",
    ComputeFault.FLAVOR_MARKER_NOT_FOUND: "marker [{marker}] not found",
    ComputeFault.FLAVOR_NAME_INVALID: "Invalid input for field 'name': a flavor name is 1 to "
                                      "255 characters without leading or trailing "
                                      "whitespace.",
    ComputeFault.FLAVOR_ID_INVALID: "Invalid input for field 'id': {flavor_id!r} does not "
                                    "match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'.",
    ComputeFault.FLAVOR_FIELD_OUT_OF_RANGE: "Invalid input for field '{field}': {value} is "
                                            "out of range (minimum {minimum}).",
    ComputeFault.FLAVOR_RXTX_FACTOR_INVALID: "Invalid input for field 'rxtx_factor': it must "
                                             "be positive.",
    ComputeFault.FLAVOR_DESCRIPTION_TOO_LONG: "Invalid input for field 'description': it is "
                                              "longer than {maximum} characters.",
    ComputeFault.FLAVOR_ID_TAKEN: "Flavor with ID {flavor_id} already exists.",
    ComputeFault.FLAVOR_NAME_TAKEN: "Flavor with name {name} already exists.",
    ComputeFault.FLAVOR_ACCESS_LIST_PUBLIC: "Could not find flavor access list (public "
                                            "flavors have none): {ident}.",
    ComputeFault.FLAVOR_ACCESS_TO_PUBLIC: "Can not add access to a public flavor.",
    ComputeFault.FLAVOR_ACCESS_EXISTS: "Flavor access already exists for flavor {flavor_id} "
                                       "and project {project_id} combination.",
    ComputeFault.FLAVOR_ACCESS_NOT_FOUND: "Could not find flavor access: {flavor_id} / "
                                          "{ident}.",
    ComputeFault.FLAVOR_EXTRA_SPEC_NOT_FOUND: "Could not find extra spec: {ident} of flavor "
                                              "{flavor_id}.",
    ComputeFault.FLAVOR_EXTRA_SPEC_KEY_INVALID: "Invalid extra spec key {key!r}: 1 to 255 of "
                                                "letters, digits, '-', '_', ':', '.' and "
                                                "spaces.",
    ComputeFault.FLAVOR_EXTRA_SPEC_VALUE_INVALID: "Invalid extra spec value for {key!r}: a "
                                                  "string of at most {maximum} characters "
                                                  "is expected.",
    ComputeFault.KEYPAIR_USER_REQUIRED: "A user token is needed for keypairs.",
    ComputeFault.KEYPAIR_NAME_INVALID: "Invalid input for field 'name': Keypair name must be "
                                       "string and between 1 and 255 characters long, of "
                                       "letters, digits, spaces, '_' and '-'.",
    ComputeFault.KEYPAIR_TYPE_INVALID: "Invalid input for field/attribute type. Value: "
                                       "{key_type!r}. {key_type!r} is not one of ['ssh', "
                                       "'x509']",
    ComputeFault.KEYPAIR_PUBLIC_KEY_REQUIRED: "'public_key' is a required property.",
    ComputeFault.KEYPAIR_PUBLIC_KEY_TOO_LONG: "Keypair data is invalid: the public key is "
                                              "too long.",
    ComputeFault.KEYPAIR_DATA_INVALID: "Keypair data is invalid: {reason}.",
    ComputeFault.KEYPAIR_NAME_TAKEN: "Key pair '{name}' already exists.",
    ComputeFault.KEYPAIR_QUOTA_EXCEEDED: "Quota exceeded, too many key pairs.",
    ComputeFault.QUOTA_KEY_UNKNOWN: "Additional properties are not allowed ('{key}' was "
                                    "unexpected).",
    ComputeFault.QUOTA_VALUE_NOT_INTEGER: "Invalid input for field '{key}': {value!r} is not "
                                          "an integer.",
    ComputeFault.QUOTA_VALUE_OUT_OF_RANGE: "Invalid input for field '{key}': {value} must be "
                                           "-1 or more.",
    ComputeFault.QUOTA_BELOW_USAGE: "Quota limit {limit} for {key} must be greater than or "
                                    "equal to already used and reserved {in_use}.",
    ComputeFault.QUOTA_CLASS_NAME_INVALID: "Invalid input for field/attribute id: the quota "
                                           "class name must be 1 to 255 characters.",
    ComputeFault.QUOTA_RESOURCE_EXCEEDED: "Quota exceeded for {resource}: Requested "
                                          "{requested}, but already used {used} of {limit} "
                                          "{resource}",
    ComputeFault.LIMITS_PROJECT_REQUIRED: "A project-scoped token is needed to read limits.",
    ComputeFault.AGGREGATE_FIELD_INVALID: "Invalid input for field/attribute {field}. Value: "
                                          "{value!r}.",
    ComputeFault.AGGREGATE_ZONE_EMPTY: "Aggregates do not support an empty named "
                                       "availability zone.",
    ComputeFault.AGGREGATE_ZONE_COLON: "Invalid input for field/attribute availability_zone: "
                                       "it cannot contain ':'.",
    ComputeFault.AGGREGATE_ZONE_INTERNAL: "The availability zone {zone!r} is the control "
                                          "plane's internal zone.",
    ComputeFault.AGGREGATE_UPDATE_EMPTY: "Invalid input for field/attribute aggregate: 'name' "
                                         "or 'availability_zone' is expected.",
    ComputeFault.AGGREGATE_NAME_TAKEN: "Aggregate {name} already exists.",
    ComputeFault.AGGREGATE_NOT_EMPTY: "Cannot delete aggregate {aggregate_id}: host "
                                      "aggregate is not empty.",
    ComputeFault.AGGREGATE_HOSTS_IN_OTHER_ZONE: "Cannot update aggregate {aggregate_id}: one "
                                                "or more hosts are already in availability "
                                                "zone(s) {zones}.",
    ComputeFault.AGGREGATE_HOSTS_HAVE_SERVERS: "Cannot update aggregate {aggregate_id}: one "
                                               "or more hosts contain instances in this "
                                               "zone.",
    ComputeFault.AGGREGATE_HOST_EXISTS: "Aggregate {aggregate_id} already has host {host}.",
    ComputeFault.AGGREGATE_HOST_IN_OTHER_ZONE: "Cannot add host to aggregate {aggregate_id}: "
                                               "the host is already in availability zone(s) "
                                               "{zones}.",
    ComputeFault.AGGREGATE_HOST_NOT_FOUND: "Could not find host in aggregate {aggregate_id}: "
                                           "{ident}.",
    ComputeFault.HOST_AUTHENTICATION_REQUIRED: "Authentication required.",
    ComputeFault.HOST_ACTION_DENIED: "Policy doesn't allow os_compute_api:os-hosts:"
                                     "{host_action} to be performed.",
    ComputeFault.HOST_ACTION_UNKNOWN: "Unknown host action {host_action!r}.",
    ComputeFault.HOST_ACTION_UNSUPPORTED: "Host action {host_action} is not supported by this "
                                          "cloud.",
    ComputeFault.HOST_UNAVAILABLE: "Compute service of {host} is unavailable at this time.",
    ComputeFault.HYPERVISOR_NO_MATCH: "Could not find hypervisor matching: {ident}.",
    ComputeFault.COMPUTE_SERVICE_NOT_FOUND: "Could not find compute service: {binary} on "
                                            "{ident}.",
    ComputeFault.COMPUTE_SERVICE_REASON_INVALID: "Invalid input for field/attribute "
                                                 "disabled_reason.",
    ComputeFault.COMPUTE_SERVICE_NOT_TOGGLEABLE: "Only nova-compute can be enabled or "
                                                 "disabled, not {binary!r}.",
    ComputeFault.COMPUTE_SERVICE_NOT_FORCEABLE: "Only nova-compute can be forced down, not "
                                                "{binary!r}.",
    ComputeFault.USAGE_TIME_INVALID: "Datetime is in invalid format",
    ComputeFault.USAGE_WINDOW_INVALID: "Invalid start time. The start time cannot occur "
                                       "after the end time.",
    ComputeFault.USAGE_MARKER_NOT_FOUND: "Marker {marker} could not be found.",
    ComputeFault.DIAGNOSTICS_SERVER_NOT_READY: "Instance {server_id} is not ready yet.",
    ComputeFault.DIAGNOSTICS_SERVER_STATE: "Cannot 'get_diagnostics' instance {server_id} "
                                           "while it is in vm_state {vm_state}",
    ComputeFault.DIAGNOSTICS_SERVER_NOT_RUNNING: "Instance {server_id} is not running.",
    ComputeFault.INTERFACE_PORT_NOT_FOUND: "Port {port_id} could not be found.",
    ComputeFault.INTERFACE_NOT_ATTACHED:
        "Instance {server_id} does not have a port with id {port_id}",
    ComputeFault.INTERFACE_NETWORK_NOT_FOUND: "Network {network_id} could not be found.",
    ComputeFault.INTERFACE_NO_NETWORK: "No specific network was requested and none are "
                                       "available for project '{project_id}'.",
    ComputeFault.INTERFACE_NETWORK_AMBIGUOUS: "Multiple possible networks found, use a "
                                              "Network ID to be more specific.",
    ComputeFault.INTERFACE_PORT_AND_NETWORK: "Must not input both network_id and port_id",
    ComputeFault.INTERFACE_ADDRESS_WITHOUT_NETWORK:
        "Must input network_id when request IP address",
    ComputeFault.INTERFACE_TAG_UNSUPPORTED:
        "Additional properties are not allowed ('tag' was unexpected)",
    ComputeFault.FIXED_IP_NO_PORT_ON_NETWORK:
        "Network {network_id} is not attached to instance {server_id}",
    ComputeFault.FIXED_IP_NOT_ON_SERVER:
        "Unable to find address {address} on instance {server_id}",
    ComputeFault.SERVER_VOLUME_NOT_FOUND: "Volume {volume_id} could not be found.",
    ComputeFault.SERVER_VOLUME_UNAVAILABLE:
        "Invalid volume: volume {volume_id} status must be 'available', not '{status}'",
    ComputeFault.SERVER_VOLUME_ALREADY_ATTACHED:
        "Invalid volume: volume {volume_id} already attached",
    ComputeFault.SERVER_VOLUME_NOT_ATTACHED: "volume_id not found: {volume_id}",
    ComputeFault.SERVER_VOLUME_NO_MAPPING:
        "No volume Block Device Mapping with id {volume_id}.",
    ComputeFault.SERVER_VOLUME_ROOT_DETACH: "Cannot detach a root device volume",
    ComputeFault.SERVER_VOLUME_SWAP_UNSUPPORTED:
        "Swapping the volumes of instance {server_id} is not supported by this cloud.",
    ComputeFault.SERVER_VOLUME_UPDATE_MISMATCH:
        "The {field} of a volume attachment cannot be changed.",
    ComputeFault.SERVER_VOLUME_MAPPING_INVALID: "Block Device Mapping is Invalid: {problem}",
    ComputeFault.SERVER_VOLUME_REBUILD_IMAGE:
        "Unable to rebuild with a different image for a volume-backed server.",
    ComputeFault.SERVER_VOLUME_SNAPSHOT_UNSUPPORTED:
        "Backup is not supported for volume-backed instances.",
    ComputeFault.SERVER_VOLUMES_UNAVAILABLE:
        "Block Device Mapping is Invalid: this cloud has no block storage service.",
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires authentication.",
}
# Nova's /images proxy and createImage pass the image service's faults on in Glance's words.
WORDING.update(IMAGE_WORDING)


def nova_fault(status: int, name: str, message: str,
               headers: dict[str, str] | None = None) -> Response:
    return json_error({name: {"code": status, "message": message}}, status, headers)


def to_response(exc: NuageError, headers: dict[str, str]) -> Response:
    status = status_of(exc, EXTRA)
    if status is None:
        return nova_fault(500, "computeFault", "Unexpected API Error.", headers)
    return nova_fault(status, NAMES[status], exc.worded(WORDING), headers)
