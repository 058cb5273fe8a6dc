"""Application credentials, OS-EC2 credentials and /v3/credentials."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import (
    extra,
    json_object,
    member,
    string,
)
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.identity.deps import caller
from nuage.api.openstack.identity.requests import CREDENTIAL_KEYS, credential_changes, new_app_cred
from nuage.domain.errors import ValidationError


async def create_app_cred(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    new = new_app_cred(member(await json_object(request), "application_credential"))
    view = await call(d.s.credentials.create_app_cred, ctx, request.path_params["user_id"],
                      new)
    return reply({"application_credential": r.app_cred(view)}, status=201)


async def list_app_creds(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    uid = request.path_params["user_id"]
    views = await call(d.s.credentials.list_app_creds, ctx, uid,
                       request.query_params.get("name"))
    return reply(r.collection("application_credentials", [r.app_cred(v) for v in views],
                              f"users/{uid}/application_credentials"))


async def get_app_cred(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    view = await call(d.s.credentials.get_app_cred, ctx, request.path_params["user_id"],
                      request.path_params["cred_id"])
    return reply({"application_credential": r.app_cred(view)})


async def delete_app_cred(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.credentials.delete_app_cred, ctx, request.path_params["user_id"],
               request.path_params["cred_id"])
    return empty()


async def create_ec2(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = await json_object(request)
    project_id = string(body, "tenant_id", nullable=True) or string(
        body, "project_id", nullable=True) or ctx.project_id
    if not project_id:
        raise ValidationError("'tenant_id' is a required property.")
    view = await call(d.s.credentials.create_ec2, ctx, request.path_params["user_id"],
                      project_id)
    return reply({"credential": r.ec2(view)}, status=201)


async def list_ec2(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    uid = request.path_params["user_id"]
    views = await call(d.s.credentials.list_ec2, ctx, uid)
    return reply(r.collection("credentials", [r.ec2(v) for v in views],
                              f"users/{uid}/credentials/OS-EC2"))


async def get_ec2(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    view = await call(d.s.credentials.get_ec2, ctx, request.path_params["user_id"],
                      request.path_params["access"])
    return reply({"credential": r.ec2(view)})


async def delete_ec2(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.credentials.delete_ec2, ctx, request.path_params["user_id"],
               request.path_params["access"])
    return empty()


async def create_credential(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "credential")
    view = await call(d.s.credentials.create, ctx,
                      string(body, "user_id", required=True) or "",
                      string(body, "type", required=True, min_len=1) or "",
                      string(body, "blob", required=True, max_len=65535) or "",
                      string(body, "project_id", nullable=True),
                      extra(body, CREDENTIAL_KEYS))
    return reply({"credential": r.credential(view)}, status=201)


async def list_credentials(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    views = await call(d.s.credentials.find, ctx, request.query_params.get("user_id"),
                       request.query_params.get("type"))
    return reply(r.collection("credentials", [r.credential(v) for v in views],
                              "credentials"))


async def get_credential(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    view = await call(d.s.credentials.get, ctx, request.path_params["cred_id"])
    return reply({"credential": r.credential(view)})


async def update_credential(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "credential")
    view = await call(d.s.credentials.update, ctx, request.path_params["cred_id"],
                      credential_changes(body))
    return reply({"credential": r.credential(view)})


async def delete_credential(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.credentials.delete, ctx, request.path_params["cred_id"])
    return empty()


APP_CREDS = "/v3/users/{user_id}/application_credentials"
EC2 = "/v3/users/{user_id}/credentials/OS-EC2"


ROUTES: list[Route] = [
    Route(APP_CREDS, create_app_cred, methods=["POST"]),
    Route(APP_CREDS, list_app_creds, methods=["GET"]),
    Route(APP_CREDS + "/{cred_id}", get_app_cred, methods=["GET"]),
    Route(APP_CREDS + "/{cred_id}", delete_app_cred, methods=["DELETE"]),
    Route(EC2, create_ec2, methods=["POST"]),
    Route(EC2, list_ec2, methods=["GET"]),
    Route(EC2 + "/{access}", get_ec2, methods=["GET"]),
    Route(EC2 + "/{access}", delete_ec2, methods=["DELETE"]),
    Route("/v3/credentials", create_credential, methods=["POST"]),
    Route("/v3/credentials", list_credentials, methods=["GET"]),
    Route("/v3/credentials/{cred_id}", get_credential, methods=["GET"]),
    Route("/v3/credentials/{cred_id}", update_credential, methods=["PATCH"]),
    Route("/v3/credentials/{cred_id}", delete_credential, methods=["DELETE"]),
]
