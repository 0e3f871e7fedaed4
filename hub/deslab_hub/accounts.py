"""One Unix account per hub user on the local platform (as The Littlest JupyterHub does).

:func:`account_name` turns any hub user name into a safe, collision-free system account name;
:func:`ensure_account` creates that account on the user's first login, with a private home
(mode 0700, owned by the account) under the platform's data directory; the user's server,
kernels, terminals and local job workers then run as that account, never as root.
:func:`secure_data_dir` keeps the hub's secrets and databases out of the accounts' reach
while the demo catalog and tiles stay readable. :func:`remove_accounts` deletes the accounts
a platform created (its homes included), e.g. after a test.

Only root can create accounts: a platform started by anyone else runs in single-user mode,
every server as the account that started it (:func:`platform_account`).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PREFIX = "dl-"
# useradd's limit on Debian is 32 characters
MAX_ACCOUNT_LENGTH = 32
HASH_LENGTH = 10
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,6}-$")
# hub names kept as they are (after the prefix): no '-', so they never look like a slug+hash
VERBATIM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ACCOUNT_COMMENT = "DESlab user"


class AccountError(Exception):
    """An account that cannot be created or used; the message says what to do."""


@dataclass(frozen=True)
class Account:
    """A system account as the platform uses it."""

    name: str
    uid: int
    gid: int
    home: str

    @classmethod
    def from_pwd(cls, entry: pwd.struct_passwd) -> Account:
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)

    @property
    def groups(self) -> list[int]:
        """The account's groups (its own group and any it was added to)."""
        return os.getgrouplist(self.name, self.gid)


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can start account names, else raise :class:`ValueError`."""
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise ValueError(
            f"account prefix {prefix!r} must be a lower-case letter, up to 6 more letters or "
            f"digits, and a final '-' (e.g. {DEFAULT_PREFIX!r})"
        )
    return prefix


def account_name(hub_name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The system account of hub user ``hub_name``: safe for ``useradd`` and collision-free.

    A name of lower-case letters, digits and ``_`` (starting with a letter) that fits is kept
    as it is after ``prefix``. Any other name (upper case, dots, ``@``, ``-``, non-ASCII
    letters, very long names) becomes a readable slug of its ASCII letters and digits plus a
    hash of the exact name, so two names that differ only by case or by characters the slug
    drops still get two accounts. Slugged names always contain a ``-`` after the prefix and
    verbatim names never do, so the two kinds cannot collide either.

    Parameters
    ----------
    hub_name
        The JupyterHub user name, any string.
    prefix
        Start of every account of this platform (``dl-``).

    Returns
    -------
    str
        At most 32 characters of ``[a-z0-9_-]``, starting with a letter.

    Examples
    --------
    >>> account_name("alice")
    'dl-alice'
    >>> account_name("Alice") == account_name("alice")
    False
    >>> account_name("j.doe@example.org")
    'dl-j-doe-example-org-e6e6e886a6'
    """
    check_prefix(prefix)
    room = MAX_ACCOUNT_LENGTH - len(prefix)
    if VERBATIM_NAME.fullmatch(hub_name) and len(hub_name) <= room:
        return prefix + hub_name
    digest = hashlib.sha256(hub_name.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]
    slug = re.sub(r"[^a-z0-9]+", "-", hub_name.lower()).strip("-")
    slug = slug[: room - HASH_LENGTH - 1].rstrip("-")
    if not slug or not slug[0].isalpha():
        slug = ("u" + slug)[: room - HASH_LENGTH - 1].rstrip("-")
    return f"{prefix}{slug}-{digest}"


def lookup(name: str) -> Account | None:
    """The account called ``name``, or None."""
    try:
        return Account.from_pwd(pwd.getpwnam(name))
    except KeyError:
        return None


def platform_account() -> Account:
    """The account this process runs as (single-user mode's only account)."""
    return Account.from_pwd(pwd.getpwuid(os.geteuid()))


def ensure_account(hub_name: str, homes: Path, prefix: str = DEFAULT_PREFIX) -> Account:
    """Create the system account of ``hub_name`` (once) with its private home.

    The home is ``homes/<account>``, owned by the account, mode 0700 (a home of an earlier
    version, ``homes/<hub name>``, is moved there). An existing account of
    that name is used only if its home is that directory, so an account that belongs to
    something else on the machine is never taken over.

    Raises
    ------
    AccountError
        When ``useradd`` fails or the name is taken by another account.
    """
    name = account_name(hub_name, prefix)
    home = homes / name
    account = lookup(name)
    if account is None:
        proc = subprocess.run(
            ["useradd", "--home-dir", str(home), "--no-create-home", "--user-group",
             "--shell", "/bin/bash", "--comment", ACCOUNT_COMMENT, name],
            capture_output=True, text=True, check=False,
        )
        account = lookup(name)
        if account is None:
            reason = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            raise AccountError(f"could not create the system account {name} ({reason})")
    if Path(account.home) != home:
        raise AccountError(
            f"the system account {name} already exists with the home {account.home}, not "
            f"{home}; remove it (userdel) or start the platform with another account prefix"
        )
    adopt_legacy_home(hub_name, home, account)
    ensure_private_dir(home, account)
    return account


def adopt_legacy_home(hub_name: str, home: Path, account: Account | None) -> bool:
    """Move a home of an earlier version (``users/<hub name>``) to ``home``, once.

    Earlier platforms named homes after the hub user and ran every server as the hub's own
    account; the files are moved to the account's home and, with ``account``, given to it
    (links are changed, never followed).

    Returns
    -------
    bool
        Whether a legacy home was moved.
    """
    if "/" in hub_name or hub_name in ("", ".", "..") or hub_name == home.name:
        return False
    legacy = home.parent / hub_name
    if home.exists() or legacy.is_symlink() or not legacy.is_dir():
        return False
    if legacy.stat().st_uid != os.geteuid():
        return False  # an account's home (a hub name can look like an account name)
    os.rename(legacy, home)
    if account is not None:
        for root, dirs, files in os.walk(home, followlinks=False):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), account.uid, account.gid)
    return True


def ensure_private_dir(path: Path, account: Account) -> None:
    """Make ``path`` a directory owned by ``account`` with mode 0700 (never following a
    symlink in its place)."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        st = os.fstat(fd)
        if (st.st_uid, st.st_gid) != (account.uid, account.gid):
            os.fchown(fd, account.uid, account.gid)
        if stat.S_IMODE(st.st_mode) != 0o700:
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def ensure_owned_subdirs(base: Path, parts: list[str], account: Account) -> Path:
    """Create ``base/parts[0]/parts[1]/...`` owned by ``account``, safely as root.

    ``base`` is trusted (the account's home, in a root-owned directory); each part below it
    is created or opened without following symlinks (the account controls those names), and
    given to the account if it is not its own.

    Raises
    ------
    OSError
        ``ELOOP``/``ENOTDIR`` when a part is a symlink or not a directory.
    """
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts:
            try:
                os.mkdir(part, 0o700, dir_fd=fd)
            except FileExistsError:
                pass
            child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
            st = os.fstat(fd)
            if st.st_uid != account.uid:
                os.fchown(fd, account.uid, account.gid)
    finally:
        os.close(fd)
    return base.joinpath(*parts)


def platform_accounts(homes: Path) -> list[Account]:
    """The accounts whose home is directly in ``homes`` (those a platform created)."""
    base = os.path.abspath(homes)
    return [
        Account.from_pwd(e) for e in pwd.getpwall()
        if os.path.dirname(os.path.abspath(e.pw_dir)) == base and e.pw_uid != 0
    ]


def remove_accounts(homes: Path) -> list[str]:
    """Delete the accounts a platform created in ``homes`` (``userdel -r``: homes too).

    Returns
    -------
    list of str
        The names removed.
    """
    removed = []
    for account in platform_accounts(homes):
        subprocess.run(["userdel", "--remove", account.name], capture_output=True, check=False)
        if lookup(account.name) is None:
            removed.append(account.name)
    return removed


# files and directories of DATA_DIR and who may do what with them when accounts exist:
# the data directory and users/ may only be traversed; secrets and databases are root's.
PRIVATE_FILES = ("password", "admin-password", "jupyterhub.sqlite", "jobs.sqlite",
                 "deslab-hub.lock", "jupyterhub-proxy.pid")
PRIVATE_DIRS = ("secrets",)


def secure_data_dir(data_dir: Path, catalog_dir: Path | None) -> None:
    """Set the data directory's modes so that user accounts reach their homes and the demo
    survey (read-only) and nothing else.

    ``data_dir`` and ``users/`` become 0711 (enter, not list), ``secrets/`` 0700, the
    password and database files 0600, and the demo survey (``catalog_dir``) read-only for
    everyone: directories 0755, files 0644, all owned by the platform's account.
    """
    os.chmod(data_dir, 0o711)
    users = data_dir / "users"
    users.mkdir(exist_ok=True)
    os.chmod(users, 0o711)
    for name in PRIVATE_DIRS:
        if (data_dir / name).is_dir():
            os.chmod(data_dir / name, 0o700)
    for name in PRIVATE_FILES:
        path = data_dir / name
        for candidate in (path, path.with_name(path.name + "-journal"),
                          path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if candidate.is_file() and not candidate.is_symlink():
                os.chmod(candidate, 0o600)
    if catalog_dir is not None and catalog_dir.is_dir():
        os.chmod(catalog_dir, 0o755)
        for root, dirs, files in os.walk(catalog_dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
