"""Secrets kept as files in the data directory: generated once, mode 0600, reused.

A secret file is written atomically (a temporary file in the same directory, then a
rename), so an interrupted start never leaves a half-written secret behind.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def write_private(path: os.PathLike[str] | str, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ensure_secret_file(
    path: os.PathLike[str] | str, *, nbytes: int = 32, hexadecimal: bool = False
) -> tuple[str, bool]:
    """Return the secret stored at ``path``, generating it if the file does not exist.

    Parameters
    ----------
    path
        Where the secret lives.
    nbytes
        Entropy of a new secret, in bytes.
    hexadecimal
        Generate a hex string (JupyterHub's cookie secret must be hex) instead of URL-safe
        base64.

    Returns
    -------
    tuple of (str, bool)
        The secret and whether it was created now. An existing file whose mode lets others
        read it is tightened to 0600.
    """
    path = Path(path)
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                os.chmod(path, 0o600)
            return value, False
    value = secrets.token_hex(nbytes) if hexadecimal else secrets.token_urlsafe(nbytes)
    write_private(path, value + "\n")
    return value, True
