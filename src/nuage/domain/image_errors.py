"""Image faults the services raise; Glance's error table words them."""

from __future__ import annotations

from nuage.domain.errors import FaultCode, NuageError


class ImageFault(FaultCode):
    """What went wrong in image, image data and member use cases.

    Each member's comment names its fields. Refusals decided by a policy row carry that row
    as `action` too (for logs and a console), besides the fields their sentence quotes."""

    # -- refusals ----------------------------------------------------------------------------
    # The caller is not authenticated at all (reading images needs a user).
    READ_UNAUTHENTICATED = "image.read_unauthenticated"
    # "image:image:create" refused. Fields: action.
    CREATE_DENIED = "image.create_denied"
    # An image created for another project ("image:image:set_owner"). Fields: action.
    CREATE_FOR_OTHER_DENIED = "image.create_for_other_project_denied"
    # A change to an image the caller sees but may not change. Fields: action, verb (the
    # audit verb: update, delete, upload, ...), image_id.
    CHANGE_DENIED = "image.change_denied"
    # A membership status set by anyone but the member project. Fields: action.
    MEMBER_STATUS_DENIED = "image.member_status_denied"
    # Making an image public without "image:image:publicize".
    PUBLICIZE_DENIED = "image.publicize_denied"
    # Changing an image's owner without "image:image:set_owner".
    OWNER_CHANGE_DENIED = "image.owner_change_denied"
    # Downloading a deactivated image's data. Fields: image_id.
    DEACTIVATED = "image.deactivated"
    # Deleting a protected image. Fields: image_id.
    PROTECTED = "image.protected"

    # -- attributes and values (domain/image.py) ---------------------------------------------
    # Fields: name.
    ATTRIBUTE_RESERVED = "image.attribute_reserved"
    ATTRIBUTE_READ_ONLY = "image.attribute_read_only"
    PROPERTY_NAME_INVALID = "image.property_name_invalid"
    # Fields: name, value.
    VALUE_INVALID = "image.value_invalid"
    # Fields: name, value, choices (a tuple).
    VALUE_NOT_A_CHOICE = "image.value_not_a_choice"
    # Fields: name, value.
    VALUE_NOT_NON_NEGATIVE = "image.value_not_non_negative"
    VALUE_NOT_BOOLEAN = "image.value_not_boolean"
    # Fields: name.
    VALUE_NULL = "image.value_null"
    VALUE_EMPTY = "image.value_empty"
    # disk_format or container_format changed once data arrived. Fields: name.
    FORMAT_LOCKED = "image.format_locked"
    # Fields: name.
    PROPERTY_NOT_STRING = "image.property_not_string"
    PROPERTY_TOO_LONG = "image.property_too_long"
    # Fields: tag.
    TAG_INVALID = "image.tag_invalid"
    TAGS_NOT_A_LIST = "image.tags_not_a_list"
    # Fields: limit.
    TAGS_TOO_MANY = "image.tags_too_many"

    # -- JSON patch --------------------------------------------------------------------------
    # Fields: pointer.
    PATCH_POINTER_INVALID = "image.patch_pointer_invalid"
    PATCH_PATH_NESTED = "image.patch_path_nested"
    # Fields: op.
    PATCH_OP_UNKNOWN = "image.patch_op_unknown"
    # Fields: name.
    CORE_NOT_REMOVABLE = "image.core_not_removable"
    PROPERTY_MISSING = "image.property_missing"
    LOCATIONS_MANAGED = "image.locations_managed"

    # -- status ------------------------------------------------------------------------------
    # Fields: status, to.
    TRANSITION_NOT_ALLOWED = "image.transition_not_allowed"
    # Data uploaded before disk_format and container_format are set.
    FORMATS_REQUIRED = "image.formats_required"
    # Deactivate or reactivate from a status that does not allow it. Fields: verb, status.
    STATUS_CHANGE_NOT_ALLOWED = "image.status_change_not_allowed"

    # -- create and list ---------------------------------------------------------------------
    # Fields: image_id.
    ID_INVALID = "image.id_invalid"
    ID_TAKEN = "image.id_taken"
    OWNER_REQUIRED = "image.owner_required"
    LIMIT_NEGATIVE = "image.list_limit_negative"
    # Fields: key.
    SORT_KEY_INVALID = "image.sort_key_invalid"
    # Fields: direction.
    SORT_DIR_INVALID = "image.sort_dir_invalid"
    # Fields: marker.
    MARKER_NOT_FOUND = "image.marker_not_found"
    # Fields: value.
    VISIBILITY_FILTER_INVALID = "image.visibility_filter_invalid"
    MEMBER_STATUS_FILTER_INVALID = "image.member_status_filter_invalid"

    # -- data --------------------------------------------------------------------------------
    # Over the cloud's size cap. Fields: limit.
    DATA_TOO_LARGE = "image.data_too_large"
    DATA_OVER_DECLARED = "image.data_over_declared"
    # Fields: size, declared.
    DATA_SIZE_MISMATCH = "image.data_size_mismatch"
    # The format inspection refused the data. Fields: reason (the inspection's sentence).
    DATA_REFUSED = "image.data_refused"
    # The image was deleted or reset while its data streamed in.
    UPLOAD_SUPERSEDED = "image.upload_superseded"
    # Fields: size.
    RANGE_NOT_SATISFIABLE = "image.range_not_satisfiable"

    # -- members -----------------------------------------------------------------------------
    MEMBER_ID_INVALID = "image.member_id_invalid"
    # Fields: image_id, visibility.
    NOT_SHARED = "image.not_shared"
    # Fields: member_id, image_id.
    MEMBER_EXISTS = "image.member_exists"
    # Fields: limit.
    MEMBERS_TOO_MANY = "image.members_too_many"
    # Fields: status, choices (a tuple).
    MEMBER_STATUS_INVALID = "image.member_status_invalid"


class RangeNotSatisfiable(NuageError):
    """The requested range is outside the image (416); `size` goes in Content-Range."""

    def __init__(self, size: int) -> None:
        super().__init__(ImageFault.RANGE_NOT_SATISFIABLE, size=size)
        self.size = size
