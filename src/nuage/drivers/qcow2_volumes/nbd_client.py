"""A small, blocking NBD client: just what reading and writing a volume in place needs.

Why our own: no maintained pure-Python NBD client is on PyPI, and libnbd's Python
binding ships only as a Debian package for the system interpreter, outside the venv
(docs/dependencies.md). The protocol subset is small and fixed:

- the fixed newstyle handshake, with `NBD_FLAG_C_NO_ZEROES` when the server offers it;
- one option, `NBD_OPT_GO` on the default export (name ""), asking for the block size
  limits so requests never exceed what the server accepts;
- simple replies only (structured replies are never negotiated), one request in flight
  at a time: `READ`, `WRITE`, `WRITE_ZEROES`, `FLUSH`, `DISC`.

Reference: the NBD protocol document (`doc/proto.md` in the NBD project). Every socket
operation has a timeout, so a hung server surfaces as `NbdError`, never as a hang.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from pathlib import Path

# Handshake.
_NBDMAGIC = b"NBDMAGIC"
_IHAVEOPT = b"IHAVEOPT"
_FLAG_FIXED_NEWSTYLE = 1 << 0
_FLAG_NO_ZEROES = 1 << 1
_OPT_GO = 7
_OPT_REPLY_MAGIC = 0x3E889045565A9
_REP_ACK = 1
_REP_INFO = 3
_REP_ERR_BIT = 1 << 31
_INFO_EXPORT = 0
_INFO_BLOCK_SIZE = 3

# Transmission.
_REQUEST_MAGIC = 0x25609513
_SIMPLE_REPLY_MAGIC = 0x67446698
_CMD_READ = 0
_CMD_WRITE = 1
_CMD_DISC = 2
_CMD_FLUSH = 3
_CMD_WRITE_ZEROES = 6
_TFLAG_READ_ONLY = 1 << 1
_TFLAG_SEND_FLUSH = 1 << 2
_TFLAG_SEND_WRITE_ZEROES = 1 << 6

_REQUEST = struct.Struct(">IHHQQI")  # magic, flags, type, cookie, offset, length
_REPLY = struct.Struct(">IIQ")       # magic, error, cookie
_OPTION = struct.Struct(">8sII")     # IHAVEOPT, option, length
_OPT_REPLY = struct.Struct(">QIII")  # magic, option, reply type, length

# The protocol lets a client assume 32 MiB is accepted; smaller pieces keep a request's
# buffer small (a backup chunk is read in a few requests).
_DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024
# WRITE_ZEROES carries no payload, but its length field is 32 bits.
_MAX_ZERO_LENGTH = 1 << 30


class NbdError(Exception):
    """The server refused, failed a request, broke the protocol, or did not answer."""


class NbdClient:
    """One connection to one export. Not thread-safe: a request waits for its reply."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._cookie = 0
        self.size = 0
        self.read_only = True
        self._flags = 0
        self._max_payload = _DEFAULT_MAX_PAYLOAD

    @classmethod
    def connect_unix(cls, path: Path, timeout: float) -> NbdClient:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            client = cls(sock)
            client._handshake()
        except (OSError, NbdError) as error:
            sock.close()
            raise NbdError(f"NBD handshake on {path} failed: {error}") from error
        return client

    # -- handshake

    def _handshake(self) -> None:
        magic = self._recv(16)
        if magic[:8] != _NBDMAGIC or magic[8:] != _IHAVEOPT:
            raise NbdError("not a newstyle NBD server")
        (server_flags,) = struct.unpack(">H", self._recv(2))
        if not server_flags & _FLAG_FIXED_NEWSTYLE:
            raise NbdError("the server does not speak fixed newstyle")
        client_flags = _FLAG_FIXED_NEWSTYLE | (server_flags & _FLAG_NO_ZEROES)
        self._sock.sendall(struct.pack(">I", client_flags))
        # NBD_OPT_GO: export name "" (the default export), one info request.
        name = b""
        data = struct.pack(">I", len(name)) + name + struct.pack(">HH", 1, _INFO_BLOCK_SIZE)
        self._sock.sendall(_OPTION.pack(_IHAVEOPT, _OPT_GO, len(data)) + data)
        got_export = False
        while True:
            magic_, option, reply, length = _OPT_REPLY.unpack(self._recv(_OPT_REPLY.size))
            if magic_ != _OPT_REPLY_MAGIC or option != _OPT_GO:
                raise NbdError("malformed option reply")
            payload = self._recv(length) if length else b""
            if reply & _REP_ERR_BIT:
                text = payload.decode("utf-8", "replace")
                raise NbdError(f"the server refused the export ({reply & ~_REP_ERR_BIT}): {text}")
            if reply == _REP_ACK:
                break
            if reply == _REP_INFO and len(payload) >= 2:
                (info,) = struct.unpack_from(">H", payload)
                if info == _INFO_EXPORT and len(payload) >= 12:
                    self.size, self._flags = struct.unpack_from(">QH", payload, 2)
                    got_export = True
                elif info == _INFO_BLOCK_SIZE and len(payload) >= 14:
                    _minimum, _preferred, maximum = struct.unpack_from(">III", payload, 2)
                    self._max_payload = max(4096, min(maximum, _DEFAULT_MAX_PAYLOAD))
            # other replies (informational) are skipped, as the protocol allows
        if not got_export:
            raise NbdError("the server sent no export information")
        self.read_only = bool(self._flags & _TFLAG_READ_ONLY)

    # -- transmission

    def read(self, offset: int, length: int) -> bytes:
        self._check_range(offset, length)
        parts: list[bytes] = []
        done = 0
        while done < length:
            piece = min(self._max_payload, length - done)
            self._request(_CMD_READ, offset + done, piece)
            parts.append(self._reply(piece))
            done += piece
        return b"".join(parts)

    def write(self, offset: int, data: bytes) -> None:
        self._check_writable()
        self._check_range(offset, len(data))
        view = memoryview(data)
        done = 0
        while done < len(data):
            piece = view[done : done + self._max_payload]
            self._request(_CMD_WRITE, offset + done, len(piece), piece)
            self._reply(0)
            done += len(piece)

    def zero(self, offset: int, length: int) -> None:
        self._check_writable()
        self._check_range(offset, length)
        if not self._flags & _TFLAG_SEND_WRITE_ZEROES:
            # A server without WRITE_ZEROES gets zeros written, piece by piece.
            done = 0
            while done < length:
                piece = min(self._max_payload, length - done)
                self.write(offset + done, bytes(piece))
                done += piece
            return
        done = 0
        while done < length:
            piece = min(_MAX_ZERO_LENGTH, length - done)
            self._request(_CMD_WRITE_ZEROES, offset + done, piece)
            self._reply(0)
            done += piece

    def flush(self) -> None:
        if self._flags & _TFLAG_SEND_FLUSH:
            self._request(_CMD_FLUSH, 0, 0)
            self._reply(0)

    def close(self) -> None:
        """Say goodbye (NBD_CMD_DISC has no reply) and close; never raises."""
        with contextlib.suppress(OSError, NbdError):
            self._request(_CMD_DISC, 0, 0)
        self._sock.close()

    # -- wire helpers

    def _check_range(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise NbdError(f"range {offset}+{length} outside the export ({self.size} bytes)")

    def _check_writable(self) -> None:
        if self.read_only:
            raise NbdError("the export is read-only")

    def _request(self, command: int, offset: int, length: int,
                 payload: bytes | memoryview = b"") -> None:
        self._cookie += 1
        header = _REQUEST.pack(_REQUEST_MAGIC, 0, command, self._cookie, offset, length)
        try:
            self._sock.sendall(header)
            if payload:
                self._sock.sendall(payload)
        except OSError as error:
            raise NbdError(f"sending to the NBD server failed: {error}") from error

    def _reply(self, length: int) -> bytes:
        magic, error, cookie = _REPLY.unpack(self._recv(_REPLY.size))
        if magic != _SIMPLE_REPLY_MAGIC or cookie != self._cookie:
            raise NbdError("malformed reply")
        if error:
            # The payload of a failed read is not sent (simple replies).
            raise NbdError(f"the NBD server failed the request (errno {error})")
        return self._recv(length) if length else b""

    def _recv(self, length: int) -> bytes:
        buffer = bytearray(length)
        view = memoryview(buffer)
        got = 0
        while got < length:
            try:
                count = self._sock.recv_into(view[got:])
            except OSError as error:  # includes the socket's timeout
                raise NbdError(f"receiving from the NBD server failed: {error}") from error
            if count == 0:
                raise NbdError("the NBD server closed the connection")
            got += count
        return bytes(buffer)
