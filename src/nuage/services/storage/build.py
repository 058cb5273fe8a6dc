"""The object-storage use cases of one deployment, built from their ports (see
`build_identity`); the S3 adapter and the storage worker take them from `S3Services`."""

from __future__ import annotations

from dataclasses import dataclass

from nuage.services.storage.base import StoragePorts
from nuage.services.storage.buckets import BucketService
from nuage.services.storage.deletion import DeletionService
from nuage.services.storage.listing import ListingService
from nuage.services.storage.maintenance import MaintenanceService
from nuage.services.storage.multipart import MultipartService
from nuage.services.storage.object_settings import ObjectSettingsService
from nuage.services.storage.objects import ObjectService
from nuage.services.storage.quotas import StorageQuotaService


@dataclass(frozen=True)
class S3Services:
    buckets: BucketService
    objects: ObjectService
    deletion: DeletionService
    listing: ListingService
    multipart: MultipartService
    settings: ObjectSettingsService
    maintenance: MaintenanceService
    quotas: StorageQuotaService
    region: str
    # Virtual-hosted-style addressing: <bucket>.<domain>
    domain: str
    # Other region names a signature or a LocationConstraint may use for `region`.
    region_aliases: tuple[str, ...] = ()


def build_storage(ports: StoragePorts, *, domain: str,
                  region_aliases: tuple[str, ...] = ()) -> S3Services:
    return S3Services(
        buckets=BucketService(ports), objects=ObjectService(ports),
        deletion=DeletionService(ports), listing=ListingService(ports),
        multipart=MultipartService(ports), settings=ObjectSettingsService(ports),
        maintenance=MaintenanceService(ports), quotas=StorageQuotaService(ports),
        region=ports.config.region, domain=domain, region_aliases=region_aliases)
