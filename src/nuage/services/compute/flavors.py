"""Flavors: the sizes servers come in. Public ones for all, private ones through access lists.

Who sees what follows Nova: an administrator lists public flavors by default and everything
with `is_public=None`; anyone else sees public flavors and the private ones shared with
their project, never disabled ones. A flavor that is not visible is reported as not found.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from nuage.domain import policy
from nuage.domain.compute import Flavor, FlavorAccess
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.ports.repositories import UnitOfWork
from nuage.services.compute.base import ResourceUseCases

# Nova's flavor id and extra spec key patterns.
FLAVOR_ID = re.compile(r"^(?! )[a-zA-Z0-9. _-]+(?<! )$")
SPEC_KEY = re.compile(r"^[a-zA-Z0-9-_:. ]{1,255}$")
MAX_SPEC_VALUE = 255

# The flavors `nuage up` starts with (id, name, vcpus, ram MiB, disk GiB): small, because
# the default guest image is tiny and single-node clouds are.
SEED = [
    ("1", "m1.tiny", 1, 256, 1),
    ("2", "m1.small", 1, 512, 2),
    ("3", "m1.medium", 2, 1024, 5),
    ("4", "m1.large", 4, 2048, 10),
    ("5", "m1.xlarge", 8, 4096, 20),
]

# Nova's sort keys -> our attribute names.
SORT_KEYS = {
    "flavorid": "id", "id": "id", "name": "name", "memory_mb": "ram_mb", "ram": "ram_mb",
    "vcpus": "vcpus", "root_gb": "disk_gb", "disk": "disk_gb",
    "ephemeral_gb": "ephemeral_gb", "swap": "swap_mb", "rxtx_factor": "rxtx_factor",
    "is_public": "is_public", "disabled": "disabled", "created_at": "created_at",
    "description": "description", "vcpu_weight": "id", "updated_at": "created_at",
}


# Nova's flavor description: at most 65535 characters (2.55).
MAX_DESCRIPTION = 65535


@dataclass(frozen=True)
class NewFlavor:
    name: str
    ram_mb: int
    vcpus: int
    disk_gb: int
    id: str | None = None
    ephemeral_gb: int = 0
    swap_mb: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    description: str | None = None


@dataclass(frozen=True)
class FlavorQuery:
    # None: all flavors (admins only); True/False: public/private only.
    is_public: bool | None = True
    min_disk: int | None = None
    min_ram: int | None = None
    sort_key: str = "flavorid"
    sort_dir: str = "asc"
    marker: str | None = None
    limit: int | None = None


def _sort_value(flavor: Flavor, attr: str) -> tuple[int, Any]:
    value = getattr(flavor, attr)
    # None sorts first, and ids sort numerically where they are numbers ("2" < "10").
    if value is None:
        return (0, "")
    if attr == "id" and isinstance(value, str) and value.isdigit():
        return (1, (0, int(value), value))
    if attr == "id":
        return (1, (1, 0, value))
    return (1, value)


class FlavorService(ResourceUseCases):
    # -- reading ---------------------------------------------------------------------------
    def _access(self, uow: UnitOfWork, project_id: str | None) -> set[str]:
        if project_id is None:
            return set()
        return {row.flavor_id for row in uow.flavor_access.find(project_id=project_id)}

    def _visible(self, uow: UnitOfWork, ctx: RequestContext, flavor: Flavor) -> bool:
        if policy.may(ctx, "compute:flavor:read_all"):
            return True
        if flavor.disabled:
            return False
        return flavor.is_public or flavor.id in self._access(uow, ctx.project_id)

    def _find(self, uow: UnitOfWork, ctx: RequestContext, flavor_id: str) -> Flavor:
        flavor = uow.flavors.get(flavor_id)
        if flavor is None or not self._visible(uow, ctx, flavor):
            raise NotFound("flavor", flavor_id)
        return flavor

    def get(self, ctx: RequestContext, flavor_id: str) -> Flavor:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self._find(uow, ctx, flavor_id)

    def find(self, ctx: RequestContext, q: FlavorQuery) -> list[Flavor]:
        """One page, sorted and filtered; the caller links the next page when it is full."""
        self.require_user(ctx)
        attr = SORT_KEYS.get(q.sort_key)
        if attr is None:
            raise ValidationError(ComputeFault.FLAVOR_SORT_KEY_INVALID, sort_key=q.sort_key)
        if q.sort_dir not in ("asc", "desc"):
            raise ValidationError(ComputeFault.FLAVOR_SORT_DIR_INVALID, sort_dir=q.sort_dir)
        with self.p.uow() as uow:
            flavors = uow.flavors.find()
            access = self._access(uow, ctx.project_id)
        if policy.may(ctx, "compute:flavor:read_all"):
            if q.is_public is True:
                flavors = [f for f in flavors if f.is_public or f.id in access]
            elif q.is_public is False:
                flavors = [f for f in flavors if not f.is_public]
        else:
            flavors = [f for f in flavors
                       if not f.disabled and (f.is_public or f.id in access)]
        if q.min_disk is not None:
            flavors = [f for f in flavors if f.disk_gb >= q.min_disk]
        if q.min_ram is not None:
            flavors = [f for f in flavors if f.ram_mb >= q.min_ram]
        flavors.sort(key=lambda f: (_sort_value(f, attr), _sort_value(f, "id")),
                     reverse=q.sort_dir == "desc")
        if q.marker is not None:
            ids = [f.id for f in flavors]
            if q.marker not in ids:
                raise ValidationError(ComputeFault.FLAVOR_MARKER_NOT_FOUND, marker=q.marker)
            flavors = flavors[ids.index(q.marker) + 1:]
        limit = self.p.config.max_page if q.limit is None else min(q.limit,
                                                                   self.p.config.max_page)
        return flavors[:limit]

    # -- changing ----------------------------------------------------------------------------
    def create(self, ctx: RequestContext, new: NewFlavor) -> Flavor:
        name = new.name
        if not name or name != name.strip() or len(name) > 255:
            raise ValidationError(ComputeFault.FLAVOR_NAME_INVALID)
        flavor_id = new.id if new.id is not None else str(uuid.uuid4())
        if len(flavor_id) > 255 or not FLAVOR_ID.match(flavor_id):
            raise ValidationError(ComputeFault.FLAVOR_ID_INVALID, flavor_id=flavor_id)
        for field_name, value, minimum in (("ram", new.ram_mb, 1), ("vcpus", new.vcpus, 1),
                                           ("disk", new.disk_gb, 0),
                                           ("OS-FLV-EXT-DATA:ephemeral", new.ephemeral_gb, 0),
                                           ("swap", new.swap_mb, 0)):
            if value < minimum or value > 2**31 - 1:
                raise ValidationError(ComputeFault.FLAVOR_FIELD_OUT_OF_RANGE,
                                      field=field_name, value=value, minimum=minimum)
        if not 0 < new.rxtx_factor <= 3.40282e38:
            raise ValidationError(ComputeFault.FLAVOR_RXTX_FACTOR_INVALID)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:flavor:create", "compute.flavor.create", "flavor",
                         new.id)
            if uow.flavors.get(flavor_id) is not None:
                raise Conflict(ComputeFault.FLAVOR_ID_TAKEN, flavor_id=flavor_id)
            if uow.flavors.first(name=name) is not None:
                raise Conflict(ComputeFault.FLAVOR_NAME_TAKEN, name=name)
            flavor = Flavor(id=flavor_id, name=name, vcpus=new.vcpus, ram_mb=new.ram_mb,
                            disk_gb=new.disk_gb, ephemeral_gb=new.ephemeral_gb,
                            swap_mb=new.swap_mb, rxtx_factor=new.rxtx_factor,
                            is_public=new.is_public, description=new.description,
                            extra_specs={}, created_at=self.p.clock.now())
            uow.flavors.add(flavor)
            self.record(uow, ctx, "compute.flavor.create", "flavor", flavor.id,
                        detail={"name": name, "vcpus": new.vcpus, "ram": new.ram_mb,
                                "disk": new.disk_gb, "is_public": new.is_public})
            uow.commit()
            return flavor

    def update_description(self, ctx: RequestContext, flavor_id: str,
                           description: str | None) -> Flavor:
        """PUT /flavors/{id} (2.55): the description is the one thing a flavor changes."""
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise ValidationError(ComputeFault.FLAVOR_DESCRIPTION_TOO_LONG,
                                  maximum=MAX_DESCRIPTION)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:flavor:update", "compute.flavor.update", "flavor",
                         flavor_id)
            flavor = uow.flavors.get(flavor_id)
            if flavor is None:
                raise NotFound("flavor", flavor_id)
            flavor.description = description
            self.record(uow, ctx, "compute.flavor.update", "flavor", flavor_id,
                        detail={"description": description})
            uow.commit()
            return flavor

    def delete(self, ctx: RequestContext, flavor_id: str) -> None:
        """Servers keep the copy of the flavor they were booted with."""
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:flavor:delete", "compute.flavor.delete", "flavor",
                         flavor_id)
            flavor = uow.flavors.get(flavor_id)
            if flavor is None:
                raise NotFound("flavor", flavor_id)
            uow.flavor_access.delete_where(flavor_id=flavor_id)
            uow.flavors.delete(flavor)
            self.record(uow, ctx, "compute.flavor.delete", "flavor", flavor_id)
            uow.commit()

    def seed(self) -> int:
        """Create the default flavors on a cloud's first start (when it has none at all),
        so an operator's later deletions stay deleted. Returns how many were made."""
        with self.p.uow(write=True) as uow:
            if uow.flavors.first() is not None:
                return 0
            now = self.p.clock.now()
            for flavor_id, name, vcpus, ram, disk in SEED:
                uow.flavors.add(Flavor(id=flavor_id, name=name, vcpus=vcpus, ram_mb=ram,
                                       disk_gb=disk, extra_specs={}, created_at=now))
            uow.commit()
            return len(SEED)

    # -- access lists ------------------------------------------------------------------------
    def _private(self, uow: UnitOfWork, flavor_id: str) -> Flavor:
        flavor = uow.flavors.get(flavor_id)
        if flavor is None:
            raise NotFound("flavor", flavor_id)
        return flavor

    def access(self, ctx: RequestContext, flavor_id: str) -> list[FlavorAccess]:
        self.require_user(ctx)
        # Nova: only administrators read access lists.
        policy.enforce(ctx, "compute:flavor:list_access")
        with self.p.uow() as uow:
            flavor = self._private(uow, flavor_id)
            if flavor.is_public:
                raise NotFound("flavor access list", flavor_id,
                               ComputeFault.FLAVOR_ACCESS_LIST_PUBLIC)
            return sorted(uow.flavor_access.find(flavor_id=flavor_id),
                          key=lambda a: a.project_id)

    def add_access(self, ctx: RequestContext, flavor_id: str, project_id: str
                   ) -> list[FlavorAccess]:
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:flavor:add_access", "compute.flavor.access.add",
                         "flavor", flavor_id, project_id=project_id)
            flavor = self._private(uow, flavor_id)
            if flavor.is_public:
                raise Conflict(ComputeFault.FLAVOR_ACCESS_TO_PUBLIC, flavor_id=flavor_id)
            if uow.flavor_access.get((flavor_id, project_id)) is not None:
                raise Conflict(ComputeFault.FLAVOR_ACCESS_EXISTS, flavor_id=flavor_id,
                               project_id=project_id)
            uow.flavor_access.add(FlavorAccess(flavor_id=flavor_id, project_id=project_id))
            self.record(uow, ctx, "compute.flavor.access.add", "flavor", flavor_id,
                        project_id=project_id)
            uow.commit()
            return sorted(uow.flavor_access.find(flavor_id=flavor_id),
                          key=lambda a: a.project_id)

    def remove_access(self, ctx: RequestContext, flavor_id: str, project_id: str
                      ) -> list[FlavorAccess]:
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:flavor:remove_access",
                         "compute.flavor.access.remove", "flavor", flavor_id,
                         project_id=project_id)
            self._private(uow, flavor_id)
            row = uow.flavor_access.get((flavor_id, project_id))
            if row is None:
                raise NotFound("flavor access", project_id,
                               ComputeFault.FLAVOR_ACCESS_NOT_FOUND, flavor_id=flavor_id)
            uow.flavor_access.delete(row)
            self.record(uow, ctx, "compute.flavor.access.remove", "flavor", flavor_id,
                        project_id=project_id)
            uow.commit()
            return sorted(uow.flavor_access.find(flavor_id=flavor_id),
                          key=lambda a: a.project_id)

    # -- extra specs -------------------------------------------------------------------------
    def extra_specs(self, ctx: RequestContext, flavor_id: str) -> dict[str, str]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return dict(self._find(uow, ctx, flavor_id).extra_specs)

    def extra_spec(self, ctx: RequestContext, flavor_id: str, key: str) -> str:
        specs = self.extra_specs(ctx, flavor_id)
        if key not in specs:
            raise NotFound("extra spec", key, ComputeFault.FLAVOR_EXTRA_SPEC_NOT_FOUND,
                           flavor_id=flavor_id)
        return specs[key]

    @staticmethod
    def _checked_specs(specs: dict[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in specs.items():
            if not isinstance(key, str) or not SPEC_KEY.match(key):
                raise ValidationError(ComputeFault.FLAVOR_EXTRA_SPEC_KEY_INVALID, key=key)
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float):
                value = str(value)
            if not isinstance(value, str) or len(value) > MAX_SPEC_VALUE:
                raise ValidationError(ComputeFault.FLAVOR_EXTRA_SPEC_VALUE_INVALID, key=key,
                                      maximum=MAX_SPEC_VALUE)
            out[key] = value
        return out

    def set_extra_specs(self, ctx: RequestContext, flavor_id: str, specs: dict[str, Any]
                        ) -> dict[str, str]:
        """Adds or replaces the given keys; returns what was set."""
        checked = self._checked_specs(specs)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:flavor:set_extra_specs",
                         "compute.flavor.extra_specs.set", "flavor", flavor_id)
            flavor = self._private(uow, flavor_id)
            flavor.extra_specs = {**flavor.extra_specs, **checked}
            self.record(uow, ctx, "compute.flavor.extra_specs.set", "flavor", flavor_id,
                        detail={"keys": sorted(checked)})
            uow.commit()
            return checked

    def delete_extra_spec(self, ctx: RequestContext, flavor_id: str, key: str) -> None:
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:flavor:delete_extra_spec",
                         "compute.flavor.extra_specs.delete", "flavor", flavor_id)
            flavor = self._private(uow, flavor_id)
            if key not in flavor.extra_specs:
                raise NotFound("extra spec", key, ComputeFault.FLAVOR_EXTRA_SPEC_NOT_FOUND,
                               flavor_id=flavor_id)
            flavor.extra_specs = {k: v for k, v in flavor.extra_specs.items() if k != key}
            self.record(uow, ctx, "compute.flavor.extra_specs.delete", "flavor", flavor_id,
                        detail={"key": key})
            uow.commit()

