"""The cluster's hub configuration as a pure builder, checked against literal values.

As KubeSpawner's own tests check ``make_pod`` against literal manifests, these give
:func:`deslab_hub.cluster.cluster_config` and :func:`deslab_hub.cluster.hub_settings` chart
values as literal dicts and compare what they build with literal dicts; the settings-only
builder :func:`deslab_hub.config.build_config` and the cluster builder never set the same
value, and no module imports back into the one that calls it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deslab_hub.cluster import cluster_config, hub_settings
from deslab_hub.config import build_config
from deslab_hub.kubehomes import colocate_with_owner
from traitlets.config import Config

from tests.imports import cycles, import_graph

VALUES: dict[str, Any] = {
    "release": {"name": "r1", "fullname": "r1-deslab", "namespace": "sci"},
    "singleuser": {"image": {"repository": "registry.example.org/deslab/notebook",
                              "tag": "2.0.0-abc1234"}},
    "auth": {
        "type": "generic",
        "generic": {"authorizeUrl": "https://id.example.org/auth",
                    "tokenUrl": "https://id.example.org/token",
                    "userdataUrl": "https://id.example.org/me"},
        "allowedUsers": ["alice"],
    },
    "hub": {"adminUsers": ["ada"], "baseUrl": "des"},
    "cull": {"timeout": 7200, "maxAge": 86400},
}
SECRETS = {"cookie-secret": "00ff", "proxy-token": "p-token", "jobs-api-token": "j-token",
           "culler-api-token": "c-token"}
HOME = "/home/jovyan"
POST_START = (f'mkdir -p "{HOME}/jobs" && if [ -d /opt/deslab/tutorials ] && '
              f'[ ! -e "{HOME}/tutorials" ]; then cp -r /opt/deslab/tutorials '
              f'"{HOME}/tutorials"; fi')


def as_dict(c: Config) -> dict[str, dict[str, Any]]:
    return {section: dict(c[section]) for section in c}


def test_cluster_config_from_literal_values() -> None:
    assert as_dict(cluster_config(VALUES, SECRETS)) == {
        "JupyterHub": {
            "hub_connect_url": "http://r1-deslab-hub:8081",
            "concurrent_spawn_limit": 64,
            "cookie_secret": b"\x00\xff",
            "spawner_class": "kubespawner.KubeSpawner",
            "authenticator_class": "oauthenticator.generic.GenericOAuthenticator",
        },
        "ConfigurableHTTPProxy": {"should_start": False,
                                  "api_url": "http://r1-deslab-proxy-api:8001"},
        "Authenticator": {"allow_all": False, "allow_existing_users": False},
        "GenericOAuthenticator": {
            "authorize_url": "https://id.example.org/auth",
            "token_url": "https://id.example.org/token",
            "userdata_url": "https://id.example.org/me",
            "username_claim": "preferred_username",
            "scope": ["openid"],
        },
        "KubeSpawner": {
            "namespace": "sci",
            "image": "registry.example.org/deslab/notebook:2.0.0-abc1234",
            "image_pull_policy": "IfNotPresent",
            "image_pull_secrets": [],
            "cmd": ["jupyterhub-singleuser"],
            "port": 8888,
            "uid": 1000,
            "gid": 100,
            "fs_gid": 100,
            "working_dir": HOME,
            "allow_privilege_escalation": False,
            "container_security_context": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "pod_security_context": {"runAsNonRoot": True,
                                     "seccompProfile": {"type": "RuntimeDefault"}},
            "automount_service_account_token": False,
            "service_account": None,
            "extra_labels": {"deslab.org/release": "r1", "app.kubernetes.io/instance": "r1",
                             "app.kubernetes.io/part-of": "deslab"},
            "environment": {"DESLAB_HOME": HOME,
                            "DESLAB_JOBS_URL": "http://r1-deslab-jobs:8090/des/services/jobs/",
                            "DESLAB_DASK_MODE": "local"},
            "storage_pvc_ensure": True,
            "pvc_name_template": "claim-{username}",
            "storage_capacity": "10Gi",
            "storage_access_modes": ["ReadWriteOnce"],
            "modify_pod_hook": colocate_with_owner,  # a ReadWriteOnce home: one node
            "storage_extra_labels": {"deslab.org/release": "r1"},
            "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "{pvc_name}"}}],
            "volume_mounts": [{"name": "home", "mountPath": HOME}],
            "lifecycle_hooks": {"postStart": {"exec": {"command": ["sh", "-c", POST_START]}}},
        },
    }


def test_shared_storage_oracle_secret_and_profiles() -> None:
    values = {
        **VALUES,
        "singleuser": {
            "storage": {"type": "shared", "sharedClaim": "homes"},
            "profiles": [
                {"displayName": "Small", "slug": "small", "default": True,
                 "cpu": {"guarantee": 0.5, "limit": 1}, "memory": {"guarantee": "1G",
                                                                   "limit": "2G"}},
                {"displayName": "GPU", "slug": "gpu", "description": "one GPU",
                 "cpu": {"guarantee": 1, "limit": 2}, "memory": {"guarantee": "4G",
                                                                 "limit": "8G"},
                 "gpu": {"count": 1}, "nodeSelector": {"gpu": "yes"}},
            ],
        },
        "catalog": {"oracle": {"user": "reader", "host": "db.example.org",
                               "serviceName": "dessci"}},
        "release": {**VALUES["release"], "catalogSecretName": "cat"},
    }
    k = cluster_config(values, {}).KubeSpawner
    assert k.volumes == [
        {"name": "home", "persistentVolumeClaim": {"claimName": "homes"}},
        {"name": "catalog-secret", "secret": {
            "secretName": "cat", "items": [{"key": "password", "path": "password"}],
            "defaultMode": 0o440}},
    ]
    assert k.volume_mounts == [
        {"name": "home", "mountPath": HOME, "subPath": "{username}"},
        {"name": "catalog-secret", "mountPath": "/etc/deslab/catalog", "readOnly": True},
    ]
    assert k.environment == {
        "DESLAB_HOME": HOME,
        "DESLAB_JOBS_URL": "http://r1-deslab-jobs:8090/des/services/jobs/",
        "DESLAB_CATALOG": "oracle://reader@db.example.org:1521/dessci",
        "DESLAB_CATALOG_PASSWORD_FILE": "/etc/deslab/catalog/password",
        "DESLAB_DASK_MODE": "local",
    }
    small = {"cpu_guarantee": 0.5, "cpu_limit": 1.0, "mem_guarantee": "1G", "mem_limit": "2G"}
    assert k.profile_list == [
        {"display_name": "Small", "slug": "small", "description": "",
         "kubespawner_override": small, "default": True},
        {"display_name": "GPU", "slug": "gpu", "description": "one GPU",
         "kubespawner_override": {
             "cpu_guarantee": 1.0, "cpu_limit": 2.0, "mem_guarantee": "4G", "mem_limit": "8G",
             "extra_resource_guarantees": {"nvidia.com/gpu": "1"},
             "extra_resource_limits": {"nvidia.com/gpu": "1"},
             "node_selector": {"gpu": "yes"}}},
    ]
    assert {key: k[key] for key in small} == small  # the default profile without a choice


def test_hub_settings_from_literal_values() -> None:
    c = build_config(hub_settings(VALUES, SECRETS))
    assert c.JupyterHub.services[0] == {
        "name": "jobs", "url": "http://r1-deslab-jobs:8090", "display": False,
        "oauth_no_confirm": True, "api_token": "j-token",
    }
    culler = c.JupyterHub.services[1]
    assert culler["command"][1:] == ["-m", "jupyterhub_idle_culler", "--timeout=7200",
                                     "--cull-every=600", "--max-age=86400"]
    assert culler["api_token"] == "c-token"
    assert "environment" not in culler
    assert {key: c.JupyterHub[key] for key in (
        "base_url", "bind_url", "hub_ip", "hub_port", "cleanup_servers", "db_url",
        "cookie_secret_file")} == {
        "base_url": "/des/", "bind_url": "http://:8000/des/", "hub_ip": "", "hub_port": 8081,
        "cleanup_servers": False, "db_url": "sqlite:////srv/jupyterhub/jupyterhub.sqlite",
        "cookie_secret_file": "/srv/jupyterhub/jupyterhub_cookie_secret",
    }
    assert dict(c.Authenticator) == {"allowed_users": {"alice"}, "admin_users": {"ada"}}
    assert dict(c.ConfigurableHTTPProxy) == {"auth_token": "p-token", "debug": False}


def _class_names(section: str) -> set[str]:
    """``section`` and the classes it inherits configuration from."""
    from jupyterhub.app import JupyterHub
    from kubespawner import KubeSpawner
    from oauthenticator.generic import GenericOAuthenticator

    for cls in (JupyterHub, KubeSpawner, GenericOAuthenticator):
        if cls.__name__ == section:
            return {c.__name__ for c in cls.__mro__}
    return {section}


def test_each_value_is_set_in_one_place() -> None:
    common = build_config(hub_settings(VALUES, SECRETS))
    cluster = cluster_config(VALUES, SECRETS)
    twice = [
        f"{section}.{key} (also {parent}.{key})"
        for section in cluster
        for parent in common
        if parent in _class_names(section)
        for key in cluster[section]
        if key in common[parent]
    ]
    assert twice == []


def test_hub_configuration_imports_one_way() -> None:
    import deslab_hub

    graph = import_graph(Path(deslab_hub.__file__).parent)
    assert cycles(graph) == []
    # the settings-only builder knows nothing of the cluster; the pure builder not its caller
    assert not {m for m in graph["deslab_hub.config"] if m.startswith("deslab_hub.cluster")}
    assert "deslab_hub.kubernetes" not in graph["deslab_hub.config"]
    for name, imported in graph.items():
        if name.startswith("deslab_hub.cluster"):
            assert "deslab_hub.kubernetes" not in imported, name
