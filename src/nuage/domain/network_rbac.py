"""Neutron's RBAC policies on networks: a network's owner grants another project (or every
project, `*`) an action on it.

`access_as_shared` lets the target project see the network (and its subnets) and attach
ports and servers to it. A policy targeting `*` is what `shared: true` on the network
means; the network's `shared` column is kept in step with that row in the same
transaction (services/network/rbac.py), so the policies table stays the truth and the
column a cached answer to "is there a wildcard?".

`access_as_external` makes the network an external network for the target project (it
sees it, and uses it as a router gateway and a floating IP pool). `router:external` on
the network (the `external` column) means "some project has it as external"; a network
made external through the network API has the wildcard policy (every project), one made
external by a targeted policy only the projects named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

WILDCARD = "*"


class RbacObjectType(StrEnum):
    NETWORK = "network"


class RbacAction(StrEnum):
    ACCESS_AS_EXTERNAL = "access_as_external"
    ACCESS_AS_SHARED = "access_as_shared"


@dataclass
class RbacPolicy:
    id: str
    # The project that made the grant (the network's owner, or the one an admin names).
    project_id: str
    object_type: str
    object_id: str
    action: str
    # A project id, or WILDCARD.
    target_tenant: str
    created_at: datetime
    updated_at: datetime
