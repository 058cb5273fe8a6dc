"""The compute use cases of one deployment, built from their ports (see `build_identity`).

The Nova adapter, the CLI and the host agent take them from `ComputeServices`; the image
service and the agents are reached only through their ports (`ImageSource`,
`AgentChannel`), so another deployment can serve those remotely.
"""

from __future__ import annotations

from dataclasses import dataclass

from nuage.ports.compute import AgentChannel, ImageSource
from nuage.ports.compute_network import ServerNetworks
from nuage.ports.compute_volumes import ServerVolumes
from nuage.ports.crypto import KeyPairGenerator
from nuage.services.compute.aggregates import AggregateService
from nuage.services.compute.base import ResourcePorts
from nuage.services.compute.diagnostics import DiagnosticsService
from nuage.services.compute.flavors import FlavorService
from nuage.services.compute.hosts import HostService
from nuage.services.compute.interfaces import InterfaceService
from nuage.services.compute.keypairs import KeypairService
from nuage.services.compute.metadata import InstanceLookup
from nuage.services.compute.quotas import QuotaService
from nuage.services.compute.server_actions import ServerActionService
from nuage.services.compute.servers import ComputePorts, ServerService
from nuage.services.compute.usage import UsageService
from nuage.services.compute.volume_attachments import VolumeAttachmentService


@dataclass(frozen=True)
class ComputeServices:
    flavors: FlavorService
    keypairs: KeypairService
    quotas: QuotaService
    hosts: HostService
    aggregates: AggregateService
    servers: ServerService
    server_actions: ServerActionService
    usage: UsageService
    diagnostics: DiagnosticsService
    interfaces: InterfaceService
    volume_attachments: VolumeAttachmentService
    agents: AgentChannel
    # What the server use cases and the host reconciler run on.
    ports: ComputePorts
    # The server a guest is, for the metadata service (api/metadata).
    instances: InstanceLookup


def build_compute(ports: ResourcePorts, *, images: ImageSource, agents: AgentChannel,
                  keypair_generator: KeyPairGenerator | None = None,
                  networks: ServerNetworks | None = None,
                  volumes: ServerVolumes | None = None) -> ComputeServices:
    """`images`: how compute reads and publishes images; `agents`: how it reaches the
    hosts' agents; `keypair_generator`: makes a key pair when a client asks for one;
    `networks`: the servers' NICs (None: no networks to give); `volumes`: the servers'
    volumes (None: a cloud without block storage)."""
    quotas = QuotaService(ports, networks)
    server_ports = ComputePorts(uow=ports.uow, clock=ports.clock, auditor=ports.auditor,
                                images=images, quota_check=quotas.check, agents=agents,
                                networks=networks, volumes=volumes)
    return ComputeServices(
        flavors=FlavorService(ports),
        keypairs=KeypairService(ports, quotas, keypair_generator), quotas=quotas,
        hosts=HostService(ports, agents), aggregates=AggregateService(ports),
        servers=ServerService(server_ports),
        server_actions=ServerActionService(server_ports),
        usage=UsageService(ports), diagnostics=DiagnosticsService(server_ports),
        interfaces=InterfaceService(server_ports),
        volume_attachments=VolumeAttachmentService(server_ports),
        agents=agents, ports=server_ports, instances=InstanceLookup(ports.uow))
