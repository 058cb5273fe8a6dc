"""bench/network.py's parsing and arithmetic (the benchmark itself is not part of the suite:
it needs root, QEMU and minutes). Loaded by path, as `python bench/network.py` runs it,
with bench/ first on sys.path for its `support` import."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def network() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_network", BENCH / "network.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module     # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_the_guest_timing_is_the_difference_of_the_two_uptimes(network: ModuleType) -> None:
    output = "Connecting...\nBENCH 101.25 104.75\n"
    assert network.parse_guest_timing(output) == pytest.approx(3.5)


@pytest.mark.parametrize("output", [
    "",                                         # ssh gave nothing
    "BENCH 12.00 12.00\n",                      # under the 10 ms resolution
    "FAILED\nBENCH 10.0 12.0\n",                # a wget failed: the time means nothing
    "BENCH 10.0\n",
])
def test_a_transfer_without_a_usable_timing_is_an_error(network: ModuleType,
                                                         output: str) -> None:
    with pytest.raises(network.BenchError):
        network.parse_guest_timing(output)


def test_marks_keep_the_first_time_of_each_word(network: ModuleType) -> None:
    output = ("START 1700000000.5\nTAP 1700000001.25\nnoise line\nECHO 1700000002.0\n"
              "ECHO 1700000009.0\nEND x\n")
    assert network.parse_marks(output) == {
        "START": 1700000000.5, "TAP": 1700000001.25, "ECHO": 1700000002.0}


def test_ratios_are_nuage_over_bare_per_round_and_the_target_is_their_median(
        network: ModuleType) -> None:
    def samples(*seconds: float) -> list[object]:
        return [network.Sample(s, cpu=2 * s) for s in seconds]
    # Seconds: nuage took 1.25x, 1x and 2x the bare bridge's time in three rounds.
    leg = network.Leg("guest to guest", bare=samples(4.0, 2.0, 1.0),
                      nuage=samples(5.0, 2.0, 2.0))
    assert leg.ratios() == pytest.approx([0.8, 1.0, 0.5])
    assert leg.cpu_ratios() == pytest.approx([0.8, 1.0, 0.5])
    fast = network.Leg("floating IP", bare=samples(1.0, 1.0, 1.0), nuage=samples(1.0, 1.0, 1.0))
    results = network.Results(32, 256, 1, 1450, "tcg", leg, fast, [], [], [])
    assert results.meets_target()       # median 0.8: exactly the 80% asked
    slow = network.Leg("guest to guest", bare=samples(1.0, 1.0, 1.0),
                       nuage=samples(1.0, 1.3, 1.3))
    assert not network.Results(32, 256, 1, 1450, "tcg", slow, fast, [], [], []
                               ).meets_target()


def test_the_guest_scripts_are_valid_python(network: ModuleType) -> None:
    for name in ("CLIENT_FETCH", "PINGER", "RESPONDER"):
        compile(getattr(network, name), name, "exec")
