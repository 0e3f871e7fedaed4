"""Rendering the Helm chart offline with the real Helm SDK, for a matrix of values.

Shared by the chart tests (``from chart_helpers import ...``); the fixture lives in conftest.py.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml
from helm_python import _native as helm_native

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm-chart" / "deslab"
RELEASE = "dl"
NAMESPACE = "sci"
KUBE_VERSION = "1.30.0"
APP_VERSION = str(yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"])
#: The registry the tests' installs name (DESlab publishes no images, so the chart refuses
#: to render without a repository); tags default to the chart's appVersion.
REGISTRY = "registry.example.org/deslab"
IMAGES: dict[str, Any] = {"hub": {"image": {"repository": f"{REGISTRY}/hub"}},
                          "singleuser": {"image": {"repository": f"{REGISTRY}/notebook"}}}
NOTEBOOK_IMAGE = f"{REGISTRY}/notebook:{APP_VERSION}"
#: API versions an offline render assumes the cluster serves (as `helm template
#: --api-versions`): the dask-kubernetes operator's, which dask.enabled requires.
API_VERSIONS = ["kubernetes.dask.org/v1", "kubernetes.dask.org/v1/DaskCluster"]

# Credentials given in values: none may appear in a ConfigMap or in plain env.
SENTINELS = {
    "catalog": "Catalog-Pw-7f3a91",
    "client_secret": "Oauth-Secret-c0ffee42",
    "client_id": "oauth-client-id-5511",
    "hub_db": "Hub-Db-Pw-be11",
    "jobs_db": "Jobs-Db-Pw-9a9a",
    "smtp": "Smtp-Pw-4242",
}

ORACLE = {
    "host": "desoracle.example.org",
    "port": 1521,
    "serviceName": "dessci",
    "user": "des_reader",
    "password": SENTINELS["catalog"],
    "cidrs": ["192.0.2.10/32"],
}

GPU_PROFILE = {
    "slug": "gpu",
    "displayName": "GPU (4 CPU, 16 GiB, 1 GPU)",
    "description": "One GPU for deep learning.",
    "cpu": {"guarantee": 2, "limit": 4},
    "memory": {"guarantee": "8G", "limit": "16G"},
    "gpu": {"count": 1, "resourceName": "nvidia.com/gpu"},
    "nodeSelector": {"node.kubernetes.io/instance-type": "gpu"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
}


def _default_profiles() -> list[dict[str, Any]]:
    with helm.Chart.load(CHART) as chart:
        return copy.deepcopy(chart.values["singleuser"]["profiles"])


CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything": {
        "imagePullSecrets": ["registry-creds"],
        "hub": {
            "baseUrl": "/des/",
            "debug": True,
            "adminUsers": ["admin1"],
            "db": {"type": "postgresql",
                   "url": "postgresql+psycopg://jupyterhub@pg.example.org:5432/jupyterhub",
                   "password": SENTINELS["hub_db"]},
            "extraConfig": {"10-banner": "c.JupyterHub.shutdown_on_logout = True\n"},
            "nodeSelector": {"role": "core"},
            "tolerations": [{"key": "core", "operator": "Exists"}],
            "pdb": {"enabled": True, "maxUnavailable": 1},
        },
        "proxy": {"service": {"type": "ClusterIP"}, "pdb": {"enabled": True},
                  "https": {"enabled": True, "type": "manual",
                            "manual": {"secretName": "deslab-tls"}}},
        "ingress": {"enabled": True, "className": "nginx",
                    "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
                    "hosts": ["deslab.example.org"],
                    "tls": [{"secretName": "deslab-tls", "hosts": ["deslab.example.org"]}]},
        "auth": {"type": "generic", "clientId": SENTINELS["client_id"],
                 "clientSecret": SENTINELS["client_secret"],
                 "callbackUrl": "https://deslab.example.org/des/hub/oauth_callback",
                 "allowedUsers": ["alice", "bob"], "allowedGroups": ["des-members"],
                 "generic": {"authorizeUrl": "https://idp.example.org/authorize",
                             "tokenUrl": "https://idp.example.org/token",
                             "userdataUrl": "https://idp.example.org/userinfo"}},
        "catalog": {"oracle": ORACLE,
                    "data": {"existingClaim": "des-survey-data", "mountPath": "/srv/deslab/data"},
                    "tilesPath": "/srv/deslab/data/tiles"},
        "singleuser": {"storage": {"type": "shared", "sharedClaim": "deslab-homes"},
                       "profiles": _default_profiles() + [GPU_PROFILE],
                       "extraEnv": {"DESLAB_EXTRA": "1"},
                       "nodeSelector": {"role": "users"}},
        "cull": {"enabled": True, "timeout": 7200, "every": 300, "maxAge": 86400},
        "jobs": {"db": {"type": "postgresql",
                        "url": "postgresql+psycopg://jobs@pg.example.org:5432/jobs",
                        "password": SENTINELS["jobs_db"]},
                 "smtp": {"host": "smtp.example.org", "username": "deslab",
                          "password": SENTINELS["smtp"],
                          "addressTemplate": "{username}@example.org"},
                 "pdb": {"enabled": True}},
        "dask": {"enabled": True, "maxWorkers": 16, "workerCores": 2, "workerMemory": "8Gi"},
        "networkPolicy": {"userInternetAccess": False, "kubeApiCIDRs": ["10.0.0.10/32"],
                          "userExtraEgress": [{"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}],
                                               "ports": [{"port": 443, "protocol": "TCP"}]}]},
    },
    "openstack": {
        "proxy": {"https": {"enabled": True, "type": "offload"}, "service": {
            "type": "LoadBalancer",
            "loadBalancerIP": "203.0.113.50",
            "loadBalancerSourceRanges": ["203.0.113.0/24"],
            "externalTrafficPolicy": "Local",
            "annotations": {
                "loadbalancer.openstack.org/keep-floatingip": "true",
                "loadbalancer.openstack.org/timeout-client-data": "3600000",
                "loadbalancer.openstack.org/timeout-member-data": "3600000",
            }}},
        "hub": {"db": {"pvc": {"storageClassName": "csi-cinder-sc-retain"}}},
        "jobs": {"db": {"pvc": {"storageClassName": "csi-cinder-sc-retain"}}},
        "singleuser": {"storage": {"storageClassName": "csi-cinder-sc-delete",
                                   "capacity": "20Gi"}},
        "catalog": {"oracle": {**{k: v for k, v in ORACLE.items() if k != "password"},
                               "existingSecret": "des-oracle", "existingSecretKey": "pw"}},
        "auth": {"type": "generic", "existingSecret": "deslab-oauth",
                 "allowedUsers": ["alice"]},
    },
    "postgresql": {
        "hub": {"db": {"type": "postgresql",
                       "url": "postgresql+psycopg://jupyterhub@pg:5432/jupyterhub",
                       "existingSecret": "pg-hub", "existingSecretKey": "pw"}},
        "jobs": {"db": {"type": "postgresql", "url": "postgresql+psycopg://jobs@pg:5432/jobs",
                        "password": SENTINELS["jobs_db"]}},
    },
    "cilogon": {
        "auth": {"type": "cilogon", "existingSecret": "cilogon-client",
                 "cilogon": {"idps": {
                     "https://idp.ncsa.illinois.edu/idp/shibboleth": {
                         "username_derivation": {"username_claim": "eppn",
                                                 "action": "strip_idp_domain",
                                                 "domain": "illinois.edu"}}}}},
    },
    "github": {
        "auth": {"type": "github", "clientId": SENTINELS["client_id"],
                 "clientSecret": SENTINELS["client_secret"],
                 "github": {"allowedOrganizations": ["des-collaboration"]}},
    },
}


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` deep-merged over ``base`` (neither is changed)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def with_images(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the image repositories an install needs (given ones win)."""
    return merged(IMAGES, values)


def render(values: dict[str, Any], *, release: str = RELEASE, namespace: str = NAMESPACE,
           images: bool = True, api_versions: list[str] = API_VERSIONS) -> dict[str, str]:
    """Every rendered template of the chart: path -> text (offline, as ``helm template
    --api-versions`` with ``api_versions``); ``images=False`` leaves the image repositories
    as given."""
    if images:
        values = with_images(values)
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(chart.merge_values(values))
        # Chart.render has no api_versions argument; the SDK's C call takes the option.
        options = {"name": release, "namespace": namespace, "is_install": True,
                   "api_versions": api_versions}
        return json.loads(helm_native.call_string(
            "helm_render", chart._raw(), json.dumps(values), json.dumps(options)))


def manifests(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The rendered Kubernetes objects (NOTES.txt left out)."""
    docs = []
    for path, text in sorted(render(values).items()):
        if not path.endswith(".yaml"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def find(docs: list[dict[str, Any]], kind: str, suffix: str) -> dict[str, Any]:
    """The one object of ``kind`` whose name ends with ``suffix``."""
    hits = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    assert len(hits) == 1, f"{kind} *{suffix}: {[d['metadata']['name'] for d in hits]}"
    return hits[0]


def secret_values(doc: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (doc.get("data") or {}).items()}
