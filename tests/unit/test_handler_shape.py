"""The shape issue 9 gave the Keystone, Glance and audit adapters: every handler is a typed
module-level function (or a typed descriptor's bound method) listed in a route table, and the
app hands it a typed Deps; no handler is defined inside a factory function."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import typing
from pathlib import Path
from types import ModuleType

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.deps import app_deps, install

PACKAGES = ["nuage.api.openstack.identity", "nuage.api.openstack.image",
            "nuage.api.openstack.network", "nuage.api.audit"]


def _modules() -> list[ModuleType]:
    out: list[ModuleType] = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        out += [importlib.import_module(info.name)
                for info in pkgutil.iter_modules(package.__path__, f"{name}.")]
    return out


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__)
def test_no_handler_is_defined_inside_a_function(module: ModuleType) -> None:
    """A nested function taking a `request` is a handler (or an exception handler) closing
    over its factory's arguments: the shape this refactor removed."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text())
    nested = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            nested += [f"{node.name}.{inner.name}" for inner in ast.walk(node)
                       if inner is not node
                       and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef)
                       and "request" in [a.arg for a in inner.args.args]]
    assert nested == []


def _routes() -> list[Route]:
    routes: list[Route] = []
    for module in _modules():
        routes += getattr(module, "ROUTES", [])
    return routes


def test_the_route_tables_cover_each_facade() -> None:
    paths = {route.path for route in _routes()}
    for path in ("/v3/auth/tokens", "/v3/projects", "/v3/users/{user_id}/application_credentials",
                 "/v3/projects/{target_id}/users/{actor_id}/roles/{role_id}",
                 "/v2/images/{image_id}/file", "/v2/images/{image_id}/members",
                 "/v2/schemas/image", "/v1/events"):
        assert path in paths


@pytest.mark.parametrize("route", _routes(), ids=lambda r: f"{sorted(r.methods or [])} {r.path}")
def test_every_handler_takes_a_request_and_returns_a_response(route: Route) -> None:
    hints = typing.get_type_hints(route.endpoint)
    assert hints.pop("return") is Response
    assert list(hints.values()) == [Request]


def test_a_handler_gets_the_deps_its_app_installed_and_refuses_another_kind() -> None:
    app = Starlette()
    install(app, "the deps")
    request = Request({"type": "http", "app": app, "path": "/x", "headers": [],
                       "query_string": b""})
    assert app_deps(request, str) == "the deps"
    with pytest.raises(TypeError, match="holds no int"):
        app_deps(request, int)
