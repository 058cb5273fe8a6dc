"""The Glance error table: domain errors -> status codes.

Glance itself answers errors with an HTML page; clients only read the status and some
`message` (openstacksdk strips tags or reads JSON). nuage answers JSON
`{"code", "title", "message"}`, which the SDK, the CLI and Tempest all accept (§4.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.common.errors import TITLES, json_error, status_of
from nuage.domain.errors import (
    CommonFault,
    FaultCode,
    NuageError,
    Wording,
)
from nuage.domain.image import TooLarge
from nuage.domain.image_errors import ImageFault, RangeNotSatisfiable

# Glance's own categories, ahead of the common ones.
EXTRA: list[tuple[type[NuageError], int]] = [(TooLarge, 413), (RangeNotSatisfiable, 416)]


def _not_found(f: Mapping[str, Any]) -> str:
    if f["kind"] == "image":
        return f"No image found with ID {f['ident']}"
    return f"Could not find {f['kind']}: {f['ident']}."


def _not_a_choice(f: Mapping[str, Any]) -> str:
    return (f"Invalid value '{f['value']}' for '{f['name']}': "
            f"expected one of {', '.join(f['choices'])}.")


def _member_status_invalid(f: Mapping[str, Any]) -> str:
    return f"Invalid status {f['status']!r}: expected one of {', '.join(f['choices'])}."


# The image faults in Glance's words. Nova's /images proxy says them the same way
# (api/openstack/compute/errors.py takes this table).
IMAGE_WORDING: dict[FaultCode, Wording] = {
    # refusals
    ImageFault.READ_UNAUTHENTICATED: "You are not authorized to read images.",
    ImageFault.CREATE_DENIED: "You are not authorized to create images (a project-scoped "
                              "token with the member role is needed).",
    ImageFault.CREATE_FOR_OTHER_DENIED: "You are not permitted to create images owned by "
                                        "another project.",
    ImageFault.CHANGE_DENIED: "You are not authorized to {verb} image {image_id}.",
    ImageFault.MEMBER_STATUS_DENIED: "Only the member project may change its membership "
                                     "status.",
    ImageFault.PUBLICIZE_DENIED: "Only administrators may make an image public.",
    ImageFault.OWNER_CHANGE_DENIED: "Only administrators may change an image's owner.",
    ImageFault.DEACTIVATED: "The requested image has been deactivated. Image data download "
                            "is forbidden.",
    ImageFault.PROTECTED: "Image {image_id} is protected and cannot be deleted.",
    # attributes and values
    ImageFault.ATTRIBUTE_RESERVED: "Attribute '{name}' is reserved.",
    ImageFault.ATTRIBUTE_READ_ONLY: "Attribute '{name}' is read-only.",
    ImageFault.PROPERTY_NAME_INVALID: "Invalid property name {name!r}.",
    ImageFault.VALUE_INVALID: "Invalid value for '{name}': {value!r}.",
    ImageFault.VALUE_NOT_A_CHOICE: _not_a_choice,
    ImageFault.VALUE_NOT_NON_NEGATIVE: "Invalid value for '{name}': {value!r} is not a "
                                       "non-negative integer.",
    ImageFault.VALUE_NOT_BOOLEAN: "Invalid value for '{name}': {value!r} is not a boolean.",
    ImageFault.VALUE_NULL: "'{name}' may not be null.",
    ImageFault.VALUE_EMPTY: "'{name}' may not be empty.",
    ImageFault.FORMAT_LOCKED: "Attribute '{name}' can be only replaced for a queued image.",
    ImageFault.PROPERTY_NOT_STRING: "Invalid value for property '{name}': a string is "
                                    "expected.",
    ImageFault.PROPERTY_TOO_LONG: "Property '{name}' is too long.",
    ImageFault.TAG_INVALID: "Invalid tag {tag!r}: 1 to 255 characters.",
    ImageFault.TAGS_NOT_A_LIST: "'tags' must be a list of strings.",
    ImageFault.TAGS_TOO_MANY: "Maximum number of tags ({limit}) exceeded.",
    # JSON patch
    ImageFault.PATCH_POINTER_INVALID: "Invalid JSON pointer for this resource: {pointer!r}.",
    ImageFault.PATCH_PATH_NESTED: "Nested paths are not allowed: {pointer!r}.",
    ImageFault.PATCH_OP_UNKNOWN: "Unknown patch operation {op!r}.",
    ImageFault.CORE_NOT_REMOVABLE: "Properties {name} cannot be removed.",
    ImageFault.PROPERTY_MISSING: "Property {name} does not exist.",
    ImageFault.LOCATIONS_MANAGED: "Image locations are managed by the cloud.",
    # status
    ImageFault.TRANSITION_NOT_ALLOWED: "Image status transition from {status} to {to} is not "
                                       "allowed.",
    ImageFault.FORMATS_REQUIRED: "Properties disk_format, container_format must be set prior "
                                 "to saving data.",
    ImageFault.STATUS_CHANGE_NOT_ALLOWED: "Not allowed to {verb} image in status '{status}'.",
    # create and list
    ImageFault.ID_INVALID: "Invalid image id {image_id!r}: a UUID is expected.",
    ImageFault.ID_TAKEN: "An image with identifier {image_id} already exists.",
    ImageFault.OWNER_REQUIRED: "An owner project is required.",
    ImageFault.LIMIT_NEGATIVE: "limit param must be positive",
    ImageFault.SORT_KEY_INVALID: "Invalid sort key: {key}.",
    ImageFault.SORT_DIR_INVALID: "Invalid sort direction: {direction}.",
    ImageFault.MARKER_NOT_FOUND: "Invalid marker. Image {marker} could not be found.",
    ImageFault.VISIBILITY_FILTER_INVALID: "Invalid visibility value: {value}.",
    ImageFault.MEMBER_STATUS_FILTER_INVALID: "Invalid member_status value: {value}.",
    # data
    ImageFault.DATA_TOO_LARGE: "Image exceeds the storage quota: the limit is {limit} bytes.",
    ImageFault.DATA_OVER_DECLARED: "More image data was sent than declared.",
    ImageFault.DATA_SIZE_MISMATCH: "The image data is {size} bytes, not the {declared} "
                                   "declared.",
    ImageFault.DATA_REFUSED: "{reason}",
    ImageFault.UPLOAD_SUPERSEDED: "The image was deleted or changed during the upload.",
    ImageFault.RANGE_NOT_SATISFIABLE: "Requested range not satisfiable.",
    # members
    ImageFault.MEMBER_ID_INVALID: "'member' must be a project id.",
    ImageFault.NOT_SHARED: "Only shared images have members (image {image_id} is "
                           "{visibility}).",
    ImageFault.MEMBER_EXISTS: "Member {member_id} already exists for image {image_id}.",
    ImageFault.MEMBERS_TOO_MANY: "Maximum number of image members exceeded.",
    ImageFault.MEMBER_STATUS_INVALID: _member_status_invalid,
}

# Each fault in Glance's words.
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: _not_found,
    CommonFault.POLICY_DENIED: "You are not authorized to perform the requested action: "
                               "{action}.",
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires authentication.",
    **IMAGE_WORDING,
}


def glance_error(status: int, title: str, message: str,
                 headers: dict[str, str] | None = None) -> Response:
    return json_error({"code": status, "title": title, "message": message}, status, headers)


def to_response(exc: NuageError, identity_url: str) -> Response:
    status = status_of(exc, EXTRA)
    if status is None:
        return glance_error(500, TITLES[500], "An unexpected error occurred.")
    headers: dict[str, str] | None = None
    if status == 401:
        headers = {"WWW-Authenticate": f'Keystone uri="{identity_url}"'}
    if isinstance(exc, RangeNotSatisfiable):
        headers = {"Content-Range": f"bytes */{exc.size}"}
    return glance_error(status, TITLES[status], exc.worded(WORDING), headers)
