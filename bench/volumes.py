"""Volume benchmark: I/O inside a guest on an encrypted nuage volume against the same guest
on a plain raw file, and the time to create a 10 GB volume from an image.

Run from the repo root (see docs/benchmarks.md):

    .venv/bin/python bench/volumes.py [--rounds 2] [--mib 128] [--seconds 3] [--write-docs]

One run, one temporary directory under /var/tmp (the raw file, nuage's state dir and so
its volumes all on the same disk):

1. builds (or reuses) the default guest image, probes the accelerator as the QEMU driver
   does, compiles `bench/volio.c` with the host's gcc (already installed by
   `scripts/install.sh`, which needs it for Python extensions), starts `nuage up`;
2. **baseline**: `qemu-system-x86_64` with the driver's machine, accelerator, memory,
   vCPUs, root disk and kernel (bench/boot.py's plain QEMU) plus a sparse raw file of
   --volume-gb GiB as a second virtio-blk disk, opened the way the driver opens a volume
   (`-blockdev` file node, QEMU's default cache mode, `discard=unmap`), serial
   `volbench-baseline`; its config drive carries the user-data below;
3. **nuage**, once the baseline guest is stopped: a --volume-gb GiB volume (qcow2 with
   LUKS, its own key) through `POST /volume/v3/{project}/volumes`, a server of the default
   image (flavor --flavor, no network) with the same user-data, and the volume attached
   through Nova's `POST /servers/{id}/os-volume_attachments` once the server is ACTIVE;
4. in each guest, the user-data waits for the disk whose serial is the volume's (or the
   baseline's), then --rounds times runs, in order: sequential write and read of the first
   --mib MiB in 1 MiB requests, 4 KiB random writes then reads across those --mib MiB for
   --seconds each. Writes are fsync'ed inside their timing. All of it with O_DIRECT: the
   guest's page cache is bypassed (the host's is not, on both sides alike: QEMU's default
   cache mode, the one nuage's driver uses). Results come back on the serial console
   (the plain QEMU's stdout, the guest's console.log in nuage's state dir);
5. on the host, no guest: `qemu-io` reads --mib MiB of a raw file and of a LUKS qcow2
   made as the volume driver makes them (page cache warm): QEMU's decryption alone, to
   tell its share of the figures from TCG's;
6. --creates times: `POST /volume/v3/{project}/volumes` of 10 GiB with `imageRef` the
   default image `nuage-guest`, timed to `available` (GET every 100 ms), then deleted.

The figures: per test, the median over the rounds of MiB/s (sequential) or IOPS (random)
on each side, and the ratio nuage / baseline.

Why a tiny program of our own for the I/O (`volio.c`): busybox, the guest's only userland,
has no tool that issues thousands of 4 KiB requests a second without a fork per request
(`dd` per request measures fork, not the disk). `dd` would do for the sequential tests,
but one program for all four times them all the same way (CLOCK_MONOTONIC around the
requests, the fsync included). `fio` would need its shared libraries in a bench-only
initramfs and a Glance image of it for the nuage side. volio is freestanding C (raw system
calls, no libc), so the host's gcc makes a static 9 KB binary that runs in any x86-64
guest; it travels inside the user-data (base64, well under Nova's 64 KiB), so both guests
run the default image, unchanged, and the same bytes.

Every request goes to 127.0.0.1, every wait is bounded, and the server, its guests and the
plain QEMU are stopped whatever happens.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from boot import QEMU, console_log, kill_leftovers, plain_argv, stop_process

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
    sigterm_as_interrupt,
    table,
    today,
)

RESULTS_START = "<!-- bench/volumes.py results: start -->"
RESULTS_END = "<!-- bench/volumes.py results: end -->"
VOLIO_SOURCE = Path(__file__).resolve().parent / "volio.c"
MODES = ("seqwrite", "seqread", "randwrite", "randread")
LABELS = {"seqwrite": "sequential write, 1 MiB (MiB/s)",
          "seqread": "sequential read, 1 MiB (MiB/s)",
          "randwrite": "random write, 4 KiB (IOPS)",
          "randread": "random read, 4 KiB (IOPS)"}
BASELINE_SERIAL = "volbench-baseline"
DONE = "VOLBENCH done"
SERIAL_MAX = 20              # virtio-blk's serial: the volume id's first 20 characters
POLL = 0.1
LUKS_FLAKE = "Unable to get accurate CPU usage"
# As drivers/qcow2_volumes/driver.py makes a volume's LUKS header.
LUKS_OPTIONS = "encrypt.format=luks,encrypt.key-secret=sec,encrypt.iter-time=100,"\
    "encrypt.hash-alg=sha512"


def tool(argv: list[str], timeout: float = 120.0, tries: int = 1) -> str:
    """A host tool's stdout; BenchError with its stderr when it fails. `tries` for
    qemu-img's LUKS create, which sometimes fails its own PBKDF2 benchmark (the volume
    driver retries it too: drivers/qcow2_volumes/driver.py, _BENCHMARK_FLAKE)."""
    for attempt in range(1, tries + 1):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            raise BenchError(f"{argv[0]}: {exc}") from exc
        if out.returncode == 0:
            return out.stdout
        if attempt == tries or LUKS_FLAKE not in out.stderr:
            raise BenchError(f"{' '.join(argv)}: exit {out.returncode}: {out.stderr[-500:]}")
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- the guest side


def build_volio(out: Path) -> bytes:
    """volio.c compiled freestanding and static; its bytes."""
    cmd = ["gcc", "-static", "-nostdlib", "-ffreestanding", "-Os", "-fno-builtin",
           "-fno-stack-protector", "-fno-pie", "-no-pie", "-fno-asynchronous-unwind-tables",
           "-s", "-Wl,--build-id=none", "-o", str(out), str(VOLIO_SOURCE)]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    except FileNotFoundError as exc:
        raise BenchError("gcc is missing: run scripts/install.sh") from exc
    except subprocess.CalledProcessError as exc:
        raise BenchError(f"gcc failed on {VOLIO_SOURCE}: {exc.stderr.decode()}") from exc
    return out.read_bytes()


def user_data(volio: bytes, serial: str, rounds: int, mib: int, seconds: int) -> str:
    """The guest's script: in the background (boot goes on), wait for the disk of this
    serial, unpack volio, run the tests, every line to the console."""
    encoded = base64.encodebytes(volio).decode()
    tests = " ".join(MODES)
    return f"""#!/bin/sh
(
echo "VOLBENCH waiting for the disk with serial {serial}"
dev=""
while [ -z "$dev" ]; do
    for d in /sys/block/vd*; do
        [ "$(cat "$d/serial" 2>/dev/null)" = "{serial}" ] && dev=/dev/${{d##*/}}
    done
    [ -n "$dev" ] && [ -b "$dev" ] || {{ dev=""; sleep 1; }}
done
echo "VOLBENCH disk $dev"
base64 -d > /run/volio <<'EOF'
{encoded}EOF
chmod 755 /run/volio
r=0
while [ $r -lt {rounds} ]; do
    r=$((r + 1))
    for mode in {tests}; do
        amount={mib}
        case $mode in rand*) amount={seconds} ;; esac
        /run/volio $mode "$dev" {mib} $amount || echo "VOLIO failed mode=$mode"
    done
done
echo "{DONE}"
) > /dev/console 2>&1 < /dev/null &
"""


@dataclass(frozen=True)
class Sample:
    """One volio run: bytes moved, requests made, nanoseconds taken."""
    bytes: int
    ops: int
    ns: int

    def figure(self, mode: str) -> float:
        """MiB/s for the sequential tests, IOPS (requests per second) for the random."""
        seconds = self.ns / 1e9
        if seconds <= 0:
            return float("nan")
        return self.ops / seconds if mode.startswith("rand") else self.bytes / 2**20 / seconds


VOLIO_LINE = re.compile(r"VOLIO mode=(\w+) bytes=(\d+) ops=(\d+) ns=(\d+)")
VOLIO_ERROR = re.compile(r"VOLIO (?:error=\S+ errno=\d+|failed mode=\w+)")


def parse_console(text: str) -> dict[str, list[Sample]]:
    """volio's lines out of a console (kernel and init lines in between); raises when a
    run failed or the guest did not finish."""
    error = VOLIO_ERROR.search(text)
    if error:
        raise BenchError(f"in the guest: {error.group(0)}")
    if DONE not in text:
        raise BenchError("the guest did not finish its tests")
    found: dict[str, list[Sample]] = {mode: [] for mode in MODES}
    for match in VOLIO_LINE.finditer(text):
        mode = match.group(1)
        if mode in found:
            found[mode].append(Sample(*(int(g) for g in match.group(2, 3, 4))))
    missing = [mode for mode, samples in found.items() if not samples]
    if missing:
        raise BenchError(f"no result for {', '.join(missing)}")
    return found


def median_figure(samples: list[Sample], mode: str) -> float:
    return statistics.median(s.figure(mode) for s in samples)


# --------------------------------------------------------------------------- baseline


def baseline_argv(image: GuestImageFiles, accelerator: str, memory_mb: int, vcpus: int,
                  overlay: Path, config: Path, raw: Path) -> list[str]:
    """bench/boot.py's plain QEMU plus the raw file, opened as drivers/qemu/volumes.py's
    `blockdev` opens a volume (file node, default cache, discard=unmap) but raw."""
    node = ('{"driver":"raw","node-name":"bench-vol","discard":"unmap","file":'
            f'{{"driver":"file","filename":"{raw}","discard":"unmap"}}}}')
    return [*plain_argv(image, accelerator, memory_mb, vcpus, overlay, config),
            "-blockdev", node,
            "-device", f"virtio-blk-pci,drive=bench-vol,serial={BASELINE_SERIAL}"]


def prepare_baseline(image: GuestImageFiles, workdir: Path, disk_gb: int, volume_gb: int,
                     script: str) -> tuple[Path, Path, Path]:
    """The root overlay, the config drive with the user-data, the sparse raw file."""
    workdir.mkdir(parents=True, exist_ok=True)
    overlay, config, raw = workdir / "disk.qcow2", workdir / "config.iso", workdir / "vol.raw"
    for path, fmt, extra in ((overlay, "qcow2", ["-F", "qcow2", "-b", str(image.disk)]),
                             (raw, "raw", [])):
        path.unlink(missing_ok=True)
        size = (disk_gb if path == overlay else volume_gb) * 2**30
        tool(["qemu-img", "create", "-q", "-f", fmt, *extra, str(path), str(size)])
    meta = {"uuid": str(uuid.uuid4()), "name": "baseline", "hostname": "baseline",
            "launch_index": 0, "availability_zone": "nova", "public_keys": {}, "keys": [],
            "meta": {}, "devices": []}
    write_config_drive(ConfigDrive(meta_data=meta, user_data=script.encode(),
                                   network_data={"links": [], "networks": [], "services": []},
                                   vendor_data={}), config)
    return overlay, config, raw


def run_baseline(argv: list[str], timeout: float,
                 procs: list[subprocess.Popen[bytes]]) -> str:
    """The guest's console until the tests are done."""
    seen = b""
    began = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    procs.append(proc)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    try:
        while DONE.encode() not in seen and b"VOLIO failed" not in seen:
            left = began + timeout - time.monotonic()
            if left <= 0:
                raise BenchError(f"baseline guest not done after {timeout:g} s:\n"
                                 f"{seen[-2000:].decode(errors='replace')}")
            if not select.select([fd], [], [], min(left, 1.0))[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise BenchError(f"plain QEMU exited ({proc.poll()}) before the tests ended")
            seen += chunk
    finally:
        stop_process(proc)
        procs.remove(proc)
    return seen.decode(errors="replace")


# --------------------------------------------------------------------------- nuage


class Cloud:
    """Nova and Cinder of our `nuage up`, as the admin project."""

    def __init__(self, server: NuageServer, flavor: str) -> None:
        self.server = server
        token, info = issue_token(server.base_url, server.admin_password())
        project = info["project"]["id"]
        headers = {"X-Auth-Token": token}
        self.compute = httpx.Client(base_url=f"{server.base_url}/compute/v2.1",
                                    timeout=60.0, headers=headers)
        self.volume = httpx.Client(base_url=f"{server.base_url}/volume/v3/{project}",
                                   timeout=60.0, headers=headers)
        self.image_id = self._image_id(server.base_url, token)
        self.flavor = self._flavor(flavor)

    def close(self) -> None:
        self.compute.close()
        self.volume.close()

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
        for flavor in self.compute.get("/flavors/detail").json().get("flavors", []):
            if flavor["name"] == name:
                return dict(flavor)
        raise BenchError(f"no flavor {name!r}")

    def accelerator(self) -> str:
        resp = self.compute.get("/os-hypervisors/detail")
        hypervisors = resp.json().get("hypervisors", []) if resp.status_code == 200 else []
        return str(hypervisors[0].get("hypervisor_type", "?")) if hypervisors else "?"

    @staticmethod
    def _expect(resp: httpx.Response, status: int, what: str) -> dict[str, Any]:
        if resp.status_code != status:
            raise BenchError(f"{what}: HTTP {resp.status_code} {resp.text[:300]}")
        body: dict[str, Any] = resp.json() if resp.content else {}
        return body

    # volumes

    def create_volume(self, name: str, size_gb: int, image_id: str | None = None) -> str:
        body: dict[str, Any] = {"name": name, "size": size_gb}
        if image_id:
            body["imageRef"] = image_id
        return str(self._expect(self.volume.post("/volumes", json={"volume": body}), 202,
                                "POST /volumes")["volume"]["id"])

    def volume_status(self, volume_id: str) -> str:
        resp = self.volume.get(f"/volumes/{volume_id}")
        if resp.status_code == 404:
            return "gone"
        return str(self._expect(resp, 200, "GET /volumes/{id}")["volume"]["status"])

    def wait_volume(self, volume_id: str, wanted: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (status := self.volume_status(volume_id)) != wanted:
            if status.startswith("error"):
                raise BenchError(f"volume {volume_id} went to {status}")
            if time.monotonic() > deadline:
                raise BenchError(f"volume {volume_id} is {status}, not {wanted}, after "
                                 f"{timeout:g} s")
            time.sleep(POLL)

    def delete_volume(self, volume_id: str, timeout: float) -> None:
        resp = self.volume.delete(f"/volumes/{volume_id}")
        if resp.status_code not in (202, 404):
            raise BenchError(f"DELETE /volumes/{volume_id}: HTTP {resp.status_code} "
                             f"{resp.text[:300]}")
        self.wait_volume(volume_id, "gone", timeout)

    # servers

    def create_server(self, name: str, script: str) -> str:
        body = {"server": {"name": name, "imageRef": self.image_id,
                           "flavorRef": self.flavor["id"], "networks": "none",
                           "user_data": base64.b64encode(script.encode()).decode()}}
        return str(self._expect(self.compute.post("/servers", json=body), 202,
                                "POST /servers")["server"]["id"])

    def wait_active(self, server_id: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            server = self._expect(self.compute.get(f"/servers/{server_id}"), 200,
                                  "GET /servers/{id}")["server"]
            if server["status"] == "ACTIVE":
                return
            if server["status"] == "ERROR":
                raise BenchError(f"server in ERROR: {server.get('fault')}")
            if time.monotonic() > deadline:
                raise BenchError(f"server {server['status']} after {timeout:g} s")
            time.sleep(POLL)

    def attach(self, server_id: str, volume_id: str) -> None:
        self._expect(self.compute.post(f"/servers/{server_id}/os-volume_attachments",
                                       json={"volumeAttachment": {"volumeId": volume_id}}),
                     200, "POST /servers/{id}/os-volume_attachments")

    def delete_servers(self, timeout: float) -> None:
        ids = [s["id"] for s in self.compute.get("/servers").json().get("servers", [])]
        for server_id in ids:
            self.compute.delete(f"/servers/{server_id}")
        deadline = time.monotonic() + timeout
        while self.compute.get("/servers").json().get("servers", []):
            if time.monotonic() > deadline:
                raise BenchError(f"servers not deleted after {timeout:g} s")
            time.sleep(POLL)

    def delete_volumes(self, timeout: float) -> None:
        for volume in self.volume.get("/volumes").json().get("volumes", []):
            self.volume.delete(f"/volumes/{volume['id']}")
        deadline = time.monotonic() + timeout
        while self.volume.get("/volumes").json().get("volumes", []):
            if time.monotonic() > deadline:
                raise BenchError(f"volumes not deleted after {timeout:g} s")
            time.sleep(POLL)


def check_encrypted(state_dir: Path, volume_id: str) -> None:
    """The volume's file (drivers/qcow2_volumes: <state_dir>/volumes/<id>.qcow2) is a
    qcow2 with LUKS: what is measured is the encrypted path."""
    path = state_dir / "volumes" / f"{volume_id}.qcow2"
    info = tool(["qemu-img", "info", "--output=json", "-U", str(path)])
    if '"encrypt"' not in info or '"luks"' not in info:
        raise BenchError(f"{path} is not a LUKS qcow2: {info[:300]}")


def wait_console(path: Path, timeout: float) -> str:
    """console.log until the tests are done (or failed)."""
    deadline = time.monotonic() + timeout
    text = ""
    while DONE not in text and "VOLIO failed" not in text:
        if time.monotonic() > deadline:
            raise BenchError(f"nuage guest not done after {timeout:g} s:\n{text[-2000:]}")
        time.sleep(0.5)
        with contextlib.suppress(FileNotFoundError):
            text = path.read_text(errors="replace")
    return text


# --------------------------------------------------------------------------- host only


def parse_qemu_io(output: str) -> float:
    """MiB/s out of qemu-io's summary line: "128 MiB, 1 ops; 00.93 sec (136.946 MiB/sec and
    1.0699 ops/sec)"."""
    match = QEMU_IO_RATE.search(output)
    if not match:
        raise BenchError(f"qemu-io said no rate: {output.strip()[-300:]}")
    return float(match.group(1)) * QEMU_IO_UNITS[match.group(2)]


QEMU_IO_RATE = re.compile(r"\(([\d.]+) (bytes|KiB|MiB|GiB)/sec and")
QEMU_IO_UNITS = {"bytes": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0}


def host_read_rates(workdir: Path, mib: int) -> tuple[float, float]:
    """What QEMU's block layer alone (qemu-io on the host, no guest, the host's page
    cache warm) reads at: a raw file, and a qcow2 with LUKS as the volume driver makes
    them (QEMU's default cipher, aes-256-xts). Tells the LUKS path's cost from TCG's."""
    workdir.mkdir(parents=True, exist_ok=True)
    secret = "secret,id=sec,data=volbench"
    raw, enc = workdir / "host.raw", workdir / "host.qcow2"
    tool(["qemu-img", "create", "-q", "-f", "raw", str(raw), f"{mib}M"])
    tool(["qemu-img", "create", "-q", "-f", "qcow2", "--object", secret, "-o", LUKS_OPTIONS,
          str(enc), f"{mib}M"], tries=5)
    rates = []
    for opts in (["-f", "raw", str(raw)],
                 ["--object", secret, "--image-opts",
                  f"driver=qcow2,file.filename={enc},encrypt.key-secret=sec"]):
        for command in (f"write 0 {mib}M", f"read 0 {mib}M"):
            out = tool(["qemu-io", *opts[:-1], "-c", command, opts[-1]], timeout=300)
        rates.append(parse_qemu_io(out))
    raw.unlink()
    enc.unlink()
    return rates[0], rates[1]


def create_from_image(cloud: Cloud, size_gb: int, timeout: float) -> float:
    """Seconds from POST /volumes (imageRef nuage-guest) to `available`; then deleted."""
    began = time.perf_counter()
    volume_id = cloud.create_volume("bench-from-image", size_gb, cloud.image_id)
    cloud.wait_volume(volume_id, "available", timeout)
    seconds = time.perf_counter() - began
    cloud.delete_volume(volume_id, timeout)
    return seconds


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    accelerator: str
    memory_mb: int
    vcpus: int
    baseline: dict[str, list[Sample]]
    nuage: dict[str, list[Sample]]
    creates: list[float] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)
    attach_seconds: float = float("nan")
    host_rates: tuple[float, float] = (float("nan"), float("nan"))


def rows(baseline: dict[str, list[Sample]], ours: dict[str, list[Sample]]) -> list[list[str]]:
    """Per test: the medians of each side and their ratio (nuage / baseline)."""
    out = []
    for mode in MODES:
        base, mine = median_figure(baseline[mode], mode), median_figure(ours[mode], mode)
        spread = ", ".join(f"{s.figure(mode):,.0f}" for s in ours[mode])
        out.append([LABELS[mode], f"{base:,.0f}", f"{mine:,.0f}", f"{mine / base:.2f}",
                    spread])
    return out


def markdown(res: Results, args: argparse.Namespace) -> str:
    creates = ", ".join(f"{s:.2f}" for s in res.creates)
    lines = [
        f"Guests: {res.memory_mb} MB, {res.vcpus} vCPU, accelerator **{res.accelerator}**; "
        f"{args.rounds} rounds in each guest, O_DIRECT, the first {args.mib} MiB of a "
        f"{args.volume_gb} GiB disk, random tests {args.seconds} s each. Baseline: plain "
        "QEMU with a sparse raw file; nuage: an encrypted volume (qcow2 + LUKS) attached "
        "through Nova. Medians over the rounds; ratio = nuage / baseline.",
        "",
        *table(["Test", "Raw file", "nuage volume", "Ratio", "nuage per round"],
               rows(res.baseline, res.nuage), "lrrrr"),
        "",
        f"10 GiB volume from the image `nuage-guest` (POST to `available`): "
        f"**{statistics.median(res.creates):.2f} s** median ({creates} s). Attaching the "
        f"volume to the running guest (POST to `in-use`): {res.attach_seconds:.2f} s.",
        "",
        f"QEMU's block layer alone, on the host (`qemu-io`, no guest, the host's page cache "
        f"warm), reading {args.mib} MiB: raw file **{res.host_rates[0]:,.0f} MiB/s**, "
        f"qcow2 with LUKS (aes-256-xts) **{res.host_rates[1]:,.0f} MiB/s**.",
        "",
        f"Load average (1/5/15 min) before, between and after: {'; '.join(res.loads)}.",
    ]
    return "\n".join(lines)


def machine_line(args: argparse.Namespace) -> str:
    return (f"Measured {today()} at commit `{git_revision()}` with `--rounds {args.rounds} "
            f"--mib {args.mib} --seconds {args.seconds} --creates {args.creates}`; machine: "
            f"{machine()}; SQLite; files on the same disk (/var/tmp). The benchmark, nuage "
            "and the guests share the same CPUs, and other users' QEMU guests ran alongside.")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=2, help="tests per guest (2)")
    parser.add_argument("--mib", type=int, default=128,
                        help="MiB written and read sequentially, and the random tests' span")
    parser.add_argument("--seconds", type=int, default=3, help="per random test (3 s)")
    parser.add_argument("--volume-gb", type=int, default=1, help="the disk tested (1 GiB)")
    parser.add_argument("--creates", type=int, default=2,
                        help="10 GiB volumes created from the image (2)")
    parser.add_argument("--create-gb", type=int, default=10, help=argparse.SUPPRESS)
    parser.add_argument("--flavor", default="m1.tiny", help="nuage flavor (m1.tiny)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per guest (300 s)")
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite the results in docs/benchmarks.md")
    args = parser.parse_args(argv)
    if (not 1 <= args.rounds <= 20 or not 1 <= args.mib <= args.volume_gb * 1024
            or not 1 <= args.seconds <= 600 or not 1 <= args.creates <= 10
            or args.timeout <= 0):
        parser.error("1 <= --rounds <= 20, 1 <= --mib <= --volume-gb * 1024, "
                     "1 <= --seconds <= 600, 1 <= --creates <= 10, --timeout > 0")
    return args


def step(message: str) -> None:
    print(f"-- {message} (load {load_average()})", flush=True)


def show(kind: str, found: dict[str, list[Sample]]) -> None:
    print(f"   {kind}: " + ", ".join(f"{mode} {median_figure(found[mode], mode):,.0f}"
                                     for mode in MODES), flush=True)


def run(args: argparse.Namespace, tmp: Path, procs: list[subprocess.Popen[bytes]],
        on_server: Callable[[NuageServer], None]) -> Results:
    step("guest image, accelerator, volio")
    image = build_guest_image(Path.home() / ".cache" / "nuage" / "guest-image")
    accelerator = host.probe_accelerator(QEMU).accelerator
    volio = build_volio(tmp / "volio")
    server = NuageServer(tmp / "state", tmp / "nuage-up.log",
                         env={"NUAGE_LOG_LEVEL": "warning"})
    on_server(server)
    step("nuage up")
    server.start()
    server.wait_ready()
    cloud = Cloud(server, args.flavor)
    memory_mb, vcpus = int(cloud.flavor["ram"]), int(cloud.flavor["vcpus"])
    disk_gb = max(1, int(cloud.flavor["disk"]))
    loads = [load_average()]

    step(f"baseline: plain QEMU on a raw file ({memory_mb} MB, {vcpus} vCPU, {accelerator})")
    script = user_data(volio, BASELINE_SERIAL, args.rounds, args.mib, args.seconds)
    overlay, config, raw = prepare_baseline(image, tmp / "plain", disk_gb, args.volume_gb,
                                            script)
    argv = baseline_argv(image, accelerator, memory_mb, vcpus, overlay, config, raw)
    baseline = parse_console(run_baseline(argv, args.timeout, procs))
    show("raw file", baseline)
    raw.unlink()
    host_rates = host_read_rates(tmp / "host", args.mib)
    print(f"   qemu-io on the host: raw {host_rates[0]:,.0f} MiB/s, "
          f"LUKS qcow2 {host_rates[1]:,.0f} MiB/s", flush=True)
    loads.append(load_average())

    step("nuage: volume, server, attachment")
    volume_id = cloud.create_volume("bench-io", args.volume_gb)
    cloud.wait_volume(volume_id, "available", args.timeout)
    check_encrypted(server.state_dir, volume_id)
    script = user_data(volio, volume_id[:SERIAL_MAX], args.rounds, args.mib, args.seconds)
    server_id = cloud.create_server("bench-io", script)
    cloud.wait_active(server_id, args.timeout)
    began = time.perf_counter()
    cloud.attach(server_id, volume_id)
    cloud.wait_volume(volume_id, "in-use", args.timeout)
    attach_seconds = time.perf_counter() - began
    ours = parse_console(wait_console(console_log(server.state_dir, server_id),
                                      args.timeout))
    show("nuage volume", ours)
    cloud.delete_servers(args.timeout)
    cloud.delete_volume(volume_id, args.timeout)
    loads.append(load_average())

    creates = []
    for i in range(args.creates):
        step(f"{args.create_gb} GiB volume from the image, {i + 1}/{args.creates}")
        creates.append(create_from_image(cloud, args.create_gb, args.timeout))
        print(f"   {creates[-1]:.2f} s", flush=True)
    loads.append(load_average())
    cloud.close()
    return Results(accelerator, memory_mb, vcpus, baseline, ours, creates, loads,
                   attach_seconds, host_rates)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sigterm_as_interrupt()
    procs: list[subprocess.Popen[bytes]] = []
    servers: list[NuageServer] = []
    with tempfile.TemporaryDirectory(prefix="nuage-bench-volumes-", dir="/var/tmp") as tmp:
        try:
            results = run(args, Path(tmp), procs, servers.append)
        except (BenchError, OSError, subprocess.SubprocessError, httpx.HTTPError) as exc:
            print(f"bench/volumes.py: {exc}", file=sys.stderr)
            for server in servers:
                print(server.log_tail(), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("bench/volumes.py: interrupted", file=sys.stderr)
            return 130
        finally:
            for proc in list(procs):
                stop_process(proc)
            for server in servers:
                with contextlib.suppress(Exception):
                    if server.proc is not None and server.proc.poll() is None:
                        cloud = Cloud(server, args.flavor)
                        cloud.delete_servers(timeout=60)
                        cloud.delete_volumes(timeout=60)
                server.stop()
                left = kill_leftovers(server.state_dir)
                if left:
                    print(f"   killed {left} leftover guest processes", file=sys.stderr)
        section = f"{machine_line(args)}\n\n{markdown(results, args)}"
    print()
    print(section)
    return conclude(section, write=args.write_docs, markers=(RESULTS_START, RESULTS_END),
                    check=False, met=True)


if __name__ == "__main__":
    sys.exit(main())
