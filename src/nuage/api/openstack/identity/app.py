"""The Keystone v3 facade, mounted at /identity."""

from __future__ import annotations

from starlette.types import ASGIApp

from nuage.api.openstack.common.app import facade_app
from nuage.api.openstack.identity import auth, catalog, credentials, projects, roles, users
from nuage.api.openstack.identity.deps import Deps, deps
from nuage.api.openstack.identity.errors import keystone_error, to_response
from nuage.api.openstack.identity.render import Renderer
from nuage.api.openstack.identity.token_bodies import TokenBodies, ValidationLane
from nuage.services.identity.build import IdentityServices

TITLES = {404: "Not Found", 405: "Method Not Allowed"}
CRASH = ("Internal Server Error", "An unexpected error prevented the server from fulfilling "
         "your request.")


def identity_app(services: IdentityServices, identity_url: str) -> ASGIApp:
    render = Renderer(f"{identity_url}/v3")
    bodies = TokenBodies(render)
    app = facade_app(
        [*auth.ROUTES, *projects.ROUTES, *users.ROUTES, *roles.ROUTES, *catalog.ROUTES,
         *credentials.ROUTES],
        Deps(s=services, render=render, url=identity_url, token_bodies=bodies),
        error=keystone_error, names=TITLES, default_name="Error", crash=CRASH,
        on_domain=lambda request, exc: to_response(request, exc, deps(request).url))
    return ValidationLane(app, services.tokens, bodies)
