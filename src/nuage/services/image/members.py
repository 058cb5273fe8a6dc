"""Image members: the owner shares a `shared` image with other projects, who accept it.

- Only the owner's members (or a cloud admin) add and remove members.
- Only the member project itself (or a cloud admin) sets its status: pending, accepted,
  rejected. A shared image shows to its members whatever their status, and is listed by
  default only to those who accepted it.
- The owner sees every member; a member sees only its own membership.
"""

from __future__ import annotations

from nuage.domain import image as rules
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.image import Image, ImageMember, TooLarge, Visibility
from nuage.domain.image_errors import ImageFault
from nuage.ports.repositories import UnitOfWork
from nuage.services.image.base import ImageUseCases


def _reads_all(ctx: RequestContext, owner: str) -> bool:
    """Whether the caller sees every member of an image `owner` owns (else only its own)."""
    return policy.may(ctx, "image:member:read_all", policy.Target(project_id=owner))


def _shared(image: Image) -> None:
    if image.visibility != Visibility.SHARED:
        raise Forbidden(ImageFault.NOT_SHARED, image_id=image.id, visibility=image.visibility)


class ImageMemberService(ImageUseCases):
    def add(self, ctx: RequestContext, image_id: str, member_id: str) -> ImageMember:
        if not member_id or len(member_id) > 255:
            raise ValidationError(ImageFault.MEMBER_ID_INVALID)
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "image:member:create", "member.add")
            _shared(image)
            if uow.image_members.get((image.id, member_id)) is not None:
                raise Conflict(ImageFault.MEMBER_EXISTS, member_id=member_id, image_id=image_id)
            limit = self.p.config.max_members
            if len(uow.image_members.find(image_id=image.id)) >= limit:
                raise TooLarge(ImageFault.MEMBERS_TOO_MANY, limit=limit)
            now = self.p.clock.now()
            member = ImageMember(image.id, member_id, "pending", now, now)
            uow.image_members.add(member)
            self.record(uow, ctx, "member.add", image, {"member_id": member_id})
            uow.commit()
            return member

    def list_members(self, ctx: RequestContext, image_id: str) -> list[ImageMember]:
        with self.p.uow() as uow:
            image = self.find_visible(uow, ctx, image_id)
            _shared(image)
            members = uow.image_members.find(image_id=image.id)
        if _reads_all(ctx, image.owner):
            return sorted(members, key=lambda m: m.created_at)
        return [m for m in members if m.member_id == ctx.project_id]

    def get(self, ctx: RequestContext, image_id: str, member_id: str) -> ImageMember:
        with self.p.uow() as uow:
            image = self.find_visible(uow, ctx, image_id)
            _shared(image)
            return self._member(uow, ctx, image.owner, image_id, member_id)

    @staticmethod
    def _member(uow: UnitOfWork, ctx: RequestContext, owner: str, image_id: str,
                member_id: str) -> ImageMember:
        member = uow.image_members.get((image_id, member_id))
        if member is None or not (_reads_all(ctx, owner) or member_id == ctx.project_id):
            raise NotFound("image member", member_id)
        return member

    def set_status(self, ctx: RequestContext, image_id: str, member_id: str,
                   status: str) -> ImageMember:
        if status not in rules.MEMBER_STATUSES:
            raise ValidationError(ImageFault.MEMBER_STATUS_INVALID, status=status,
                                  choices=rules.MEMBER_STATUSES)
        with self.p.uow(write=True) as uow:
            image = self.find_visible(uow, ctx, image_id)
            member = self._member(uow, ctx, image.owner, image_id, member_id)
            if not policy.may(ctx, "image:member:set_status",
                              policy.Target(project_id=member_id)):
                raise Forbidden(ImageFault.MEMBER_STATUS_DENIED,
                                action="image:member:set_status")
            member.status = status
            member.updated_at = self.p.clock.now()
            self.record(uow, ctx, "member.update", image,
                        {"member_id": member_id, "status": status})
            uow.commit()
            return member

    def remove(self, ctx: RequestContext, image_id: str, member_id: str) -> None:
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "image:member:delete", "member.remove")
            member = uow.image_members.get((image.id, member_id))
            if member is None:
                raise NotFound("image member", member_id)
            uow.image_members.delete(member)
            self.record(uow, ctx, "member.remove", image, {"member_id": member_id})
            uow.commit()
