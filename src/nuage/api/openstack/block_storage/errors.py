"""The Cinder error table: domain errors -> {"<faultName>": {"code", "message"}}, the
fault name by status as Cinder's wsgi Fault names it (badRequest, itemNotFound,
overLimit, ...; computeFault for the rest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.common.errors import json_error, status_of
from nuage.domain.errors import CommonFault, FaultCode, NuageError, Wording
from nuage.domain.volume_errors import OverLimit, VolumeFault

NAMES: dict[int, str] = {400: "badRequest", 401: "unauthorized", 403: "forbidden",
                         404: "itemNotFound", 405: "badMethod", 409: "conflictingRequest",
                         413: "overLimit", 415: "badMediaType", 501: "notImplemented",
                         503: "serviceUnavailable"}
DEFAULT_NAME = "computeFault"
EXTRA: list[tuple[type[NuageError], int]] = [(OverLimit, 413)]
CRASH = (DEFAULT_NAME, "The server has either erred or is incapable of performing the "
                       "requested operation.")

_NOUNS = {"volume": "Volume", "snapshot": "Snapshot", "backup": "Backup",
          "volume_type": "Volume type", "attachment": "Volume attachment",
          "image": "Image", "extra_spec": "Volume Type extra spec",
          "metadata": "Metadata"}


def _not_found(f: Mapping[str, Any]) -> str:
    kind, ident = str(f["kind"]), f["ident"]
    if kind == "volume_type":
        return f"Volume type {ident} could not be found."
    if kind == "extra_spec":
        return f"Volume Type has no extra specs with key {ident}."
    if kind == "metadata":
        return f"Metadata key {ident} could not be found."
    if kind == "image":
        return f"Image {ident} could not be found."
    return f"{_NOUNS.get(kind, kind.capitalize())} {ident} could not be found."


_DELETE_REFUSED = ("Invalid volume: Volume status must be available or error or "
                   "error_restoring or error_extending or error_managing and must not be "
                   "migrating, attached, belong to a group, have snapshots, awaiting a "
                   "transfer, or be disassociated from snapshots after volume transfer.")


def _invalid_status(f: Mapping[str, Any]) -> str:
    if f.get("action") == "delete":
        return _DELETE_REFUSED
    if f.get("action") == "extend":
        return ("Invalid volume: Volume status must be 'available' or 'in-use' to extend, "
                f"currently {f['status']}.")
    return (f"Invalid volume: Volume {f['volume_id']} status must be available, but current "
            f"status is: {f['status']}.")


def _over_quota(f: Mapping[str, Any]) -> str:
    resource = str(f["resource"])
    if resource.startswith("gigabytes"):
        return (f"VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds "
                f"allowed {resource} quota. Requested {f['asked']}G, quota is "
                f"{f['limit']}G and {f['used']}G has been consumed.")
    if resource == "backup_gigabytes":
        return (f"VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed "
                f"Backup gigabytes quota. Requested {f['asked']}G, quota is {f['limit']}G "
                f"and {f['used']}G has been consumed.")
    noun = {"volumes": "VolumeLimitExceeded", "snapshots": "SnapshotLimitExceeded",
            "backups": "BackupLimitExceeded"}.get(resource.split("_")[0], "OverQuota")
    return (f"{noun}: Maximum number of {resource} allowed ({f['limit']}) exceeded for quota "
            f"'{resource}'.")


WORDING: dict[FaultCode, Wording] = {
    CommonFault.POLICY_DENIED: "Policy doesn't allow {action} to be performed.",
    CommonFault.NOT_FOUND: _not_found,
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires "
                                         "authentication.",
    VolumeFault.VOLUME_INVALID_STATUS: _invalid_status,
    VolumeFault.VOLUME_IN_USE: _DELETE_REFUSED,
    VolumeFault.VOLUME_HAS_SNAPSHOTS: _DELETE_REFUSED,
    VolumeFault.SIZE_INVALID: "Invalid input received: Volume size '{size}' must be an "
                              "integer and greater than 0.",
    VolumeFault.SIZE_TOO_SMALL: "Invalid input received: Volume size {size}GB cannot be "
                                "smaller than the source size of {minimum}GB.",
    VolumeFault.EXTEND_NOT_LARGER: "Invalid input received: New size for extend must be "
                                   "greater than current size. (current: {current}, "
                                   "extended: {size}).",
    VolumeFault.EXTEND_ATTACHED_UNSUPPORTED: "Invalid volume: Volume status must be "
                                             "'available' to extend, currently in-use.",
    VolumeFault.SOURCES_CONFLICT: "Invalid input received: Only one of imageRef, "
                                  "snapshot_id, source_volid or backup_id may be given.",
    VolumeFault.SOURCE_NOT_AVAILABLE: "Invalid input received: The source {source_id} must "
                                      "be available, but its status is {status}.",
    VolumeFault.IMAGE_NOT_ACTIVE: "Image {image_id} is not active.",
    VolumeFault.METADATA_INVALID: "Invalid metadata: keys and values must be strings of at "
                                  "most 255 characters, keys not empty.",
    VolumeFault.STATUS_UNKNOWN: "Invalid input received: Status {status} is not a valid "
                                "status.",
    VolumeFault.ALREADY_ATTACHED: "Invalid volume: Volume {volume_id} is already attached "
                                  "to server {server_id}.",
    VolumeFault.DETACH_ROOT: "Invalid volume: Volume {volume_id} is the root volume of its "
                             "server and cannot be detached.",
    VolumeFault.UPLOAD_UNAVAILABLE: "Uploading a volume to an image is not available.",
    VolumeFault.UPLOAD_FORMAT_INVALID: "Invalid input received: {field} {value} is not "
                                       "supported (volumes are uploaded as raw, bare).",
    VolumeFault.SNAPSHOT_NEEDS_FORCE: "Invalid volume: Volume {volume_id} status must be "
                                      "available, but current status is: {status}.",
    VolumeFault.SNAPSHOT_INVALID_STATUS: "Invalid snapshot: Snapshot {snapshot_id} status "
                                         "must be available or error, but current status "
                                         "is: {status}.",
    VolumeFault.TYPE_EXISTS: "Volume Type {name} already exists.",
    VolumeFault.TYPE_IN_USE: "Target volume type {type_id} is still in use.",
    VolumeFault.TYPE_DEFAULT_DELETE: "Invalid volume type: The default volume type "
                                     "{type_id} cannot be deleted.",
    VolumeFault.TYPE_NAME_INVALID: "Invalid input received: Volume type name '{name}' is "
                                   "not valid.",
    VolumeFault.BACKUP_NO_PARENT: "Invalid backup: No backups available to do an "
                                  "incremental backup.",
    VolumeFault.BACKUP_INVALID_STATUS: "Invalid backup: Backup {backup_id} status must be "
                                       "available or error, but current status is: "
                                       "{status}.",
    VolumeFault.RESTORE_TOO_SMALL: "Invalid volume: volume size {size} is too small to "
                                   "restore backup of size {backup_size}.",
    VolumeFault.BACKUP_HAS_DEPENDENTS: "Invalid backup: Incremental backups exist for this "
                                       "backup.",
    VolumeFault.OVER_QUOTA: _over_quota,
    VolumeFault.OVER_PER_VOLUME_LIMIT: "VolumeSizeExceedsLimit: Requested volume size "
                                       "{size}G is larger than maximum allowed limit "
                                       "{limit}G.",
    VolumeFault.QUOTA_UNKNOWN: "Bad key(s) in quota set: {resource}",
    VolumeFault.QUOTA_INVALID: "Invalid input received: Quota value {value} for {resource} "
                               "is not valid.",
}


def cinder_error(status: int, name: str, message: str,
                 headers: dict[str, str] | None = None) -> Response:
    return json_error({name: {"code": status, "message": message}}, status, headers)


def to_response(exc: NuageError, identity_url: str) -> Response:
    status = status_of(exc, EXTRA)
    if status == 401:
        # keystonemiddleware answers before Cinder does, in Keystone's shape.
        body = {"error": {"code": 401, "title": "Unauthorized",
                          "message": exc.worded(WORDING)}}
        return json_error(body, 401, {"WWW-Authenticate": f'Keystone uri="{identity_url}"'})
    if status is None:
        return cinder_error(500, *CRASH)
    return cinder_error(status, NAMES.get(status, DEFAULT_NAME), exc.worded(WORDING))
