"""The one composition root: Settings -> drivers -> services -> apps."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette

from nuage.agent.compute import ComputeAgent, LocalAgentChannel
from nuage.api.app import front_app
from nuage.api.audit.app import audit_app
from nuage.api.openstack.compute.app import compute_app
from nuage.api.openstack.compute.deps import ComputeServices
from nuage.api.openstack.identity.app import identity_app
from nuage.api.openstack.identity.deps import IdentityServices
from nuage.api.openstack.image.app import image_app
from nuage.api.openstack.image.deps import ImageServices
from nuage.api.s3.app import S3App
from nuage.api.s3.deps import S3Services
from nuage.drivers.blobs_fs import FsBlobStore
from nuage.drivers.clock import SystemClock
from nuage.drivers.crypto.keypairs import RsaKeyPairGenerator
from nuage.drivers.crypto.keys import KeyRepository
from nuage.drivers.crypto.passwords import Argon2PasswordHasher
from nuage.drivers.crypto.tokens import FernetSecretBox, FernetTokenCodec
from nuage.drivers.guest_image import build_guest_image
from nuage.drivers.image_format import OsloImageInspector
from nuage.drivers.kms_local import LocalKeyStore
from nuage.drivers.qemu import QemuHypervisor
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.services.audit import Auditor, AuditService
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.aggregates import AggregateService
from nuage.services.compute.base import ComputeConfig, ResourcePorts
from nuage.services.compute.default_image import DefaultImageSetup, GuestImage
from nuage.services.compute.diagnostics import DiagnosticsService
from nuage.services.compute.flavors import FlavorService
from nuage.services.compute.hosts import AllocationRatios, HostService
from nuage.services.compute.images import LocalImageSource
from nuage.services.compute.keypairs import KeypairService
from nuage.services.compute.quotas import QuotaService
from nuage.services.compute.reconcile import Reconciler
from nuage.services.compute.server_actions import ServerActionService
from nuage.services.compute.servers import ComputePorts, ServerService
from nuage.services.compute.usage import UsageService
from nuage.services.identity.assignments import AssignmentService
from nuage.services.identity.base import IdentityConfig, IdentityPorts
from nuage.services.identity.catalog import CatalogService
from nuage.services.identity.credentials import CredentialService
from nuage.services.identity.projects import DomainService, ProjectService
from nuage.services.identity.roles import RoleService
from nuage.services.identity.s3_keys import S3KeyService
from nuage.services.identity.setup import SeedResult, ServiceSpec, SetupService
from nuage.services.identity.tokens import TokenService
from nuage.services.identity.users import GroupService, UserService
from nuage.services.image.base import ImageConfig, ImagePorts
from nuage.services.image.data import ImageDataService
from nuage.services.image.images import ImageService
from nuage.services.image.members import ImageMemberService
from nuage.services.storage.base import StorageConfig, StoragePorts
from nuage.services.storage.buckets import BucketService
from nuage.services.storage.deletion import DeletionService
from nuage.services.storage.listing import ListingService
from nuage.services.storage.maintenance import MaintenanceService
from nuage.services.storage.multipart import MultipartService
from nuage.services.storage.object_settings import ObjectSettingsService
from nuage.services.storage.objects import ObjectService
from nuage.services.storage.quotas import StorageQuotaService
from nuage.settings import Settings
from nuage.workers.storage import StorageWorker


@dataclass
class Cloud:
    settings: Settings
    engine: Engine
    token_keys: KeyRepository
    identity: IdentityServices
    audit: AuditService
    setup: SetupService
    storage: S3Services
    images: ImageServices
    compute: ComputeServices
    compute_ports: ComputePorts

    def app(self) -> Starlette:
        s = self.settings
        return front_app({
            "/identity": identity_app(self.identity, s.identity_url),
            "/audit": audit_app(self.audit, self.identity.tokens,
                                f"{s.base_url}/audit", s.identity_url),
            "/image": image_app(self.images, self.identity.tokens, s.image_url, s.identity_url),
            "/compute": compute_app(self.compute, f"{s.base_url}/compute", s.image_url),
        })

    def s3_app(self) -> S3App:
        return S3App(self.storage)

    def compute_agent(self) -> ComputeAgent:
        """This machine's compute agent, attached to the control plane's channel."""
        s = self.settings
        hostname = socket.gethostname()
        hypervisor = QemuHypervisor(
            s.state_dir / "compute", hostname,
            accelerator=None if s.accelerator == "auto" else s.accelerator)
        # The agent gets the control plane through its port, bound to its host: no unit
        # of work (ports/compute_agent.py).
        control = AgentControlService(self.compute_ports.uow, self.compute_ports.clock,
                                      self.compute.hosts).for_host(hostname)
        reconciler = Reconciler(control, self.compute_ports.images,
                                hypervisor, s.state_dir / "image-cache", s.guest_stop_timeout,
                                s.image_cache_max_idle, s.console_deadline,
                                inspector=OsloImageInspector())
        ratios = AllocationRatios(s.cpu_allocation_ratio, s.ram_allocation_ratio,
                                  s.disk_allocation_ratio)
        agent = ComputeAgent(reconciler, hypervisor,
                             register=lambda: control.register(hypervisor.capabilities(),
                                                               ratios),
                             heartbeat=control.heartbeat)
        channel = self.compute.agents
        assert isinstance(channel, LocalAgentChannel)
        channel.attach(agent)
        return agent

    def register_default_image(self, owner_project_id: str) -> str:
        """Build (once per machine) and register the default guest image; its image id."""
        files = build_guest_image(self.settings.guest_image_dir)
        setup = DefaultImageSetup(self.images.images, self.images.data)
        return setup.register(GuestImage(files.kernel, files.initrd, files.disk,
                                         files.version, files.cmdline), owner_project_id)

    def storage_worker(self) -> StorageWorker:
        return StorageWorker(self.storage.maintenance, self.settings.lifecycle_interval)

    def catalog(self) -> list[ServiceSpec]:
        base = self.settings.base_url
        return [ServiceSpec("identity", "keystone", f"{base}/identity"),
                ServiceSpec("audit", "nuage-audit", f"{base}/audit"),
                ServiceSpec("s3", "nuage-s3", self.settings.s3_url),
                ServiceSpec("image", "glance", f"{base}/image"),
                ServiceSpec("compute", "nova", f"{base}/compute/v2.1")]

    def seed(self) -> SeedResult:
        result = self.setup.seed(self.settings.region, self.settings.region_country,
                                 self.catalog())
        # The default flavors, on a cloud's first start only (see FlavorService.seed).
        self.compute.flavors.seed()
        return result


def key_repositories(settings: Settings) -> tuple[KeyRepository, KeyRepository]:
    return (KeyRepository(settings.state_dir / "fernet-keys", settings.max_active_keys),
            KeyRepository(settings.state_dir / "credential-keys", settings.max_active_keys))


def build(settings: Settings, *, migrate: bool = True) -> Cloud:
    state: Path = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    engine = make_engine(settings.db_url)
    if migrate:
        upgrade(engine)
    token_keys, credential_keys = key_repositories(settings)
    token_keys.setup()
    credential_keys.setup()
    clock = SystemClock()
    hasher = (Argon2PasswordHasher(time_cost=1, memory_cost=8)
              if settings.fast_password_hashing else Argon2PasswordHasher())
    ports = IdentityPorts(
        uow=SqlUnitOfWorkFactory(engine), clock=clock, hasher=hasher,
        tokens=FernetTokenCodec(token_keys), secrets=FernetSecretBox(credential_keys),
        auditor=Auditor(clock),
        config=IdentityConfig(
            token_expiration=settings.token_expiration,
            lockout_failure_attempts=settings.lockout_failure_attempts,
            lockout_duration=settings.lockout_duration,
            admin_project_name=settings.admin_project_name, region_id=settings.region,
            any_project_admin_is_cloud_admin=settings.any_project_admin_is_cloud_admin),
    )
    identity = IdentityServices(
        tokens=TokenService(ports), domains=DomainService(ports),
        projects=ProjectService(ports), users=UserService(ports), groups=GroupService(ports),
        roles=RoleService(ports), assignments=AssignmentService(ports),
        catalog=CatalogService(ports), credentials=CredentialService(ports))
    storage_ports = StoragePorts(
        uow=ports.uow, blobs=FsBlobStore(state / "blobs"),
        keys=LocalKeyStore(state / "master.key"), clock=clock, auditor=ports.auditor,
        config=StorageConfig(region=settings.region, max_buckets=settings.storage_max_buckets,
                             max_objects=settings.storage_max_objects,
                             max_bytes=settings.storage_max_bytes,
                             day_seconds=settings.lifecycle_day_seconds))
    storage = S3Services(
        keys=S3KeyService(ports), buckets=BucketService(storage_ports),
        objects=ObjectService(storage_ports), deletion=DeletionService(storage_ports),
        listing=ListingService(storage_ports), multipart=MultipartService(storage_ports),
        settings=ObjectSettingsService(storage_ports),
        maintenance=MaintenanceService(storage_ports),
        quotas=StorageQuotaService(storage_ports), region=settings.region,
        domain=settings.s3_domain, region_aliases=settings.s3_regions[1:])
    # Image blobs live in their own store: the S3 start-up scan removes every blob that no
    # object names, and image blobs are named by images, not objects.
    image_ports = ImagePorts(
        uow=ports.uow, blobs=FsBlobStore(state / "image-blobs"),
        keys=storage_ports.keys, clock=clock, auditor=ports.auditor,
        config=ImageConfig(size_cap=settings.image_size_cap), inspector=OsloImageInspector())
    images = ImageServices(images=ImageService(image_ports), data=ImageDataService(image_ports),
                           members=ImageMemberService(image_ports))
    resource_ports = ResourcePorts(
        uow=ports.uow, clock=clock, auditor=ports.auditor,
        config=ComputeConfig(control_host=socket.gethostname(), host_ip=settings.host))
    quotas = QuotaService(resource_ports)
    compute_ports = ComputePorts(
        uow=ports.uow, clock=clock, auditor=ports.auditor,
        images=LocalImageSource(images.images, images.data), quota_check=quotas.check,
        agents=LocalAgentChannel())
    compute = ComputeServices(
        tokens=identity.tokens, flavors=FlavorService(resource_ports),
        keypairs=KeypairService(resource_ports, quotas, RsaKeyPairGenerator()), quotas=quotas,
        hosts=HostService(resource_ports, compute_ports.agents),
        aggregates=AggregateService(resource_ports),
        servers=ServerService(compute_ports),
        server_actions=ServerActionService(compute_ports),
        usage=UsageService(resource_ports), diagnostics=DiagnosticsService(compute_ports),
        agents=compute_ports.agents,
        images=images.images)
    return Cloud(settings=settings, engine=engine, token_keys=token_keys, identity=identity,
                 audit=AuditService(ports.uow), setup=SetupService(ports), storage=storage,
                 images=images, compute=compute, compute_ports=compute_ports)
