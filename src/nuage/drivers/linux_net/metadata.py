"""Metadata proxies: where guests' requests to http://169.254.169.254 end up.

Two paths, as in Neutron, each a `metadata_proxy` process listening on 169.254.169.254:80
inside a namespace and forwarding to the metadata service's unix socket:

- in each DHCP namespace (the address on `ns-dhcp`; DHCP gives guests the host route
  169.254.169.254/32 via the DHCP port), saying `X-Nuage-Network-Id`: works on networks
  without a router, for guests that apply classless static routes (DHCP option 121);
- in each router namespace (the address on `lo`: a guest's default route brings the
  request to the router, which delivers it locally), saying `X-Nuage-Router-Id`.

Both add `X-Forwarded-For: <guest address>`. The service finds the port from (network,
address) or (router, address): a router's subnets cannot overlap, and anti-spoofing makes
the address the guest's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nuage.drivers.linux_net import processes

ADDRESS = "169.254.169.254"
PID = "metadata.pid"


def ensure(ns: str, files: Path, kind: str, object_id: str, socket_path: Path) -> None:
    """The proxy for this network or router ("network" or "router"), running."""
    marker = _marker(kind, object_id)
    pid_file = files / PID
    found = processes.running(pid_file, marker)
    if found is not None and str(socket_path).encode() in Path(
            f"/proc/{found}/cmdline").read_bytes():
        return
    processes.stop(pid_file, marker)
    files.mkdir(parents=True, exist_ok=True)
    processes.spawn(ns, [sys.executable, "-m", "nuage.drivers.linux_net.metadata_proxy",
                         f"--{kind}-id", object_id, "--socket", str(socket_path),
                         "--pid-file", str(pid_file)],
                    pid_file, marker, files / "metadata.log")


def stop(files: Path, kind: str, object_id: str) -> None:
    processes.stop(files / PID, _marker(kind, object_id))
    (files / PID).unlink(missing_ok=True)


def running(files: Path, kind: str, object_id: str) -> int | None:
    return processes.running(files / PID, _marker(kind, object_id))


def _marker(kind: str, object_id: str) -> str:
    return f"--{kind}-id\0{object_id}"
