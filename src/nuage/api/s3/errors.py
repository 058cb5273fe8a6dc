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
from nuage.domain.storage_errors import Fault, StorageError, StorageReason

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

R = StorageReason
_XML_MALFORMED = ("The XML you provided was not well-formed or did not validate against our "
                  "published schema")
_ACCESS_DENIED = "Access Denied"
_METHOD_NOT_ALLOWED = "The specified method is not allowed against this resource."

# Each fault in S3's words: S3's own sentence where S3 has one.
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: "Could not find {kind}: {ident}.",
    CommonFault.POLICY_DENIED: _ACCESS_DENIED,
    CommonFault.AUTHENTICATION_REQUIRED: _ACCESS_DENIED,
    # access
    R.ACCESS_DENIED: _ACCESS_DENIED,
    R.OBJECT_LOCKED: "Access Denied because object protected by object lock ({why}).",
    # buckets
    R.BUCKET_MISSING: "The specified bucket does not exist",
    R.BUCKET_NAME_INVALID: "The specified bucket is not valid.",
    R.BUCKET_LOCATION_INVALID: "The specified location constraint is not valid: {region} is "
                               "not this region ({ours}).",
    R.BUCKET_ALREADY_OWNED: "Your previous request to create the named bucket succeeded and "
                            "you already own it.",
    R.BUCKET_NAME_TAKEN: "The requested bucket name is not available. The bucket namespace is "
                         "shared by all users of the system. Please select a different name "
                         "and try again.",
    R.BUCKET_QUOTA_REACHED: "You have attempted to create more buckets than allowed",
    R.BUCKET_NOT_EMPTY: "The bucket you tried to delete is not empty",
    R.BUCKET_VERSIONING_LOCKED: "An Object Lock configuration is present on this bucket, so the "
                                "versioning state cannot be changed.",
    R.ACL_UNSUPPORTED: "Unsupported canned ACL: {acl}",
    R.CORS_RULE_COUNT: "A CORS configuration needs 1 to 100 rules.",
    R.CORS_RULE_INCOMPLETE: "Each CORS rule needs AllowedMethod and AllowedOrigin.",
    R.CORS_METHOD_UNSUPPORTED: "Found unsupported HTTP method in CORS config. Unsupported "
                               "method is {method}",
    R.CORS_MISSING: "The CORS configuration does not exist",
    R.LIFECYCLE_MISSING: "The lifecycle configuration does not exist",
    R.LIFECYCLE_RULE_COUNT: "A lifecycle configuration needs 1 to 1000 rules.",
    R.LIFECYCLE_STATUS_INVALID: "Rule Status must be Enabled or Disabled.",
    R.LIFECYCLE_ACTION_MISSING: "At least one action needs to be specified in a rule",
    R.LIFECYCLE_DAYS_INVALID: "'{field}' for {action} action must be a positive integer",
    # tags
    R.TAGS_TOO_MANY: "Object tags cannot be greater than {limit}",
    R.TAG_INVALID: "The TagKey or TagValue you have provided is too long or invalid.",
    R.TAG_DUPLICATE: "Cannot provide multiple Tags with the same key",
    R.TAG_SET_MISSING: "The TagSet does not exist",
    # object lock
    R.LOCK_NOT_CONFIGURED: "Bucket is missing Object Lock Configuration",
    R.LOCK_CONFIG_MISSING: "Object Lock configuration does not exist for this bucket",
    R.RETENTION_HEADERS_INCOMPLETE: "x-amz-object-lock-retain-until-date and "
                                    "x-amz-object-lock-mode must both be supplied",
    R.LOCK_NEEDS_VERSIONING: "Versioning must be 'Enabled' on the bucket to apply a Object "
                             "Lock configuration",
    R.RETENTION_MODE_INVALID: "Retention mode must be GOVERNANCE or COMPLIANCE.",
    R.DEFAULT_RETENTION_INVALID: "Default retention period must be a positive integer of Days "
                                 "or Years, not both.",
    R.RETENTION_MISSING: "The specified object does not have a ObjectLock configuration",
    R.RETAIN_UNTIL_PAST: "The retain until date must be in the future!",
    # bucket policies
    R.POLICY_MISSING: "The bucket policy does not exist",
    R.POLICY_TOO_LARGE: "Policy exceeds the maximum allowed document size.",
    R.POLICY_NOT_JSON: "Policies must be valid JSON.",
    R.POLICY_STATEMENT_MISSING: "Policy has invalid structure: a Statement is required",
    R.POLICY_STATEMENT_INVALID: "Policy has invalid statement",
    R.POLICY_EFFECT_INVALID: "Policy has invalid effect",
    R.POLICY_PRINCIPAL_MISSING: "Policy has invalid principal: every statement needs one",
    R.POLICY_ACTION_MISSING: "Policy has invalid action",
    R.POLICY_ACTION_INVALID: "Policy has invalid action {action!r}",
    R.POLICY_RESOURCE_MISSING: "Policy has invalid resource",
    R.POLICY_RESOURCE_FOREIGN: "Policy has invalid resource {arn!r}: it must name this "
                               "bucket",
    R.POLICY_CONDITION_INVALID: "Policy has invalid condition",
    R.POLICY_CONDITION_OPERATOR_INVALID: "Policy has invalid condition operator {operator!r}",
    R.POLICY_CONDITION_KEY_INVALID: "Policy has invalid condition key {key!r}",
    # objects
    R.OBJECT_MISSING: "The specified key does not exist.",
    R.VERSION_MISSING: "The specified version does not exist.",
    R.VERSION_ID_INVALID: "Invalid version id specified",
    R.VERSION_IS_DELETE_MARKER: _METHOD_NOT_ALLOWED,
    R.KEY_TOO_LONG: "Your key is too long",
    R.KEY_EMPTY: "Empty key",
    R.METADATA_TOO_LARGE: "Your metadata headers exceed the maximum allowed metadata size.",
    R.OBJECT_TOO_LARGE: "Your proposed upload exceeds the maximum allowed size",
    R.OBJECT_QUOTA_EXCEEDED: "The project's storage quota ({measure}) would be exceeded.",
    R.COPY_TO_ITSELF: "This copy request is illegal because it is trying to copy an object to "
                      "itself without changing the object's metadata, storage class, website "
                      "redirect location or encryption attributes.",
    R.COPY_RANGE_INVALID: "The x-amz-copy-source-range value must be of the form "
                          "bytes=first-last where first and last are the zero-based offsets of "
                          "the first and last bytes to copy",
    R.COPY_RANGE_MALFORMED: "The x-amz-copy-source-range value must be of the form "
                            "bytes=first-last",
    R.COPY_SOURCE_INVALID: "Copy Source must mention the source bucket and key: "
                           "sourcebucket/sourcekey",
    R.METADATA_DIRECTIVE_INVALID: "Unknown metadata directive.",
    R.STORAGE_CLASS_INVALID: "The storage class you specified is not valid",
    R.PART_NUMBER_NOT_INTEGER: "Part number must be an integer",
    R.PART_NOT_SATISFIABLE: "The requested partnumber is not satisfiable",
    R.RANGE_NOT_SATISFIABLE: "The requested range is not satisfiable",
    R.PRECONDITION_FAILED: "At least one of the pre-conditions you specified did not hold",
    R.NOT_MODIFIED: "Not Modified",
    # bodies and their integrity
    R.BODY_INCOMPLETE: "You did not provide the number of bytes specified by the "
                       "Content-Length HTTP header.",
    R.MD5_MISMATCH: "The Content-MD5 you specified did not match what we received.",
    R.MD5_INVALID: "The Content-MD5 you specified was invalid.",
    R.CONTENT_LENGTH_INVALID: "Invalid content length",
    R.CHECKSUM_TRAILER_MISSING: lambda f: (f"The x-amz-checksum-{f['algorithm'].lower()} "
                                           "trailer was declared but not sent."),
    R.CHECKSUM_MISMATCH: "The {algorithm} you specified did not match the calculated checksum.",
    # customer-provided keys
    R.SSE_C_ALGORITHM_INVALID: "The encryption algorithm specified is not valid.",
    R.SSE_C_KEY_INCOMPLETE: "Requests specifying Server Side Encryption with Customer "
                            "provided keys must provide an appropriate secret key and its MD5.",
    R.SSE_C_KEY_INVALID: "The secret key was invalid for the specified algorithm.",
    R.SSE_C_KEY_MD5_MISMATCH: "The calculated MD5 hash of the key did not match the hash that "
                              "was provided.",
    R.SSE_C_KEY_REQUIRED: "The object was stored using a form of Server Side Encryption. The "
                          "correct parameters must be provided to retrieve the object.",
    R.SSE_C_KEY_WRONG: "The SSE-C key provided does not match the key the object was stored "
                       "with.",
    R.SSE_C_NOT_APPLICABLE: "The encryption parameters are not applicable to this object.",
    # multipart uploads
    R.UPLOAD_MISSING: "The specified upload does not exist. The upload ID may be invalid, or "
                      "the upload may have been aborted or completed.",
    R.UPLOAD_GONE: "The specified upload does not exist.",
    R.UPLOAD_CHECKSUM_UNSUPPORTED: "Checksum algorithm provided is unsupported.",
    R.PART_NUMBER_INVALID: "Part number must be an integer between 1 and 10000, inclusive",
    R.PART_ORDER_INVALID: "The list of parts was not in ascending order. Parts must be ordered "
                          "by part number.",
    R.PART_MISSING: "One or more of the specified parts could not be found. The part may not "
                    "have been uploaded, or the specified entity tag may not match the part's "
                    "entity tag.",
    R.PART_CHECKSUM_MISMATCH: "The {algorithm} checksum of part {part_number} does not match.",
    R.PART_TOO_SMALL: "Your proposed upload is smaller than the minimum allowed size",
    # listings
    R.MAX_KEYS_NEGATIVE: "max-keys cannot be negative",
    R.LIST_ARGUMENT_NOT_INTEGER: "Provided {name} not an integer or within integer range",
    R.LIST_ARGUMENT_NEGATIVE: "Argument {name} must be an integer between 0 and 2147483647",
    R.ENCODING_TYPE_INVALID: "Invalid Encoding Method specified in Request",
    R.CONTINUATION_TOKEN_INVALID: "The continuation token provided is incorrect",
    # requests
    R.XML_MALFORMED: _XML_MALFORMED,
    R.HEADER_NOT_IMPLEMENTED: "A header you provided implies functionality that is not "
                              "implemented",
    R.HEADER_MISSING: "Missing required header for this request: {header}",
    R.METHOD_NOT_ALLOWED: _METHOD_NOT_ALLOWED,
    R.REQUEST_TOO_BIG: "Your request was too big.",
    R.CORS_ORIGIN_MISSING: "Insufficient information. Origin request header needed.",
    R.CORS_NOT_ALLOWED: "CORSResponse: This CORS request is not allowed. This is usually "
                        "because the evalution of Origin, request method / "
                        "Access-Control-Request-Method or Access-Control-Request-Headers are "
                        "not whitelisted by the resource's CORS spec.",
    # storage quotas (the operator's CLI words them with this table too)
    R.QUOTA_VALUE_INVALID: "A quota is a number of at least {minimum} (unlimited).",
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
