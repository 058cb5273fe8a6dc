"""Each facade's typed dependency object, kept on its Starlette app.

Handlers are module-level functions: the app stores its dependency object once
(`install(app, deps)`), and each facade's one-line accessor (`deps(request) -> Deps`)
gets it back through `app_deps`, which checks the type, so mypy sees a `Deps`, never `Any`.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request

from nuage.domain.context import RequestContext

T = TypeVar("T")


class Authenticates(Protocol):
    """A facade's Deps: it turns a request's token into the caller's context."""

    async def ctx(self, request: Request) -> RequestContext: ...


A = TypeVar("A", bound=Authenticates)


def install(app: Starlette, deps: object) -> None:
    """Keeps `deps` on `app` for its handlers (Starlette gives each request its app)."""
    app.state.deps = deps


def app_deps(request: Request, kind: type[T]) -> T:
    """The dependency object installed on the app serving `request`, checked to be a `kind`."""
    found = request.app.state.deps
    if not isinstance(found, kind):
        raise TypeError(f"the app serving {request.url.path} holds no {kind.__name__}")
    return found


async def app_caller(request: Request, kind: type[A]) -> tuple[A, RequestContext]:
    """The app's Deps and the caller's context (401 without a valid token): what each
    facade's one-line `caller(request)` returns, the first line of every authenticated
    handler."""
    d = app_deps(request, kind)
    return d, await d.ctx(request)
