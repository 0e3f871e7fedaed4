"""JupyterHub on Kubernetes: what the hub image's ``jupyterhub_config.py`` runs.

The chart mounts its values (credentials removed) into the hub pod as a YAML file and the
hub's generated secrets as files; OAuth client credentials and the PostgreSQL password
arrive as environment variables from Secrets (oauthenticator reads its own ``OAUTH_*``).
The hub image's ``jupyterhub_config.py`` is::

    from deslab_hub.kubernetes import load_config
    c.merge(load_config())

:func:`load_config` reads both, builds what both modes share with
:func:`deslab_hub.config.build_config` from :func:`hub_settings`, merges what only the cluster
needs from the pure builder :func:`deslab_hub.cluster.cluster_config` (KubeSpawner,
oauthenticator, where the proxy is), and runs ``hub.extraConfig``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from traitlets.config import Config

from deslab_hub.cluster import cluster_config, configure_kubernetes
from deslab_hub.cluster.spawner import singleuser_environment
from deslab_hub.cluster.values import HUB_DATA_DIR, ChartValuesError, get, hub_settings
from deslab_hub.config import build_config

__all__ = [
    "DEFAULT_SECRETS_DIR", "DEFAULT_VALUES_FILE", "HUB_DATA_DIR", "ChartValuesError",
    "configure_kubernetes", "hub_settings", "load_config", "read_secrets", "read_values",
    "run_extra_config", "singleuser_environment",
]

DEFAULT_VALUES_FILE = "/usr/local/etc/deslab/config/values.yaml"
DEFAULT_SECRETS_DIR = "/usr/local/etc/deslab/secrets"


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


def load_config(
    values_file: os.PathLike[str] | str | None = None,
    secrets_dir: os.PathLike[str] | str | None = None,
) -> Config:
    """The whole hub configuration in the cluster (what ``jupyterhub_config.py`` merges)."""
    values = read_values(values_file)
    secrets = read_secrets(secrets_dir)
    c = build_config(hub_settings(values, secrets))
    c.merge(cluster_config(values, secrets))
    run_extra_config(c, values)
    return c


def run_extra_config(c: Config, values: Mapping[str, Any]) -> None:
    """Run ``hub.extraConfig`` snippets (sorted by name) with ``c`` in scope."""
    for name, code in sorted((get(values, "hub.extraConfig", {}) or {}).items()):
        exec(compile(code, f"<hub.extraConfig.{name}>", "exec"), {"c": c})  # noqa: S102
