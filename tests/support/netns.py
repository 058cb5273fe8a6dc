"""Helpers for the datapath tests: a fabric under a per-test prefix, stand-in guests
(network namespaces plugged by veth where a VM's TAP would be), and traffic checks run
inside namespaces. Nothing here touches the root namespace's interfaces or routes."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces, remove_namespace

needs_root_net = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("nft") is None or shutil.which("dnsmasq") is None,
    reason="creating network namespaces, bridges and nftables rules needs root, "
           "nft (nftables) and dnsmasq (dnsmasq-base)")


def unique_prefix() -> str:
    """Short (the external bridge `<prefix>-ext` must fit in 15 bytes) and unique."""
    return "nt" + secrets.token_hex(3)


@contextlib.contextmanager
def linux_fabric(state_dir: Path) -> Iterator[LinuxNetworkFabric]:
    """A fabric under a fresh prefix; every namespace with that prefix (the fabric's and
    the test's stand-ins) is gone afterwards, whatever happened."""
    prefix = unique_prefix()
    fabric = LinuxNetworkFabric(state_dir, prefix=prefix)
    try:
        yield fabric
    finally:
        try:
            fabric.teardown()
        finally:
            for name in namespaces():
                if name.startswith(prefix + "-"):
                    remove_namespace(name)


def sh(ns: str, *argv: str, check: bool = True,
       timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True,
                          text=True, check=check, timeout=timeout)


def stand_in(fabric: LinuxNetworkFabric, name: str) -> str:
    """An empty namespace for a stand-in guest (the port's veth end lands in it)."""
    ns = f"{fabric.names.prefix}-g-{name}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    sh(ns, "ip", "link", "set", "lo", "up")
    return ns


def configure(ns: str, address: str, gateway: str | None = None) -> None:
    """Static address on the stand-in's eth0 (what DHCP would have given)."""
    sh(ns, "ip", "addr", "add", address, "dev", "eth0")
    sh(ns, "ip", "link", "set", "eth0", "up")
    if gateway:
        sh(ns, "ip", "route", "add", "default", "via", gateway)


def pings(ns: str, address: str, count: int = 1, wait: float = 2) -> bool:
    result = sh(ns, "busybox", "ping", "-c", str(count), "-W", str(wait), address, check=False)
    return result.returncode == 0


def eventually_pings(ns: str, address: str, tries: int = 5) -> bool:
    """A first ping can be lost to ARP resolution or a bridge port still coming up."""
    return any(pings(ns, address) for _ in range(tries))
