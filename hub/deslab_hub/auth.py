"""Authenticator wiring: the demo's shared password or personal passwords locally, OAuth in
the cluster.

Locally, :class:`LocalPasswordAuthenticator` (the demo) lets anyone who knows the platform's
shared password log in under any user name JupyterHub accepts (or only the names given with
``deslab-hub up --users``). The password is generated on first start into
``DATA_DIR/password`` (mode 0600) by :func:`ensure_password` and reused afterwards.

For real logins, :class:`PersonalPasswordAuthenticator` (jupyterhub-firstuseauthenticator)
gives every user a password of their own, stored as a bcrypt hash in
``DATA_DIR/secrets/passwords.dbm``: a new user name sets it at its first login, the admin
named at start gets one generated into ``DATA_DIR/admin-password``, and
:func:`set_password` (``deslab-hub set-password``) sets anyone's.

In the cluster, :func:`deslab_hub.cluster.auth.configure_oauth` (also importable from here)
selects one of oauthenticator's authenticators, which
reads its client credentials from its own ``OAUTH_*`` variables (never a config file in git).
"""

from __future__ import annotations

import dbm
import os
from pathlib import Path
from typing import Any

from firstuseauthenticator import FirstUseAuthenticator
from jupyterhub.authenticators.shared import SharedPasswordAuthenticator
from traitlets import Unicode

from deslab_hub.cluster.auth import OAUTH_PROVIDERS, configure_oauth  # noqa: F401 - public
from deslab_hub.secretfiles import ensure_secret_file

# user names: letters, digits and . _ @ + - (JupyterHub lower-cases them first)
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@+-]{0,63}$"


class LocalPasswordAuthenticator(SharedPasswordAuthenticator):
    """One shared password for every user of a local DESlab platform.

    Nobody is an admin: the local platform needs none, and an admin password could open
    every user's server.
    """

    password_file = Unicode(
        "",
        config=True,
        help="""File holding the shared password (one line, mode 0600).

        When set, the password is read from this file at start-up and ``user_password`` is
        filled from it; ``deslab-hub up`` writes ``DATA_DIR/password`` on first start.
        """,
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.username_pattern:
            # names that are safe as a home directory and for the job service
            self.username_pattern = USERNAME_PATTERN
        if self.password_file and not self.user_password:
            with open(self.password_file, encoding="utf-8") as f:
                self.user_password = f.read().strip()


class PersonalPasswordAuthenticator(FirstUseAuthenticator):
    """A password per user, stored hashed (bcrypt) and set at first use.

    jupyterhub-firstuseauthenticator with DESlab's user-name rule, and the admin's first
    password taken from a file written at the platform's first start, so that nobody else
    can claim the admin's name by logging in first.
    """

    admin_password_file = Unicode(
        "",
        config=True,
        help="""File with the admin's first password (mode 0600). At start-up, if the admin
        has no password yet, its hash is stored; later changes (the change-password page,
        ``deslab-hub set-password``) are kept.""",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.username_pattern:
            self.username_pattern = USERNAME_PATTERN
        if self.admin_password_file and self.admin_users:
            with open(self.admin_password_file, encoding="utf-8") as f:
                password = f.read().strip()
            for admin in self.admin_users:
                if not self.has_password(admin):
                    self.reset_password(admin, password)

    def has_password(self, username: str) -> bool:
        """Whether ``username`` has set a password."""
        with dbm.open(self.dbm_path, "c", 0o600) as db:
            return username.encode("utf8") in db


def set_password(data_dir: os.PathLike[str] | str, username: str, password: str) -> str:
    """Set ``username``'s personal password on the platform in ``data_dir`` (hashed).

    Returns
    -------
    str
        The authenticator's message (it says when the password is too short).
    """
    from deslab_hub.config import MIN_PASSWORD_LENGTH

    auth = PersonalPasswordAuthenticator(
        dbm_path=str(Path(data_dir) / "secrets" / "passwords.dbm"),
        min_password_length=MIN_PASSWORD_LENGTH, check_passwords_on_startup=False,
    )
    return auth.reset_password(auth.normalize_username(username), password)


def ensure_password(path: os.PathLike[str] | str) -> tuple[str, bool]:
    """Return the shared password stored at ``path``, generating it on first use.

    Parameters
    ----------
    path
        The password file (``DATA_DIR/password``); created with mode 0600.

    Returns
    -------
    tuple of (str, bool)
        The password and whether it was created now.
    """
    return ensure_secret_file(path, nbytes=12)
