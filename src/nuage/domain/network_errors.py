"""Network faults the services raise; Neutron's error table words them (and names each one's
`type`, as Neutron's NeutronError envelope does)."""

from __future__ import annotations

from nuage.domain.errors import FaultCode, NuageError


class NetworkFault(FaultCode):
    """What went wrong in network, subnet, port and quota use cases."""

    # --- networks ---
    # Ports other than the network's own DHCP/router ports remain. Fields: network_id.
    NETWORK_IN_USE = "network.in_use"
    # Another project has ports on a network being unshared. Fields: network_id.
    NETWORK_SHARED_IN_USE = "network.shared_in_use"
    # provider:* values that make no segment. Fields: reason.
    PROVIDER_INVALID = "network.provider_invalid"
    # The segment asked for belongs to another network. Fields: network_type, segmentation_id.
    SEGMENT_TAKEN = "network.segment_taken"
    # Every segment id of the tenant range is allocated. Fields: network_type.
    NO_SEGMENT_AVAILABLE = "network.no_segment_available"
    # An MTU outside what the segment carries. Fields: mtu, maximum.
    MTU_INVALID = "network.mtu_invalid"
    # --- subnets ---
    # Fields: cidr.
    CIDR_INVALID = "subnet.cidr_invalid"
    # The CIDR's family is not ip_version. Fields: cidr, ip_version.
    CIDR_VERSION_MISMATCH = "subnet.cidr_version_mismatch"
    # A prefix too long to hold a gateway and an address. Fields: cidr.
    CIDR_TOO_SMALL = "subnet.cidr_too_small"
    # Fields: cidr, network_id.
    SUBNET_OVERLAPS = "subnet.overlaps"
    # Fields: ip_address (the gateway), cidr.
    GATEWAY_INVALID = "subnet.gateway_invalid"
    # Fields: ip_address, pool.
    GATEWAY_IN_POOL = "subnet.gateway_in_pool"
    # Fields: pool.
    POOL_INVALID = "subnet.pool_invalid"
    # Fields: pool, cidr.
    POOL_OUT_OF_BOUNDS = "subnet.pool_out_of_bounds"
    # Fields: pool_1, pool_2, cidr.
    POOLS_OVERLAP = "subnet.pools_overlap"
    # An address of the other IP version, or not an address. Fields: attribute, value.
    ADDRESS_INVALID = "subnet.address_invalid"
    # IPv6 modes on an IPv4 subnet, or two modes that disagree. Fields: ra_mode, address_mode.
    IPV6_MODES_INVALID = "subnet.ipv6_modes_invalid"
    # SLAAC and DHCPv6-stateless need a /64. Fields: cidr, mode.
    IPV6_PREFIX_NOT_64 = "subnet.ipv6_prefix_not_64"
    # Ports still hold addresses from it. Fields: subnet_id.
    SUBNET_IN_USE = "subnet.in_use"
    # --- ports ---
    # A fixed IP names a subnet of another network. Fields: subnet_id, network_id.
    SUBNET_NOT_ON_NETWORK = "port.subnet_not_on_network"
    # Fields: ip_address.
    IP_INVALID_FOR_SUBNET = "port.ip_invalid_for_subnet"
    # Fields: ip_address.
    IP_INVALID_FOR_NETWORK = "port.ip_invalid_for_network"
    # Fields: ip_address, network_id.
    IP_TAKEN = "port.ip_taken"
    # Fields: network_id.
    NO_MORE_IPS = "port.no_more_ips"
    # A SLAAC subnet's address is derived from the MAC, not chosen. Fields: ip_address,
    # subnet_id.
    IP_ON_SLAAC_SUBNET = "port.ip_on_slaac_subnet"
    # Fields: mac_address.
    MAC_INVALID = "port.mac_invalid"
    # Fields: mac_address, network_id.
    MAC_TAKEN = "port.mac_taken"
    # Allowed address pairs need port security. Fields: port_id.
    ADDRESS_PAIRS_NEED_PORT_SECURITY = "port.address_pairs_need_port_security"
    # Fields: ip_address.
    ADDRESS_PAIR_INVALID = "port.address_pair_invalid"
    # --- security groups ---
    # A group named "default" besides the project's own. Fields: none.
    SG_DEFAULT_EXISTS = "security_group.default_exists"
    # The default group keeps its name. Fields: security_group_id.
    SG_DEFAULT_RENAME = "security_group.default_rename"
    # Only an admin removes a project's default group. Fields: security_group_id.
    SG_DEFAULT_DELETE = "security_group.default_delete"
    # Ports use it (delete, or a change of `stateful`). Fields: security_group_id.
    SG_IN_USE = "security_group.in_use"
    # Fields: direction.
    SG_RULE_DIRECTION_INVALID = "security_group_rule.direction_invalid"
    # Fields: ethertype.
    SG_RULE_ETHERTYPE_INVALID = "security_group_rule.ethertype_invalid"
    # Fields: protocol.
    SG_RULE_PROTOCOL_INVALID = "security_group_rule.protocol_invalid"
    # IPv6's ICMP on an IPv4 rule. Fields: ethertype, protocol.
    SG_ETHERTYPE_PROTOCOL_CONFLICT = "security_group_rule.ethertype_protocol_conflict"
    # A port outside 0..65535, or 0 for a protocol with ports. Fields: port.
    SG_PORT_VALUE_INVALID = "security_group_rule.port_value_invalid"
    # min above max, or one of them missing, for a protocol with ports. Fields: none.
    SG_PORT_RANGE_INVALID = "security_group_rule.port_range_invalid"
    # Fields: none.
    SG_PROTOCOL_REQUIRED_WITH_PORTS = "security_group_rule.protocol_required_with_ports"
    # A port range on a protocol without ports. Fields: protocol (its number), valid.
    SG_PROTOCOL_WITHOUT_PORTS = "security_group_rule.protocol_without_ports"
    # An ICMP type or code outside 0..255. Fields: field, attr, value.
    SG_ICMP_VALUE_INVALID = "security_group_rule.icmp_value_invalid"
    # An ICMP code without a type. Fields: value.
    SG_ICMP_TYPE_MISSING = "security_group_rule.icmp_type_missing"
    # Fields: prefix.
    SG_REMOTE_PREFIX_INVALID = "security_group_rule.remote_prefix_invalid"
    # A prefix of the other family. Fields: ethertype, cidr.
    SG_RULE_ETHERTYPE_CONFLICT = "security_group_rule.ethertype_conflict"
    # Fields: none.
    SG_REMOTE_IP_AND_GROUP = "security_group_rule.remote_ip_and_group"
    # The group has this rule already. Fields: rule_id.
    SG_RULE_EXISTS = "security_group_rule.exists"
    # Groups on a port without port security. Fields: port_id (None on create).
    PORT_SECURITY_REQUIRED_FOR_GROUPS = "port.security_required_for_groups"
    # Port security disabled while the port has groups. Fields: port_id.
    PORT_HAS_SECURITY_GROUPS = "port.has_security_groups"
    # --- routers ---
    # Interface ports remain. Fields: router_id.
    ROUTER_IN_USE = "router.in_use"
    # Not an external network (a gateway, a floating IP). Fields: resource, network_id.
    NOT_EXTERNAL = "router.network_not_external"
    # A router request Neutron refuses as BadRequest. Fields: reason.
    ROUTER_BAD_REQUEST = "router.bad_request"
    # The subnet already has an interface on this router. Fields: router_id, subnet_id.
    SUBNET_ALREADY_ATTACHED = "router.subnet_already_attached"
    # Fields: cidr, subnet_id, other_cidr, other_subnet_id.
    ROUTER_SUBNETS_OVERLAP = "router.subnets_overlap"
    # Fields: subnet_id.
    SUBNET_WITHOUT_GATEWAY = "router.subnet_without_gateway"
    # The port already serves a device. Fields: port_id, network_id, device_id.
    PORT_IN_USE = "router.port_in_use"
    # Fields: port_id.
    PORT_WITHOUT_IP = "router.port_without_ip"
    # Fields: router_id, port_id.
    INTERFACE_NOT_FOUND = "router.interface_not_found"
    # Fields: router_id, subnet_id.
    INTERFACE_NOT_FOUND_FOR_SUBNET = "router.interface_not_found_for_subnet"
    # Fields: port_id, subnet_id.
    SUBNET_MISMATCH_FOR_PORT = "router.subnet_mismatch_for_port"
    # A static route's nexthop is on the subnet. Fields: router_id, subnet_id.
    INTERFACE_IN_USE_BY_ROUTE = "router.interface_in_use_by_route"
    # A floating IP reaches its port through the interface. Fields: router_id, subnet_id.
    INTERFACE_IN_USE_BY_FLOATINGIP = "router.interface_in_use_by_floatingip"
    # Floating IPs need the gateway. Fields: router_id, network_id.
    GATEWAY_IN_USE_BY_FLOATINGIP = "router.gateway_in_use_by_floatingip"
    # Fields: routes, reason.
    ROUTES_INVALID = "router.routes_invalid"
    # Fields: router_id, quota.
    ROUTES_EXHAUSTED = "router.routes_exhausted"
    # A router's or floating IP's port is deleted through its owner. Fields: port_id,
    # device_owner.
    L3_PORT_IN_USE = "router.l3_port_in_use"
    # A port naming a router of another project (or none) as its device. Fields: device_id.
    DEVICE_ID_NOT_OWNED = "port.device_id_not_owned"
    # --- floating IPs ---
    # No router joins the port's subnet to the floating network. Fields: network_id,
    # subnet_id, port_id.
    EXTERNAL_GATEWAY_NOT_FOUND = "floatingip.external_gateway_not_found"
    # The fixed address has a floating IP already. Fields: floating_ip_address,
    # floatingip_id, port_id, fixed_ip, network_id.
    FIXED_IP_ALREADY_ASSOCIATED = "floatingip.fixed_ip_already_associated"
    # A floating IP request Neutron refuses as BadRequest. Fields: reason.
    FLOATINGIP_BAD_REQUEST = "floatingip.bad_request"
    # --- auto-allocated topology ---
    # Conflict (409): the cloud cannot build a project's topology (no default external
    # network, no default prefix pool, no room left in it; Neutron's
    # AutoAllocationFailure). Fields: reason.
    AUTO_ALLOCATION_FAILED = "auto_allocation.failed"
    # Conflict (409): another external network is the default already. Fields: network_id.
    DEFAULT_EXTERNAL_NETWORK_EXISTS = "network.default_external_exists"
    # ?fields= other than dry-run on GET auto-allocated-topology (400).
    AUTO_ALLOCATION_FIELD_UNKNOWN = "auto_allocation.field_unknown"


    # --- subnet pools ---
    # Fields: prefix.
    SUBNETPOOL_PREFIX_INVALID = "subnetpool.prefix_invalid"
    # Fields: none.
    SUBNETPOOL_PREFIXES_EMPTY = "subnetpool.prefixes_empty"
    # IPv4 and IPv6 prefixes in one pool. Fields: none.
    SUBNETPOOL_PREFIX_VERSION_MISMATCH = "subnetpool.prefix_version_mismatch"
    # Fields: prefixlen, ip_version.
    SUBNETPOOL_MIN_PREFIX_UNSUPPORTED = "subnetpool.min_prefix_unsupported"
    # Fields: prefix_type, prefixlen, base_prefix_type, base_prefixlen.
    SUBNETPOOL_BOUNDS_INVALID = "subnetpool.bounds_invalid"
    # An update that drops addresses from the pool. Fields: none.
    SUBNETPOOL_PREFIXES_SHRINK = "subnetpool.prefixes_shrink"
    # A second default pool of an IP version. Fields: ip_version.
    SUBNETPOOL_DEFAULT_EXISTS = "subnetpool.default_exists"
    # Subnets still come from it. Fields: subnetpool_id.
    SUBNETPOOL_IN_USE = "subnetpool.in_use"
    # Fields: prefixlen, max_prefixlen.
    SUBNETPOOL_PREFIXLEN_TOO_LONG = "subnetpool.prefixlen_too_long"
    # Fields: prefixlen, min_prefixlen.
    SUBNETPOOL_PREFIXLEN_TOO_SHORT = "subnetpool.prefixlen_too_short"
    # No free block holds a prefix of that length. Fields: prefixlen, subnetpool_id.
    SUBNETPOOL_EXHAUSTED = "subnetpool.exhausted"
    # A cidr outside the pool or overlapping its subnets. Fields: cidr, subnetpool_id.
    SUBNETPOOL_CIDR_UNAVAILABLE = "subnetpool.cidr_unavailable"
    # The project's default_quota of the pool. Fields: subnetpool_id.
    SUBNETPOOL_QUOTA_EXCEEDED = "subnetpool.quota_exceeded"
    # A subnet request Neutron refuses as BadRequest (subnetpool_id with
    # use_default_subnetpool, cidr with prefixlen, pools without a cidr...). Fields: reason.
    SUBNET_POOL_REQUEST_INVALID = "subnet.pool_request_invalid"
    # No default pool of the version. Fields: ip_version.
    NO_DEFAULT_SUBNETPOOL = "subnet.no_default_subnetpool"
    # A subnet's ip_version differs from its pool's. Fields: ip_version, pool_version.
    SUBNETPOOL_VERSION_MISMATCH = "subnet.subnetpool_version_mismatch"
    # Subnets of one network (and IP version) come from one pool, or none. Fields: none.
    NETWORK_SUBNETPOOL_AFFINITY = "subnet.network_subnetpool_affinity"


    # --- RBAC policies ---
    # The same grant exists already. Fields: none.
    RBAC_DUPLICATE = "rbac_policy.duplicate"
    # A project would lose access its ports still need. Fields: object_id, details.
    RBAC_IN_USE = "rbac_policy.in_use"
    # Only the network's owner (or an admin) shares it. Fields: none.
    RBAC_NOT_OWNER = "rbac_policy.not_owner"
    # An object type nuage's policies do not apply to. Fields: value.
    RBAC_OBJECT_TYPE_INVALID = "rbac_policy.object_type_invalid"
    # An action the object type has not. Fields: action, object_type, valid_actions.
    RBAC_ACTION_INVALID = "rbac_policy.action_invalid"
    # --- quotas ---
    # Fields: resources (the names over their limit).
    OVER_QUOTA = "network.over_quota"
    # Fields: resource.
    QUOTA_UNKNOWN = "network.quota_unknown"
    # Fields: resource, value.
    QUOTA_INVALID = "network.quota_invalid"
    # check_limit: a limit below what the project uses. Fields: resources.
    QUOTA_BELOW_USAGE = "network.quota_below_usage"


class Unavailable(NuageError):
    """The cloud cannot satisfy the request now (Neutron: 503, e.g. no segment left)."""
