"""JupyterHub configuration for the cluster: a pure builder from chart values and secrets.

:func:`cluster_config` gives what only the cluster needs (where the hub and the proxy are,
the cookie secret, KubeSpawner, oauthenticator); everything both modes share comes from
:func:`deslab_hub.config.build_config` with the settings of
:func:`deslab_hub.cluster.values.hub_settings`. The two never set the same value (a test
checks), and :mod:`deslab_hub.kubernetes` merges them in the hub pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traitlets.config import Config

from deslab_hub.cluster.auth import configure_auth
from deslab_hub.cluster.spawner import configure_spawner
from deslab_hub.cluster.values import ChartValuesError, get, hub_settings, release

__all__ = ["ChartValuesError", "cluster_config", "configure_kubernetes", "hub_settings"]


def cluster_config(values: Mapping[str, Any], secrets: Mapping[str, str] | None = None) -> Config:
    """The cluster-only JupyterHub configuration for chart ``values``.

    Parameters
    ----------
    values
        The chart values (as mounted in the hub pod, credentials removed).
    secrets
        The hub Secret's files; ``cookie-secret`` (hex) is read here.

    Raises
    ------
    ChartValuesError
        When a value makes no working hub (unknown authenticator or storage type).
    """
    c = Config()
    configure_kubernetes(c, values, secrets)
    return c


def configure_kubernetes(
    c: Config, values: Mapping[str, Any], secrets: Mapping[str, str] | None = None
) -> None:
    """Fill ``c`` with the cluster-only configuration (see :func:`cluster_config`)."""
    secrets = secrets or {}
    rel = release(values)
    c.JupyterHub.hub_connect_url = f"http://{rel['hubService']}:8081"
    c.JupyterHub.concurrent_spawn_limit = int(get(values, "hub.concurrentSpawnLimit", 64))
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = f"http://{rel['proxyApiService']}:8001"
    if secrets.get("cookie-secret"):
        c.JupyterHub.cookie_secret = bytes.fromhex(secrets["cookie-secret"])
    configure_spawner(c, values)
    configure_auth(c, values)
