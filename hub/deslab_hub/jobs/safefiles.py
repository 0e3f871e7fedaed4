"""Opening files the service reads in user-writable storage without trusting them.

A user can put anything where the service expects a file: a FIFO (an ``open`` that never
returns), a symlink to ``/dev/zero`` or to someone else's file, a sparse file of a terabyte, a
directory. :func:`open_regular` opens the last component with ``O_NOFOLLOW`` and
``O_NONBLOCK`` (a FIFO opens at once instead of waiting for a writer), requires a regular
file by ``fstat`` on the opened descriptor (no race between check and use) and a size under
a cap. Callers run it off the event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY


class UnsafeFile(OSError):
    """The path is not a regular file of acceptable size; the message says what it is."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(path: Path, max_bytes: int | None = None) -> int:
    """A read-only descriptor of the regular file ``path`` (the caller closes it).

    Parameters
    ----------
    path : Path
        The file; its last component must not be a symlink.
    max_bytes : int, optional
        Largest size accepted.

    Raises
    ------
    FileNotFoundError
        If nothing is there.
    UnsafeFile
        For a symlink, a FIFO, a directory, a device, a file above ``max_bytes``, or one that
        cannot be opened; the message names the path's last component and what it is.
    """
    name = path.name
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(f"{name} is a symbolic link") from None
        raise UnsafeFile(f"{name} cannot be opened ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(f"{name} is {_kind(st.st_mode)}, not a regular file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise UnsafeFile(f"{name} is {st.st_size} bytes, more than the {max_bytes} "
                             "bytes allowed")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_capped(path: Path, max_bytes: int) -> bytes | None:
    """The content of the regular file ``path`` (at most ``max_bytes``); None if missing.

    Raises
    ------
    UnsafeFile
        As :func:`open_regular`, or if the file grows past ``max_bytes`` while read.
    """
    try:
        fd = open_regular(path, max_bytes)
    except FileNotFoundError:
        return None
    try:
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > max_bytes:
        raise UnsafeFile(f"{path.name} is more than the {max_bytes} bytes allowed")
    return b"".join(chunks)
