"""Image members: the owner shares a `shared` image with other projects, who accept it.

- Only the owner's members (or a cloud admin) add and remove members.
- Only the member project itself (or a cloud admin) sets its status: pending, accepted,
  rejected. A shared image shows to its members whatever their status, and is listed by
  default only to those who accepted it.
- The owner sees every member; a member sees only its own membership.
"""

from __future__ import annotations

from nuage.domain import image as rules
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.image import ImageMember, TooLarge, Visibility
from nuage.ports.repositories import UnitOfWork
from nuage.services.image.base import ImageUseCases, is_admin


def _owns(ctx: RequestContext, owner: str) -> bool:
    return is_admin(ctx) or (ctx.project_id is not None and ctx.project_id == owner)


class ImageMemberService(ImageUseCases):
    def add(self, ctx: RequestContext, image_id: str, member_id: str) -> ImageMember:
        if not member_id or len(member_id) > 255:
            raise ValidationError("'member' must be a project id.")
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "member.add")
            if image.visibility != Visibility.SHARED:
                raise Forbidden(f"Only shared images have members (image {image_id} is "
                                f"{image.visibility}).")
            if uow.image_members.get((image.id, member_id)) is not None:
                raise Conflict(f"Member {member_id} already exists for image {image_id}.")
            if len(uow.image_members.find(image_id=image.id)) >= self.p.config.max_members:
                raise TooLarge("Maximum number of image members exceeded.")
            now = self.p.clock.now()
            member = ImageMember(image.id, member_id, "pending", now, now)
            uow.image_members.add(member)
            self.record(uow, ctx, "member.add", image, {"member_id": member_id})
            uow.commit()
            return member

    def list_members(self, ctx: RequestContext, image_id: str) -> list[ImageMember]:
        with self.p.uow() as uow:
            image = self.find_visible(uow, ctx, image_id)
            if image.visibility != Visibility.SHARED:
                raise Forbidden(f"Only shared images have members (image {image_id} is "
                                f"{image.visibility}).")
            members = uow.image_members.find(image_id=image.id)
        if _owns(ctx, image.owner):
            return sorted(members, key=lambda m: m.created_at)
        return [m for m in members if m.member_id == ctx.project_id]

    def get(self, ctx: RequestContext, image_id: str, member_id: str) -> ImageMember:
        with self.p.uow() as uow:
            image = self.find_visible(uow, ctx, image_id)
            if image.visibility != Visibility.SHARED:
                raise Forbidden(f"Only shared images have members (image {image_id} is "
                                f"{image.visibility}).")
            return self._member(uow, ctx, image.owner, image_id, member_id)

    @staticmethod
    def _member(uow: UnitOfWork, ctx: RequestContext, owner: str, image_id: str,
                member_id: str) -> ImageMember:
        member = uow.image_members.get((image_id, member_id))
        if member is None or not (_owns(ctx, owner) or member_id == ctx.project_id):
            raise NotFound("image member", member_id)
        return member

    def set_status(self, ctx: RequestContext, image_id: str, member_id: str,
                   status: str) -> ImageMember:
        if status not in rules.MEMBER_STATUSES:
            raise ValidationError(f"Invalid status {status!r}: expected one of "
                                  f"{', '.join(rules.MEMBER_STATUSES)}.")
        with self.p.uow(write=True) as uow:
            image = self.find_visible(uow, ctx, image_id)
            member = self._member(uow, ctx, image.owner, image_id, member_id)
            if not (is_admin(ctx) or member_id == ctx.project_id):
                raise Forbidden("Only the member project may change its membership status.")
            member.status = status
            member.updated_at = self.p.clock.now()
            self.record(uow, ctx, "member.update", image,
                        {"member_id": member_id, "status": status})
            uow.commit()
            return member

    def remove(self, ctx: RequestContext, image_id: str, member_id: str) -> None:
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "member.remove")
            member = uow.image_members.get((image.id, member_id))
            if member is None:
                raise NotFound("image member", member_id)
            uow.image_members.delete(member)
            self.record(uow, ctx, "member.remove", image, {"member_id": member_id})
            uow.commit()
