"""Boot benchmark: nuage's time to a running guest against a plain `qemu-system-x86_64`.

Run from the repo root (see docs/benchmarks.md):

    .venv/bin/python bench/boot.py [--boots 5] [--concurrent 10] [--write-docs]

One run, one temporary directory:

1. builds (or reuses) the default guest image and probes the accelerator as the QEMU
   driver does (KVM when it really works, else TCG);
2. starts its own `nuage up` on free loopback ports and records its RSS when idle;
3. boots one server (unmeasured warm-up: the agent copies the image into its cache);
4. --boots times, alternately (so both see the same machine load):
   - **plain QEMU**: a qcow2 overlay and a config drive made beforehand, then
     `qemu-system-x86_64` with the driver's machine, accelerator, memory, vCPUs, disks and
     kernel/initrd/append, the serial console on stdout; timed from the process start to the
     first byte and the first line on the console, and to "nuage-guest: ready";
   - **nuage**: `POST /compute/v2.1/servers` (flavor --flavor, no network), timed from the
     request to ACTIVE (GET /servers/{id} every 50 ms), to the first byte and line of the
     guest's console.log in the state dir (polled every millisecond), to the first output
     seen through the console API (os-getConsoleOutput every 50 ms once console.log has a
     byte: the API's lag, not an independent time) and to "ready"; then the
     server is deleted and the next boot waits until it is gone;
5. --concurrent servers created by concurrent POSTs: time until all are ACTIVE and all
   "ready"; the control plane's VmRSS (the `nuage up` process only, not QEMU) with them
   running, and its VmHWM; then they are deleted.

Target (issue 4): nuage adds less than 10%, and less than 0.5 s, to the plain QEMU time to
the first console line (medians). Every request goes to 127.0.0.1, every wait is bounded,
and the server, its guests and any QEMU started here are stopped whatever happens.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nuage.drivers.guest_image import GuestImageFiles, build_guest_image
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
    proc_status_kib,
    sigterm_as_interrupt,
    table,
    today,
)

RESULTS_START = "<!-- bench/boot.py results: start -->"
RESULTS_END = "<!-- bench/boot.py results: end -->"
QEMU = "qemu-system-x86_64"
READY = b"nuage-guest: ready"
TARGET_RATIO = 0.10         # nuage adds less than 10% ...
TARGET_SECONDS = 0.5        # ... and less than 0.5 s to the time to the first console line
STATUS_INTERVAL = 0.05      # GET /servers/{id}, as asked
FILE_INTERVAL = 0.001       # console.log polling
COMPUTE = "/compute/v2.1"


@dataclass
class Boot:
    """Seconds from the start (process start or POST) to each event; None: not seen."""
    first_byte: float | None = None
    first_line: float | None = None
    ready: float | None = None
    active: float | None = None
    api_console: float | None = None
    posted: float | None = None       # the 202 came back
    refused: str = ""                 # placement found no room (the batch only)


@dataclass
class Batch:
    count: int
    boots: list[Boot] = field(default_factory=list)     # the servers placed
    refused: list[str] = field(default_factory=list)   # the others' faults
    all_active: float | None = None
    all_ready: float | None = None
    rss_kib: int = 0
    hwm_kib: int = 0
    load: str = ""


@dataclass
class Results:
    accelerator: str
    memory_mb: int
    vcpus: int
    warmup: Boot
    plain: list[Boot]
    nuage: list[Boot]
    batch: Batch
    idle_rss_kib: int
    loads: list[str]

    def overhead(self) -> tuple[float, float, float]:
        """Median plain and nuage times to the first console line, and nuage's excess."""
        base = median([b.first_line for b in self.plain])
        ours = median([b.first_line for b in self.nuage])
        return base, ours, ours - base

    def meets_target(self) -> bool:
        base, _, extra = self.overhead()
        return extra < TARGET_RATIO * base and extra < TARGET_SECONDS


def median(values: list[float | None]) -> float:
    seen = [v for v in values if v is not None]
    return statistics.median(seen) if seen else float("nan")


def spread(values: list[float | None]) -> str:
    seen = [v for v in values if v is not None]
    if not seen:
        return "-"
    return f"{min(seen):.2f}-{max(seen):.2f}"


# --------------------------------------------------------------------------- plain QEMU


def plain_argv(image: GuestImageFiles, accelerator: str, memory_mb: int, vcpus: int,
               overlay: Path, config: Path) -> list[str]:
    """The driver's command line (drivers/qemu/hypervisor.py `_argv`) without what only a
    supervised guest needs (QMP, pidfile, -daemonize, -S, -runas, -sandbox): the serial
    console on stdout."""
    cmdline = image.cmdline if "console=ttyS0" in image.cmdline else (
        f"{image.cmdline} console=ttyS0".strip())
    argv = [
        QEMU, "-name", "guest=bench-plain", "-no-user-config", "-nodefaults",
        "-machine", "pc", "-accel", accelerator, "-m", str(memory_mb), "-smp", str(vcpus),
        "-display", "none", "-serial", "stdio",
        "-drive", f"file={overlay},format=qcow2,if=none,id=root,discard=unmap",
        "-device", "virtio-blk-pci,drive=root,bootindex=1",
        "-drive", f"file={config},format=raw,if=none,id=config,readonly=on,media=cdrom",
        "-device", "ide-cd,drive=config",
        "-device", "virtio-rng-pci",
        "-kernel", str(image.kernel), "-initrd", str(image.initrd), "-append", cmdline,
    ]
    if accelerator == "kvm":
        argv += ["-cpu", "host"]
    return argv


def prepare_plain(image: GuestImageFiles, workdir: Path, disk_gb: int) -> tuple[Path, Path]:
    """A qcow2 overlay on the image and a config drive like the agent's (untimed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    overlay, config = workdir / "disk.qcow2", workdir / "config.iso"
    overlay.unlink(missing_ok=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                    str(image.disk), str(overlay), str(disk_gb * 2**30)],
                   check=True, timeout=60, capture_output=True)
    guest = str(uuid.uuid4())
    meta = {"uuid": guest, "name": "plain", "hostname": "plain", "launch_index": 0,
            "availability_zone": "nova", "public_keys": {}, "keys": [], "meta": {},
            "devices": []}
    write_config_drive(ConfigDrive(meta_data=meta, user_data=None,
                                   network_data={"links": [], "networks": [], "services": []},
                                   vendor_data={}), config)
    return overlay, config


def plain_boot(argv: list[str], timeout: float, procs: list[subprocess.Popen[bytes]]) -> Boot:
    boot = Boot()
    seen = b""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    procs.append(proc)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    try:
        while boot.ready is None:
            left = began + timeout - time.perf_counter()
            if left <= 0:
                raise BenchError(f"plain QEMU: no {READY.decode()!r} after {timeout:g} s")
            if not select.select([fd], [], [], left)[0]:
                continue
            chunk = os.read(fd, 65536)
            now = time.perf_counter() - began
            if not chunk:
                raise BenchError(f"plain QEMU exited ({proc.poll()}) before ready")
            if boot.first_byte is None:
                boot.first_byte = now
            seen += chunk
            if boot.first_line is None and b"\n" in seen:
                boot.first_line = now
            if READY in seen:
                boot.ready = now
    finally:
        stop_process(proc)
        procs.remove(proc)
    return boot


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


# --------------------------------------------------------------------------- nuage


class Cloud:
    """The Nova API of our `nuage up`, as the admin project."""

    def __init__(self, server: NuageServer, flavor: str) -> None:
        self.server = server
        token, _ = issue_token(server.base_url, server.admin_password())
        self.http = httpx.Client(base_url=f"{server.base_url}{COMPUTE}", timeout=30.0,
                                 headers={"X-Auth-Token": token})
        self.image_id = self._image_id(server.base_url, token)
        self.flavor = self._flavor(flavor)

    def _image_id(self, base_url: str, token: str) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            resp = httpx.get(f"{base_url}/image/v2/images", params={"name": "nuage-guest"},
                             headers={"X-Auth-Token": token}, timeout=30.0)
            images = resp.json().get("images", []) if resp.status_code == 200 else []
            active = [i for i in images if i.get("status") == "active"]
            if active:
                return str(active[0]["id"])
            time.sleep(0.5)
        raise BenchError("the default image nuage-guest is not active after 120 s")

    def _flavor(self, name: str) -> dict[str, Any]:
        resp = self.http.get("/flavors/detail")
        for flavor in resp.json().get("flavors", []):
            if flavor["name"] == name:
                return dict(flavor)
        raise BenchError(f"no flavor {name!r}")

    def accelerator(self) -> str:
        resp = self.http.get("/os-hypervisors/detail")
        hypervisors = resp.json().get("hypervisors", []) if resp.status_code == 200 else []
        return str(hypervisors[0].get("hypervisor_type", "?")) if hypervisors else "?"

    def create(self, name: str) -> str:
        body = {"server": {"name": name, "imageRef": self.image_id,
                           "flavorRef": self.flavor["id"], "networks": "none"}}
        resp = self.http.post("/servers", json=body)
        if resp.status_code != 202:
            raise BenchError(f"POST /servers: HTTP {resp.status_code} {resp.text[:300]}")
        return str(resp.json()["server"]["id"])

    def status(self, server_id: str) -> tuple[str, str]:
        resp = self.http.get(f"/servers/{server_id}")
        if resp.status_code != 200:
            raise BenchError(f"GET /servers/{server_id}: HTTP {resp.status_code}")
        server = resp.json()["server"]
        return str(server["status"]), str((server.get("fault") or {}).get("message", ""))

    def statuses(self) -> dict[str, tuple[str, str]]:
        resp = self.http.get("/servers/detail")
        return {s["id"]: (s["status"], str((s.get("fault") or {}).get("message", "")))
                for s in resp.json().get("servers", [])}

    def console(self, server_id: str) -> str:
        resp = self.http.post(f"/servers/{server_id}/action",
                              json={"os-getConsoleOutput": {}})
        return str(resp.json().get("output", "")) if resp.status_code == 200 else ""

    def server_ids(self) -> list[str]:
        return [s["id"] for s in self.http.get("/servers").json().get("servers", [])]

    def delete_all(self, timeout: float = 120.0) -> None:
        ids = self.server_ids()
        for server_id in ids:
            self.http.delete(f"/servers/{server_id}")
        deadline = time.monotonic() + timeout
        while self.server_ids():
            if time.monotonic() > deadline:
                raise BenchError(f"servers not deleted after {timeout:g} s")
            time.sleep(0.1)


def console_log(state_dir: Path, server_id: str) -> Path:
    return state_dir / "compute" / "guests" / server_id / "console.log"


class Watch:
    """Follows servers from a common start: statuses on one thread (every 50 ms, and the
    console API for a single server), console.log files on the caller's, every 1 ms."""

    def __init__(self, cloud: Cloud, began: float, timeout: float) -> None:
        self.cloud = cloud
        self.began = began
        self.deadline = began + timeout
        self.boots: dict[str, Boot] = {}
        self.error = ""
        self._done = threading.Event()

    def _elapsed(self) -> float:
        return time.perf_counter() - self.began

    def _poll_status(self, ids: list[str]) -> None:
        try:
            while not self._done.is_set():
                pending = [i for i in ids if self.boots[i].active is None]
                if not pending:
                    states = {}
                elif len(ids) == 1:
                    states = {ids[0]: self.cloud.status(ids[0])}
                else:
                    states = self.cloud.statuses()
                now = self._elapsed()
                for server_id in pending:
                    status, fault = states.get(server_id, ("?", ""))
                    boot = self.boots[server_id]
                    if status == "ACTIVE" and boot.active is None:
                        boot.active = now
                    elif status == "ERROR" and len(ids) > 1 and "No valid host" in fault:
                        boot.refused = fault
                    elif status == "ERROR":
                        self.error = f"server {server_id} in ERROR: {fault}"
                # The console API from the first byte in console.log on: polled earlier,
                # its requests would load the CPUs the guest is booting on.
                single = self.boots[ids[0]] if len(ids) == 1 else None
                if (single is not None and single.api_console is None
                        and single.first_byte is not None and self.cloud.console(ids[0])):
                    single.api_console = self._elapsed()
                if all(b.refused or (b.active is not None
                                     and (len(ids) > 1 or b.api_console is not None))
                       for b in self.boots.values()):
                    return
                self._done.wait(STATUS_INTERVAL)
        except Exception as exc:  # reported by run()
            self.error = self.error or f"status polling failed: {exc}"

    def run(self, ids: list[str], state_dir: Path) -> None:
        for server_id in ids:
            self.boots.setdefault(server_id, Boot())
        poller = threading.Thread(target=self._poll_status, args=(ids,), daemon=True)
        poller.start()
        seen = {server_id: b"" for server_id in ids}
        try:
            while not all(b.ready is not None or b.refused for b in self.boots.values()) or (
                    poller.is_alive() and not self.error):
                if self.error:
                    raise BenchError(self.error)
                if time.perf_counter() > self.deadline:
                    raise BenchError("servers not ready in time: "
                                     + ", ".join(f"{k}: {v}" for k, v in self.boots.items()))
                for server_id in ids:
                    boot = self.boots[server_id]
                    if boot.ready is not None or boot.refused:
                        continue
                    data = _read(console_log(state_dir, server_id), len(seen[server_id]))
                    if not data:
                        continue
                    now = self._elapsed()
                    seen[server_id] += data
                    if boot.first_byte is None:
                        boot.first_byte = now
                    if boot.first_line is None and b"\n" in seen[server_id]:
                        boot.first_line = now
                    if READY in seen[server_id]:
                        boot.ready = now
                time.sleep(FILE_INTERVAL)
        finally:
            self._done.set()
            poller.join(timeout=30)
        if self.error:
            raise BenchError(self.error)


def _read(path: Path, offset: int) -> bytes:
    try:
        if os.stat(path).st_size <= offset:     # cheaper than an open, every millisecond
            return b""
        with path.open("rb") as f:
            f.seek(offset)
            return f.read()
    except FileNotFoundError:
        return b""


def nuage_boot(cloud: Cloud, state_dir: Path, name: str, timeout: float) -> Boot:
    began = time.perf_counter()
    server_id = cloud.create(name)
    posted = time.perf_counter() - began
    watch = Watch(cloud, began, timeout)
    watch.run([server_id], state_dir)
    boot = watch.boots[server_id]
    boot.posted = posted
    if "nuage-guest: ready" not in cloud.console(server_id):
        raise BenchError("the console API does not show what console.log does")
    cloud.delete_all()
    return boot


def nuage_batch(cloud: Cloud, server: NuageServer, count: int, timeout: float) -> Batch:
    batch = Batch(count)
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        ids = list(pool.map(cloud.create, [f"bench-batch-{i}" for i in range(count)]))
    watch = Watch(cloud, began, timeout)
    watch.run(ids, server.state_dir)
    batch.boots = [watch.boots[i] for i in ids if not watch.boots[i].refused]
    batch.refused = [watch.boots[i].refused for i in ids if watch.boots[i].refused]
    if not batch.boots:
        raise BenchError(f"placement refused every server: {batch.refused[0]}")
    batch.all_active = max(b.active or float("nan") for b in batch.boots)
    batch.all_ready = max(b.ready or float("nan") for b in batch.boots)
    time.sleep(1.0)   # let the agent's pass after the last boot settle
    batch.rss_kib = proc_status_kib(server.pid, "VmRSS")
    batch.hwm_kib = proc_status_kib(server.pid, "VmHWM")
    batch.load = load_average()
    cloud.delete_all()
    return batch


def kill_leftovers(state_dir: Path) -> int:
    """SIGKILL the QEMU processes and console keepers of our state dir (guests outlive
    `nuage up` by design); found by their working directory, under our state dir."""
    killed = 0
    root = str(state_dir.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + "/"):
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
    return killed


# --------------------------------------------------------------------------- report


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(res: Results) -> str:
    def row(name: str, values: list[float | None], base: list[float | None] | None) -> list[str]:
        ratio = ""
        if base is not None:
            ratio = f"{median(values) / median(base):.2f}"
        return [name, ms(median(values)), spread(values), ratio]

    plain, ours = res.plain, res.nuage
    rows = [
        row("plain QEMU: first console byte", [b.first_byte for b in plain], None),
        row("plain QEMU: **first console line**", [b.first_line for b in plain], None),
        row("plain QEMU: `nuage-guest: ready`", [b.ready for b in plain], None),
        row("nuage: POST /servers answered (202)", [b.posted for b in ours], None),
        row("nuage: ACTIVE (GET every 50 ms)", [b.active for b in ours], None),
        row("nuage: first console byte (console.log)", [b.first_byte for b in ours],
            [b.first_byte for b in plain]),
        row("nuage: **first console line** (console.log)", [b.first_line for b in ours],
            [b.first_line for b in plain]),
        row("nuage: first output via os-getConsoleOutput (every 50 ms from the first byte)",
            [b.api_console for b in ours], [b.first_line for b in plain]),
        row("nuage: `nuage-guest: ready`", [b.ready for b in ours], [b.ready for b in plain]),
    ]
    base, mine, extra = res.overhead()
    verdict = "meets" if res.meets_target() else "MISSES"
    batch = res.batch
    running = len(batch.boots)
    refused = ""
    if batch.refused:
        refused = (f" {len(batch.refused)} of them were refused by placement (\"No valid "
                   f"host was found\": the host's vCPUs x its CPU allocation ratio are "
                   f"used up), so {running} guests ran.")
    w = res.warmup
    lines = [
        f"Guests: {res.memory_mb} MB, {res.vcpus} vCPU, accelerator **{res.accelerator}**; "
        f"{len(plain)} boots each, plain and nuage alternately. Seconds from the process "
        "start (plain) or from sending `POST /servers` (nuage); median and min-max; ratio = "
        "nuage median / plain median.",
        "",
        *table(["Event", "Median (s)", "Min-max (s)", "Ratio"], rows, "lrrr"),
        "",
        f"Time to the first console line: plain {base:.2f} s, nuage {mine:.2f} s: nuage adds "
        f"**{extra:+.2f} s ({extra / base:+.0%})**; target < {TARGET_RATIO:.0%} and < "
        f"{TARGET_SECONDS} s: **{verdict}** it.",
        "",
        f"Warm-up boot (the agent copies the image into its cache first): ACTIVE "
        f"{ms(w.active)} s, first console line {ms(w.first_line)} s, ready {ms(w.ready)} s.",
        "",
        f"{batch.count} servers created at once (concurrent POSTs):{refused} All ACTIVE "
        f"after **{ms(batch.all_active)} s**, all `ready` after **{ms(batch.all_ready)} s** "
        f"(first console lines {spread([b.first_line for b in batch.boots])} s; load average "
        f"afterwards {batch.load}).",
        "",
        f"Control-plane memory (`nuage up` process only, not QEMU): VmRSS idle "
        f"**{res.idle_rss_kib / 1024:,.0f} MB**, with {running} guests running "
        f"**{batch.rss_kib / 1024:,.0f} MB** (VmHWM {batch.hwm_kib / 1024:,.0f} MB).",
        "",
        f"Load average (1/5/15 min) during the run: {'; '.join(res.loads)}.",
    ]
    return "\n".join(lines)


def machine_line(args: argparse.Namespace) -> str:
    return (f"Measured {today()} at commit `{git_revision()}` with `--boots {args.boots} "
            f"--concurrent {args.concurrent} --flavor {args.flavor}`; machine: {machine()}; "
            f"SQLite. The benchmark, nuage and the guests share the same CPUs.")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--boots", type=int, default=5, help="boots of each kind (5)")
    parser.add_argument("--concurrent", type=int, default=10, help="servers at once (10)")
    parser.add_argument("--flavor", default="m1.tiny", help="nuage flavor (m1.tiny)")
    parser.add_argument("--timeout", type=float, default=120.0, help="per boot (120 s)")
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite the results in docs/benchmarks.md")
    parser.add_argument("--check", action="store_true", help="exit 2 when the target is missed")
    args = parser.parse_args(argv)
    if not 1 <= args.boots <= 50 or not 0 <= args.concurrent <= 10 or args.timeout <= 0:
        parser.error("1 <= --boots <= 50, 0 <= --concurrent <= 10 (the default quota), "
                     "--timeout > 0")
    return args


def step(message: str) -> None:
    print(f"-- {message}", flush=True)


def show(kind: str, boot: Boot) -> None:
    print(f"   {kind}: first line {ms(boot.first_line)} s, active {ms(boot.active)} s, "
          f"ready {ms(boot.ready)} s (load {load_average()})", flush=True)


def run(args: argparse.Namespace, tmp: Path, procs: list[subprocess.Popen[bytes]],
        on_server: Callable[[NuageServer], None]) -> Results:
    step("guest image and accelerator")
    image = build_guest_image(Path.home() / ".cache" / "nuage" / "guest-image")
    accelerator = host.probe_accelerator(QEMU).accelerator
    server = NuageServer(tmp / "state", tmp / "nuage-up.log",
                         env={"NUAGE_LOG_LEVEL": "warning"})
    on_server(server)
    step("nuage up")
    server.start()
    server.wait_ready()
    cloud = Cloud(server, args.flavor)
    memory_mb, vcpus = int(cloud.flavor["ram"]), int(cloud.flavor["vcpus"])
    disk_gb = max(1, int(cloud.flavor["disk"]))
    seen = cloud.accelerator()
    if seen.lower() not in (accelerator, "qemu" if accelerator == "tcg" else accelerator):
        print(f"   note: nuage reports hypervisor type {seen}, the probe said {accelerator}")
    time.sleep(2.0)
    idle = proc_status_kib(server.pid, "VmRSS")
    loads = [load_average()]
    step(f"warm-up boot ({args.flavor}: {memory_mb} MB, {vcpus} vCPU, {accelerator})")
    warmup = nuage_boot(cloud, server.state_dir, "bench-warmup", args.timeout)
    show("nuage warm-up", warmup)
    plain: list[Boot] = []
    ours: list[Boot] = []
    for i in range(args.boots):
        step(f"boot {i + 1}/{args.boots}")
        overlay, config = prepare_plain(image, tmp / "plain", disk_gb)
        argv = plain_argv(image, accelerator, memory_mb, vcpus, overlay, config)
        plain.append(plain_boot(argv, args.timeout, procs))
        show("plain", plain[-1])
        ours.append(nuage_boot(cloud, server.state_dir, f"bench-{i}", args.timeout))
        show("nuage", ours[-1])
    loads.append(load_average())
    batch = Batch(0)
    if args.concurrent:
        step(f"{args.concurrent} servers at once")
        batch = nuage_batch(cloud, server, args.concurrent, args.timeout * 3)
        print(f"   {len(batch.boots)} placed, {len(batch.refused)} refused; all active "
              f"{ms(batch.all_active)} s, all ready {ms(batch.all_ready)} s, "
              f"RSS {batch.rss_kib / 1024:,.0f} MB")
    return Results(accelerator, memory_mb, vcpus, warmup, plain, ours, batch, idle, loads)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sigterm_as_interrupt()
    procs: list[subprocess.Popen[bytes]] = []
    servers: list[NuageServer] = []
    with tempfile.TemporaryDirectory(prefix="nuage-bench-boot-", dir="/var/tmp") as tmp:
        try:
            results = run(args, Path(tmp), procs, servers.append)
        except BenchError as exc:
            print(f"bench/boot.py: {exc}", file=sys.stderr)
            for server in servers:
                print(server.log_tail(), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("bench/boot.py: interrupted", file=sys.stderr)
            return 130
        finally:
            for proc in list(procs):
                stop_process(proc)
            for server in servers:
                with contextlib.suppress(Exception):
                    if server.proc is not None and server.proc.poll() is None:
                        Cloud(server, args.flavor).delete_all(timeout=60)
                server.stop()
                left = kill_leftovers(server.state_dir)
                if left:
                    print(f"   killed {left} leftover guest processes", file=sys.stderr)
        section = f"{machine_line(args)}\n\n{markdown(results)}"
    print()
    print(section)
    return conclude(section, write=args.write_docs, markers=(RESULTS_START, RESULTS_END),
                    check=args.check, met=results.meets_target())


if __name__ == "__main__":
    sys.exit(main())
