"""What network handlers share: the services, the URLs, and the caller's context."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from nuage.api.openstack.common.auth import token_context
from nuage.api.openstack.common.deps import app_caller, app_deps
from nuage.domain.context import RequestContext
from nuage.services.identity.tokens import TokenService
from nuage.services.network.build import NetworkServices


@dataclass(frozen=True)
class Deps:
    s: NetworkServices
    tokens: TokenService
    # The unversioned network URL, e.g. http://127.0.0.1:8800/network
    url: str
    identity_url: str

    @property
    def v2(self) -> str:
        return f"{self.url}/v2.0"

    async def ctx(self, request: Request) -> RequestContext:
        """The caller's context from X-Auth-Token; 401 without a valid token."""
        return await token_context(self.tokens, request)


def deps(request: Request) -> Deps:
    """The network facade's dependencies, as `network_app` installed them."""
    return app_deps(request, Deps)


async def caller(request: Request) -> tuple[Deps, RequestContext]:
    """The facade's Deps and the caller's context (401 without a valid token)."""
    return await app_caller(request, Deps)
