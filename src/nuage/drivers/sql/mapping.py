"""Maps the domain dataclasses onto the tables (classical mapping: the domain stays pure)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.orm import registry

from nuage.domain import audit as audit_domain
from nuage.domain import compute as cp
from nuage.domain import identity as idm
from nuage.domain import image as img
from nuage.domain import network as net
from nuage.domain import network_l3 as l3
from nuage.domain import network_pools as pools
from nuage.domain import network_rbac as rbac
from nuage.domain import network_security as sg
from nuage.domain import storage as st
from nuage.domain import volume as vol
from nuage.drivers.sql import (
    compute_tables,
    identity_tables,
    image_tables,
    network_tables,
    storage_tables,
    volume_tables,
)
from nuage.drivers.sql.types import metadata

mapper_registry = registry(metadata=metadata)
_mapped = False

MAPPINGS: list[tuple[type, Table]] = [
    (idm.Domain, identity_tables.domains),
    (idm.Project, identity_tables.projects),
    (idm.User, identity_tables.users),
    (idm.Group, identity_tables.groups),
    (idm.GroupMembership, identity_tables.group_memberships),
    (idm.Role, identity_tables.roles),
    (idm.ImpliedRole, identity_tables.implied_roles),
    (idm.Assignment, identity_tables.assignments),
    (idm.Region, identity_tables.regions),
    (idm.Service, identity_tables.services),
    (idm.Endpoint, identity_tables.endpoints),
    (idm.ApplicationCredential, identity_tables.application_credentials),
    (idm.Credential, identity_tables.credentials),
    (idm.RevocationEvent, identity_tables.revocation_events),
    (audit_domain.AuditEvent, identity_tables.audit_events),
    (audit_domain.AuditChainHead, identity_tables.audit_chain),
    (st.Bucket, storage_tables.buckets),
    (st.ObjectVersion, storage_tables.object_versions),
    (st.MultipartUpload, storage_tables.multipart_uploads),
    (st.Part, storage_tables.upload_parts),
    (st.StorageQuota, storage_tables.storage_quotas),
    (st.GarbageBlob, storage_tables.garbage_blobs),
    (st.MeteringEvent, storage_tables.metering_events),
    (img.Image, image_tables.images),
    (img.ImageMember, image_tables.image_members),
    (cp.Flavor, compute_tables.flavors),
    (cp.FlavorAccess, compute_tables.flavor_access),
    (cp.Keypair, compute_tables.keypairs),
    (cp.Server, compute_tables.servers),
    (cp.InstanceAction, compute_tables.instance_actions),
    (cp.ComputeHost, compute_tables.compute_hosts),
    (cp.Allocation, compute_tables.allocations),
    (cp.ComputeQuota, compute_tables.compute_quotas),
    (cp.QuotaClass, compute_tables.compute_quota_classes),
    (cp.Aggregate, compute_tables.aggregates),
    (net.Network, network_tables.networks),
    (net.Segment, network_tables.network_segments),
    (net.Subnet, network_tables.subnets),
    (net.Port, network_tables.ports),
    (net.IpAllocation, network_tables.ip_allocations),
    (net.NetworkQuota, network_tables.network_quotas),
    (sg.SecurityGroup, network_tables.security_groups),
    (sg.SecurityGroupRule, network_tables.security_group_rules),
    (sg.DefaultSecurityGroup, network_tables.default_security_groups),
    (sg.PortSecurityGroup, network_tables.port_security_groups),
    (l3.Router, network_tables.routers),
    (l3.FloatingIp, network_tables.floating_ips),
    (l3.AutoAllocatedTopology, network_tables.auto_allocated_topologies),


    (pools.SubnetPool, network_tables.subnetpools),


    (rbac.RbacPolicy, network_tables.rbac_policies),
    (vol.VolumeType, volume_tables.volume_types),
    (vol.Volume, volume_tables.volumes),
    (vol.Snapshot, volume_tables.volume_snapshots),
    (vol.VolumeAttachment, volume_tables.volume_attachments),
    (vol.Backup, volume_tables.volume_backups),
    (vol.VolumeQuota, volume_tables.volume_quotas),
]


def map_domain() -> None:
    """Idempotent: mapping twice would fail, and tests build many engines."""
    global _mapped
    if _mapped:
        return
    for cls, table in MAPPINGS:
        mapper_registry.map_imperatively(cls, table)
    _mapped = True
