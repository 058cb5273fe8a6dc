"""A guest-image test network (the datapath tests have tests/support/netns.py): a network
namespace of its own with a bridge with an address (the
host side of the guests' segment), taps on it for QEMU, and optionally a dnsmasq serving
DHCP on it. Nothing is created outside the namespace, and deleting the namespace removes
the bridge and the taps with it, so two tests never share or leak kernel objects."""

from __future__ import annotations

import ipaddress
import secrets
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def _must(*args: str) -> None:
    proc = run(*args)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {proc.stderr.strip()}")


@dataclass
class Segment:
    """A namespace `name` holding bridge `br0` at `gateway` on `cidr`."""

    name: str
    cidr: ipaddress.IPv4Network
    workdir: Path
    taps: list[str] = field(default_factory=list)
    daemons: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def gateway(self) -> ipaddress.IPv4Address:
        return self.cidr.network_address + 1

    def host(self, index: int) -> ipaddress.IPv4Address:
        return self.cidr.network_address + index

    def exec(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace."""
        return run("ip", "netns", "exec", self.name, *args, timeout=timeout)

    def add_tap(self) -> str:
        tap = f"tap{len(self.taps)}"
        _must("ip", "-n", self.name, "tuntap", "add", "dev", tap, "mode", "tap")
        _must("ip", "-n", self.name, "link", "set", tap, "master", "br0", "up")
        self.taps.append(tap)
        return tap

    def start_dhcp(self, first: int, last: int, options: Sequence[str] = ()) -> Path:
        """dnsmasq on br0, leasing hosts `first`..`last` of the network (DNS off); `options`
        are extra `--dhcp-option=` values. Its log file (DHCP exchanges included)."""
        log = self.workdir / f"dnsmasq-{self.name}.log"
        args = ["ip", "netns", "exec", self.name, "dnsmasq", "--keep-in-foreground",
                "--port=0", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--interface=br0", "--except-interface=lo", "--log-dhcp", "--log-facility=-",
                f"--dhcp-range={self.host(first)},{self.host(last)},{self.cidr.netmask},1h",
                f"--dhcp-leasefile={self.workdir / f'leases-{self.name}'}",
                f"--pid-file={self.workdir / f'dnsmasq-{self.name}.pid'}",
                *(f"--dhcp-option={option}" for option in options)]
        with log.open("wb") as out:
            self.daemons.append(subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                                 stderr=subprocess.STDOUT))
        return log

    def close(self) -> None:
        for daemon in self.daemons:
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)
        run("ip", "netns", "delete", self.name)


@contextmanager
def segment(workdir: Path, cidr: str = "10.213.7.0/24") -> Iterator[Segment]:
    """A fresh namespace (a random name: parallel tests never meet), deleted on exit even
    if the test failed. The address range is private to the namespace."""
    name = f"nuage-t-{secrets.token_hex(4)}"
    _must("ip", "netns", "add", name)
    network = Segment(name=name, cidr=ipaddress.IPv4Network(cidr), workdir=workdir)
    try:
        prefix = network.cidr.prefixlen
        _must("ip", "-n", name, "link", "set", "lo", "up")
        _must("ip", "-n", name, "link", "add", "br0", "type", "bridge")
        _must("ip", "-n", name, "addr", "add", f"{network.gateway}/{prefix}", "dev", "br0")
        _must("ip", "-n", name, "link", "set", "br0", "up")
        yield network
    finally:
        network.close()
