"""``deslab.dask.cluster()``: the Dask cluster of this session, sized by the platform.

In the local platform this is a :class:`distributed.LocalCluster` of worker processes. In a
Kubernetes deployment (the spawner sets ``DESLAB_DASK_IMAGE``) it is one ``DaskCluster`` object
for the dask-kubernetes operator (:class:`deslab.daskcluster.OperatorCluster`), which the API
server admits only in the shape built here: the chart's image, uid, security context and
service account, and the per-server caps. The caps are enforced by the API server
(ValidatingAdmissionPolicy, ResourceQuota), not by this module, which only checks them first
for a clearer message. Either way the cluster is closed when the kernel exits.

Environment (set by the spawner; all optional):

``DESLAB_DASK_MODE``            ``local`` or ``kubernetes``; default ``kubernetes`` when
                                ``DESLAB_DASK_IMAGE`` is set, else ``local``
``DESLAB_DASK_IMAGE``           image of the scheduler and workers (the notebook image, so
                                that workers run the same ``deslab``); falls back to
                                ``JUPYTER_IMAGE_SPEC``, which KubeSpawner sets
``DESLAB_DASK_MAX_WORKERS``     most workers one user may run (default 4; local: the cores)
``DESLAB_DASK_WORKER_CORES``    CPU request/limit and threads of one worker (default 1)
``DESLAB_DASK_WORKER_MEMORY``   memory request/limit of one worker (default ``2Gi``)
``DESLAB_DASK_NAMESPACE``       namespace of the cluster; default: the pod's own namespace
``DESLAB_DASK_IDLE_TIMEOUT``    seconds after which the operator deletes an idle cluster
                                (default 3600)
``DESLAB_DASK_SCHEDULER_CORES`` CPU limit of the scheduler (default 1)
``DESLAB_DASK_SCHEDULER_MEMORY`` memory limit of the scheduler (default ``2Gi``)
``DESLAB_DASK_SERVICE_ACCOUNT`` service account of the Dask pods (no rights, no token)
``DESLAB_DASK_PRIORITY_CLASS``  PriorityClass of the Dask pods (the quota's scope)
``DESLAB_DASK_RELEASE``         the Helm release (label ``deslab.org/release``)
``DESLAB_DASK_UID``, ``DESLAB_DASK_GID``  uid and gid of the Dask pods (default 1000, 100)
"""

from __future__ import annotations

import atexit
import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dask.utils import parse_bytes

from deslab.errors import ConfigurationError

if TYPE_CHECKING:
    from deslab.daskcluster import PodIdentity

NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
MODES = ("local", "kubernetes")


def _env(environ: dict[str, str] | None) -> dict[str, str]:
    return dict(os.environ if environ is None else environ)


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(f"{name} must be a positive integer, got {raw!r}")
    return value


def mode(environ: dict[str, str] | None = None) -> str:
    """``local`` or ``kubernetes``, from ``DESLAB_DASK_MODE`` or the presence of an image."""
    env = _env(environ)
    chosen = env.get("DESLAB_DASK_MODE") or ("kubernetes" if env.get("DESLAB_DASK_IMAGE")
                                             else "local")
    if chosen not in MODES:
        raise ConfigurationError(
            f"DESLAB_DASK_MODE={chosen!r} is not a mode; valid modes: {', '.join(MODES)}"
        )
    return chosen


def limits(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The per-user caps: ``max_workers``, ``worker_cores``, ``worker_memory`` (bytes)."""
    env = _env(environ)
    local = mode(env) == "local"
    default_max = (os.cpu_count() or 1) if local else 4
    memory = env.get("DESLAB_DASK_WORKER_MEMORY") or "2Gi"
    try:
        memory_bytes = parse_bytes(memory)
    except ValueError:
        raise ConfigurationError(
            f"DESLAB_DASK_WORKER_MEMORY={memory!r} is not a size; use e.g. 4Gi or 2GB"
        ) from None
    return {
        "max_workers": _int(env, "DESLAB_DASK_MAX_WORKERS", default_max),
        "worker_cores": _int(env, "DESLAB_DASK_WORKER_CORES", 1),
        "worker_memory": memory,
        "worker_memory_bytes": memory_bytes,
    }


def _workers(n_workers: int | None, cap: int) -> int:
    n = cap if n_workers is None else n_workers
    if n < 0 or n > cap:
        raise ConfigurationError(
            f"n_workers={n_workers} is more than this session may run; use 0 to {cap} "
            "(the cap is DESLAB_DASK_MAX_WORKERS)"
        )
    return n


def namespace(environ: dict[str, str] | None = None) -> str:
    """The namespace for the cluster: ``DESLAB_DASK_NAMESPACE`` or the pod's own."""
    env = _env(environ)
    if env.get("DESLAB_DASK_NAMESPACE"):
        return env["DESLAB_DASK_NAMESPACE"]
    try:
        return NAMESPACE_FILE.read_text().strip() or "default"
    except OSError:
        return "default"


def _labels(env: dict[str, str], owner: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": "deslab",
        "app.kubernetes.io/component": "dask",
        "deslab.org/release": env.get("DESLAB_DASK_RELEASE", "deslab"),
        "deslab.org/dask-owner": owner,
    }


def _pod_spec(env: dict[str, str], image: str, name: str, args: list[str],
              cores: str, memory: str, extra_env: dict[str, str]) -> dict[str, Any]:
    """A Dask pod template as the admission policy wants it: the user server's hardening."""
    resources = {"cpu": cores, "memory": memory}
    return {
        "serviceAccountName": env.get("DESLAB_DASK_SERVICE_ACCOUNT", "default"),
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "priorityClassName": env.get("DESLAB_DASK_PRIORITY_CLASS", ""),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": _int(env, "DESLAB_DASK_UID", 1000),
            "runAsGroup": _int(env, "DESLAB_DASK_GID", 100),
            "fsGroup": _int(env, "DESLAB_DASK_GID", 100),
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [{
            "name": name,
            "image": image,
            "args": args,
            "env": [{"name": k, "value": v} for k, v in sorted(extra_env.items())],
            "resources": {"requests": dict(resources), "limits": dict(resources)},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }


def kube_cluster_spec(
    n_workers: int | None = None,
    environ: dict[str, str] | None = None,
    owner: PodIdentity | None = None,
) -> dict[str, Any]:
    """The ``DaskCluster`` object that :func:`cluster` creates in Kubernetes mode.

    Built from the spawner's environment and the owner pod only; no API server is contacted.

    Parameters
    ----------
    n_workers : int, optional
        Workers (default: 2, at most the cap).
    environ : dict, optional
        The environment to read (default: ``os.environ``).
    owner : PodIdentity, optional
        The user server's pod (default: the one this server's token is bound to). The cluster
        is named ``dask-<pod uid>``, owned by that pod and labelled with its name, as the
        admission policy requires.
    """
    from deslab.daskcluster import DASHBOARD_PORT, SCHEDULER_PORT, KubeAPI

    env = _env(environ)
    image = env.get("DESLAB_DASK_IMAGE") or env.get("JUPYTER_IMAGE_SPEC")
    if not image:
        raise ConfigurationError(
            "no image for Dask workers: the spawner must set DESLAB_DASK_IMAGE (or "
            "JUPYTER_IMAGE_SPEC) to the notebook image"
        )
    caps = limits(env)
    n = _workers(n_workers if n_workers is not None else min(2, caps["max_workers"]),
                 caps["max_workers"])
    if owner is None:
        owner = KubeAPI.in_pod(namespace(env)).identity
    name = f"dask-{owner.uid}"
    labels = _labels(env, owner.name)
    # workers read the same catalog and tiles as the notebook
    worker_env = {k: env[k] for k in ("DESLAB_CATALOG", "DESLAB_TILES") if env.get(k)}
    worker_env["NUMBA_CACHE_DIR"] = "/tmp/numba-cache"
    scheduler_memory = env.get("DESLAB_DASK_SCHEDULER_MEMORY") or "2Gi"
    worker = _pod_spec(
        env, image, "worker",
        ["dask", "worker", "--nthreads", str(caps["worker_cores"]),
         "--memory-limit", str(caps["worker_memory_bytes"]), "--name", "$(DASK_WORKER_NAME)",
         "--dashboard-address", "8788"],
        str(caps["worker_cores"]), caps["worker_memory"], worker_env)
    worker["containers"][0]["ports"] = [
        {"name": "http-dashboard", "containerPort": 8788, "protocol": "TCP"}]
    scheduler = _pod_spec(
        env, image, "scheduler", ["dask", "scheduler", "--host", "0.0.0.0"],
        str(_int(env, "DESLAB_DASK_SCHEDULER_CORES", 1)), scheduler_memory,
        {"NUMBA_CACHE_DIR": "/tmp/numba-cache"})
    scheduler["containers"][0]["ports"] = [
        {"name": "tcp-comm", "containerPort": SCHEDULER_PORT, "protocol": "TCP"},
        {"name": "http-dashboard", "containerPort": DASHBOARD_PORT, "protocol": "TCP"},
    ]
    return {
        "apiVersion": "kubernetes.dask.org/v1",
        "kind": "DaskCluster",
        "metadata": {
            "name": name,
            "namespace": env.get("DESLAB_DASK_NAMESPACE") or owner.namespace,
            "labels": labels,
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": owner.name,
                                 "uid": owner.uid}],
        },
        "spec": {
            "idleTimeout": _int(env, "DESLAB_DASK_IDLE_TIMEOUT", 3600),
            "scheduler": {
                "metadata": {"labels": dict(labels)},
                "spec": scheduler,
                "service": {
                    "type": "ClusterIP",
                    "selector": {"dask.org/cluster-name": name,
                                 "dask.org/component": "scheduler"},
                    "ports": [
                        {"name": "tcp-comm", "port": SCHEDULER_PORT,
                         "targetPort": "tcp-comm", "protocol": "TCP"},
                        {"name": "http-dashboard", "port": DASHBOARD_PORT,
                         "targetPort": "http-dashboard", "protocol": "TCP"},
                    ],
                },
            },
            "worker": {
                "replicas": n,
                "metadata": {"labels": dict(labels)},
                "spec": worker,
            },
        },
    }


_open: list[weakref.ref] = []


def _close_all() -> None:
    for ref in list(_open):
        obj = ref()
        if obj is not None:
            try:
                obj.close()
            except Exception:  # noqa: BLE001 - closing at exit must not raise
                pass
    _open.clear()


atexit.register(_close_all)


def _register(obj: Any) -> Any:
    _open.append(weakref.ref(obj))
    return obj


def cluster(n_workers: int | None = None, *, processes: bool = True, **kwargs: Any) -> Any:
    """Start this session's Dask cluster; it is closed when the kernel exits.

    Parameters
    ----------
    n_workers : int, optional
        Workers to start; at most ``DESLAB_DASK_MAX_WORKERS``. Default: all of them locally,
        two in Kubernetes (``cluster.scale(n)`` up to the cap later). In Kubernetes a server
        has one cluster: calling again reuses it at the new size.
    processes : bool
        Local mode: worker processes (default) or, with ``False``, worker threads inside this
        kernel, which start at once. Ignored in Kubernetes, where workers are pods.
    **kwargs
        Passed on to ``LocalCluster``; in Kubernetes only ``timeout`` (seconds to wait for the
        operator to start the scheduler, default 300).

    Returns
    -------
    distributed.LocalCluster or deslab.daskcluster.OperatorCluster
        Connect with ``distributed.Client(cluster)``.

    Raises
    ------
    deslab.errors.ConfigurationError
        Bad settings, more workers than the cap, or (``DaskClusterError``) the Kubernetes API
        refused the cluster; the message gives the API server's reason.

    Examples
    --------
    >>> from distributed import Client
    >>> client = Client(deslab.dask.cluster())      # doctest: +SKIP
    """
    if mode() == "local":
        from distributed import LocalCluster

        caps = limits()
        n = _workers(n_workers, caps["max_workers"])
        options = {
            "n_workers": n,
            "threads_per_worker": caps["worker_cores"],
            "processes": processes,
            "memory_limit": caps["worker_memory_bytes"],
            "dashboard_address": ":0",
            "host": "127.0.0.1",
        }
        options.update(kwargs)
        if not options["processes"]:
            options.pop("host")  # in-process workers talk over inproc://, not TCP
        return _register(LocalCluster(**options))

    from deslab.daskcluster import KubeAPI, OperatorCluster

    caps = limits()
    api = KubeAPI.in_pod(namespace())
    spec = kube_cluster_spec(n_workers, owner=api.identity)
    handle = _register(OperatorCluster(api, spec, caps["max_workers"]))
    return handle.wait(timeout=float(kwargs.get("timeout", 300)))
