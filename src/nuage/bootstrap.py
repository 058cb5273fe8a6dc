"""The one composition root: Settings -> drivers -> services -> apps."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path

from starlette.applications import Starlette
from starlette.types import ASGIApp

from nuage.agent.compute import ComputeAgent, LocalAgentChannel
from nuage.agent.network import LocalNetworkAgentChannel, NetworkAgent
from nuage.agent.volume import VolumeAgent
from nuage.api.app import front_app
from nuage.api.audit.app import audit_app
from nuage.api.metadata.app import metadata_app
from nuage.api.openstack.block_storage.app import block_storage_app
from nuage.api.openstack.compute.app import compute_app
from nuage.api.openstack.identity.app import identity_app
from nuage.api.openstack.image.app import image_app
from nuage.api.openstack.network.app import network_app
from nuage.api.s3.app import s3_listener
from nuage.domain.context import RequestContext
from nuage.drivers.blobs_fs import FsBlobStore
from nuage.drivers.clock import SystemClock
from nuage.drivers.crypto.keypairs import RsaKeyPairGenerator
from nuage.drivers.crypto.keys import KeyRepository
from nuage.drivers.crypto.passwords import Argon2PasswordHasher
from nuage.drivers.crypto.tokens import FernetSecretBox, FernetTokenCodec
from nuage.drivers.guest_image import build_guest_image
from nuage.drivers.image_format import OsloImageInspector
from nuage.drivers.kms_local import LocalKeyStore
from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.qcow2_volumes import Qcow2Volumes
from nuage.drivers.qcow2_volumes.nbd import remove_stale_sockets
from nuage.drivers.qemu import QemuHypervisor
from nuage.drivers.sql.engine import Engine, make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports.block_devices import BlockDevices
from nuage.ports.clock import Clock
from nuage.ports.compute import ImageSource
from nuage.ports.compute_volumes import ServerVolumes
from nuage.ports.hypervisor import Hypervisor
from nuage.ports.image_format import ImageInspector
from nuage.ports.network_fabric import NetworkFabric
from nuage.services.audit import Auditor, AuditService
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.base import ComputeConfig, ResourcePorts
from nuage.services.compute.build import ComputeServices, build_compute
from nuage.services.compute.hosts import AllocationRatios
from nuage.services.compute.image_cache import CachedVolumeImages, ImageCache
from nuage.services.compute.reconcile import Reconciler
from nuage.services.compute.servers import ComputePorts
from nuage.services.identity.base import IdentityConfig, IdentityPorts
from nuage.services.identity.build import IdentityServices, build_identity
from nuage.services.identity.setup import SeedResult, ServiceSpec, SetupService
from nuage.services.image.base import ImageConfig, ImagePorts
from nuage.services.image.build import ImageServices, build_image
from nuage.services.image.compute_source import LocalImageSource
from nuage.services.image.default_image import DefaultImageSetup, GuestImage
from nuage.services.network.agent_control import NetworkAgentControl
from nuage.services.network.base import NetworkConfig, NetworkPorts, QuotaDefaults
from nuage.services.network.build import NetworkServices, build_network
from nuage.services.network.external import ExternalSpec
from nuage.services.storage.base import StorageConfig, StoragePorts
from nuage.services.storage.build import S3Services, build_storage
from nuage.services.volume.backup_steps import run_backups
from nuage.services.volume.base import (
    VolumeAgentBells,
    VolumeConfig,
    VolumePorts,
    VolumeQuotaDefaults,
)
from nuage.services.volume.build import VolumeServices, build_volume
from nuage.services.volume.reconcile import VolumeReconciler
from nuage.settings import Settings
from nuage.workers.storage import StorageWorker


@dataclass(frozen=True)
class Overrides:
    """Drivers that replace the real ones (tests: fakes, a fixed clock, another host name).
    None keeps the driver the settings choose."""

    clock: Clock | None = None
    # Proves image uploads and cached images (oslo.utils' format inspector otherwise).
    inspector: ImageInspector | None = None
    # This machine's hypervisor, for `Cloud.compute_agent` (QEMU otherwise).
    hypervisor: Hypervisor | None = None
    # The name this machine's agent registers under (the host name otherwise).
    hostname: str | None = None
    # How compute describes and fetches images (this deployment's image service otherwise).
    image_source: ImageSource | None = None
    # This machine's network datapath (LinuxNetworkFabric otherwise).
    network_fabric: NetworkFabric | None = None
    # The servers' volumes, as compute sees them (the volume service's binding otherwise;
    # none on a cloud without it).
    server_volumes: ServerVolumes | None = None
    # This machine's volume files (encrypted qcow2 under <state>/volumes otherwise).
    block_devices: BlockDevices | None = None


@dataclass
class Cloud:
    settings: Settings
    engine: Engine
    token_keys: KeyRepository
    identity: IdentityServices
    audit: AuditService
    storage: S3Services
    images: ImageServices
    compute: ComputeServices
    network: NetworkServices
    overrides: Overrides
    network_ports: NetworkPorts | None = None
    volume: VolumeServices | None = None
    _fabric: NetworkFabric | None = field(default=None, repr=False)
    _block_devices: BlockDevices | None = field(default=None, repr=False)

    @property
    def setup(self) -> SetupService:
        return self.identity.setup

    @property
    def compute_ports(self) -> ComputePorts:
        return self.compute.ports

    def app(self) -> Starlette:
        s = self.settings
        return front_app({
            "/identity": identity_app(self.identity, s.identity_url),
            "/audit": audit_app(self.audit, self.identity.tokens,
                                f"{s.base_url}/audit", s.identity_url),
            "/image": image_app(self.images, self.identity.tokens, s.image_url, s.identity_url),
            "/compute": compute_app(self.compute, self.identity.tokens, self.images.images,
                                    f"{s.base_url}/compute", s.image_url),
            "/network": network_app(self.network, self.identity.tokens,
                                    f"{s.base_url}/network", s.identity_url),
            **({"/volume": block_storage_app(self.volume, self.identity.tokens,
                                             f"{s.base_url}/volume", s.identity_url)}
               if self.volume is not None else {}),
        })

    def s3_app(self) -> ASGIApp:
        return s3_listener(self.storage, self.identity.s3_keys)

    @property
    def metadata_socket(self) -> Path:
        """Where the metadata service listens (mode 0600): the fabric's proxies forward
        guests' requests to it."""
        return self.settings.state_dir / "metadata.sock"

    def metadata_app(self) -> Starlette:
        """The metadata service (api/metadata), for `metadata_socket` only."""
        return metadata_app(self.network.metadata, self.compute.instances)

    def compute_agent(self) -> ComputeAgent:
        """This machine's compute agent, attached to the control plane's channel (not
        started: `start()` registers the host and begins reconciling)."""
        s = self.settings
        hostname = self.overrides.hostname or socket.gethostname()
        hypervisor = self.overrides.hypervisor or QemuHypervisor(
            s.state_dir / "compute", hostname,
            accelerator=None if s.accelerator == "auto" else s.accelerator)
        # The agent gets the control plane through its port, bound to its host: no unit
        # of work (ports/compute_agent.py).
        control = AgentControlService(self.compute_ports.uow, self.compute_ports.clock,
                                      self.compute.hosts,
                                      self.compute_ports.networks,
                                      self.compute_ports.volumes).for_host(hostname)
        reconciler = Reconciler(control, self.compute_ports.images,
                                hypervisor, s.state_dir / "image-cache", s.guest_stop_timeout,
                                s.image_cache_max_idle, s.console_deadline,
                                inspector=self.overrides.inspector or OsloImageInspector(),
                                fabric=(self.network_fabric() if self.network_datapath()
                                        else None),
                                # QEMU takes volumes (a test's fake hypervisor does not).
                                disks=(hypervisor if isinstance(hypervisor, QemuHypervisor)
                                       else None),
                                block_devices=self._block_devices)
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

    def network_fabric(self) -> NetworkFabric:
        """This machine's network datapath, built once: everything it creates is named with
        NUAGE_NETWORK_PREFIX, and its metadata proxies forward to `<state>/metadata.sock`."""
        if self._fabric is None:
            s = self.settings
            self._fabric = self.overrides.network_fabric or LinuxNetworkFabric(
                s.state_dir / "network", prefix=s.network_prefix,
                metadata_socket=s.state_dir / "metadata.sock")
        return self._fabric

    def network_datapath(self) -> bool:
        """Whether this machine runs its network datapath (NUAGE_NETWORK_DATAPATH; auto:
        root, with nft and dnsmasq installed)."""
        wanted = self.settings.network_datapath
        if wanted != "auto":
            return bool(wanted)
        return (self.overrides.network_fabric is not None
                or (os.geteuid() == 0 and shutil.which("nft") is not None
                    and shutil.which("dnsmasq") is not None))

    def network_agent(self) -> NetworkAgent:
        """This machine's network agent, attached to the network services' channel (not
        started: `start()` converges the datapath and keeps it converged). This machine
        also runs every network's DHCP server (single node)."""
        hostname = self.overrides.hostname or socket.gethostname()
        assert self.network_ports is not None
        # The agent gets the control plane through its port, bound to its host: no unit
        # of work (ports/network_agent.py).
        control = NetworkAgentControl(self.network_ports, self.network.ports,
                                      dhcp_host=hostname).for_host(hostname)
        agent = NetworkAgent(control, self.network_fabric())
        channel = self.network_ports.agents
        assert isinstance(channel, LocalNetworkAgentChannel)
        channel.attach(agent)
        return agent

    # -- the volume agent (block storage data on this host) --------------------------------
    def block_devices(self) -> BlockDevices:
        """This machine's volume files: one encrypted qcow2 per volume (built with the
        cloud: the volume service asks it how guests open a volume)."""
        assert self._block_devices is not None
        return self._block_devices

    def volume_agent(self) -> VolumeAgent:
        """This machine's volume agent, woken by the volume services after a change they
        commit (not started: `start()` reconciles at once, then keeps reconciling)."""
        s = self.settings
        assert self.volume is not None
        hostname = self.overrides.hostname or socket.gethostname()
        devices = self.block_devices()
        control = self.volume.agent_control(hostname)
        # Volumes from an image are copied from the host's image cache, the one
        # compute's guests boot from (its checks, its format proof).
        images = CachedVolumeImages(ImageCache(
            s.state_dir / "image-cache", self.compute_ports.images, s.image_cache_max_idle,
            self.overrides.inspector or OsloImageInspector()), self.compute_ports.images)
        # Backups are blobs of their own store: the S3 start-up scan removes every blob
        # no object names, and the image store's every blob no image names.
        blobs = FsBlobStore(s.state_dir / "backup-blobs")
        # At start, before any writer: what a killed agent left (its qemu-nbd sockets'
        # directories, unfinished blobs) goes.
        blobs.cleanup_partial()
        remove_stale_sockets()
        agent = VolumeAgent(VolumeReconciler(control, devices, images),
                            backups=lambda: run_backups(control, devices, blobs))
        if isinstance(self.volume.ports.wake, VolumeAgentBells):
            self.volume.ports.wake.register(hostname, agent.wake)
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
                ServiceSpec("compute", "nova", f"{base}/compute/v2.1"),
                # No version in the URL: openstacksdk appends v2.0 itself (no discovery).
                ServiceSpec("network", "neutron", f"{base}/network"),
                # Cinder v3 under its official type and the alias older clients look for;
                # no project id in the URL (the SDK and Tempest accept that).
                ServiceSpec("block-storage", "cinder", f"{base}/volume/v3"),
                ServiceSpec("volumev3", "cinderv3", f"{base}/volume/v3")]

    def seed(self) -> SeedResult:
        result = self.setup.seed(self.settings.region, self.settings.region_country,
                                 self.catalog())
        # The default flavors, on a cloud's first start only (see FlavorService.seed).
        self.compute.flavors.seed()
        # The external network, while the cloud has none (see ExternalNetworkSeed).
        spec = external_spec(self.settings)
        if spec is not None:
            admin = RequestContext(request_id="setup", user_id=result.admin_user_id,
                                   project_id=result.admin_project_id,
                                   roles=frozenset({"admin", "member", "reader"}),
                                   is_admin_project=True)
            self.network.external.ensure(admin, spec)
        # The default IPv4 subnet pool, when the settings ask for one (off by default).
        if self.settings.network_default_subnetpool:
            self.network.subnetpools.ensure_default(
                setup_admin(result), self.settings.network_default_subnetpool,
                self.settings.network_default_subnetpool_prefixlen)
        return result


def setup_admin(result: SeedResult) -> RequestContext:
    """The cloud's administrator acting at setup."""
    return RequestContext(request_id="setup", user_id=result.admin_user_id,
                          project_id=result.admin_project_id,
                          roles=frozenset({"admin", "member", "reader"}),
                          is_admin_project=True)


def external_spec(settings: Settings) -> ExternalSpec | None:
    """The external network the settings ask for (None: none)."""
    if not settings.network_external_cidr:
        return None
    prefix = ipaddress.ip_network(settings.network_external_cidr, strict=True)
    last = prefix.broadcast_address - (1 if prefix.version == 4 else 0)
    start = settings.network_external_pool_start or str(prefix.network_address + 10)
    end = settings.network_external_pool_end or str(last - 4)
    return ExternalSpec(name="public", cidr=str(prefix),
                        gateway_ip=settings.network_external_gateway, pool_start=start,
                        pool_end=end)


def key_repositories(settings: Settings) -> tuple[KeyRepository, KeyRepository]:
    return (KeyRepository(settings.state_dir / "fernet-keys", settings.max_active_keys),
            KeyRepository(settings.state_dir / "credential-keys", settings.max_active_keys))


def build(settings: Settings, *, migrate: bool = True,
          overrides: Overrides | None = None) -> Cloud:
    """Settings -> drivers -> each area's services (`services/<area>/build.py`)."""
    o = overrides or Overrides()
    state: Path = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    engine = make_engine(settings.db_url)
    if migrate:
        upgrade(engine)
    token_keys, credential_keys = key_repositories(settings)
    token_keys.setup()
    credential_keys.setup()
    clock = o.clock or SystemClock()
    uow = SqlUnitOfWorkFactory(engine)
    auditor = Auditor(clock)
    inspector = o.inspector or OsloImageInspector()
    master_key = LocalKeyStore(state / "master.key")
    hasher = (Argon2PasswordHasher(time_cost=1, memory_cost=8)
              if settings.fast_password_hashing else Argon2PasswordHasher())
    identity = build_identity(IdentityPorts(
        uow=uow, clock=clock, hasher=hasher,
        tokens=FernetTokenCodec(token_keys), secrets=FernetSecretBox(credential_keys),
        auditor=auditor,
        config=IdentityConfig(
            token_expiration=settings.token_expiration,
            lockout_failure_attempts=settings.lockout_failure_attempts,
            lockout_duration=settings.lockout_duration,
            admin_project_name=settings.admin_project_name, region_id=settings.region,
            any_project_admin_is_cloud_admin=settings.any_project_admin_is_cloud_admin)))
    storage = build_storage(
        StoragePorts(
            uow=uow, blobs=FsBlobStore(state / "blobs"), keys=master_key, clock=clock,
            auditor=auditor,
            config=StorageConfig(region=settings.region,
                                 max_buckets=settings.storage_max_buckets,
                                 max_objects=settings.storage_max_objects,
                                 max_bytes=settings.storage_max_bytes,
                                 day_seconds=settings.lifecycle_day_seconds)),
        domain=settings.s3_domain, region_aliases=settings.s3_regions[1:])
    # Image blobs live in their own store: the S3 start-up scan removes every blob that no
    # object names, and image blobs are named by images, not objects.
    images = build_image(ImagePorts(
        uow=uow, blobs=FsBlobStore(state / "image-blobs"), keys=master_key, clock=clock,
        auditor=auditor, config=ImageConfig(size_cap=settings.image_size_cap),
        inspector=inspector))
    network_ports = NetworkPorts(
        uow=uow, clock=clock, auditor=auditor, agents=LocalNetworkAgentChannel(),
        config=NetworkConfig(
            segment_min=settings.network_vni_min, segment_max=settings.network_vni_max,
            # VXLAN's outer IPv4, UDP, VXLAN and Ethernet headers: 50 bytes.
            overlay_mtu=settings.network_underlay_mtu - 50,
            physical_mtu=settings.network_underlay_mtu,
            quotas=QuotaDefaults(network=settings.network_quota_networks,
                                 subnet=settings.network_quota_subnets,
                                 port=settings.network_quota_ports,
                                 security_group=settings.network_quota_security_groups,
                                 security_group_rule=(
                                     settings.network_quota_security_group_rules),
                                 router=settings.network_quota_routers,
                                 floatingip=settings.network_quota_floatingips),
            auto_allocation_pool=settings.network_auto_allocation_pool,
            auto_allocation_prefixlen=settings.network_auto_allocation_prefixlen))
    network = build_network(network_ports)
    # Volumes are placed on this machine's volume agent (one host, as compute's servers),
    # in its files, which tell the compute agent how a guest opens them.
    block_devices = o.block_devices or Qcow2Volumes(settings.state_dir / "volumes")
    volume = build_volume(VolumePorts(
        uow=uow, clock=clock, auditor=auditor, keys=master_key,
        config=VolumeConfig(host=o.hostname or socket.gethostname(), quotas=VolumeQuotaDefaults(
            volumes=settings.volume_quota_volumes, gigabytes=settings.volume_quota_gigabytes,
            snapshots=settings.volume_quota_snapshots, backups=settings.volume_quota_backups,
            backup_gigabytes=settings.volume_quota_backup_gigabytes)),
        images=o.image_source or LocalImageSource(images.images, images.data),
        # The volume agent registers its wake-up here (`VolumeAgentBells.register`).
        wake=VolumeAgentBells(),
        connect=lambda _host, volume_id: block_devices.connection(volume_id)))
    # After the network and volume services: compute's servers get their NICs and
    # volumes from them.
    compute = build_compute(
        ResourcePorts(uow=uow, clock=clock, auditor=auditor,
                      config=ComputeConfig(control_host=socket.gethostname(),
                                           host_ip=settings.host)),
        images=o.image_source or LocalImageSource(images.images, images.data),
        agents=LocalAgentChannel(), keypair_generator=RsaKeyPairGenerator(),
        networks=network.compute_binding,
        volumes=o.server_volumes or volume.compute_binding)
    return Cloud(settings=settings, engine=engine, token_keys=token_keys, identity=identity,
                 audit=AuditService(uow), storage=storage, images=images, compute=compute,
                 network=network, overrides=replace(o, inspector=inspector),
                 network_ports=network_ports, volume=volume,
                 _block_devices=block_devices)
