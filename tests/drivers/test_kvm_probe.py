"""The accelerator decision (drivers/qemu/host.py) with simulated probe timings: a KVM that
crawls (nested virtualisation: 1.77 s one minute, 2.03 s the next) is never chosen."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from nuage.drivers.qemu.host import decide_accelerator


def _runs(kvm: list[float | None], tcg: list[float | None]
          ) -> tuple[Callable[[str, float], float | None], list[str]]:
    queues: dict[str, Iterator[float | None]] = {"kvm": iter(kvm), "tcg": iter(tcg)}
    seen: list[str] = []

    def run(accelerator: str, timeout: float) -> float | None:
        seen.append(accelerator)
        took = next(queues[accelerator])
        # As the real run: killed at its timeout.
        return math.inf if took is not None and took > timeout else took

    return run, seen


def test_a_working_kvm_is_chosen() -> None:
    run, seen = _runs([0.06, 0.05, 0.07], [0.08, 0.09])
    choice = decide_accelerator(run)
    assert choice.accelerator == "kvm"
    assert seen.count("kvm") == 3 and seen.count("tcg") == 2


def test_a_kvm_that_crawls_under_the_absolute_deadline_is_refused() -> None:
    # The measured case: 1.77 s passed the old 2 s deadline; TCG runs it in 0.07 s.
    run, seen = _runs([1.77], [0.07, 0.08])
    choice = decide_accelerator(run)
    assert choice.accelerator == "tcg"
    assert "crawls" in choice.reason and "did not finish in 0.26 s" in choice.reason
    assert seen.count("kvm") == 1                   # decided at the first slow run


def test_a_crawling_kvm_just_over_the_limit_is_named() -> None:
    def run(accelerator: str, timeout: float) -> float | None:
        return 0.1 if accelerator == "tcg" else 0.5   # a run that ignores its timeout

    choice = decide_accelerator(run)
    assert choice.accelerator == "tcg" and "took 0.50 s" in choice.reason


def test_kvm_must_pass_every_run() -> None:
    run, _ = _runs([0.05, None], [0.07, 0.07])      # passed once, failed the next
    assert decide_accelerator(run).accelerator == "tcg"
    run, _ = _runs([0.05, 0.05, 0.9], [0.07, 0.07])  # slow once
    assert decide_accelerator(run).accelerator == "tcg"


def test_a_loaded_host_slows_both_and_kvm_stays() -> None:
    run, _ = _runs([0.4, 0.35, 0.45], [0.3, 0.25])
    assert decide_accelerator(run).accelerator == "kvm"


def test_the_absolute_deadline_still_holds_when_tcg_is_slow() -> None:
    run, _ = _runs([2.5], [1.5, 1.6])
    assert decide_accelerator(run).accelerator == "tcg"


def test_no_kvm_device_or_no_tcg_means_tcg() -> None:
    run, seen = _runs([], [])
    assert decide_accelerator(run, kvm_usable=False).accelerator == "tcg"
    assert seen == []
    run, seen = _runs([0.05, 0.05, 0.05], [None])
    assert decide_accelerator(run).accelerator == "tcg"
    assert "kvm" not in seen
