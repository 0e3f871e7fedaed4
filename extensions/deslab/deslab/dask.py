"""``deslab.dask.cluster()``: the Dask cluster of this session, sized by the platform.

In the local platform this is a :class:`distributed.LocalCluster` of worker processes. In a
Kubernetes deployment (the spawner sets ``DESLAB_DASK_IMAGE``) it is a dask-kubernetes
``KubeCluster`` (a ``DaskCluster`` resource handled by the Dask operator) in the user's
namespace, with the image and the per-user caps the spawner sets. Either way the cluster is
closed when the kernel exits.

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
"""

from __future__ import annotations

import atexit
import math
import os
import re
import weakref
from pathlib import Path
from typing import Any

from dask.utils import parse_bytes

from deslab.errors import ConfigurationError

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


def cluster_name(environ: dict[str, str] | None = None) -> str:
    """A DNS-1035 name for this user's cluster (``dask-<user>-<random>``)."""
    env = _env(environ)
    user = re.sub(r"[^a-z0-9-]", "-", env.get("JUPYTERHUB_USER", "user").lower()).strip("-")
    suffix = os.urandom(3).hex()
    return f"dask-{user[:40] or 'user'}-{suffix}"


def kube_cluster_spec(
    n_workers: int | None = None, environ: dict[str, str] | None = None, name: str | None = None
) -> dict[str, Any]:
    """The ``DaskCluster`` resource that :func:`cluster` creates in Kubernetes mode.

    Built from the spawner's environment only; no API server is contacted.
    """
    from dask_kubernetes.operator import make_cluster_spec

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
    cores = str(caps["worker_cores"])
    memory = caps["worker_memory"]
    resources = {
        "requests": {"cpu": cores, "memory": memory},
        "limits": {"cpu": cores, "memory": memory},
    }
    # workers read the same catalog and tiles as the notebook
    worker_env = {k: env[k] for k in ("DESLAB_CATALOG", "DESLAB_TILES") if env.get(k)}
    worker_env["NUMBA_CACHE_DIR"] = "/tmp/numba-cache"
    name = name or cluster_name(env)
    spec = make_cluster_spec(
        name=name,
        image=image,
        n_workers=n,
        resources=resources,
        env=worker_env,
        worker_command=(
            f"dask worker --nthreads {caps['worker_cores']} "
            f"--memory-limit {caps['worker_memory_bytes']}"
        ),
        idle_timeout=_int(env, "DESLAB_DASK_IDLE_TIMEOUT", 3600),
    )
    scheduler = spec["spec"]["scheduler"]["spec"]["containers"][0]
    scheduler["args"] = ["dask", "scheduler", "--host", "0.0.0.0"]
    scheduler["resources"] = {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    labels = {
        "app.kubernetes.io/part-of": "deslab",
        "app.kubernetes.io/component": "dask",
        "hub.jupyter.org/username": re.sub(
            r"[^A-Za-z0-9_.-]", "-", env.get("JUPYTERHUB_USER", "user"))[:63].strip("-_.")
        or "user",
    }
    spec["metadata"]["namespace"] = namespace(env)
    spec["metadata"]["labels"] = labels
    for part in ("worker", "scheduler"):
        spec["spec"][part]["metadata"] = {"labels": dict(labels)}
        pod = spec["spec"][part]["spec"]
        pod["securityContext"] = {"runAsNonRoot": True, "runAsUser": 1000, "fsGroup": 100}
        for container in pod["containers"]:
            container["securityContext"] = {"allowPrivilegeEscalation": False}
    return spec


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
        two in Kubernetes (``cluster.scale(n)`` up to the cap later).
    processes : bool
        Local mode: worker processes (default) or, with ``False``, worker threads inside this
        kernel, which start at once. Ignored in Kubernetes, where workers are pods.
    **kwargs
        Passed on to ``LocalCluster`` or ``KubeCluster``.

    Returns
    -------
    distributed.LocalCluster or dask_kubernetes.operator.KubeCluster
        Connect with ``distributed.Client(cluster)``.

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

    from dask_kubernetes.operator import KubeCluster

    caps = limits()
    spec = kube_cluster_spec(n_workers)

    class CappedKubeCluster(KubeCluster):
        """A KubeCluster that refuses to scale past the user's cap."""

        def scale(self, n: int, *args: Any, **kw: Any) -> Any:
            return super().scale(_workers(n, caps["max_workers"]), *args, **kw)

        def adapt(self, minimum: int = 0, maximum: int = math.inf, **kw: Any) -> Any:
            maximum = min(maximum, caps["max_workers"])
            return super().adapt(minimum=minimum, maximum=maximum, **kw)

    return _register(
        CappedKubeCluster(
            custom_cluster_spec=spec,
            namespace=spec["metadata"]["namespace"],
            shutdown_on_close=True,
            **kwargs,
        )
    )
