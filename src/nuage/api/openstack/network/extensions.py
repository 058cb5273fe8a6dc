"""GET /v2.0/extensions: exactly the extensions nuage serves, so clients that probe for one
(the CLI asks for external-gateway-multihoming, for instance) take the path that works."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import reply
from nuage.api.openstack.network.deps import caller
from nuage.domain.errors import NotFound

UPDATED = "2026-12-07T00:00:00-00:00"

# alias -> (name, description)
EXTENSIONS: dict[str, tuple[str, str]] = {
    "external-net": ("Neutron external network", "Adds external network attribute to "
                     "network resource."),
    "provider": ("Provider Network", "Expose mapping of virtual networks to physical "
                 "networks"),
    "net-mtu": ("Network MTU", "Provides MTU attribute for a network resource."),
    "port-security": ("Port Security", "Provides port security"),
    "allowed-address-pairs": ("Allowed Address Pairs", "Provides allowed address pairs"),
    "binding": ("Port Binding", "Expose port bindings of a virtual port to external "
                "application"),
    "quotas": ("Quota management support", "Expose functions for quotas management per "
               "tenant"),
    "quota_details": ("Quota details management support", "Expose functions for quotas "
                      "usage statistics per project"),
    "quota-check-limit": ("Quota engine limit check", "Support for checking the resource "
                          "usage before applying a new quota limit"),
    "project-id": ("project_id field enabled", "Extension that indicates that project_id "
                   "field is enabled."),
    "standard-attr-description": ("standard-attr-description", "Extension to add "
                                  "descriptions to standard attributes"),
    "standard-attr-revisions": ("Resource revision numbers", "This extension will display "
                                "the revision number of neutron resources."),
    "standard-attr-timestamp": ("Resource timestamps", "Adds created_at and updated_at "
                                "fields to all Neutron resources that have Neutron standard "
                                "attributes."),
    "standard-attr-tag": ("Tag support for resources with standard attribute: subnet, "
                          "network, port, security_group, router, floatingip, subnetpool",
                          "Enables to set tag on "
                          "resources with standard attribute."),
    "ip-substring-filtering": ("IP address substring filtering", "Provides IP address "
                               "substring filtering when listing ports"),
    "pagination": ("Pagination support", "Extension that indicates that pagination is "
                   "enabled."),
    "sorting": ("Sorting support", "Extension that indicates that sorting is enabled."),
    "security-group": ("security-group", "The security groups extension."),
    "stateful-security-group": ("Stateful security group", "Extension adding boolean "
                                "stateful attribute to security groups"),
    "router": ("Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 "
               "Neutron networks and access to external networks via a NAT gateway."),
    "ext-gw-mode": ("Neutron L3 Configurable external gateway mode", "Extension of the "
                    "router abstraction for specifying whether SNAT should occur on the "
                    "external gateway"),
    "rbac-policies": ("RBAC Policies", "Allows creation and modification of policies that "
                      "control tenant access to resources."),
    "extraroute": ("Neutron Extra Route", "Extra routes configuration for L3 router"),
    "auto-allocated-topology": ("Auto Allocated Topology Services", "Auto Allocated "
                                "Topology Services."),


    "subnet_allocation": ("Subnet Allocation", "Enables allocation of subnets from a subnet "
                          "pool"),
    "default-subnetpools": ("Default Subnetpools", "Provides ability to mark and use a "
                            "subnetpool as the default."),
}


def _extension(alias: str) -> dict[str, object]:
    name, description = EXTENSIONS[alias]
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED,
            "links": []}


async def listing(request: Request) -> Response:
    await caller(request)
    return reply({"extensions": [_extension(a) for a in sorted(EXTENSIONS)]})


async def show(request: Request) -> Response:
    await caller(request)
    alias = request.path_params["alias"]
    if alias not in EXTENSIONS:
        raise NotFound("extension", alias)
    return reply({"extension": _extension(alias)})


ROUTES: list[Route] = [
    Route("/v2.0/extensions", listing, methods=["GET"]),
    Route("/v2.0/extensions/{alias}", show, methods=["GET"]),
]
