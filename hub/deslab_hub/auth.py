"""Authenticator wiring: a shared password locally, OAuth in the cluster.

Locally, :class:`LocalPasswordAuthenticator` lets anyone who knows the platform's shared
password log in under any user name JupyterHub accepts (or only the names given with
``deslab-hub up --users``). The password is generated on first start into
``DATA_DIR/password`` (mode 0600) by :func:`ensure_password` and reused afterwards.

In the cluster, :func:`configure_oauth` selects one of oauthenticator's authenticators, which
reads its client credentials from its own ``OAUTH_*`` variables (never a config file in git).
"""

from __future__ import annotations

import os
from typing import Any

from jupyterhub.authenticators.shared import SharedPasswordAuthenticator
from traitlets import Unicode

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


# provider name -> oauthenticator class
OAUTH_PROVIDERS: dict[str, str] = {
    "generic": "oauthenticator.generic.GenericOAuthenticator",
    "github": "oauthenticator.github.GitHubOAuthenticator",
    "gitlab": "oauthenticator.gitlab.GitLabOAuthenticator",
    "google": "oauthenticator.google.GoogleOAuthenticator",
    "cilogon": "oauthenticator.cilogon.CILogonOAuthenticator",
    "azuread": "oauthenticator.azuread.AzureAdOAuthenticator",
}


def configure_oauth(
    c: Any,
    provider: str,
    *,
    callback_url: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Point JupyterHub at an OAuth provider (the cluster's login).

    The authenticator reads the client id, secret and callback URL from its own variables
    (``OAUTH_CLIENT_ID``, ``OAUTH_CLIENT_SECRET``, ``OAUTH_CALLBACK_URL``, set from a
    Kubernetes Secret); who may log in is set once on ``Authenticator`` by
    :func:`deslab_hub.config.build_config`.

    Parameters
    ----------
    c
        The JupyterHub traitlets ``Config`` to fill.
    provider
        One of :data:`OAUTH_PROVIDERS` (``generic``, ``github``, ``gitlab``, ``google``,
        ``cilogon``, ``azuread``).
    callback_url
        The callback URL, when not the one in ``OAUTH_CALLBACK_URL``.
    extra
        More settings for the authenticator class (for ``generic``: ``authorize_url``,
        ``token_url``, ``userdata_url``, ``username_claim``...).

    Raises
    ------
    ValueError
        For an unknown provider, listing the valid ones.
    """
    if provider not in OAUTH_PROVIDERS:
        raise ValueError(
            f"unknown OAuth provider {provider!r}; choose one of {', '.join(OAUTH_PROVIDERS)}"
        )
    cls_path = OAUTH_PROVIDERS[provider]
    c.JupyterHub.authenticator_class = cls_path
    section = c[cls_path.rsplit(".", 1)[1]]
    if callback_url:
        section.oauth_callback_url = callback_url
    for key, value in (extra or {}).items():
        section[key] = value
