"""The Glance v2 facade, mounted at /image."""

from __future__ import annotations

from starlette.applications import Starlette

from nuage.api.openstack.common.app import facade_app
from nuage.api.openstack.image import data, images, members, schemas
from nuage.api.openstack.image.deps import Deps, deps
from nuage.api.openstack.image.errors import glance_error, to_response
from nuage.services.identity.tokens import TokenService
from nuage.services.image.build import ImageServices

TITLES = {404: "Not Found", 405: "Method Not Allowed", 413: "Request Entity Too Large",
          415: "Unsupported Media Type"}
CRASH = ("Internal Server Error", "An unexpected error prevented the server from fulfilling "
         "your request.")


def image_app(services: ImageServices, tokens: TokenService, image_url: str,
              identity_url: str) -> Starlette:
    return facade_app(
        [*schemas.ROUTES, *images.ROUTES, *data.ROUTES, *members.ROUTES],
        Deps(s=services, tokens=tokens, url=image_url, identity_url=identity_url),
        error=glance_error, names=TITLES, default_name="Error", crash=CRASH,
        on_domain=lambda request, exc: to_response(exc, deps(request).identity_url),
        # "/v2/images/" must 404 rather than redirect to the list (Tempest's null-id tests).
        redirect_slashes=False)
