"""The local KeyStore: wrapping round trips, project isolation, master key persistence,
customer keys (SSE-C)."""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from nuage.drivers.kms_local import LocalKeyStore
from nuage.ports.blobs import KeyStore


@pytest.fixture
def master(tmp_path: Path) -> Path:
    return tmp_path / "kms" / "master.key"


@pytest.fixture
def kms(master: Path) -> KeyStore:
    return LocalKeyStore(master)


def test_round_trip(kms: KeyStore) -> None:
    data_key = os.urandom(32)
    wrapped = kms.wrap("project-a", data_key)
    assert re.fullmatch(r"v1\.[A-Za-z0-9_-]+", wrapped)
    assert len(wrapped) < 100
    assert kms.unwrap("project-a", wrapped) == data_key
    assert kms.wrap("project-a", data_key) != wrapped  # a fresh nonce each time


def test_projects_are_isolated(kms: KeyStore) -> None:
    wrapped = kms.wrap("project-a", os.urandom(32))
    for other in ["project-b", "project-a ", "Project-a", "project-"]:
        with pytest.raises(ValueError):
            kms.unwrap(other, wrapped)


@pytest.mark.parametrize("mangle", [
    lambda w: w[:-1],
    lambda w: w[:-2] + ("A" if w[-2] != "A" else "B") + w[-1],
    lambda w: "v2." + w[3:],
    lambda w: w[3:],
    lambda w: "v1.",
    lambda w: "v1.!!!!",
    lambda w: "v1." + "A" * 20,
    lambda w: w + "é",
])
def test_damaged_wrapped_keys_are_refused(kms: KeyStore, mangle: Callable[[str], str]) -> None:
    wrapped = kms.wrap("p", os.urandom(32))
    with pytest.raises(ValueError):
        kms.unwrap("p", mangle(wrapped))


def test_master_key_is_created_once_and_kept(master: Path) -> None:
    first = LocalKeyStore(master)
    assert not master.exists()  # nothing happens before first use
    wrapped = first.wrap("p", b"k" * 32)
    content = master.read_bytes()
    assert len(content) == 32
    assert stat.S_IMODE(master.stat().st_mode) == 0o600
    assert stat.S_IMODE(master.parent.stat().st_mode) == 0o700
    second = LocalKeyStore(master)
    assert second.unwrap("p", wrapped) == b"k" * 32
    second.wrap("q", b"k" * 32)
    assert master.read_bytes() == content
    assert [p.name for p in master.parent.iterdir()] == ["master.key"]


def test_concurrent_first_use_agrees_on_one_master_key(master: Path) -> None:
    stores = [LocalKeyStore(master) for _ in range(8)]
    wrapped: list[str] = [""] * len(stores)
    barrier = threading.Barrier(len(stores))

    def run(i: int) -> None:
        barrier.wait()
        wrapped[i] = stores[i].wrap("p", bytes([i]) * 32)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reader = LocalKeyStore(master)
    assert [reader.unwrap("p", w) for w in wrapped] == [bytes([i]) * 32 for i in range(8)]


def test_another_master_key_opens_nothing(tmp_path: Path) -> None:
    wrapped = LocalKeyStore(tmp_path / "a.key").wrap("p", os.urandom(32))
    with pytest.raises(ValueError):
        LocalKeyStore(tmp_path / "b.key").unwrap("p", wrapped)


def test_a_broken_master_key_file_is_an_error(master: Path) -> None:
    master.parent.mkdir()
    master.write_bytes(b"too short")
    with pytest.raises(RuntimeError):
        LocalKeyStore(master).wrap("p", os.urandom(32))


def test_customer_keys(kms: KeyStore) -> None:
    customer, data_key = os.urandom(32), os.urandom(32)
    wrapped = kms.wrap_with(customer, data_key)
    assert kms.unwrap_with(customer, wrapped) == data_key
    with pytest.raises(ValueError):
        kms.unwrap_with(os.urandom(32), wrapped)
    with pytest.raises(ValueError):
        kms.unwrap("p", wrapped)
    with pytest.raises(ValueError):
        kms.unwrap_with(customer, kms.wrap("p", data_key))


def test_customer_keys_are_not_stored(kms: KeyStore, master: Path) -> None:
    customer = os.urandom(32)
    kms.wrap_with(customer, os.urandom(32))
    kms.wrap("p", os.urandom(32))
    for path in master.parent.parent.rglob("*"):
        assert path.is_dir() or customer not in path.read_bytes()


@pytest.mark.parametrize("bad", [b"", b"x" * 16, b"x" * 31, b"x" * 33])
def test_customer_keys_must_be_32_bytes(kms: KeyStore, bad: bytes) -> None:
    with pytest.raises(ValueError):
        kms.wrap_with(bad, os.urandom(32))


def test_invalid_inputs(kms: KeyStore) -> None:
    with pytest.raises(ValueError):
        kms.wrap("", os.urandom(32))
    with pytest.raises(ValueError):
        kms.wrap("p", b"")
    with pytest.raises(ValueError):
        kms.wrap("p", os.urandom(65))
