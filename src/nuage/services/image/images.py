"""Image records: create, list, show, update (JSON patch), delete, tags, (de)activation."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from nuage.domain import image as rules
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.image import Image, ImageStatus, PatchOp, Rights, Visibility
from nuage.domain.image_errors import ImageFault
from nuage.ports.repositories import UnitOfWork
from nuage.services.image.base import ImageUseCases, sees_all_projects

SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "virtual_size",
             "id", "created_at", "updated_at", "visibility", "owner", "min_ram", "min_disk")


@dataclass(frozen=True)
class ImageQuery:
    """Glance's list filters. None means "not filtered"."""

    name: str | None = None
    status: str | None = None
    visibility: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    disk_format: str | None = None
    container_format: str | None = None
    protected: bool | None = None
    os_hidden: bool = False
    size: int | None = None
    size_min: int | None = None
    size_max: int | None = None
    ids: tuple[str, ...] | None = None
    member_status: str = "accepted"
    properties: dict[str, str] = field(default_factory=dict)
    sort: tuple[tuple[str, str], ...] = (("created_at", "desc"), ("id", "desc"))
    marker: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class ImagePage:
    images: list[Image]
    next_marker: str | None
    limit: int


def _rights(ctx: RequestContext) -> Rights:
    """The rights the image rules ask about, from the policy table."""
    return Rights(publicize=policy.may(ctx, "image:image:publicize"),
                  set_owner=policy.may(ctx, "image:image:set_owner"))


def _sort_value(image: Image, key: str) -> tuple[bool, Any]:
    value = getattr(image, key)
    return (value is None, value if value is not None else 0)


class ImageService(ImageUseCases):
    # -- create -----------------------------------------------------------------------------
    def create(self, ctx: RequestContext, body: dict[str, Any]) -> Image:
        self.require_reader(ctx)
        if not policy.may(ctx, "image:image:create", policy.Target(project_id=ctx.project_id)):
            raise Forbidden(ImageFault.CREATE_DENIED, action="image:image:create")
        rights = _rights(ctx)
        fields = dict(body)
        image_id = fields.pop("id", None)
        if image_id is None:
            image_id = rules.new_image_id()
        else:
            try:
                image_id = str(uuid.UUID(str(image_id)))
            except ValueError as exc:
                raise ValidationError(ImageFault.ID_INVALID, image_id=image_id) from exc
        owner = fields.pop("owner", None) or ctx.project_id
        if owner != ctx.project_id and not rights.set_owner:
            raise Forbidden(ImageFault.CREATE_FOR_OTHER_DENIED, action="image:image:set_owner")
        if not isinstance(owner, str):
            raise ValidationError(ImageFault.OWNER_REQUIRED)
        now = self.p.clock.now()
        image = Image(id=image_id, owner=owner, created_at=now, updated_at=now)
        for key, value in fields.items():
            rules.set_field(image, key, value, rights)
        with self.p.uow(write=True) as uow:
            if uow.images.get(image_id) is not None:
                raise Conflict(ImageFault.ID_TAKEN, image_id=image_id)
            uow.images.add(image)
            self.record(uow, ctx, "create", image, {"name": image.name,
                                                    "visibility": image.visibility})
            uow.commit()
        return image

    # -- read -------------------------------------------------------------------------------
    def get(self, ctx: RequestContext, image_id: str) -> Image:
        with self.p.uow() as uow:
            return self.find_visible(uow, ctx, image_id)

    def list_images(self, ctx: RequestContext, q: ImageQuery) -> ImagePage:
        self.require_reader(ctx)
        cfg = self.p.config
        limit = cfg.default_page if q.limit is None else q.limit
        if limit < 0:
            raise ValidationError(ImageFault.LIMIT_NEGATIVE)
        limit = min(limit, cfg.max_page)
        for key, direction in q.sort:
            if key not in SORT_KEYS:
                raise ValidationError(ImageFault.SORT_KEY_INVALID, key=key)
            if direction not in ("asc", "desc"):
                raise ValidationError(ImageFault.SORT_DIR_INVALID, direction=direction)
        with self.p.uow() as uow:
            candidates = self._candidates(uow, ctx, q)
        matching = [i for i in candidates if self._matches(i, q)]
        # Stable sorts from the last key to the first give a multi-key, mixed-direction order.
        for key, direction in reversed(q.sort):
            matching.sort(key=lambda i, k=key: _sort_value(i, k),  # type: ignore[misc]
                          reverse=direction == "desc")
        if q.marker is not None:
            ids = [i.id for i in matching]
            if q.marker not in ids:
                raise ValidationError(ImageFault.MARKER_NOT_FOUND, marker=q.marker)
            matching = matching[ids.index(q.marker) + 1:]
        page = matching[:limit]
        more = len(matching) > limit and limit > 0
        return ImagePage(page, page[-1].id if more and page else None, limit)

    def _candidates(self, uow: UnitOfWork, ctx: RequestContext, q: ImageQuery) -> list[Image]:
        """The images the caller may list with this visibility filter (Glance's rules:
        community images only when asked for, shared ones only by accepted members)."""
        wanted = q.visibility
        if wanted is not None and wanted not in ("all", *[v.value for v in Visibility]):
            raise ValidationError(ImageFault.VISIBILITY_FILTER_INVALID, value=wanted)
        if q.member_status not in ("all", "pending", "accepted", "rejected"):
            raise ValidationError(ImageFault.MEMBER_STATUS_FILTER_INVALID,
                                  value=q.member_status)
        by_id: dict[str, Image] = {}
        if sees_all_projects(ctx):
            found = (uow.images.find() if wanted in (None, "all")
                     else uow.images.find(visibility=wanted))
            return found
        project = ctx.project_id
        if project is not None and wanted in (None, "all", "private", "shared", "community"):
            for image in uow.images.find(owner=project):
                by_id[image.id] = image
        if wanted in (None, "all", "public"):
            for image in uow.images.find(visibility="public"):
                by_id[image.id] = image
        if wanted in ("all", "community"):
            for image in uow.images.find(visibility="community"):
                by_id[image.id] = image
        if project is not None and wanted in (None, "all", "shared"):
            statuses = (list(rules.MEMBER_STATUSES) if q.member_status == "all"
                        else [q.member_status])
            rows = uow.image_members.find(member_id=project, status=statuses)
            if rows:
                for image in uow.images.find(id=[r.image_id for r in rows],
                                             visibility="shared"):
                    by_id[image.id] = image
        images = list(by_id.values())
        if wanted not in (None, "all"):
            images = [i for i in images if i.visibility == wanted]
        return images

    @staticmethod
    def _matches(image: Image, q: ImageQuery) -> bool:
        equal = {"name": q.name, "status": q.status, "owner": q.owner,
                 "disk_format": q.disk_format, "container_format": q.container_format,
                 "protected": q.protected}
        for key, value in equal.items():
            if value is not None and getattr(image, key) != value:
                return False
        if image.os_hidden != q.os_hidden:
            return False
        if q.ids is not None and image.id not in q.ids:
            return False
        if any(tag not in image.tags for tag in q.tags):
            return False
        if q.size is not None and image.size != q.size:
            return False
        if q.size_min is not None and (image.size is None or image.size < q.size_min):
            return False
        if q.size_max is not None and (image.size is None or image.size > q.size_max):
            return False
        return all(image.properties.get(k) == v for k, v in q.properties.items())

    # -- change -----------------------------------------------------------------------------
    def update(self, ctx: RequestContext, image_id: str, ops: list[PatchOp]) -> Image:
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "image:image:update", "update")
            old_owner = image.owner
            # Work on a copy: a refused operation leaves the stored image untouched.
            draft = Image(**{k: getattr(image, k) for k in image.__dataclass_fields__})
            changed = rules.apply_patch(draft, ops, _rights(ctx))
            if draft.owner != old_owner and draft.wrapped_key is not None:
                # The data key is wrapped under the owner project's key: re-wrap it.
                data_key = self.p.keys.unwrap(old_owner, draft.wrapped_key)
                draft.wrapped_key = self.p.keys.wrap(draft.owner, data_key)
            for key in image.__dataclass_fields__:
                setattr(image, key, getattr(draft, key))
            image.updated_at = self.p.clock.now()
            self.record(uow, ctx, "update", image, {"changed": sorted(set(changed))})
            uow.commit()
            return image

    def add_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        rules.check_tag(tag)
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "image:image:update", "update")
            if tag in image.tags:
                return
            image.tags = rules.check_tags([*image.tags, tag])
            image.updated_at = self.p.clock.now()
            self.record(uow, ctx, "tag.add", image, {"tag": tag})
            uow.commit()

    def remove_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "image:image:update", "update")
            if tag not in image.tags:
                raise NotFound("tag", tag)
            image.tags = [t for t in image.tags if t != tag]
            image.updated_at = self.p.clock.now()
            self.record(uow, ctx, "tag.remove", image, {"tag": tag})
            uow.commit()

    def delete(self, ctx: RequestContext, image_id: str) -> None:
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "image:image:delete", "delete")
            if image.protected:
                raise Forbidden(ImageFault.PROTECTED, image_id=image_id)
            blob_id = image.blob_id
            uow.image_members.delete_where(image_id=image.id)
            uow.images.delete(image)
            self.record(uow, ctx, "delete", image, {"name": image.name})
            uow.commit()
        # After the commit: a crash in between leaves an orphan blob that `recover` removes.
        # An upload still streaming into this image finds it gone and drops its own blob.
        if blob_id is not None:
            with contextlib.suppress(OSError):
                self.p.blobs.delete(blob_id)

    def set_active(self, ctx: RequestContext, image_id: str, active: bool) -> None:
        """Deactivate (`active=False`) or reactivate: the owner's members or an admin."""
        action = "reactivate" if active else "deactivate"
        row = "image:image:reactivate" if active else "image:image:deactivate"
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, row, action)
            changed = rules.reactivate(image) if active else rules.deactivate(image)
            if changed:
                image.updated_at = self.p.clock.now()
                self.record(uow, ctx, action, image)
                uow.commit()

    def recover(self) -> tuple[int, int]:
        """At start, before serving: uploads a crash interrupted end `killed`; blobs that
        no image names (a crash between a commit and a blob delete) are removed.

        Returns (killed uploads, orphan blobs)."""
        self.p.blobs.cleanup_partial()
        with self.p.uow(write=True) as uow:
            stuck = uow.images.find(status=ImageStatus.SAVING.value)
            for image in stuck:
                image.status = ImageStatus.KILLED.value
            referenced = {i.blob_id for i in uow.images.find() if i.blob_id}
            uow.commit()
        orphans = [b for b in self.p.blobs.ids() if b not in referenced]
        for blob_id in orphans:
            self.p.blobs.delete(blob_id)
        return len(stuck), len(orphans)
