"""Helpers for the datapath tests: a fabric under a per-test prefix, stand-in guests
(network namespaces plugged by veth where a VM's TAP would be), and traffic checks run
inside namespaces. Nothing here touches the root namespace's interfaces or routes."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import time
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


UDHCPC_SCRIPT = """#!/bin/sh
# udhcpc's event script: apply the lease (a stand-in guest's network setup) and record it.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}"
    env | grep -E '^(ip|mask|router|dns|domain|hostname|staticroutes|mtu|serverid)=' \
        > "$LEASE_FILE"
    # Classless static routes (option 121): "destination/len gateway" pairs.
    set -- $staticroutes
    while [ $# -ge 2 ]; do ip route replace "$1" via "$2"; shift 2; done
    ;;
esac
"""


def dhcp_lease(ns: str, workdir: Path, tries: int = 3) -> dict[str, str] | None:
    """Ask for a lease with busybox udhcpc inside the stand-in; what it was given, applied
    to eth0, or None when no server answered."""
    script = workdir / f"udhcpc-{ns}.sh"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)
    lease = workdir / f"lease-{ns}"
    lease.unlink(missing_ok=True)
    sh(ns, "ip", "link", "set", "eth0", "up")
    result = subprocess.run(
        ["ip", "netns", "exec", ns, "env", f"LEASE_FILE={lease}", "busybox", "udhcpc",
         "-i", "eth0", "-f", "-q", "-n", "-t", str(tries), "-T", "1", "-s", str(script),
         "-O", "mtu", "-O", "staticroutes", "-O", "hostname", "-O", "domain"],
        capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0 or not lease.exists():
        return None
    return dict(line.split("=", 1) for line in lease.read_text().splitlines() if "=" in line)


UDP_LISTEN = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
try:
    data, peer = s.recvfrom(100)
    print(peer[0], data.decode())
except socket.timeout:
    pass
"""

UDP_SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
for _ in range(5):
    s.sendto(b"hello", (sys.argv[3], int(sys.argv[4])))
"""


def udp_heard(sender: str, source: str, sport: int, receiver: str, dest: str,
              dport: int) -> bool:
    """Whether a UDP datagram from `source:sport` reaches a listener on `dport`."""
    listener = subprocess.Popen(["ip", "netns", "exec", receiver, sys.executable, "-c",
                                 UDP_LISTEN, str(dport), "3"], stdout=subprocess.PIPE,
                                text=True)
    try:
        time.sleep(0.5)
        sh(sender, sys.executable, "-c", UDP_SEND, source, str(sport), dest, str(dport))
        out, _ = listener.communicate(timeout=10)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.communicate()
    return "hello" in out


TCP_LISTEN = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(5)
while True:
    c, peer = s.accept()
    c.sendall(("hi " + peer[0]).encode())
    c.close()
"""

TCP_CONNECT = """
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
    print(c.recv(100).decode().strip())
except OSError as exc:
    print("failed", exc)
"""


@contextlib.contextmanager
def tcp_server(ns: str, port: int) -> Iterator[None]:
    server = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", TCP_LISTEN,
                               str(port)])
    try:
        time.sleep(0.5)
        yield
    finally:
        server.kill()
        server.wait()


def tcp_peer(ns: str, address: str, port: int) -> str | None:
    """Connect; the source address the server saw, or None when no connection."""
    answer = sh(ns, sys.executable, "-c", TCP_CONNECT, address, str(port)).stdout.split()
    return answer[1] if answer[:1] == ["hi"] else None


def tcp_connects(ns: str, address: str, port: int) -> bool:
    return tcp_peer(ns, address, port) is not None


def external_client(fabric: LinuxNetworkFabric, name: str, address: str) -> str:
    """A client namespace on the external bridge: a veth the test plugs into it (the
    fabric leaves devices without its alias alone)."""
    ns = stand_in(fabric, name)
    leg = f"x{secrets.token_hex(4)}"
    dp = fabric.guest_netns()
    subprocess.run(["ip", "-n", dp, "link", "add", leg, "type", "veth", "peer", "name",
                    "eth0", "netns", ns], check=True)
    subprocess.run(["ip", "-n", dp, "link", "set", leg, "master", fabric.names.ext_bridge,
                    "up"], check=True)
    configure(ns, address)
    return ns


FRAME_SEND = """
import socket, struct, sys
src_mac, dst_mac, src_ip, dst_ip, vlan = sys.argv[1:6]
def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF
payload = b"NUAGE-FRAME-PROBE"
udp = struct.pack("!HHHH", 40000, 40000, 8 + len(payload), 0) + payload
header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
ether = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
if int(vlan):
    ether += struct.pack("!HH", 0x8100, int(vlan))
ether += struct.pack("!H", 0x0800)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(5):
    s.send(ether + header + udp)
"""

FRAME_LISTEN = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
s.settimeout(float(sys.argv[1]))
try:
    while True:
        if b"NUAGE-FRAME-PROBE" in s.recv(2000):
            print("seen")
            break
except socket.timeout:
    pass
"""


def frame_arrives(sender: str, receiver: str, src_mac: str, dst_mac: str, src_ip: str,
                  dst_ip: str, vlan: int = 0) -> bool:
    """Whether a hand-made UDP frame (802.1Q-tagged when `vlan`) sent from the sender's
    eth0 shows up at all on the receiver's eth0 (seen by a raw socket, before any IP
    processing)."""
    listener = subprocess.Popen(["ip", "netns", "exec", receiver, sys.executable, "-c",
                                 FRAME_LISTEN, "2"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        sh(sender, sys.executable, "-c", FRAME_SEND, src_mac, dst_mac, src_ip, dst_ip,
           str(vlan))
        out, _ = listener.communicate(timeout=10)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.communicate()
    return "seen" in out
