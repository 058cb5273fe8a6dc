"""Object storage faults. S3 names them precisely, and clients branch on the name, so the
domain keeps that precision: `Fault` is S3's error code, the category (`api/s3/errors.py`
gives each its status). Within a category, `StorageReason` names the case (InvalidArgument
covers a bad canned ACL as well as a bad version id), and the fields are what S3's sentence
for it quotes: `api/s3/errors.py` words each reason as S3 does."""

from __future__ import annotations

from typing import Any

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


class StorageReason(FaultCode):
    """Why a storage request failed, within its S3 code. Fields (when any) are noted."""

    # -- access -----------------------------------------------------------------------------
    ACCESS_DENIED = "s3.access_denied"
    # Object lock refused a delete or an overwrite. Fields: why (storage.locked's answer).
    OBJECT_LOCKED = "object_lock.protected"
    # -- buckets ----------------------------------------------------------------------------
    BUCKET_MISSING = "bucket.missing"
    BUCKET_NAME_INVALID = "bucket.name_invalid"
    # Fields: region (asked), ours (this region).
    BUCKET_LOCATION_INVALID = "bucket.location_invalid"
    BUCKET_ALREADY_OWNED = "bucket.already_owned"
    BUCKET_NAME_TAKEN = "bucket.name_taken"
    BUCKET_QUOTA_REACHED = "bucket.quota_reached"
    BUCKET_NOT_EMPTY = "bucket.not_empty"
    BUCKET_VERSIONING_LOCKED = "bucket.versioning_locked"
    # Fields: acl.
    ACL_UNSUPPORTED = "bucket.acl_unsupported"
    CORS_RULE_COUNT = "bucket.cors_rule_count"
    CORS_RULE_INCOMPLETE = "bucket.cors_rule_incomplete"
    # Fields: method.
    CORS_METHOD_UNSUPPORTED = "bucket.cors_method_unsupported"
    CORS_MISSING = "bucket.cors_missing"
    LIFECYCLE_MISSING = "bucket.lifecycle_missing"
    LIFECYCLE_RULE_COUNT = "bucket.lifecycle_rule_count"
    LIFECYCLE_STATUS_INVALID = "bucket.lifecycle_status_invalid"
    LIFECYCLE_ACTION_MISSING = "bucket.lifecycle_action_missing"
    # Fields: field (Days, NoncurrentDays, DaysAfterInitiation), action.
    LIFECYCLE_DAYS_INVALID = "bucket.lifecycle_days_invalid"
    # -- tags -------------------------------------------------------------------------------
    # Fields: limit.
    TAGS_TOO_MANY = "tagging.too_many"
    TAG_INVALID = "tagging.invalid"
    # Fields: key.
    TAG_DUPLICATE = "tagging.duplicate_key"
    TAG_SET_MISSING = "tagging.set_missing"
    # -- object lock ------------------------------------------------------------------------
    LOCK_NOT_CONFIGURED = "object_lock.not_configured"
    LOCK_CONFIG_MISSING = "object_lock.configuration_missing"
    RETENTION_HEADERS_INCOMPLETE = "object_lock.headers_incomplete"
    LOCK_NEEDS_VERSIONING = "object_lock.versioning_required"
    RETENTION_MODE_INVALID = "object_lock.mode_invalid"
    DEFAULT_RETENTION_INVALID = "object_lock.default_period_invalid"
    RETENTION_MISSING = "object_lock.retention_missing"
    RETAIN_UNTIL_PAST = "object_lock.retain_until_past"
    # -- bucket policies --------------------------------------------------------------------
    POLICY_MISSING = "bucket_policy.missing"
    POLICY_TOO_LARGE = "bucket_policy.too_large"
    POLICY_NOT_JSON = "bucket_policy.not_json"
    POLICY_STATEMENT_MISSING = "bucket_policy.statement_missing"
    POLICY_STATEMENT_INVALID = "bucket_policy.statement_invalid"
    POLICY_EFFECT_INVALID = "bucket_policy.effect_invalid"
    POLICY_PRINCIPAL_MISSING = "bucket_policy.principal_missing"
    POLICY_ACTION_MISSING = "bucket_policy.action_missing"
    # Fields: action (as found in the document: any JSON value).
    POLICY_ACTION_INVALID = "bucket_policy.action_invalid"
    POLICY_RESOURCE_MISSING = "bucket_policy.resource_missing"
    # Fields: arn (the resource as found: any JSON value).
    POLICY_RESOURCE_FOREIGN = "bucket_policy.resource_foreign"
    POLICY_CONDITION_INVALID = "bucket_policy.condition_invalid"
    # Fields: operator.
    POLICY_CONDITION_OPERATOR_INVALID = "bucket_policy.condition_operator_invalid"
    # Fields: key.
    POLICY_CONDITION_KEY_INVALID = "bucket_policy.condition_key_invalid"
    # -- objects ----------------------------------------------------------------------------
    OBJECT_MISSING = "object.missing"
    VERSION_MISSING = "object.version_missing"
    VERSION_ID_INVALID = "object.version_id_invalid"
    VERSION_IS_DELETE_MARKER = "object.version_is_delete_marker"
    KEY_TOO_LONG = "object.key_too_long"
    KEY_EMPTY = "object.key_empty"
    METADATA_TOO_LARGE = "object.metadata_too_large"
    OBJECT_TOO_LARGE = "object.too_large"
    # Fields: measure ("bytes" or "objects").
    OBJECT_QUOTA_EXCEEDED = "object.quota_exceeded"
    COPY_TO_ITSELF = "object.copy_to_itself"
    COPY_RANGE_INVALID = "object.copy_range_invalid"
    COPY_RANGE_MALFORMED = "object.copy_range_malformed"
    COPY_SOURCE_INVALID = "object.copy_source_invalid"
    # Fields: directive.
    METADATA_DIRECTIVE_INVALID = "object.metadata_directive_invalid"
    STORAGE_CLASS_INVALID = "object.storage_class_invalid"
    PART_NUMBER_NOT_INTEGER = "object.part_number_not_integer"
    PART_NOT_SATISFIABLE = "object.part_not_satisfiable"
    RANGE_NOT_SATISFIABLE = "object.range_not_satisfiable"
    PRECONDITION_FAILED = "object.precondition_failed"
    NOT_MODIFIED = "object.not_modified"
    # -- bodies and their integrity ---------------------------------------------------------
    BODY_INCOMPLETE = "object.body_incomplete"
    MD5_MISMATCH = "object.md5_mismatch"
    MD5_INVALID = "object.md5_invalid"
    CONTENT_LENGTH_INVALID = "object.content_length_invalid"
    # Fields: algorithm (CRC32, SHA256, ...).
    CHECKSUM_TRAILER_MISSING = "object.checksum_trailer_missing"
    # Fields: algorithm.
    CHECKSUM_MISMATCH = "object.checksum_mismatch"
    # -- customer-provided keys (SSE-C) -----------------------------------------------------
    SSE_C_ALGORITHM_INVALID = "sse_c.algorithm_invalid"
    SSE_C_KEY_INCOMPLETE = "sse_c.key_incomplete"
    SSE_C_KEY_INVALID = "sse_c.key_invalid"
    SSE_C_KEY_MD5_MISMATCH = "sse_c.key_md5_mismatch"
    SSE_C_KEY_REQUIRED = "sse_c.key_required"
    SSE_C_KEY_WRONG = "sse_c.key_wrong"
    SSE_C_NOT_APPLICABLE = "sse_c.not_applicable"
    # -- multipart uploads ------------------------------------------------------------------
    UPLOAD_MISSING = "upload.missing"
    # Completed or aborted while this completion was reading its parts.
    UPLOAD_GONE = "upload.gone"
    UPLOAD_CHECKSUM_UNSUPPORTED = "upload.checksum_algorithm_unsupported"
    PART_NUMBER_INVALID = "upload.part_number_invalid"
    PART_ORDER_INVALID = "upload.part_order_invalid"
    PART_MISSING = "upload.part_missing"
    # Fields: algorithm, part_number.
    PART_CHECKSUM_MISMATCH = "upload.part_checksum_mismatch"
    PART_TOO_SMALL = "upload.part_too_small"
    # -- listings ---------------------------------------------------------------------------
    MAX_KEYS_NEGATIVE = "listing.max_keys_negative"
    # Fields: name (the query argument).
    LIST_ARGUMENT_NOT_INTEGER = "listing.argument_not_integer"
    LIST_ARGUMENT_NEGATIVE = "listing.argument_negative"
    ENCODING_TYPE_INVALID = "listing.encoding_type_invalid"
    CONTINUATION_TOKEN_INVALID = "listing.continuation_token_invalid"
    # -- requests ---------------------------------------------------------------------------
    XML_MALFORMED = "s3.xml_malformed"
    HEADER_NOT_IMPLEMENTED = "s3.header_not_implemented"
    # Fields: header.
    HEADER_MISSING = "s3.header_missing"
    # Fields: method.
    METHOD_NOT_ALLOWED = "s3.method_not_allowed"
    REQUEST_TOO_BIG = "s3.request_too_big"
    # CORS preflights (OPTIONS).
    CORS_ORIGIN_MISSING = "cors.origin_missing"
    # Fields: origin, method.
    CORS_NOT_ALLOWED = "cors.not_allowed"
    # -- storage quotas (set by the operator) -----------------------------------------------
    # Fields: minimum.
    QUOTA_VALUE_INVALID = "storage_quota.value_invalid"


class StorageError(NuageError):
    """An S3 error: `fault` is S3's code (the category clients branch on), `reason` the case
    within it, `fields` what its wording quotes. `resource` and `extra` are S3's own error
    elements (BucketName, Key, ArgumentName, ...; x-amz-* ones go out as headers)."""

    def __init__(self, fault: Fault, reason: StorageReason, /, *,
                 resource: str | None = None, extra: dict[str, str] | None = None,
                 **fields: Any) -> None:
        super().__init__(reason, **fields)
        self.reason = reason
        self.fault: Fault = fault
        self.case = reason
        self.resource = resource
        self.extra = extra or {}
