"""Object storage faults. S3 names them precisely, and clients branch on the name, so the
domain keeps that precision; `api/s3/errors.py` maps each to its code and status."""

from __future__ import annotations

from nuage.domain.errors import FaultCode, NuageError


class Fault(FaultCode):
    NO_SUCH_BUCKET = "NoSuchBucket"
    NO_SUCH_KEY = "NoSuchKey"
    NO_SUCH_VERSION = "NoSuchVersion"
    NO_SUCH_UPLOAD = "NoSuchUpload"
    NO_SUCH_BUCKET_POLICY = "NoSuchBucketPolicy"
    MALFORMED_POLICY = "MalformedPolicy"
    NO_SUCH_CORS = "NoSuchCORSConfiguration"
    NO_SUCH_LIFECYCLE = "NoSuchLifecycleConfiguration"
    NO_SUCH_TAG_SET = "NoSuchTagSet"
    NO_OBJECT_LOCK_CONFIG = "ObjectLockConfigurationNotFoundError"
    NO_RETENTION = "NoSuchObjectLockConfiguration"
    BUCKET_NOT_EMPTY = "BucketNotEmpty"
    BUCKET_OWNED_BY_YOU = "BucketAlreadyOwnedByYou"
    BUCKET_EXISTS = "BucketAlreadyExists"
    INVALID_BUCKET_NAME = "InvalidBucketName"
    INVALID_LOCATION_CONSTRAINT = "InvalidLocationConstraint"
    KEY_TOO_LONG = "KeyTooLongError"
    METADATA_TOO_LARGE = "MetadataTooLarge"
    ENTITY_TOO_SMALL = "EntityTooSmall"
    ENTITY_TOO_LARGE = "EntityTooLarge"
    INVALID_PART = "InvalidPart"
    INVALID_PART_ORDER = "InvalidPartOrder"
    PRECONDITION_FAILED = "PreconditionFailed"
    NOT_MODIFIED = "NotModified"
    INVALID_RANGE = "InvalidRange"
    MALFORMED_XML = "MalformedXML"
    BAD_DIGEST = "BadDigest"
    INVALID_DIGEST = "InvalidDigest"
    INVALID_ARGUMENT = "InvalidArgument"
    INVALID_REQUEST = "InvalidRequest"
    INVALID_STORAGE_CLASS = "InvalidStorageClass"
    INVALID_TAG = "InvalidTag"
    OBJECT_LOCKED = "ObjectLocked"
    INVALID_BUCKET_STATE = "InvalidBucketState"
    INVALID_OBJECT_STATE = "InvalidObjectState"
    ACCESS_DENIED = "AccessDenied"
    QUOTA_EXCEEDED = "QuotaExceeded"
    TOO_MANY_BUCKETS = "TooManyBuckets"
    INCOMPLETE_BODY = "IncompleteBody"
    MAX_MESSAGE_LENGTH_EXCEEDED = "MaxMessageLengthExceeded"
    NOT_IMPLEMENTED = "NotImplemented"
    METHOD_NOT_ALLOWED = "MethodNotAllowed"
    INTERNAL = "InternalError"


class StorageError(NuageError):
    def __init__(self, fault: Fault, message: str, resource: str | None = None,
                 extra: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fault: Fault = fault
        self.resource = resource
        # Extra elements S3 puts in the error body (e.g. BucketName, Key, ArgumentName).
        self.extra = extra or {}
