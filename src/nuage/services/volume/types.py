"""Volume types: every caller lists and reads the public ones; the cloud administrator
creates, changes and deletes them. `__DEFAULT__` (seeded by migration 0014, as Cinder's
own migration does) is what a volume gets when the request names no type, and stays."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.domain.policy import Target
from nuage.domain.volume import DEFAULT_TYPE_NAME, VolumeType, check_metadata
from nuage.domain.volume_errors import VolumeFault
from nuage.services.volume.base import VolumeUseCases


@dataclass(frozen=True)
class NewVolumeType:
    name: str
    description: str = ""
    is_public: bool = True
    extra_specs: dict[str, str] = field(default_factory=dict)


class VolumeTypeService(VolumeUseCases):
    def list_types(self, ctx: RequestContext) -> list[VolumeType]:
        self.require_user(ctx)
        policy.enforce(ctx, "volume:type:get")
        admin = policy.may(ctx, "volume:type:manage")
        with self.p.uow() as uow:
            types = uow.volume_types.find()
        return sorted((t for t in types if t.is_public or admin), key=lambda t: t.name)

    def get(self, ctx: RequestContext, type_ref: str) -> VolumeType:
        self.require_user(ctx)
        policy.enforce(ctx, "volume:type:get")
        with self.p.uow() as uow:
            return self.find_type(uow, type_ref)

    def get_default(self, ctx: RequestContext) -> VolumeType:
        self.require_user(ctx)
        policy.enforce(ctx, "volume:type:get")
        with self.p.uow() as uow:
            return self.default_type(uow)

    def create(self, ctx: RequestContext, cmd: NewVolumeType) -> VolumeType:
        self.require_user(ctx)
        name = cmd.name.strip()
        if not name or len(name) > 255:
            raise ValidationError(VolumeFault.TYPE_NAME_INVALID, name=cmd.name)
        if not check_metadata(cmd.extra_specs):
            raise ValidationError(VolumeFault.METADATA_INVALID)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:type:manage", Target(), "volume_type", None)
            if uow.volume_types.first(name=name) is not None:
                raise Conflict(VolumeFault.TYPE_EXISTS, name=name)
            now = self.p.clock.now()
            vtype = VolumeType(id=str(uuid.uuid4()), name=name, description=cmd.description,
                               is_public=cmd.is_public, extra_specs=dict(cmd.extra_specs),
                               created_at=now, updated_at=now)
            uow.volume_types.add(vtype)
            self.p.auditor.record(uow, ctx, "volume.type.create", "volume_type", vtype.id,
                                  detail={"name": name})
            uow.commit()
            return vtype

    def update(self, ctx: RequestContext, type_id: str, name: str | None = None,
               description: str | None = None, is_public: bool | None = None) -> VolumeType:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:type:manage", Target(), "volume_type", type_id)
            vtype = self.find_type(uow, type_id)
            if name is not None and name != vtype.name:
                if not name.strip() or vtype.name == DEFAULT_TYPE_NAME:
                    raise ValidationError(VolumeFault.TYPE_NAME_INVALID, name=name)
                if uow.volume_types.first(name=name) is not None:
                    raise Conflict(VolumeFault.TYPE_EXISTS, name=name)
                vtype.name = name
            if description is not None:
                vtype.description = description
            if is_public is not None:
                vtype.is_public = is_public
            vtype.updated_at = self.p.clock.now()
            self.p.auditor.record(uow, ctx, "volume.type.update", "volume_type", vtype.id)
            uow.commit()
            return vtype

    def set_extra_specs(self, ctx: RequestContext, type_id: str, specs: dict[str, str]
                        ) -> dict[str, str]:
        self.require_user(ctx)
        if not check_metadata(specs):
            raise ValidationError(VolumeFault.METADATA_INVALID)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:type:manage", Target(), "volume_type", type_id)
            vtype = self.find_type(uow, type_id)
            vtype.extra_specs = {**vtype.extra_specs, **specs}
            vtype.updated_at = self.p.clock.now()
            self.p.auditor.record(uow, ctx, "volume.type.extra_specs.set", "volume_type",
                                  vtype.id, detail={"keys": sorted(specs)})
            uow.commit()
            return dict(vtype.extra_specs)

    def delete_extra_spec(self, ctx: RequestContext, type_id: str, key: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:type:manage", Target(), "volume_type", type_id)
            vtype = self.find_type(uow, type_id)
            if key not in vtype.extra_specs:
                raise NotFound("extra_spec", key)
            vtype.extra_specs = {k: v for k, v in vtype.extra_specs.items() if k != key}
            self.p.auditor.record(uow, ctx, "volume.type.extra_specs.delete", "volume_type",
                                  vtype.id, detail={"key": key})
            uow.commit()

    def delete(self, ctx: RequestContext, type_id: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:type:manage", Target(), "volume_type", type_id)
            vtype = self.find_type(uow, type_id)
            if vtype.name == DEFAULT_TYPE_NAME:
                raise ValidationError(VolumeFault.TYPE_DEFAULT_DELETE, type_id=vtype.id)
            if uow.volumes.first(volume_type_id=vtype.id) is not None:
                raise ValidationError(VolumeFault.TYPE_IN_USE, type_id=vtype.id)
            uow.volume_types.delete(vtype)
            uow.volume_quotas.delete_where(resource=[f"volumes_{vtype.name}",
                                                     f"gigabytes_{vtype.name}",
                                                     f"snapshots_{vtype.name}"])
            self.p.auditor.record(uow, ctx, "volume.type.delete", "volume_type", vtype.id)
            uow.commit()
