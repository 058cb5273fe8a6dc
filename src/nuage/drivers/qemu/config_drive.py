"""The config drive: an ISO 9660 volume labelled config-2, laid out as OpenStack's
(openstack/latest/meta_data.json, user_data, network_data.json, vendor_data.json,
vendor_data2.json, and the 2012-08-10 version for old readers), so cloud-init and our
default guest image read it unchanged. Rock Ridge and Joliet carry the real file names,
as Nova's genisoimage -J -r does."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pycdlib

from nuage.ports.hypervisor import ConfigDrive

LABEL = "config-2"


def _files(drive: ConfigDrive) -> dict[str, bytes]:
    def dumps(value: object) -> bytes:
        return json.dumps(value, sort_keys=True).encode()

    latest = {
        "meta_data.json": dumps(drive.meta_data),
        "network_data.json": dumps(drive.network_data),
        "vendor_data.json": dumps(drive.vendor_data),
        # Nova's dynamic vendor data, where the static part sits under "static".
        "vendor_data2.json": dumps({"static": drive.vendor_data} if drive.vendor_data else {}),
    }
    old = {"meta_data.json": latest["meta_data.json"]}
    if drive.user_data is not None:
        latest["user_data"] = drive.user_data
        old["user_data"] = drive.user_data
    files = {f"openstack/latest/{name}": data for name, data in latest.items()}
    files.update({f"openstack/2012-08-10/{name}": data for name, data in old.items()})
    return files


def write_config_drive(drive: ConfigDrive, dest: Path) -> None:
    """Write the ISO atomically (a temporary file renamed over `dest`)."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=4, rock_ridge="1.09", joliet=3, vol_ident=LABEL)
    made: set[str] = set()
    files = _files(drive)
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            directory = "/".join(parts[:depth])
            if directory not in made:
                made.add(directory)
                iso.add_directory(
                    _iso_path(directory), rr_name=parts[depth - 1], joliet_path="/" + directory
                )
        data = files[path]
        iso.add_fp(
            io.BytesIO(data), len(data), _iso_path(path) + ";1",
            rr_name=parts[-1], joliet_path="/" + path,
        )
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}")
    try:
        iso.write(str(tmp))
        iso.close()
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _iso_path(path: str) -> str:
    # ISO 9660 proper wants d-characters (A-Z, 0-9, _); readers use the Rock Ridge names.
    return "/" + "/".join(
        "".join(c if c.isalnum() else "_" for c in part.upper()) for part in path.split("/")
    )
