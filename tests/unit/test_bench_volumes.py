"""bench/volumes.py's parsing and arithmetic (the benchmark itself is not part of the suite:
it needs QEMU and minutes). Loaded by path, as `python bench/volumes.py` runs it, with
bench/ first on sys.path for its `support` and `boot` imports."""

from __future__ import annotations

import base64
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def volumes() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_volumes", BENCH / "volumes.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module     # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


CONSOLE = """\
[    1.234] virtio_blk virtio2: [vdb] 2097152 512-byte logical blocks
nuage-disk: vdb added serial=volbench-baseline size=1073741824
VOLBENCH disk /dev/vdb
VOLIO mode=seqwrite bytes=134217728 ops=128 ns=2000000000
VOLIO mode=seqread bytes=134217728 ops=128 ns=500000000
VOLIO mode=randwrite bytes=16384000 ops=4000 ns=4000000000
VOLIO mode=randread bytes=32768000 ops=8000 ns=4000000000
VOLIO mode=seqwrite bytes=134217728 ops=128 ns=1000000000
nuage-guest: ready
VOLIO mode=seqread bytes=134217728 ops=128 ns=500000000
VOLIO mode=randwrite bytes=8192000 ops=2000 ns=4000000000
VOLIO mode=randread bytes=32768000 ops=8000 ns=2000000000
VOLBENCH done
"""


def test_the_console_gives_each_tests_samples_in_order(volumes: ModuleType) -> None:
    found = volumes.parse_console(CONSOLE)
    assert set(found) == set(volumes.MODES)
    assert found["seqwrite"] == [volumes.Sample(2**27, 128, 2_000_000_000),
                                 volumes.Sample(2**27, 128, 1_000_000_000)]
    assert len(found["randread"]) == 2


def test_sequential_figures_are_mib_per_second_random_ones_iops(volumes: ModuleType) -> None:
    found = volumes.parse_console(CONSOLE)
    assert volumes.median_figure(found["seqwrite"], "seqwrite") == pytest.approx(96.0)
    assert volumes.median_figure(found["seqread"], "seqread") == pytest.approx(256.0)
    assert volumes.median_figure(found["randwrite"], "randwrite") == pytest.approx(750.0)
    assert volumes.median_figure(found["randread"], "randread") == pytest.approx(3000.0)
    assert volumes.Sample(4096, 1, 0).figure("randread") != volumes.Sample(
        4096, 1, 0).figure("randread")      # NaN: no time, no figure


@pytest.mark.parametrize("console", [
    CONSOLE.replace("VOLBENCH done\n", ""),                       # the guest stopped early
    CONSOLE.replace("VOLIO mode=seqread bytes=134217728 ops=128 ns=500000000\n", ""),
    CONSOLE + "VOLIO error=pwrite errno=28\n",                    # volio failed in the guest
    CONSOLE.replace("VOLBENCH done", "VOLIO failed mode=randread\nVOLBENCH done"),
])
def test_an_unfinished_or_failed_run_is_an_error(volumes: ModuleType, console: str) -> None:
    with pytest.raises(volumes.BenchError):
        volumes.parse_console(console)


def test_rows_are_the_medians_and_nuage_over_the_raw_file(volumes: ModuleType) -> None:
    baseline = volumes.parse_console(CONSOLE)
    ours = {mode: [volumes.Sample(s.bytes, s.ops, s.ns * 2) for s in samples]
            for mode, samples in baseline.items()}      # half as fast everywhere
    rows = volumes.rows(baseline, ours)
    assert [row[0] for row in rows] == [volumes.LABELS[m] for m in volumes.MODES]
    assert rows[0][1:4] == ["96", "48", "0.50"]
    assert rows[3][1:4] == ["3,000", "1,500", "0.50"]
    assert rows[3][4] == "1,000, 2,000"                 # nuage per round


def test_qemu_io_rates_are_read_in_mib_per_second(volumes: ModuleType) -> None:
    line = "128 MiB, 1 ops; 00.93 sec (136.946 MiB/sec and 1.0699 ops/sec)\n"
    assert volumes.parse_qemu_io(line) == pytest.approx(136.946)
    line = "128 MiB, 1 ops; 00.02 sec (5.5 GiB/sec and 43.2196 ops/sec)\n"
    assert volumes.parse_qemu_io(line) == pytest.approx(5632.0)
    with pytest.raises(volumes.BenchError):
        volumes.parse_qemu_io("qemu-io: can't open device")


def test_the_user_data_is_a_valid_script_carrying_volio(volumes: ModuleType,
                                                       tmp_path: Path) -> None:
    script = volumes.user_data(b"\x7fELF" + bytes(range(256)) * 4, "0123456789abcdef0123",
                               2, 64, 3)
    assert script.startswith("#!/bin/sh\n")
    assert '= "0123456789abcdef0123" ]' in script
    assert len(script) < 65535 * 3 // 4          # Nova's user_data limit, base64-encoded
    path = tmp_path / "user-data"
    path.write_text(script)
    subprocess.run(["sh", "-n", str(path)], check=True)
    # The heredoc between the two markers is exactly the base64 of the binary.
    body = script.split("<<'EOF'\n", 1)[1].split("EOF\n", 1)[0]
    assert base64.b64decode(body) == b"\x7fELF" + bytes(range(256)) * 4


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_volio_builds_small_and_measures_a_file(volumes: ModuleType, tmp_path: Path) -> None:
    binary = volumes.build_volio(tmp_path / "volio")
    assert len(binary) < 32 * 1024       # the user-data carries it
    disk = tmp_path / "disk"
    disk.write_bytes(bytes(2 * 2**20))
    lines = []
    for mode, amount in (("seqwrite", "2"), ("seqread", "2"), ("randwrite", "1"),
                         ("randread", "1")):
        out = subprocess.run([str(tmp_path / "volio"), mode, str(disk), "2", amount],
                             capture_output=True, text=True, timeout=30)
        if out.returncode and "errno=22" in out.stdout:
            pytest.skip("this filesystem refuses O_DIRECT")
        assert out.returncode == 0, out.stdout
        lines.append(out.stdout)
    found = volumes.parse_console("".join(lines) + volumes.DONE + "\n")
    assert found["seqwrite"][0].bytes == 2 * 2**20
    assert found["randread"][0].ops >= 64
    assert disk.stat().st_size == 2 * 2**20


def test_a_failing_host_tool_is_a_bench_error_and_the_luks_flake_is_retried(
        volumes: ModuleType, tmp_path: Path) -> None:
    assert volumes.tool(["sh", "-c", "echo out"]) == "out\n"
    with pytest.raises(volumes.BenchError, match="exit 3: boom"):
        volumes.tool(["sh", "-c", "echo boom >&2; exit 3"], tries=5)   # not the flake
    with pytest.raises(volumes.BenchError):
        volumes.tool([str(tmp_path / "no-such-tool")])
    # Fails with qemu-img's benchmark flake twice, then succeeds.
    count = tmp_path / "count"
    script = (f'n=$(cat {count} 2>/dev/null || echo 0); echo $((n + 1)) > {count}; '
              f'[ "$n" -ge 2 ] && echo done && exit 0; '
              f'echo "qemu-img: x: {volumes.LUKS_FLAKE}" >&2; exit 1')
    assert volumes.tool(["sh", "-c", script], tries=3) == "done\n"
    count.unlink()
    with pytest.raises(volumes.BenchError, match=volumes.LUKS_FLAKE):
        volumes.tool(["sh", "-c", script], tries=2)
