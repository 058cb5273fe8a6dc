"""GET /extensions and /extensions/{alias}: the v2.0-era extension list, which Nova's v2.1
still serves (frozen; microversions replaced it).

Only the extensions whose routes, actions or attributes nuage really serves are listed,
so a client probing for a feature is not told it is there when it is not. Whatever is
added to the facade that Nova names as an extension belongs here too.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import reply
from nuage.api.openstack.compute.deps import deps
from nuage.domain.errors import NotFound

# Nova's v2.1 entries all carry these two fixed values.
NAMESPACE = "http://docs.openstack.org/compute/ext/fake_xml"
UPDATED = "2014-12-03T00:00:00Z"

# (name, alias, description)
EXTENSIONS: tuple[tuple[str, str, str], ...] = (
    ("AccessIPs", "os-access-ips", "Access IPs support."),
    ("AdminActions", "os-admin-actions", "Enable admin-only server actions (os-resetState)."),
    ("Aggregates", "os-aggregates", "Admin-only aggregate administration."),
    ("AvailabilityZone", "os-availability-zone", "1. Add availability_zone to the Create "
     "Server API. 2. Add availability zones describing."),
    ("ConfigDrive", "os-config-drive", "Config Drive Extension."),
    ("ConsoleOutput", "os-console-output", "Console log output support, with tailing "
     "ability."),
    ("CreateBackup", "os-create-backup", "Create a backup of a server."),
    ("ExtendedAvailabilityZone", "OS-EXT-AZ", "Extended Availability Zone support."),
    ("ExtendedServerAttributes", "OS-EXT-SRV-ATTR", "Extended Server Attributes support."),
    ("ExtendedStatus", "OS-EXT-STS", "Extended Status support."),
    ("Extensions", "extensions", "Extension information."),
    ("FlavorAccess", "os-flavor-access", "Flavor access support."),
    ("FlavorExtraData", "OS-FLV-EXT-DATA", "Provide additional data for flavors."),
    ("FlavorExtraSpecs", "os-flavor-extra-specs", "Flavors extra specs support."),
    ("FlavorManage", "os-flavor-manage", "Flavor create/delete API support."),
    ("FlavorRxtx", "os-flavor-rxtx", "Support to show the rxtx status of a flavor."),
    ("Flavors", "flavors", "Flavors Extension."),
    ("Hosts", "os-hosts", "Admin-only host administration."),
    ("Hypervisors", "os-hypervisors", "Admin-only hypervisor administration."),
    ("ImageMetadata", "image-metadata", "Image metadata."),
    ("ImageSize", "OS-EXT-IMG-SIZE", "Adds image size to image listings."),
    ("Images", "images", "Proxying API for Images."),
    ("InstanceActions", "os-instance-actions", "View a log of actions and events taken on "
     "an instance."),
    ("Keypairs", "os-keypairs", "Keypair Support."),
    ("Limits", "limits", "Limits support."),
    ("Lock", "os-lock-server", "Enable lock/unlock server actions."),
    ("Migrations", "os-migrations", "Provide data on migrations."),
    ("MultipleCreate", "os-multiple-create", "Allow multiple create in the Create Server "
     "v2.1 API."),
    ("PauseServer", "os-pause-server", "Enable pause/unpause server actions."),
    ("QuotaClasses", "os-quota-class-sets", "Quota classes management support."),
    ("Quotas", "os-quota-sets", "Quotas management support."),
    ("ServerDiagnostics", "os-server-diagnostics", "Allow Admins to view server "
     "diagnostics through server action."),
    ("ServerMetadata", "server-metadata", "Server metadata Support."),
    ("ServerUsage", "OS-SRV-USG", "Adds launched_at and terminated_at on Servers."),
    ("Servers", "servers", "Servers."),
    ("ServerStartStop", "os-server-start-stop", "Start/Stop instance compute API support."),
    ("Services", "os-services", "Services support."),
    ("SimpleTenantUsage", "os-simple-tenant-usage", "Simple tenant usage extension."),
    ("SuspendServer", "os-suspend-server", "Enable suspend/resume server actions."),
    ("UsedLimits", "os-used-limits", "Provide data on limited resources that are being "
     "used."),
    ("UserData", "os-user-data", "Add user_data to the Create Server API."),
    ("Versions", "versions", "API Version information."),
)


def extension(name: str, alias: str, description: str) -> dict[str, Any]:
    return {"name": name, "alias": alias, "description": description,
            "namespace": NAMESPACE, "updated": UPDATED, "links": []}


async def list_extensions(request: Request) -> Response:
    d = deps(request)
    await d.ctx(request)
    return reply({"extensions": [extension(*e) for e in EXTENSIONS]})


async def show_extension(request: Request) -> Response:
    d = deps(request)
    await d.ctx(request)
    alias = request.path_params["alias"]
    for e in EXTENSIONS:
        if e[1] == alias:
            return reply({"extension": extension(*e)})
    raise NotFound("extension", alias)


ROUTES: list[Route] = [
    Route("/extensions", list_extensions, methods=["GET"]),
    Route("/extensions/{alias}", show_extension, methods=["GET"]),
]
