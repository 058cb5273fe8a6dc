"""What identity handlers share: the services, the renderer, and the caller's context."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from nuage.api.openstack.common.auth import token_context
from nuage.api.openstack.common.deps import app_caller, app_deps
from nuage.api.openstack.common.http import client_ip, request_id
from nuage.api.openstack.identity.render import Renderer
from nuage.api.openstack.identity.token_bodies import TokenBodies
from nuage.domain.context import RequestContext
from nuage.services.identity.build import IdentityServices


@dataclass(frozen=True)
class Deps:
    s: IdentityServices
    render: Renderer
    # The unversioned identity URL, e.g. http://127.0.0.1:8800/identity
    url: str
    token_bodies: TokenBodies

    async def ctx(self, request: Request) -> RequestContext:
        """The caller's context from X-Auth-Token; 401 without a valid token."""
        return await token_context(self.s.tokens, request)

    def anonymous(self, request: Request) -> RequestContext:
        return RequestContext.anonymous(request_id(request), client_ip(request))


def deps(request: Request) -> Deps:
    """The identity facade's dependencies, as `identity_app` installed them."""
    return app_deps(request, Deps)


async def caller(request: Request) -> tuple[Deps, RequestContext]:
    """The facade's Deps and the caller's context (401 without a valid token)."""
    return await app_caller(request, Deps)
