"""Rendering the Helm chart offline with the real Helm SDK, for a matrix of values.

Shared by the chart tests (``from chart_helpers import ...``); the fixture lives in conftest.py.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm-chart" / "deslab"
RELEASE = "dl"
NAMESPACE = "sci"
KUBE_VERSION = "1.30.0"

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
        "proxy": {"service": {"type": "ClusterIP"}, "pdb": {"enabled": True}},
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
        "proxy": {"service": {
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


def render(values: dict[str, Any], *, release: str = RELEASE) -> dict[str, str]:
    """Every rendered template of the chart: path -> text."""
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(chart.merge_values(values))
        return chart.render(values, name=release, namespace=NAMESPACE, is_install=True)


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
