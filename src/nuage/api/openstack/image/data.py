"""/v2/images/{id}/file: streamed upload (PUT) and download (GET, with Range)."""

from __future__ import annotations

from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from nuage.api.openstack.common.http import call, empty
from nuage.api.openstack.image.deps import caller
from nuage.api.openstack.image.requests import declared_size, upload_media_ok
from nuage.api.streaming import batched
from nuage.services.image.data import Upload


async def upload(request: Request) -> Response:
    d, ctx = await caller(request)
    upload_media_ok(request)
    session: Upload = await call(d.s.data.begin_upload, ctx,
                                 request.path_params["image_id"], declared_size(request))
    try:
        async for piece in request.stream():
            if piece:
                await call(session.write, piece)
    except BaseException as exc:
        await call(d.s.data.abort_upload, ctx, session, exc)
        raise
    await call(d.s.data.finish_upload, ctx, session)
    return empty()


async def download(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.data.download, ctx, request.path_params["image_id"],
                       request.headers.get("range"))
    if found is None:
        return empty()
    image = found.image
    headers = {"Content-Type": "application/octet-stream",
               "Content-Length": str(max(0, found.end - found.start + 1))}
    status = 200
    if found.partial:
        status = 206
        headers["Content-Range"] = f"bytes {found.start}-{found.end}/{image.size}"
    elif image.checksum:
        headers["Content-MD5"] = image.checksum
    return StreamingResponse(iterate_in_threadpool(batched(found.chunks)),
                             status_code=status, headers=headers)


ROUTES: list[Route] = [
    Route("/v2/images/{image_id}/file", upload, methods=["PUT"]),
    Route("/v2/images/{image_id}/file", download, methods=["GET"]),
]
