"""The two trees a guest reads, OpenStack's and EC2's, and how a path walks them (Nova's
api/metadata/base.py: the versions, which files each version has, how a directory is
listed). Pure functions of what the services found."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from nuage.domain.instance_metadata import (
    InstanceFacts,
    ec2_meta_data,
    meta_data,
    network_data,
)
from nuage.services.network.metadata import GuestNetworking

OPENSTACK_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
                      "2016-10-06", "2017-02-22", "2018-08-27", "2020-10-14")
# The version from which each file exists (older readers never see it).
SINCE = {"meta_data.json": "2012-08-10", "user_data": "2012-08-10",
         "vendor_data.json": "2013-10-17", "network_data.json": "2015-10-15",
         "vendor_data2.json": "2016-10-06"}
EC2_VERSIONS = ("1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
                "2008-02-01", "2008-09-01", "2009-04-04")

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"


@dataclass(frozen=True)
class Guest:
    server: InstanceFacts
    networking: GuestNetworking

    @property
    def user_data(self) -> bytes | None:
        raw = self.server.user_data
        return base64.b64decode(raw) if raw else None


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str


def listing(names: list[str]) -> Answer:
    return Answer("\n".join(names).encode(), TEXT)


def openstack(guest: Guest, parts: list[str]) -> Answer | None:
    """/openstack/<version>[/<file>]; None: no such thing (404)."""
    version = parts[0]
    if version != "latest" and version not in OPENSTACK_VERSIONS:
        return None
    present = [name for name, since in SINCE.items()
               if (version == "latest" or version >= since)
               and (name != "user_data" or guest.user_data is not None)]
    if len(parts) == 1:
        return listing(present)
    if len(parts) != 2 or parts[1] not in present:
        return None
    name = parts[1]
    if name == "user_data":
        assert guest.user_data is not None
        return Answer(guest.user_data, BINARY)
    value: dict[str, Any]
    if name == "meta_data.json":
        value = meta_data(guest.server)
    elif name == "network_data.json":
        value = network_data(guest.networking.nics)
    else:
        # No vendor data providers: both are empty, as Nova's without any configured.
        value = {}
    return Answer(json.dumps(value, sort_keys=True).encode(), JSON)


def ec2(guest: Guest, parts: list[str]) -> Answer | None:
    """/<version>/[meta-data/...|user-data]; None: no such thing (404)."""
    version = parts[0]
    if version != "latest" and version not in EC2_VERSIONS:
        return None
    tree: dict[str, Any] = {"meta-data": ec2_meta_data(
        guest.server, guest.networking.nics, guest.networking.public_ipv4)}
    if guest.user_data is not None:
        tree["user-data"] = guest.user_data
    node: Any = tree
    for part in parts[1:]:
        if not isinstance(node, dict) or part not in node or part == "_name":
            return None
        node = node[part]
    if isinstance(node, dict):
        return listing(_entries(node))
    if isinstance(node, bytes):
        return Answer(node, BINARY)
    return Answer(str(node).encode(), TEXT)


def _entries(node: dict[str, Any]) -> list[str]:
    """Nova's ec2_md_print: a directory shows as "name/", one with a _name as that."""
    out = []
    for key in sorted(node):
        if key == "_name":
            continue
        value = node[key]
        if isinstance(value, dict):
            out.append(str(value["_name"]) if "_name" in value else f"{key}/")
        else:
            out.append(key)
    return out
