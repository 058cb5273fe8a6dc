"""Object operations: PUT (and copy), GET, HEAD, DELETE, DeleteObjects, object settings."""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime

from starlette.responses import Response, StreamingResponse

from nuage.api.openstack.common.http import call
from nuage.api.s3 import xml
from nuage.api.s3.buckets import (
    acl_document,
    acl_from_document,
    bucket_name,
    ok,
    tag_document,
    tags_from_document,
)
from nuage.api.s3.errors import WORDING
from nuage.api.s3.request import S3Request
from nuage.api.streaming import batched
from nuage.domain.storage import NULL_VERSION, ObjectVersion
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.storage.build import S3Services
from nuage.services.storage.copying import CopySource, copy_object
from nuage.services.storage.objects import NewObject, PutSession, Retention, resolve_range
from nuage.services.storage.preconditions import Preconditions

STANDARD_HEADERS = ("content-encoding", "content-disposition", "content-language",
                    "cache-control", "expires")
STORAGE_CLASSES = {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                   "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS",
                   "EXPRESS_ONEZONE"}
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def key_of(r: S3Request) -> str:
    assert r.key is not None
    return r.key


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None


def conditions(r: S3Request, prefix: str = "") -> Preconditions:
    return Preconditions(
        if_match=r.header(prefix + "if-match"), if_none_match=r.header(prefix + "if-none-match"),
        if_modified_since=_date(r.header(prefix + "if-modified-since")),
        if_unmodified_since=_date(r.header(prefix + "if-unmodified-since")))


def new_object(r: S3Request, *, for_copy: bool = False) -> NewObject:
    headers: dict[str, str] = {}
    for name in STANDARD_HEADERS:
        value = r.header(name)
        if value is not None:
            if name == "content-encoding":
                value = ",".join(v.strip() for v in value.split(",")
                                 if v.strip() != "aws-chunked")
                if not value:
                    continue
            headers[name] = value
    acl = r.header("x-amz-acl")
    if acl:
        headers["x-amz-acl"] = acl
    storage_class = r.header("x-amz-storage-class")
    if storage_class and storage_class not in STORAGE_CLASSES:
        raise StorageError(Fault.INVALID_STORAGE_CLASS, StorageReason.STORAGE_CLASS_INVALID)
    metadata = {k[len("x-amz-meta-"):].lower(): v for k, v in r.http.headers.items()
                if k.lower().startswith("x-amz-meta-")}
    tags: dict[str, str] = {}
    if r.header("x-amz-tagging"):
        tags = dict(urllib.parse.parse_qsl(r.header("x-amz-tagging") or "",
                                           keep_blank_values=True))
    retention = None
    mode = r.header("x-amz-object-lock-mode")
    until = r.header("x-amz-object-lock-retain-until-date")
    if mode or until:
        when = _date(until)
        if not mode or when is None:
            raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.RETENTION_HEADERS_INCOMPLETE)
        retention = Retention(mode, when)
    hold = (r.header("x-amz-object-lock-legal-hold") or "").upper() == "ON"
    return NewObject(
        bucket=bucket_name(r), key=key_of(r), content_type=r.header("content-type"),
        headers=headers, metadata=metadata, tags=tags, retention=retention, legal_hold=hold,
        sse_c=r.sse_c(), conditions=Preconditions() if for_copy else conditions(r))


def version_headers(v: ObjectVersion, headers: dict[str, str]) -> dict[str, str]:
    if v.version_id != NULL_VERSION:
        headers["x-amz-version-id"] = v.version_id
    if v.sse_c_key_md5:
        headers["x-amz-server-side-encryption-customer-algorithm"] = "AES256"
        headers["x-amz-server-side-encryption-customer-key-md5"] = v.sse_c_key_md5
    else:
        headers["x-amz-server-side-encryption"] = "AES256"
    return headers


def object_headers(r: S3Request, v: ObjectVersion) -> dict[str, str]:
    h = {"ETag": f'"{v.etag}"', "Last-Modified": xml.http_date(v.created_at),
         "Accept-Ranges": "bytes", "Content-Type": v.content_type or "binary/octet-stream"}
    for name, value in v.headers.items():
        if name != "x-amz-acl":
            h[name] = value
    for name, value in v.metadata.items():
        h[f"x-amz-meta-{name}"] = value
    if v.tags:
        h["x-amz-tagging-count"] = str(len(v.tags))
    if v.retention_mode and v.retain_until:
        h["x-amz-object-lock-mode"] = v.retention_mode
        h["x-amz-object-lock-retain-until-date"] = xml.timestamp(v.retain_until)
    if v.legal_hold:
        h["x-amz-object-lock-legal-hold"] = "ON"
    if (r.header("x-amz-checksum-mode") or "").upper() == "ENABLED":
        for alg, value in v.checksums.items():
            h[f"x-amz-checksum-{alg.lower()}"] = value
    if v.parts_count:
        h["x-amz-mp-parts-count"] = str(v.parts_count)
    for param, header in (("response-content-type", "Content-Type"),
                          ("response-content-language", "Content-Language"),
                          ("response-expires", "Expires"),
                          ("response-cache-control", "Cache-Control"),
                          ("response-content-disposition", "Content-Disposition"),
                          ("response-content-encoding", "Content-Encoding")):
        if param in r.query:
            h[header] = r.query[param]
    return version_headers(v, h)


async def put_object(r: S3Request, s: S3Services) -> Response:
    if r.header("x-amz-copy-source"):
        return await copy(r, s)
    new = new_object(r)
    session: PutSession = await call(s.objects.begin_put, r.ctx, new, r.integrity())
    try:
        async for piece in r.body():
            await call(session.incoming.write, piece)
    except BaseException:
        await call(s.objects.abort_put, session)
        raise
    version = await call(s.objects.finish_put, r.ctx, session, r.trailers)
    headers = version_headers(version, {"ETag": f'"{version.etag}"'})
    for alg in set(r.integrity().checksums) | set(r.integrity().trailing):
        if alg in version.checksums:
            headers[f"x-amz-checksum-{alg.lower()}"] = version.checksums[alg]
    return ok(headers=headers)


def copy_source(r: S3Request) -> CopySource:
    raw = r.header("x-amz-copy-source") or ""
    path, _, query = raw.partition("?")
    path = urllib.parse.unquote(path).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.COPY_SOURCE_INVALID,
                           extra={"ArgumentName": "x-amz-copy-source"})
    version = urllib.parse.parse_qs(query).get("versionId", [None])[0]
    byte_range = None
    raw_range = r.header("x-amz-copy-source-range")
    if raw_range:
        m = RANGE_RE.match(raw_range)
        if not m or not m.group(1) or not m.group(2):
            raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.COPY_RANGE_MALFORMED,
                               extra={"ArgumentName": "x-amz-copy-source-range"})
        byte_range = (int(m.group(1)), int(m.group(2)))
    return CopySource(bucket, key, version, conditions(r, "x-amz-copy-source-"),
                      r.sse_c("x-amz-copy-source-server-side-encryption-customer-"), byte_range)


async def copy(r: S3Request, s: S3Services) -> Response:
    src = copy_source(r)
    directive = (r.header("x-amz-metadata-directive") or "COPY").upper()
    tag_directive = (r.header("x-amz-tagging-directive") or "COPY").upper()
    if directive not in ("COPY", "REPLACE") or tag_directive not in ("COPY", "REPLACE"):
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.METADATA_DIRECTIVE_INVALID,
                           directive=directive)
    dest = new_object(r, for_copy=True)
    source, version = await call(copy_object, s.objects, r.ctx, src, dest,
                                 directive == "REPLACE", tag_directive == "REPLACE")
    root = xml.new("CopyObjectResult")
    xml.add(root, "LastModified", xml.timestamp(version.created_at))
    xml.add(root, "ETag", f'"{version.etag}"')
    headers = version_headers(version, {})
    if source.version_id != NULL_VERSION:
        headers["x-amz-copy-source-version-id"] = source.version_id
    return ok(xml.render(root), headers=headers)


def byte_range(r: S3Request) -> tuple[int | None, int | None] | None:
    raw = r.header("range")
    if not raw:
        return None
    m = RANGE_RE.match(raw.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None      # S3 ignores a range it cannot parse, and multiple ranges
    first = int(m.group(1)) if m.group(1) else None
    last = int(m.group(2)) if m.group(2) else None
    if first is not None and last is not None and last < first:
        return None
    return first, last


def _part_number(r: S3Request) -> int | None:
    raw = r.query.get("partNumber")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.PART_NUMBER_NOT_INTEGER) from exc


async def _read_ahead(batches: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Yield each batch while a worker thread reads and decrypts the next one.

    (iterate_in_threadpool alternated them: the thread idled while the event loop wrote a
    batch to the socket, and the loop idled while the thread decrypted the next; GET ran at
    about a third of the raw read speed.) At most two batches are held at a time."""
    task = asyncio.ensure_future(call(next, batches, None))
    try:
        while (batch := await task) is not None:
            task = asyncio.ensure_future(call(next, batches, None))
            yield batch
    finally:
        # A client that went away: let the thread finish its batch, then close the read
        # (its file) at once rather than at garbage collection.
        task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task
        with contextlib.suppress(ValueError):
            batches.close()  # type: ignore[attr-defined]


async def get_object(r: S3Request, s: S3Services) -> Response:
    read = await call(s.objects.get, r.ctx, bucket_name(r), key_of(r), r.query.get("versionId"),
                      conditions(r), byte_range(r), _part_number(r), r.sse_c())
    v = read.version
    headers = object_headers(r, v)
    length = max(0, read.end - read.start + 1)
    headers["Content-Length"] = str(length)
    status = 200
    if read.partial:
        status = 206
        headers["Content-Range"] = f"bytes {read.start}-{read.end}/{v.size}"
        # A checksum covers the whole object: S3 sends none with a part of it.
        for name in [h for h in headers if h.startswith("x-amz-checksum-")]:
            del headers[name]
    s.maintenance.count(_project_of(r), length)
    return StreamingResponse(_read_ahead(batched(read.chunks)), status_code=status,
                             headers=headers)


def _project_of(r: S3Request) -> str | None:
    return r.ctx.project_id


async def head_object(r: S3Request, s: S3Services) -> Response:
    v = await call(s.objects.head, r.ctx, bucket_name(r), key_of(r), r.query.get("versionId"),
                   conditions(r), r.sse_c())
    headers = object_headers(r, v)
    part = _part_number(r)
    length = v.size
    partial = False
    wanted = byte_range(r) if part is None else None
    if part is not None or wanted is not None:
        # HEAD answers a Range (or partNumber) as GET would, without the body.
        start, end, partial = resolve_range(v, wanted, part)
        length = end - start + 1
        headers["Content-Range"] = f"bytes {start}-{end}/{v.size}"
        if wanted is not None:
            for name in [h for h in headers if h.startswith("x-amz-checksum-")]:
                del headers[name]
    headers["Content-Length"] = str(length)
    return Response(b"", status_code=206 if partial else 200, headers=headers)


def _bypass(r: S3Request) -> bool:
    return (r.header("x-amz-bypass-governance-retention") or "").lower() == "true"


async def delete_object(r: S3Request, s: S3Services) -> Response:
    done = await call(s.deletion.delete, r.ctx, bucket_name(r), key_of(r),
                      r.query.get("versionId"), _bypass(r))
    headers: dict[str, str] = {}
    if (done.version_id and done.version_id != NULL_VERSION) or (
            done.version_id == NULL_VERSION and done.delete_marker):
        headers["x-amz-version-id"] = done.version_id or ""
    if done.delete_marker:
        headers["x-amz-delete-marker"] = "true"
    return ok(status=204, headers=headers)


async def delete_objects(r: S3Request, s: S3Services) -> Response:
    body = await r.small_body()
    if r.header("content-md5") is None and not any(
            r.header(h) for h in ("x-amz-checksum-crc32", "x-amz-checksum-crc32c",
                                  "x-amz-checksum-sha256", "x-amz-checksum-sha1",
                                  "x-amz-sdk-checksum-algorithm", "x-amz-trailer")):
        raise StorageError(Fault.INVALID_REQUEST, StorageReason.HEADER_MISSING,
                           header="Content-MD5")
    doc = xml.parse(body, "Delete")
    quiet = (xml.text(doc, "Quiet") or "").lower() == "true"
    targets = [(xml.required(o, "Key"), xml.text(o, "VersionId")) for o in doc.iter("Object")]
    if len(targets) > 1000:
        raise StorageError(Fault.MALFORMED_XML, StorageReason.XML_MALFORMED)
    results = await call(s.deletion.delete_many, r.ctx, bucket_name(r), targets, _bypass(r))
    root = xml.new("DeleteResult")
    for (key, version_id), result in zip(targets, results, strict=True):
        if isinstance(result, StorageError):
            el = xml.add(root, "Error")
            xml.add(el, "Key", key)
            if version_id:
                xml.add(el, "VersionId", version_id)
            xml.add(el, "Code", result.fault.value)
            xml.add(el, "Message", result.worded(WORDING))
        elif not quiet:
            el = xml.add(root, "Deleted")
            xml.add(el, "Key", key)
            if version_id:
                xml.add(el, "VersionId", version_id)
            if result.delete_marker:
                xml.add(el, "DeleteMarker", True)
                if version_id is None and result.version_id:
                    xml.add(el, "DeleteMarkerVersionId", result.version_id)
    return ok(xml.render(root))


# -- object settings ---------------------------------------------------------------------
async def get_object_tagging(r: S3Request, s: S3Services) -> Response:
    v = await call(s.settings.read, r.ctx, bucket_name(r), key_of(r), r.query.get("versionId"),
                   "s3:GetObjectTagging")
    return ok(tag_document(v.tags), headers=version_headers(v, {}))


async def put_object_tagging(r: S3Request, s: S3Services) -> Response:
    tags = tags_from_document(await r.small_body())
    v = await call(s.settings.set_tags, r.ctx, bucket_name(r), key_of(r),
                   r.query.get("versionId"), tags)
    return ok(headers=version_headers(v, {}))


async def delete_object_tagging(r: S3Request, s: S3Services) -> Response:
    v = await call(s.settings.set_tags, r.ctx, bucket_name(r), key_of(r),
                   r.query.get("versionId"), None)
    return ok(status=204, headers=version_headers(v, {}))


async def get_object_acl(r: S3Request, s: S3Services) -> Response:
    v = await call(s.settings.read, r.ctx, bucket_name(r), key_of(r), r.query.get("versionId"),
                   "s3:GetObjectAcl")
    bucket = await call(s.buckets.get, r.ctx, bucket_name(r), "s3:GetObjectAcl")
    return ok(acl_document(bucket.project_id, v.headers.get("x-amz-acl", "private")))


async def put_object_acl(r: S3Request, s: S3Services) -> Response:
    acl = r.header("x-amz-acl") or acl_from_document(await r.small_body())
    await call(s.settings.set_acl, r.ctx, bucket_name(r), key_of(r), r.query.get("versionId"),
               acl)
    return ok()


async def get_retention(r: S3Request, s: S3Services) -> Response:
    v = await call(s.settings.read, r.ctx, bucket_name(r), key_of(r), r.query.get("versionId"),
                   "s3:GetObjectRetention")
    root = xml.new("Retention")
    xml.add(root, "Mode", v.retention_mode)
    assert v.retain_until is not None
    xml.add(root, "RetainUntilDate", xml.timestamp(v.retain_until))
    return ok(xml.render(root))


async def put_retention(r: S3Request, s: S3Services) -> Response:
    doc = xml.parse(await r.small_body(), "Retention")
    until = _date(xml.required(doc, "RetainUntilDate"))
    if until is None:
        raise xml.malformed()
    await call(s.settings.set_retention, r.ctx, bucket_name(r), key_of(r),
               r.query.get("versionId"), xml.required(doc, "Mode"), until, _bypass(r))
    return ok()


async def get_legal_hold(r: S3Request, s: S3Services) -> Response:
    v = await call(s.settings.read, r.ctx, bucket_name(r), key_of(r), r.query.get("versionId"),
                   "s3:GetObjectLegalHold")
    root = xml.new("LegalHold")
    xml.add(root, "Status", "ON" if v.legal_hold else "OFF")
    return ok(xml.render(root))


async def put_legal_hold(r: S3Request, s: S3Services) -> Response:
    doc = xml.parse(await r.small_body(), "LegalHold")
    status = xml.required(doc, "Status")
    if status not in ("ON", "OFF"):
        raise xml.malformed()
    await call(s.settings.set_legal_hold, r.ctx, bucket_name(r), key_of(r),
               r.query.get("versionId"), status == "ON")
    return ok()

