"""A server's security groups in Nova's words: the addSecurityGroup / removeSecurityGroup
actions and GET /servers/{id}/os-security-groups (Nova's proxy of the Neutron groups on
the server's ports; the network service applies them, services/network/compute_binding.py).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import caller
from nuage.domain.errors import ValidationError
from nuage.ports.compute_network import GroupRule, ServerGroup

Version = tuple[int, int]


def group_name(arg: object, version: Version) -> str:
    """The action's {"name": ...}, refused in Nova's words before the server is looked
    up (Nova parses first)."""
    if not isinstance(arg, dict):
        raise ValidationError("Missing parameter dict")
    if "name" not in arg:
        raise ValidationError("Security group not specified")
    name = arg["name"]
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("Security group name cannot be empty")
    return name


def render_rule(rule: GroupRule) -> dict[str, Any]:
    """Nova's security group rule: `group` names the remote group, else `ip_range`."""
    group: dict[str, Any] = {}
    ip_range: dict[str, Any] = {}
    if rule.remote_group_name is not None:
        group = {"name": rule.remote_group_name, "tenant_id": rule.remote_group_project_id}
    else:
        ip_range = {"cidr": rule.cidr}
    return {"id": rule.id, "parent_group_id": rule.parent_group_id,
            "ip_protocol": rule.protocol, "from_port": rule.from_port,
            "to_port": rule.to_port, "group": group, "ip_range": ip_range}


def render_group(group: ServerGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "description": group.description,
            "tenant_id": group.project_id, "rules": [render_rule(r) for r in group.rules]}


async def server_groups(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.servers.server_security_groups, ctx,
                       request.path_params["server_id"])
    return reply({"security_groups": [render_group(g) for g in found]})


ROUTES: list[Route] = [Route("/servers/{server_id}/os-security-groups", server_groups,
                             methods=["GET"])]
