"""Buckets and their configuration: versioning, policy, ACL, CORS, lifecycle, tags, lock."""

from __future__ import annotations

from typing import Any

from nuage.domain import bucket_policy, policy
from nuage.domain.context import RequestContext
from nuage.domain.storage import Bucket, RetentionMode, Versioning, valid_bucket_name
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.ports.repositories import UnitOfWork
from nuage.services.storage.base import StorageUseCases, denied

CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read")


def _check_acl(acl: str) -> str:
    if acl not in CANNED_ACLS:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.ACL_UNSUPPORTED,
                           extra={"ArgumentName": "x-amz-acl", "ArgumentValue": acl}, acl=acl)
    return acl


def check_tags(tags: dict[str, str], limit: int) -> dict[str, str]:
    if len(tags) > limit:
        # S3 answers InvalidTag for too many object tags, BadRequest-style
        # InvalidRequest for a bucket's.
        raise StorageError(Fault.INVALID_TAG if limit == 10 else Fault.INVALID_REQUEST,
                           StorageReason.TAGS_TOO_MANY, limit=limit)
    for key, value in tags.items():
        if not key or len(key) > 128 or len(value) > 256:
            raise StorageError(Fault.INVALID_TAG, StorageReason.TAG_INVALID, key=key)
    return tags


class BucketService(StorageUseCases):
    def create(self, ctx: RequestContext, name: str, region: str | None = None,
               acl: str | None = None, object_lock: bool = False) -> Bucket:
        if ctx.project_id is None or not policy.may(
                ctx, "storage:bucket:create", policy.Target(project_id=ctx.project_id)):
            raise denied()
        if not valid_bucket_name(name):
            raise StorageError(Fault.INVALID_BUCKET_NAME, StorageReason.BUCKET_NAME_INVALID,
                               extra={"BucketName": name}, bucket=name)
        if region and region != self.p.config.region:
            raise StorageError(Fault.INVALID_LOCATION_CONSTRAINT,
                               StorageReason.BUCKET_LOCATION_INVALID, region=region,
                               ours=self.p.config.region)
        with self.p.uow(write=True) as uow:
            # Creations in one project commit one at a time, so the count below is exact.
            uow.objects.lock_usage(ctx.project_id)
            existing = uow.buckets.get(name)
            if existing is not None:
                if existing.project_id == ctx.project_id:
                    raise StorageError(Fault.BUCKET_OWNED_BY_YOU,
                                       StorageReason.BUCKET_ALREADY_OWNED,
                                       extra={"BucketName": name}, bucket=name)
                raise StorageError(Fault.BUCKET_EXISTS, StorageReason.BUCKET_NAME_TAKEN,
                                   extra={"BucketName": name}, bucket=name)
            quota = self._quota_buckets(uow, ctx.project_id)
            if quota >= 0 and len(uow.buckets.find(project_id=ctx.project_id)) >= quota:
                raise StorageError(Fault.TOO_MANY_BUCKETS, StorageReason.BUCKET_QUOTA_REACHED,
                                   limit=quota)
            bucket = Bucket(
                name=name, project_id=ctx.project_id, owner_user_id=ctx.user_id or "",
                created_at=self.p.clock.now(), region=self.p.config.region,
                acl=_check_acl(acl or "private"), object_lock=object_lock,
                versioning=Versioning.ENABLED.value if object_lock else "")
            uow.buckets.add(bucket)
            self.record(uow, ctx, "storage.bucket.create", bucket,
                        detail={"object_lock": object_lock})
            uow.commit()
            return bucket

    def _quota_buckets(self, uow: UnitOfWork, project_id: str) -> int:
        row = uow.quotas.get(project_id)
        return row.max_buckets if row else self.p.config.max_buckets

    def owned(self, ctx: RequestContext) -> list[Bucket]:
        if ctx.project_id is None or not policy.may(
                ctx, "storage:bucket:list", policy.Target(project_id=ctx.project_id)):
            raise denied()
        with self.p.uow() as uow:
            return sorted(uow.buckets.find(project_id=ctx.project_id), key=lambda b: b.name)

    def head(self, ctx: RequestContext, name: str) -> Bucket:
        with self.p.uow() as uow:
            bucket = self.bucket(uow, name)
            self.authorize(uow, ctx, bucket, "s3:ListBucket")
            return bucket

    def location(self, ctx: RequestContext, name: str) -> str:
        with self.p.uow() as uow:
            bucket = self.bucket(uow, name)
            self.authorize(uow, ctx, bucket, "s3:GetBucketLocation")
            return bucket.region

    def delete(self, ctx: RequestContext, name: str) -> None:
        with self.p.uow(write=True) as uow:
            bucket = self.bucket(uow, name)
            self.authorize(uow, ctx, bucket, "s3:DeleteBucket", writable=True)
            if uow.objects.any_in(name) or uow.uploads.first(bucket=name) is not None:
                raise StorageError(Fault.BUCKET_NOT_EMPTY, StorageReason.BUCKET_NOT_EMPTY,
                                   extra={"BucketName": name}, bucket=name)
            uow.buckets.delete(bucket)
            self.record(uow, ctx, "storage.bucket.delete", bucket)
            uow.commit()

    def get(self, ctx: RequestContext, name: str, action: str) -> Bucket:
        """The bucket, for reading one of its configurations (action names which)."""
        with self.p.uow() as uow:
            bucket = self.bucket(uow, name)
            self.authorize(uow, ctx, bucket, action)
            return bucket

    def _configure(self, ctx: RequestContext, name: str, action: str, audit_action: str,
                   changes: dict[str, Any]) -> Bucket:
        with self.p.uow(write=True) as uow:
            bucket = self.bucket(uow, name)
            self.authorize(uow, ctx, bucket, action, writable=True)
            for key, value in changes.items():
                setattr(bucket, key, value)
            self.record(uow, ctx, audit_action, bucket, detail={"fields": sorted(changes)})
            uow.commit()
            return bucket

    def set_versioning(self, ctx: RequestContext, name: str, status: str) -> None:
        if status not in (Versioning.ENABLED.value, Versioning.SUSPENDED.value):
            raise StorageError(Fault.MALFORMED_XML, StorageReason.XML_MALFORMED)
        with self.p.uow() as uow:
            bucket = self.bucket(uow, name)
        if bucket.object_lock and status == Versioning.SUSPENDED.value:
            raise StorageError(Fault.INVALID_BUCKET_STATE,
                               StorageReason.BUCKET_VERSIONING_LOCKED, bucket=name)
        self._configure(ctx, name, "s3:PutBucketVersioning", "storage.bucket.versioning",
                        {"versioning": status})

    def set_policy(self, ctx: RequestContext, name: str, text: str | None) -> None:
        policy = bucket_policy.parse_policy(text, name) if text is not None else None
        if text is None:
            bucket = self.get(ctx, name, "s3:DeleteBucketPolicy")
            if bucket.policy is None:
                return
        self._configure(ctx, name, "s3:PutBucketPolicy" if text else "s3:DeleteBucketPolicy",
                        "storage.bucket.policy", {"policy": policy})

    def set_acl(self, ctx: RequestContext, name: str, acl: str) -> None:
        self._configure(ctx, name, "s3:PutBucketAcl", "storage.bucket.acl",
                        {"acl": _check_acl(acl)})

    def set_tags(self, ctx: RequestContext, name: str, tags: dict[str, str]) -> None:
        self._configure(ctx, name, "s3:PutBucketTagging", "storage.bucket.tagging",
                        {"tags": check_tags(tags, 50)})

    def set_cors(self, ctx: RequestContext, name: str, rules: list[dict[str, Any]] | None
                 ) -> None:
        if rules is not None:
            if not rules or len(rules) > 100:
                raise StorageError(Fault.MALFORMED_XML, StorageReason.CORS_RULE_COUNT)
            for rule in rules:
                if not rule.get("AllowedMethods") or not rule.get("AllowedOrigins"):
                    raise StorageError(Fault.MALFORMED_XML, StorageReason.CORS_RULE_INCOMPLETE)
                for method in rule["AllowedMethods"]:
                    if method not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
                        raise StorageError(Fault.INVALID_REQUEST,
                                           StorageReason.CORS_METHOD_UNSUPPORTED, method=method)
        self._configure(ctx, name, "s3:PutBucketCORS", "storage.bucket.cors", {"cors": rules})

    def set_lifecycle(self, ctx: RequestContext, name: str,
                      rules: list[dict[str, Any]] | None) -> None:
        if rules is not None:
            if not rules or len(rules) > 1000:
                raise StorageError(Fault.MALFORMED_XML, StorageReason.LIFECYCLE_RULE_COUNT)
            for rule in rules:
                if rule.get("Status") not in ("Enabled", "Disabled"):
                    raise StorageError(Fault.MALFORMED_XML,
                                       StorageReason.LIFECYCLE_STATUS_INVALID)
                actions = ("Expiration", "NoncurrentVersionExpiration",
                           "AbortIncompleteMultipartUpload")
                if not any(rule.get(a) for a in actions):
                    raise StorageError(Fault.INVALID_REQUEST,
                                       StorageReason.LIFECYCLE_ACTION_MISSING)
                for key in ("Days", "NoncurrentDays", "DaysAfterInitiation"):
                    for action in actions:
                        value = (rule.get(action) or {}).get(key)
                        if value is not None and (not isinstance(value, int) or value <= 0):
                            raise StorageError(Fault.INVALID_ARGUMENT,
                                               StorageReason.LIFECYCLE_DAYS_INVALID,
                                               field=key, action=action)
        self._configure(ctx, name, "s3:PutLifecycleConfiguration", "storage.bucket.lifecycle",
                        {"lifecycle": rules})

    def set_object_lock(self, ctx: RequestContext, name: str, enabled: bool,
                        retention: dict[str, Any] | None) -> None:
        if retention is not None:
            mode = retention.get("mode")
            days, years = retention.get("days"), retention.get("years")
            if mode not in (RetentionMode.GOVERNANCE.value, RetentionMode.COMPLIANCE.value):
                raise StorageError(Fault.MALFORMED_XML, StorageReason.RETENTION_MODE_INVALID)
            if (days is None) == (years is None) or any(
                    v is not None and (not isinstance(v, int) or v <= 0) for v in (days, years)):
                raise StorageError(Fault.INVALID_ARGUMENT,
                                   StorageReason.DEFAULT_RETENTION_INVALID)
        bucket = self.get(ctx, name, "s3:PutBucketObjectLockConfiguration")
        if not bucket.object_lock and (not enabled
                                       or bucket.versioning != Versioning.ENABLED.value):
            raise StorageError(Fault.INVALID_BUCKET_STATE, StorageReason.LOCK_NEEDS_VERSIONING,
                               bucket=name)
        self._configure(ctx, name, "s3:PutBucketObjectLockConfiguration",
                        "storage.bucket.object_lock",
                        {"object_lock": True, "default_retention": retention})

    def cors_rules(self, name: str) -> list[dict[str, Any]] | None:
        """A bucket's CORS rules, unauthenticated: browsers ask before they authenticate."""
        with self.p.uow() as uow:
            bucket = uow.buckets.get(name)
            return bucket.cors if bucket else None
