"""A directory of Fernet keys that rotate, as Keystone's fernet key repository.

Files are named by integers; the highest is the primary key (it seals), all of them open.
Rotation adds a new primary and drops the oldest beyond `max_active`, so tokens sealed
with the previous primary stay valid until the one after next rotation.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet


class KeyRepository:
    def __init__(self, directory: Path, max_active: int = 3) -> None:
        self.directory = directory
        self.max_active = max(2, max_active)
        self._lock = threading.Lock()
        self._fernet: MultiFernet | None = None
        self._stamp: tuple[float, int] | None = None
        self._checked = 0.0
        self._generation = 0

    def setup(self) -> None:
        """Create the directory and a first key when there is none. Idempotent."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        if not self._key_files():
            self._write_key(1)

    def rotate(self) -> int:
        """Make a new primary key; returns its number."""
        self.setup()
        numbers = [n for n, _ in self._key_files()]
        new = max(numbers) + 1
        self._write_key(new)
        for _n, path in self._key_files()[: -self.max_active]:
            path.unlink()
        # Reload on next use even if the directory's mtime did not visibly change.
        self._checked = 0.0
        self._stamp = None
        return new

    def fernet(self) -> MultiFernet:
        """The keys as a MultiFernet, re-read at most once a second when files change."""
        now = time.monotonic()
        if self._fernet is not None and now - self._checked < 1.0:
            return self._fernet
        with self._lock:
            stat = self.directory.stat()
            stamp = (stat.st_mtime, stat.st_nlink)
            if self._fernet is None or stamp != self._stamp:
                keys = [path.read_bytes().strip() for _, path in reversed(self._key_files())]
                if not keys:
                    raise RuntimeError(f"no keys in {self.directory}")
                self._fernet = MultiFernet([Fernet(k) for k in keys])
                self._stamp = stamp
                self._generation += 1
            self._checked = now
            return self._fernet

    def generation(self) -> int:
        """Changes whenever `fernet()` re-reads a changed key directory."""
        self.fernet()
        return self._generation

    def _key_files(self) -> list[tuple[int, Path]]:
        found = []
        for path in self.directory.iterdir():
            if path.name.isdigit():
                found.append((int(path.name), path))
        return sorted(found)

    def _write_key(self, number: int) -> None:
        tmp = self.directory / f".{number}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
            f.flush()
            os.fsync(f.fileno())
        # Rename last: a reader never sees a half-written key.
        tmp.rename(self.directory / str(number))
