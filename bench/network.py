"""Network benchmark: guest-to-guest TCP throughput on a tenant network and through a
floating IP against a bare Linux bridge, and the time from the API call to traffic.

Run from the repo root as root (see docs/benchmarks.md):

    .venv/bin/python bench/network.py [--rounds 5] [--megabytes 128] [--quick] [--profile]
        [--write-docs]

One run, one prefix for every namespace it makes (`nb<hex>`), one temporary directory:

1. **Baseline**: a namespace of its own holding a bare Linux bridge (no nftables, no
   br_netfilter hooks: `bridge-nf-call-*` off, no nuage) with two plain TAPs, and two QEMU
   guests of the default guest image on them (same machine type, memory, vCPUs and
   virtio-net NIC as nuage's QEMU driver gives, the tenant network's MTU, static
   addresses from their config drive's network_data.json); a client namespace on the
   bridge by a veth (the "outside" peer of the floating-IP leg).
2. **nuage**: its own `nuage up` with the network datapath (`NUAGE_NETWORK_DATAPATH=true`,
   this run's prefix), and through the API only: a network and subnet, a router on the
   external network "public" with the subnet on it, ICMP / TCP 22 / TCP 80 allowed in,
   a key pair, two servers of the default image (flavor --flavor) on the network, a
   floating IP on the "front" one. A client namespace on the external bridge plays the
   outside.
3. Every guest's user-data writes a file of zeros (32 MB at most) to tmpfs and serves it
   with busybox `httpd` (sendfile). Per round, alternately (so both see the same load):
   - **guest to guest**: over ssh (the injected key; the control path, not timed) the
     front guest fetches the file from the back one with busybox `wget` (--megabytes in
     all), timed inside the guest (/proc/uptime, 10 ms): bare bridge, then tenant network;
   - **floating IP**: the client namespace fetches the same (Python, timed on the host)
     from the front guest: on the bare bridge straight from its address, on nuage from its
     floating IP (external bridge -> router namespace DNAT -> tenant bridge).
   MB/s = megabytes / seconds; the ratio is nuage / bare bridge per round; the median
   ratio is the figure (target: >= 0.8). Each measurement also records the CPU seconds
   of the two guests' QEMU processes (less moved by the machine's load than wall-clock
   time) and the average frame size across the front guest's TAP. `--profile` adds
   rounds of nuage as deployed against nuage with br_netfilter off in its datapath
   namespace (what the security groups and conntrack zones cost).
4. **Time to traffic**, --rounds times each:
   - **port**: `POST /ports` on the tenant network with this host as `binding:host_id`
     and a fixed address. A responder (Python, in the datapath namespace) opens the TAP
     the agent makes as soon as it exists (what QEMU does: it attaches to it by name),
     answers ARP and ICMP echo as the port's MAC and address and announces itself (a
     gratuitous ARP every 100 ms); a pinger in the router namespace (a peer on the
     network) sends an echo every 20 ms. Timed from the POST to the TAP, to the API
     showing ACTIVE and to the first echo reply; the port is then deleted;
   - **floating IP**: `PUT /floatingips/{id}` with the front guest's port (after a
     disassociation and the ping having stopped), timed to the first echo reply the
     client namespace gets from the floating IP (an echo every 20 ms; its ARP retries
     every 100 ms).

Everything is stopped and removed at the end (QEMU, `nuage up`, its guests, every
namespace of the prefix), on errors and Ctrl-C too. No traffic leaves the machine.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nuage.drivers.guest_image import GuestImageFiles, build_guest_image
from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces, remove_namespace
from nuage.drivers.qemu import host
from nuage.drivers.qemu.config_drive import write_config_drive
from nuage.ports.hypervisor import ConfigDrive
from support import (
    BenchError,
    NuageServer,
    conclude,
    git_revision,
    issue_token,
    load_average,
    machine,
    sigterm_as_interrupt,
    table,
    today,
)

RESULTS_START = "<!-- bench/network.py results: start -->"
RESULTS_END = "<!-- bench/network.py results: end -->"
QEMU = "qemu-system-x86_64"
READY = "nuage-guest: ready"
TARGET = 0.80               # nuage's throughput >= 80% of the bare bridge's
PORT = 80                   # the guests' httpd
FILE_MB = 32                # the file they serve (tmpfs, in a 256 MB guest)
CIDR, GATEWAY = "10.0.0.0/24", "10.0.0.1"
BARE = {"front": "10.0.0.11", "back": "10.0.0.12", "client": "10.0.0.1"}
EXT_CLIENT = "203.0.113.1"  # the external subnet's gateway address: the router's next hop
BOOT_TIMEOUT = 300.0

# The guests' user-data: busybox httpd serving a file of zeros from tmpfs. httpd sends it
# with sendfile(2), wget reads 60 KB at a time: busybox nc, which copies 1 KB per system
# call, made the guests' CPU (under TCG) the only thing measured.
def user_data(file_mb: int) -> str:
    return f"""#!/bin/sh
mkdir -p /run/bench
dd if=/dev/zero of=/run/bench/zero bs=1M count={file_mb} 2>/dev/null
httpd -p {PORT} -h /run/bench
echo "bench: serving {file_mb} MB on port {PORT}"
"""


# Run by the front guest over ssh: the file fetched `repeats` times from the other guest,
# timed with /proc/uptime.
FETCH = ("a=$(cut -d' ' -f1 /proc/uptime); "
         "for i in $(seq {repeats}); do wget -q -O /dev/null http://{address}:{port}/zero "
         "|| echo FAILED; done; b=$(cut -d' ' -f1 /proc/uptime); echo \"BENCH $a $b\"")

# The client namespace's side: the same, in Python, timed on the host.
CLIENT_FETCH = """
import socket, sys, time
address, port, repeats, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
began = time.perf_counter()
for _ in range(repeats):
    sock = socket.create_connection((address, port), timeout=30)
    sock.sendall(b"GET /zero HTTP/1.0\\r\\nHost: bench\\r\\n\\r\\n")
    got = 0
    while chunk := sock.recv(1 << 20):
        got += len(chunk)
    sock.close()
    if got < size:
        print("SHORT", got)
        sys.exit(1)
print("BENCH", time.perf_counter() - began)
"""

# ICMP echo every `interval` until the first reply; prints its wall-clock time.
PINGER = """
import os, select, socket, struct, sys, time
address, interval, timeout = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def checksum(data):
    if len(data) % 2:
        data += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
deadline = time.time() + timeout
seq = 0
print("START", time.time(), flush=True)
while time.time() < deadline:
    seq += 1
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"nuage-bench"
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    try:
        sock.sendto(body, (address, 0))
    except OSError:
        pass
    until = time.time() + interval
    while (left := until - time.time()) > 0:
        if not select.select([sock], [], [], left)[0]:
            break
        packet, peer = sock.recvfrom(2048)
        ihl = (packet[0] & 0x0f) * 4
        kind, _, _, got, _ = struct.unpack("!BBHHH", packet[ihl:ihl + 8])
        if peer[0] == address and kind == 0 and got == ident:
            print("REPLY", time.time(), flush=True)
            sys.exit(0)
print("TIMEOUT", time.time(), flush=True)
"""

# In the datapath namespace: waits for the TAP, opens it as QEMU would, then is the port
# (ARP and ICMP echo answers, a gratuitous ARP every 100 ms) until told to stop (stdin).
RESPONDER = """
import fcntl, os, select, socket, struct, sys, time
tap, mac, address, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
deadline = time.time() + timeout
while not os.path.exists("/sys/class/net/" + tap):
    if time.time() > deadline:
        print("NOTAP", time.time(), flush=True)
        sys.exit(1)
    time.sleep(0.005)
fd = os.open("/dev/net/tun", os.O_RDWR)
while True:
    try:
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", tap.encode(), 0x0002 | 0x1000))
        break
    except OSError:
        # EBUSY while the agent still holds the descriptor it made the TAP with.
        if time.time() > deadline:
            raise
        time.sleep(0.005)
print("TAP", time.time(), flush=True)
me = bytes.fromhex(mac.replace(":", ""))
ip = socket.inet_aton(address)
def checksum(data):
    if len(data) % 2:
        data += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
def send(frame):
    try:
        os.write(fd, frame)
    except OSError:
        pass
garp = (b"\\xff" * 6 + me + b"\\x08\\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
        + me + ip + b"\\0" * 6 + ip)
announce = 0.0
answered = False
while time.time() < deadline:
    if time.time() >= announce:
        send(garp)
        announce = time.time() + 0.1
    ready = select.select([fd, 0], [], [], 0.02)[0]
    if 0 in ready:
        break
    if fd not in ready:
        continue
    try:
        frame = os.read(fd, 65536)
    except OSError:
        continue
    if len(frame) < 42:
        continue
    kind = frame[12:14]
    if kind == b"\\x08\\x06" and frame[20:22] == b"\\x00\\x01" and frame[38:42] == ip:
        peer_mac, peer_ip = frame[22:28], frame[28:32]
        send(peer_mac + me + b"\\x08\\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2)
             + me + ip + peer_mac + peer_ip)
    elif kind == b"\\x08\\x00" and frame[30:34] == ip and frame[23] == 1:
        ihl = (frame[14] & 0x0f) * 4
        total = struct.unpack("!H", frame[16:18])[0]
        icmp = frame[14 + ihl:14 + total]
        if icmp[0] != 8:
            continue
        reply = b"\\x00\\x00\\x00\\x00" + icmp[4:]
        reply = reply[:2] + struct.pack("!H", checksum(reply)) + reply[4:]
        header = bytearray(frame[14:14 + ihl])
        header[12:16], header[16:20] = frame[30:34], frame[26:30]
        header[8] = 64
        header[10:12] = b"\\0\\0"
        header[10:12] = struct.pack("!H", checksum(bytes(header)))
        send(frame[6:12] + me + b"\\x08\\x00" + bytes(header) + reply)
        if not answered:
            answered = True
            print("ECHO", time.time(), flush=True)
print("END", time.time(), flush=True)
"""


# --------------------------------------------------------------------------- results


@dataclass
class Sample:
    """One measurement: its seconds, the CPU seconds the two guests' QEMU processes used
    meanwhile (user + system: the emulated guest, and the host kernel's bridge, nftables
    and NAT work done in their system calls), and the average size of the frames that
    carried the data across the front guest's TAP."""
    seconds: float
    cpu: float = 0.0
    frame_bytes: float = 0.0
    back_frames: int = 0      # frames the other way (ACKs, mostly) across that TAP


@dataclass
class Leg:
    """One throughput leg: a sample per round, bare bridge and nuage alternately."""
    name: str
    bare: list[Sample] = field(default_factory=list)
    nuage: list[Sample] = field(default_factory=list)

    def ratios(self) -> list[float]:
        """nuage's throughput / the bare bridge's, per round."""
        return [b.seconds / n.seconds for b, n in zip(self.bare, self.nuage, strict=False)
                if n.seconds > 0]

    def cpu_ratios(self) -> list[float]:
        """The bare bridge's QEMU CPU seconds / nuage's, per round: throughput per CPU
        second, which the machine's load moves far less than wall-clock time."""
        return [b.cpu / n.cpu for b, n in zip(self.bare, self.nuage, strict=False)
                if n.cpu > 0 and b.cpu > 0]


@dataclass
class PortTiming:
    tap: float
    active: float
    reply: float


@dataclass
class Results:
    megabytes: int
    memory_mb: int
    vcpus: int
    mtu: int
    accelerator: str
    guest_to_guest: Leg
    floating_ip: Leg
    ports: list[PortTiming]
    associations: list[float]
    loads: list[str]
    profile: list[Leg] = field(default_factory=list)

    def meets_target(self) -> bool:
        return all(median(leg.ratios()) >= TARGET
                   for leg in (self.guest_to_guest, self.floating_ip))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    return f"{fmt.format(min(values))}-{fmt.format(max(values))}"


def parse_guest_timing(output: str) -> float:
    """Seconds between the two /proc/uptime readings of FETCH's `BENCH a b` line."""
    match = re.search(r"^BENCH ([0-9.]+) ([0-9.]+)\s*$", output, re.MULTILINE)
    if match is None or "FAILED" in output:
        raise BenchError(f"no timing in the guest's output: {output[-500:]!r}")
    seconds = float(match.group(2)) - float(match.group(1))
    if seconds <= 0:
        raise BenchError(f"a transfer took {seconds} s (uptime has 10 ms steps: use more "
                         "--megabytes)")
    return seconds


def parse_marks(output: str) -> dict[str, float]:
    """`WORD <unix time>` lines (PINGER, RESPONDER) -> {WORD: time}, the first of each."""
    marks: dict[str, float] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isalpha() and parts[0].isupper():
            with contextlib.suppress(ValueError):
                marks.setdefault(parts[0], float(parts[1]))
    return marks


# --------------------------------------------------------------------------- processes


def netns(ns: str, *argv: str, check: bool = True,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                          check=check, timeout=timeout)


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


class Console:
    """A guest's serial console (QEMU's stdout), read by a thread."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.text = ""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._lock:
                self.text += raw.decode(errors="replace")

    def ready(self) -> bool:
        with self._lock:
            return READY in self.text

    def output(self) -> str:
        with self._lock:
            return self.text


def wait(what: str, condition: Callable[[], bool], timeout: float,
         detail: Callable[[], str] = lambda: "", interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"not reached in {timeout:g} s: {what}\n{detail()[-2000:]}")
        time.sleep(interval)


@dataclass
class Cleanup:
    """What main() stops whatever happens."""
    prefix: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    servers: list[NuageServer] = field(default_factory=list)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
        for server in self.servers:
            server.stop()
            kill_under(server.state_dir)
            with contextlib.suppress(Exception):
                LinuxNetworkFabric(server.state_dir / "network", prefix=self.prefix).teardown()
        for name in namespaces():
            if name.startswith(self.prefix + "-"):
                with contextlib.suppress(Exception):
                    remove_namespace(name)


def kill_under(root: Path) -> None:
    """SIGKILL the processes whose command line or working directory names `root`
    (nuage's guests and their console keepers outlive `nuage up` by design; QEMU's
    -daemonize moves it to /, its command line still names its files)."""
    needle = str(root.resolve()).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd").encode()
        except OSError:
            continue
        if needle in cmdline or cwd == needle or cwd.startswith(needle + b"/"):
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)


# --------------------------------------------------------------------------- ssh


SSH_OPTIONS = ("-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
               "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20")


def ssh(ns: str, key: Path, address: str, command: str, timeout: float) -> str:
    result = netns(ns, "ssh", *SSH_OPTIONS, "-i", str(key), f"root@{address}", command,
                   check=False, timeout=timeout)
    if result.returncode != 0:
        raise BenchError(f"ssh {address} {command!r}: {result.returncode} {result.stderr}")
    return result.stdout


def ssh_ready(ns: str, key: Path, address: str, timeout: float) -> None:
    def answers() -> bool:
        with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
            return ssh(ns, key, address, "echo ok", 60).strip() == "ok"
        return False
    wait(f"ssh to {address}", answers, timeout, interval=2.0)


def guest_fetch(ns: str, key: Path, front: str, back: str, files: int) -> float:
    """ssh to the front guest (from namespace `ns`), which fetches the file `files` times
    from the back guest: seconds, timed in the front guest."""
    command = FETCH.format(repeats=files, address=back, port=PORT)
    return parse_guest_timing(ssh(ns, key, front, command, 900))


def client_fetch(ns: str, address: str, files: int, file_mb: int) -> float:
    out = netns(ns, sys.executable, "-c", CLIENT_FETCH, address, str(PORT), str(files),
                str(file_mb * 2**20), timeout=900).stdout
    match = re.search(r"^BENCH ([0-9.]+)", out, re.MULTILINE)
    if match is None:
        raise BenchError(f"client fetch from {address}: {out!r}")
    return float(match.group(1))


@dataclass
class Side:
    """Where one side's legs run: the namespace that reaches the front guest (ssh, the
    client), the addresses, the guests' QEMU pids and the front guest's TAP."""
    name: str
    client_ns: str
    front: str              # the front guest's address as the client sees it
    back: str               # the back guest's address as the front guest sees it
    pids: list[int]
    tap_ns: str
    front_tap: str


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime + stime of the processes (and their waited-for children), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)
    return total / ticks


def tap_counters(ns: str, tap: str, direction: str) -> tuple[int, int, int]:
    """(bytes, packets) of the TAP in `direction` ("tx": towards the guest), and the
    packets the other way."""
    out = subprocess.run(["ip", "-n", ns, "-j", "-s", "link", "show", tap],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    stats = json.loads(out)[0]["stats64"]
    other = "rx" if direction == "tx" else "tx"
    return (int(stats[direction]["bytes"]), int(stats[direction]["packets"]),
            int(stats[other]["packets"]))


def measure(side: Side, direction: str, transfer: Callable[[], float]) -> Sample:
    cpu = cpu_seconds(side.pids)
    octets, frames, back = tap_counters(side.tap_ns, side.front_tap, direction)
    seconds = transfer()
    after = tap_counters(side.tap_ns, side.front_tap, direction)
    frames = after[1] - frames
    return Sample(seconds, cpu_seconds(side.pids) - cpu,
                  (after[0] - octets) / frames if frames else 0.0, after[2] - back)


def guest_to_guest(side: Side, key: Path, files: int) -> Sample:
    return measure(side, "tx", lambda: guest_fetch(side.client_ns, key, side.front,
                                                   side.back, files))


def from_outside(side: Side, files: int, file_mb: int) -> Sample:
    return measure(side, "rx", lambda: client_fetch(side.client_ns, side.front, files,
                                                    file_mb))


# --------------------------------------------------------------------------- bare bridge


def guest_argv(image: GuestImageFiles, accelerator: str, memory_mb: int, vcpus: int,
               overlay: Path, config: Path, tap: str, mac: str) -> list[str]:
    """nuage's QEMU driver's command line (drivers/qemu/command_line.py), without what only
    a supervised guest needs; the serial console on stdout."""
    argv = [
        QEMU, "-name", "guest=bench-bare", "-no-user-config", "-nodefaults",
        "-machine", "pc", "-accel", accelerator, "-m", str(memory_mb), "-smp", str(vcpus),
        "-display", "none", "-serial", "stdio",
        "-drive", f"file={overlay},format=qcow2,if=none,id=root,discard=unmap",
        "-device", "virtio-blk-pci,drive=root,bootindex=1",
        "-drive", f"file={config},format=raw,if=none,id=config,readonly=on,media=cdrom",
        "-device", "ide-cd,drive=config",
        "-device", "virtio-rng-pci",
        "-netdev", f"tap,id=net0,ifname={tap},script=no,downscript=no",
        "-device", f"virtio-net-pci,netdev=net0,mac={mac}",
        "-kernel", str(image.kernel), "-initrd", str(image.initrd), "-append", image.cmdline,
    ]
    if accelerator == "kvm":
        argv += ["-cpu", "host"]
    return argv


class BareBridge:
    """`<prefix>-bb`: a bridge, two TAPs with a guest each, a veth to `<prefix>-bc`."""

    def __init__(self, prefix: str, workdir: Path, mtu: int) -> None:
        self.ns, self.client = f"{prefix}-bb", f"{prefix}-bc"
        self.workdir, self.mtu = workdir, mtu
        self.consoles: dict[str, Console] = {}
        self.pids: list[int] = []

    def build(self) -> None:
        bb, bc = self.ns, self.client
        run("ip", "netns", "add", bb)
        run("ip", "netns", "add", bc)
        # A bare bridge: no br_netfilter (its hooks would pass the frames through the
        # inet family's tables, which are empty here anyway).
        for sysctl in ("net.bridge.bridge-nf-call-iptables=0",
                       "net.bridge.bridge-nf-call-ip6tables=0"):
            netns(bb, "sysctl", "-q", "-w", sysctl, check=False)
        run("ip", "-n", bb, "link", "add", "br0", "mtu", str(self.mtu), "type", "bridge")
        run("ip", "-n", bb, "link", "set", "br0", "up")
        for tap in ("tap0", "tap1"):
            run("ip", "-n", bb, "tuntap", "add", "dev", tap, "mode", "tap", "vnet_hdr")
            run("ip", "-n", bb, "link", "set", tap, "mtu", str(self.mtu), "master", "br0",
                "up")
        run("ip", "-n", bb, "link", "add", "bc0", "mtu", str(self.mtu), "type", "veth",
            "peer", "name", "eth0", "netns", bc)
        run("ip", "-n", bb, "link", "set", "bc0", "master", "br0", "up")
        run("ip", "-n", bc, "link", "set", "lo", "up")
        run("ip", "-n", bc, "addr", "add", f"{BARE['client']}/24", "dev", "eth0")
        run("ip", "-n", bc, "link", "set", "eth0", "mtu", str(self.mtu), "up")

    def start(self, cleanup: Cleanup, image: GuestImageFiles, accelerator: str,
              memory_mb: int, vcpus: int, public_key: str, file_mb: int) -> None:
        for index, role in enumerate(("front", "back")):
            mac = f"02:00:00:00:be:{index:02x}"
            work = self.workdir / role
            work.mkdir(parents=True)
            overlay, config = work / "disk.qcow2", work / "config.iso"
            run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                str(image.disk), str(overlay), "1G")
            meta = {"uuid": str(uuid.uuid4()), "name": f"bare-{role}",
                    "hostname": f"bare-{role}", "launch_index": 0,
                    "availability_zone": "nova", "public_keys": {"bench": public_key},
                    "keys": [], "meta": {}, "devices": []}
            network = {
                "links": [{"id": "tap0", "type": "phy", "ethernet_mac_address": mac,
                           "mtu": self.mtu}],
                "networks": [{"id": "network0", "type": "ipv4", "link": "tap0",
                              "ip_address": BARE[role], "netmask": "255.255.255.0",
                              "routes": [], "network_id": "bare"}],
                "services": []}
            write_config_drive(ConfigDrive(meta_data=meta, user_data=user_data(file_mb).encode(),
                                           network_data=network, vendor_data={}), config)
            argv = guest_argv(image, accelerator, memory_mb, vcpus, overlay, config,
                              f"tap{index}", mac)
            proc = subprocess.Popen(["ip", "netns", "exec", self.ns, *argv],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            cleanup.procs.append(proc)
            self.pids.append(proc.pid)   # `ip netns exec` execs QEMU: the same process
            self.consoles[role] = Console(proc)

    def wait_ready(self, timeout: float) -> None:
        for role, console in self.consoles.items():
            wait(f"the bare-bridge {role} ready", console.ready, timeout, console.output)


# --------------------------------------------------------------------------- nuage


class Api:
    """The admin project's view of our `nuage up`."""

    def __init__(self, server: NuageServer) -> None:
        token, _ = issue_token(server.base_url, server.admin_password())
        self.http = httpx.Client(base_url=server.base_url, timeout=60.0,
                                 headers={"X-Auth-Token": token})

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        resp = self.http.request(method, path, json=body)
        if resp.status_code != expect:
            raise BenchError(f"{method} {path}: HTTP {resp.status_code} {resp.text[:400]}")
        return dict(resp.json()) if resp.content else {}

    def neutron(self, method: str, path: str, body: dict[str, Any] | None = None,
                expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"/network/v2.0/{path}", body, expect)

    def nova(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"/compute/v2.1/{path}", body, expect)

    def console(self, server_id: str) -> str:
        resp = self.http.post(f"/compute/v2.1/servers/{server_id}/action",
                              json={"os-getConsoleOutput": {}})
        return str(resp.json().get("output", "")) if resp.status_code == 200 else ""


@dataclass
class Tenant:
    """What the benchmark made through nuage's API."""
    api: Api
    fabric: LinuxNetworkFabric
    client: str                      # the namespace on the external bridge
    network: dict[str, Any]
    subnet: dict[str, Any]
    router: dict[str, Any]
    servers: dict[str, str] = field(default_factory=dict)      # role -> server id
    ports: dict[str, dict[str, Any]] = field(default_factory=dict)
    fip: dict[str, Any] = field(default_factory=dict)

    def fixed(self, role: str) -> str:
        return str(self.ports[role]["fixed_ips"][0]["ip_address"])


def build_tenant(server: NuageServer, prefix: str, flavor: str, public_key: str,
                 file_mb: int) -> Tenant:
    api = Api(server)
    fabric = LinuxNetworkFabric(server.state_dir / "network", prefix=prefix)
    dp = fabric.guest_netns()

    def ext_bridge() -> bool:
        return subprocess.run(["ip", "-n", dp, "link", "show", fabric.names.ext_bridge],
                              capture_output=True, check=False).returncode == 0
    wait("the external bridge", ext_bridge, 120)
    client = f"{prefix}-x-client"
    run("ip", "netns", "add", client)
    run("ip", "-n", client, "link", "set", "lo", "up")
    leg = f"x{secrets.token_hex(4)}"
    run("ip", "-n", dp, "link", "add", leg, "type", "veth", "peer", "name", "eth0",
        "netns", client)
    run("ip", "-n", dp, "link", "set", leg, "master", fabric.names.ext_bridge, "up")
    run("ip", "-n", client, "addr", "add", f"{EXT_CLIENT}/24", "dev", "eth0")
    run("ip", "-n", client, "link", "set", "eth0", "up")
    # Our outside world asks again for an address every 100 ms (the kernel's default is
    # 1 s), so the association's timing is not rounded up to ARP's retry.
    netns(client, "sysctl", "-q", "-w", "net.ipv4.neigh.eth0.retrans_time_ms=100")

    (public,) = api.neutron("GET", "networks?router:external=true")["networks"]
    network = api.neutron("POST", "networks", {"network": {"name": "bench-net"}},
                          201)["network"]
    subnet = api.neutron("POST", "subnets", {"subnet": {
        "network_id": network["id"], "cidr": CIDR, "ip_version": 4,
        "allocation_pools": [{"start": "10.0.0.10", "end": "10.0.0.99"}]}}, 201)["subnet"]
    router = api.neutron("POST", "routers", {"router": {
        "name": "bench-router", "external_gateway_info": {"network_id": public["id"]}}},
        201)["router"]
    api.neutron("PUT", f"routers/{router['id']}/add_router_interface",
                {"subnet_id": subnet["id"]})
    (group,) = api.neutron("GET", "security-groups?name=default&project_id="
                           f"{router['project_id']}")["security_groups"]
    for rule in ({"protocol": "icmp"},
                 {"protocol": "tcp", "port_range_min": 22, "port_range_max": 22},
                 {"protocol": "tcp", "port_range_min": PORT, "port_range_max": PORT}):
        api.neutron("POST", "security-group-rules", {"security_group_rule": {
            "security_group_id": group["id"], "direction": "ingress", "ethertype": "IPv4",
            **rule}}, 201)
    api.nova("POST", "os-keypairs", {"keypair": {"name": "bench-key",
                                                 "public_key": public_key}})
    (image,) = api.call("GET", "/image/v2/images?name=nuage-guest")["images"]
    flavors = api.nova("GET", "flavors/detail")["flavors"]
    flavor_id = next((f["id"] for f in flavors if flavor in (f["name"], f["id"])), None)
    if flavor_id is None:
        raise BenchError(f"no flavor {flavor!r}")
    tenant = Tenant(api, fabric, client, network, subnet, router)
    data = base64.b64encode(user_data(file_mb).encode()).decode()
    for role in ("front", "back"):
        tenant.servers[role] = api.nova("POST", "servers", {"server": {
            "name": f"bench-{role}", "imageRef": image["id"], "flavorRef": flavor_id,
            "key_name": "bench-key", "networks": [{"uuid": network["id"]}],
            "user_data": data}}, 202)["server"]["id"]
    return tenant


def wait_tenant(tenant: Tenant, timeout: float) -> None:
    api = tenant.api
    for role, sid in tenant.servers.items():
        def status(sid: str = sid) -> bool:
            state = api.nova("GET", f"servers/{sid}")["server"]["status"]
            if state == "ERROR":
                raise BenchError(f"server {sid} in ERROR: {api.nova('GET', f'servers/{sid}')}")
            return bool(state == "ACTIVE")
        wait(f"the {role} server ACTIVE", status, timeout)
        (tenant.ports[role],) = api.neutron("GET", f"ports?device_id={sid}")["ports"]
    for role, sid in tenant.servers.items():
        def ready(sid: str = sid) -> bool:
            return READY in api.console(sid)

        def output(sid: str = sid) -> str:
            return api.console(sid)
        wait(f"the {role} server ready", ready, timeout, output, interval=2.0)
    public = tenant.router["external_gateway_info"]["network_id"]
    tenant.fip = api.neutron("POST", "floatingips", {"floatingip": {
        "floating_network_id": public, "port_id": tenant.ports["front"]["id"]}},
        201)["floatingip"]


def qemu_pid(server: NuageServer, server_id: str) -> int:
    path = server.state_dir / "compute" / "guests" / server_id / "qemu.pid"
    return int(path.read_text().strip())


def flavor_of(api: Api, server_id: str) -> tuple[int, int]:
    flavor = api.nova("GET", f"servers/{server_id}")["server"]["flavor"]
    if "ram" not in flavor:
        flavor = api.nova("GET", f"flavors/{flavor['id']}")["flavor"]
    return int(flavor["ram"]), int(flavor["vcpus"])


def bridge_netfilter(ns: str, on: bool) -> None:
    for family in ("iptables", "ip6tables"):
        netns(ns, "sysctl", "-q", "-w", f"net.bridge.bridge-nf-call-{family}={int(on)}")


def profile_bridge_netfilter(rounds: int, side: Side, key: Path, files: int,
                             file_mb: int) -> list[Leg]:
    """Both legs on nuage with and without br_netfilter in the datapath namespace,
    alternately: what the bridges' trip through the inet table (security groups,
    conntrack zones) costs, apart from the router's hop and NAT. Diagnostic only: with it
    off, security groups do not apply (the agent's next pass, or this, turns it back on)."""
    g2g = Leg("guest to guest: nuage with / without br_netfilter")
    fip = Leg("floating IP: nuage with / without br_netfilter")
    dp = side.tap_ns
    try:
        for i in range(rounds):
            step(f"profile round {i + 1}/{rounds}")
            def g2g_once() -> Sample:
                return guest_to_guest(side, key, files)

            def fip_once() -> Sample:
                return from_outside(side, files, file_mb)
            transfers: list[tuple[Leg, Callable[[], Sample]]] = [(g2g, g2g_once),
                                                                  (fip, fip_once)]
            for leg, transfer in transfers:
                leg.nuage.append(transfer())      # as deployed
                bridge_netfilter(dp, False)
                try:
                    leg.bare.append(transfer())   # the bridges without the inet hooks
                finally:
                    bridge_netfilter(dp, True)
                print(f"   {leg.name}: {leg.nuage[-1].cpu:.2f} / {leg.bare[-1].cpu:.2f} CPU s,"
                      f" {leg.nuage[-1].seconds:.2f} / {leg.bare[-1].seconds:.2f} s", flush=True)
    finally:
        bridge_netfilter(dp, True)
    return [g2g, fip]


# --------------------------------------------------------------------------- time to traffic


def start(ns: str, script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", script, *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float) -> dict[str, float]:
    try:
        out, err = proc.communicate("stop\n" if proc.stdin else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    if err.strip():
        print(f"   ({err.strip().splitlines()[-1]})", flush=True)
    return parse_marks(out)


def time_port(tenant: Tenant, address: str, timeout: float) -> PortTiming:
    """POST /ports bound to this host -> TAP, ACTIVE and the first echo reply from it."""
    api = tenant.api
    host_id = tenant.ports["back"]["binding:host_id"]
    router_ns = tenant.fabric.names.router_ns(tenant.router["id"])
    # The port's MAC is nuage's to choose: the responder learns it from the POST's answer,
    # so it is started right after; it waits for the TAP, which takes the agent longer.
    pinger = start(router_ns, PINGER, address, "0.02", str(timeout))
    began_wall = time.time()
    began = time.perf_counter()
    port = api.neutron("POST", "ports", {"port": {
        "network_id": tenant.network["id"], "name": "bench-probe",
        "binding:host_id": host_id,
        "fixed_ips": [{"subnet_id": tenant.subnet["id"], "ip_address": address}]}},
        201)["port"]
    responder = start(tenant.fabric.guest_netns(), RESPONDER,
                      tenant.fabric.tap_name(port["id"]), port["mac_address"], address,
                      str(timeout))
    active = None
    try:
        while active is None and time.perf_counter() - began < timeout:
            state = api.neutron("GET", f"ports/{port['id']}")["port"]["status"]
            if state == "ACTIVE":
                active = time.perf_counter() - began
            else:
                time.sleep(0.05)
        pinged = finish(pinger, timeout)
    finally:
        marks = finish(responder, 30)
        if pinger.poll() is None:
            pinger.kill()
            pinger.communicate()
        api.neutron("DELETE", f"ports/{port['id']}", expect=204)
    if "REPLY" not in pinged or "TAP" not in marks or active is None:
        raise BenchError(f"port {address}: pinger {pinged}, responder {marks}, "
                         f"active {active}")
    return PortTiming(tap=marks["TAP"] - began_wall, active=active,
                      reply=pinged["REPLY"] - began_wall)


def time_association(tenant: Tenant, timeout: float) -> float:
    """Disassociate, wait for the ping to stop, then PUT the port back: seconds to the
    first echo reply from the floating IP."""
    api, fip = tenant.api, tenant.fip
    address = fip["floating_ip_address"]
    api.neutron("PUT", f"floatingips/{fip['id']}", {"floatingip": {"port_id": None}})

    def silent() -> bool:
        return netns(tenant.client, "busybox", "ping", "-c", "1", "-W", "1", address,
                     check=False).returncode != 0
    wait(f"{address} silent after the disassociation", silent, timeout)
    pinger = start(tenant.client, PINGER, address, "0.02", str(timeout))
    began = time.time()
    api.neutron("PUT", f"floatingips/{fip['id']}",
                {"floatingip": {"port_id": tenant.ports["front"]["id"]}})
    marks = finish(pinger, timeout + 10)
    if "REPLY" not in marks:
        raise BenchError(f"no echo from {address} {timeout:g} s after the association")
    return marks["REPLY"] - began


# --------------------------------------------------------------------------- report


def mbps(megabytes: int, samples: Sequence[Sample]) -> list[float]:
    return [megabytes / s.seconds for s in samples if s.seconds > 0]


def cpu_ms_per_mb(megabytes: int, samples: Sequence[Sample]) -> list[float]:
    return [s.cpu * 1000 / megabytes for s in samples]


def markdown(res: Results) -> str:
    rows, cpu_rows = [], []
    for leg in (res.guest_to_guest, res.floating_ip):
        bare, ours = mbps(res.megabytes, leg.bare), mbps(res.megabytes, leg.nuage)
        rows.append([leg.name, f"{median(bare):.1f}", spread(bare, "{:.1f}"),
                     f"{median(ours):.1f}", spread(ours, "{:.1f}"),
                     f"**{median(leg.ratios()):.2f}**", spread(leg.ratios())])
        bare_cpu = cpu_ms_per_mb(res.megabytes, leg.bare)
        our_cpu = cpu_ms_per_mb(res.megabytes, leg.nuage)
        frames = [median([s.frame_bytes for s in leg.bare]),
                  median([s.frame_bytes for s in leg.nuage])]
        cpu_rows.append([leg.name, f"{median(bare_cpu):.1f}", f"{median(our_cpu):.1f}",
                         f"**{median(leg.cpu_ratios()):.2f}**", spread(leg.cpu_ratios()),
                         f"{frames[0]:,.0f} / {frames[1]:,.0f}"])
    timing = [
        ["`POST /ports` -> the agent's TAP exists", f"{median([p.tap for p in res.ports]):.2f}",
         spread([p.tap for p in res.ports])],
        ["`POST /ports` -> port `ACTIVE` in the API (GET every 50 ms)",
         f"{median([p.active for p in res.ports]):.2f}",
         spread([p.active for p in res.ports])],
        ["`POST /ports` -> **first echo reply** from the port's address",
         f"{median([p.reply for p in res.ports]):.2f}", spread([p.reply for p in res.ports])],
        ["`PUT /floatingips/{id}` (port_id) -> **first echo reply** from the floating IP",
         f"{median(res.associations):.2f}", spread(res.associations)],
    ]
    verdict = "meets" if res.meets_target() else "MISSES"
    lines = [
        f"Guests: the default image, {res.memory_mb} MB, {res.vcpus} vCPU, accelerator "
        f"**{res.accelerator}**, virtio-net, MTU {res.mtu} on both sides (the tenant "
        f"network's); {res.megabytes} MB per measurement, {len(res.guest_to_guest.bare)} "
        "rounds, bare bridge and nuage alternately; ratio = nuage / bare bridge, per round.",
        "",
        *table(["Leg", "Bare bridge MB/s (median)", "min-max", "nuage MB/s (median)",
                "min-max", "Ratio (median)", "min-max"], rows, "lrrrrrr"),
        "",
        "Under TCG the guests' emulated CPUs are the bottleneck and the machine's load "
        "moves them from round to round; the CPU the two guests' QEMU processes spent per "
        "MB (user + system: the emulated guests and the host kernel's bridge, nftables and "
        "NAT work in their system calls; softirq work done elsewhere is not counted) moves "
        "far less:",
        "",
        *table(["Leg", "Bare bridge CPU ms/MB (median)", "nuage CPU ms/MB (median)",
                "Ratio bare / nuage (median)", "min-max",
                "Bytes per frame at the front TAP (bare / nuage)"], cpu_rows, "lrrrrr"),
        "",
        *profile_lines(res),
        "- guest to guest: one guest's busybox `wget` fetches a file of zeros from the "
        "other's busybox `httpd` (sendfile), timed in the fetching guest (bare: two TAPs "
        "on a bridge; nuage: two servers on one tenant network).",
        "- floating IP: a client namespace (Python, timed on the host) fetches the same "
        "file from a guest (bare: from a veth on the same bare bridge, straight to the "
        "guest's address; nuage: from a veth on the external bridge, to the floating IP, "
        "through the router namespace's DNAT).",
        "",
        f"Target: nuage >= {TARGET:.0%} of the bare bridge's throughput on both legs: "
        f"**{verdict}** it.",
        "",
        *table(["Time to traffic", "Median (s)", "min-max (s)"], timing, "lrr"),
        "",
        f"Load average (1/5/15 min) during the run: {'; '.join(res.loads)}.",
    ]
    return "\n".join(lines)


def profile_lines(res: Results) -> list[str]:
    if not res.profile:
        return []
    rows = []
    for leg in res.profile:
        with_nf = cpu_ms_per_mb(res.megabytes, leg.nuage)
        without = cpu_ms_per_mb(res.megabytes, leg.bare)
        rows.append([leg.name, f"{median(with_nf):.1f}", f"{median(without):.1f}",
                     f"{median(mbps(res.megabytes, leg.nuage)):.1f}",
                     f"{median(mbps(res.megabytes, leg.bare)):.1f}"])
    return [
        "Profile (`--profile`): nuage as deployed, and with br_netfilter off in its datapath "
        "namespace (`bridge-nf-call-iptables=0`: bridged traffic skips the inet table, its "
        "security groups and conntrack zones; the router's own conntrack and NAT remain), "
        "alternately:",
        "",
        *table(["Leg", "CPU ms/MB with", "CPU ms/MB without", "MB/s with", "MB/s without"],
               rows, "lrrrr"),
        "",
    ]


def machine_line(args: argparse.Namespace) -> str:
    return (f"Measured {today()} at commit `{git_revision()}` with `--rounds {args.rounds} "
            f"--megabytes {args.megabytes} --flavor {args.flavor}"
            f"{' --profile' if args.profile else ''}`; machine: {machine()}. "
            "The benchmark, nuage, the guests (and, here, other jobs) share the same CPUs.")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each leg (5)")
    parser.add_argument("--megabytes", type=int, default=128,
                        help=f"per measurement (128): the {FILE_MB} MB file fetched "
                             "megabytes/32 times")
    parser.add_argument("--quick", action="store_true",
                        help="3 rounds of 32 MB: a few minutes in all")
    parser.add_argument("--flavor", default="m1.tiny", help="nuage flavor (m1.tiny)")
    parser.add_argument("--timeout", type=float, default=BOOT_TIMEOUT,
                        help=f"for boots ({BOOT_TIMEOUT:g} s)")
    parser.add_argument("--profile", action="store_true",
                        help="also measure nuage with br_netfilter off in its datapath "
                             "namespace (what security groups and conntrack zones cost)")
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite the results in docs/benchmarks.md")
    parser.add_argument("--check", action="store_true", help="exit 2 when the target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.megabytes = 3, 32
    if not 1 <= args.rounds <= 50 or not 1 <= args.megabytes <= 4096 or args.timeout <= 0:
        parser.error("1 <= --rounds <= 50, 1 <= --megabytes <= 4096, --timeout > 0")
    return args


def step(message: str) -> None:
    print(f"-- {message} (load {load_average()})", flush=True)


def bench(args: argparse.Namespace, tmp: Path, cleanup: Cleanup) -> Results:
    prefix = cleanup.prefix
    step(f"guest image, accelerator; prefix {prefix}")
    image = build_guest_image(Path.home() / ".cache" / "nuage" / "guest-image")
    accelerator = host.probe_accelerator(QEMU).accelerator
    key = tmp / "id_ed25519"
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nuage-bench", "-f", str(key))
    public_key = key.with_suffix(".pub").read_text().strip()

    step("nuage up with the datapath")
    server = NuageServer(tmp / "state", tmp / "nuage-up.log", env={
        "NUAGE_LOG_LEVEL": "warning", "NUAGE_NETWORK_DATAPATH": "true",
        "NUAGE_NETWORK_PREFIX": prefix})
    cleanup.servers.append(server)
    server.start()
    server.wait_ready(timeout=240)
    file_mb = min(args.megabytes, FILE_MB)
    files = max(1, round(args.megabytes / file_mb))
    megabytes = files * file_mb
    step("tenant network, router, servers (through the API)")
    tenant = build_tenant(server, prefix, args.flavor, public_key, file_mb)
    memory_mb, vcpus = flavor_of(tenant.api, tenant.servers["front"])
    mtu = int(tenant.network.get("mtu") or 1500)

    step(f"bare bridge and its guests ({memory_mb} MB, {vcpus} vCPU, {accelerator})")
    bare = BareBridge(prefix, tmp / "bare", mtu)
    bare.build()
    bare.start(cleanup, image, accelerator, memory_mb, vcpus, public_key, file_mb)

    step("waiting for the four guests")
    bare.wait_ready(args.timeout)
    wait_tenant(tenant, args.timeout)
    fip = str(tenant.fip["floating_ip_address"])
    ssh_ready(bare.client, key, BARE["front"], args.timeout)
    ssh_ready(tenant.client, key, fip, args.timeout)
    back = tenant.fixed("back")
    print(f"   nuage: front {tenant.fixed('front')} (floating {fip}), back {back}", flush=True)

    # One untimed fetch each first (ARP, the first ssh session, the files in the cache).
    guest_fetch(bare.client, key, BARE["front"], BARE["back"], 1)
    guest_fetch(tenant.client, key, fip, back, 1)
    client_fetch(bare.client, BARE["front"], 1, file_mb)
    client_fetch(tenant.client, fip, 1, file_mb)

    sides = [
        Side("bare bridge", bare.client, BARE["front"], BARE["back"], bare.pids, bare.ns,
             "tap0"),
        Side("nuage", tenant.client, fip, back,
             [qemu_pid(server, tenant.servers[role]) for role in ("front", "back")],
             tenant.fabric.guest_netns(), tenant.fabric.tap_name(tenant.ports["front"]["id"])),
    ]
    g2g, via_fip = Leg("guest to guest"), Leg("floating IP (client <- guest)")
    loads = [load_average()]
    for i in range(args.rounds):
        step(f"throughput round {i + 1}/{args.rounds}")
        for side, samples in zip(sides, (g2g.bare, g2g.nuage), strict=True):
            samples.append(guest_to_guest(side, key, files))
        for side, samples in zip(sides, (via_fip.bare, via_fip.nuage), strict=True):
            samples.append(from_outside(side, files, file_mb))
        for leg in (g2g, via_fip):
            b, n = leg.bare[-1], leg.nuage[-1]
            print(f"   {leg.name}: bare {megabytes / b.seconds:.1f} MB/s ({b.cpu:.2f} CPU s, "
                  f"{b.frame_bytes:,.0f} B/frame, {b.back_frames} back), nuage "
                  f"{megabytes / n.seconds:.1f} MB/s ({n.cpu:.2f} CPU s, "
                  f"{n.frame_bytes:,.0f} B/frame, {n.back_frames} back)", flush=True)
    loads.append(load_average())

    profile: list[Leg] = []
    if args.profile:
        profile = profile_bridge_netfilter(args.rounds, sides[1], key, files, file_mb)
        loads.append(load_average())

    ports: list[PortTiming] = []
    associations: list[float] = []
    for i in range(args.rounds):
        step(f"time to traffic {i + 1}/{args.rounds}")
        ports.append(time_port(tenant, f"10.0.0.{200 + i}", 120))
        associations.append(time_association(tenant, 120))
        print(f"   port: TAP {ports[-1].tap:.2f} s, ACTIVE {ports[-1].active:.2f} s, echo "
              f"{ports[-1].reply:.2f} s; floating IP: echo {associations[-1]:.2f} s",
              flush=True)
    loads.append(load_average())
    return Results(megabytes, memory_mb, vcpus, mtu, accelerator, g2g, via_fip, ports,
                   associations, loads, profile)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("bench/network.py: needs root (namespaces, bridges, TAPs)", file=sys.stderr)
        return 1
    sigterm_as_interrupt()
    cleanup = Cleanup(prefix="nb" + secrets.token_hex(3))
    with tempfile.TemporaryDirectory(prefix="nuage-bench-net-", dir="/var/tmp") as tmp:
        try:
            results = bench(args, Path(tmp), cleanup)
        except BenchError as exc:
            print(f"bench/network.py: {exc}", file=sys.stderr)
            for server in cleanup.servers:
                print(server.log_tail(), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("bench/network.py: interrupted", file=sys.stderr)
            return 130
        finally:
            # pyroute2 forks helpers for the teardown and ends them with SIGTERM: they
            # must not inherit the handler that turns it into a KeyboardInterrupt.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            cleanup.close()
    section = f"{machine_line(args)}\n\n{markdown(results)}"
    print()
    print(section)
    return conclude(section, write=args.write_docs, markers=(RESULTS_START, RESULTS_END),
                    check=args.check, met=results.meets_target())


if __name__ == "__main__":
    sys.exit(main())
