"""Neutron's attribute maps: for each resource, its wire names, the domain attribute each
stands for, its type, whether a POST or a PUT may set it, and the policy row that shows it.

One table drives the body parsing (requests.py), the filters and sort keys of lists, and
the rendering (render.py), so a wire name is spelled once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    STRING = "string"
    NULLABLE_STRING = "nullable string"
    BOOL = "bool"
    INT = "int"
    NULLABLE_INT = "nullable int"
    STRINGS = "list of strings"
    DICTS = "list of objects"
    OBJECT = "object"
    # Not parsed by the table (fixed_ips, tenant_id): requests.py reads them itself.
    SPECIAL = "special"


@dataclass(frozen=True)
class Attr:
    wire: str
    # The domain attribute; None for what is computed while rendering.
    attr: str | None
    kind: Kind
    post: bool = False
    put: bool = False
    # The policy row a caller needs to see (and filter or sort on) it; None: anyone.
    read_row: str | None = None
    max_len: int = 255
    # A list attribute that takes null for [] (Neutron's convert_none_to_empty_list).
    none_is_empty: bool = False


_STANDARD = (
    Attr("id", "id", Kind.STRING),
    Attr("project_id", "project_id", Kind.STRING, post=True),
    Attr("tenant_id", "project_id", Kind.STRING, post=True),
    Attr("name", "name", Kind.STRING, post=True, put=True),
    Attr("description", "description", Kind.STRING, post=True, put=True),
    Attr("tags", "tags", Kind.STRINGS, post=True),
    Attr("created_at", "created_at", Kind.STRING),
    Attr("updated_at", "updated_at", Kind.STRING),
    Attr("revision_number", "revision_number", Kind.INT),
)

NETWORK = (
    *_STANDARD,
    Attr("admin_state_up", "admin_state_up", Kind.BOOL, post=True, put=True),
    Attr("status", "status", Kind.STRING),
    Attr("shared", "shared", Kind.BOOL, post=True, put=True),
    Attr("router:external", "external", Kind.BOOL, post=True, put=True),
    # auto-allocated-topology: the default external network.
    Attr("is_default", "is_default", Kind.BOOL, post=True, put=True),
    Attr("mtu", "mtu", Kind.INT, post=True, put=True),
    Attr("port_security_enabled", "port_security_enabled", Kind.BOOL, post=True, put=True),
    Attr("subnets", "subnets", Kind.STRINGS),
    Attr("provider:network_type", "network_type", Kind.NULLABLE_STRING, post=True, put=True,
         read_row="network:network:get_provider"),
    Attr("provider:physical_network", "physical_network", Kind.NULLABLE_STRING, post=True,
         put=True, read_row="network:network:get_provider"),
    Attr("provider:segmentation_id", "segmentation_id", Kind.NULLABLE_INT, post=True,
         put=True, read_row="network:network:get_provider"),
    Attr("availability_zone_hints", None, Kind.STRINGS),
    Attr("availability_zones", None, Kind.STRINGS),
    Attr("ipv4_address_scope", None, Kind.NULLABLE_STRING),
    Attr("ipv6_address_scope", None, Kind.NULLABLE_STRING),
    Attr("l2_adjacency", None, Kind.BOOL),
)

SUBNET = (
    *_STANDARD,
    Attr("network_id", "network_id", Kind.STRING, post=True),
    Attr("ip_version", "ip_version", Kind.INT, post=True),
    # Null with a subnet pool (the pool chooses).
    Attr("cidr", "cidr", Kind.NULLABLE_STRING, post=True),
    Attr("gateway_ip", "gateway_ip", Kind.NULLABLE_STRING, post=True, put=True),
    Attr("allocation_pools", "allocation_pools", Kind.DICTS, post=True, put=True),
    Attr("enable_dhcp", "enable_dhcp", Kind.BOOL, post=True, put=True),
    Attr("dns_nameservers", "dns_nameservers", Kind.STRINGS, post=True, put=True),
    Attr("host_routes", "host_routes", Kind.DICTS, post=True, put=True),
    Attr("ipv6_ra_mode", "ipv6_ra_mode", Kind.NULLABLE_STRING, post=True),
    Attr("ipv6_address_mode", "ipv6_address_mode", Kind.NULLABLE_STRING, post=True),
    Attr("subnetpool_id", "subnetpool_id", Kind.NULLABLE_STRING, post=True),
    # Routed segments and service types are not served: only their absence is accepted.
    Attr("segment_id", None, Kind.SPECIAL, post=True),
    Attr("service_types", None, Kind.SPECIAL, post=True),
    # Asked at create only, never shown (Neutron's is_visible False for prefixlen).
    Attr("use_default_subnetpool", None, Kind.BOOL, post=True),
    Attr("prefixlen", None, Kind.NULLABLE_INT, post=True),
)

SUBNETPOOL = (
    *_STANDARD,
    Attr("prefixes", "prefixes", Kind.STRINGS, post=True, put=True),
    Attr("ip_version", "ip_version", Kind.INT),
    Attr("default_prefixlen", "default_prefixlen", Kind.NULLABLE_INT, post=True, put=True),
    Attr("min_prefixlen", "min_prefixlen", Kind.NULLABLE_INT, post=True, put=True),
    Attr("max_prefixlen", "max_prefixlen", Kind.NULLABLE_INT, post=True, put=True),
    Attr("default_quota", "default_quota", Kind.NULLABLE_INT, post=True, put=True),
    Attr("shared", "shared", Kind.BOOL, post=True),
    Attr("is_default", "is_default", Kind.BOOL, post=True, put=True),
    # Address scopes are not served: null, or 404 for an id.
    Attr("address_scope_id", None, Kind.NULLABLE_STRING, post=True, put=True),
)

PORT = (
    *_STANDARD,
    Attr("network_id", "network_id", Kind.STRING, post=True),
    Attr("admin_state_up", "admin_state_up", Kind.BOOL, post=True, put=True),
    Attr("status", "status", Kind.STRING),
    Attr("mac_address", "mac_address", Kind.STRING, post=True, put=True),
    Attr("fixed_ips", "fixed_ips", Kind.SPECIAL, post=True, put=True),
    Attr("device_id", "device_id", Kind.STRING, post=True, put=True),
    Attr("device_owner", "device_owner", Kind.STRING, post=True, put=True),
    Attr("port_security_enabled", "port_security_enabled", Kind.BOOL, post=True, put=True),
    Attr("allowed_address_pairs", "allowed_address_pairs", Kind.DICTS, post=True, put=True),
    Attr("binding:host_id", "binding_host_id", Kind.STRING, post=True, put=True,
         read_row="network:port:get_binding"),
    Attr("binding:vnic_type", "binding_vnic_type", Kind.STRING, post=True, put=True),
    Attr("binding:profile", "binding_profile", Kind.OBJECT, post=True, put=True,
         read_row="network:port:get_binding"),
    Attr("binding:vif_type", "binding_vif_type", Kind.STRING,
         read_row="network:port:get_binding"),
    Attr("binding:vif_details", "binding_vif_details", Kind.OBJECT,
         read_row="network:port:get_binding"),
    # The ids of the groups applied (requests.security_groups parses them).
    Attr("security_groups", "security_groups", Kind.SPECIAL, post=True, put=True),
)

SECURITY_GROUP = (
    *_STANDARD,
    Attr("stateful", "stateful", Kind.BOOL, post=True, put=True),
    Attr("security_group_rules", None, Kind.SPECIAL),
)

SECURITY_GROUP_RULE = (
    Attr("id", "id", Kind.STRING),
    Attr("project_id", "project_id", Kind.STRING, post=True),
    Attr("tenant_id", "project_id", Kind.STRING, post=True),
    Attr("description", "description", Kind.STRING, post=True),
    Attr("created_at", "created_at", Kind.STRING),
    Attr("updated_at", "updated_at", Kind.STRING),
    Attr("revision_number", "revision_number", Kind.INT),
    Attr("security_group_id", "security_group_id", Kind.STRING, post=True),
    Attr("direction", "direction", Kind.STRING, post=True),
    Attr("ethertype", "ethertype", Kind.NULLABLE_STRING, post=True),
    # A name, a number (as a string or not), or null: the domain checks which.
    Attr("protocol", "protocol", Kind.SPECIAL, post=True),
    Attr("port_range_min", "port_range_min", Kind.SPECIAL, post=True),
    Attr("port_range_max", "port_range_max", Kind.SPECIAL, post=True),
    Attr("remote_ip_prefix", "remote_ip_prefix", Kind.NULLABLE_STRING, post=True),
    Attr("remote_group_id", "remote_group_id", Kind.NULLABLE_STRING, post=True),
    # Address groups are not served: only their absence is accepted.
    Attr("remote_address_group_id", None, Kind.SPECIAL, post=True),
    Attr("normalized_cidr", "normalized_cidr", Kind.NULLABLE_STRING),
)

ROUTER = (
    *_STANDARD,
    Attr("admin_state_up", "admin_state_up", Kind.BOOL, post=True, put=True),
    Attr("status", "status", Kind.STRING),
    # {network_id, enable_snat, external_fixed_ips} or null: requests.py reads it, render.py
    # builds it from the router's gateway columns.
    Attr("external_gateway_info", None, Kind.SPECIAL, post=True, put=True),
    Attr("routes", "routes", Kind.DICTS, put=True, none_is_empty=True),
)

# A floating IP has no name (Neutron's standard attributes less `name`).
FLOATINGIP = (
    *(a for a in _STANDARD if a.wire != "name"),
    Attr("floating_network_id", "floating_network_id", Kind.STRING, post=True),
    Attr("floating_ip_address", "floating_ip_address", Kind.NULLABLE_STRING, post=True),
    # Where to take the address from; not shown (Neutron's is_visible False).
    Attr("subnet_id", None, Kind.NULLABLE_STRING, post=True),
    Attr("port_id", "port_id", Kind.NULLABLE_STRING, post=True, put=True),
    Attr("fixed_ip_address", "fixed_ip_address", Kind.NULLABLE_STRING, post=True, put=True),
    Attr("router_id", "router_id", Kind.NULLABLE_STRING),
    Attr("status", "status", Kind.STRING),
    Attr("port_forwardings", None, Kind.DICTS),
)

# An RBAC policy: no name, description, tags or timestamps (Neutron's shows none).
RBAC_POLICY = (
    Attr("id", "id", Kind.STRING),
    Attr("project_id", "project_id", Kind.STRING, post=True),
    Attr("tenant_id", "project_id", Kind.STRING, post=True),
    Attr("object_type", "object_type", Kind.STRING, post=True),
    Attr("object_id", "object_id", Kind.STRING, post=True),
    Attr("action", "action", Kind.STRING, post=True),
    Attr("target_tenant", "target_tenant", Kind.STRING, post=True, put=True),
)

BY_WIRE: dict[str, dict[str, Attr]] = {
    "network": {a.wire: a for a in NETWORK},
    "subnet": {a.wire: a for a in SUBNET},
    "port": {a.wire: a for a in PORT},
    "security_group": {a.wire: a for a in SECURITY_GROUP},
    "security_group_rule": {a.wire: a for a in SECURITY_GROUP_RULE},
    "router": {a.wire: a for a in ROUTER},
    "floatingip": {a.wire: a for a in FLOATINGIP},
    "subnetpool": {a.wire: a for a in SUBNETPOOL},


    "rbac_policy": {a.wire: a for a in RBAC_POLICY},
}
