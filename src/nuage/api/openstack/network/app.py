"""The Neutron v2.0 facade, mounted at /network."""

from __future__ import annotations

from starlette.applications import Starlette

from nuage.api.openstack.common.app import facade_app
from nuage.api.openstack.network import (
    auto_allocated_topology,
    extensions,
    floatingips,
    networks,
    ports,
    quotas,
    rbac,
    routers,
    security_group_rules,
    security_groups,
    subnetpools,
    subnets,
    tags,
    versions,
)
from nuage.api.openstack.network.deps import Deps, deps
from nuage.api.openstack.network.errors import neutron_error, to_response
from nuage.services.identity.tokens import TokenService
from nuage.services.network.build import NetworkServices

TYPES = {404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 413: "HTTPRequestEntityTooLarge",
         415: "HTTPUnsupportedMediaType"}
CRASH = ("HTTPInternalServerError", "Request Failed: internal server error while processing "
         "your request.")

# The modules serving the API, each with its ROUTES.
RESOURCES = (
    versions,
    extensions,
    networks,
    subnets,
    ports,
    quotas,
    security_groups,
    security_group_rules,
    routers,
    floatingips,
    subnetpools,
    tags,
    auto_allocated_topology,
    rbac,
)


def network_app(services: NetworkServices, tokens: TokenService, network_url: str,
                identity_url: str) -> Starlette:
    return facade_app(
        [route for module in RESOURCES for route in module.ROUTES],
        Deps(s=services, tokens=tokens, url=network_url, identity_url=identity_url),
        error=neutron_error, names=TYPES, default_name="HTTPError", crash=CRASH,
        on_domain=lambda request, exc: to_response(exc, deps(request).identity_url),
        # "/v2.0/networks/" names no network: 404, never a redirect to the list.
        redirect_slashes=False)
