"""The server a guest is, for the metadata service: asked with the server id and the
project of the port the request came through (services/network/metadata.py found both).

A server of another project than its port's is not told (a port's device_id is whatever
its owner wrote: naming someone else's server must not reveal it), nor a deleted one.
"""

from __future__ import annotations

from nuage.domain.instance_metadata import InstanceFacts
from nuage.ports.repositories import UnitOfWorkFactory


class InstanceLookup:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    def instance(self, server_id: str, project_id: str) -> InstanceFacts | None:
        with self.uow() as uow:
            s = uow.servers.get(server_id)
            if s is None or s.deleted or s.project_id != project_id:
                return None
            return InstanceFacts(
                id=s.id, name=s.name, project_id=s.project_id,
                hostname=s.hostname or "server",
                availability_zone=s.availability_zone or "nova",
                launch_index=s.launch_index, key_name=s.key_name, key_data=s.key_data,
                user_data=s.user_data, metadata=dict(s.metadata), number=s.number,
                image_id=s.image_id or "", flavor_name=str(s.flavor.get("name", "")),
                reservation_id=s.reservation_id)
