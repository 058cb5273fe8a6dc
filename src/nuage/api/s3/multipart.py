"""CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, Abort."""

from __future__ import annotations

from starlette.responses import Response

from nuage.api.openstack.common.http import call
from nuage.api.s3 import xml
from nuage.api.s3.buckets import bucket_name, ok
from nuage.api.s3.objects import conditions, copy_source, key_of, new_object, version_headers
from nuage.api.s3.request import S3Request
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.storage.build import S3Services
from nuage.services.storage.multipart import CompletedPart, PartSession

CHECKSUM_TAGS = {"ChecksumCRC32": "CRC32", "ChecksumCRC32C": "CRC32C", "ChecksumSHA1": "SHA1",
                 "ChecksumSHA256": "SHA256", "ChecksumCRC64NVME": "CRC64NVME"}


async def create(r: S3Request, s: S3Services) -> Response:
    upload = await call(s.multipart.create, r.ctx, new_object(r, for_copy=True),
                        r.header("x-amz-checksum-algorithm"))
    root = xml.new("InitiateMultipartUploadResult")
    xml.add(root, "Bucket", upload.bucket)
    xml.add(root, "Key", upload.key)
    xml.add(root, "UploadId", upload.upload_id)
    headers = {}
    if upload.checksum_algorithm:
        headers["x-amz-checksum-algorithm"] = upload.checksum_algorithm
    return ok(xml.render(root), headers=headers)


def _part_number(r: S3Request) -> int:
    try:
        return int(r.query.get("partNumber", ""))
    except ValueError as exc:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.PART_NUMBER_INVALID,
                           extra={"ArgumentName": "partNumber"}) from exc


async def upload_part(r: S3Request, s: S3Services) -> Response:
    upload_id = r.query["uploadId"]
    if r.header("x-amz-copy-source"):
        part = await call(s.multipart.copy_part, r.ctx, bucket_name(r), key_of(r), upload_id,
                          _part_number(r), copy_source(r), r.sse_c())
        root = xml.new("CopyPartResult")
        xml.add(root, "LastModified", xml.timestamp(part.created_at))
        xml.add(root, "ETag", f'"{part.etag}"')
        return ok(xml.render(root))
    session: PartSession = await call(s.multipart.begin_part, r.ctx, bucket_name(r), key_of(r),
                                      upload_id, _part_number(r), r.integrity(), r.sse_c())
    try:
        async for piece in r.body():
            await call(session.incoming.write, piece)
    except BaseException:
        session.incoming.abort()
        raise
    part = await call(s.multipart.finish_part, r.ctx, session, r.trailers)
    headers = {"ETag": f'"{part.etag}"'}
    for alg, value in part.checksums.items():
        headers[f"x-amz-checksum-{alg.lower()}"] = value
    return ok(headers=headers)


async def complete(r: S3Request, s: S3Services) -> Response:
    doc = xml.parse(await r.small_body(), "CompleteMultipartUpload")
    wanted: list[CompletedPart] = []
    for el in doc.iter("Part"):
        number = xml.integer(el, "PartNumber")
        if number is None:
            raise xml.malformed()
        sums = {alg: xml.text(el, tag) or "" for tag, alg in CHECKSUM_TAGS.items()
                if el.find(tag) is not None}
        wanted.append(CompletedPart(number, xml.required(el, "ETag"), sums))
    version = await call(s.multipart.complete, r.ctx, bucket_name(r), key_of(r),
                         r.query["uploadId"], wanted, conditions(r))
    root = xml.new("CompleteMultipartUploadResult")
    xml.add(root, "Location", f"/{version.bucket}/{version.key}")
    xml.add(root, "Bucket", version.bucket)
    xml.add(root, "Key", version.key)
    xml.add(root, "ETag", f'"{version.etag}"')
    for alg, value in version.checksums.items():
        xml.add(root, f"Checksum{alg}", value)
    return ok(xml.render(root), headers=version_headers(version, {}))


async def abort(r: S3Request, s: S3Services) -> Response:
    await call(s.multipart.abort, r.ctx, bucket_name(r), key_of(r), r.query["uploadId"])
    return ok(status=204)
