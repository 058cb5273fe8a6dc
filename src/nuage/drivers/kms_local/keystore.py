"""A KeyStore whose project keys derive from one master key file on the host.

- The master key is 32 random bytes in `master_key_file` (0600), created on first use and
  never rewritten: losing or changing it makes every stored object unreadable, so back it
  up with the same care as the data is protected.
- A project's key-encryption key (KEK) is HKDF-SHA256(master, salt none, info =
  b"nuage project " + project id): nothing per project is stored, and no project's KEK
  reveals the master or another project's KEK.
- A wrapped data key is "v1." + url-safe base64 (no padding) of nonce (12 random bytes)
  + AES-256-GCM(KEK, data key, associated data = the project id) + tag. The associated
  data binds the wrapped key to its project on top of the KEK itself.
- SSE-C wraps the same way under the customer's 32-byte key with associated data
  b"sse-c"; the customer key is used for the call and never stored.

A tenant-held key manager later replaces this driver behind the same port.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
PREFIX = "v1."
SSE_C_AAD = b"sse-c"
PROJECT_INFO = b"nuage project "
MIN_DATA_KEY, MAX_DATA_KEY = 16, 64
_KEK_CACHE_LIMIT = 4096


class LocalKeyStore:
    """A `KeyStore` keyed by a local master key file. Thread-safe.

    The master key is read (or created) on first use, not at construction. A master key
    file of the wrong length raises RuntimeError: it is a broken installation, not bad
    input. Project ids must be non-empty; data keys are 16 to 64 bytes; anything else
    raises ValueError.
    """

    def __init__(self, master_key_file: Path) -> None:
        self.master_key_file = master_key_file
        self._lock = threading.Lock()
        self._master: bytes | None = None
        self._keks: dict[str, AESGCM] = {}

    def wrap(self, project_id: str, data_key: bytes) -> str:
        """The data key sealed under the project's KEK (a fresh nonce each call)."""
        return _seal(self._project_aead(project_id), data_key, project_id.encode())

    def unwrap(self, project_id: str, wrapped: str) -> bytes:
        """Raises ValueError unless `wrapped` came from `wrap` for this project."""
        return _open(self._project_aead(project_id), wrapped, project_id.encode())

    def wrap_with(self, customer_key: bytes, data_key: bytes) -> str:
        """The data key sealed under a customer key (SSE-C), which is not kept."""
        return _seal(_customer_aead(customer_key), data_key, SSE_C_AAD)

    def unwrap_with(self, customer_key: bytes, wrapped: str) -> bytes:
        """Raises ValueError for the wrong customer key or a damaged wrapped key."""
        return _open(_customer_aead(customer_key), wrapped, SSE_C_AAD)

    def _project_aead(self, project_id: str) -> AESGCM:
        if not project_id:
            raise ValueError("a project id is required")
        aead = self._keks.get(project_id)
        if aead is not None:
            return aead
        kek = HKDF(
            algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None,
            info=PROJECT_INFO + project_id.encode(),
        ).derive(self._master_key())
        aead = AESGCM(kek)
        with self._lock:
            if len(self._keks) >= _KEK_CACHE_LIMIT:
                self._keks.clear()
            self._keks[project_id] = aead
        return aead

    def _master_key(self) -> bytes:
        if self._master is None:
            with self._lock:
                if self._master is None:
                    self._master = _load_or_create(self.master_key_file)
        return self._master


def _load_or_create(path: Path) -> bytes:
    """The master key in `path`, created atomically if absent.

    Creation writes a temporary file, fsyncs it, then link()s it to `path`: link fails if
    another process got there first (then its key wins and ours is discarded), and a
    reader never sees a partly written key. The directory is fsynced so the key survives
    a power cut before any data is sealed under it.
    """
    try:
        return _read_master(path)
    except FileNotFoundError:
        pass
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        try:
            os.write(fd, os.urandom(KEY_SIZE))
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return _read_master(path)


def _read_master(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) != KEY_SIZE:
        raise RuntimeError(f"master key file {path} holds {len(key)} bytes, not {KEY_SIZE}")
    return key


def _customer_aead(customer_key: bytes) -> AESGCM:
    if len(customer_key) != KEY_SIZE:
        raise ValueError(f"a customer key is {KEY_SIZE} bytes, not {len(customer_key)}")
    return AESGCM(customer_key)


def _seal(aead: AESGCM, data_key: bytes, aad: bytes) -> str:
    if not MIN_DATA_KEY <= len(data_key) <= MAX_DATA_KEY:
        raise ValueError(f"a data key is {MIN_DATA_KEY} to {MAX_DATA_KEY} bytes")
    nonce = os.urandom(NONCE_SIZE)
    sealed = nonce + aead.encrypt(nonce, data_key, aad)
    return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def _open(aead: AESGCM, wrapped: str, aad: bytes) -> bytes:
    if not wrapped.startswith(PREFIX):
        raise ValueError("not a v1 wrapped key")
    body = wrapped[len(PREFIX):]
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("wrapped key is not valid base64") from None
    if len(raw) < NONCE_SIZE + TAG_SIZE + MIN_DATA_KEY:
        raise ValueError("wrapped key is too short")
    try:
        return aead.decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], aad)
    except InvalidTag:
        raise ValueError("wrapped key does not open under this key") from None
