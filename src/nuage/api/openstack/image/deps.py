"""What image handlers share: the services, the URLs, and the caller's context."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from nuage.api.openstack.common.auth import token_context
from nuage.api.openstack.common.deps import app_caller, app_deps
from nuage.domain.context import RequestContext
from nuage.services.identity.tokens import TokenService
from nuage.services.image.build import ImageServices


@dataclass(frozen=True)
class Deps:
    s: ImageServices
    tokens: TokenService
    # The unversioned image URL, e.g. http://127.0.0.1:8800/image
    url: str
    identity_url: str

    async def ctx(self, request: Request) -> RequestContext:
        """The caller's context from X-Auth-Token; 401 without a valid token."""
        return await token_context(self.tokens, request)


def deps(request: Request) -> Deps:
    """The image facade's dependencies, as `image_app` installed them."""
    return app_deps(request, Deps)


async def caller(request: Request) -> tuple[Deps, RequestContext]:
    """The facade's Deps and the caller's context (401 without a valid token)."""
    return await app_caller(request, Deps)
