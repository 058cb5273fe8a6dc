"""Regions, services and endpoints: the catalog clients discover the cloud with."""

from __future__ import annotations

from typing import Any, TypeVar

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.domain.identity import Endpoint, Interface, Region, Service, new_id
from nuage.domain.identity_errors import IdentityFault
from nuage.ports.repositories import Repository, UnitOfWork
from nuage.services.identity.base import IdentityUseCases, existing

E = TypeVar("E", Region, Service, Endpoint)


def _check_country(country: Any) -> str | None:
    if country is None:
        return None
    if not isinstance(country, str) or len(country) != 2 or not country.isalpha():
        raise ValidationError(IdentityFault.REGION_COUNTRY_INVALID)
    return country.upper()


class CatalogService(IdentityUseCases):
    def _target(self, uow: UnitOfWork, ctx: RequestContext, verb: str, kind: str, ident: str,
                repo: Repository[E]) -> E:
        """The catalog entry a change aims at, once its row allows the change (a refusal is
        itself audited): `identity:<verb>_<kind>`."""
        self.guard(uow, ctx, f"identity:{verb}_{kind}", policy.Target(),
                   target_type=kind, target_id=ident)
        return existing(repo, kind, ident)

    def _update(self, uow: UnitOfWork, ctx: RequestContext, kind: str,
                entry: Region | Service | Endpoint, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(entry, key, value)
        self.record(uow, ctx, f"identity.{kind}.update", kind, entry.id)
        uow.commit()

    # regions
    def create_region(self, ctx: RequestContext, region_id: str | None, description: str = "",
                      parent_region_id: str | None = None, country: str | None = None,
                      extra: dict[str, Any] | None = None) -> Region:
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_region", policy.Target(),
                       target_type="region", target_id=region_id)
            region_id = region_id or new_id()
            if uow.regions.get(region_id):
                raise Conflict(IdentityFault.REGION_ID_TAKEN, region_id=region_id)
            if parent_region_id and uow.regions.get(parent_region_id) is None:
                raise NotFound("region", parent_region_id)
            region = Region(id=region_id, description=description,
                            parent_region_id=parent_region_id, country=_check_country(country),
                            extra=extra or {})
            uow.regions.add(region)
            self.record(uow, ctx, "identity.region.create", "region", region.id)
            uow.commit()
            return region

    def get_region(self, ctx: RequestContext, region_id: str) -> Region:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:get_region")
            return existing(uow.regions, "region", region_id)

    def list_regions(self, ctx: RequestContext, parent_region_id: str | None = None
                     ) -> list[Region]:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:list_regions")
            filters = {"parent_region_id": parent_region_id} if parent_region_id else {}
            return sorted(uow.regions.find(**filters), key=lambda r: r.id)

    def update_region(self, ctx: RequestContext, region_id: str, changes: dict[str, Any]
                      ) -> Region:
        with self.p.uow(write=True) as uow:
            region = self._target(uow, ctx, "update", "region", region_id, uow.regions)
            if "country" in changes:
                changes["country"] = _check_country(changes["country"])
            self._update(uow, ctx, "region", region, changes)
            return region

    def delete_region(self, ctx: RequestContext, region_id: str) -> None:
        with self.p.uow(write=True) as uow:
            region = self._target(uow, ctx, "delete", "region", region_id, uow.regions)
            if uow.regions.first(parent_region_id=region_id):
                raise Conflict(IdentityFault.REGION_HAS_CHILDREN, region_id=region_id)
            if uow.endpoints.first(region_id=region_id):
                raise Conflict(IdentityFault.REGION_HAS_ENDPOINTS, region_id=region_id)
            uow.regions.delete(region)
            self.record(uow, ctx, "identity.region.delete", "region", region_id)
            uow.commit()

    # services
    def create_service(self, ctx: RequestContext, type: str, name: str = "",
                       description: str = "", enabled: bool = True,
                       extra: dict[str, Any] | None = None) -> Service:
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_service", policy.Target(),
                       target_type="service", target_id=None)
            service = Service(id=new_id(), type=type, name=name, description=description,
                              enabled=enabled, extra=extra or {})
            uow.services.add(service)
            self.record(uow, ctx, "identity.service.create", "service", service.id)
            uow.commit()
            return service

    def get_service(self, ctx: RequestContext, service_id: str) -> Service:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:get_service")
            return existing(uow.services, "service", service_id)

    def list_services(self, ctx: RequestContext, type: str | None = None,
                      name: str | None = None) -> list[Service]:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:list_services")
            filters = {k: v for k, v in (("type", type), ("name", name)) if v is not None}
            return sorted(uow.services.find(**filters), key=lambda s: s.type)

    def update_service(self, ctx: RequestContext, service_id: str, changes: dict[str, Any]
                       ) -> Service:
        with self.p.uow(write=True) as uow:
            service = self._target(uow, ctx, "update", "service", service_id, uow.services)
            self._update(uow, ctx, "service", service, changes)
            return service

    def delete_service(self, ctx: RequestContext, service_id: str) -> None:
        with self.p.uow(write=True) as uow:
            service = self._target(uow, ctx, "delete", "service", service_id, uow.services)
            uow.endpoints.delete_where(service_id=service_id)
            uow.services.delete(service)
            self.record(uow, ctx, "identity.service.delete", "service", service_id)
            uow.commit()

    # endpoints
    def create_endpoint(self, ctx: RequestContext, service_id: str, interface: str, url: str,
                        region_id: str | None = None, enabled: bool = True,
                        extra: dict[str, Any] | None = None,
                        create_region: bool = False) -> Endpoint:
        """`create_region`: make a missing region, as Keystone does for the legacy `region`."""
        if interface not in {i.value for i in Interface}:
            raise ValidationError(IdentityFault.ENDPOINT_INTERFACE_INVALID, interface=interface)
        with self.p.uow(write=True) as uow:
            self.guard(uow, ctx, "identity:create_endpoint", policy.Target(),
                       target_type="endpoint", target_id=None)
            if uow.services.get(service_id) is None:
                raise NotFound("service", service_id)
            self._endpoint_region(uow, ctx, region_id, create_region)
            endpoint = Endpoint(id=new_id(), service_id=service_id, interface=interface,
                                url=url, region_id=region_id, enabled=enabled, extra=extra or {})
            uow.endpoints.add(endpoint)
            self.record(uow, ctx, "identity.endpoint.create", "endpoint", endpoint.id)
            uow.commit()
            return endpoint

    def get_endpoint(self, ctx: RequestContext, endpoint_id: str) -> Endpoint:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:get_endpoint")
            return existing(uow.endpoints, "endpoint", endpoint_id)

    def list_endpoints(self, ctx: RequestContext, filters: dict[str, Any]) -> list[Endpoint]:
        with self.p.uow() as uow:
            policy.enforce(ctx, "identity:list_endpoints")
            return sorted(uow.endpoints.find(**filters), key=lambda e: (e.service_id, e.id))

    def _endpoint_region(self, uow: UnitOfWork, ctx: RequestContext, region_id: str | None,
                         create: bool) -> None:
        if not region_id or uow.regions.get(region_id) is not None:
            return
        if not create:
            raise NotFound("region", region_id)
        uow.regions.add(Region(id=region_id))
        self.record(uow, ctx, "identity.region.create", "region", region_id)

    def update_endpoint(self, ctx: RequestContext, endpoint_id: str, changes: dict[str, Any],
                        create_region: bool = False) -> Endpoint:
        with self.p.uow(write=True) as uow:
            endpoint = self._target(uow, ctx, "update", "endpoint", endpoint_id, uow.endpoints)
            if "interface" in changes and changes["interface"] not in {
                    i.value for i in Interface}:
                # Keystone's sentence here quotes no value: no field.
                raise ValidationError(IdentityFault.ENDPOINT_INTERFACE_INVALID)
            if "service_id" in changes and uow.services.get(changes["service_id"]) is None:
                raise NotFound("service", changes["service_id"])
            if "region_id" in changes:
                self._endpoint_region(uow, ctx, changes["region_id"], create_region)
            self._update(uow, ctx, "endpoint", endpoint, changes)
            return endpoint

    def delete_endpoint(self, ctx: RequestContext, endpoint_id: str) -> None:
        with self.p.uow(write=True) as uow:
            endpoint = self._target(uow, ctx, "delete", "endpoint", endpoint_id, uow.endpoints)
            uow.endpoints.delete(endpoint)
            self.record(uow, ctx, "identity.endpoint.delete", "endpoint", endpoint_id)
            uow.commit()
