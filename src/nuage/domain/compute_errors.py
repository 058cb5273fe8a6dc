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
    # --- a server's networks (400 as Nova answers, unless said) ---
    # A network the caller cannot see, or none at all. Fields: network_id.
    SERVER_NETWORK_NOT_FOUND = "server.network_not_found"
    # A network with no subnet: no address to give the NIC. Fields: network_id.
    SERVER_NETWORK_REQUIRES_SUBNET = "server.network_requires_subnet"
    # A port the caller cannot see. Fields: port_id.
    SERVER_PORT_NOT_FOUND = "server.port_not_found"
    # Conflict (409): the port already belongs to a device. Fields: port_id.
    SERVER_PORT_IN_USE = "server.port_in_use"
    # One port, or one fixed IP, asked for several servers of one request.
    SERVER_PORT_WITH_COUNT = "server.port_with_count"
    SERVER_FIXED_IP_WITH_COUNT = "server.fixed_ip_with_count"
    # The address is not one of the network's subnets' (or not an address). Fields: address.
    SERVER_FIXED_IP_INVALID = "server.fixed_ip_invalid"
    # Fields: address.
    SERVER_FIXED_IP_IN_USE = "server.fixed_ip_in_use"
    # The network's subnets have no free address. Fields: network_id.
    SERVER_NO_MORE_FIXED_IPS = "server.no_more_fixed_ips"
    # NotFound: /servers/{id}/ips/{label} names a network the server has no port on
    # (kind "network", ident the label).
    SERVER_NOT_ON_NETWORK = "server.not_on_network"
    # A create's security group (name or id) the caller cannot see (400). Fields: group.
    SERVER_SECURITY_GROUP_NOT_FOUND = "server.security_group_not_found"
    # NotFound (404) of addSecurityGroup/removeSecurityGroup: the group named is unknown
    # (kind "security_group"; fields group, project_id); the server has no port (kind
    # "server"); the group is on none of its ports (kind "security_group"; fields group,
    # server_id).
    SERVER_GROUP_UNKNOWN = "server.group_unknown"
    SERVER_WITHOUT_PORTS = "server.without_ports"
    SERVER_GROUP_NOT_ON_SERVER = "server.group_not_on_server"
    # A port of the server has no port security (or no address): no group applies (400).
    SERVER_GROUP_CANNOT_BE_APPLIED = "server.group_cannot_be_applied"
    # Conflict (409): several of the project's groups have the name asked (Nova's
    # NoUniqueMatch, at create and in the group actions). Fields: group.
    SERVER_GROUP_AMBIGUOUS = "server.group_ambiguous"
    # Conflict (409): "auto" (or no networks) and more than one network the project may
    # use (Nova's NetworkAmbiguous). Fields: none.
    SERVER_NETWORK_AMBIGUOUS = "server.network_ambiguous"
    # "auto", no network to use, and no topology can be made for the project (Nova's
    # UnableToAutoAllocateNetwork). Fields: project_id.
    SERVER_NETWORK_AUTO_ALLOCATION_FAILED = "server.network_auto_allocation_failed"
    # OverLimit (403): the project's port quota. Fields: none.
    SERVER_PORT_LIMIT_EXCEEDED = "server.port_limit_exceeded"
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
    # Flavors. Fields: sort_key / sort_dir / marker; flavor_id; field, value, minimum;
    # maximum; name; project_id; key.
    FLAVOR_SORT_KEY_INVALID = "flavor.sort_key_invalid"
    FLAVOR_SORT_DIR_INVALID = "flavor.sort_dir_invalid"
    FLAVOR_MARKER_NOT_FOUND = "flavor.marker_not_found"
    FLAVOR_NAME_INVALID = "flavor.name_invalid"
    FLAVOR_ID_INVALID = "flavor.id_invalid"
    FLAVOR_FIELD_OUT_OF_RANGE = "flavor.field_out_of_range"
    FLAVOR_RXTX_FACTOR_INVALID = "flavor.rxtx_factor_invalid"
    FLAVOR_DESCRIPTION_TOO_LONG = "flavor.description_too_long"
    FLAVOR_ID_TAKEN = "flavor.id_taken"
    FLAVOR_NAME_TAKEN = "flavor.name_taken"
    # NotFound: a public flavor has no access list (ident: the flavor).
    FLAVOR_ACCESS_LIST_PUBLIC = "flavor.access_list_public"
    FLAVOR_ACCESS_TO_PUBLIC = "flavor.access_to_public"
    FLAVOR_ACCESS_EXISTS = "flavor.access_exists"
    # NotFound (ident: the project), with flavor_id.
    FLAVOR_ACCESS_NOT_FOUND = "flavor.access_not_found"
    # NotFound (ident: the key), with flavor_id.
    FLAVOR_EXTRA_SPEC_NOT_FOUND = "flavor.extra_spec_not_found"
    FLAVOR_EXTRA_SPEC_KEY_INVALID = "flavor.extra_spec_key_invalid"
    FLAVOR_EXTRA_SPEC_VALUE_INVALID = "flavor.extra_spec_value_invalid"
    # Keypairs. Fields: key_type; reason; name.
    KEYPAIR_USER_REQUIRED = "keypair.user_required"
    KEYPAIR_NAME_INVALID = "keypair.name_invalid"
    KEYPAIR_TYPE_INVALID = "keypair.type_invalid"
    KEYPAIR_PUBLIC_KEY_REQUIRED = "keypair.public_key_required"
    KEYPAIR_PUBLIC_KEY_TOO_LONG = "keypair.public_key_too_long"
    KEYPAIR_DATA_INVALID = "keypair.data_invalid"
    KEYPAIR_NAME_TAKEN = "keypair.name_taken"
    # OverLimit: the user's key pairs are at their quota.
    KEYPAIR_QUOTA_EXCEEDED = "keypair.quota_exceeded"
    # Quotas and limits. Fields: key, value; key, limit, in_use.
    QUOTA_KEY_UNKNOWN = "quota.key_unknown"
    QUOTA_VALUE_NOT_INTEGER = "quota.value_not_integer"
    QUOTA_VALUE_OUT_OF_RANGE = "quota.value_out_of_range"
    QUOTA_BELOW_USAGE = "quota.below_usage"
    QUOTA_CLASS_NAME_INVALID = "quota_class.name_invalid"
    # OverLimit: a project's instances, cores or ram. Fields: resource, requested, used,
    # limit.
    QUOTA_RESOURCE_EXCEEDED = "quota.resource_exceeded"
    LIMITS_PROJECT_REQUIRED = "limits.project_required"
    # Aggregates. Fields: field, value; zone; name; aggregate_id, zones, host.
    AGGREGATE_FIELD_INVALID = "aggregate.field_invalid"
    AGGREGATE_ZONE_EMPTY = "aggregate.zone_empty"
    AGGREGATE_ZONE_COLON = "aggregate.zone_colon"
    AGGREGATE_ZONE_INTERNAL = "aggregate.zone_internal"
    AGGREGATE_UPDATE_EMPTY = "aggregate.update_empty"
    AGGREGATE_NAME_TAKEN = "aggregate.name_taken"
    AGGREGATE_NOT_EMPTY = "aggregate.not_empty"
    AGGREGATE_HOSTS_IN_OTHER_ZONE = "aggregate.hosts_in_other_zone"
    AGGREGATE_HOSTS_HAVE_SERVERS = "aggregate.hosts_have_servers"
    AGGREGATE_HOST_EXISTS = "aggregate.host_exists"
    AGGREGATE_HOST_IN_OTHER_ZONE = "aggregate.host_in_other_zone"
    # NotFound (ident: the host), with aggregate_id.
    AGGREGATE_HOST_NOT_FOUND = "aggregate.host_not_found"
    # Hosts, hypervisors and compute services. Fields: host_action; host; binary.
    # The operator's views (hosts, hypervisors, services, aggregates) refuse an
    # unauthenticated caller with a 403 of their own.
    HOST_AUTHENTICATION_REQUIRED = "host.authentication_required"
    # The policy row compute:host:action refused; the wording quotes the host action.
    HOST_ACTION_DENIED = "host.action_denied"
    HOST_ACTION_UNKNOWN = "host.action_unknown"
    HOST_ACTION_UNSUPPORTED = "host.action_unsupported"
    HOST_UNAVAILABLE = "host.unavailable"
    # NotFound: no hypervisor's name contains the pattern (ident).
    HYPERVISOR_NO_MATCH = "hypervisor.no_match"
    # NotFound (ident: the host), with binary.
    COMPUTE_SERVICE_NOT_FOUND = "compute_service.not_found"
    COMPUTE_SERVICE_REASON_INVALID = "compute_service.disabled_reason_invalid"
    COMPUTE_SERVICE_NOT_TOGGLEABLE = "compute_service.not_toggleable"
    COMPUTE_SERVICE_NOT_FORCEABLE = "compute_service.not_forceable"
    # Usage. Fields: marker.
    USAGE_TIME_INVALID = "usage.time_invalid"
    USAGE_WINDOW_INVALID = "usage.window_invalid"
    USAGE_MARKER_NOT_FOUND = "usage.marker_not_found"
    # Diagnostics. Fields: server_id, vm_state.
    DIAGNOSTICS_SERVER_NOT_READY = "diagnostics.server_not_ready"
    DIAGNOSTICS_SERVER_STATE = "diagnostics.server_state"
    DIAGNOSTICS_SERVER_NOT_RUNNING = "diagnostics.server_not_running"
    # os-interface. Fields: port_id, network_id, server_id, project_id.
    INTERFACE_PORT_NOT_FOUND = "interface.port_not_found"
    INTERFACE_NOT_ATTACHED = "interface.not_attached"
    INTERFACE_NETWORK_NOT_FOUND = "interface.network_not_found"
    INTERFACE_NO_NETWORK = "interface.no_network"
    INTERFACE_NETWORK_AMBIGUOUS = "interface.network_ambiguous"
    INTERFACE_PORT_AND_NETWORK = "interface.port_and_network"
    INTERFACE_ADDRESS_WITHOUT_NETWORK = "interface.address_without_network"
    INTERFACE_TAG_UNSUPPORTED = "interface.tag_unsupported"
    # addFixedIp / removeFixedIp (before 2.44). Fields: network_id, address, server_id.
    FIXED_IP_NO_PORT_ON_NETWORK = "fixed_ip.no_port_on_network"
    FIXED_IP_NOT_ON_SERVER = "fixed_ip.not_on_server"
    # os-volume_attachments and block device mappings (the volume service's binding,
    # ports/compute_volumes.py, raises these too). Fields: volume_id, server_id, status,
    # field, problem.
    SERVER_VOLUME_NOT_FOUND = "server_volume.not_found"
    SERVER_VOLUME_UNAVAILABLE = "server_volume.unavailable"
    SERVER_VOLUME_ALREADY_ATTACHED = "server_volume.already_attached"
    SERVER_VOLUME_NOT_ATTACHED = "server_volume.not_attached"
    SERVER_VOLUME_NO_MAPPING = "server_volume.no_mapping"
    SERVER_VOLUME_ROOT_DETACH = "server_volume.root_detach"
    SERVER_VOLUME_SWAP_UNSUPPORTED = "server_volume.swap_unsupported"
    SERVER_VOLUME_UPDATE_MISMATCH = "server_volume.update_mismatch"
    SERVER_VOLUME_MAPPING_INVALID = "server_volume.mapping_invalid"
    SERVER_VOLUMES_UNAVAILABLE = "server_volume.no_block_storage"
    SERVER_VOLUME_REBUILD_IMAGE = "server_volume.rebuild_image"
    SERVER_VOLUME_SNAPSHOT_UNSUPPORTED = "server_volume.snapshot_unsupported"


class OverLimit(NuageError):
    """A quota would be exceeded (Nova answers 403 with the quota's name and numbers)."""


class TagNotFound(NotFound):
    """A server does not have the tag asked about (404, in Nova's words)."""

    def __init__(self, fault: ComputeFault, server_id: str, tag: str) -> None:
        super().__init__("tag", tag, fault=fault, server_id=server_id, tag=tag)
        self.server_id = server_id
