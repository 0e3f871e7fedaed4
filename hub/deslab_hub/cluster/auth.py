"""The cluster's login from the chart values: one of oauthenticator's authenticators.

Who may log in (``auth.allowedUsers``, ``hub.adminUsers``) reaches ``Authenticator`` through
the settings (:func:`deslab_hub.cluster.values.hub_settings`); this module sets the provider,
its endpoints and claims, and that nobody is allowed unless configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traitlets.config import Config

from deslab_hub.auth import configure_oauth
from deslab_hub.cluster.values import ChartValuesError, get

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
