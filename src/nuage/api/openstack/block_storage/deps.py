"""What block storage handlers share: the services, the URLs, the caller's context and
the microversion the request negotiated."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from nuage.api.openstack.common.auth import token_context
from nuage.api.openstack.common.deps import app_caller, app_deps
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.services.identity.tokens import TokenService
from nuage.services.volume.build import VolumeServices

# Where the microversion middleware leaves the negotiated version in the ASGI scope.
VERSION_KEY = "volume_api_version"
MIN_VERSION = (3, 0)
# The newest microversion whose changes nuage makes (see versions.py for the list).
MAX_VERSION = (3, 42)


@dataclass(frozen=True)
class Deps:
    s: VolumeServices
    tokens: TokenService
    # The unversioned block storage URL, e.g. http://127.0.0.1:8800/volume
    url: str
    identity_url: str

    @property
    def v3(self) -> str:
        return f"{self.url}/v3"

    async def ctx(self, request: Request) -> RequestContext:
        """The caller's context from X-Auth-Token; 401 without a valid token."""
        return await token_context(self.tokens, request)

    @staticmethod
    def version(request: Request) -> tuple[int, int]:
        found = request.scope.get("state", {}).get(VERSION_KEY)
        return found if isinstance(found, tuple) else MIN_VERSION


def deps(request: Request) -> Deps:
    return app_deps(request, Deps)


async def caller(request: Request) -> tuple[Deps, RequestContext]:
    """The facade's Deps and the caller's context (401 without a valid token). A project
    id in the path must be the token's, as Cinder's wsgi layer checks it (400)."""
    d, ctx = await app_caller(request, Deps)
    in_path = request.path_params.get("project_id")
    if in_path is not None and in_path != ctx.project_id:
        raise ValidationError(f"Malformed request URL: URL's project_id '{in_path}' doesn't "
                              f"match Context's project_id '{ctx.project_id}'")
    return d, ctx
