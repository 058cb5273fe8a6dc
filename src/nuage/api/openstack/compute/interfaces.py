"""Nova's os-interface: GET/POST /servers/{id}/os-interface, GET/DELETE
/servers/{id}/os-interface/{port_id} (services/compute/interfaces.py decides).

Bodies as Nova's: `interfaceAttachment` with port_state, fixed_ips, port_id, net_id,
mac_addr, and `tag` from 2.70; a create takes `port_id`, or `net_id` with at most one
`fixed_ips` [{ip_address}], or nothing, and `tag` from 2.49 (before it, an unknown
property). POST answers 200 with the attachment, DELETE 202.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import parse_json, read_body
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import Deps, caller
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.errors import ValidationError
from nuage.ports.compute_network import ServerNic
from nuage.services.compute.interfaces import InterfaceRequest

TAG_ATTACH = (2, 49)      # a create may tag the device
TAG_SHOWN = (2, 70)       # attachments show their tag
_FIELDS = {"net_id", "port_id", "fixed_ips"}


def render(nic: ServerNic, version: tuple[int, int]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "port_state": nic.status, "port_id": nic.port_id, "net_id": nic.network_id,
        "mac_addr": nic.mac,
        "fixed_ips": [{"subnet_id": a.subnet_id, "ip_address": a.address}
                      for a in nic.addresses]}
    if version >= TAG_SHOWN:
        body["tag"] = nic.tag
    return body


def _invalid(field: str, problem: str) -> ValidationError:
    return ValidationError(f"Invalid input for field/attribute {field}. Value: {problem}")


def attach_request(body: object, version: tuple[int, int]) -> InterfaceRequest:
    """Nova's create schema, checked before the server is looked up."""
    if body is None:
        return InterfaceRequest()
    if not isinstance(body, dict) or set(body) - {"interfaceAttachment"}:
        raise ValidationError("Additional properties are not allowed")
    att = body.get("interfaceAttachment")
    if att is None:
        return InterfaceRequest()
    if not isinstance(att, dict):
        raise _invalid("interfaceAttachment", f"{att!r} is not of type 'object'")
    allowed = _FIELDS | ({"tag"} if version >= TAG_ATTACH else set())
    extra = sorted(set(att) - allowed)
    if extra:
        if extra == ["tag"]:
            raise ValidationError(ComputeFault.INTERFACE_TAG_UNSUPPORTED)
        raise ValidationError(f"Additional properties are not allowed ({extra[0]!r} was "
                              "unexpected)")
    net_id = _uuid_or_none(att.get("net_id"), "net_id")
    port_id = _uuid_or_none(att.get("port_id"), "port_id")
    fixed_ip = None
    if "fixed_ips" in att:
        ips = att["fixed_ips"]
        if not isinstance(ips, list) or len(ips) != 1 or not isinstance(ips[0], dict) \
                or set(ips[0]) != {"ip_address"}:
            raise _invalid("fixed_ips", f"{ips!r}: one object with only ip_address")
        fixed_ip = ips[0]["ip_address"]
        try:
            ipaddress.ip_address(fixed_ip)
        except (TypeError, ValueError) as exc:
            raise _invalid("fixed_ips/0/ip_address",
                           f"{fixed_ip!r} is not a 'ip-address'") from exc
    tag = att.get("tag")
    if tag is not None and (not isinstance(tag, str) or not 1 <= len(tag) <= 60
                            or "/" in tag or "," in tag):
        raise _invalid("tag", f"{tag!r} does not match '^[^,/]*$'")
    return InterfaceRequest(port_id=port_id, network_id=net_id, fixed_ip=str(fixed_ip)
                            if fixed_ip is not None else None, tag=tag)


def _uuid_or_none(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(field, f"{value!r} is not of type 'string'")
    try:
        uuid.UUID(value)
    except ValueError as exc:
        raise _invalid(field, f"{value} is not a 'uuid'") from exc
    return value


async def interfaces(request: Request) -> Response:
    d, ctx = await caller(request)
    server_id = request.path_params["server_id"]
    version = Deps.version(request)
    if request.method == "GET":
        found = await call(d.s.interfaces.list, ctx, server_id)
        return reply({"interfaceAttachments": [render(n, version) for n in found]})
    raw = await read_body(request)
    asked = attach_request(parse_json(raw) if raw.strip() else None, version)
    nic = await call(d.s.interfaces.attach, ctx, server_id, asked)
    return reply({"interfaceAttachment": render(nic, version)})


async def interface(request: Request) -> Response:
    d, ctx = await caller(request)
    server_id, port_id = request.path_params["server_id"], request.path_params["port_id"]
    if request.method == "GET":
        nic = await call(d.s.interfaces.show, ctx, server_id, port_id)
        return reply({"interfaceAttachment": render(nic, Deps.version(request))})
    await call(d.s.interfaces.detach, ctx, server_id, port_id)
    return empty(202)


ROUTES: list[Route] = [
    Route("/servers/{server_id}/os-interface", interfaces, methods=["GET", "POST"]),
    Route("/servers/{server_id}/os-interface/{port_id}", interface,
          methods=["GET", "DELETE"]),
]
