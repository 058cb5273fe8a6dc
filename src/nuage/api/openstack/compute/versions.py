"""Version discovery and microversions: nuage implements 2.1 to 2.100 (the maximum of
Nova 2025.1, the newest release whose history and Tempest schemas could be checked) and
says so.

What each microversion changes, for the APIs nuage serves, is listed in
docs/api-coverage.md; the handlers of each API decide from `Deps.version`.
"""

from __future__ import annotations

import re
from typing import Any

from nuage.domain.errors import NuageError

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 100)
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")


class NotAcceptable(NuageError):
    """A microversion outside [min, max] (406)."""


def text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def requested(headers: Any) -> tuple[int, int]:
    """The microversion a request asks for (either header); 2.1 when absent."""
    value = None
    new = headers.get("openstack-api-version")
    if new:
        for part in new.split(","):
            service, _, ver = part.strip().partition(" ")
            if service.lower() == "compute":
                value = ver.strip()
    if value is None:
        value = headers.get("x-openstack-nova-api-version")
    if value is None:
        return MIN_VERSION
    if value.lower() == "latest":
        return MAX_VERSION
    m = _VERSION_RE.match(value.strip())
    if not m:
        raise NotAcceptable(f"Invalid API version request: {value}")
    version = (int(m.group(1)), int(m.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise NotAcceptable(f"Version {value} is not supported by the API. Minimum is "
                            f"{text(MIN_VERSION)} and maximum is {text(MAX_VERSION)}.")
    return version


def response_headers(version: tuple[int, int]) -> dict[str, str]:
    return {"OpenStack-API-Version": f"compute {text(version)}",
            "X-OpenStack-Nova-API-Version": text(version),
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version"}


def documents(base: str) -> dict[str, Any]:
    """base is the unversioned compute URL, e.g. http://h:p/compute."""
    v20 = {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
           "updated": "2011-01-21T11:33:21Z",
           "links": [{"rel": "self", "href": f"{base}/v2/"}]}
    v21 = {"id": "v2.1", "status": "CURRENT", "version": text(MAX_VERSION),
           "min_version": text(MIN_VERSION), "updated": "2013-07-23T11:33:21Z",
           "links": [{"rel": "self", "href": f"{base}/v2.1/"}],
           "media-types": [{"base": "application/json",
                            "type": "application/vnd.openstack.compute+json;version=2.1"}]}
    return {"v2.0": v20, "v2.1": v21}
