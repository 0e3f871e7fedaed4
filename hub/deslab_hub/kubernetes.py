"""JupyterHub on Kubernetes: the Helm chart's values turned into hub configuration.

The chart mounts its values (credentials removed) into the hub pod as a YAML file and the
hub's generated secrets as files; OAuth client credentials and the PostgreSQL password
arrive as environment variables from Secrets. The hub image's ``jupyterhub_config.py`` is::

    from deslab_hub.kubernetes import load_config
    c.merge(load_config())

:func:`load_config` reads both, fills :class:`deslab_hub.config.PlatformSettings` with
``mode="kubernetes"`` (:func:`hub_settings`) and calls the one config builder,
:func:`deslab_hub.config.build_config`, which in turn calls :func:`configure` here for what is
specific to the cluster (:func:`configure_kubernetes`):

- the proxy runs in its own Deployment (``should_start = False``), the hub listens on 8081;
- KubeSpawner: the notebook image, profiles (sizes, optional GPUs), a volume per user for the
  home (with ``~/jobs``), the catalog settings as environment (the password only as a file
  from a Secret), ``DESLAB_JOBS_URL``, the Dask caps, a hardened security context, and no
  Kubernetes API token unless Dask is enabled;
- the job service as an external service (its own Deployment and Service);
- oauthenticator (generic OAuth/OIDC, CILogon, GitHub); nobody may log in unless allowed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from traitlets.config import Config

from deslab_hub.config import CULLER_SERVICE, JOBS_SERVICE, PlatformSettings, build_config

DEFAULT_VALUES_FILE = "/usr/local/etc/deslab/config/values.yaml"
DEFAULT_SECRETS_DIR = "/usr/local/etc/deslab/secrets"
HUB_DATA_DIR = "/srv/jupyterhub"
CATALOG_SECRET_DIR = "/etc/deslab/catalog"
CATALOG_PASSWORD_FILE = f"{CATALOG_SECRET_DIR}/password"
SINGLEUSER_PORT = 8888

AUTHENTICATORS = ("generic", "cilogon", "github")
STORAGE_TYPES = ("dynamic", "shared", "none")

# Hardened container settings of every user server (and what the chart's policy tests check).
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


class ChartValuesError(ValueError):
    """The chart values cannot make a working hub; the message says which value and why."""


def read_values(path: os.PathLike[str] | str | None = None) -> dict[str, Any]:
    """The chart values mounted into the hub pod (``DESLAB_VALUES_FILE``)."""
    path = Path(path or os.environ.get("DESLAB_VALUES_FILE") or DEFAULT_VALUES_FILE)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ChartValuesError(
            f"the chart values file {path} does not exist: mount the hub ConfigMap there "
            "or set DESLAB_VALUES_FILE"
        ) from None
    if not isinstance(data, dict):
        raise ChartValuesError(f"{path} does not hold a mapping of chart values")
    return data


def read_secrets(directory: os.PathLike[str] | str | None = None) -> dict[str, str]:
    """Every file of a mounted Secret (``DESLAB_SECRETS_DIR``): name -> stripped content.

    Kubernetes' own bookkeeping entries (names starting with ``..``) are skipped; a
    directory that does not exist gives no secrets.
    """
    root = Path(directory or os.environ.get("DESLAB_SECRETS_DIR") or DEFAULT_SECRETS_DIR)
    if not root.is_dir():
        return {}
    return {
        p.name: p.read_text(encoding="utf-8").strip()
        for p in sorted(root.iterdir())
        if not p.name.startswith("..") and p.is_file()
    }


def _get(values: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return default if node is None else node


def _release(values: Mapping[str, Any]) -> dict[str, Any]:
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
    port = _get(values, "jobs.port", 8090)
    base = _base_url(values)
    rel.setdefault("jobsUrl", f"http://{rel['jobsService']}:{port}{base}services/jobs/")
    rel.setdefault("catalogUrl", _catalog_url(values))
    rel.setdefault("catalogSecretName", "")
    rel.setdefault("catalogSecretKey", "password")
    rel.setdefault("singleuserServiceAccount", f"{full}-singleuser")
    rel.setdefault("imagePullSecrets", values.get("imagePullSecrets") or [])
    return rel


def _base_url(values: Mapping[str, Any]) -> str:
    base = str(_get(values, "hub.baseUrl", "/") or "/")
    if not base.startswith("/"):
        base = "/" + base
    return base if base.endswith("/") else base + "/"


def _catalog_url(values: Mapping[str, Any]) -> str:
    if _get(values, "catalog.url"):
        return str(_get(values, "catalog.url"))
    o = _get(values, "catalog.oracle", {})
    if o.get("host"):
        return f"oracle://{o.get('user', '')}@{o['host']}:{o.get('port', 1521)}/" + str(
            o.get("serviceName", "")
        )
    return ""


def hub_settings(values: Mapping[str, Any], secrets: Mapping[str, str]) -> PlatformSettings:
    """:class:`PlatformSettings` for the hub pod, from the chart values and hub secrets.

    Parameters
    ----------
    values
        The chart values as mounted in the hub pod (``read_values``).
    secrets
        The hub Secret's files (``read_secrets``): ``cookie-secret``, ``proxy-token``,
        ``jobs-api-token``, ``culler-api-token``.
    """
    rel = _release(values)
    cull = _get(values, "cull", {})
    db_type = _get(values, "hub.db.type", "sqlite-pvc")
    if db_type == "postgresql":
        db_url = str(_get(values, "hub.db.url", ""))
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
        base_url=_base_url(values),
        hub_ip="",
        hub_port=8081,
        proxy_auth_token=secrets.get("proxy-token", ""),
        db_url=db_url,
        users=list(_get(values, "auth.allowedUsers", [])),
        admin_users=list(_get(values, "hub.adminUsers", [])),
        idle_timeout=int(cull.get("timeout", 3600)) if cull.get("enabled", True) else 0,
        cull_every=int(cull.get("every", 0)),
        culler_api_token=secrets.get("culler-api-token", ""),
        jobs_port=int(_get(values, "jobs.port", 8090)),
        jobs_api_token=secrets.get("jobs-api-token", ""),
        catalog_url=rel["catalogUrl"],
        tiles_dir=str(_get(values, "catalog.tilesPath", "")),
        user_home_template=str(_get(values, "singleuser.homeMountPath", "/home/jovyan")),
        spawn_timeout=int(_get(values, "hub.startTimeout", 300)),
        debug=bool(_get(values, "hub.debug", False)),
        kubernetes={"values": dict(values), "secrets": dict(secrets)},
    )


def load_config(
    values_file: os.PathLike[str] | str | None = None,
    secrets_dir: os.PathLike[str] | str | None = None,
) -> Config:
    """The whole hub configuration in the cluster (what ``jupyterhub_config.py`` merges)."""
    values = read_values(values_file)
    secrets = read_secrets(secrets_dir)
    c = build_config(hub_settings(values, secrets))
    run_extra_config(c, values)
    return c


def run_extra_config(c: Config, values: Mapping[str, Any]) -> None:
    """Run ``hub.extraConfig`` snippets (sorted by name) with ``c`` in scope."""
    for name, code in sorted((_get(values, "hub.extraConfig", {}) or {}).items()):
        exec(compile(code, f"<hub.extraConfig.{name}>", "exec"), {"c": c})  # noqa: S102


def configure(c: Config, settings: PlatformSettings) -> None:
    """Entry point for :func:`deslab_hub.config.build_config` with ``mode="kubernetes"``."""
    k = settings.kubernetes or {}
    configure_kubernetes(c, k.get("values", {}), k.get("secrets", {}))


def configure_kubernetes(
    c: Config, values: Mapping[str, Any], secrets: Mapping[str, str] | None = None
) -> None:
    """Fill ``c`` with the cluster-specific JupyterHub configuration for chart ``values``.

    Runs after the settings common to both modes (:func:`deslab_hub.config.build_config`), so
    it overrides what differs in the cluster: where the hub and proxy listen, the database, the
    job service's URL, the spawner and the authenticator.

    Parameters
    ----------
    c
        The JupyterHub configuration to fill.
    values
        The chart values (as mounted in the hub pod, credentials removed).
    secrets
        The hub Secret's files: ``cookie-secret`` (hex), ``proxy-token``,
        ``jobs-api-token``, ``culler-api-token``.

    Raises
    ------
    ChartValuesError
        When a value makes no working hub (unknown authenticator or storage type).
    """
    secrets = secrets or {}
    rel = _release(values)
    base = _base_url(values)

    # -- the hub and the proxy ------------------------------------------------------------
    c.JupyterHub.base_url = base
    c.JupyterHub.bind_url = f"http://:8000{base}"
    c.JupyterHub.hub_bind_url = "http://:8081"
    c.JupyterHub.hub_connect_url = f"http://{rel['hubService']}:8081"
    c.JupyterHub.cleanup_servers = False  # user servers outlive a hub restart
    c.JupyterHub.concurrent_spawn_limit = int(_get(values, "hub.concurrentSpawnLimit", 64))
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = f"http://{rel['proxyApiService']}:8001"
    if secrets.get("proxy-token"):
        c.ConfigurableHTTPProxy.auth_token = secrets["proxy-token"]
    if secrets.get("cookie-secret"):
        c.JupyterHub.cookie_secret = bytes.fromhex(secrets["cookie-secret"])
    if _get(values, "hub.db.type", "sqlite-pvc") == "sqlite-pvc":
        c.JupyterHub.db_url = f"sqlite:///{HUB_DATA_DIR}/jupyterhub.sqlite"
    c.JupyterHub.cookie_secret_file = f"{HUB_DATA_DIR}/jupyterhub_cookie_secret"
    c.JupyterHub.template_vars = {}

    _configure_services(c, values, rel, secrets)
    _configure_spawner(c, values, rel)
    _configure_auth(c, values)


def _configure_services(
    c: Config, values: Mapping[str, Any], rel: Mapping[str, Any], secrets: Mapping[str, str]
) -> None:
    """The job service is external (its own Deployment); the culler runs in the hub pod."""
    port = int(_get(values, "jobs.port", 8090))
    services = []
    for svc in list(c.JupyterHub.services) if "services" in c.JupyterHub else []:
        svc = dict(svc)
        if svc.get("name") == JOBS_SERVICE:
            svc.pop("command", None)
            svc.pop("environment", None)
            svc["url"] = f"http://{rel['jobsService']}:{port}"
            if secrets.get("jobs-api-token"):
                svc["api_token"] = secrets["jobs-api-token"]
        elif svc.get("name") == CULLER_SERVICE:
            max_age = int(_get(values, "cull.maxAge", 0) or 0)
            cmd = [a for a in svc["command"] if not a.startswith("--max-age")]
            if max_age:
                cmd.append(f"--max-age={max_age}")
            svc["command"] = cmd
        services.append(svc)
    c.JupyterHub.services = services


def _quantity(value: Any) -> Any:
    return value if isinstance(value, str) else float(value)


def _profile(p: Mapping[str, Any]) -> dict[str, Any]:
    """One chart profile as a KubeSpawner ``profile_list`` entry."""
    override: dict[str, Any] = {
        "cpu_guarantee": float(p["cpu"]["guarantee"]),
        "cpu_limit": float(p["cpu"]["limit"]),
        "mem_guarantee": str(p["memory"]["guarantee"]),
        "mem_limit": str(p["memory"]["limit"]),
    }
    gpu = p.get("gpu") or {}
    if int(gpu.get("count", 0) or 0) > 0:
        name = gpu.get("resourceName") or "nvidia.com/gpu"
        override["extra_resource_guarantees"] = {name: str(gpu["count"])}
        override["extra_resource_limits"] = {name: str(gpu["count"])}
    if p.get("nodeSelector"):
        override["node_selector"] = dict(p["nodeSelector"])
    if p.get("tolerations"):
        override["tolerations"] = list(p["tolerations"])
    entry: dict[str, Any] = {
        "display_name": p["displayName"],
        "slug": p["slug"],
        "description": p.get("description", ""),
        "kubespawner_override": override,
    }
    if p.get("default"):
        entry["default"] = True
    return entry


def singleuser_environment(values: Mapping[str, Any]) -> dict[str, str]:
    """The environment every user server gets (never a credential)."""
    rel = _release(values)
    home = str(_get(values, "singleuser.homeMountPath", "/home/jovyan"))
    env: dict[str, str] = {
        "DESLAB_HOME": home,
        "DESLAB_JOBS_URL": rel["jobsUrl"],
    }
    if rel["catalogUrl"]:
        env["DESLAB_CATALOG"] = rel["catalogUrl"]
    if rel["catalogSecretName"]:
        env["DESLAB_CATALOG_PASSWORD_FILE"] = CATALOG_PASSWORD_FILE
    if _get(values, "catalog.tilesPath"):
        env["DESLAB_TILES"] = str(_get(values, "catalog.tilesPath"))
    dask = _get(values, "dask", {})
    if dask.get("enabled"):
        image = dask.get("image") or _image(values, "singleuser.image")
        env.update({
            "DESLAB_DASK_MODE": "kubernetes",
            "DESLAB_DASK_IMAGE": image,
            "DESLAB_DASK_NAMESPACE": rel["namespace"],
            "DESLAB_DASK_MAX_WORKERS": str(dask.get("maxWorkers", 8)),
            "DESLAB_DASK_WORKER_CORES": str(dask.get("workerCores", 1)),
            "DESLAB_DASK_WORKER_MEMORY": str(dask.get("workerMemory", "4Gi")),
            "DESLAB_DASK_IDLE_TIMEOUT": str(dask.get("idleTimeout", 3600)),
        })
    else:
        env["DESLAB_DASK_MODE"] = "local"
    for name, value in (_get(values, "singleuser.extraEnv", {}) or {}).items():
        env[str(name)] = str(value)
    return env


def _image(values: Mapping[str, Any], key: str) -> str:
    img = _get(values, key, {})
    return f"{img.get('repository', 'deslab/notebook')}:{img.get('tag', 'latest')}"


def _configure_spawner(c: Config, values: Mapping[str, Any], rel: Mapping[str, Any]) -> None:
    su = _get(values, "singleuser", {})
    home = str(su.get("homeMountPath", "/home/jovyan"))
    uid, gid = int(su.get("uid", 1000)), int(su.get("gid", 100))
    storage = su.get("storage", {}) or {}
    storage_type = storage.get("type", "dynamic")
    if storage_type not in STORAGE_TYPES:
        raise ChartValuesError(
            f"singleuser.storage.type {storage_type!r} is not known; "
            f"choose one of {', '.join(STORAGE_TYPES)}"
        )
    dask_enabled = bool(_get(values, "dask.enabled", False))

    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    k = c.KubeSpawner
    k.namespace = rel["namespace"]
    k.image = _image(values, "singleuser.image")
    k.image_pull_policy = _get(values, "singleuser.image.pullPolicy", "IfNotPresent")
    k.image_pull_secrets = list(rel["imagePullSecrets"])
    k.cmd = ["jupyterhub-singleuser"]
    k.default_url = "/lab"
    k.port = SINGLEUSER_PORT
    k.uid = uid
    k.gid = gid
    k.fs_gid = gid
    k.working_dir = home
    k.start_timeout = int(_get(values, "hub.startTimeout", 300))
    k.http_timeout = int(_get(values, "hub.startTimeout", 300))
    k.allow_privilege_escalation = False
    k.container_security_context = dict(CONTAINER_SECURITY_CONTEXT)
    k.pod_security_context = {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # A Kubernetes API token only when users may create Dask clusters.
    k.automount_service_account_token = dask_enabled
    k.service_account = rel["singleuserServiceAccount"] if dask_enabled else None
    k.extra_labels = {
        "deslab.org/release": rel["name"],
        "app.kubernetes.io/instance": rel["name"],
        "app.kubernetes.io/part-of": "deslab",
    }
    k.environment = singleuser_environment(values)
    if su.get("nodeSelector"):
        k.node_selector = dict(su["nodeSelector"])
    if su.get("tolerations"):
        k.tolerations = list(su["tolerations"])

    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    if storage_type == "dynamic":
        k.storage_pvc_ensure = True
        k.pvc_name_template = "claim-{username}"
        k.storage_capacity = str(storage.get("capacity", "10Gi"))
        k.storage_access_modes = list(storage.get("accessModes") or ["ReadWriteOnce"])
        if storage.get("storageClassName"):
            k.storage_class = storage["storageClassName"]
        k.storage_extra_labels = {"deslab.org/release": rel["name"]}
        volumes.append({"name": "home", "persistentVolumeClaim": {"claimName": "{pvc_name}"}})
        mounts.append({"name": "home", "mountPath": home})
    elif storage_type == "shared":
        claim = storage.get("sharedClaim")
        if not claim:
            raise ChartValuesError(
                "singleuser.storage.type is shared but singleuser.storage.sharedClaim is "
                "empty: name an existing ReadWriteMany PersistentVolumeClaim"
            )
        k.storage_pvc_ensure = False
        volumes.append({"name": "home", "persistentVolumeClaim": {"claimName": claim}})
        mounts.append({"name": "home", "mountPath": home, "subPath": "{username}"})
    else:
        k.storage_pvc_ensure = False
        volumes.append({"name": "home", "emptyDir": {"sizeLimit": "10Gi"}})
        mounts.append({"name": "home", "mountPath": home})
    if rel["catalogSecretName"]:
        volumes.append({
            "name": "catalog-secret",
            "secret": {
                "secretName": rel["catalogSecretName"],
                "items": [{"key": rel["catalogSecretKey"], "path": "password"}],
                "defaultMode": 0o440,
            },
        })
        mounts.append({"name": "catalog-secret", "mountPath": CATALOG_SECRET_DIR,
                       "readOnly": True})
    data_claim = _get(values, "catalog.data.existingClaim")
    if data_claim:
        volumes.append({"name": "survey-data",
                        "persistentVolumeClaim": {"claimName": data_claim, "readOnly": True}})
        mounts.append({"name": "survey-data", "readOnly": True,
                       "mountPath": _get(values, "catalog.data.mountPath", "/srv/deslab/data")})
    k.volumes = volumes
    k.volume_mounts = mounts
    # ~/jobs for job results, and the tutorials the image ships, on every start.
    k.lifecycle_hooks = {
        "postStart": {"exec": {"command": ["sh", "-c", (
            f'mkdir -p "{home}/jobs" && '
            f'if [ -d /opt/deslab/tutorials ] && [ ! -e "{home}/tutorials" ]; then '
            f'cp -r /opt/deslab/tutorials "{home}/tutorials"; fi'
        )]}}
    }

    profiles = [_profile(p) for p in su.get("profiles") or []]
    if profiles:
        k.profile_list = profiles
        default = next((p for p in profiles if p.get("default")), profiles[0])
        # the default profile's resources also apply when no profile is chosen (API spawns)
        for key, value in default["kubespawner_override"].items():
            setattr(k, key, value)


def _configure_auth(c: Config, values: Mapping[str, Any]) -> None:
    from deslab_hub.auth import configure_oauth

    auth = _get(values, "auth", {}) or {}
    kind = auth.get("type", "generic")
    if kind not in AUTHENTICATORS:
        raise ChartValuesError(
            f"auth.type {kind!r} is not supported; choose one of {', '.join(AUTHENTICATORS)}"
        )
    extra: dict[str, Any] = {}
    if kind == "generic":
        g = auth.get("generic", {}) or {}
        for key, trait in (("authorizeUrl", "authorize_url"), ("tokenUrl", "token_url"),
                           ("userdataUrl", "userdata_url"), ("loginService", "login_service")):
            if g.get(key):
                extra[trait] = g[key]
        extra["username_claim"] = g.get("usernameClaim") or "preferred_username"
        extra["scope"] = list(g.get("scope") or ["openid"])
        if auth.get("allowedGroups"):
            extra["claim_groups_key"] = g.get("groupsClaim") or "groups"
            extra["allowed_groups"] = set(auth["allowedGroups"])
            extra["manage_groups"] = True
    elif kind == "cilogon":
        idps = _get(values, "auth.cilogon.idps", {}) or {}
        if idps:
            extra["idps"] = dict(idps)
    elif kind == "github":
        orgs = _get(values, "auth.github.allowedOrganizations", []) or []
        if orgs:
            extra["allowed_organizations"] = set(orgs)
            extra["scope"] = ["read:org"]
    configure_oauth(
        c,
        kind,
        callback_url=auth.get("callbackUrl") or None,
        allowed_users=list(auth.get("allowedUsers") or []),
        admin_users=list(_get(values, "hub.adminUsers", []) or []),
        allow_all=bool(auth.get("allowAll", False)),
        extra=extra,
    )
    # Nobody is allowed unless configured: the common settings allow all when no user list
    # is given (that suits the local shared password, not a public OAuth provider).
    c.Authenticator.allow_all = bool(auth.get("allowAll", False))
    c.Authenticator.allow_existing_users = False
