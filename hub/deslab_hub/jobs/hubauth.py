"""Who is calling: the caller's hub token, checked with the hub through ``HubAuth``.

A request carries a hub-issued token (``Authorization: token <t>`` or ``Bearer <t>``); the
user token a user server already has (``$JUPYTERHUB_API_TOKEN``) works when it holds the scope
``access:services!service=jobs``. :class:`jupyterhub.services.auth.HubAuth` asks the hub whom
the token belongs to (cached briefly). Whether the caller is a hub admin is read with the
service's own token (role with ``read:users``), because a server's token does not reveal it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from jupyterhub.services.auth import HubAuth
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.web import RequestHandler


@dataclass(frozen=True)
class Caller:
    """An authenticated caller of the API."""

    name: str
    admin: bool
    kind: str = "user"


class HubIdentity:
    """Identifies callers through the hub and decides who is an admin."""

    def __init__(self, admin_users: set[str], log: Any, cache_seconds: float = 60.0) -> None:
        self.auth = HubAuth(cache_max_age=30)
        self.admin_users = set(admin_users)
        self.log = log
        self.cache_seconds = cache_seconds
        self._admins: dict[str, tuple[float, bool]] = {}

    @property
    def required_scopes(self) -> set[str]:
        return set(self.auth.access_scopes)

    async def identify(self, handler: RequestHandler) -> tuple[Caller | None, str]:
        """The caller of ``handler``'s request, or None and why not ("no token", "scope")."""
        token = self.auth.get_token(handler, in_cookie=False)
        if not token:
            return None, "missing"
        model = await self.auth.user_for_token(token, sync=False)
        if not model:
            return None, "invalid"
        scopes = self.required_scopes
        if scopes and not self.auth.check_scopes(scopes, model):
            return None, "scope"
        kind = model.get("kind", "user")
        name = str(model.get("name", ""))
        admin = name in self.admin_users
        if kind == "user" and not admin:
            admin = bool(model["admin"]) if "admin" in model else await self.hub_admin(name)
        return Caller(name=name, admin=admin, kind=kind), ""

    async def hub_admin(self, name: str) -> bool:
        """Whether the hub says ``name`` is an admin (cached; False if it cannot tell)."""
        hit = self._admins.get(name)
        now = time.monotonic()
        if hit and now - hit[0] < self.cache_seconds:
            return hit[1]
        url = f"{self.auth.api_url.rstrip('/')}/users/{quote(name, safe='')}"
        try:
            resp = await AsyncHTTPClient().fetch(
                url, headers={"Authorization": f"token {self.auth.api_token}"},
                request_timeout=10,
            )
            admin = bool(json.loads(resp.body).get("admin", False))
        except (HTTPClientError, OSError, ValueError) as exc:
            self.log.warning("cannot ask the hub whether %s is an admin: %s", name, exc)
            return False
        self._admins[name] = (now, admin)
        return admin
