"""What the image use cases share: ports, settings, who sees and who changes an image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nuage.domain import policy
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import Forbidden, NotFound
from nuage.domain.image import Image, Visibility
from nuage.domain.image_errors import ImageFault
from nuage.ports.blobs import BlobStore, KeyStore
from nuage.ports.clock import Clock
from nuage.ports.image_format import ImageInspector
from nuage.ports.repositories import UnitOfWork, UnitOfWorkFactory
from nuage.services.audit import Auditor

TiB = 1 << 40


@dataclass(frozen=True)
class ImageConfig:
    # Glance's image_size_cap: bigger uploads are refused with 413.
    size_cap: int = TiB
    # Glance's api_limit_max and limit_param_default.
    max_page: int = 1000
    default_page: int = 25
    max_members: int = 128


@dataclass(frozen=True)
class ImagePorts:
    uow: UnitOfWorkFactory
    blobs: BlobStore
    keys: KeyStore
    clock: Clock
    auditor: Auditor
    config: ImageConfig
    # Proves each upload self-contained and the format it was declared as.
    inspector: ImageInspector


def sees_all_projects(ctx: RequestContext) -> bool:
    """Whether the caller sees (lists, shows) every project's images, whatever their
    visibility."""
    return policy.may(ctx, "image:image:read_all_projects")


def is_member_of(uow: UnitOfWork, ctx: RequestContext, image: Image) -> bool:
    if ctx.project_id is None or image.visibility != Visibility.SHARED:
        return False
    return uow.image_members.get((image.id, ctx.project_id)) is not None


def visible(uow: UnitOfWork, ctx: RequestContext, image: Image) -> bool:
    """Glance's rule for showing one image (listing is narrower: see `listing`)."""
    if sees_all_projects(ctx) or (ctx.project_id is not None
                                  and image.owner == ctx.project_id):
        return True
    if image.visibility in (Visibility.PUBLIC, Visibility.COMMUNITY):
        return True
    return is_member_of(uow, ctx, image)


class ImageUseCases:
    def __init__(self, ports: ImagePorts) -> None:
        self.p = ports

    @staticmethod
    def require_reader(ctx: RequestContext) -> None:
        # Authentication, not a policy row: which images a user sees is `visible`'s rule.
        if not ctx.authenticated:
            raise Forbidden(ImageFault.READ_UNAUTHENTICATED)

    def find_visible(self, uow: UnitOfWork, ctx: RequestContext, image_id: str) -> Image:
        """The image, or 404 when it does not exist or the caller may not see it."""
        self.require_reader(ctx)
        image = uow.images.get(image_id)
        if image is None or not visible(uow, ctx, image):
            raise NotFound("image", image_id)
        return image

    def find_owned(self, uow: UnitOfWork, ctx: RequestContext, image_id: str,
                   row: str, verb: str) -> Image:
        """An image the caller may change as the policy `row` says (its owner project's
        members, or a cloud admin); `verb` names the change in the audit trail.

        Others who can see it get 403 (and the refusal is audited); others 404."""
        image = self.find_visible(uow, ctx, image_id)
        if policy.may(ctx, row, policy.Target(project_id=image.owner)):
            return image
        self.p.auditor.record(uow, ctx, f"image.{verb}", "image", image.id,
                              project_id=image.owner, outcome=Outcome.DENIED)
        uow.commit()
        raise Forbidden(ImageFault.CHANGE_DENIED, action=row, verb=verb, image_id=image_id)

    def record(self, uow: UnitOfWork, ctx: RequestContext, action: str, image: Image,
               detail: dict[str, Any] | None = None, outcome: Outcome = Outcome.SUCCESS
               ) -> None:
        self.p.auditor.record(uow, ctx, f"image.{action}", "image", image.id,
                              project_id=image.owner, detail=detail, outcome=outcome)
