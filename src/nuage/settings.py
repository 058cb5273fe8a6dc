"""The one typed Settings: defaults, then a TOML file, then NUAGE_* environment variables."""

from __future__ import annotations

import errno
import ipaddress
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nuage"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NUAGE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8800, ge=1, le=65535)
    # Base URL the catalog advertises; defaults to http://host:port.
    public_url: str | None = None
    state_dir: Path = Field(default_factory=_default_state_dir)
    # SQLAlchemy URL; defaults to SQLite in the state directory.
    database_url: str | None = None
    region: str = "RegionOne"
    # ISO 3166-1 alpha-2 country of this region's machines (residency rules read it).
    region_country: str = "FR"
    token_expiration: int = Field(3600, ge=60)
    lockout_failure_attempts: int = Field(5, ge=0)
    lockout_duration: int = Field(1800, ge=1)
    max_active_keys: int = Field(3, ge=2)
    admin_project_name: str = "admin"
    # Keystone without a configured admin project: the admin role on any project makes a
    # cloud administrator. Off by default (only the admin project or the system counts);
    # Tempest needs it, as its dynamic admin is an admin of a project it makes itself.
    any_project_admin_is_cloud_admin: bool = False
    # Also merge the `nuage` cloud into ~/.config/openstack/clouds.yaml.
    user_clouds_yaml: bool = True
    log_level: str = "info"
    # S3 listens on its own port; virtual-hosted-style requests use <bucket>.<s3_domain>.
    s3_port: int = Field(8801, ge=1, le=65535)
    s3_domain: str = "s3.localhost"
    # Base URL the catalog advertises for S3; defaults to http://host:s3_port.
    s3_public_url: str | None = None
    # Regions S3 also accepts in signatures, comma-separated: clients sign with us-east-1
    # unless told otherwise (aws-cli, boto3, rclone, s3cmd).
    s3_region_aliases: str = "us-east-1"
    # Per-project storage defaults (-1: unlimited); a project's own row overrides them.
    storage_max_buckets: int = 100
    storage_max_objects: int = -1
    storage_max_bytes: int = -1
    # Glance's image_size_cap: image uploads above it are refused (413). Default 1 TiB.
    image_size_cap: int = Field(1 << 40, ge=1)
    # Neutron: the VXLAN ids (VNIs, 24 bits) project networks get, allocated centrally; the
    # underlay's MTU (flat and VLAN networks get it, VXLAN ones 50 bytes less); per-project
    # network quotas (Neutron's defaults; -1: unlimited).
    network_vni_min: int = Field(1, ge=1, le=(1 << 24) - 1)
    network_vni_max: int = Field((1 << 24) - 1, ge=1, le=(1 << 24) - 1)
    network_underlay_mtu: int = Field(1500, ge=1280, le=9216)
    network_quota_networks: int = Field(100, ge=-1)
    network_quota_subnets: int = Field(100, ge=-1)
    network_quota_ports: int = Field(500, ge=-1)
    network_quota_security_groups: int = Field(10, ge=-1)
    network_quota_security_group_rules: int = Field(100, ge=-1)
    # Run this machine's network datapath (bridges, DHCP, nftables) and its agent inside
    # `nuage up`: true, false, or auto (on when root with nft and dnsmasq installed). Off,
    # ports stay DOWN. NUAGE_NETWORK_PREFIX names every namespace it creates
    # (<prefix>-dp, <prefix>-dhcp-<network>): two clouds on one machine need two prefixes.
    network_datapath: Literal["auto"] | bool = "auto"
    network_prefix: str = Field("nuage", min_length=1, max_length=11,
                                pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    network_quota_routers: int = Field(10, ge=-1)
    # Cinder: per-project volume quotas (Cinder's defaults; -1: unlimited). Snapshots count
    # in the gigabytes too.
    volume_quota_volumes: int = Field(10, ge=-1)
    volume_quota_gigabytes: int = Field(1000, ge=-1)
    volume_quota_snapshots: int = Field(10, ge=-1)
    volume_quota_backups: int = Field(10, ge=-1)
    volume_quota_backup_gigabytes: int = Field(1000, ge=-1)
    network_quota_floatingips: int = Field(50, ge=-1)
    # The external network ("public": router gateways, floating IPs) made on first start,
    # when the cloud has no external network. An empty CIDR makes none. Gateway and pool
    # default to the prefix's first address and its addresses 10 .. (last usable - 4)
    # (.10-.250 of a /24).
    network_external_cidr: str = "203.0.113.0/24"
    network_external_gateway: str | None = None
    network_external_pool_start: str | None = None
    network_external_pool_end: str | None = None
    # Neutron's auto-allocated topology takes its subnet from the default IPv4 subnet pool;
    # while the cloud has none, this prefix plays that pool ("" for none: no
    # auto-allocation) and each project's topology gets a /N of it (the first free one).
    network_auto_allocation_pool: str = "10.128.0.0/12"
    network_auto_allocation_prefixlen: int = Field(24, ge=8, le=29)

    @field_validator("network_auto_allocation_pool")
    @classmethod
    def _auto_allocation_pool(cls, value: str) -> str:
        if value and ipaddress.ip_network(value, strict=True).version != 4:
            raise ValueError("the auto-allocation pool is an IPv4 prefix")
        return value

    # A shared default IPv4 subnet pool made on start while the cloud has no default IPv4
    # pool (`use_default_subnetpool`, the auto-allocated topology); empty (the default):
    # none. Devstack's is 10.0.0.0/22 with /26 subnets; choose a range that is not the
    # external CIDR's nor one the guests must reach outside the cloud.
    network_default_subnetpool: str = ""
    network_default_subnetpool_prefixlen: int = Field(26, ge=8, le=30)

    @field_validator("network_external_cidr", "network_default_subnetpool")
    @classmethod
    def _external_prefix(cls, value: str) -> str:
        """A mistyped prefix fails the start, not the first router."""
        if value:
            ipaddress.ip_network(value, strict=True)
        return value

    @field_validator("network_external_gateway", "network_external_pool_start",
                     "network_external_pool_end")
    @classmethod
    def _external_address(cls, value: str | None) -> str | None:
        if value:
            ipaddress.ip_address(value)
        return value or None
    # How often the storage worker runs lifecycle rules, and a lifecycle "day" (tests only).
    lifecycle_interval: float = Field(3600.0, gt=0)
    lifecycle_day_seconds: int = Field(86400, ge=1)
    # Run this machine's compute agent (QEMU guests) inside `nuage up`.
    compute: bool = True
    # Where the default guest image is built once and reused (it is the same for every
    # state directory of the machine).
    guest_image_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "nuage"
                                  / "guest-image")
    # Overcommit of this host's CPUs, RAM and disk (Nova's allocation ratios).
    cpu_allocation_ratio: float = Field(16.0, gt=0)
    ram_allocation_ratio: float = Field(1.5, gt=0)
    disk_allocation_ratio: float = Field(1.0, gt=0)
    # The guests' accelerator: "auto" probes /dev/kvm (KVM only if it runs a probe guest
    # about as fast as TCG, see drivers/qemu/host.py); "kvm" or "tcg" forces it.
    accelerator: Literal["auto", "kvm", "tcg"] = "auto"
    # Seconds a started guest gets to write its first byte on its serial console before the
    # console watchdog acts (a KVM guest is restarted under TCG, others go to ERROR;
    # docs/architecture/compute.md). 0: no watchdog (images without a serial console).
    console_deadline: float = Field(60.0, ge=0)
    # Seconds a guest gets to power off on ACPI before a hard stop.
    guest_stop_timeout: float = Field(60.0, gt=0)
    # Seconds a cached (plaintext) image no guest on the host uses is kept before removal.
    image_cache_max_idle: float = Field(86400.0, ge=0)
    # Cheap password hashing for test suites only (argon2 with minimal cost).
    fast_password_hashing: bool = False

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = os.environ.get("NUAGE_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config:
            if not Path(config).is_file():
                # A mistyped path must not silently mean "all defaults".
                raise FileNotFoundError(errno.ENOENT, "NUAGE_CONFIG names no file", config)
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def s3_url(self) -> str:
        return (self.s3_public_url or f"http://{self.host}:{self.s3_port}").rstrip("/")

    @property
    def s3_regions(self) -> tuple[str, ...]:
        """The region, then its aliases: the regions an S3 signature may name."""
        aliases = (a.strip() for a in self.s3_region_aliases.split(","))
        return (self.region, *(a for a in aliases if a and a != self.region))

    @property
    def identity_url(self) -> str:
        return f"{self.base_url}/identity"

    @property
    def image_url(self) -> str:
        return f"{self.base_url}/image"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'nuage.db'}"
