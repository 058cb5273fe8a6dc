"""The S3 error table: every domain error -> S3's code, HTTP status and XML body."""

from __future__ import annotations

from starlette.responses import Response

from nuage.api.s3 import xml
from nuage.api.s3.sigv4 import S3AuthError
from nuage.domain.errors import (
    CommonFault,
    Conflict,
    FaultCode,
    Forbidden,
    NotFound,
    NuageError,
    Unauthorized,
    ValidationError,
    Wording,
)
from nuage.domain.storage_errors import Fault, StorageError

STATUS: dict[Fault, int] = {
    Fault.NO_SUCH_BUCKET: 404, Fault.NO_SUCH_KEY: 404, Fault.NO_SUCH_VERSION: 404,
    Fault.NO_SUCH_UPLOAD: 404, Fault.NO_SUCH_BUCKET_POLICY: 404, Fault.NO_SUCH_CORS: 404,
    Fault.NO_SUCH_LIFECYCLE: 404, Fault.NO_SUCH_TAG_SET: 404, Fault.NO_OBJECT_LOCK_CONFIG: 404,
    Fault.NO_RETENTION: 404,
    Fault.BUCKET_NOT_EMPTY: 409, Fault.BUCKET_OWNED_BY_YOU: 409, Fault.BUCKET_EXISTS: 409,
    Fault.INVALID_BUCKET_STATE: 409,
    Fault.INVALID_BUCKET_NAME: 400, Fault.INVALID_LOCATION_CONSTRAINT: 400,
    Fault.KEY_TOO_LONG: 400, Fault.METADATA_TOO_LARGE: 400,
    Fault.ENTITY_TOO_SMALL: 400, Fault.ENTITY_TOO_LARGE: 400, Fault.INVALID_PART: 400,
    Fault.INVALID_PART_ORDER: 400, Fault.MALFORMED_XML: 400, Fault.MALFORMED_POLICY: 400,
    Fault.BAD_DIGEST: 400, Fault.INVALID_DIGEST: 400, Fault.INVALID_ARGUMENT: 400,
    Fault.INVALID_REQUEST: 400, Fault.INVALID_STORAGE_CLASS: 400, Fault.INVALID_TAG: 400,
    Fault.INCOMPLETE_BODY: 400, Fault.MAX_MESSAGE_LENGTH_EXCEEDED: 400,
    Fault.TOO_MANY_BUCKETS: 400,
    Fault.PRECONDITION_FAILED: 412, Fault.NOT_MODIFIED: 304, Fault.INVALID_RANGE: 416,
    Fault.OBJECT_LOCKED: 403, Fault.ACCESS_DENIED: 403, Fault.QUOTA_EXCEEDED: 403,
    Fault.INVALID_OBJECT_STATE: 403,
    Fault.METHOD_NOT_ALLOWED: 405, Fault.NOT_IMPLEMENTED: 501, Fault.INTERNAL: 500,
}

# Extra values that S3 sends as response headers rather than XML elements.
HEADER_EXTRAS = ("x-amz-delete-marker", "x-amz-version-id")

# Each fault in S3's words.
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: "Could not find {kind}: {ident}.",
    CommonFault.POLICY_DENIED: "Access Denied",
    CommonFault.AUTHENTICATION_REQUIRED: "Access Denied",
}


def code_and_status(exc: Exception) -> tuple[str, int, str]:
    if isinstance(exc, StorageError):
        return exc.fault.value, STATUS.get(exc.fault, 400), exc.worded(WORDING)
    if isinstance(exc, S3AuthError):
        return exc.code, exc.status, exc.message
    if isinstance(exc, NotFound):
        return "NoSuchKey", 404, exc.worded(WORDING)
    if isinstance(exc, Forbidden | Unauthorized):
        return "AccessDenied", 403, "Access Denied"
    if isinstance(exc, Conflict):
        return "OperationAborted", 409, exc.worded(WORDING)
    if isinstance(exc, ValidationError):
        return "InvalidArgument", 400, exc.worded(WORDING)
    if isinstance(exc, NuageError):
        return "InvalidRequest", 400, exc.worded(WORDING)
    return "InternalError", 500, "We encountered an internal error. Please try again."


def error_response(exc: Exception, resource: str, request_id: str, head: bool,
                   host_id: str = "") -> Response:
    """The S3 error for `exc`; the ids' headers are the listener middleware's."""
    code, status, message = code_and_status(exc)
    headers: dict[str, str] = {}
    extra: dict[str, str] = {}
    if isinstance(exc, StorageError):
        extra = dict(exc.extra)
    elif isinstance(exc, S3AuthError):
        extra = dict(exc.details)
    for name in HEADER_EXTRAS:
        if name in extra:
            headers[name] = extra.pop(name)
    if status == 304 or head:
        return Response(b"", status_code=status, headers=headers)
    root = xml.new("Error", namespace=False)
    xml.add(root, "Code", code)
    xml.add(root, "Message", message)
    for tag, value in extra.items():
        xml.add(root, tag, value)
    xml.add(root, "Resource", resource)
    xml.add(root, "RequestId", request_id)
    if host_id:
        xml.add(root, "HostId", host_id)
    return Response(xml.render(root), status_code=status, headers=headers,
                    media_type="application/xml")
