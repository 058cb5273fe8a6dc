"""The S3 listener: each request is parsed into (method, level, sub-resource), looked up
in one routing table, authenticated, then handled; every error goes through the S3 error
table (errors.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuage.api.middleware import S3_IDS, listener_middleware, wrap
from nuage.api.openstack.common.http import call
from nuage.api.s3 import bucket_configs as cfg
from nuage.api.s3 import buckets, listing, multipart, objects
from nuage.api.s3.errors import error_response
from nuage.api.s3.request import S3Request, authenticate, signed_request
from nuage.domain import cors
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.identity.s3_keys import S3KeyService
from nuage.services.storage.build import S3Services

log = logging.getLogger(__name__)
Handler = Callable[[S3Request, S3Services], Awaitable[Response]]

SERVICE, BUCKET, OBJECT = "service", "bucket", "object"
# Every query parameter that names an S3 sub-resource: the names in the request URIs of the
# S3 API model (botocore's s3/2006-03-01 service model; tests/unit/s3/test_routing.py checks
# this list against it), plus `uploadId`, which the model binds as a parameter. A request
# that names one is routed on it or refused: a sub-resource nuage does not serve never
# falls through to the plain operation (`DELETE /b?metadataTable` must not delete the
# bucket). Other query parameters (list parameters, response overrides, presigning, `x-id`)
# are ignored when an operation does not use them, as S3 does.
SUBRESOURCES = frozenset({
    "abac", "accelerate", "acl", "analytics", "annotation", "attributes", "cors", "delete",
    "encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location",
    "logging", "metadataAnnotationTable", "metadataConfiguration", "metadataInventoryTable",
    "metadataJournalTable", "metadataTable", "metrics", "notification", "object-lock",
    "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "renameObject",
    "replication", "requestPayment", "restore", "retention", "select", "session", "tagging",
    "torrent", "uploadId", "uploads", "versioning", "versions", "website",
})
# Matched without regard to case, so that `?Policy` is refused rather than taken for the
# plain operation (S3 would ignore it; no client sends it).
_SUBRESOURCES_FOLDED = {name.lower() for name in SUBRESOURCES}

ROUTES: dict[tuple[str, str, str | None], Handler] = {
    ("GET", SERVICE, None): buckets.list_buckets,
    ("PUT", BUCKET, None): buckets.create_bucket,
    ("DELETE", BUCKET, None): buckets.delete_bucket,
    ("HEAD", BUCKET, None): buckets.head_bucket,
    ("GET", BUCKET, None): listing.list_objects,
    ("GET", BUCKET, "location"): buckets.location,
    ("GET", BUCKET, "encryption"): buckets.get_encryption,
    ("GET", BUCKET, "versioning"): buckets.get_versioning,
    ("PUT", BUCKET, "versioning"): buckets.put_versioning,
    ("GET", BUCKET, "policy"): buckets.get_policy,
    ("PUT", BUCKET, "policy"): buckets.put_policy,
    ("DELETE", BUCKET, "policy"): buckets.delete_policy,
    ("GET", BUCKET, "acl"): buckets.get_acl,
    ("PUT", BUCKET, "acl"): buckets.put_acl,
    ("GET", BUCKET, "tagging"): buckets.get_tagging,
    ("PUT", BUCKET, "tagging"): buckets.put_tagging,
    ("DELETE", BUCKET, "tagging"): buckets.delete_tagging,
    ("GET", BUCKET, "cors"): cfg.get_cors,
    ("PUT", BUCKET, "cors"): cfg.put_cors,
    ("DELETE", BUCKET, "cors"): cfg.delete_cors,
    ("GET", BUCKET, "lifecycle"): cfg.get_lifecycle,
    ("PUT", BUCKET, "lifecycle"): cfg.put_lifecycle,
    ("DELETE", BUCKET, "lifecycle"): cfg.delete_lifecycle,
    ("GET", BUCKET, "object-lock"): cfg.get_object_lock,
    ("PUT", BUCKET, "object-lock"): cfg.put_object_lock,
    ("GET", BUCKET, "uploads"): listing.list_uploads,
    ("GET", BUCKET, "versions"): listing.list_versions,
    ("POST", BUCKET, "delete"): objects.delete_objects,
    ("GET", OBJECT, None): objects.get_object,
    ("HEAD", OBJECT, None): objects.head_object,
    ("PUT", OBJECT, None): objects.put_object,
    ("DELETE", OBJECT, None): objects.delete_object,
    ("GET", OBJECT, "tagging"): objects.get_object_tagging,
    ("PUT", OBJECT, "tagging"): objects.put_object_tagging,
    ("DELETE", OBJECT, "tagging"): objects.delete_object_tagging,
    ("GET", OBJECT, "acl"): objects.get_object_acl,
    ("PUT", OBJECT, "acl"): objects.put_object_acl,
    ("GET", OBJECT, "retention"): objects.get_retention,
    ("PUT", OBJECT, "retention"): objects.put_retention,
    ("GET", OBJECT, "legal-hold"): objects.get_legal_hold,
    ("PUT", OBJECT, "legal-hold"): objects.put_legal_hold,
    ("POST", OBJECT, "uploads"): multipart.create,
    ("PUT", OBJECT, "uploadId"): multipart.upload_part,
    ("POST", OBJECT, "uploadId"): multipart.complete,
    ("DELETE", OBJECT, "uploadId"): multipart.abort,
    ("GET", OBJECT, "uploadId"): listing.list_parts,
}


def address(request: Request, domain: str) -> tuple[str | None, str | None]:
    """(bucket, key) from virtual-hosted-style or path-style addressing."""
    host = (request.headers.get("host") or "").split(":", 1)[0].lower()
    path = request.scope["path"]
    if domain and host.endswith("." + domain):
        bucket = host[: -len(domain) - 1]
        key = path[1:] if len(path) > 1 else None
        return bucket, key
    trimmed = path.lstrip("/")
    if not trimmed:
        return None, None
    bucket, sep, key = trimmed.partition("/")
    return bucket, (key if sep and key else None)


def operation(method: str, bucket: str | None, key: str | None, query: dict[str, str]
              ) -> Handler:
    """The handler of a request; total: NotImplemented for any sub-resource nuage does not
    serve at this level with this method, MethodNotAllowed for a plain method it does not
    serve."""
    level = SERVICE if bucket is None else (BUCKET if key is None else OBJECT)
    named = [name for name in query if name.lower() in _SUBRESOURCES_FOLDED]
    if not named:
        handler = ROUTES.get((method, level, None))
        if handler is None:
            raise StorageError(Fault.METHOD_NOT_ALLOWED, StorageReason.METHOD_NOT_ALLOWED,
                               method=method)
        return handler
    handler = ROUTES.get((method, level, named[0])) if len(named) == 1 else None
    if handler is None:
        raise StorageError(Fault.NOT_IMPLEMENTED, StorageReason.HEADER_NOT_IMPLEMENTED)
    return handler


class _BodyTracker:
    """Wraps `receive` to learn whether the request body was read to its end."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self._receive = receive
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"0").strip()
        self.finished = length in (b"", b"0") and b"transfer-encoding" not in headers

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.finished = True
        return message


def s3_listener(services: S3Services, keys: S3KeyService) -> ASGIApp:
    """The S3 listener: S3App behind the same middleware stack as the OpenStack front, with
    S3's ids (x-amz-request-id, x-amz-id-2)."""
    return wrap(S3App(services, keys), listener_middleware(S3_IDS))


class S3App:
    """Serves S3 behind the listener middleware, which leaves the request's ids in the
    scope's state."""

    def __init__(self, services: S3Services, keys: S3KeyService) -> None:
        """`keys`: identity's EC2-style keys, which signatures are checked against."""
        self.s = services
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body_done = _BodyTracker(scope, receive)
        request = Request(scope, body_done.receive)
        # S3's two ids (the middleware's): the request's, and the "extended" one (x-amz-id-2,
        # HostId) that S3 support asks for. Both are in every response's headers and error
        # body, and in the access log.
        state = scope["state"]
        request_id, host_id = state["request_id"], state["host_id"]
        bucket, key = address(request, self.s.domain)
        resource = "/" + "/".join(p for p in (bucket, key) if p)
        try:
            if request.method == "OPTIONS":
                response = await self.preflight(request, bucket)
            else:
                response = await self.handle(request, request_id, bucket, key)
        except Exception as exc:
            if not isinstance(exc, StorageError) and exc.__class__.__name__ != "S3AuthError":
                log.exception("S3 %s %s failed (request %s)", request.method,
                              request.url.path, request_id)
            response = error_response(exc, resource, request_id, request.method == "HEAD",
                                      host_id)
            if bucket is not None:
                # As S3 does: a client that signed for another region (a HEAD error has no
                # body to say so) learns the right one here, and botocore retries with it.
                response.headers["x-amz-bucket-region"] = self.s.region
        if not body_done.finished:
            # Answered before the body was read (an error, or a client that sent
            # `Expect: 100-continue` and now skips the body): the connection's framing is
            # unknown, so close it rather than read the next request out of this body.
            response.headers["connection"] = "close"
        await self.add_cors(request, bucket, response)
        await response(scope, receive, send)

    async def handle(self, request: Request, request_id: str, bucket: str | None,
                     key: str | None) -> Response:
        query = dict(request.query_params)
        handler = operation(request.method, bucket, key, query)
        signed = signed_request(request)
        ctx, signing = await authenticate(request, signed, self.keys, self.s.region,
                                          request_id, self.s.region_aliases)
        r = S3Request(http=request, ctx=ctx, request_id=request_id, bucket=bucket, key=key,
                      query=query, signed=signed, signing=signing)
        response = await handler(r, self.s)
        if handler is not objects.get_object:
            self.s.maintenance.count(ctx.project_id)
        return response

    async def _cors_rules(self, bucket: str | None) -> list[dict[str, object]] | None:
        if bucket is None:
            return None
        return await call(self.s.buckets.cors_rules, bucket)

    async def preflight(self, request: Request, bucket: str | None) -> Response:
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        if not origin or not method:
            raise StorageError(Fault.INVALID_REQUEST, StorageReason.CORS_ORIGIN_MISSING)
        wanted = [h.strip() for h in request.headers.get(
            "access-control-request-headers", "").split(",") if h.strip()]
        answer = cors.match(await self._cors_rules(bucket), origin, method, wanted)
        if answer is None:
            raise StorageError(Fault.ACCESS_DENIED, StorageReason.CORS_NOT_ALLOWED,
                               origin=origin, method=method)
        headers = {"Access-Control-Allow-Origin": answer.allow_origin,
                   "Access-Control-Allow-Methods": ", ".join(answer.allow_methods),
                   "Vary": "Origin, Access-Control-Request-Headers, "
                           "Access-Control-Request-Method"}
        if answer.allow_headers:
            headers["Access-Control-Allow-Headers"] = ", ".join(answer.allow_headers)
        if answer.expose_headers:
            headers["Access-Control-Expose-Headers"] = ", ".join(answer.expose_headers)
        if answer.max_age is not None:
            headers["Access-Control-Max-Age"] = str(answer.max_age)
        return Response(b"", status_code=200, headers=headers)

    async def add_cors(self, request: Request, bucket: str | None, response: Response) -> None:
        origin = request.headers.get("origin")
        if not origin or request.method == "OPTIONS" or bucket is None:
            return
        try:
            answer = cors.match(await self._cors_rules(bucket), origin, request.method, [])
        except Exception:
            return
        if answer is not None:
            response.headers["Access-Control-Allow-Origin"] = answer.allow_origin
            response.headers["Access-Control-Allow-Methods"] = ", ".join(answer.allow_methods)
            response.headers["Vary"] = "Origin"
            if answer.expose_headers:
                response.headers["Access-Control-Expose-Headers"] = ", ".join(
                    answer.expose_headers)
