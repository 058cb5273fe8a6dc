"""The metadata service's unix socket: bound before serving, owner-only from the start."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path


class SocketInUse(OSError):
    """Another process serves this socket already."""


def bind_unix(path: Path) -> socket.socket:
    """A listening unix socket at `path`, mode 0600 (only its owner, root under `nuage up`,
    may connect: the proxies run as root). A stale socket left by a crash is replaced; one
    that still answers is SocketInUse."""
    if path.is_socket():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()                     # nobody listens: a crash's leftover
        else:
            raise SocketInUse(f"{path} is served by another process")
        finally:
            probe.close()
    elif path.exists() or path.is_symlink():
        raise SocketInUse(f"{path} exists and is not a socket")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # The mode is set at bind from the umask: never a moment when others may connect.
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    except BaseException:
        sock.close()
        raise
    finally:
        os.umask(old)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    sock.listen(512)
    return sock


def close_unix(sock: socket.socket, path: Path) -> None:
    """Stop listening and remove the socket file (if it is still ours)."""
    with contextlib.suppress(OSError):
        sock.close()
    with contextlib.suppress(FileNotFoundError):
        if path.is_socket():
            path.unlink()
