"""What compute handlers share: the services, the caller's context, the microversion, links.

The use cases come from `services.compute.build.ComputeServices`: add a field there (and
build it in `build_compute`) for each new group of routes. The app keeps its one `Deps` in
`app.state`; handlers are module-level functions that get it with `deps(request)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from nuage.api.openstack.common.auth import token_context
from nuage.api.openstack.common.deps import app_caller, app_deps
from nuage.api.openstack.compute import versions
from nuage.api.openstack.compute.server_views import ServerViews
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.services.compute.build import ComputeServices
from nuage.services.identity.tokens import TokenService
from nuage.services.image.images import ImageService

# Where the microversion middleware leaves the negotiated version in the ASGI scope.
VERSION_KEY = "compute_version"


@dataclass(frozen=True)
class Deps:
    s: ComputeServices
    tokens: TokenService
    # The unversioned compute URL, e.g. http://127.0.0.1:8800/compute
    url: str
    server_views: ServerViews
    # The image service behind Nova's /images proxy, and Glance's public URL.
    glance: ImageService
    image_url: str

    async def ctx(self, request: Request) -> RequestContext:
        """The caller's context from X-Auth-Token; 401 without a valid token."""
        return await token_context(self.tokens, request)

    @staticmethod
    def version(request: Request) -> tuple[int, int]:
        """The microversion this request negotiated (2.1 when it asked for none)."""
        found = request.scope.get("state", {}).get(VERSION_KEY)
        return found if isinstance(found, tuple) else versions.MIN_VERSION

    def api_url(self, request: Request) -> str:
        """The versioned URL the request came in on: .../compute/v2.1 or .../compute/v2."""
        prefix = "v2" if request.scope.get("root_path", "").endswith("/v2") else "v2.1"
        return f"{self.url}/{prefix}"

    def links(self, request: Request, collection: str, ident: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": f"{self.api_url(request)}/{collection}/{ident}"},
                {"rel": "bookmark", "href": f"{self.url}/{collection}/{ident}"}]

    def next_link(self, request: Request, path: str, marker: str, limit: int
                  ) -> list[dict[str, str]]:
        """Nova's `<collection>_links`: the same query with the marker moved on."""
        params = [(k, v) for k, v in request.query_params.multi_items()
                  if k not in ("marker", "limit")]
        params += [("limit", str(limit)), ("marker", marker)]
        query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in params)
        return [{"rel": "next", "href": f"{self.api_url(request)}/{path}?{query}"}]


def deps(request: Request) -> Deps:
    """The compute app's Deps (Starlette sets `request.app` to the app serving the route)."""
    return app_deps(request, Deps)


async def caller(request: Request) -> tuple[Deps, RequestContext]:
    """The facade's Deps and the caller's context (401 without a valid token)."""
    return await app_caller(request, Deps)


def _quote(value: str) -> str:
    return quote(value, safe="")


def int_param(request: Request, name: str, minimum: int = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationError(f"Invalid {name}: {raw!r} is not an integer.") from exc
    if value < minimum:
        raise ValidationError(f"Invalid {name}: {value} is below {minimum}.")
    return value


def int_field(d: dict[str, Any], key: str, *, required: bool = False,
              default: int | None = None) -> int | None:
    """An integer body field; Nova also takes digit strings ("1024")."""
    if key not in d:
        if required:
            raise ValidationError(f"'{key}' is a required property.")
        return default
    value = d[key]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"Invalid input for field '{key}': {value!r} is not an integer.")
    return value
