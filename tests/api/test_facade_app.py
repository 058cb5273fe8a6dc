"""`facade_app` answers what no handler does (an unknown path, a wrong method, a crash) in
each OpenStack API's own error envelope, as the real services do."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.app import facade_app
from nuage.api.openstack.compute import app as compute
from nuage.api.openstack.compute.errors import nova_fault
from nuage.api.openstack.identity import app as identity
from nuage.api.openstack.identity.errors import keystone_error
from nuage.api.openstack.image import app as image
from nuage.api.openstack.image.errors import glance_error
from nuage.api.openstack.network import app as network
from nuage.api.openstack.network.errors import neutron_error

with warnings.catch_warnings():
    warnings.simplefilter("ignore")            # Starlette's nudge towards httpx2
    from starlette.testclient import TestClient


async def crashes(request: Request) -> Response:
    raise RuntimeError("a bug")


FACADES: dict[str, dict[str, Any]] = {
    "glance": {"error": glance_error, "names": image.TITLES, "default_name": "Error",
               "crash": image.CRASH},
    "neutron": {"error": neutron_error, "names": network.TYPES, "default_name": "HTTPError",
                "crash": network.CRASH},
    "keystone": {"error": keystone_error, "names": identity.TITLES, "default_name": "Error",
                 "crash": identity.CRASH},
    "nova": {"error": nova_fault, "names": compute.HTTP_FAULTS,
             "default_name": "computeFault", "crash": compute.CRASH},
}

def read(api: str, body: dict[str, Any]) -> tuple[str, str]:
    """The error's name and message, from where each envelope keeps them."""
    if api == "glance":
        return body["title"], body["message"]
    if api == "neutron":
        return body["NeutronError"]["type"], body["NeutronError"]["message"]
    if api == "keystone":
        return body["error"]["title"], body["error"]["message"]
    [(name, fault)] = body.items()               # Nova: {"<faultName>": {code, message}}
    return name, fault["message"]


@pytest.mark.parametrize("api", sorted(FACADES))
def test_routing_errors_and_crashes_in_the_api_envelope(
        api: str, caplog: pytest.LogCaptureFixture) -> None:
    params = FACADES[api]
    app = facade_app([Route("/thing", crashes, methods=["GET"])], object(),
                     on_domain=lambda request, exc: Response(status_code=418), **params)
    client = TestClient(app, raise_server_exceptions=False)

    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert read(api, missing.json()) == (params["names"][404],
                                    "The resource could not be found.")

    wrong = client.delete("/thing")
    assert wrong.status_code == 405
    assert read(api, wrong.json())[0] == params["names"][405]

    crash = client.get("/thing")
    assert crash.status_code == 500
    assert read(api, crash.json()) == params["crash"]
    assert "a bug" not in crash.text             # the cause stays in the log
    assert any("unexpected error on GET /thing" in r.getMessage() for r in caplog.records)
