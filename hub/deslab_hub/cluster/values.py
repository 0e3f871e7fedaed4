"""Chart values read as the hub needs them: lookups, names the chart computed, hub settings.

Everything here is a pure function of the chart values (as mounted in the hub pod,
credentials removed) and the hub Secret's files; nothing reads the environment's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from deslab_hub.config import PlatformSettings

HUB_DATA_DIR = "/srv/jupyterhub"


class ChartValuesError(ValueError):
    """The chart values cannot make a working hub; the message says which value and why."""


def get(values: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """``values["a"]["b"]`` for ``"a.b"``; ``default`` when missing or null."""
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return default if node is None else node


def release(values: Mapping[str, Any]) -> dict[str, Any]:
    """Names the chart computed (``release`` in the mounted values), with local fallbacks."""
    rel = dict(values.get("release") or {})
    name = rel.get("name") or "deslab"
    full = rel.get("fullname") or f"{name}-deslab"
    rel.setdefault("name", name)
    rel.setdefault("fullname", full)
    rel.setdefault("namespace", os.environ.get("POD_NAMESPACE") or "default")
    rel.setdefault("hubService", f"{full}-hub")
    rel.setdefault("proxyApiService", f"{full}-proxy-api")
    rel.setdefault("jobsService", f"{full}-jobs")
    port = get(values, "jobs.port", 8090)
    rel.setdefault("jobsUrl", f"http://{rel['jobsService']}:{port}{base_url(values)}services/jobs/")
    rel.setdefault("catalogUrl", catalog_url(values))
    rel.setdefault("catalogSecretName", "")
    rel.setdefault("catalogSecretKey", "password")
    rel.setdefault("singleuserServiceAccount", f"{full}-singleuser")
    rel.setdefault("imagePullSecrets", values.get("imagePullSecrets") or [])
    rel.setdefault("notebookImage", image_ref(values, "singleuser.image"))
    return rel


def base_url(values: Mapping[str, Any]) -> str:
    """``hub.baseUrl`` with one leading and one trailing slash."""
    base = str(get(values, "hub.baseUrl", "/") or "/")
    if not base.startswith("/"):
        base = "/" + base
    return base if base.endswith("/") else base + "/"


def catalog_url(values: Mapping[str, Any]) -> str:
    """``DESLAB_CATALOG`` for user servers: ``catalog.url`` or one built from
    ``catalog.oracle`` (never with the password)."""
    if get(values, "catalog.url"):
        return str(get(values, "catalog.url"))
    o = get(values, "catalog.oracle", {})
    if o.get("host"):
        return f"oracle://{o.get('user', '')}@{o['host']}:{o.get('port', 1521)}/" + str(
            o.get("serviceName", "")
        )
    return ""


def image_ref(values: Mapping[str, Any], key: str) -> str:
    """``repository:tag[@digest]`` of the image at ``key``, for values without the chart's
    ``release.notebookImage`` (which the chart resolves, tag defaulting to its appVersion)."""
    img = get(values, key, {})
    ref = f"{img.get('repository') or 'deslab/notebook'}:{img.get('tag') or 'latest'}"
    return f"{ref}@{img['digest']}" if img.get("digest") else ref


def hub_settings(values: Mapping[str, Any], secrets: Mapping[str, str]) -> PlatformSettings:
    """:class:`PlatformSettings` for the hub pod, from the chart values and hub secrets.

    Parameters
    ----------
    values
        The chart values as mounted in the hub pod.
    secrets
        The hub Secret's files: ``cookie-secret``, ``proxy-token``, ``jobs-api-token``,
        ``culler-api-token``.

    Raises
    ------
    ChartValuesError
        When ``hub.db.type`` is ``postgresql`` without ``hub.db.url``.
    """
    rel = release(values)
    cull = get(values, "cull", {})
    db_type = get(values, "hub.db.type", "sqlite-pvc")
    if db_type == "postgresql":
        db_url = str(get(values, "hub.db.url", ""))
        if not db_url:
            raise ChartValuesError(
                "hub.db.type is postgresql but hub.db.url is empty: set it, e.g. "
                "postgresql+psycopg://jupyterhub@db.example.org:5432/jupyterhub"
            )
    else:
        db_url = f"sqlite:///{HUB_DATA_DIR}/jupyterhub.sqlite"
    return PlatformSettings(
        mode="kubernetes",
        ip="",
        port=8000,
        base_url=base_url(values),
        hub_ip="",
        hub_port=8081,
        proxy_auth_token=secrets.get("proxy-token", ""),
        cookie_secret_file=f"{HUB_DATA_DIR}/jupyterhub_cookie_secret",
        db_url=db_url,
        users=list(get(values, "auth.allowedUsers", [])),
        admin_users=list(get(values, "hub.adminUsers", [])),
        idle_timeout=int(cull.get("timeout", 3600)) if cull.get("enabled", True) else 0,
        cull_every=int(cull.get("every", 0)),
        cull_max_age=int(cull.get("maxAge", 0) or 0),
        culler_api_token=secrets.get("culler-api-token", ""),
        jobs_host=rel["jobsService"],
        jobs_port=int(get(values, "jobs.port", 8090)),
        jobs_api_token=secrets.get("jobs-api-token", ""),
        catalog_url=rel["catalogUrl"],
        tiles_dir=str(get(values, "catalog.tilesPath", "")),
        user_home_template=str(get(values, "singleuser.homeMountPath", "/home/jovyan")),
        spawn_timeout=int(get(values, "hub.startTimeout", 300)),
        debug=bool(get(values, "hub.debug", False)),
    )
