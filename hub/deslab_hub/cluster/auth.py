"""The cluster's login from the chart values: one of oauthenticator's authenticators.

(The local platform's authenticators are in :mod:`deslab_hub.auth`; the hub image needs
none of them.)

Who may log in (``auth.allowedUsers``, ``hub.adminUsers``) reaches ``Authenticator`` through
the settings (:func:`deslab_hub.cluster.values.hub_settings`); this module sets the provider,
its endpoints and claims, and that nobody is allowed unless configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traitlets.config import Config

from deslab_hub.cluster.values import ChartValuesError, get

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


AUTHENTICATORS = ("generic", "cilogon", "github")

# chart key under auth.generic -> GenericOAuthenticator trait
GENERIC_KEYS = (("authorizeUrl", "authorize_url"), ("tokenUrl", "token_url"),
                ("userdataUrl", "userdata_url"), ("loginService", "login_service"))


def provider_settings(values: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The provider (``auth.type``) and the settings of its authenticator class.

    Raises
    ------
    ChartValuesError
        For a provider the chart does not support.
    """
    auth = get(values, "auth", {}) or {}
    kind = auth.get("type", "generic")
    if kind not in AUTHENTICATORS:
        raise ChartValuesError(
            f"auth.type {kind!r} is not supported; choose one of {', '.join(AUTHENTICATORS)}"
        )
    extra: dict[str, Any] = {}
    if kind == "generic":
        g = auth.get("generic", {}) or {}
        extra.update({trait: g[key] for key, trait in GENERIC_KEYS if g.get(key)})
        extra["username_claim"] = g.get("usernameClaim") or "preferred_username"
        extra["scope"] = list(g.get("scope") or ["openid"])
        if auth.get("allowedGroups"):
            extra["claim_groups_key"] = g.get("groupsClaim") or "groups"
            extra["allowed_groups"] = set(auth["allowedGroups"])
            extra["manage_groups"] = True
    elif kind == "cilogon":
        idps = get(values, "auth.cilogon.idps", {}) or {}
        if idps:
            extra["idps"] = dict(idps)
    elif kind == "github":
        orgs = get(values, "auth.github.allowedOrganizations", []) or []
        if orgs:
            extra["allowed_organizations"] = set(orgs)
            extra["scope"] = ["read:org"]
    return kind, extra


def configure_auth(c: Config, values: Mapping[str, Any]) -> None:
    """oauthenticator for chart ``values``; nobody may log in unless allowed."""
    kind, extra = provider_settings(values)
    configure_oauth(c, kind, callback_url=get(values, "auth.callbackUrl") or None, extra=extra)
    c.Authenticator.allow_all = bool(get(values, "auth.allowAll", False))
    c.Authenticator.allow_existing_users = False
