"""The Neutron error table: domain errors -> {"NeutronError": {"type", "message", "detail"}}.

The class gives the status; the fault names Neutron's exception (`type`, what clients and
Tempest match on) and its sentence. An adapter's own sentence (a shape error in a body)
is a plain HTTPBadRequest, as Neutron's API layer answers it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.common.errors import json_error, status_of
from nuage.domain.errors import (
    CommonFault,
    FaultCode,
    NuageError,
    Wording,
)
from nuage.domain.network_errors import NetworkFault, Unavailable
from nuage.domain.network_security import PROTOCOLS

# Neutron's exception type by status (its webob names), when the fault names none; a
# NetworkFault names Neutron's own exception (TYPES).
DEFAULT_TYPES: dict[int, str] = {
    400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden", 404: "HTTPNotFound",
    409: "HTTPConflict", 413: "HTTPRequestEntityTooLarge", 503: "HTTPServiceUnavailable"}
EXTRA: list[tuple[type[NuageError], int]] = [(Unavailable, 503)]

_NOT_FOUND_TYPES = {"network": "NetworkNotFound", "subnet": "SubnetNotFound",
                    "port": "PortNotFound", "tag": "TagNotFound", "router": "RouterNotFound",
                    "floatingip": "FloatingIPNotFound",
                    "security_group": "SecurityGroupNotFound",
                    "security_group_rule": "SecurityGroupRuleNotFound",
                    "subnetpool": "SubnetPoolNotFound",
                    "address_scope": "AddressScopeNotFound",
                    "rbac_policy": "RbacPolicyNotFound"}


def _not_found(f: Mapping[str, Any]) -> str:
    if f["kind"] == "extension":
        return f"Extension with alias {f['ident']} does not exist"
    if f["kind"] == "tag":
        return f"Tag {f['ident']} could not be found."
    if f["kind"] == "security_group":
        return f"Security group {f['ident']} does not exist"
    if f["kind"] == "security_group_rule":
        return f"Security group rule {f['ident']} does not exist"
    if f["kind"] == "rbac_policy":
        # Networks are the only object type nuage's policies have.
        return f"RBAC policy of type network with ID {f['ident']} not found"
    noun = {"network": "Network", "subnet": "Subnet", "port": "Port", "router": "Router",
            "floatingip": "Floating IP", "subnetpool": "Subnet pool",
            "address_scope": "Address scope"}.get(f["kind"])
    if noun is not None:
        return f"{noun} {f['ident']} could not be found."
    return f"{str(f['kind']).capitalize()} {f['ident']} could not be found."


def _segment_taken(f: Mapping[str, Any]) -> str:
    kind, ident = f["network_type"], f["segmentation_id"]
    if kind == "flat":
        return f"Unable to create the flat network. Physical network {ident} is in use."
    if kind == "vlan":
        return f"Unable to create the network. The VLAN {ident} is in use."
    return f"Unable to create the network. The tunnel ID {ident} is in use."


def _cidr_invalid(f: Mapping[str, Any]) -> str:
    cidr = f["cidr"]
    try:
        recommended = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP subnet."
    return (f"Invalid input for cidr. Reason: '{cidr}' isn't a recognized IP subnet cidr, "
            f"'{recommended}' is recommended.")


def _ipv6_modes(f: Mapping[str, Any]) -> str:
    ra, address = f["ra_mode"], f["address_mode"]
    if ra is not None and address is not None and ra != address:
        return (f"Invalid input for operation: ipv6_ra_mode set to '{ra}' with "
                f"ipv6_address_mode set to '{address}' is not valid. If both attributes are "
                "set, they must be the same value.")
    return ("Invalid input for operation: ipv6_ra_mode and ipv6_address_mode are only valid "
            f"on IPv6 subnets, as one of slaac, dhcpv6-stateful, dhcpv6-stateless "
            f"(got '{ra}', '{address}').")


def _not_external(f: Mapping[str, Any]) -> str:
    if f["resource"] == "floatingip":
        return (f"Bad floatingip request: Network {f['network_id']} is not a valid external "
                "network.")
    return f"Bad router request: Network {f['network_id']} is not an external network."


def _mtu(f: Mapping[str, Any]) -> str:
    if int(f["mtu"]) > int(f["maximum"]):
        return f"Invalid input for operation: Requested MTU is too big, maximum is {f['maximum']}."
    return f"Invalid input for mtu. Reason: '{f['mtu']}' is too small - must be at least '68'."


def _protocol_invalid(f: Mapping[str, Any]) -> str:
    return (f"Security group rule protocol {f['protocol']} not supported. Only protocol "
            f"values {sorted(PROTOCOLS)} and integer representations [0 to 255] are "
            "supported.")


# Each fault in Neutron's words.
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: _not_found,
    CommonFault.POLICY_DENIED: "(rule:{action}) is disallowed by policy",
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires authentication.",
    # --- networks ---
    NetworkFault.NETWORK_IN_USE: "Unable to complete operation on network {network_id}. "
                                 "There are one or more ports still in use on the network.",
    NetworkFault.NETWORK_SHARED_IN_USE: "Unable to reconfigure sharing settings for network "
                                        "{network_id}. Multiple tenants are using it.",
    NetworkFault.PROVIDER_INVALID: "Invalid input for operation: {reason}.",
    NetworkFault.SEGMENT_TAKEN: _segment_taken,
    NetworkFault.NO_SEGMENT_AVAILABLE: "Unable to create the network. No tenant network is "
                                       "available for allocation.",
    NetworkFault.MTU_INVALID: _mtu,
    # --- subnets ---
    NetworkFault.CIDR_INVALID: _cidr_invalid,
    NetworkFault.CIDR_VERSION_MISMATCH: "Invalid input for operation: Cidr {cidr} does not "
                                        "match ip_version {ip_version}.",
    NetworkFault.CIDR_TOO_SMALL: "Invalid input for operation: The subnet {cidr} has no room "
                                 "for a gateway and a port.",
    NetworkFault.SUBNET_OVERLAPS: "Invalid input for operation: Requested subnet with cidr: "
                                  "{cidr} for network: {network_id} overlaps with another "
                                  "subnet.",
    NetworkFault.GATEWAY_INVALID: "Invalid input for operation: Gateway is not valid on "
                                  "subnet.",
    NetworkFault.GATEWAY_IN_POOL: "Gateway ip {ip_address} conflicts with allocation pool "
                                  "{pool}.",
    NetworkFault.POOL_INVALID: "The allocation pool {pool} is not valid.",
    NetworkFault.POOL_OUT_OF_BOUNDS: "The allocation pool {pool} spans beyond the subnet cidr "
                                     "{cidr}.",
    NetworkFault.POOLS_OVERLAP: "Found overlapping allocation pools: {pool_1} and {pool_2} "
                                "for subnet {cidr}.",
    NetworkFault.ADDRESS_INVALID: "Invalid input for {attribute}. Reason: '{value}' is not a "
                                  "valid IP address.",
    NetworkFault.IPV6_MODES_INVALID: _ipv6_modes,
    NetworkFault.IPV6_PREFIX_NOT_64: "Invalid input for operation: Invalid CIDR {cidr} for "
                                     "IPv6 address mode. OpenStack uses the EUI-64 address "
                                     "format, which requires the prefix to be /64.",
    NetworkFault.SUBNET_IN_USE: "Unable to complete operation on subnet {subnet_id}: One or "
                                "more ports have an IP allocation from this subnet.",
    # --- ports ---
    NetworkFault.SUBNET_NOT_ON_NETWORK: "Invalid input for operation: Failed to create port on "
                                        "network {network_id}, because fixed_ips included "
                                        "invalid subnet {subnet_id}.",
    NetworkFault.IP_INVALID_FOR_SUBNET: "IP address {ip_address} is not a valid IP for the "
                                        "specified subnet.",
    NetworkFault.IP_INVALID_FOR_NETWORK: "IP address {ip_address} is not a valid IP for any of "
                                         "the subnets on the specified network.",
    NetworkFault.IP_TAKEN: "Unable to complete operation for network {network_id}. The IP "
                           "address {ip_address} is in use.",
    NetworkFault.NO_MORE_IPS: "No more IP addresses available on network {network_id}.",
    NetworkFault.IP_ON_SLAAC_SUBNET: "Invalid input for operation: IPv6 address {ip_address} "
                                     "cannot be directly assigned to a port on subnet "
                                     "{subnet_id} as the subnet is configured for automatic "
                                     "addresses.",
    NetworkFault.MAC_INVALID: "Invalid input for mac_address. Reason: '{mac_address}' is not a "
                              "valid MAC address.",
    NetworkFault.MAC_TAKEN: "Unable to complete operation for network {network_id}. The mac "
                            "address {mac_address} is in use.",
    NetworkFault.ADDRESS_PAIRS_NEED_PORT_SECURITY: "Port Security must be enabled in order to "
                                                   "have allowed address pairs on a port.",
    NetworkFault.ADDRESS_PAIR_INVALID: "Invalid input for allowed_address_pairs. Reason: "
                                       "'{ip_address}' is not a valid IP address.",
    # --- security groups ---
    NetworkFault.SG_DEFAULT_EXISTS: "Default security group already exists.",
    NetworkFault.SG_DEFAULT_RENAME: "Updating default security group not allowed.",
    NetworkFault.SG_DEFAULT_DELETE: "Insufficient rights for removing default security "
                                    "group.",
    NetworkFault.SG_IN_USE: "Security Group {security_group_id} in use.",
    NetworkFault.SG_RULE_DIRECTION_INVALID: "Invalid input for direction. Reason: "
                                            "'{direction}' is not in ['ingress', 'egress'].",
    NetworkFault.SG_RULE_ETHERTYPE_INVALID: "Security group rule for ethertype '{ethertype}' "
                                            "not supported. Allowed values are ['IPv4', "
                                            "'IPv6'].",
    NetworkFault.SG_RULE_PROTOCOL_INVALID: _protocol_invalid,
    NetworkFault.SG_ETHERTYPE_PROTOCOL_CONFLICT: "Invalid ethertype {ethertype} for protocol "
                                                 "{protocol}.",
    NetworkFault.SG_PORT_VALUE_INVALID: "Invalid value for port {port}.",
    NetworkFault.SG_PORT_RANGE_INVALID: "For TCP/UDP protocols, port_range_min must be <= "
                                        "port_range_max",
    NetworkFault.SG_PROTOCOL_REQUIRED_WITH_PORTS: "Must also specify protocol if port range "
                                                  "is given.",
    NetworkFault.SG_PROTOCOL_WITHOUT_PORTS: "Invalid protocol {protocol} for port range, only "
                                            "supported for {valid} protocols.",
    NetworkFault.SG_ICMP_VALUE_INVALID: "Invalid value for ICMP {field} ({attr}) {value}. It "
                                        "must be 0 to 255.",
    NetworkFault.SG_ICMP_TYPE_MISSING: "ICMP code (port-range-max) {value} is provided but "
                                       "ICMP type (port-range-min) is missing.",
    NetworkFault.SG_REMOTE_PREFIX_INVALID: "Invalid input for remote_ip_prefix. Reason: "
                                           "'{prefix}' is not a valid IP subnet.",
    NetworkFault.SG_RULE_ETHERTYPE_CONFLICT: "Conflicting value ethertype {ethertype} for "
                                             "CIDR {cidr}",
    NetworkFault.SG_REMOTE_IP_AND_GROUP: "Only remote_ip_prefix or remote_group_id may be "
                                         "provided.",
    NetworkFault.SG_RULE_EXISTS: "Security group rule already exists. Rule id is {rule_id}.",
    NetworkFault.PORT_SECURITY_REQUIRED_FOR_GROUPS: "Port security must be enabled and port "
                                                    "must have an IP address in order to use "
                                                    "security groups.",
    NetworkFault.PORT_HAS_SECURITY_GROUPS: "Port has security group associated. Cannot "
                                           "disable port security or ip address until "
                                           "security group is removed",
    # --- routers ---
    NetworkFault.ROUTER_IN_USE: "Router {router_id} still has ports",
    NetworkFault.NOT_EXTERNAL: _not_external,
    NetworkFault.ROUTER_BAD_REQUEST: "Bad router request: {reason}.",
    NetworkFault.SUBNET_ALREADY_ATTACHED: "Bad router request: Router already has a port on "
                                          "subnet {subnet_id}.",
    NetworkFault.ROUTER_SUBNETS_OVERLAP: "Bad router request: Cidr {cidr} of subnet "
                                         "{subnet_id} overlaps with cidr {other_cidr} of "
                                         "subnet {other_subnet_id}.",
    NetworkFault.SUBNET_WITHOUT_GATEWAY: "Bad router request: Subnet for router interface "
                                         "must have a gateway IP.",
    NetworkFault.PORT_IN_USE: "Unable to complete operation on port {port_id} for network "
                              "{network_id}. Port already has an attached device "
                              "{device_id}.",
    NetworkFault.PORT_WITHOUT_IP: "Bad router request: Router port must have at least one "
                                  "fixed IP.",
    NetworkFault.INTERFACE_NOT_FOUND: "Router {router_id} does not have an interface with id "
                                      "{port_id}",
    NetworkFault.INTERFACE_NOT_FOUND_FOR_SUBNET: "Router {router_id} has no interface on "
                                                 "subnet {subnet_id}",
    NetworkFault.SUBNET_MISMATCH_FOR_PORT: "Subnet on port {port_id} does not match the "
                                           "requested subnet {subnet_id}.",
    NetworkFault.INTERFACE_IN_USE_BY_ROUTE: "Router interface for subnet {subnet_id} on "
                                            "router {router_id} cannot be deleted, as it is "
                                            "required by one or more routes.",
    NetworkFault.INTERFACE_IN_USE_BY_FLOATINGIP: "Router interface for subnet {subnet_id} on "
                                                 "router {router_id} cannot be deleted, as it "
                                                 "is required by one or more floating IPs.",
    NetworkFault.GATEWAY_IN_USE_BY_FLOATINGIP: "Gateway cannot be updated for router "
                                               "{router_id}, since a gateway to external "
                                               "network {network_id} is required by one or "
                                               "more floating IPs.",
    NetworkFault.ROUTES_INVALID: "Invalid format for routes: {routes}, {reason}.",
    NetworkFault.ROUTES_EXHAUSTED: "Unable to complete operation for {router_id}. The number "
                                   "of routes exceeds the maximum {quota}.",
    NetworkFault.L3_PORT_IN_USE: "Port {port_id} has owner {device_owner} and therefore "
                                 "cannot be deleted directly via the port API.",
    NetworkFault.DEVICE_ID_NOT_OWNED: "The following device_id {device_id} is not owned by "
                                      "your tenant or matches another tenants router.",
    # --- floating IPs ---
    NetworkFault.EXTERNAL_GATEWAY_NOT_FOUND: "External network {network_id} is not reachable "
                                             "from subnet {subnet_id}.  Therefore, cannot "
                                             "associate Port {port_id} with a Floating IP.",
    NetworkFault.FIXED_IP_ALREADY_ASSOCIATED: "Cannot associate floating IP "
                                              "{floating_ip_address} ({floatingip_id}) with "
                                              "port {port_id} using fixed IP {fixed_ip}, as "
                                              "that fixed IP already has a floating IP on "
                                              "external network {network_id}.",
    NetworkFault.FLOATINGIP_BAD_REQUEST: "Bad floatingip request: {reason}.",
    # --- subnet pools ---
    NetworkFault.SUBNETPOOL_PREFIX_INVALID: "Invalid input for prefixes. Reason: '{prefix}' is "
                                            "not a valid IP subnet.",
    NetworkFault.SUBNETPOOL_PREFIXES_EMPTY: "Empty subnet pool prefix list.",
    NetworkFault.SUBNETPOOL_PREFIX_VERSION_MISMATCH: "Cannot mix IPv4 and IPv6 prefixes in a "
                                                     "subnet pool.",
    NetworkFault.SUBNETPOOL_MIN_PREFIX_UNSUPPORTED: "Prefix '{prefixlen}' not supported in "
                                                    "IPv{ip_version} pool.",
    NetworkFault.SUBNETPOOL_BOUNDS_INVALID: "Illegal prefix bounds: {prefix_type}={prefixlen}, "
                                            "{base_prefix_type}={base_prefixlen}.",
    NetworkFault.SUBNETPOOL_PREFIXES_SHRINK: "Illegal update to prefixes: Existing prefixes "
                                             "must be a subset of the new prefixes.",
    NetworkFault.SUBNETPOOL_DEFAULT_EXISTS: "Invalid input for operation: A default subnetpool "
                                            "for this IP family has already been set. Only "
                                            "one default may exist per IP family.",
    NetworkFault.SUBNETPOOL_IN_USE: "Unable to delete subnet pool: Subnet pool has existing "
                                    "allocations.",
    NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_LONG: "Unable to allocate subnet with prefix length "
                                                "{prefixlen}, maximum allowed prefix is "
                                                "{max_prefixlen}.",
    NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_SHORT: "Unable to allocate subnet with prefix "
                                                 "length {prefixlen}, minimum allowed prefix "
                                                 "is {min_prefixlen}.",
    NetworkFault.SUBNETPOOL_EXHAUSTED: "Failed to allocate subnet: Insufficient prefix space "
                                       "to allocate subnet size /{prefixlen}.",
    NetworkFault.SUBNETPOOL_CIDR_UNAVAILABLE: "Failed to allocate subnet: Cannot allocate "
                                              "requested subnet from the available set of "
                                              "prefixes.",
    NetworkFault.SUBNETPOOL_QUOTA_EXCEEDED: "Per-tenant subnet pool prefix quota exceeded.",
    NetworkFault.SUBNET_POOL_REQUEST_INVALID: "Bad subnets request: {reason}.",
    NetworkFault.NO_DEFAULT_SUBNETPOOL: "Bad subnets request: No default subnetpool found for "
                                        "IPv{ip_version}.",
    NetworkFault.SUBNETPOOL_VERSION_MISMATCH: "Bad subnets request: Cannot allocate "
                                              "IPv{ip_version} subnet from IPv{pool_version} "
                                              "subnet pool.",
    NetworkFault.NETWORK_SUBNETPOOL_AFFINITY: "Subnets hosted on the same network must be "
                                              "allocated from the same subnet pool.",


    # --- RBAC policies ---
    NetworkFault.RBAC_DUPLICATE: "An RBAC policy already exists with those values.",
    NetworkFault.RBAC_IN_USE: "RBAC policy on object {object_id} cannot be removed because "
                              "other objects depend on it.\nDetails: {details}",
    NetworkFault.RBAC_NOT_OWNER: "Invalid input for operation: Only admins can manipulate "
                                 "policies on networks they do not own.",
    NetworkFault.RBAC_OBJECT_TYPE_INVALID: "Invalid input for operation: '{value}' is not a "
                                           "valid RBAC object type.",
    NetworkFault.RBAC_ACTION_INVALID: "Invalid action '{action}' for object type "
                                      "'{object_type}'. Valid actions: {valid_actions}",
    # --- quotas ---
    NetworkFault.AUTO_ALLOCATION_FAILED: "Deployment error: {reason}.",
    NetworkFault.DEFAULT_EXTERNAL_NETWORK_EXISTS: "A default external network already "
                                                  "exists: {network_id}.",
    NetworkFault.AUTO_ALLOCATION_FIELD_UNKNOWN: "Bad auto_allocate request: Unrecognized "
                                                "field.",
    NetworkFault.OVER_QUOTA: "Quota exceeded for resources: {resources}.",
    NetworkFault.QUOTA_UNKNOWN: "Unrecognized attribute(s) '{resource}'",
    NetworkFault.QUOTA_BELOW_USAGE: "Change would make usage less than 0 for the following "
                                    "resources: {resources}.",
    NetworkFault.QUOTA_INVALID: "Invalid input for {resource}. Reason: '{value}' is not a "
                                "valid integer between -1 and 2147483647.",
}


def _segment_type(f: Mapping[str, Any]) -> str:
    return {"flat": "FlatNetworkInUse", "vlan": "VlanIdInUse"}.get(
        f["network_type"], "TunnelIdInUse")


# Neutron's exception name for each fault (`type` in the envelope); the class's otherwise.
TYPES: dict[FaultCode, str | Callable[[Mapping[str, Any]], str]] = {
    CommonFault.NOT_FOUND: lambda f: _NOT_FOUND_TYPES.get(f["kind"], "NotFound"),
    CommonFault.POLICY_DENIED: "PolicyNotAuthorized",
    NetworkFault.NETWORK_IN_USE: "NetworkInUse",
    NetworkFault.NETWORK_SHARED_IN_USE: "InvalidSharedSetting",
    NetworkFault.PROVIDER_INVALID: "InvalidInput",
    NetworkFault.SEGMENT_TAKEN: _segment_type,
    NetworkFault.NO_SEGMENT_AVAILABLE: "NoNetworkAvailable",
    NetworkFault.MTU_INVALID: "InvalidInput",
    NetworkFault.CIDR_VERSION_MISMATCH: "InvalidInput",
    NetworkFault.CIDR_TOO_SMALL: "InvalidInput",
    NetworkFault.SUBNET_OVERLAPS: "InvalidInput",
    NetworkFault.GATEWAY_INVALID: "InvalidInput",
    NetworkFault.GATEWAY_IN_POOL: "GatewayConflictWithAllocationPools",
    NetworkFault.POOL_INVALID: "InvalidAllocationPool",
    NetworkFault.POOL_OUT_OF_BOUNDS: "OutOfBoundsAllocationPool",
    NetworkFault.POOLS_OVERLAP: "OverlappingAllocationPools",
    NetworkFault.IPV6_MODES_INVALID: "InvalidInput",
    NetworkFault.IPV6_PREFIX_NOT_64: "InvalidInput",
    NetworkFault.SUBNET_IN_USE: "SubnetInUse",
    NetworkFault.SUBNET_NOT_ON_NETWORK: "InvalidInput",
    NetworkFault.IP_INVALID_FOR_SUBNET: "InvalidIpForSubnet",
    NetworkFault.IP_INVALID_FOR_NETWORK: "InvalidIpForNetwork",
    NetworkFault.IP_TAKEN: "IpAddressInUse",
    NetworkFault.NO_MORE_IPS: "IpAddressGenerationFailure",
    NetworkFault.IP_ON_SLAAC_SUBNET: "InvalidInput",
    NetworkFault.MAC_TAKEN: "MacAddressInUse",
    NetworkFault.ADDRESS_PAIRS_NEED_PORT_SECURITY: "AddressPairAndPortSecurityRequired",
    NetworkFault.SG_DEFAULT_EXISTS: "SecurityGroupDefaultAlreadyExists",
    NetworkFault.SG_DEFAULT_RENAME: "SecurityGroupCannotUpdateDefault",
    NetworkFault.SG_DEFAULT_DELETE: "SecurityGroupCannotRemoveDefault",
    NetworkFault.SG_IN_USE: "SecurityGroupInUse",
    NetworkFault.SG_RULE_DIRECTION_INVALID: "InvalidInput",
    NetworkFault.SG_RULE_ETHERTYPE_INVALID: "SecurityGroupRuleInvalidEtherType",
    NetworkFault.SG_RULE_PROTOCOL_INVALID: "SecurityGroupRuleInvalidProtocol",
    NetworkFault.SG_ETHERTYPE_PROTOCOL_CONFLICT: "SecurityGroupEthertypeConflictWithProtocol",
    NetworkFault.SG_PORT_VALUE_INVALID: "SecurityGroupInvalidPortValue",
    NetworkFault.SG_PORT_RANGE_INVALID: "SecurityGroupInvalidPortRange",
    NetworkFault.SG_PROTOCOL_REQUIRED_WITH_PORTS: "SecurityGroupProtocolRequiredWithPorts",
    NetworkFault.SG_PROTOCOL_WITHOUT_PORTS: "SecurityGroupInvalidProtocolForPort",
    NetworkFault.SG_ICMP_VALUE_INVALID: "SecurityGroupInvalidIcmpValue",
    NetworkFault.SG_ICMP_TYPE_MISSING: "SecurityGroupMissingIcmpType",
    NetworkFault.SG_REMOTE_PREFIX_INVALID: "InvalidInput",
    NetworkFault.SG_RULE_ETHERTYPE_CONFLICT: "SecurityGroupRuleParameterConflict",
    NetworkFault.SG_REMOTE_IP_AND_GROUP: "SecurityGroupRemoteGroupAndRemoteIpPrefix",
    NetworkFault.SG_RULE_EXISTS: "SecurityGroupRuleExists",
    NetworkFault.PORT_SECURITY_REQUIRED_FOR_GROUPS: "PortSecurityAndIPRequiredForSecurityGroups",
    NetworkFault.PORT_HAS_SECURITY_GROUPS: "PortSecurityPortHasSecurityGroup",
    NetworkFault.ROUTER_IN_USE: "RouterInUse",
    NetworkFault.NOT_EXTERNAL: "BadRequest",
    NetworkFault.ROUTER_BAD_REQUEST: "BadRequest",
    NetworkFault.SUBNET_ALREADY_ATTACHED: "BadRequest",
    NetworkFault.ROUTER_SUBNETS_OVERLAP: "BadRequest",
    NetworkFault.SUBNET_WITHOUT_GATEWAY: "BadRequest",
    NetworkFault.PORT_IN_USE: "PortInUse",
    NetworkFault.PORT_WITHOUT_IP: "BadRequest",
    NetworkFault.INTERFACE_NOT_FOUND: "RouterInterfaceNotFound",
    NetworkFault.INTERFACE_NOT_FOUND_FOR_SUBNET: "RouterInterfaceNotFoundForSubnet",
    NetworkFault.SUBNET_MISMATCH_FOR_PORT: "SubnetMismatchForPort",
    NetworkFault.INTERFACE_IN_USE_BY_ROUTE: "RouterInterfaceInUseByRoute",
    NetworkFault.INTERFACE_IN_USE_BY_FLOATINGIP: "RouterInterfaceInUseByFloatingIP",
    NetworkFault.GATEWAY_IN_USE_BY_FLOATINGIP: "RouterExternalGatewayInUseByFloatingIp",
    NetworkFault.ROUTES_INVALID: "InvalidRoutes",
    NetworkFault.ROUTES_EXHAUSTED: "RoutesExhausted",
    NetworkFault.L3_PORT_IN_USE: "L3PortInUse",
    NetworkFault.DEVICE_ID_NOT_OWNED: "DeviceIDNotOwnedByTenant",
    NetworkFault.EXTERNAL_GATEWAY_NOT_FOUND: "ExternalGatewayForFloatingIPNotFound",
    NetworkFault.FIXED_IP_ALREADY_ASSOCIATED: "FloatingIPPortAlreadyAssociated",
    NetworkFault.FLOATINGIP_BAD_REQUEST: "BadRequest",
    NetworkFault.AUTO_ALLOCATION_FAILED: "AutoAllocationFailure",
    NetworkFault.DEFAULT_EXTERNAL_NETWORK_EXISTS: "DefaultExternalNetworkExists",
    NetworkFault.AUTO_ALLOCATION_FIELD_UNKNOWN: "BadRequest",


    NetworkFault.SUBNETPOOL_PREFIX_INVALID: "InvalidInput",
    NetworkFault.SUBNETPOOL_PREFIXES_EMPTY: "EmptySubnetPoolPrefixList",
    NetworkFault.SUBNETPOOL_PREFIX_VERSION_MISMATCH: "PrefixVersionMismatch",
    NetworkFault.SUBNETPOOL_MIN_PREFIX_UNSUPPORTED: "UnsupportedMinSubnetPoolPrefix",
    NetworkFault.SUBNETPOOL_BOUNDS_INVALID: "IllegalSubnetPoolPrefixBounds",
    NetworkFault.SUBNETPOOL_PREFIXES_SHRINK: "IllegalSubnetPoolPrefixUpdate",
    NetworkFault.SUBNETPOOL_DEFAULT_EXISTS: "InvalidInput",
    NetworkFault.SUBNETPOOL_IN_USE: "SubnetPoolDeleteError",
    NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_LONG: "MaxPrefixSubnetAllocationError",
    NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_SHORT: "MinPrefixSubnetAllocationError",
    NetworkFault.SUBNETPOOL_EXHAUSTED: "SubnetAllocationError",
    NetworkFault.SUBNETPOOL_CIDR_UNAVAILABLE: "SubnetAllocationError",
    NetworkFault.SUBNETPOOL_QUOTA_EXCEEDED: "SubnetPoolQuotaExceeded",
    NetworkFault.SUBNET_POOL_REQUEST_INVALID: "BadRequest",
    NetworkFault.NO_DEFAULT_SUBNETPOOL: "BadRequest",
    NetworkFault.SUBNETPOOL_VERSION_MISMATCH: "BadRequest",
    NetworkFault.NETWORK_SUBNETPOOL_AFFINITY: "NetworkSubnetPoolAffinityError",


    NetworkFault.RBAC_DUPLICATE: "DuplicateRbacPolicy",
    NetworkFault.RBAC_IN_USE: "RbacPolicyInUse",
    NetworkFault.RBAC_NOT_OWNER: "InvalidInput",
    NetworkFault.RBAC_OBJECT_TYPE_INVALID: "InvalidInput",
    NetworkFault.RBAC_ACTION_INVALID: "InvalidActionForType",
    NetworkFault.OVER_QUOTA: "OverQuota",
    NetworkFault.QUOTA_BELOW_USAGE: "InvalidQuotaValue",
}


def neutron_error(status: int, kind: str, message: str,
                  headers: dict[str, str] | None = None) -> Response:
    return json_error({"NeutronError": {"type": kind, "message": message, "detail": ""}},
                      status, headers)


def error_type(exc: NuageError, default: str) -> str:
    kind = TYPES.get(exc.fault) if isinstance(exc.fault, FaultCode) else None
    if kind is None:
        return default
    return kind(exc.fields) if callable(kind) else kind


def to_response(exc: NuageError, identity_url: str) -> Response:
    status = status_of(exc, EXTRA)
    if status == 401:
        # keystonemiddleware answers before Neutron does, in Keystone's shape.
        body = {"error": {"code": 401, "title": "Unauthorized",
                          "message": exc.worded(WORDING)}}
        return json_error(body, 401, {"WWW-Authenticate": f'Keystone uri="{identity_url}"'})
    if status is not None:
        return neutron_error(status, error_type(exc, DEFAULT_TYPES[status]),
                             exc.worded(WORDING))
    return neutron_error(500, "HTTPInternalServerError", "Request Failed: internal server error "
                                                         "while processing your request.")
