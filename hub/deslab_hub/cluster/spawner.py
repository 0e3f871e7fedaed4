"""KubeSpawner configuration from the chart values: a pure builder.

The notebook image, profiles (sizes, optional GPUs), a volume per user for the home (with
``~/jobs``), the catalog settings as environment (the password only as a file from a Secret),
``DESLAB_JOBS_URL``, the Dask caps, a hardened security context, and no Kubernetes API token
unless Dask is enabled. What both modes share (default URL, timeouts, token scopes) is set by
:func:`deslab_hub.config.build_config` on ``Spawner``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traitlets.config import Config

from deslab_hub.cluster.values import ChartValuesError, get, release
from deslab_hub.kubehomes import colocate_with_owner, single_node

CATALOG_SECRET_DIR = "/etc/deslab/catalog"
CATALOG_PASSWORD_FILE = f"{CATALOG_SECRET_DIR}/password"
SINGLEUSER_PORT = 8888
STORAGE_TYPES = ("dynamic", "shared", "none")

# Hardened container settings of every user server (and what the chart's policy tests check).
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def profile(p: Mapping[str, Any]) -> dict[str, Any]:
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
    rel = release(values)
    home = str(get(values, "singleuser.homeMountPath", "/home/jovyan"))
    env: dict[str, str] = {
        "DESLAB_HOME": home,
        "DESLAB_JOBS_URL": rel["jobsUrl"],
    }
    if rel["catalogUrl"]:
        env["DESLAB_CATALOG"] = rel["catalogUrl"]
    if rel["catalogSecretName"]:
        env["DESLAB_CATALOG_PASSWORD_FILE"] = CATALOG_PASSWORD_FILE
    if get(values, "catalog.tilesPath"):
        env["DESLAB_TILES"] = str(get(values, "catalog.tilesPath"))
    dask = get(values, "dask", {})
    if dask.get("enabled"):
        # what the chart's admission policy pins (templates/dask/admission.yaml), so that
        # deslab.dask builds clusters the API server admits
        pinned = rel.get("dask") or {}
        su = get(values, "singleuser", {})
        env.update({
            "DESLAB_DASK_MODE": "kubernetes",
            "DESLAB_DASK_IMAGE": pinned.get("image") or dask.get("image")
            or rel["notebookImage"],
            "DESLAB_DASK_NAMESPACE": rel["namespace"],
            "DESLAB_DASK_RELEASE": rel["name"],
            "DESLAB_DASK_SERVICE_ACCOUNT": pinned.get("serviceAccount")
            or f"{rel['fullname']}-dask-pods",
            "DESLAB_DASK_PRIORITY_CLASS": pinned.get("priorityClass")
            or f"{rel['namespace']}-{rel['fullname']}-dask",
            "DESLAB_DASK_UID": str(su.get("uid", 1000)),
            "DESLAB_DASK_GID": str(su.get("gid", 100)),
            "DESLAB_DASK_MAX_WORKERS": str(dask.get("maxWorkers", 8)),
            "DESLAB_DASK_WORKER_CORES": str(dask.get("workerCores", 1)),
            "DESLAB_DASK_WORKER_MEMORY": str(dask.get("workerMemory", "4Gi")),
            "DESLAB_DASK_SCHEDULER_CORES": str(dask.get("schedulerCores", 1)),
            "DESLAB_DASK_SCHEDULER_MEMORY": str(dask.get("schedulerMemory", "2Gi")),
            "DESLAB_DASK_IDLE_TIMEOUT": str(dask.get("idleTimeout", 3600)),
        })
    else:
        env["DESLAB_DASK_MODE"] = "local"
    for name, value in (get(values, "singleuser.extraEnv", {}) or {}).items():
        env[str(name)] = str(value)
    return env


def configure_spawner(c: Config, values: Mapping[str, Any]) -> None:
    """KubeSpawner for chart ``values``: image, profiles, volumes, security, environment.

    Raises
    ------
    ChartValuesError
        For an unknown ``singleuser.storage.type`` or a shared one without a claim.
    """
    rel = release(values)
    su = get(values, "singleuser", {})
    home = str(su.get("homeMountPath", "/home/jovyan"))
    uid, gid = int(su.get("uid", 1000)), int(su.get("gid", 100))
    storage = su.get("storage", {}) or {}
    storage_type = storage.get("type", "dynamic")
    if storage_type not in STORAGE_TYPES:
        raise ChartValuesError(
            f"singleuser.storage.type {storage_type!r} is not known; "
            f"choose one of {', '.join(STORAGE_TYPES)}"
        )
    dask_enabled = bool(get(values, "dask.enabled", False))

    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    k = c.KubeSpawner
    k.namespace = rel["namespace"]
    k.image = rel["notebookImage"]
    k.image_pull_policy = get(values, "singleuser.image.pullPolicy", "IfNotPresent")
    k.image_pull_secrets = list(rel["imagePullSecrets"])
    k.cmd = ["jupyterhub-singleuser"]
    k.port = SINGLEUSER_PORT
    k.uid = uid
    k.gid = gid
    k.fs_gid = gid
    k.working_dir = home
    k.allow_privilege_escalation = False
    k.container_security_context = dict(CONTAINER_SECURITY_CONTEXT)
    k.pod_security_context = {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # A Kubernetes API token only when users may create Dask clusters.
    k.automount_service_account_token = dask_enabled
    k.service_account = rel["singleuserServiceAccount"] if dask_enabled else None
    if dask_enabled:
        # only this server (and its own Dask pods) may reach its Dask pods
        from deslab_hub.cluster.dask_access import after_pod_created_hook

        k.after_pod_created_hook = after_pod_created_hook(rel["name"])
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
        if single_node(k.storage_access_modes):
            # the server joins the node of the user's running job pods (and they join it)
            k.modify_pod_hook = colocate_with_owner
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
    data_claim = get(values, "catalog.data.existingClaim")
    if data_claim:
        volumes.append({"name": "survey-data",
                        "persistentVolumeClaim": {"claimName": data_claim, "readOnly": True}})
        mounts.append({"name": "survey-data", "readOnly": True,
                       "mountPath": get(values, "catalog.data.mountPath", "/srv/deslab/data")})
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

    profiles = [profile(p) for p in su.get("profiles") or []]
    if profiles:
        k.profile_list = profiles
        default = next((p for p in profiles if p.get("default")), profiles[0])
        # the default profile's resources also apply when no profile is chosen (API spawns)
        for key, value in default["kubespawner_override"].items():
            setattr(k, key, value)
