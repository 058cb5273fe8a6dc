"""Compute faults the services raise and Nova names on the wire."""

from __future__ import annotations

from nuage.domain.errors import FaultCode, NotFound, NuageError


class ComputeFault(FaultCode):
    """What went wrong in compute use cases."""

    # --- servers and their actions ---
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


class OverLimit(NuageError):
    """A quota would be exceeded (Nova answers 403 with the quota's name and numbers)."""


class TagNotFound(NotFound):
    """A server does not have the tag asked about (404, in Nova's words)."""

    def __init__(self, message: str, server_id: str, tag: str) -> None:
        NuageError.__init__(self, message)  # TRANSITION: the compute area words it
        self.kind = "tag"
        self.ident = tag
        self.server_id = server_id
